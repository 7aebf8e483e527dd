"""What only the annual policy review report shows: the year term by term, the register's changes set
against the legislation the policy cites, and points for HR to consider in the review."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from policy_analytics.policy_check import KIND_LABELS
from policy_analytics.reports.formats import (
    LEGISLATION_STATUS_LABELS, NO_VALUE, attr_or_key, fmt_count, fmt_date, fmt_days, fmt_pct, label, triggers_by_id,
    value_at,
)
from policy_analytics.reports.markup import Block, note
from policy_analytics.reports.plan import ReportView
from policy_analytics.reports.tables import gt_table, table_html
from policy_analytics.reports.suppression import SECONDARY, breach_totals, suppress_table, suppression_note


# ---------------------------------------------------------------------------------------------
# Term by term
# ---------------------------------------------------------------------------------------------


def term_table(terms: Sequence[tuple[str, Mapping[str, Any]]], year: Mapping[str, Any],
               previous_year: Mapping[str, Any] | None, threshold: int, year_label: str,
               previous_year_label: str, table_id: str = "terms", dates: Sequence[tuple[str, str]] = (), *,
               view: ReportView | None = None, labels: Sequence[str] = ()) -> Block:
    """Term by term across the year, the year's total and the year before (breach counts suppressed; with a
    publication plan's VIEW, as it prints them: for the organisation only, and coverage of a small school withheld);
    `dates` gives each row's (dates counted, the school's own term dates) when known."""
    names = [name for name, _ in terms]
    opened = suppress_table({n: value_at(ind, "breaches.opened") or 0 for n, ind in terms}, threshold)
    closed = suppress_table({n: value_at(ind, "breaches.closed") or 0 for n, ind in terms}, threshold)
    year_b = breach_totals(year, threshold)
    prev_b = breach_totals(previous_year, threshold) if previous_year else {}

    def col(path: str, f) -> list[str]:
        return [f(value_at(ind, path)) for _, ind in terms] + [f(value_at(year, path)), f(value_at(previous_year, path)) if previous_year else NO_VALUE]

    frame = pd.DataFrame(
        {
            "Period": names + [f"Year {year_label}", f"Year before ({previous_year_label})"],
            "Incidents": col("incidents.total", fmt_count),
            "Significant": col("incidents.significant", fmt_count),
            "Removed in time": col("response.within_target_pct", fmt_pct),
            "Widely shared": col("recirculation.wide_spread", fmt_count),
            "Read the policy (at end)": col("acknowledgements.coverage_pct", fmt_pct),
            "Breaches opened": [SECONDARY if opened.collapsed else opened.cells[n] for n in names]
            + [year_b["opened"] if not opened.total_withheld else SECONDARY, prev_b.get("opened", NO_VALUE)],
            "Breaches closed": [SECONDARY if closed.collapsed else closed.cells[n] for n in names]
            + [year_b["closed"] if not closed.total_withheld else SECONDARY, prev_b.get("closed", NO_VALUE)],
        }
    )
    if view is not None:
        _from_plan(frame, view, list(labels), previous_year is not None)
    if dates:
        frame["Dates counted"] = [d for d, _ in dates]
        frame["School's term dates"] = [o for _, o in dates]
    numeric = [c for c in frame.columns[1:] if c not in ("Dates counted", "School's term dates")]
    gt = gt_table(frame, table_id, stub="Period").cols_align("right", columns=numeric)
    from great_tables import loc, style

    gt = gt.tab_style(style=style.text(weight="bold"), locations=loc.body(rows=[len(names)]))
    gt = gt.tab_source_note("Removed in time: share of incidents needing removal that were removed within the target. "
                            + ("Each term counts from its first day to the day before the next term, holidays "
                               "included, so the terms add up to the year. " if dates else "")
                            + suppression_note(threshold))
    return table_html(gt, caption="Each term's figures, the year's and the year before's", wide=True)


def _from_plan(frame: pd.DataFrame, view: ReportView, labels: list[str], with_previous: bool) -> None:
    """The term table's protected columns as the plan prints them (in place): breaches for the organisation only."""
    periods = [*labels, view.period] + ([view.previous] if with_previous else [])
    totals = [view.breach_totals(p) for p in periods]
    for column, measure in (("Breaches opened", "opened"), ("Breaches closed", "closed")):
        if totals[0] is None:
            frame.drop(columns=column, inplace=True)
        else:
            frame[column] = [t[measure] if t else NO_VALUE for t in totals] + [NO_VALUE] * (len(frame) - len(totals))
    hidden = [not view.share_shown(label=p) for p in periods]
    if with_previous:  # the year before's share only beside this year's (as the headline does)
        hidden[-1] = hidden[-1] or hidden[len(labels)]
    frame["Read the policy (at end)"] = [SECONDARY if h else v for h, v in
                                         zip(hidden + [False] * len(frame), frame["Read the policy (at end)"])]


