"""Everything one governor report shows, gathered from the warehouse in one read-only pass.

The notebooks call `gather()` once, then hand the result to the section builders of
`sections`. All figures come from `indicators.compute_indicators_all` (the same numbers as
`policy-analytics indicators --json`), for the organisation and every school in one pass; the only
extra reads are the incidents per month and the per-incident response and visibility hours that
the charts draw, from the same analyst views. `read_figures` reads a whole batch's figures at once.
No identifier, staff reference or free text is read here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from policy_analytics import db, indicators, periods, policy_check, register
from policy_analytics.errors import UsageError, UserError, hint_options
from policy_analytics.periods import Period
from policy_analytics.reports import plan
from policy_analytics.settings import Settings, load_settings

KINDS = ("termly", "annual")


@dataclass
class ReportData:
    """The figures of one report (a term or a year; one school or the organisation)."""

    kind: str
    settings: Settings
    period: Period
    previous: Period
    school: str | None
    threshold: int
    generated_at: datetime
    ind: dict[str, Any]
    prev: dict[str, Any]
    months: list[tuple[date, int]]
    response_hours: list[float]
    visible_hours: list[float]
    schools: list[str] = field(default_factory=list)
    per_school: dict[str, dict[str, Any]] = field(default_factory=dict)
    school_months: dict[str, list[tuple[date, int]]] = field(default_factory=dict)
    terms: list[tuple[Period, dict[str, Any]]] = field(default_factory=list)
    previous_terms: list[tuple[Period, dict[str, Any]]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    cited: list[dict[str, str]] = field(default_factory=list)
    register_as_of: date | None = None
    policy: Any = None  # the annual report's policy_check.PolicyCheck, when [policy] document names the file
    plan: plan.ReportView | None = None

    @property
    def scope(self) -> str:
        """Who the report covers: the school's name, or 'All schools' (the organisation's name heads the report)."""
        return self.school or "All schools"

    @property
    def this_label(self) -> str:
        return "This term" if self.period.kind == "term" else ("This year" if self.period.kind == "year" else "This period")

    @property
    def previous_label(self) -> str:
        return "Last term" if self.period.kind == "term" else ("Year before" if self.period.kind == "year" else "Period before")

    @property
    def coverage_withheld(self) -> bool:
        """Whether the plan withholds this report's acknowledgement coverage (a small school's), and with it
        whether its coverage check fired."""
        return self.plan is not None and not self.plan.share_shown()

    @property
    def no_incidents(self) -> bool:
        return not self.ind["incidents"]["total"]


def period_for(kind: str, label: str, settings: Settings) -> Period:
    """The report's period: a term label for a termly report, an academic year for an annual one."""
    if kind == "termly":
        return periods.term(label, settings)
    if kind == "annual":
        return periods.academic_year(label)
    raise UsageError(f"Unknown report {kind!r}: choose termly or annual.")


_WINDOW = "reported_at >= $start AND reported_at < $end_exclusive"


def _params(period: Period) -> dict[str, Any]:
    return {"start": period.start, "end_exclusive": period.end + timedelta(days=1)}


