"""The governor reports' tables (great_tables): the headline panel, review triggers, each section's
figures and the per-school tables.

Each function takes the indicator dictionaries of docs/reference/indicators.md and returns a `Block` of HTML, so it
can be unit-tested without a kernel. Breach counts and small staff groups are published through
`suppression`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from policy_analytics.reports.formats import (
    KIND_LABELS, NO_VALUE, OK, REVIEW, SEVERITY_LABELS, attr_or_key, fmt_count, fmt_date, fmt_datetime, fmt_days,
    fmt_hours, fmt_number, fmt_pct, is_missing, label, metric_label, staff_groups_in_order, status_text, to_datetime,
    trigger_label, trigger_status, triggers_by_id, value_at,
)
from policy_analytics.reports.markup import (
    FONT, OK_FILL, OK_TEXT, REVIEW_FILL, REVIEW_TEXT, Block, note, visually_hidden,
)
from policy_analytics.reports.plan import NOT_PUBLISHED, ORGANISATION, ROWS, STORED, TOTAL, ReportView
from policy_analytics.reports.suppression import (
    SECONDARY, breach_totals, days_to_close, group_suppression_note, suppress_table, suppress_value,
    WithheldGroups, school_suppression_note, suppression_note, withheld_groups, withheld_schools,
    published_breaches, withhold_groups, withhold_schools,  # noqa: F401  (the tables' rules, as tests name them)
)


# ---------------------------------------------------------------------------------------------
# great_tables helpers
# ---------------------------------------------------------------------------------------------


def table_html(table: Any, *, caption: str, wide: bool = False) -> Block:
    """A great_tables table as a Block, with a caption for screen readers (the heading above it shows the same).
    A `wide` one keeps a readable width on a phone and scrolls sideways in a box that takes keyboard focus,
    named by the caption, so it can be scrolled without a mouse."""
    markup = re.sub(r'(<table class="gt_table"[^>]*>)', lambda m: f'{m.group(1)}<caption class="report-visually-hidden">'
                    f"{html.escape(caption)}</caption>", table.as_raw_html(), count=1)
    if wide:
        return Block(f'<div class="report-table report-table-wide" role="region" tabindex="0" '
                     f'aria-label="{html.escape(caption)}">{markup}</div>')
    return Block(f'<div class="report-table">{markup}</div>')


def gt_table(frame: pd.DataFrame, table_id: str, *, stub: str | None = None) -> Any:
    """A great_tables table with the reports' common look (no web fonts, compact, full width); the `stub`
    column's header (the corner cell) is named for screen readers and left blank on the page."""
    from great_tables import GT, html as gt_html

    gt = GT(frame, rowname_col=stub, id=table_id)
    if stub:
        gt = gt.tab_stubhead(label=gt_html(visually_hidden(stub)))
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


def style_status(gt: Any, column: str, values: Sequence[str]) -> Any:
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