# ---------------------------------------------------------------------------------------------
# The register against the legislation the policy cites
# ---------------------------------------------------------------------------------------------


def events_table(events: Sequence[Any], cited: Sequence[Mapping[str, str]] = (),
                 table_id: str = "review-events") -> Block:
    """The review-events register rows: date, kind, what changed, the cited act it bears on, and its source."""
    if not events:
        return note("No changes in law, guidance or case law are recorded since the last review.", "empty")
    columns = {
        "Date": [fmt_date(attr_or_key(e, "date")) for e in events],
        "Kind": [label("event_kind", attr_or_key(e, "kind")) for e in events],
        "What changed": [str(attr_or_key(e, "title")) for e in events],
    }
    if cited:
        columns["Act cited in the policy"] = [", ".join(cited_acts_for(e, cited)) or "None: not cited" for e in events]
    columns["Source"] = [_source_link(attr_or_key(e, "source")) for e in events]
    gt = gt_table(pd.DataFrame(columns), table_id).fmt_markdown(columns="Source")
    return table_html(gt, caption="Changes in law, guidance and case law since the last review", wide=True)


def _source_link(source: Any) -> str:
    """A markdown link to a register source (a URL shows its site only, to keep tables narrow)."""
    text = str(source or "").strip()
    if not text:
        return NO_VALUE
    match = re.match(r"https?://(?:www\.)?([^/]+)", text)
    if match:
        return f"[{match.group(1)}]({text})"
    return text.replace("[", "(").replace("]", ")")


def legislation_table(cited: Sequence[Mapping[str, str]], events: Sequence[Any], table_id: str = "legislation") -> Block:
    """The legislation the policy cites: what it is called now, its status, the register changes bearing on it."""
    frame = pd.DataFrame(
        {
            "Cited in the policy as": [c.get("cited_as", "") for c in cited],
            "Now": [c.get("current_name", "") for c in cited],
            "Status": [LEGISLATION_STATUS_LABELS.get(c.get("status", ""), label("status", c.get("status"))) for c in cited],
            "Changes since the last review": [
                fmt_count(n) if (n := sum(1 for e in events if c.get("cited_as") in cited_acts_for(e, [c]))) else "None"
                for c in cited],
            "What it means for the policy": [c.get("note", "") for c in cited],
        }
    )
    gt = gt_table(frame, table_id, stub="Cited in the policy as")
    return table_html(gt, caption="The legislation the policy cites, and the changes that bear on each", wide=True)


_STOP = {"act", "the", "and", "of", "data", "protection", "regulation", "uk", "amendment", "rights"}


def _act_keys(cited: Mapping[str, str]) -> set[tuple[str, str]]:
    """(distinctive word, year) pairs naming a cited act, e.g. ('equality', '2010'); GDPR by its name."""
    names = f"{cited.get('cited_as', '')} ; {cited.get('current_name', '')}"
    keys = set()
    for match in re.finditer(r"([A-Z][A-Za-z ()]+?)\s+(?:Act\s+)?(\d{4})", names):
        words = [w.lower() for w in re.findall(r"[A-Za-z]+", match.group(1)) if w.lower() not in _STOP]
        if words:
            keys.add((words[0], match.group(2)))
    if "gdpr" in names.lower():
        keys |= {("gdpr", ""), ("data protection", ""), ("data (use and access)", "")}
    return keys


def cited_acts_for(event: Any, cited: Sequence[Mapping[str, str]]) -> list[str]:
    """The cited acts (as the policy names them) a register event's title names."""
    title = str(attr_or_key(event, "title") or "").lower()
    return [c.get("cited_as", "") for c in cited
            if any(w in title and (not y or y in title) for w, y in _act_keys(c))]


def policy_table(found: Any, table_id: str = "policy-findings") -> Block:
    """What policy-check found in the policy document: the kind, the section, what to update and the source."""
    findings = list(getattr(found, "findings", []) or [])
    if not findings:
        return note("The policy check found nothing to update in the policy document.", "empty")
    frame = pd.DataFrame(
        {
            "Kind": [KIND_LABELS.get(f.kind, f.kind) for f in findings],
            "Section of the policy": [f.section or NO_VALUE for f in findings],
            "What to update": [f.detail for f in findings],
            "Source": [_source_link(f.source) for f in findings],
        }
    )
    gt = gt_table(frame, table_id).fmt_markdown(columns="Source")
    return table_html(gt, caption="What the policy check found to update in the policy document", wide=True)


