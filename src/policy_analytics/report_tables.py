"""Governor-facing pieces of the reports: disclosure control, number formats, tables and charts.

Everything here works on the indicator dictionaries of SPEC section 6 (and a few per-incident
lists the report data adds), so it can be unit-tested without a kernel. The notebooks only call
these functions and display what they return.

Disclosure control (SPEC section 7):

- a breach count from 1 to N-1 (N = `suppress_below`) is shown as ``<N``;
- in a breakdown (by outcome, rule, school or term) whose total is published, further cells are
  withheld, shown as ``[c]``, until no suppressed cell can be worked out from the total and the
  cells still shown (see `suppress_table`);
- a breakdown whose total is itself below N is not broken down at all: listing which outcomes
  or rules occurred among one or two cases would identify the colleagues involved.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from policy_analytics import metrics as _metrics

SECONDARY = "[c]"
NO_VALUE = "–"
REVIEW = "▲ Review"
OK = "✔ OK"

# Colours chosen to stay distinguishable with the common colour-vision deficiencies (blue and
# orange, never red against green); every status also carries its symbol and word.
BLUE = "#1f5f8b"
LIGHT_BLUE = "#9ecae1"
ORANGE = "#c2410c"
GREY = "#8c8c8c"
REVIEW_FILL, REVIEW_TEXT = "#fde7d4", "#8a2c02"
OK_FILL, OK_TEXT = "#dbeafe", "#1e3a8a"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

# ---------------------------------------------------------------------------------------------
# Plain-English labels for the vocabularies
# ---------------------------------------------------------------------------------------------

CATEGORY_LABELS: dict[str, str] = {
    "confidential": "Confidential information",
    "bullying": "Bullying",
    "discrimination_harassment": "Discrimination or harassment",
    "disrepute": "Bringing the school into disrepute",
    "offensive": "Lewd, threatening or offensive",
    "reputation": "Undermining reputations",
    "defamatory": "Defamatory or knowingly false",
    "copyright": "Breach of copyright",
    "unlawful": "Otherwise unlawful",
    "grooming": "Grooming, exploitation or stalking",
    "inappropriate_material": "Inappropriate material or hateful language",
    "self_harm": "Encouraging violence, self-harm or risk taking",
    "sexting": "Sexting, fake profiles or live streaming",
    "cyberbullying_of_staff": "Online bullying of staff",
}
OUTCOME_LABELS: dict[str, str] = {
    "no_case_to_answer": "No case to answer",
    "informal_advice": "Informal advice",
    "written_warning": "Written warning",
    "final_warning": "Final warning",
    "dismissal": "Dismissal",
    "referred_to_police": "Referred to the police",
    "not_recorded": "Outcome not recorded",
}
GROUP_LABELS: dict[str, str] = {
    "teaching": "Teaching staff",
    "support": "Support staff",
    "leadership": "Leadership",
    "governor": "Governors",
    "volunteer": "Volunteers",
    "contractor": "Contractors",
}
SEVERITY_LABELS = {"low": "Low", "medium": "Medium", "high": "High", "critical": "Critical"}
KIND_LABELS = {"incidents": "Incidents", "breaches": "Breach investigations", "acknowledgements": "Acknowledgements roster"}
EVENT_KIND_LABELS = {"legislation": "Legislation", "guidance": "Guidance", "case_law": "Case law"}
# The metric dictionary's labels, so that the definitions appendix explains exactly the words shown.
TRIGGER_LABELS: dict[str, str] = dict(_metrics.TRIGGER_LABELS)
LEGISLATION_STATUS_LABELS = {
    "in_force": "In force, same name",
    "amended": "In force, amended",
    "renamed_and_amended": "Renamed and amended",
    "partly_replaced": "Partly replaced",
    "repealed": "Repealed",
}


def label(domain: str, key: str | None) -> str:
    """The plain-English label of a vocabulary value (category, outcome, staff_group, ...)."""
    if key is None:
        return "Not recorded"
    tables = {
        "category": CATEGORY_LABELS,
        "rule": CATEGORY_LABELS,
        "outcome": OUTCOME_LABELS,
        "staff_group": GROUP_LABELS,
        "severity": SEVERITY_LABELS,
        "trigger": TRIGGER_LABELS,
        "kind": KIND_LABELS,
        "event_kind": EVENT_KIND_LABELS,
    }
    found = tables.get(domain, {}).get(key)
    return found if found else str(key).replace("_", " ").capitalize()


def metric_label(key: str, fallback: str | None = None) -> str:
    """The metric dictionary's short label for a key path ('response.within_target_pct')."""
    try:
        return _metrics.metric(key).label
    except KeyError:
        return fallback or key


# ---------------------------------------------------------------------------------------------
# Number and date formats
# ---------------------------------------------------------------------------------------------

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_count(value: Any) -> str:
    """A whole number, with thousands separators; '–' when there is nothing to measure."""
    if _missing(value):
        return NO_VALUE
    return f"{int(value):,}"


def fmt_number(value: Any) -> str:
    """A count-like figure that may be fractional (a median of shares): whole, else one decimal."""
    if _missing(value):
        return NO_VALUE
    value = float(value)
    return f"{value:,.0f}" if abs(value - round(value)) < 1e-9 else f"{value:,.1f}"


def fmt_pct(value: Any) -> str:
    """A percentage (0-100): whole when it is whole, else one decimal place."""
    if _missing(value):
        return NO_VALUE
    value = float(value)
    return f"{value:.0f}%" if abs(value - round(value)) < 1e-9 else f"{value:.1f}%"


def fmt_hours(value: Any) -> str:
    """Hours to one decimal place ('5.2 hours')."""
    if _missing(value):
        return NO_VALUE
    value = float(value)
    return "1 hour" if value == 1 else f"{value:,.1f} hours"


def fmt_days(value: Any) -> str:
    """Days: whole when whole, else one decimal ('12 days')."""
    if _missing(value):
        return NO_VALUE
    value = float(value)
    text = f"{value:,.0f}" if abs(value - round(value)) < 1e-9 else f"{value:,.1f}"
    return f"{text} day" if text == "1" else f"{text} days"


def to_date(value: Any) -> date | None:
    """A date from a date, datetime or ISO string (as the JSON holds them)."""
    if _missing(value) or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return date.fromisoformat(text[:10])


def to_datetime(value: Any) -> datetime | None:
    """A datetime from a datetime, date or ISO string."""
    if _missing(value) or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(str(value))


def fmt_date(value: Any) -> str:
    """A date as governors read it: '1 Sep 2025'."""
    d = to_date(value)
    return NO_VALUE if d is None else f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def fmt_datetime(value: Any) -> str:
    """A date and time: '1 Sep 2025 14:30'."""
    d = to_datetime(value)
    return NO_VALUE if d is None else f"{d.day} {_MONTHS[d.month - 1]} {d.year} {d:%H:%M}"


def fmt_month(value: Any) -> str:
    """A month: 'Sep 2025'."""
    d = to_date(value)
    return NO_VALUE if d is None else f"{_MONTHS[d.month - 1]} {d.year}"


# ---------------------------------------------------------------------------------------------
# Disclosure control
# ---------------------------------------------------------------------------------------------


def suppress_value(value: Any, threshold: int) -> str:
    """One published count: '<N' from 1 to N-1 (N = threshold), else the number."""
    if _missing(value):
        return NO_VALUE
    n = int(value)
    if threshold > 1 and 0 < n < threshold:
        return f"<{threshold}"
    return fmt_count(n)


@dataclass(frozen=True)
class Suppressed:
    """A breakdown ready to publish: each cell's text and the total's text.

    `collapsed`: the total is below the threshold, so the breakdown must not be shown at all
    (only the total, as '<N'). `secondary`: the cells withheld only to protect others.
    """

    cells: dict[str, str]
    total: str
    collapsed: bool = False
    secondary: tuple[str, ...] = ()
    total_withheld: bool = False


