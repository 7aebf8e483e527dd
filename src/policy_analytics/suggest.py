"""`check --suggest`: a ready-to-paste settings snippet mapping a school's own headers and values.

It only prints: nothing is applied until the user puts the lines in the settings file.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections import Counter
from pathlib import Path

import duckdb

from policy_analytics import load, vocab
from policy_analytics.errors import UserError
from policy_analytics.exports import KINDS, Column, ExportKind, header_key
from policy_analytics.mapping import SchoolNames, school_key
from policy_analytics.settings import Settings
from policy_analytics.validation import FALSE_WORDS, TRUE_WORDS

CANDIDATES = 3  # candidate headers named for each column
_DATE = re.compile(r"\s*(\d{1,2}/\d{1,2}/\d{2}(\d{2})?|\d{4}-\d{2}-\d{2})([ T]\d{1,2}:\d{2}(:\d{2})?)?\s*")
_MONTH_FIRST = re.compile(r"\s*(\d{1,2})/(\d{1,2})/")
_WHOLE = re.compile(r"\s*\d{1,15}\s*")


def suggest(con: duckdb.DuckDBPyConnection, path: Path, settings: Settings, *, kind: str | None = None) -> str:
    """The snippet for one file: its unmatched columns with candidate headers, unknown values with counts."""
    header, rows = _read(path)
    profiles = settings.profiles
    export = KINDS[kind] if kind else load._detect(header, profiles) or _named(path) or _likeliest(header, rows)
    mapping = profiles.headers(export.name)
    keys = [mapping.get(k, k) for k in (header_key(h) for h in header)]
    columns = {name: i for i, name in enumerate(keys) if name in {c.name for c in export.columns}}
    free = [i for i, name in enumerate(keys) if name not in columns]
    lines = [f"# Suggested settings for {path.name} ({export.name}). Nothing has been applied: check each line,",
             "# paste what is right into your settings file (--config) and run `policy-analytics check` again."]
    column_lines = []
    # Every (column, header) pair scored, and the best pairs taken first: a header goes to one column only.
    wanted = [c for c in export.columns if c.name not in columns]
    scored = sorted(((_score(c, header[i], _values(rows, i), len(rows)), n, i) for n, c in enumerate(wanted) for i in free),
                    reverse=True)
    ranked: dict[str, list[tuple[float, int]]] = {c.name: [] for c in wanted}
    taken: set[int] = set()
    for score, n, i in scored:
        if score < 0.35:
            break
        if ranked[wanted[n].name]:
            ranked[wanted[n].name].append((score, i))  # a further candidate, even one taken by another column
        elif i not in taken:
            taken.add(i)
            ranked[wanted[n].name].append((score, i))
    for col in wanted:
        found = ranked[col.name][:CANDIDATES]
        if not found:
            if col.required:
                column_lines.append(f'# "?" = "{col.name}"  # required, and no header looks like it')
            continue
        (score, best), others = found[0], found[1:]
        note = f"{'required; ' if col.required else ''}{_content(col, _values(rows, best))}"
        if others:
            note += "; other candidates: " + ", ".join(f'"{header[i].strip()}"' for _, i in others)
        line = f'"{header[best].strip()}" = "{col.name}"  # {note}'
        column_lines.append(line if col.required or score >= 0.5 else f"# {line}")
        columns[col.name] = best
    if column_lines:
        lines += ["", f"[columns.{export.name}]", *column_lines]
    lines += _value_lines(con, export, columns, rows)
    lines += _date_lines(export, columns, rows)
    lines += _school_lines(settings, columns, rows)
    if len(lines) == 2:
        lines.append("# Every column and value of this file is already understood: nothing to add.")
    return "\n".join(lines)


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header row and the data rows as text, from a CSV or any spreadsheet the loader reads."""
    if not path.is_file():
        raise UserError(f"{path}: there is no such file.")
    head = path.read_bytes()[:8]
    if head.startswith((*load.ZIP_SIGNATURES, load.OLE2_SIGNATURE)):
        cells = [[load._cell_text(c) or "" for c in row] for row in load._open_workbook(path, head)]
        cells = [row for row in cells if any(c.strip() for c in row)]
    else:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
        cells = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in row)]
    if not cells:
        raise UserError(f"{path.name} is empty: there is nothing to suggest from.")
    return [load._clean_header(h) for h in cells[0]], cells[1:]