# ---------------------------------------------------------------------------------------------
# Points for the review
# ---------------------------------------------------------------------------------------------


def _counted(findings: Sequence[Any]) -> str:
    return f"{len(findings)} thing{'s' if len(findings) != 1 else ''}"


def review_points(
    ind: Mapping[str, Any],
    settings: Any,
    cited: Sequence[Mapping[str, str]],
    events: Sequence[Any],
    previous_year: Mapping[str, Any] | None = None,
    stale_register: str = "",
    policy: Any = None,
    *,
    hide_coverage: bool = False,
) -> list[str]:
    """Points for HR to consider in the policy review, from the triggers, the register and the data
    (HIDE_COVERAGE: a small school's coverage, withheld by the plan, is not given here either)."""
    points: list[str] = []
    trig = triggers_by_id(ind)
    review = ind.get("review", {}) or {}
    if review.get("overdue"):
        points.append(
            f"The yearly review is overdue: it was due on {fmt_date(review.get('next_due'))}, "
            f"{fmt_days(review.get('days_overdue'))} before the end of this period.")
    else:
        points.append(f"The next review is due by {fmt_date(review.get('next_due'))}.")
    if settings.review_due and settings.review_interval_months:
        due = settings.review_due
        yearly = settings.last_reviewed
        months = (due.year - yearly.year) * 12 + due.month - yearly.month
        if months > settings.review_interval_months:
            points.append(
                f"Make the review date consistent: the policy says it is reviewed every "
                f"{settings.review_interval_months} months, but the date printed on it ({fmt_date(due)}) is "
                f"{months} months after the last review ({fmt_date(yearly)}).")
    for c in cited:
        status = c.get("status")
        if status == "amended":
            points.append(f"The {c.get('cited_as')} has been amended: check the policy still matches it as amended.")
        elif status and status != "in_force":
            points.append(f"Update the legislation cited: \u201c{c.get('cited_as')}\u201d is now {c.get('current_name')}.")
    for e in events:
        acts = cited_acts_for(e, cited)
        what = f"{attr_or_key(e, 'title')} ({label('event_kind', attr_or_key(e, 'kind')).lower()}, {fmt_date(attr_or_key(e, 'date'))})"
        if acts:
            points.append(f"Check what the policy says under the {', '.join(acts)} against: {what}.")
        else:
            points.append(f"The policy cites nothing this bears on; consider whether it should: {what}.")
    if stale_register:
        points.append(stale_register)
    if policy is not None and policy.findings:
        points.append(f"The policy document names {_counted(policy.findings)} to update (outdated names, old "
                      "editions of guidance, review dates, changes since the last review): see \u201cThe policy "
                      "document\u201d above.")
    t = settings.targets
    if trig.get("removal_target", {}).get("fired"):
        points.append(
            f"Removal within {t.removal_hours:g} hours was {fmt_pct(value_at(ind, 'response.within_target_pct'), t.removal_within_target_pct)}, "
            f"below the {t.removal_within_target_pct:g}% target: check the steps and contacts for asking hosts to "
            "remove material, and when to escalate to the ISP.")
    if trig.get("acknowledgement_coverage", {}).get("fired") and not hide_coverage:
        points.append(
            f"Only {fmt_pct(value_at(ind, 'acknowledgements.coverage_pct'), t.acknowledgement_coverage_pct)} of staff in post have confirmed reading the "
            f"current policy (target {t.acknowledgement_coverage_pct:g}%): plan how the reviewed policy will be "
            "shared and acknowledged, including by governors, volunteers and contractors.")
    if trig.get("significant_incidents", {}).get("fired"):
        points.append(
            f"{fmt_count(value_at(ind, 'incidents.significant'))} significant incidents were reported: the policy asks "
            "for a review after significant incidents; look at what they had in common.")
    if trig.get("recirculation", {}).get("fired"):
        points.append(
            f"{fmt_count(value_at(ind, 'recirculation.wide_spread'))} incidents were widely shared: consider guidance on "
            "recirculation across platforms and on supporting staff while material stays visible.")
    if trig.get("incident_rise", {}).get("fired"):
        points.append("Incidents rose sharply on the period before: consider what changed and whether the policy covers it.")
    by_cat = value_at(ind, "incidents.by_category") or {}
    if by_cat:
        top = max(by_cat, key=lambda k: (by_cat[k], k))
        points.append(f"The commonest kind of incident was \u201c{label('category', top)}\u201d ({fmt_count(by_cat[top])}): "
                      "check the policy's examples and guidance cover it.")
    return points