def _intervals_protected(
    primary: Sequence[int], secondary: Sequence[int], hidden_sum: tuple[int, float], threshold: int
) -> bool:
    """Whether every withheld cell keeps at least two possible values for a reader who knows the rule.

    A reader knows each primary cell is between 1 and N-1, each secondary cell is at least 1, and
    the withheld cells add up to between hidden_sum[0] and hidden_sum[1]. The possible values of
    one cell form the interval [max(lo, S_lo - others_hi), min(hi, S_hi - others_lo)].
    """
    bounds = [(1, threshold - 1)] * len(primary) + [(1, math.inf)] * len(secondary)
    s_lo, s_hi = hidden_sum
    for i, (lo, hi) in enumerate(bounds):
        others_lo = sum(b[0] for j, b in enumerate(bounds) if j != i)
        others_hi = sum(b[1] for j, b in enumerate(bounds) if j != i)
        low = max(lo, s_lo - others_hi)
        high = min(hi, s_hi - others_lo)
        if high - low < 1:
            return False
    return True


def suppress_table(counts: Mapping[str, Any], threshold: int) -> Suppressed:
    """Primary and secondary suppression of one breakdown whose total (the sum) is published.

    - total 0: every cell 0;
    - total from 1 to N-1: collapsed (show the total as '<N' and no breakdown);
    - otherwise cells from 1 to N-1 show '<N'; then, while a withheld cell could be worked out
      from the total and the cells shown, the smallest shown non-zero cell (ties: the first in
      order) is withheld as '[c]'; if none is left to withhold, the total is withheld too.
    Zero cells are shown as 0: a zero identifies nobody.
    """
    values = {str(k): int(v or 0) for k, v in counts.items()}
    total = sum(values.values())
    if threshold <= 1 or total == 0:
        return Suppressed({k: fmt_count(v) for k, v in values.items()}, fmt_count(total))
    if total < threshold:
        return Suppressed({k: SECONDARY for k in values}, f"<{threshold}", collapsed=True)
    primary = [k for k, v in values.items() if 0 < v < threshold]
    secondary: list[str] = []
    total_withheld = False

    def protected() -> bool:
        if not primary:
            return True
        hidden = primary + secondary
        shown = total - sum(values[k] for k in hidden)
        if total_withheld:
            bounds: tuple[int, float] = (max(threshold - shown, 0), math.inf)
        else:
            bounds = (total - shown, total - shown)
        return _intervals_protected([values[k] for k in primary], [values[k] for k in secondary], bounds, threshold)

    order = {k: i for i, k in enumerate(values)}
    while not protected():
        candidates = [k for k, v in values.items() if v >= threshold and k not in secondary]
        if not candidates:
            total_withheld = True
            break
        secondary.append(min(candidates, key=lambda k: (values[k], order[k])))
    cells = {}
    for k, v in values.items():
        if k in primary:
            cells[k] = f"<{threshold}"
        elif k in secondary:
            cells[k] = SECONDARY
        else:
            cells[k] = fmt_count(v)
    return Suppressed(cells, SECONDARY if total_withheld else fmt_count(total), False, tuple(secondary), total_withheld)


def suppress_counts(counts: Mapping[str, Any], threshold: int) -> dict[str, str]:
    """The published text of each cell of a breakdown (see `suppress_table`); '[c]' means withheld."""
    return suppress_table(counts, threshold).cells


SUPPRESSION_NOTE = (
    "To protect the colleagues involved, numbers from 1 to {m} are shown as <{n}, and [c] marks a number "
    "withheld so that a small number cannot be worked out from the total."
)


def suppression_note(threshold: int) -> str:
    """The footnote explaining '<N' and '[c]'."""
    return SUPPRESSION_NOTE.format(m=threshold - 1, n=threshold)


# ---------------------------------------------------------------------------------------------
# Output wrappers for notebooks
# ---------------------------------------------------------------------------------------------


class Block:
    """A piece of report HTML; notebooks display it (it has `_repr_html_`)."""

    def __init__(self, html_text: str) -> None:
        self.html = html_text

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


def table_html(table: Any, *, wide: bool = False) -> Block:
    """A great_tables table as a Block. A `wide` one keeps a readable width on a phone and scrolls sideways."""
    css = "report-table report-table-wide" if wide else "report-table"
    return Block(f'<div class="{css}">{table.as_raw_html()}</div>')


def note(text: str, kind: str = "note") -> Block:
    """A short paragraph (escaped): kind 'note', 'empty' or 'warning' styles it."""
    return Block(f'<p class="report-{kind}">{html.escape(text)}</p>')


def bullet_list(items: Iterable[str], css_class: str = "report-points") -> Block:
    """An escaped bullet list."""
    inner = "".join(f"<li>{html.escape(item)}</li>" for item in items)
    return Block(f'<ul class="{css_class}">{inner}</ul>')


def status_text(fired: bool | None) -> str:
    """The traffic-light word with its symbol: '▲ Review', '✔ OK', or '–' when there is no target."""
    if fired is None:
        return NO_VALUE
    return REVIEW if fired else OK


# ---------------------------------------------------------------------------------------------
# great_tables helpers
# ---------------------------------------------------------------------------------------------


def _gt(frame: pd.DataFrame, table_id: str, *, stub: str | None = None):
    """A great_tables table with the reports' common look (no web fonts, compact, full width)."""
    from great_tables import GT

    gt = GT(frame, rowname_col=stub, id=table_id)
    return gt.tab_options(
        table_font_names=FONT,
        table_font_size="15px",
        table_width="100%",
        heading_align="left",
        heading_title_font_size="17px",
        heading_subtitle_font_size="14px",
        column_labels_font_weight="bold",
        data_row_padding="6px",
        source_notes_font_size="13px",
        container_padding_y="4px",
    )


def _style_status(gt: Any, column: str, values: Sequence[str]) -> Any:
    """Colour the status cells: orange for '▲ Review', blue for '✔ OK' (words and symbols kept)."""
    from great_tables import loc, style

    review_rows = [i for i, v in enumerate(values) if v == REVIEW]
    ok_rows = [i for i, v in enumerate(values) if v == OK]
    keep_whole = style.css("white-space: nowrap")  # the symbol stays with its word
    if review_rows:
        gt = gt.tab_style(
            style=[style.fill(color=REVIEW_FILL), style.text(color=REVIEW_TEXT, weight="bold"), keep_whole],
            locations=loc.body(columns=column, rows=review_rows),
        )
    if ok_rows:
        gt = gt.tab_style(
            style=[style.fill(color=OK_FILL), style.text(color=OK_TEXT, weight="bold"), keep_whole],
            locations=loc.body(columns=column, rows=ok_rows),
        )
    return gt