def headline_rows(
    ind: Mapping[str, Any], prev: Mapping[str, Any] | None, settings: Any, threshold: int,
    view: ReportView | None = None,
) -> list[HeadlineRow]:
    """The headline figures against targets and against the comparison period (labels from the metric dictionary);
    with a publication plan's VIEW, its protected counts as the plan prints them."""
    t = settings.targets
    trig = triggers_by_id(ind)

    def status(trigger_id: str) -> str:
        return trigger_status(trig.get(trigger_id))

    cur_b, prev_b = published_breaches(ind, prev, threshold, view)
    hide_coverage = view is not None and not view.share_shown()
    # last period's share only where this period's is shown too: last year's reports, which withheld a small
    # school's groups, may have withheld it (this year's plan does not decide them)
    hide_previous = hide_coverage or (view is not None and not view.share_shown(label=view.previous))
    prev_total = value_at(ind, "incidents.previous_total")
    if prev_total is None:
        prev_total = value_at(prev, "incidents.total")
    removal_needed = value_at(ind, "response.removal_needed") or 0

    def coverage(figures: Mapping[str, Any], hidden: bool) -> str:
        return SECONDARY if hidden else fmt_pct(value_at(figures, "acknowledgements.coverage_pct"),
                                                t.acknowledgement_coverage_pct)

    def row(key: str, fmt, target: str, state: str, previous: str | None = None) -> HeadlineRow:
        return HeadlineRow(key, metric_label(key), fmt(value_at(ind, key)),
                           previous if previous is not None else (fmt(value_at(prev, key)) if prev else NO_VALUE),
                           target, state)

    return [
        row("incidents.total", fmt_count, f"Review if {t.incident_rise_min} or more and "
            f"{t.incident_rise_ratio:g} times last period", status("incident_rise"), fmt_count(prev_total)),
        row("incidents.significant", fmt_count, f"Review if {t.significant_incidents} or more",
            status("significant_incidents")),
        row("response.within_target_pct", lambda v: fmt_pct(v, t.removal_within_target_pct),
            f"At least {t.removal_within_target_pct:g}% within {t.removal_hours:g} hours",
            status("removal_target") if removal_needed else NO_VALUE),
        row("response.median_hours", fmt_hours, NO_VALUE, NO_VALUE),
        row("response.still_visible", fmt_count, NO_VALUE, NO_VALUE),
        row("recirculation.wide_spread", fmt_count, "Review if 1 or more", status("recirculation")),
        HeadlineRow("acknowledgements.coverage_pct", metric_label("acknowledgements.coverage_pct"),
                    coverage(ind, hide_coverage), coverage(prev, hide_previous) if prev else NO_VALUE,
                    f"At least {t.acknowledgement_coverage_pct:g}%",
                    SECONDARY if hide_coverage else status("acknowledgement_coverage")),
        HeadlineRow("breaches.opened", metric_label("breaches.opened"), cur_b.get("opened", NO_VALUE),
                    prev_b.get("opened", NO_VALUE), NO_VALUE, NO_VALUE),
        HeadlineRow("breaches.closed", metric_label("breaches.closed"), cur_b.get("closed", NO_VALUE),
                    prev_b.get("closed", NO_VALUE), NO_VALUE, NO_VALUE),
        HeadlineRow("review.next_due", metric_label("review.next_due"), fmt_date(value_at(ind, "review.next_due")),
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
    view: ReportView | None = None,
) -> Block:
    """The headline panel: figures against targets and against the comparison period."""
    rows = headline_rows(ind, prev, settings, threshold, view)
    frame = pd.DataFrame(
        {
            "Measure": [r.measure for r in rows],
            "current": [r.current for r in rows],
            "previous": [r.previous for r in rows],
            "Target": [r.target for r in rows],
            "Status": [r.status for r in rows],
        }
    )
    gt = gt_table(frame, table_id, stub="Measure").cols_label(current=this_label, previous=previous_label)
    gt = gt.cols_align("right", columns=["current", "previous"])
    gt = style_status(gt, "Status", frame["Status"].tolist())
    gt = gt.tab_source_note(
        f"▲ Review: outside the target, so the policy should be reviewed. ✔ OK: within the target. "
        f"– : no target, or nothing to measure. {suppression_note(threshold)}"
    )
    return table_html(gt, caption="The headline figures against their targets and last period")


# ---------------------------------------------------------------------------------------------
# Review triggers
# ---------------------------------------------------------------------------------------------


def trigger_table(
    triggers: Sequence[Mapping[str, Any]], *, table_id: str = "triggers", title: str | None = None,
    only_fired: bool = False, settings: Any = None, hide_coverage: bool = False,
) -> Block:
    """The review triggers as a traffic-light table with the reason for each; with HIDE_COVERAGE (a small
    school's coverage withheld by the plan) the coverage check shows [c] and no reason."""
    triggers = [withhold_coverage(t) if hide_coverage and t.get("id") == COVERAGE_TRIGGER else t for t in triggers]
    chosen = [t for t in triggers if t.get("fired") or not only_fired]
    if not chosen:
        return note("No review trigger fired." if only_fired else "No review triggers were computed.", "empty")
    statuses = [SECONDARY if t.get("fired") is None else trigger_status(t) for t in chosen]
    # Three columns, so that the reason (which states the value and the threshold) fits a phone's width.
    frame = pd.DataFrame(
        {
            "Check": [trigger_label(t.get("id"), settings) for t in chosen],
            "Status": statuses,
            "Why": [str(t.get("reason") or NO_VALUE) for t in chosen],
        }
    )
    gt = gt_table(frame, table_id, stub="Check")
    if title:
        gt = gt.tab_header(title=title)
    gt = style_status(gt, "Status", statuses)
    gt = gt.tab_source_note("▲ Review: this check recommends reviewing the policy now. ✔ OK: it does not.")
    return table_html(gt, caption=title or "The review checks, each with its status and why")


def withhold_coverage(trigger: Mapping[str, Any]) -> dict[str, Any]:
    """The coverage check with its status and reason withheld (the figures of a small school)."""
    return {**trigger, "fired": None, "reason": "Withheld ([c]) to protect colleagues in a small school."}


def review_banner(ind: Mapping[str, Any], settings: Any = None, hide_coverage: bool = False) -> Block:
    """One sentence: whether a policy review is recommended, with the checks that say so (HIDE_COVERAGE: the
    coverage check's verdict withheld, a small school's)."""
    shown = [t for t in ind.get("triggers", []) if not (hide_coverage and t.get("id") == COVERAGE_TRIGGER)]
    fired = [trigger_label(t["id"], settings) for t in shown if t.get("fired")]
    if fired or (ind.get("review_recommended") and not hide_coverage):
        text = f"{REVIEW}: a review of the policy is recommended ({'; '.join(fired)})."
        return Block(f'<p class="report-banner report-banner-review">{html.escape(text)}</p>')
    if hide_coverage:
        words = "No review trigger fired in this period other than, perhaps, the coverage check, which is withheld ([c])."
        return Block(f'<p class="report-banner">{html.escape(words)}</p>')
    return Block(f'<p class="report-banner report-banner-ok">{html.escape(OK + ": no review trigger fired in this period.")}</p>')


# ---------------------------------------------------------------------------------------------
# Section tables
# ---------------------------------------------------------------------------------------------


def _compare_table(rows: Sequence[tuple[str, str, str]], table_id: str, this_label: str, previous_label: str,
                   *, caption: str, title: str | None = None, source_note: str | None = None) -> Block:
    frame = pd.DataFrame({"Measure": [r[0] for r in rows], "current": [r[1] for r in rows],
                          "previous": [r[2] for r in rows]})
    gt = gt_table(frame, table_id, stub="Measure").cols_label(current=this_label, previous=previous_label)
    gt = gt.cols_align("right", columns=["current", "previous"])
    if title:
        gt = gt.tab_header(title=title)
    if source_note:
        gt = gt.tab_source_note(source_note)
    return table_html(gt, caption=caption)


def incident_flags_table(ind: Mapping[str, Any], prev: Mapping[str, Any] | None, this_label: str,
                         previous_label: str, table_id: str = "incident-flags") -> Block:
    """Incidents: total, significant, safeguarding, police, submitted by pupils, by severity."""
    rows = [
        ("Incidents reported", fmt_count(value_at(ind, "incidents.total")), fmt_count(value_at(prev, "incidents.total"))),
        ("Significant incidents", fmt_count(value_at(ind, "incidents.significant")), fmt_count(value_at(prev, "incidents.significant"))),
        ("Raised a safeguarding concern", fmt_count(value_at(ind, "incidents.safeguarding")), fmt_count(value_at(prev, "incidents.safeguarding"))),
        ("Reported to the police", fmt_count(value_at(ind, "incidents.police_referrals")), fmt_count(value_at(prev, "incidents.police_referrals"))),
        ("Posted by a pupil", fmt_count(value_at(ind, "incidents.pupil_submitted")), fmt_count(value_at(prev, "incidents.pupil_submitted"))),
    ]
    sev = value_at(ind, "incidents.by_severity") or {}
    psev = value_at(prev, "incidents.by_severity") or {}
    for key in SEVERITY_LABELS:
        rows.append((f"Severity: {SEVERITY_LABELS[key].lower()}", fmt_count(sev.get(key, 0)), fmt_count(psev.get(key, 0)) if prev else NO_VALUE))
    return _compare_table(rows, table_id, this_label, previous_label,
                          caption="Incidents by what they involved and by severity, this period and last")


def _metric_rows(ind: Mapping[str, Any], prev: Mapping[str, Any] | None,
                 rows: Sequence[tuple[str, Any]]) -> list[tuple[str, str, str]]:
    return [(metric_label(k), f(value_at(ind, k)), f(value_at(prev, k)) if prev else NO_VALUE) for k, f in rows]


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
                          caption="Removal and visibility figures, this period and last",
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
                          caption="Recirculation figures, this period and last",
                          source_note=f"Widely spread: {t.wide_spread_shares} or more shares, or found on "
                                      f"{t.wide_spread_platforms} or more platforms. Shares count only incidents "
                                      "where the number of shares was recorded.")


