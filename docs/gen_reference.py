"""The generated parts of the documentation: settings, CLI, warehouse, metrics and review-events references.

A page asks for one with a marker line, `<!-- generated: NAME -->`; MkDocs runs this file as a hook and puts
the Markdown from `GENERATORS[NAME]()` in its place, so the reference is rebuilt from the code on every build.
The tests call the same functions. Run it as a script to print one: `python docs/gen_reference.py cli`.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

MARKER = re.compile(r"^<!-- generated: ([a-z_-]+) -->$", re.MULTILINE)

# --- settings -----------------------------------------------------------------------------------------

# What each key does, its type, range and default come from the code: `SETTINGS_KEYS` in
# src/policy_analytics/settings.py, the one table the loader checks settings files against.


def settings_keys() -> list[dict[str, str]]:
    """Every settings key as {section, key, type, default, meaning}, from `SETTINGS_KEYS`."""
    from policy_analytics.settings import SETTINGS_KEYS, toml_text

    rows = []
    for entry in SETTINGS_KEYS:
        if not entry.meaning:
            raise KeyError(f"src/policy_analytics/settings.py: the setting {entry.name} has no meaning in SETTINGS_KEYS")
        if entry.section == "terms":
            rows.append({"section": "terms", "key": "<label>", "type": "[start date, end date]",
                         "default": "(none: the default windows)", "meaning": entry.meaning})
        else:
            rows.append({"section": entry.section, "key": entry.key, "type": entry.expected(),
                         "default": toml_text(entry.default), "meaning": entry.meaning})
    return rows


def settings_reference() -> str:
    """The settings reference: one table per section, every key with its type, default and effect."""
    out, section = [], None
    for row in settings_keys():
        if row["section"] != section:
            section = row["section"]
            out += ["", f"### `[{section}]`", "", "| key | type | default | what it does |", "| --- | --- | --- | --- |"]
        out.append(f"| `{row['key']}` | {row['type']} | `{row['default']}` | {row['meaning']} |")
    return "\n".join(out).lstrip() + "\n"


# --- command line -------------------------------------------------------------------------------------


def _subcommands(parser: argparse.ArgumentParser, prefix: str = "") -> list[tuple[str, argparse.ArgumentParser, str]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                words = f"{prefix}{name}"
                found.append((words, sub, helps.get(name, "")))
                found.extend(_subcommands(sub, words + " "))
    return found


def cli_commands() -> list[tuple[str, argparse.ArgumentParser, str]]:
    """(command words, parser, help) for every command and sub-command of `policy-analytics`."""
    from policy_analytics import cli

    return _subcommands(cli.build_parser())


def _option_row(action: argparse.Action) -> str:
    if action.option_strings:
        name = ", ".join(action.option_strings)
        if action.nargs != 0:
            name += f" {action.metavar or action.dest.upper()}"
    else:
        name = action.metavar or action.dest
        name += " ..." if action.nargs in ("+", "*") else ""
    helptext = (action.help or "").replace("|", "\\|")
    if action.choices and not isinstance(action, argparse._SubParsersAction):
        helptext += " (one of: " + ", ".join(f"`{c}`" for c in action.choices) + ")"
    return f"| `{name}` | {helptext} |"


def cli_reference() -> str:
    """The CLI reference: every command with its usage line and every option's help, from the parser."""
    out = []
    for words, parser, helptext in cli_commands():
        options = [a for a in parser._actions if a.dest != "help" and not isinstance(a, argparse._SubParsersAction)]
        usage = " ".join(parser.format_usage().split())
        usage = usage.removeprefix("usage: ")
        out += [f"## `{words}`", "", helptext[:1].upper() + helptext[1:] + ".", "", "```text", usage, "```", ""]
        if options:
            out += ["| argument | what it does |", "| --- | --- |"] + [_option_row(a) for a in options] + [""]
    return "\n".join(out)


# --- warehouse ----------------------------------------------------------------------------------------