def _triggers_by_id(ind: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {t["id"]: t for t in ind.get("triggers", [])}


def _get(d: Mapping[str, Any] | None, path: str) -> Any:
    """The value at a dotted key path ('response.within_target_pct'), or None."""
    cur: Any = d
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


# ---------------------------------------------------------------------------------------------
# Headline panel
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadlineRow:
    """One row of the headline panel: a figure this period and last, its target and status."""

    key: str
    measure: str
    current: str
    previous: str
    target: str
    status: str


def breach_totals(ind: Mapping[str, Any], threshold: int) -> dict[str, str]:
    """Published breach totals: opened and closed as their breakdowns publish them, open at end as one count."""
    breaches = ind.get("breaches", {}) or {}
    by_rule = suppress_table(breaches.get("by_rule", {}) or {}, threshold)
    by_outcome = suppress_table(breaches.get("by_outcome", {}) or {}, threshold)
    opened, closed = breaches.get("opened"), breaches.get("closed")
    return {
        # the breakdown's own total decides: if the breakdown withheld it, so does the headline
        "opened": by_rule.total if by_rule.total_withheld else suppress_value(opened, threshold),
        "closed": by_outcome.total if by_outcome.total_withheld else suppress_value(closed, threshold),
        "open_at_end": suppress_value(breaches.get("open_at_end"), threshold),
    }


def headline_rows(
    ind: Mapping[str, Any], prev: Mapping[str, Any] | None, settings: Any, threshold: int
) -> list[HeadlineRow]:
    """The headline figures against targets and against the comparison period (labels from the metric dictionary)."""
    t = settings.targets
    trig = _triggers_by_id(ind)

    def status(trigger_id: str) -> str:
        found = trig.get(trigger_id)
        return status_text(bool(found["fired"])) if found is not None else NO_VALUE

    cur_b = breach_totals(ind, threshold)
    prev_b = breach_totals(prev, threshold) if prev else {}
    prev_total = _get(ind, "incidents.previous_total")
    if prev_total is None:
        prev_total = _get(prev, "incidents.total")
    removal_needed = _get(ind, "response.removal_needed") or 0

    def row(key: str, fmt, target: str, state: str, previous: str | None = None) -> HeadlineRow:
        return HeadlineRow(key, metric_label(key), fmt(_get(ind, key)),
                           previous if previous is not None else (fmt(_get(prev, key)) if prev else NO_VALUE),
                           target, state)

    return [
        row("incidents.total", fmt_count, f"Review if {t.incident_rise_min} or more and "
            f"{t.incident_rise_ratio:g} times last period", status("incident_rise"), fmt_count(prev_total)),
        row("incidents.significant", fmt_count, f"Review if {t.significant_incidents} or more",
            status("significant_incidents")),
        row("response.within_target_pct", fmt_pct,
            f"At least {t.removal_within_target_pct:g}% within {t.removal_hours:g} hours",
            status("removal_target") if removal_needed else NO_VALUE),
        row("response.median_hours", fmt_hours, NO_VALUE, NO_VALUE),
        row("response.still_visible", fmt_count, NO_VALUE, NO_VALUE),
        row("recirculation.wide_spread", fmt_count, "Review if 1 or more", status("recirculation")),
        row("acknowledgements.coverage_pct", fmt_pct, f"At least {t.acknowledgement_coverage_pct:g}%",
            status("acknowledgement_coverage")),
        HeadlineRow("breaches.opened", metric_label("breaches.opened"), cur_b["opened"],
                    prev_b.get("opened", NO_VALUE), NO_VALUE, NO_VALUE),
        HeadlineRow("breaches.closed", metric_label("breaches.closed"), cur_b["closed"],
                    prev_b.get("closed", NO_VALUE), NO_VALUE, NO_VALUE),
        HeadlineRow("review.next_due", metric_label("review.next_due"), fmt_date(_get(ind, "review.next_due")),
                    NO_VALUE, f"Every {settings.review_interval_months} months", status("annual_review_due")),
    ]


def headline_table(
    ind: Mapping[str, Any],
    prev: Mapping[str, Any] | None,
    settings: Any,
    threshold: int,
    *,
    this_label: str = "This period",
    previous_label: str = "Last period",
    table_id: str = "headline",
) -> Block:
    """The headline panel: figures against targets and against the comparison period."""
    rows = headline_rows(ind, prev, settings, threshold)
    frame = pd.DataFrame(
        {
            "Measure": [r.measure for r in rows],
            "current": [r.current for r in rows],
            "previous": [r.previous for r in rows],
            "Target": [r.target for r in rows],
            "Status": [r.status for r in rows],
        }
    )
    gt = _gt(frame, table_id, stub="Measure").cols_label(current=this_label, previous=previous_label)
    gt = gt.cols_align("right", columns=["current", "previous"])
    gt = _style_status(gt, "Status", frame["Status"].tolist())
    gt = gt.tab_source_note(
        f"▲ Review: outside the target, so the policy should be reviewed. ✔ OK: within the target. "
        f"– : no target, or nothing to measure. {suppression_note(threshold)}"
    )
    return table_html(gt)


# ---------------------------------------------------------------------------------------------
# Review triggers
# ---------------------------------------------------------------------------------------------


def trigger_table(
    triggers: Sequence[Mapping[str, Any]], *, table_id: str = "triggers", title: str | None = None,
    only_fired: bool = False,
) -> Block:
    """The review triggers as a traffic-light table with the reason for each."""
    chosen = [t for t in triggers if t.get("fired") or not only_fired]
    if not chosen:
        return note("No review trigger fired." if only_fired else "No review triggers were computed.", "empty")
    statuses = [status_text(bool(t.get("fired"))) for t in chosen]
    # Three columns, so that the reason (which states the value and the threshold) fits a phone's width.
    frame = pd.DataFrame(
        {
            "Check": [label("trigger", t.get("id")) for t in chosen],
            "Status": statuses,
            "Why": [str(t.get("reason") or NO_VALUE) for t in chosen],
        }
    )
    gt = _gt(frame, table_id, stub="Check")
    if title:
        gt = gt.tab_header(title=title)
    gt = _style_status(gt, "Status", statuses)
    gt = gt.tab_source_note("▲ Review: this check recommends reviewing the policy now. ✔ OK: it does not.")
    return table_html(gt)


def review_banner(ind: Mapping[str, Any]) -> Block:
    """One sentence: whether a policy review is recommended, with the checks that say so."""
    fired = [label("trigger", t["id"]) for t in ind.get("triggers", []) if t.get("fired")]
    if ind.get("review_recommended") or fired:
        text = f"{REVIEW}: a review of the policy is recommended ({'; '.join(fired)})."
        return Block(f'<p class="report-banner report-banner-review">{html.escape(text)}</p>')
    return Block(f'<p class="report-banner report-banner-ok">{html.escape(OK + ": no review trigger fired in this period.")}</p>')


# ---------------------------------------------------------------------------------------------
# Section tables
# ---------------------------------------------------------------------------------------------


def _compare_table(rows: Sequence[tuple[str, str, str]], table_id: str, this_label: str, previous_label: str,
                   *, title: str | None = None, source_note: str | None = None) -> Block:
    frame = pd.DataFrame({"Measure": [r[0] for r in rows], "current": [r[1] for r in rows],
                          "previous": [r[2] for r in rows]})
    gt = _gt(frame, table_id, stub="Measure").cols_label(current=this_label, previous=previous_label)
    gt = gt.cols_align("right", columns=["current", "previous"])
    if title:
        gt = gt.tab_header(title=title)
    if source_note:
        gt = gt.tab_source_note(source_note)
    return table_html(gt)


def incident_flags_table(ind: Mapping[str, Any], prev: Mapping[str, Any] | None, this_label: str,
                         previous_label: str, table_id: str = "incident-flags") -> Block:
    """Incidents: total, significant, safeguarding, police, submitted by pupils, by severity."""
    rows = [
        ("Incidents reported", fmt_count(_get(ind, "incidents.total")), fmt_count(_get(prev, "incidents.total"))),
        ("Significant incidents", fmt_count(_get(ind, "incidents.significant")), fmt_count(_get(prev, "incidents.significant"))),
        ("Raised a safeguarding concern", fmt_count(_get(ind, "incidents.safeguarding")), fmt_count(_get(prev, "incidents.safeguarding"))),
        ("Reported to the police", fmt_count(_get(ind, "incidents.police_referrals")), fmt_count(_get(prev, "incidents.police_referrals"))),
        ("Posted by a pupil", fmt_count(_get(ind, "incidents.pupil_submitted")), fmt_count(_get(prev, "incidents.pupil_submitted"))),
    ]
    sev = _get(ind, "incidents.by_severity") or {}
    psev = _get(prev, "incidents.by_severity") or {}
    for key in SEVERITY_LABELS:
        rows.append((f"Severity: {SEVERITY_LABELS[key].lower()}", fmt_count(sev.get(key, 0)), fmt_count(psev.get(key, 0)) if prev else NO_VALUE))
    return _compare_table(rows, table_id, this_label, previous_label)


def _metric_rows(ind: Mapping[str, Any], prev: Mapping[str, Any] | None,
                 rows: Sequence[tuple[str, Any]]) -> list[tuple[str, str, str]]:
    return [(metric_label(k), f(_get(ind, k)), f(_get(prev, k)) if prev else NO_VALUE) for k, f in rows]


def response_table(ind: Mapping[str, Any], prev: Mapping[str, Any] | None, settings: Any, this_label: str,
                   previous_label: str, table_id: str = "response") -> Block:
    """Response and visibility figures against the removal target."""
    h = settings.targets.removal_hours
    rows = [
        ("response.removal_needed", fmt_count),
        ("response.removed", fmt_count),
        ("response.within_target", fmt_count),
        ("response.within_target_pct", fmt_pct),
        ("response.still_visible", fmt_count),
        ("response.median_hours", fmt_hours),
        ("response.p90_hours", fmt_hours),
        ("visibility.median_hours", fmt_hours),
        ("visibility.p90_hours", fmt_hours),
        ("visibility.max_hours", fmt_hours),
    ]
    return _compare_table(_metric_rows(ind, prev, rows), table_id, this_label, previous_label,
                          source_note=f"Target: material removed within {h:g} hours of being reported. Hours "
                                      "visible count from when it was posted (or, if not known, reported). "
                                      "The 90th percentile is the time within which 9 in 10 were removed.")


def recirculation_table(ind: Mapping[str, Any], prev: Mapping[str, Any] | None, settings: Any, this_label: str,
                        previous_label: str, table_id: str = "recirculation") -> Block:
    """Recirculation: shares and spread across platforms."""
    t = settings.targets
    rows = [
        ("recirculation.total_shares", fmt_number),
        ("recirculation.median_shares", fmt_number),
        ("recirculation.p90_shares", fmt_number),
        ("recirculation.max_shares", fmt_number),
        ("recirculation.multi_platform", fmt_count),
        ("recirculation.wide_spread", fmt_count),
    ]
    return _compare_table(_metric_rows(ind, prev, rows), table_id, this_label, previous_label,
                          source_note=f"Widely spread: {t.wide_spread_shares} or more shares, or found on "
                                      f"{t.wide_spread_platforms} or more platforms. Shares count only incidents "
                                      "where the number of shares was recorded.")


def breaches_table(ind: Mapping[str, Any], prev: Mapping[str, Any] | None, threshold: int, this_label: str,
                   previous_label: str, table_id: str = "breaches") -> Block:
    """Breach investigations opened, closed and open at the end, and days to close (suppressed counts)."""
    cur, old = breach_totals(ind, threshold), (breach_totals(prev, threshold) if prev else {})
    rows = [
        (metric_label("breaches.opened"), cur["opened"], old.get("opened", NO_VALUE)),
        (metric_label("breaches.closed"), cur["closed"], old.get("closed", NO_VALUE)),
        (metric_label("breaches.open_at_end"), cur["open_at_end"], old.get("open_at_end", NO_VALUE)),
        (metric_label("breaches.median_days_to_close"), _days_if_safe(ind, threshold),
         _days_if_safe(prev, threshold) if prev else NO_VALUE),
    ]
    return _compare_table(rows, table_id, this_label, previous_label,
                          source_note=suppression_note(threshold) + " The typical time to close is withheld "
                                      "when fewer than that many investigations closed.")


def _days_if_safe(ind: Mapping[str, Any] | None, threshold: int) -> str:
    """Median days to close, withheld when fewer than N cases closed (a median of 1 or 2 cases is theirs)."""
    closed = _get(ind, "breaches.closed") or 0
    if 0 < closed < threshold:
        return SECONDARY
    return fmt_days(_get(ind, "breaches.median_days_to_close"))


def breakdown_table(
    counts: Mapping[str, Any],
    threshold: int,
    *,
    domain: str,
    heading: str,
    value_label: str,
    table_id: str,
    order: Sequence[str] | None = None,
    empty_text: str,
) -> Block:
    """A suppressed breakdown (breaches by outcome, by rule or by school) with its total."""
    counts = {k: v for k, v in (counts or {}).items() if v}
    if order:
        keys = [k for k in order if k in counts] + sorted(k for k in counts if k not in order)
    else:
        keys = sorted(counts, key=lambda k: (-int(counts[k]), label(domain, k)))
    ordered = {k: counts[k] for k in keys}
    result = suppress_table(ordered, threshold)
    if not ordered:
        return note(empty_text, "empty")
    if result.collapsed:
        return note(
            f"Fewer than {threshold} in total ({result.total}): not broken down by {heading.lower()}, "
            "to protect the colleagues involved.", "note")
    frame = pd.DataFrame({heading: [label(domain, k) for k in keys] + ["Total"],
                          "value": [result.cells[k] for k in keys] + [result.total]})
    gt = _gt(frame, table_id, stub=heading).cols_label(value=value_label).cols_align("right", columns="value")
    from great_tables import loc, style

    gt = gt.tab_style(style=style.text(weight="bold"), locations=loc.body(rows=[len(keys)]))
    gt = gt.tab_style(style=style.text(weight="bold"), locations=loc.stub(rows=[len(keys)]))
    gt = gt.tab_source_note(suppression_note(threshold))
    return table_html(gt)


def acknowledgement_table(ind: Mapping[str, Any], settings: Any, table_id: str = "acknowledgements") -> Block:
    """Acknowledgement coverage by staff group, with the target."""
    ack = ind.get("acknowledgements", {}) or {}
    groups = ack.get("by_group", {}) or {}
    keys = [g for g in GROUP_LABELS if g in groups] + sorted(g for g in groups if g not in GROUP_LABELS)
    target = settings.targets.acknowledgement_coverage_pct
    statuses = []
    for g in keys:
        pct = groups[g].get("coverage_pct")
        statuses.append(NO_VALUE if _missing(pct) else status_text(pct < target))
    total_pct = ack.get("coverage_pct")
    frame = pd.DataFrame(
        {
            "Staff group": [label("staff_group", g) for g in keys] + ["All staff"],
            "Staff in post": [fmt_count(groups[g].get("active_staff")) for g in keys] + [fmt_count(ack.get("active_staff"))],
            "Have read it": [fmt_count(groups[g].get("acknowledged")) for g in keys] + [fmt_count(ack.get("acknowledged"))],
            "Share": [fmt_pct(groups[g].get("coverage_pct")) for g in keys] + [fmt_pct(total_pct)],
            "Status": statuses + [NO_VALUE if _missing(total_pct) else status_text(total_pct < target)],
        }
    )
    gt = _gt(frame, table_id, stub="Staff group").cols_align("right", columns=["Staff in post", "Have read it", "Share"])
    gt = _style_status(gt, "Status", frame["Status"].tolist())
    from great_tables import loc, style

    gt = gt.tab_style(style=style.text(weight="bold"), locations=loc.body(rows=[len(keys)]))
    gt = gt.tab_source_note(
        f"Staff on the roster for policy version {settings.policy_version} and in post at the end of the period, "
        f"who had confirmed reading it by then. Target: at least {target:g}%.")
    return table_html(gt)


def data_table(ind: Mapping[str, Any], period_end: date, table_id: str = "data-freshness") -> Block:
    """Data freshness and rejected rows, per export."""
    data = ind.get("data", {}) or {}
    kinds = [k for k in KIND_LABELS if k in data]
    notes = []
    for k in kinds:
        last = to_datetime(data[k].get("last_loaded"))
        if last is None:
            notes.append("Never loaded")
        elif last.date() < period_end:
            notes.append(f"Loaded {fmt_days((period_end - last.date()).days)} before the period ended")
        else:
            notes.append("Loaded after the period ended")
    frame = pd.DataFrame(
        {
            "Export": [KIND_LABELS[k] for k in kinds],
            "Rows stored": [fmt_count(data[k].get("stored")) for k in kinds],
            "Rows rejected": [fmt_count(data[k].get("rejected")) for k in kinds],
            "Last loaded": [fmt_datetime(data[k].get("last_loaded")) for k in kinds],
            "Up to date?": notes,
        }
    )
    gt = _gt(frame, table_id, stub="Export").cols_align("right", columns=["Rows stored", "Rows rejected"])
    gt = gt.tab_source_note(
        "Rows rejected: rows of the exports that could not be read (a missing date, an unknown category, "
        "a repeated id...), over every load. HR can list each one with the rejects command. "
        "Figures cover only what had been loaded when this report was made.")
    return table_html(gt, wide=True)


def definitions_table(metrics: Iterable[Any], table_id: str = "definitions") -> Block:
    """The definitions appendix from the metric dictionary: each figure's label and definition."""
    rows = []
    for m in metrics:
        key = str(_attr(m, "key") or "")
        if key.startswith("period."):
            continue  # the period is given in words at the top of the report
        lbl, definition = _attr(m, "label"), _attr(m, "definition")
        if lbl and definition:
            rows.append((str(lbl), str(definition)))
    if not rows:
        return note("No definitions are available.", "empty")
    frame = pd.DataFrame({"Measure": [r[0] for r in rows], "What it means": [r[1] for r in rows]})
    gt = _gt(frame, table_id, stub="Measure").fmt_markdown(columns="What it means")
    gt = gt.tab_source_note("Names in code type are the columns of the exports and the keys of the settings file.")
    return table_html(gt)


def _attr(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, Mapping) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return None


# ---------------------------------------------------------------------------------------------
# Per-school and term-by-term tables
# ---------------------------------------------------------------------------------------------


def schools_table(per_school: Mapping[str, Mapping[str, Any]], org: Mapping[str, Any], threshold: int,
                  table_id: str = "schools") -> Block:
    """One row per school: incidents, removal within target, coverage, breaches opened (suppressed), review."""
    names = list(per_school)
    opened = suppress_table({n: _get(per_school[n], "breaches.opened") or 0 for n in names}, threshold)
    review = [status_text(bool(per_school[n].get("review_recommended"))) for n in names]
    breach_cells = [SECONDARY if opened.collapsed else opened.cells[n] for n in names]
    frame = pd.DataFrame(
        {
            "School": names + ["All schools"],
            "Incidents": [fmt_count(_get(per_school[n], "incidents.total")) for n in names] + [fmt_count(_get(org, "incidents.total"))],
            "Significant": [fmt_count(_get(per_school[n], "incidents.significant")) for n in names] + [fmt_count(_get(org, "incidents.significant"))],
            "Removed in time": [fmt_pct(_get(per_school[n], "response.within_target_pct")) for n in names] + [fmt_pct(_get(org, "response.within_target_pct"))],
            "Read the policy": [fmt_pct(_get(per_school[n], "acknowledgements.coverage_pct")) for n in names] + [fmt_pct(_get(org, "acknowledgements.coverage_pct"))],
            "Breaches opened": breach_cells + [opened.total],
            "Review": review + [status_text(bool(org.get("review_recommended")))],
        }
    )
    gt = _gt(frame, table_id, stub="School").cols_align(
        "right", columns=["Incidents", "Significant", "Removed in time", "Read the policy", "Breaches opened"])
    gt = _style_status(gt, "Review", frame["Review"].tolist())
    gt = gt.tab_source_note("Removed in time: share of incidents needing removal that were removed within the target. "
                            "Read the policy: share of staff in post who have confirmed reading the current version. "
                            + suppression_note(threshold))
    return table_html(gt, wide=True)


ORGANISATION_WIDE_TRIGGERS = ("annual_review_due", "review_events")  # the same for every school


def school_trigger_matrix(per_school: Mapping[str, Mapping[str, Any]], table_id: str = "school-triggers") -> Block:
    """Schools down, review checks across: a traffic light (symbol, word and colour) in each cell."""
    names = list(per_school)
    if not names:
        return note("No school has any data yet.", "empty")
    ids = [t["id"] for t in per_school[names[0]]["triggers"]]
    columns: dict[str, list[str]] = {"School": names}
    for tid in ids:
        columns[tid] = [status_text(bool(_triggers_by_id(per_school[n]).get(tid, {}).get("fired"))) for n in names]
    frame = pd.DataFrame(columns)
    gt = _gt(frame, table_id, stub="School").cols_label(**{tid: label("trigger", tid) for tid in ids})
    for tid in ids:
        gt = _style_status(gt, tid, columns[tid])
    gt = gt.tab_source_note("▲ Review: the check recommends reviewing the policy for that school. ✔ OK: it does not. "
                            "The yearly review and the changes in law and guidance are the same for every school.")
    return table_html(gt, wide=True)


def school_reasons(ind: Mapping[str, Any]) -> list[str]:
    """The reasons of one school's fired checks, leaving out the organisation-wide ones."""
    return [f"{label('trigger', t['id'])}: {t.get('reason')}" for t in ind.get("triggers", [])
            if t.get("fired") and t.get("id") not in ORGANISATION_WIDE_TRIGGERS]


def term_table(terms: Sequence[tuple[str, Mapping[str, Any]]], year: Mapping[str, Any],
               previous_year: Mapping[str, Any] | None, threshold: int, year_label: str,
               previous_year_label: str, table_id: str = "terms") -> Block:
    """Term by term across the year, the year's total and the year before (breach counts suppressed)."""
    names = [name for name, _ in terms]
    opened = suppress_table({n: _get(ind, "breaches.opened") or 0 for n, ind in terms}, threshold)
    closed = suppress_table({n: _get(ind, "breaches.closed") or 0 for n, ind in terms}, threshold)
    year_b = breach_totals(year, threshold)
    prev_b = breach_totals(previous_year, threshold) if previous_year else {}

    def col(path: str, f) -> list[str]:
        return [f(_get(ind, path)) for _, ind in terms] + [f(_get(year, path)), f(_get(previous_year, path)) if previous_year else NO_VALUE]

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
    gt = _gt(frame, table_id, stub="Period").cols_align("right", columns=list(frame.columns[1:]))
    from great_tables import loc, style

    gt = gt.tab_style(style=style.text(weight="bold"), locations=loc.body(rows=[len(names)]))
    gt = gt.tab_source_note("Removed in time: share of incidents needing removal that were removed within the target. "
                            + suppression_note(threshold))
    return table_html(gt, wide=True)


def events_table(events: Sequence[Any], cited: Sequence[Mapping[str, str]] = (),
                 table_id: str = "review-events") -> Block:
    """The review-events register rows: date, kind, what changed, the cited act it bears on, and its source."""
    if not events:
        return note("No changes in law, guidance or case law are recorded since the last review.", "empty")
    columns = {
        "Date": [fmt_date(_attr(e, "date")) for e in events],
        "Kind": [label("event_kind", _attr(e, "kind")) for e in events],
        "What changed": [str(_attr(e, "title")) for e in events],
    }
    if cited:
        columns["Act cited in the policy"] = [", ".join(cited_acts_for(e, cited)) or "None: not cited" for e in events]
    columns["Source"] = [_source_link(_attr(e, "source")) for e in events]
    gt = _gt(pd.DataFrame(columns), table_id).fmt_markdown(columns="Source")
    return table_html(gt, wide=True)


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
    gt = _gt(frame, table_id, stub="Cited in the policy as")
    return table_html(gt, wide=True)


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
    title = str(_attr(event, "title") or "").lower()
    return [c.get("cited_as", "") for c in cited
            if any(w in title and (not y or y in title) for w, y in _act_keys(c))]


# ---------------------------------------------------------------------------------------------
# Points for the review (annual report)
# ---------------------------------------------------------------------------------------------


def review_points(
    ind: Mapping[str, Any],
    settings: Any,
    cited: Sequence[Mapping[str, str]],
    events: Sequence[Any],
    previous_year: Mapping[str, Any] | None = None,
) -> list[str]:
    """Points for HR to consider in the policy review, from the triggers, the register and the data."""
    points: list[str] = []
    trig = _triggers_by_id(ind)
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
        what = f"{_attr(e, 'title')} ({label('event_kind', _attr(e, 'kind')).lower()}, {fmt_date(_attr(e, 'date'))})"
        if acts:
            points.append(f"Check what the policy says under the {', '.join(acts)} against: {what}.")
        else:
            points.append(f"The policy cites nothing this bears on; consider whether it should: {what}.")
    t = settings.targets
    if trig.get("removal_target", {}).get("fired"):
        points.append(
            f"Removal within {t.removal_hours:g} hours was {fmt_pct(_get(ind, 'response.within_target_pct'))}, "
            f"below the {t.removal_within_target_pct:g}% target: check the steps and contacts for asking hosts to "
            "remove material, and when to escalate to the ISP.")
    if trig.get("acknowledgement_coverage", {}).get("fired"):
        points.append(
            f"Only {fmt_pct(_get(ind, 'acknowledgements.coverage_pct'))} of staff in post have confirmed reading the "
            f"current policy (target {t.acknowledgement_coverage_pct:g}%): plan how the reviewed policy will be "
            "shared and acknowledged, including by governors, volunteers and contractors.")
    if trig.get("significant_incidents", {}).get("fired"):
        points.append(
            f"{fmt_count(_get(ind, 'incidents.significant'))} significant incidents were reported: the policy asks "
            "for a review after significant incidents; look at what they had in common.")
    if trig.get("recirculation", {}).get("fired"):
        points.append(
            f"{fmt_count(_get(ind, 'recirculation.wide_spread'))} incidents were widely shared: consider guidance on "
            "recirculation across platforms and on supporting staff while material stays visible.")
    if trig.get("incident_rise", {}).get("fired"):
        points.append("Incidents rose sharply on the period before: consider what changed and whether the policy covers it.")
    by_cat = _get(ind, "incidents.by_category") or {}
    if by_cat:
        top = max(by_cat, key=lambda k: (by_cat[k], k))
        points.append(f"The commonest kind of incident was \u201c{label('category', top)}\u201d ({fmt_count(by_cat[top])}): "
                      "check the policy's examples and guidance cover it.")
    return points


# ---------------------------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------------------------

PLOTLY_CONFIG = {
    "displayModeBar": False,   # no toolbar: governors read, print and email these, they do not zoom
    "responsive": True,
    "scrollZoom": False,
    "doubleClick": False,
    "showTips": False,
}


class Chart:
    """A plotly chart for a report: HTML with no plotly.js of its own (`plotly_js` loads it once),
    plus plotly's own JSON so JupyterLab can draw it in the executed notebook."""

    def __init__(self, figure: Any, chart_id: str, height: int = 380) -> None:
        self.figure = figure
        self.chart_id = chart_id
        self.height = height

    def to_html(self) -> str:
        inner = self.figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=self.chart_id,
            config=PLOTLY_CONFIG,
            default_width="100%",
            default_height=f"{self.height}px",
        )
        return f'<figure class="report-chart" data-chart="{html.escape(self.chart_id)}">{inner}</figure>'

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {
            "text/html": self.to_html(),
            "application/vnd.plotly.v1+json": json.loads(self.figure.to_json()),
            "text/plain": f"<chart {self.chart_id}>",
        }