BREACHES_FOR_ORGANISATION = ("Breach investigations are published for the organisation as a whole, and only as far "
                             "as they are numerous enough to be shown without identifying colleagues (see the annual "
                             "report).")


def breaches_table(ind: Mapping[str, Any], prev: Mapping[str, Any] | None, threshold: int, this_label: str,
                   previous_label: str, table_id: str = "breaches", view: ReportView | None = None) -> Block:
    """Breach investigations opened, closed and open at the end, and days to close (suppressed counts)."""
    cur, old = published_breaches(ind, prev, threshold, view)
    if not cur:
        return note(BREACHES_FOR_ORGANISATION, "note")

    def days(figures: Mapping[str, Any] | None, label: str | None) -> str:
        if figures is None:
            return NO_VALUE
        if view is not None and not view.shown("closed", label=label, scope=ORGANISATION):
            return SECONDARY
        return days_to_close(figures, threshold)

    rows = [
        (metric_label("breaches.opened"), cur["opened"], old.get("opened", NO_VALUE)),
        (metric_label("breaches.closed"), cur["closed"], old.get("closed", NO_VALUE)),
        (metric_label("breaches.open_at_end"), cur["open_at_end"], old.get("open_at_end", NO_VALUE)),
        (metric_label("breaches.median_days_to_close"), days(ind, None),
         days(prev, view.previous if view is not None else None)),
    ]
    return _compare_table(rows, table_id, this_label, previous_label,
                          caption="Breach investigations, this period and last",
                          source_note=suppression_note(threshold) + " The typical time to close is withheld "
                                      "when fewer than that many investigations closed.")


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
    published: tuple[dict[str, str], str, bool] | None = None,
) -> Block:
    """A suppressed breakdown (breaches by outcome, by rule or by school) with its total; PUBLISHED, the
    plan's (items' texts, total's text, not shown at all), decides what is printed when given."""
    if published is not None:
        return _published_breakdown(published, threshold, domain=domain, heading=heading, value_label=value_label,
                                    table_id=table_id, order=order, empty_text=empty_text)
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
        return _collapsed_note(threshold, result.total, heading)
    return _breakdown_frame(keys, [result.cells[k] for k in keys], result.total, threshold, domain=domain,
                            heading=heading, value_label=value_label, table_id=table_id)