def _values(rows: list[list[str]], at: int) -> list[str]:
    return [row[at].strip() for row in rows if at < len(row) and row[at].strip()]


NAME_HINTS = {"incident": "incidents", "breach": "breaches", "acknowledg": "acknowledgements", "roster": "acknowledgements"}


def _named(path: Path) -> ExportKind | None:
    """The export the file's name says it is (incidents.csv, Breach log.xlsx, staff roster.ods), if any."""
    found = {kind for hint, kind in NAME_HINTS.items() if hint in path.stem.lower()}
    return KINDS[found.pop()] if len(found) == 1 else None


def _likeliest(header: list[str], rows: list[list[str]]) -> ExportKind:
    """The export whose required columns the file's columns fit best, by name and content."""
    def fit(export: ExportKind) -> float:
        return sum(max((_score(c, h, _values(rows, i), len(rows)) for i, h in enumerate(header)), default=0)
                   for c in export.columns
                   if c.required) / len(export.required)
    return max(KINDS.values(), key=fit)


# Words other systems use in their headers for each column, beside the words of its own name.
WORDS = {
    "incident_id": "incident case ref reference no number", "school": "site academy setting campus establishment",
    "reported_at": "reported logged raised recorded created date", "posted_at": "posted published online",
    "removal_requested_at": "takedown removal requested", "removed_at": "removed taken down deleted",
    "platform": "network site app service", "category": "type concern nature kind classification",
    "submitted_by": "submitted raised reporter source by", "severity": "risk level rating priority grade",
    "safeguarding": "dsl", "police_referral": "police", "isp_escalation": "provider isp escalated escalation",
    "support_offered": "support offered given", "shares": "shared times", "platforms_reached": "platforms sites reached",
    "description": "summary details notes narrative", "breach_id": "breach investigation case ref no number",
    "staff_ref": "staff employee payroll person ref no number", "opened_at": "opened started begun date",
    "closed_at": "closed concluded ended", "rule": "clause policy breached", "impact": "effect",
    "outcome": "result sanction decision", "staff_group": "group role type category", "employment": "contract basis",
    "start_date": "start started joined", "leave_date": "leave left leaving", "policy_version": "policy version",
    "acknowledged_at": "acknowledged signed agreed read accepted",
}


def _score(col: Column, header: str, values: list[str], rows: int) -> float:
    """How likely HEADER (with its VALUES, of ROWS rows) holds COL: half its name, half its content (0 to 1).

    A required column is never blank, so its content counts by how much of the column is filled.
    """
    key = header_key(header)
    words = set(key.split("_")) - {""}
    known = set(col.name.split("_")) | set(WORDS.get(col.name, "").split())
    name = max(difflib.SequenceMatcher(None, key, col.name).ratio() * 0.8, len(words & known) / max(len(words), 1))
    filled = len(values) / rows if col.required and rows else 1
    return 0.5 * name + 0.5 * _share(col, values) * filled


def _share(col: Column, values: list[str]) -> float:
    """The share of VALUES that COL's type reads (for an id column: the share of distinct values)."""
    if not values:
        return 0.0
    if col.type in ("date", "datetime"):
        test = _DATE.fullmatch
    elif col.type == "flag":
        test = lambda v: v.lower() in TRUE_WORDS + FALSE_WORDS  # noqa: E731
    elif col.type == "count":
        test = _WHOLE.fullmatch
    elif col.type == "vocab":
        known = {vocab.vocab_key(s) for canonical, aliases in vocab.DOMAINS[col.domain].items() for s in [canonical, *aliases]}
        test = lambda v: vocab.vocab_key(v) in known  # noqa: E731
    elif col.name.endswith(("_id", "_ref")):  # mostly distinct codes holding a digit, and not dates or numbers
        code = sum(1 for v in values if any(ch.isdigit() for ch in v) and not _DATE.fullmatch(v) and not _WHOLE.fullmatch(v))
        return len(set(values)) / len(values) * code / len(values)
    else:
        return 0.3  # free text: nothing in its content tells
    return sum(1 for v in values if test(v)) / len(values)