def plotly_js() -> Block:
    """plotly.js itself, inline, once per report: charts then draw with no network at all."""
    from plotly.offline import get_plotlyjs

    return Block(f'<script type="text/javascript">{get_plotlyjs()}</script>')


TITLE_CHARS = 38  # about what fits across a phone at the title's size; plotly does not wrap titles itself


def _layout(fig: Any, title: str, x_title: str, y_title: str, height: int, *, legend: bool = False) -> Any:
    fig.update_layout(
        title={"text": _wrap(title, TITLE_CHARS), "x": 0, "xanchor": "left", "font": {"size": 16}},
        xaxis_title=x_title,
        yaxis_title=y_title,
        template="simple_white",
        font={"family": FONT, "size": 13, "color": "#222"},
        height=height,
        margin={"l": 10, "r": 20, "t": 60, "b": 50},
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        dragmode=False,
        hovermode="closest",
    )
    fig.update_xaxes(automargin=True, fixedrange=True)
    fig.update_yaxes(automargin=True, fixedrange=True)
    return fig


def _count_ticks(largest: float) -> dict[str, Any]:
    """Axis settings for whole counts: ticks at whole numbers (never 0, 0.5, 1 shown as 0, 1, 1)."""
    if largest <= 10:
        return {"tickformat": "d", "tick0": 0, "dtick": 1, "rangemode": "tozero"}
    if largest <= 20:
        return {"tickformat": "d", "tick0": 0, "dtick": 2, "rangemode": "tozero"}
    return {"tickformat": "d", "rangemode": "tozero"}


