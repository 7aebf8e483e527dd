"""The report sections the notebooks display, one call per section: `title_section(data)`,
`glance_section(data)`, ... each takes the `data.ReportData` and returns what to show.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from policy_analytics import metrics, register
from policy_analytics.reports.annual import events_table, legislation_table, policy_table, review_points, term_table
from policy_analytics.reports.charts import bar_chart, coverage_chart, month_chart, response_chart, term_chart
from policy_analytics.reports.formats import (
    OUTCOME_LABELS, and_list, fmt_count, fmt_date, fmt_datetime, label, staff_groups_in_order, trigger_label,
)
from policy_analytics.reports.markup import Block, bullet_list, heading, note
from policy_analytics.reports.tables import (
    acknowledgement_table, breaches_table, breakdown_table, data_table, definitions_table, headline_table,
    COVERAGE_TRIGGER, incident_flags_table, recirculation_table, response_table, review_banner, school_reasons,
    school_trigger_matrix, schools_table, trigger_table,
)
from policy_analytics.reports.suppression import withheld_groups, withheld_schools


def show(*items: Any) -> None:
    """Display each item (a Block, a Chart, or a list of them) as its own notebook output."""
    from IPython.display import display

    for item in items:
        if isinstance(item, (list, tuple)):
            show(*item)
        elif item is not None:
            display(item)


def _span_words(start: Any, end: Any) -> str:
    return f"{fmt_date(start)} to {fmt_date(end)}"


def _period_words(period: Any) -> str:
    own = getattr(period, "school_dates", None)
    beside = f"; the school's term dates {_span_words(*own)}" if own else ""
    return f"{period.title} ({_span_words(period.start, period.end)}{beside})"


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
    *SECTIONS_TERMLY[:2],
    ("terms", "Term by term"),
    ("changes", "Changes since the last review"),
    ("policy", "The policy document"),
    ("points", "Points for the review"),
    *SECTIONS_TERMLY[2:],
)


def _sections(data: Any) -> list[tuple[str, str]]:
    chosen = SECTIONS_ANNUAL if data.kind == "annual" else SECTIONS_TERMLY
    return [(a, t) for a, t in chosen if (a != "schools" or (data.school is None and data.schools))
            and (a != "policy" or getattr(data, "policy", None) is not None)]


def _title_of(data: Any) -> str:
    what = "Annual policy review report" if data.kind == "annual" else "Termly governor report"
    return f"{what}: staff social media policy"


def title_section(data: Any) -> Block:
    """The report's title, scope, period, when it was made, the review verdict and a contents list."""
    contents = "".join(f'<li><a href="#section-{a}">{html.escape(t)}</a></li>' for a, t in _sections(data))
    verdict = review_banner(data.ind, data.settings, hide_coverage=data.coverage_withheld).html
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
    """The headline figures against targets and against the comparison period."""
    return [
        heading("At a glance", anchor="glance"),
        headline_table(data.ind, data.prev, data.settings, data.threshold, this_label=data.this_label,
                       previous_label=data.previous_label, view=data.plan),
    ]


def triggers_section(data: Any) -> list[Any]:
    """The review triggers as a traffic-light table; the annual report adds the evidence for each that fired."""
    intro = ("The policy says it is reviewed every year and whenever law, guidance or case law changes, "
             "or a significant incident is reported. Each check below compares this "
             f"{_unit(data)} with those reasons.")
    items = [heading("Review triggers", anchor="triggers", intro=intro),
             trigger_table(data.ind["triggers"], settings=data.settings, hide_coverage=data.coverage_withheld)]
    if data.kind == "annual":
        fired = [t for t in data.ind["triggers"] if t.get("fired")
                 and not (data.coverage_withheld and t.get("id") == COVERAGE_TRIGGER)]
        items.append(heading("Evidence for each trigger that fired", 3))
        items.append(bullet_list([f"{trigger_label(t['id'], data.settings)}: {t.get('reason')}" for t in fired]
                                 or ["No trigger fired this year."]))
    return items