def _collapsed_note(threshold: int, total: str, heading: str) -> Block:
    return note(f"Fewer than {threshold} in total ({total}): not broken down by {heading.lower()}, "
                "to protect the colleagues involved.", "note")


def _published_breakdown(published: tuple[dict[str, str], str, bool], threshold: int, *, domain: str, heading: str,
                         value_label: str, table_id: str, order: Sequence[str] | None, empty_text: str) -> Block:
    """A breakdown as the publication plan prints it (items withheld as [c] are listed, zeros shown left out)."""
    cells, total, collapsed = published
    if collapsed:
        return _collapsed_note(threshold, total, heading)
    if not cells:
        return note(empty_text, "empty")
    keys = [k for k in (order or []) if k in cells] + sorted(k for k in cells if k not in (order or []))
    return _breakdown_frame(keys, [cells[k] for k in keys], total, threshold, domain=domain, heading=heading,
                            value_label=value_label, table_id=table_id)


def _breakdown_frame(keys: Sequence[str], values: Sequence[str], total: str, threshold: int, *, domain: str,
                     heading: str, value_label: str, table_id: str) -> Block:
    frame = pd.DataFrame({heading: [label(domain, k) for k in keys] + ["Total"], "value": [*values, total]})
    gt = gt_table(frame, table_id, stub=heading).cols_label(value=value_label).cols_align("right", columns="value")
    from great_tables import loc, style

    gt = gt.tab_style(style=style.text(weight="bold"), locations=loc.body(rows=[len(keys)]))
    gt = gt.tab_style(style=style.text(weight="bold"), locations=loc.stub(rows=[len(keys)]))
    gt = gt.tab_source_note(suppression_note(threshold))
    return table_html(gt, caption=f"Investigations {value_label.lower()}, by {heading.lower()}, with the total")