def _every_month(period: Period, counts: dict[date, int]) -> list[tuple[date, int]]:
    """(month, count) for each calendar month the period touches, in order, zero where COUNTS has none."""
    months, cursor = [], date(period.start.year, period.start.month, 1)
    while cursor <= period.end:
        months.append((cursor, int(counts.get(cursor, 0))))
        cursor = date(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
    return months


def incidents_by_month(
    con: duckdb.DuckDBPyConnection, period: Period, schools: list[str]
) -> dict[str | None, list[tuple[date, int]]]:
    """Incidents reported in each calendar month the period touches (zeros included), in order:
    for the organisation (key None) and each of SCHOOLS, from one query."""
    counts: dict[str | None, dict[date, int]] = {who: {} for who in [None, *schools]}
    for school, month, n in con.execute(
        f"SELECT school, reported_month, count(*) FROM incident_facts WHERE {_WINDOW} "
        "GROUP BY GROUPING SETS ((school, reported_month), (reported_month))",
        _params(period),
    ).fetchall():
        if school in counts:
            counts[school][month] = n
    return {who: _every_month(period, found) for who, found in counts.items()}


def removal_hours(
    con: duckdb.DuckDBPyConnection, period: Period, schools: list[str]
) -> dict[str | None, tuple[list[float], list[float]]]:
    """Hours from report to removal and hours visible, for each removed incident of the period, in order of
    response hours: for the organisation (key None) and each of SCHOOLS, from one query."""
    found: dict[str | None, tuple[list[float], list[float]]] = {who: ([], []) for who in [None, *schools]}
    for school, response, visible in con.execute(
        f"SELECT school, response_hours, visible_hours FROM incident_facts WHERE removed AND {_WINDOW} "
        "ORDER BY response_hours, visible_hours",
        _params(period),
    ).fetchall():
        for who in (None, school) if school in found else (None,):
            found[who][0].append(float(response))
            found[who][1].append(float(visible))
    return found


@dataclass
class Figures:
    """One read of the warehouse: every figure of a set of reports of one kind and period, as plain data.

    `reports` holds each report's `ReportData`, the organisation's under None (when it was read);
    `indicators` the same figures as the plain dicts of `policy-analytics indicators --json`.
    """

    kind: str
    period: Period
    taken_at: datetime
    schools: list[str]
    reports: dict[str | None, ReportData]

    @property
    def indicators(self) -> dict[str | None, dict[str, Any]]:
        """Each report's indicators for the period: {None: the organisation's, school: that school's}."""
        return {who: data.ind for who, data in self.reports.items()}


def read_figures(
    kind: str,
    period: str,
    schools: list[str] | None = None,
    warehouse: str | Path | None = None,
    settings_path: str | Path | None = None,
    suppress_below: int | None = None,
    *,
    taken_at: datetime | None = None,
) -> Figures:
    """Every figure of the organisation's report and each school's (SCHOOLS None: every school, and the
    organisation), from one read-only connection, each query run once for all of them."""
    settings = load_settings(settings_path or None)
    the_period = period_for(kind, period, settings)
    threshold = int(suppress_below) if suppress_below not in (None, "") else settings.suppress_below
    con = db.connect(warehouse or None, settings, read_only=True)
    try:
        db.use_settings(con, settings)
        con.execute("BEGIN TRANSACTION")  # one snapshot of the warehouse for every figure
        if schools is None:
            names, organisation = indicators.school_names(con), True
        else:
            names = list(dict.fromkeys(indicators.resolve_school(con, settings, s) for s in schools))
            organisation = False
        figures = _read(con, kind, settings, the_period, threshold, names, organisation,
                        taken_at or datetime.now().replace(microsecond=0), hint_options(warehouse, settings_path))
        con.execute("COMMIT")
    finally:
        con.close()
    return figures


def _read(
    con: duckdb.DuckDBPyConnection, kind: str, settings: Settings, the_period: Period, threshold: int,
    names: list[str], organisation: bool, taken_at: datetime, again: str = "",
) -> Figures:
    """The reports' data for the organisation (if ORGANISATION) and each of NAMES, from CON."""
    previous = periods.previous(the_period, settings)
    now = indicators.compute_indicators_all(con, settings, the_period, names)
    before = indicators.compute_indicators_all(con, settings, previous, names)
    months = incidents_by_month(con, the_period, names)
    hours = removal_hours(con, the_period, names)
    terms: list[tuple[Period, dict]] = []
    previous_terms: list[tuple[Period, dict]] = []
    if kind == "annual":
        terms = [(t, indicators.compute_indicators_all(con, settings, t, names))
                 for t in periods.terms_of_year(the_period.label, settings)]
        previous_terms = [(t, indicators.compute_indicators_all(con, settings, t, names))
                          for t in periods.terms_of_year(previous.label, settings)]
    cited = register.load_cited_legislation() if kind == "annual" else []
    register_as_of = register.register_as_of() if kind == "annual" else None
    policy = policy_check.check_settings_document(settings, the_period.end) if kind == "annual" else None
    the_plan = safe_plan(con, settings, year_of(the_period), threshold, again)  # one decision for the year's reports
    reports: dict[str | None, ReportData] = {}
    for who in ([None] if organisation else []) + names:
        data = ReportData(
            kind=kind, settings=settings, period=the_period, previous=previous, school=who,
            threshold=threshold, generated_at=taken_at, ind=now[who], prev=before[who],
            months=months[who], response_hours=hours[who][0], visible_hours=hours[who][1],
        )
        if who is None and names:
            data.schools = list(names)
            data.per_school = copy.deepcopy({s: now[s] for s in names})  # the school reports keep their own
            data.school_months = {s: months[s] for s in names}
        if kind == "annual":
            data.terms = [(t, found[who]) for t, found in terms]
            data.previous_terms = [(t, found[who]) for t, found in previous_terms]
            data.cited = copy.deepcopy(cited)
            data.register_as_of, data.policy = register_as_of, policy
        events = next((t for t in data.ind["triggers"] if t["id"] == "review_events"), None)
        data.events = list(events["value"]) if events and isinstance(events.get("value"), list) else []
        data.plan = plan.ReportView(the_plan, who or plan.ORGANISATION, the_period.label)
        reports[who] = data
    return Figures(kind=kind, period=the_period, taken_at=taken_at, schools=list(names), reports=reports)


# The figures of the batch being rendered in this process: `gather` hands out its reports' data.
_BATCH: list[Figures] = []


@contextmanager
def batch(figures: Figures) -> Iterator[Figures]:
    """Within this block, `gather` for the kind and period of FIGURES returns their data instead of reading."""
    _BATCH.append(figures)
    try:
        yield figures
    finally:
        _BATCH.remove(figures)


def gather(
    kind: str,
    period: str,
    school: str | None = None,
    warehouse: str | Path | None = None,
    settings_path: str | Path | None = None,
    suppress_below: int | None = None,
    *,
    generated_at: datetime | None = None,
) -> ReportData:
    """Read every figure the report needs; the warehouse is opened read-only and closed again.

    Inside `batch(figures)` (a batch rendering its reports in this process), the batch's figures are
    used instead, so every report of the batch shows the numbers of one read.
    """
    for figures in _BATCH:
        if figures.kind == kind and figures.period.label == period and (school or None) in figures.reports:
            return figures.reports[school or None]
    found = read_figures(kind, period, None if not school else [school], warehouse, settings_path,
                         suppress_below, taken_at=generated_at)
    return next(iter(found.reports.values())) if school else found.reports[None]


def family_figures(con: duckdb.DuckDBPyConnection, settings: Settings, year: str) -> plan.Family:
    """The figures of every report of academic year YEAR (its terms and the year, with their comparison
    periods; the organisation and every school), as plain data for the publication plan."""
    the_year = periods.academic_year(year)
    terms = periods.terms_of_year(the_year.label, settings)
    roles = {"T1": terms[0], "T2": terms[1], "T3": terms[2], "Y": the_year,
             "PT3": periods.previous(terms[0], settings), "PY": periods.previous(the_year, settings)}
    schools = indicators.school_names(con)
    figures: dict[tuple[str, str], dict[str, Any]] = {}
    for period in roles.values():
        for who, ind in indicators.compute_indicators_all(con, settings, period, schools).items():
            figures[(who or plan.ORGANISATION, period.label)] = ind
    return plan.Family(the_year.label, {r: p.label for r, p in roles.items()},
                       {p.label: p.end for p in roles.values()}, schools, figures)


def year_of(period: Period) -> str:
    """The academic year a term or a year belongs to ('2025-26')."""
    return period.label[:7]


def year_plan(con: duckdb.DuckDBPyConnection, settings: Settings, year: str, threshold: int) -> plan.Plan:
    """The publication plan of academic year YEAR's reports, decided from the warehouse's figures."""
    return plan.decide(family_figures(con, settings, year), threshold)


def safe_plan(con: duckdb.DuckDBPyConnection, settings: Settings, year: str, threshold: int,
              again: str = "") -> plan.Plan:
    """`year_plan`, refused (`refuse_unsafe`) when the auditor finds a withheld count a reader could work out."""
    return refuse_unsafe(year_plan(con, settings, year, threshold), again)


def refuse_unsafe(the_plan: plan.Plan, again: str = "") -> plan.Plan:
    """THE_PLAN, or a UserError naming the first withheld count its reports would let a reader work out (AGAIN:
    the --db/--config the hint's command repeats)."""
    if the_plan.unsafe:
        first = the_plan.unsafe[0].describe(the_plan.threshold)
        raise UserError(
            f"The reports of {the_plan.year} are not rendered: {len(the_plan.unsafe)} withheld count(s) could be "
            f"worked out from the year's reports read together (first: {first}). "
            f"Run policy-analytics audit --year {the_plan.year}{again} to list them.")
    return the_plan


def audit_year(warehouse: str | Path | None, settings: Settings, year: str,
               per_table: bool = False) -> tuple[plan.Plan, Any]:
    """The publication plan of academic year YEAR's reports and the auditor's findings on it (PER_TABLE: on
    what the reports printed before the plan, each table deciding alone)."""
    from policy_analytics.reports import audit

    con = db.connect(warehouse or None, settings, read_only=True)
    try:
        family = family_figures(con, settings, year)
        the_plan = (plan.per_table_plan if per_table else plan.decide)(family, settings.suppress_below)
    finally:
        con.close()
    return the_plan, audit.audit(the_plan)