def _content(col: Column, values: list[str]) -> str:
    share = _share(col, values)
    what = {"date": "dates", "datetime": "dates", "flag": "yes/no values", "count": "whole numbers",
            "vocab": f"known {col.domain or ''} values"}.get(col.type)
    return f"{what} in {share:.0%} of rows" if what else "by its name"


def _value_lines(con: duckdb.DuckDBPyConnection, export: ExportKind, columns: dict[str, int], rows: list[list[str]]) -> list[str]:
    """A [values.<vocabulary>] table per vocabulary with values the warehouse does not know."""
    known = {(d, k) for d, k in con.execute("SELECT domain, key FROM ref_vocab").fetchall()}
    lines: list[str] = []
    by_domain: dict[str, Counter[str]] = {}
    for col in export.columns:
        if col.type == "vocab" and col.name in columns:
            unknown = Counter(v for v in _values(rows, columns[col.name]) if (col.domain, vocab.vocab_key(v)) not in known)
            by_domain.setdefault(col.domain, Counter()).update(unknown)
    for domain, unknown in by_domain.items():
        if not unknown:
            continue
        lines += ["", f"[values.{domain}]"]
        spellings = {vocab.vocab_key(s): canonical for canonical, aliases in vocab.DOMAINS[domain].items()
                     for s in [canonical, *aliases]}
        for value, count in sorted(unknown.items(), key=lambda t: (-t[1], t[0])):
            nearest = difflib.get_close_matches(vocab.vocab_key(value), list(spellings), n=1, cutoff=0.4)
            rows_note = _rows(count)
            if nearest:
                lines.append(f'"{value}" = "{spellings[nearest[0]]}"  # {rows_note}; the nearest value by spelling: check it')
            else:
                lines.append(f'# "{value}" = "?"  # {rows_note}; choose one of {vocab.expected(domain)}')
    return lines


def _date_lines(export: ExportKind, columns: dict[str, int], rows: list[list[str]]) -> list[str]:
    """`date_order = "month_first"` where a date column can only be month first."""
    for col in export.columns:
        if col.type in ("date", "datetime") and col.name in columns:
            pairs = [(int(m[1]), int(m[2])) for v in _values(rows, columns[col.name]) if (m := _MONTH_FIRST.match(v))]
            if any(a <= 12 < b for a, b in pairs) and not any(b <= 12 < a for a, b in pairs):
                return ["", f"[exports.{export.name}]", f'date_order = "month_first"  # {col.name} is written month first']
    return []


def _school_lines(settings: Settings, columns: dict[str, int], rows: list[list[str]]) -> list[str]:
    """The file's school names that match no school listed in the settings, each with the closest listed one."""
    if "school" not in columns:
        return []
    texts = Counter(_values(rows, columns["school"]))
    names = SchoolNames.build(settings.schools, settings.profiles.schools, [])
    if not settings.profiles.schools and settings.schools == Settings().schools:
        return _school_list(texts)
    lines = []
    for text, count in sorted(texts.items()):
        if school_key(text) in names.listed:
            continue
        closest = difflib.get_close_matches(school_key(text), list(names.listed), n=1, cutoff=0)
        target = names.listed[closest[0]] if closest else text
        lines.append(f'# "{text}" ({_rows(count)}) is not a listed school: if it is {target}, add it to '
                     f'[schools."{target}"] aliases, or list it as a school of its own.')
    return ["", *lines] if lines else []


def _school_list(texts: Counter[str]) -> list[str]:
    """[schools] entries for the file's schools, when the settings list none: one per school key."""
    spellings: dict[str, list[str]] = {}
    for text, _ in sorted(texts.items(), key=lambda t: (-t[1], t[0])):
        spellings.setdefault(school_key(text), []).append(text)
    lines = ["", "# The file's schools. Spellings differing only in case, spaces, apostrophes or full stops are one school",
             "# already; list each school once, with its URN and any other names it goes by:"]
    for key, found in spellings.items():
        count = sum(texts[t] for t in found)
        if key.isdigit():
            lines.append(f'# "{found[0]}" ({_rows(count)}) looks like a URN: give it as urn = "{key}" under its school')
            continue
        lines.append(f'[schools."{found[0]}"]  # {_rows(count)}' + (f"; also written {', '.join(found[1:])}" if found[1:] else ""))
        lines.append('# urn = "..."')
    return lines


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"