def acknowledgement_table(ind: Mapping[str, Any], settings: Any, threshold: int,
                          table_id: str = "acknowledgements", view: ReportView | None = None) -> Block:
    """Acknowledgement coverage by staff group, with the target; small groups withheld (`withheld_groups`)."""
    ack = ind.get("acknowledgements", {}) or {}
    groups = ack.get("by_group", {}) or {}
    keys = staff_groups_in_order(groups)
    withheld = withheld_groups(ind, threshold, view)
    target = settings.targets.acknowledgement_coverage_pct
    if view is not None and view.text("staff") is None:
        return note("Staff figures are published for the organisation as a whole only, to protect colleagues.", "note")
    if view is not None:  # a group of no one withheld to protect others is listed: left out, it would read as 0
        keys = staff_groups_in_order(set(keys).union(*view.groups()))
    if view is not None and any(not view.text("staff", g) for g in keys):
        keys = []  # not broken down by group (fewer than N staff in post, or groups published for the organisation)

    def cells(figures: Mapping[str, Any]) -> list[str]:
        pct = figures.get("coverage_pct")
        return [fmt_count(figures.get("active_staff")), fmt_count(figures.get("acknowledged")), fmt_pct(pct, target),
                NO_VALUE if is_missing(pct) else status_text(pct < target)]

    def planned(figures: Mapping[str, Any], item: str) -> list[str]:
        """A row as the plan prints it: its counts' texts ('–' where not published), the share and status only
        beside both counts."""
        if view.share_shown(item):
            return cells(figures)
        return [view.text("staff", item) or NOT_PUBLISHED, view.text("read", item) or NOT_PUBLISHED] + [SECONDARY] * 2

    def group_cells(group: str) -> list[str]:
        if view is not None:
            return planned(groups.get(group, {}), group)
        if group in withheld.small:
            return [suppress_value(groups[group].get("active_staff"), threshold)] + [SECONDARY] * 3
        return [SECONDARY] * 4 if group in withheld else cells(groups[group])

    rows = [group_cells(g) for g in keys] + [cells(ack) if view is None else planned(ack, TOTAL)]
    columns = ["Staff in post", "Have read it", "Share", "Status"]
    frame = pd.DataFrame({"Staff group": [label("staff_group", g) for g in keys] + ["All staff"],
                          **{c: [r[i] for r in rows] for i, c in enumerate(columns)}})
    gt = gt_table(frame, table_id, stub="Staff group").cols_align("right", columns=columns[:3])
    gt = style_status(gt, "Status", frame["Status"].tolist())
    from great_tables import loc, style

    gt = gt.tab_style(style=style.text(weight="bold"), locations=loc.body(rows=[len(keys)]))
    gt = gt.tab_source_note(
        f"Staff on the roster for policy version {settings.policy_version} and in post at the end of the period, "
        f"who had confirmed reading it by then. Target: at least {target:g}%. {group_suppression_note(threshold)}"
        + (f" {NOT_PUBLISHED}: not published, because it would be a part of fewer than {threshold}."
           if any(NOT_PUBLISHED in r[:2] for r in rows) else ""))
    return table_html(gt, caption="Staff who have read the current policy, by staff group")