def incidents_section(data: Any) -> list[Any]:
    """Incidents: the flags and severities table, and charts by type, platform and month."""
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
    """Removal and visibility against the removal target: a chart of the hours taken, and the figures."""
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
    """How far material spread: shares and platforms."""
    intro = "How far material spread: shares seen and the number of platforms it was found on."
    return [heading("Recirculation", anchor="recirculation", intro=intro),
            recirculation_table(data.ind, data.prev, data.settings, data.this_label, data.previous_label)]


def breaches_section(data: Any) -> list[Any]:
    """Breach investigations: opened, closed and open, and the outcomes and rules, small numbers suppressed."""
    b, n, unit = data.ind["breaches"], data.threshold, _unit(data)
    intro = ("Investigations of suspected breaches of the policy by staff. Small numbers are hidden so that no "
             "colleague can be identified.")
    items = [
        heading("Breach investigations", anchor="breaches", intro=intro),
        breaches_table(data.ind, data.prev, n, data.this_label, data.previous_label, view=data.plan),
    ]
    if data.plan is not None and data.plan.breach_totals() is None:
        return items[:2]  # a school's report: breaches are published for the organisation only
    outcomes = data.plan.breakdown("by_outcome") if data.plan is not None else None
    rules = data.plan.breakdown("by_rule") if data.plan is not None else None
    if data.plan is not None and outcomes is None and rules is None:
        return items + [note("Outcomes and rules are published for the year as a whole, in the annual report, "
                             "to protect the colleagues involved.", "note")]
    if data.plan is not None:  # one breakdown with nothing in it all year (none closed, say): its empty note
        outcomes, rules = outcomes or ({}, "0", False), rules or ({}, "0", False)
    return items + [
        heading("Outcomes of investigations closed", 3),
        breakdown_table(b.get("by_outcome", {}), n, domain="outcome", heading="Outcome", value_label="Closed",
                        table_id="breach-outcomes", order=list(OUTCOME_LABELS),
                        empty_text=f"No investigations were closed in this {unit}.", published=outcomes),
        heading("What the investigations opened were about", 3),
        breakdown_table(b.get("by_rule", {}), n, domain="rule", heading="Rule", value_label="Opened",
                        table_id="breach-rules", empty_text=f"No investigations were opened in this {unit}.",
                        published=rules),
    ]


def acknowledgements_section(data: Any) -> list[Any]:
    """Acknowledgement coverage by staff group: a chart of the groups large enough to show, and the table."""
    intro = (f"Staff in post at the end of the {_unit(data)} who had confirmed reading policy version "
             f"{data.settings.policy_version}, by staff group.")
    by_group = data.ind["acknowledgements"]["by_group"]
    withheld = withheld_groups(data.ind, data.threshold, data.plan)
    hidden = [g for g in staff_groups_in_order(by_group) if g in withheld]
    items: list[Any] = [
        heading("Staff who have read the policy", anchor="acknowledgements", intro=intro),
        coverage_chart(data.ind, data.settings.targets.acknowledgement_coverage_pct, data.threshold,
                       chart_id="chart-coverage", view=data.plan),
    ]
    if hidden and len(hidden) < len(by_group):
        names = [label("staff_group", g) for g in hidden]
        items.append(note(f"Not drawn, to protect colleagues in small groups: {and_list(names)} (see the table)."))
    items.append(acknowledgement_table(data.ind, data.settings, data.threshold, view=data.plan))
    return items


def schools_section(data: Any) -> list[Any]:
    """The organisation report's per-school section: a summary table, incidents by school, each school's triggers."""
    if data.school is not None or not data.schools:
        return []
    intro = "Each school's own figures. Small numbers of breach investigations are hidden."
    items: list[Any] = [heading("Schools", anchor="schools", intro=intro),
                        schools_table(data.per_school, data.ind, data.threshold, view=data.plan)]
    if not data.no_incidents:
        items.append(bar_chart(data.ind["incidents"].get("by_school", {}), domain=None, title="Incidents by school",
                               value_title="Incidents reported", category_title="School", chart_id="chart-school",
                               empty_text="No incidents were reported."))
    items.append(heading("Review checks by school", 3))
    withheld = withheld_schools(data.per_school, data.threshold, data.plan)
    items.append(school_trigger_matrix(data.per_school, withheld, settings=data.settings))
    for name in data.schools:
        ind = data.per_school[name]
        reasons = school_reasons(ind, withheld=name in withheld, settings=data.settings)
        summary = f"{fmt_count(ind['incidents']['total'])} incidents reported."
        items.append(heading(name, 4, intro=summary))
        items.append(bullet_list(reasons) if reasons else
                     note("No check particular to this school recommends a review.", "note"))
    return items