def _wrap(text: str, width: int = 22) -> str:
    """Break a long label over lines (plotly does not wrap) so it fits a phone."""
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    if line:
        lines.append(line)
    return "<br>".join(lines)


def bar_chart(counts: Mapping[str, Any], *, domain: str | None, title: str, value_title: str, category_title: str,
              chart_id: str, empty_text: str) -> Chart | Block:
    """A horizontal bar chart of counts, largest first; a note instead when there is nothing to draw."""
    import plotly.graph_objects as go

    items = [(k, int(v)) for k, v in (counts or {}).items() if v]
    if not items:
        return note(empty_text, "empty")
    items.sort(key=lambda kv: (kv[1], label(domain, kv[0]) if domain else kv[0]))  # plotly draws bottom-up
    names = [label(domain, k) if domain else str(k) for k, _ in items]
    fig = go.Figure(go.Bar(
        x=[v for _, v in items], y=[_wrap(n) for n in names], orientation="h", marker_color=BLUE,
        text=[str(v) for _, v in items], textposition="auto", customdata=names,
        hovertemplate="%{customdata}: %{x}<extra></extra>",
    ))
    height = max(220, 90 + 34 * len(items) + 14 * sum(n.count("<br>") for n in map(_wrap, names)))
    _layout(fig, title, value_title, category_title, height)
    fig.update_xaxes(**_count_ticks(max(v for _, v in items)))
    return Chart(fig, chart_id, height)