def data_table(ind: Mapping[str, Any], period_end: date, table_id: str = "data-freshness",
               view: ReportView | None = None) -> Block:
    """Data freshness and rejected rows, per export (rows stored as the year's publication plan prints them:
    a handful of breach investigations in all would otherwise tell what a `<N` hides)."""
    data = ind.get("data", {}) or {}

    def stored(kind: str) -> str:
        planned = view.text(ROWS, kind, label=STORED, scope=ORGANISATION) if view is not None else None
        return planned if planned is not None else fmt_count(data[kind].get("stored"))

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
            "Rows stored": [stored(k) for k in kinds],
            "Rows rejected": [fmt_count(data[k].get("rejected")) for k in kinds],
            "Last loaded": [fmt_datetime(data[k].get("last_loaded")) for k in kinds],
            "Up to date?": notes,
        }
    )
    note = ("Rows rejected: rows of the exports that could not be read (a missing date, an unknown category, "
            "a repeated id...), over every load. HR can list each one with the rejects command. "
            "Figures cover only what had been loaded when this report was made.")
    if view is not None and not all(t.replace(",", "").isdigit() for t in frame["Rows stored"]):
        note += " " + suppression_note(view.plan.threshold)
    gt = gt_table(frame, table_id, stub="Export").cols_align("right", columns=["Rows stored", "Rows rejected"])
    gt = gt.tab_source_note(note)
    return table_html(gt, caption="Each export: rows stored and rejected, and when it was last loaded", wide=True)


def definitions_table(metrics: Iterable[Any], table_id: str = "definitions") -> Block:
    """The definitions appendix from the metric dictionary: each figure's label and definition."""
    rows = []
    for m in metrics:
        key = str(attr_or_key(m, "key") or "")
        if key.startswith("period."):
            continue  # the period is given in words at the top of the report
        lbl, definition = attr_or_key(m, "label"), attr_or_key(m, "definition")
        if lbl and definition:
            rows.append((str(lbl), str(definition)))
    if not rows:
        return note("No definitions are available.", "empty")
    frame = pd.DataFrame({"Measure": [r[0] for r in rows], "What it means": [r[1] for r in rows]})
    gt = gt_table(frame, table_id, stub="Measure").fmt_markdown(columns="What it means")
    gt = gt.tab_source_note("Names in code type are the columns of the exports and the keys of the settings file.")
    return table_html(gt, caption="What each figure in this report means")


# ---------------------------------------------------------------------------------------------
# Per-school tables
# ---------------------------------------------------------------------------------------------


COVERAGE_TRIGGER = "acknowledgement_coverage"


def school_review(ind: Mapping[str, Any], withheld: bool) -> str:
    """A school's review status; where its coverage is withheld, [c] unless another of its checks fired
    (whether its coverage check fired is then not told)."""
    if not withheld:
        return status_text(bool(ind.get("review_recommended")))
    others = any(t.get("fired") for t in ind.get("triggers", []) if t.get("id") != COVERAGE_TRIGGER)
    return REVIEW if others else SECONDARY