def data_section(data: Any) -> list[Any]:
    """When each export was last loaded and how many of its rows were rejected."""
    intro = ("When each export was last loaded, and how many of its rows could not be read. Rows that could not be "
             "read are left out of every figure.")
    return [heading("About the data", anchor="data", intro=intro), data_table(data.ind, data.period.end, view=data.plan)]


def definitions_section(data: Any) -> list[Any]:
    """The definitions appendix: every figure as the metric dictionary defines it."""
    intro = "Every figure in this report, as the metric dictionary defines it."
    return [heading("Definitions", anchor="definitions", intro=intro), definitions_table(metrics.metrics_for(data.settings))]


def terms_section(data: Any) -> list[Any]:
    """The annual report's term-by-term view, against the year before."""
    if data.kind != "annual":
        return []
    names = [p.title.split(" term")[0] for p, _ in data.terms]
    current = [(name, ind) for name, (_, ind) in zip(names, data.terms)]
    intro = f"Each term of {data.period.label}, the year as a whole, and the year before ({data.previous.label})."
    dates = [(_span_words(p.start, p.end), _span_words(*p.school_dates) if p.school_dates else "–")
             for p, _ in data.terms]
    dates += [(_span_words(p.start, p.end), "–") for p in (data.period, data.previous)]
    return [
        heading("Term by term", anchor="terms", intro=intro),
        term_table(current, data.ind, data.prev, data.threshold, data.period.label, data.previous.label,
                   dates=dates, view=data.plan, labels=[p.label for p, _ in data.terms]),
        term_chart([(n, ind["incidents"]["total"]) for n, ind in current],
                   [(n, ind["incidents"]["total"]) for n, (_, ind) in zip(names, data.previous_terms)],
                   data.period.label, data.previous.label, chart_id="chart-terms"),
    ]


def changes_section(data: Any) -> list[Any]:
    """Changes in law, guidance and case law since the last review, against the legislation the policy cites."""
    if data.kind != "annual":
        return []
    intro = (f"Changes recorded in the review-events register after the last review "
             f"({fmt_date(data.settings.last_reviewed)}) and by {fmt_date(data.period.end)}. {_register_note(data)}")
    return [
        heading("Changes since the last review", anchor="changes", intro=intro),
        events_table(data.events, data.cited),
        heading("The legislation the policy cites", 3,
                intro="What each act the policy cites is called now, and how many of the changes above bear on it."),
        legislation_table(data.cited, data.events),
    ]


def _register_note(data: Any, only_if_stale: bool = False) -> str:
    """'Register as of D.', with the warning when it is over six months old at the period's end ('' when
    `only_if_stale` and it is not)."""
    as_of = data.register_as_of or register.register_as_of()
    if only_if_stale and not register.register_is_stale(as_of, data.period.end):
        return ""
    return register.register_note(as_of, data.period.end)


def policy_section(data: Any) -> list[Any]:
    """The annual report's check of the policy document itself, when the settings name it."""
    if data.kind != "annual" or data.policy is None:
        return []
    found = data.policy
    printed = (f"last reviewed {fmt_date(found.last_reviewed)}" if found.last_reviewed else "no last-review date printed")
    intro = (f"What policy-check found in {Path(found.document).name} ({printed}): acts and platforms named by an "
             "old name, guidance cited by an old edition, review statements that disagree with the printed review "
             f"date, and register changes since the last review that bear on a section the policy has. {_register_note(data)}")
    return [heading("The policy document", anchor="policy", intro=intro), policy_table(found)]


def points_section(data: Any) -> list[Any]:
    """The annual report's points for HR to consider in the review."""
    if data.kind != "annual":
        return []
    intro = "For HR to consider when reviewing the policy, drawn from the checks, the register and the figures."
    return [heading("Points for the review", anchor="points", intro=intro),
            bullet_list(review_points(data.ind, data.settings, data.cited, data.events, data.prev,
                                      _register_note(data, only_if_stale=True), data.policy,
                                      hide_coverage=data.coverage_withheld))]