def month_chart(months: Sequence[tuple[date, int]], *, chart_id: str, title: str = "Incidents reported by month",
                empty_text: str = "No incidents were reported in this period.") -> Chart | Block:
    """Incidents by month of report (every month of the period, zeros included)."""
    import plotly.graph_objects as go

    if not months or not any(n for _, n in months):
        return note(empty_text, "empty")
    fig = go.Figure(go.Bar(
        x=[fmt_month(m) for m, _ in months], y=[n for _, n in months], marker_color=BLUE,
        text=[str(n) for _, n in months], textposition="auto",
        hovertemplate="%{x}: %{y} incidents<extra></extra>",
    ))
    _layout(fig, title, "Month reported", "Incidents reported", 340)
    fig.update_yaxes(**_count_ticks(max(n for _, n in months)))
    fig.update_xaxes(type="category")
    return Chart(fig, chart_id, 340)


HOUR_BANDS: tuple[tuple[str, float, float], ...] = (
    ("Under 6 hours", 0, 6),
    ("6 to 12 hours", 6, 12),
    ("12 to 24 hours", 12, 24),
    ("1 to 2 days", 24, 48),
    ("2 to 7 days", 48, 168),
    ("Over 7 days", 168, math.inf),
)


def hour_bands(hours: Iterable[float | None], target_hours: float) -> list[tuple[str, int, bool]]:
    """Counts in the HOUR_BANDS (0 < h <= upper, the first band from 0): (band, count, within target)."""
    values = [float(h) for h in hours if not _missing(h)]
    out = []
    for name, lo, hi in HOUR_BANDS:
        n = sum(1 for h in values if (lo < h <= hi) or (lo == 0 and h == 0))
        out.append((name, n, hi <= target_hours))
    return out