def schools_table(per_school: Mapping[str, Mapping[str, Any]], org: Mapping[str, Any], threshold: int,
                  table_id: str = "schools", view: ReportView | None = None) -> Block:
    """One row per school: incidents, removal within target, coverage (small schools withheld), breaches
    opened (suppressed; not at all with a publication plan, which publishes breaches for the organisation only),
    review."""
    names = list(per_school)
    opened = suppress_table({n: value_at(per_school[n], "breaches.opened") or 0 for n in names}, threshold)
    withheld = withheld_schools(per_school, threshold, view)
    review = [school_review(per_school[n], n in withheld) for n in names]
    org_withheld = view is not None and not view.share_shown(scope=ORGANISATION)  # a trust of one or two staff
    breach_cells = [SECONDARY if opened.collapsed else opened.cells[n] for n in names]
    coverage = [SECONDARY if n in withheld else fmt_pct(value_at(per_school[n], "acknowledgements.coverage_pct"))
                for n in names]
    frame = pd.DataFrame(
        {
            "School": names + ["All schools"],
            "Incidents": [fmt_count(value_at(per_school[n], "incidents.total")) for n in names] + [fmt_count(value_at(org, "incidents.total"))],
            "Significant": [fmt_count(value_at(per_school[n], "incidents.significant")) for n in names] + [fmt_count(value_at(org, "incidents.significant"))],
            "Removed in time": [fmt_pct(value_at(per_school[n], "response.within_target_pct")) for n in names] + [fmt_pct(value_at(org, "response.within_target_pct"))],
            "Read the policy": coverage + [SECONDARY if org_withheld else fmt_pct(value_at(org, "acknowledgements.coverage_pct"))],
            "Breaches opened": breach_cells + [opened.total],
            "Review": review + [school_review(org, org_withheld)],
        }
    )
    if view is not None:
        frame = frame.drop(columns="Breaches opened")
    gt = gt_table(frame, table_id, stub="School").cols_align(
        "right", columns=[c for c in ("Incidents", "Significant", "Removed in time", "Read the policy",
                                      "Breaches opened") if c in frame.columns])
    gt = style_status(gt, "Review", frame["Review"].tolist())
    gt = gt.tab_source_note("Removed in time: share of incidents needing removal that were removed within the target. "
                            "Read the policy: share of staff in post who have confirmed reading the current version. "
                            + suppression_note(threshold)
                            + (" " + school_suppression_note(threshold) if withheld.small or withheld.secondary
                               else ""))
    return table_html(gt, caption="Each school's figures and review status", wide=True)


ORGANISATION_WIDE_TRIGGERS = ("annual_review_due", "review_events")  # the same for every school


def school_trigger_matrix(per_school: Mapping[str, Mapping[str, Any]], withheld: WithheldGroups = WithheldGroups(),
                          table_id: str = "school-triggers", settings: Any = None) -> Block:
    """Schools down, review checks across: a traffic light (symbol, word and colour) in each cell; [c] for the
    coverage check of a school whose coverage is withheld (`withhold_schools`)."""
    names = list(per_school)
    if not names:
        return note("No school has any data yet.", "empty")
    ids = [t["id"] for t in per_school[names[0]]["triggers"]]
    columns: dict[str, list[str]] = {"School": names}
    for tid in ids:
        columns[tid] = [SECONDARY if tid == COVERAGE_TRIGGER and n in withheld else
                        trigger_status(triggers_by_id(per_school[n]).get(tid)) for n in names]
    frame = pd.DataFrame(columns)
    gt = gt_table(frame, table_id, stub="School").cols_label(**{tid: trigger_label(tid, settings) for tid in ids})
    for tid in ids:
        gt = style_status(gt, tid, columns[tid])
    gt = gt.tab_source_note("▲ Review: the check recommends reviewing the policy for that school. ✔ OK: it does not. "
                            "The yearly review and the changes in law and guidance are the same for every school.")
    return table_html(gt, caption="Review checks by school", wide=True)


def school_reasons(ind: Mapping[str, Any], withheld: bool = False, settings: Any = None) -> list[str]:
    """The reasons of one school's fired checks, leaving out the organisation-wide ones; where the school's
    coverage is withheld, a line saying so in place of its coverage check, fired or not."""
    reasons = [f"{trigger_label(t['id'], settings)}: {t.get('reason')}" for t in ind.get("triggers", [])
               if t.get("fired") and t.get("id") not in ORGANISATION_WIDE_TRIGGERS
               and not (withheld and t.get("id") == COVERAGE_TRIGGER)]
    if withheld:
        reasons.append(f"{trigger_label(COVERAGE_TRIGGER, settings)}: withheld ([c]) to protect colleagues in a small "
                       "school; see the note under the schools table.")
    return reasons