# What each column holds, by `table.column` first, then by column name alone. A column of a fresh
# warehouse with no DuckDB comment and no entry here stops the build.
COLUMN_MEANINGS = {
    # lineage, on every stored row
    "load_id": "The load that stored the row (`loads.load_id`).",
    "source_file": "The file name the row was loaded from.",
    "source_sha256": "The SHA-256 of that file.",
    "source_row": "The row in that file, as a spreadsheet shows it (the header is row 1).",
    "loaded_at": "When the row was loaded (local time).",
    # exports
    "incident_id": "The incident's id in the source system.",
    "breach_id": "The breach investigation's case id.",
    "school": "The school, as the export names it (a blank cell is the organisation's only school, else `Unassigned`).",
    "reported_at": "When the incident was reported to the senior manager or safeguarding lead.",
    "posted_at": "When the material was first posted or first seen online.",
    "removal_requested_at": "When the school asked the host to amend or remove it.",
    "removed_at": "When removal or amendment was confirmed; empty while still visible or not needed.",
    "platform": "Where it was found (unrecognised platforms as `Other`).",
    "platform_raw": "The export's own text when the platform was not recognised.",
    "school_raw": "The export's own spelling of the school (an alias, a URN, other capitals) where it differs from `school`.",
    "category": "What kind of content or risk (the policy's categories).",
    "submitted_by": "Who posted it: staff, pupil, parent, public or unknown.",
    "severity": "low, medium, high or critical.",
    "safeguarding": "It raised a safeguarding concern.",
    "police_referral": "It was reported to the police.",
    "isp_escalation": "It was escalated to the ISP.",
    "support_offered": "Support or counselling was offered to the staff member.",
    "shares": "Reposts or shares observed.",
    "platforms_reached": "Platforms the material was found on, the first included.",
    "description": "Free text; may hold personal data. Never shown in a report or view.",
    "staff_ref": "Pseudonymous staff reference (never a name).",
    "opened_at": "The day the investigation opened.",
    "closed_at": "The day it closed; empty while open.",
    "rule": "The category of what was posted.",
    "impact": "low, medium or high.",
    "outcome": "The outcome; empty while ongoing.",
    "staff_group": "teaching, support, leadership, governor, volunteer or contractor.",
    "employment": "full_time, part_time or fixed_term.",
    "start_date": "Employment start; empty means before every period.",
    "leave_date": "Last day employed; empty means still employed.",
    "policy_version": "The policy version acknowledged (or due).",
    "acknowledged_at": "When the member of staff confirmed reading it; empty if not yet.",
    # derived columns of the views
    "incident_facts.reported_date": "The day of `reported_at`.",
    "incident_facts.reported_month": "The first day of the month of `reported_at`.",
    "incident_facts.academic_year": "The academic year of `reported_at` (`2025-26` runs 1 Sep 2025 to 31 Aug 2026).",
    "incident_facts.term": "The term of `reported_at` (`2025-26-autumn`), from the settings' term windows; empty between overridden terms.",
    "incident_facts.significant": "Significant, as the `[significant]` settings define it.",
    "incident_facts.removal_needed": "Removal was requested or confirmed (`removal_requested_at` or `removed_at` filled in).",
    "incident_facts.removed": "Removal was confirmed (`removed_at` filled in).",
    "incident_facts.response_hours": "Hours from report to confirmed removal; a removal recorded before the report counts as 0.",
    "incident_facts.visible_hours": "Hours visible: from `posted_at` (else `reported_at`) to removal; negatives as 0.",
    "incident_facts.within_target": "Removed within `targets.removal_hours` of the report.",
    "incident_facts.multi_platform": "Found on 2 or more platforms.",
    "incident_facts.wide_spread": "Shares or platforms at or over the wide-spread targets.",
    "breach_facts.closed": "The investigation is closed (`closed_at` filled in).",
    "breach_facts.days_to_close": "Days from opening to closing.",
    "breach_facts.opened_academic_year": "The academic year of `opened_at`.",
    "breach_facts.opened_term": "The term of `opened_at`.",
    "breach_facts.closed_term": "The term of `closed_at`.",
    "acknowledgement_facts.current_version": "The row is for the current policy version (`policy.version`).",
    "acknowledgement_facts.acknowledged": "`acknowledged_at` is filled in.",
    # load log and rejects
    "kind": "incidents, breaches or acknowledgements.",
    "file_name": "The file's name.",
    "file_sha256": "The file's SHA-256.",
    "loads.loaded_at": "When the file was loaded.",
    "load_summary.loaded_at": "When the file was loaded.",
    "status": "`loaded`, or `unchanged` for a byte-identical file loaded before.",
    "rows_read": "Data rows read from the file.",
    "rows_new": "Rows stored with an id not stored before.",
    "rows_updated": "Rows stored over an earlier row with the same id and different values.",
    "rows_unchanged": "Rows already stored with the same id and the same values: not rewritten.",
    "rows_rejected": "Rows rejected (each counted once, however many problems it had).",
    "ignored_columns": "Columns of the file this tool does not use.",
    "row_number": "The rejected row, as a spreadsheet shows it (the header is row 1).",
    "column_name": "The column with the problem (empty for a problem with the whole row).",
    "raw_value": "The value as written, cut to 200 characters.",
    "reason": "Why the row was rejected, in a plain sentence.",
    # reference data
    "meta.key": "A fact about the warehouse (`schema_version`).",
    "meta.value": "Its value.",
    "domain": "The vocabulary (platform, category, severity, ...).",
    "ref_vocab.key": "A spelling as exports write it, normalised.",
    "ref_vocab.value": "The value it stands for.",
    "label": "The term (`2025-26-autumn`).",
    "settings_terms.academic_year": "Its academic year.",
    "term": "autumn, spring or summer.",
    "end_date": "The term's last day, included.",
    "settings_terms.start_date": "The term's first day.",
    "removal_hours": "`targets.removal_hours`.",
    "significant_severities": "`significant.severities`.",
    "significant_police": "`significant.police_referral`.",
    "significant_safeguarding": "`significant.safeguarding`.",
    "wide_spread_shares": "`targets.wide_spread_shares`.",
    "wide_spread_platforms": "`targets.wide_spread_platforms`.",
    "settings_current.policy_version": "`policy.version`.",
}