def response_chart(response_hours: Sequence[float | None], visible_hours: Sequence[float | None],
                   still_visible: int, target_hours: float, *, chart_id: str) -> Chart | Block:
    """Time from report to removal and time visible online, in bands, against the target (horizontal bars, so
    the band names stay readable on a phone)."""
    import plotly.graph_objects as go

    if not [h for h in response_hours if not _missing(h)] and not still_visible:
        return note("No material needed removing in this period.", "empty")
    resp = hour_bands(response_hours, target_hours)
    vis = hour_bands(visible_hours, target_hours)
    bands = [b for b, _, _ in resp] + ["Not yet removed"]
    over = [not ok for _, _, ok in resp] + [True]
    fig = go.Figure()
    for name, counts, colour in (
        ("Visible online (from posting)", [n for _, n, _ in vis] + [still_visible], LIGHT_BLUE),
        ("Report to removal", [n for _, n, _ in resp] + [still_visible], BLUE),
    ):
        fig.add_trace(go.Bar(
            name=name, y=bands, x=counts, orientation="h", marker_color=colour, marker_line_color=BLUE,
            marker_line_width=1, marker_pattern_shape=["/" if o else "" for o in over],
            text=[str(n) for n in counts], textposition="outside", cliponaxis=False,
            hovertemplate=f"{name}, %{{y}}: %{{x}}<extra></extra>",
        ))
    within = sum(1 for _, _, hi in HOUR_BANDS if hi <= target_hours)
    # The target line, named in the legend (an annotation would collide with bar labels on a phone).
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=f"{target_hours:g}-hour target",
                             line={"color": ORANGE, "width": 2, "dash": "dash"}, hoverinfo="skip"))
    _layout(fig, f"Removal against the {target_hours:g}-hour target", "Incidents", "Time taken", 480,
            legend=True)
    fig.update_layout(
        barmode="group", bargap=0.25,
        margin={"l": 10, "r": 30, "t": 110, "b": 50},
        title={"y": 0.97, "yanchor": "top"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(**_count_ticks(max([n for _, n, _ in resp] + [n for _, n, _ in vis] + [still_visible])))
    # the target falls between the last band within it and the first band over it
    fig.add_shape(type="line", xref="paper", yref="y", x0=0, x1=1, y0=within - 0.5, y1=within - 0.5,
                  line={"color": ORANGE, "width": 2, "dash": "dash"})
    return Chart(fig, chart_id, 460)


def coverage_chart(ind: Mapping[str, Any], target_pct: float, *, chart_id: str) -> Chart | Block:
    """Acknowledgement coverage by staff group against the target."""
    import plotly.graph_objects as go

    groups = _get(ind, "acknowledgements.by_group") or {}
    keys = [g for g in GROUP_LABELS if g in groups and not _missing(groups[g].get("coverage_pct"))]
    keys += sorted(g for g in groups if g not in GROUP_LABELS and not _missing(groups[g].get("coverage_pct")))
    if not keys:
        return note("No staff on the roster for the current policy were in post at the end of the period.", "empty")
    keys = list(reversed(keys))  # plotly draws bottom-up: keep the table's order top-down
    pcts = [float(groups[g]["coverage_pct"]) for g in keys]
    below = [p < target_pct for p in pcts]
    fig = go.Figure(go.Bar(
        x=pcts, y=[label("staff_group", g) for g in keys], orientation="h",
        marker_color=[ORANGE if b else BLUE for b in below],
        marker_pattern_shape=["/" if b else "" for b in below],
        text=[f"{fmt_pct(p)}{' ▲' if b else ''}" for p, b in zip(pcts, below)], textposition="auto",
        customdata=[[groups[g].get("acknowledged"), groups[g].get("active_staff")] for g in keys],
        hovertemplate="%{y}: %{x:.1f}% (%{customdata[0]} of %{customdata[1]})<extra></extra>",
    ))
    height = max(240, 100 + 40 * len(keys))
    _layout(fig, "Staff who have read the current policy", "Confirmed reading it (%)",
            "Staff group", height)
    fig.update_xaxes(range=[0, 105], ticksuffix="%")
    fig.add_shape(type="line", xref="x", yref="paper", x0=target_pct, x1=target_pct, y0=0, y1=1,
                  line={"color": "#222", "width": 2, "dash": "dash"})
    fig.add_annotation(x=target_pct, y=1.0, yref="paper", text=f"Target {target_pct:g}%", showarrow=False,
                       xanchor="right", yanchor="bottom", font={"size": 12})
    return Chart(fig, chart_id, height)


def term_chart(terms: Sequence[tuple[str, int]], previous_terms: Sequence[tuple[str, int]], year_label: str,
               previous_year_label: str, *, chart_id: str) -> Chart | Block:
    """Incidents per term this year against the same terms of the year before."""
    import plotly.graph_objects as go

    if not any(n for _, n in terms) and not any(n for _, n in previous_terms):
        return note("No incidents were reported in this year or the year before.", "empty")
    names = [n for n, _ in terms]
    fig = go.Figure()
    fig.add_trace(go.Bar(name=f"{previous_year_label}", x=names, y=[n for _, n in previous_terms],
                         marker_color=LIGHT_BLUE, marker_line_color=BLUE, marker_line_width=1,
                         marker_pattern_shape="/", text=[str(n) for _, n in previous_terms], textposition="outside",
                         hovertemplate=f"{previous_year_label}, %{{x}}: %{{y}}<extra></extra>"))
    fig.add_trace(go.Bar(name=f"{year_label}", x=names, y=[n for _, n in terms], marker_color=BLUE,
                         text=[str(n) for _, n in terms], textposition="outside",
                         hovertemplate=f"{year_label}, %{{x}}: %{{y}}<extra></extra>"))
    _layout(fig, "Incidents per term, this year and last", "Term", "Incidents reported", 380, legend=True)
    fig.update_layout(barmode="group", margin={"l": 10, "r": 20, "t": 90, "b": 50},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
    fig.update_yaxes(**_count_ticks(max([n for _, n in terms] + [n for _, n in previous_terms])))
    return Chart(fig, chart_id, 380)


def slug(text: str) -> str:
    """A lower-case id fragment from a name ('Riverside Academy' -> 'riverside-academy')."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


# ---------------------------------------------------------------------------------------------
# Report sections: what the notebooks display, one call per section
# ---------------------------------------------------------------------------------------------


def show(*items: Any) -> None:
    """Display each item (a Block, a Chart, or a list of them) as its own notebook output."""
    from IPython.display import display

    for item in items:
        if isinstance(item, (list, tuple)):
            show(*item)
        elif item is not None:
            display(item)


def heading(text: str, level: int = 2, anchor: str | None = None, intro: str | None = None) -> Block:
    """A section heading (with an anchor the contents list links to) and its introduction, kept on the
    same printed page as what follows."""
    ident = f' id="section-{html.escape(anchor)}"' if anchor else ""
    lead = f'<p class="report-note">{html.escape(intro)}</p>' if intro else ""
    return Block(f'<div class="report-keep-with-next"><h{level}{ident}>{html.escape(text)}</h{level}>{lead}</div>')


def _period_words(period: Any) -> str:
    return f"{period.title} ({fmt_date(period.start)} to {fmt_date(period.end)})"


SECTIONS_TERMLY = (
    ("glance", "At a glance"),
    ("triggers", "Review triggers"),
    ("incidents", "Incidents"),
    ("response", "Removal and visibility"),
    ("recirculation", "Recirculation"),
    ("breaches", "Breach investigations"),
    ("acknowledgements", "Staff who have read the policy"),
    ("schools", "Schools"),
    ("data", "About the data"),
    ("definitions", "Definitions"),
)
SECTIONS_ANNUAL = (
    ("glance", "At a glance"),
    ("triggers", "Review triggers"),
    ("terms", "Term by term"),
    ("changes", "Changes since the last review"),
    ("points", "Points for the review"),
    ("incidents", "Incidents"),
    ("response", "Removal and visibility"),
    ("recirculation", "Recirculation"),
    ("breaches", "Breach investigations"),
    ("acknowledgements", "Staff who have read the policy"),
    ("schools", "Schools"),
    ("data", "About the data"),
    ("definitions", "Definitions"),
)


def _sections(data: Any) -> list[tuple[str, str]]:
    chosen = SECTIONS_ANNUAL if data.kind == "annual" else SECTIONS_TERMLY
    return [(a, t) for a, t in chosen if a != "schools" or (data.school is None and data.schools)]


def _title_of(data: Any) -> str:
    what = "Annual policy review report" if data.kind == "annual" else "Termly governor report"
    return f"{what}: staff social media policy"


def title_section(data: Any) -> Block:
    """The report's title, scope, period, when it was made, the review verdict and a contents list."""
    contents = "".join(f'<li><a href="#section-{a}">{html.escape(t)}</a></li>' for a, t in _sections(data))
    verdict = review_banner(data.ind).html
    parts = [
        f'<header class="report-header"><p class="report-kicker">{html.escape(data.settings.organisation_name)}</p>',
        f"<h1>{html.escape(_title_of(data))}</h1>",
        f'<p class="report-scope"><strong>{html.escape(data.scope)}</strong> &middot; '
        f"{html.escape(_period_words(data.period))}</p>",
        f'<p class="report-meta">Compared with {html.escape(_period_words(data.previous))}. '
        f"Made on {html.escape(fmt_datetime(data.generated_at))} from the data loaded by then. "
        "No names, staff references, case numbers or free text appear in this report.</p></header>",
        verdict,
        f'<nav class="report-contents"><p>Contents</p><ol>{contents}</ol></nav>',
    ]
    if data.no_incidents:
        parts.append(note(f"No incidents were reported in this {_unit(data)}.", "empty").html)
    return Block("".join(parts))


def _unit(data: Any) -> str:
    return {"term": "term", "year": "year"}.get(data.period.kind, "period")


def glance_section(data: Any) -> list[Any]:
    return [
        heading("At a glance", anchor="glance"),
        headline_table(data.ind, data.prev, data.settings, data.threshold, this_label=data.this_label,
                       previous_label=data.previous_label),
    ]


def triggers_section(data: Any) -> list[Any]:
    intro = ("The policy says it is reviewed every year and whenever law, guidance or case law changes, "
             "or a significant incident is reported. Each check below compares this "
             f"{_unit(data)} with those reasons.")
    items = [heading("Review triggers", anchor="triggers", intro=intro), trigger_table(data.ind["triggers"])]
    if data.kind == "annual":
        fired = [t for t in data.ind["triggers"] if t.get("fired")]
        items.append(heading("Evidence for each trigger that fired", 3))
        items.append(bullet_list([f"{label('trigger', t['id'])}: {t.get('reason')}" for t in fired]
                                 or ["No trigger fired this year."]))
    return items


def incidents_section(data: Any) -> list[Any]:
    inc = data.ind["incidents"]
    items: list[Any] = [heading("Incidents", anchor="incidents")]
    if data.no_incidents:
        items.append(note(f"No incidents were reported in this {_unit(data)}, so there are no charts of incidents.",
                          "empty"))
    items.append(incident_flags_table(data.ind, data.prev, data.this_label, data.previous_label))
    if not data.no_incidents:
        items.append(bar_chart(inc.get("by_category", {}), domain="category",
                               title="Incidents by type of content or risk", value_title="Incidents reported",
                               category_title="Type", chart_id="chart-category",
                               empty_text="No incidents were reported."))
        items.append(bar_chart(inc.get("by_platform", {}), domain=None, title="Incidents by platform",
                               value_title="Incidents reported", category_title="Where it was found",
                               chart_id="chart-platform", empty_text="No incidents were reported."))
        items.append(month_chart(data.months, chart_id="chart-month"))
    return items


def response_section(data: Any) -> list[Any]:
    h = data.settings.targets.removal_hours
    intro = (f"The policy asks hosts to remove or amend material \u201cas a matter of urgency, i.e. within "
             f"{h:g} hours\u201d. The chart shows how long removal took after the report, and how long the "
             "material had been visible online in all.")
    items: list[Any] = [heading(f"Removal and visibility against the {h:g}-hour target", anchor="response", intro=intro)]
    if data.ind["response"]["removal_needed"]:
        items.append(response_chart(data.response_hours, data.visible_hours, data.ind["response"]["still_visible"],
                                    h, chart_id="chart-response"))
        items.append(note(f"Hatched bars are over the {h:g}-hour target. \u201cNot yet removed\u201d counts material "
                          "that needed removing and was still visible when the data was loaded."))
    else:
        items.append(note(f"No material needed removing in this {_unit(data)}.", "empty"))
    items.append(response_table(data.ind, data.prev, data.settings, data.this_label, data.previous_label))
    return items


def recirculation_section(data: Any) -> list[Any]:
    intro = "How far material spread: shares seen and the number of platforms it was found on."
    return [heading("Recirculation", anchor="recirculation", intro=intro),
            recirculation_table(data.ind, data.prev, data.settings, data.this_label, data.previous_label)]


def breaches_section(data: Any) -> list[Any]:
    b, n, unit = data.ind["breaches"], data.threshold, _unit(data)
    intro = ("Investigations of suspected breaches of the policy by staff. Small numbers are hidden so that no "
             "colleague can be identified.")
    return [
        heading("Breach investigations", anchor="breaches", intro=intro),
        breaches_table(data.ind, data.prev, n, data.this_label, data.previous_label),
        heading("Outcomes of investigations closed", 3),
        breakdown_table(b.get("by_outcome", {}), n, domain="outcome", heading="Outcome", value_label="Closed",
                        table_id="breach-outcomes", order=list(OUTCOME_LABELS),
                        empty_text=f"No investigations were closed in this {unit}."),
        heading("What the investigations opened were about", 3),
        breakdown_table(b.get("by_rule", {}), n, domain="rule", heading="Rule", value_label="Opened",
                        table_id="breach-rules", empty_text=f"No investigations were opened in this {unit}."),
    ]


def acknowledgements_section(data: Any) -> list[Any]:
    intro = (f"Staff in post at the end of the {_unit(data)} who had confirmed reading policy version "
             f"{data.settings.policy_version}, by staff group.")
    return [
        heading("Staff who have read the policy", anchor="acknowledgements", intro=intro),
        coverage_chart(data.ind, data.settings.targets.acknowledgement_coverage_pct, chart_id="chart-coverage"),
        acknowledgement_table(data.ind, data.settings),
    ]


def schools_section(data: Any) -> list[Any]:
    """The organisation report's per-school section: a summary table, incidents by school, each school's triggers."""
    if data.school is not None or not data.schools:
        return []
    intro = "Each school's own figures. Small numbers of breach investigations are hidden."
    items: list[Any] = [heading("Schools", anchor="schools", intro=intro),
                        schools_table(data.per_school, data.ind, data.threshold)]
    if not data.no_incidents:
        items.append(bar_chart(data.ind["incidents"].get("by_school", {}), domain=None, title="Incidents by school",
                               value_title="Incidents reported", category_title="School", chart_id="chart-school",
                               empty_text="No incidents were reported."))
    items.append(heading("Review checks by school", 3))
    items.append(school_trigger_matrix(data.per_school))
    for name in data.schools:
        ind = data.per_school[name]
        reasons = school_reasons(ind)
        summary = f"{fmt_count(ind['incidents']['total'])} incidents reported."
        items.append(heading(name, 4, intro=summary))
        items.append(bullet_list(reasons) if reasons else
                     note("No check particular to this school recommends a review.", "note"))
    return items


def data_section(data: Any) -> list[Any]:
    intro = ("When each export was last loaded, and how many of its rows could not be read. Rows that could not be "
             "read are left out of every figure.")
    return [heading("About the data", anchor="data", intro=intro), data_table(data.ind, data.period.end)]


def definitions_section(data: Any) -> list[Any]:
    intro = "Every figure in this report, as the metric dictionary defines it."
    return [heading("Definitions", anchor="definitions", intro=intro), definitions_table(_metrics.METRICS)]


def terms_section(data: Any) -> list[Any]:
    """The annual report's term-by-term view, against the year before."""
    if data.kind != "annual":
        return []
    names = [p.title.split(" term")[0] for p, _ in data.terms]
    current = [(name, ind) for name, (_, ind) in zip(names, data.terms)]
    intro = f"Each term of {data.period.label}, the year as a whole, and the year before ({data.previous.label})."
    return [
        heading("Term by term", anchor="terms", intro=intro),
        term_table(current, data.ind, data.prev, data.threshold, data.period.label, data.previous.label),
        term_chart([(n, ind["incidents"]["total"]) for n, ind in current],
                   [(n, ind["incidents"]["total"]) for n, (_, ind) in zip(names, data.previous_terms)],
                   data.period.label, data.previous.label, chart_id="chart-terms"),
    ]


def changes_section(data: Any) -> list[Any]:
    """Changes in law, guidance and case law since the last review, against the legislation the policy cites."""
    if data.kind != "annual":
        return []
    intro = (f"Changes recorded in the review-events register after the last review "
             f"({fmt_date(data.settings.last_reviewed)}) and by {fmt_date(data.period.end)}.")
    return [
        heading("Changes since the last review", anchor="changes", intro=intro),
        events_table(data.events, data.cited),
        heading("The legislation the policy cites", 3,
                intro="What each act the policy cites is called now, and how many of the changes above bear on it."),
        legislation_table(data.cited, data.events),
    ]


def points_section(data: Any) -> list[Any]:
    if data.kind != "annual":
        return []
    intro = "For HR to consider when reviewing the policy, drawn from the checks, the register and the figures."
    return [heading("Points for the review", anchor="points", intro=intro),
            bullet_list(review_points(data.ind, data.settings, data.cited, data.events, data.prev))]