# What each table or view is for, in the order the reference lists them.
RELATIONS = {
    "incident_facts": "view: incidents without the free-text description, with the derived columns every indicator uses",
    "breach_facts": "view: breach investigations with their terms and days to close",
    "acknowledgement_facts": "view: the roster with whether each row is for the current version and acknowledged",
    "load_summary": "view: the load log",
    "incidents": "table: the stored incident rows, with lineage",
    "breaches": "table: the stored breach investigations, with lineage",
    "acknowledgements": "table: the stored roster rows, with lineage (key: `staff_ref` + `policy_version`)",
    "loads": "table: one row per file loaded",
    "rejects": "table: one row per problem in a rejected row of each file's latest load",
    "rejects_history": "table: the rejects of earlier loads of each file (`rejects --all`)",
    "ref_vocab": "table: the vocabularies and aliases the views use",
    "settings_terms": "table: the term windows the views use",
    "settings_current": "table: the settings the views use (one row)",
    "meta": "table: facts about the warehouse, such as its schema version",
}


def warehouse_columns() -> dict[str, list[tuple[str, str, str | None]]]:
    """{table or view: [(column, type, DuckDB comment)]} of a fresh warehouse made by this version."""
    from policy_analytics import db
    from policy_analytics.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        con = db.connect(Path(folder) / "fresh.duckdb", Settings())
        try:
            rows = con.execute(
                "SELECT table_name, column_name, data_type, comment FROM duckdb_columns() "
                "WHERE database_name = current_database() AND schema_name = 'main' ORDER BY table_name, column_index"
            ).fetchall()
        finally:
            con.close()
    found: dict[str, list[tuple[str, str, str | None]]] = {}
    for table, column, kind, comment in rows:
        found.setdefault(table, []).append((column, kind, comment))
    return found


def _column_meaning(table: str, column: str, comment: str | None) -> str:
    meaning = comment or COLUMN_MEANINGS.get(f"{table}.{column}") or COLUMN_MEANINGS.get(column)
    if not meaning:
        raise KeyError(f"docs/gen_reference.py: the column {table}.{column} has no entry in COLUMN_MEANINGS")
    return meaning


def warehouse_reference() -> str:
    """The warehouse reference: every table and view of a fresh warehouse, each column with its type and meaning."""
    found = warehouse_columns()
    order = [name for name in RELATIONS if name in found] + sorted(set(found) - set(RELATIONS))
    out = []
    for name in order:
        out += [f"### `{name}`", "", RELATIONS.get(name, "").capitalize() + ".", "",
                "| column | type | meaning |", "| --- | --- | --- |"]
        out += [f"| `{column}` | {kind} | {_column_meaning(name, column, comment)} |" for column, kind, comment in found[name]]
        out.append("")
    return "\n".join(out)


# --- metrics and the review-events register -----------------------------------------------------------


def metrics_reference() -> str:
    """The metric dictionary, as metrics.py renders it."""
    from policy_analytics.metrics import metrics_markdown

    return metrics_markdown()


def review_events_reference() -> str:
    """The shipped review-events register as a table, newest first, under its as-of date."""
    from policy_analytics import register

    events = sorted(register.load_review_events(), key=lambda e: e.date, reverse=True)
    out = [f"Register as of {register.register_as_of().isoformat()}.", "",
           "| date | kind | change | source |", "| --- | --- | --- | --- |"]
    out += [f"| {e.date.isoformat()} | {e.kind} | {e.title.replace('|', '/')} | <{e.source}> |" for e in events]
    return "\n".join(out) + "\n"


GENERATORS: dict[str, Callable[[], str]] = {
    "settings": settings_reference,
    "cli": cli_reference,
    "warehouse": warehouse_reference,
    "metrics": metrics_reference,
    "review-events": review_events_reference,
}


def expand(markdown: str) -> str:
    """MARKDOWN with each `<!-- generated: NAME -->` line replaced by that reference."""
    return MARKER.sub(lambda m: GENERATORS[m.group(1)]().rstrip("\n"), markdown)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """MkDocs hook: fill in the generated references of a page."""
    return expand(markdown)


if __name__ == "__main__":
    print(GENERATORS[sys.argv[1]]())
