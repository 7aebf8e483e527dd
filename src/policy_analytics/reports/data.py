"""Everything one governor report shows, gathered from the warehouse in one read-only pass.

The notebooks call `gather()` once, then hand the result to the section builders of
`sections`. All figures come from `indicators.compute_indicators` (the same numbers as
`policy-analytics indicators --json`); the only extra reads are the incidents per month and the
per-incident response and visibility hours that the charts draw, from the same analyst views.
No identifier, staff reference or free text is read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from policy_analytics import db, indicators, periods, policy_check, register
from policy_analytics.errors import UsageError
from policy_analytics.periods import Period
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
    def no_incidents(self) -> bool:
        return not self.ind["incidents"]["total"]


def period_for(kind: str, label: str, settings: Settings) -> Period:
    """The report's period: a term label for a termly report, an academic year for an annual one."""
    if kind == "termly":
        return periods.term(label, settings)
    if kind == "annual":
        return periods.academic_year(label)
    raise UsageError(f"Unknown report {kind!r}: choose termly or annual.")


def _window(period: Period, school: str | None) -> list[Any]:
    return [period.start, period.end + timedelta(days=1), school, school]


_WHERE = "reported_at >= ? AND reported_at < ? AND (CAST(? AS VARCHAR) IS NULL OR school = ?)"


def incidents_by_month(con: duckdb.DuckDBPyConnection, period: Period, school: str | None) -> list[tuple[date, int]]:
    """Incidents reported in each calendar month the period touches (zeros included), in order."""
    rows = dict(
        con.execute(
            f"SELECT reported_month, count(*) FROM incident_facts WHERE {_WHERE} GROUP BY reported_month",
            _window(period, school),
        ).fetchall()
    )
    return _every_month(period, rows)


def _every_month(period: Period, counts: dict[date, int]) -> list[tuple[date, int]]:
    """(month, count) for each calendar month the period touches, in order, zero where COUNTS has none."""
    months, cursor = [], date(period.start.year, period.start.month, 1)
    while cursor <= period.end:
        months.append((cursor, int(counts.get(cursor, 0))))
        cursor = date(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
    return months


def incidents_by_month_by_school(
    con: duckdb.DuckDBPyConnection, period: Period, schools: list[str]
) -> dict[str, list[tuple[date, int]]]:
    """`incidents_by_month` for each of SCHOOLS, from one query."""
    counts: dict[str, dict[date, int]] = {school: {} for school in schools}
    for school, month, n in con.execute(
        f"SELECT school, reported_month, count(*) FROM incident_facts WHERE {_WHERE} GROUP BY ALL",
        _window(period, None),
    ).fetchall():
        if school in counts:
            counts[school][month] = n
    return {school: _every_month(period, found) for school, found in counts.items()}


def removal_hours(con: duckdb.DuckDBPyConnection, period: Period, school: str | None) -> tuple[list[float], list[float]]:
    """Hours from report to removal and hours visible, for each removed incident of the period."""
    rows = con.execute(
        f"SELECT response_hours, visible_hours FROM incident_facts WHERE removed AND {_WHERE} "
        "ORDER BY response_hours",
        _window(period, school),
    ).fetchall()
    return [float(r[0]) for r in rows], [float(r[1]) for r in rows]


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
    """Read every figure the report needs; the warehouse is opened read-only and closed again."""
    settings = load_settings(settings_path or None)
    the_period = period_for(kind, period, settings)
    previous = periods.previous(the_period, settings)
    threshold = int(suppress_below) if suppress_below not in (None, "") else settings.suppress_below
    con = db.connect(warehouse or None, settings, read_only=True)
    try:
        school_name = indicators.resolve_school(con, settings, school or None)
        ind = indicators.compute_indicators(con, settings, the_period, school_name)
        prev = indicators.compute_indicators(con, settings, previous, school_name)
        resp, vis = removal_hours(con, the_period, school_name)
        data = ReportData(
            kind=kind,
            settings=settings,
            period=the_period,
            previous=previous,
            school=school_name,
            threshold=threshold,
            generated_at=generated_at or datetime.now().replace(microsecond=0),
            ind=ind,
            prev=prev,
            months=incidents_by_month(con, the_period, school_name),
            response_hours=resp,
            visible_hours=vis,
        )
        if school_name is None:
            data.schools = indicators.school_names(con)
            # each query once for every school (a trust may have hundreds), not once per school
            data.per_school = indicators.compute_indicators_by_school(con, settings, the_period, data.schools)
            data.school_months = incidents_by_month_by_school(con, the_period, data.schools)
        if kind == "annual":
            terms = periods.terms_of_year(the_period.label, settings)
            data.terms = list(zip(terms, indicators.indicators_by_term(con, settings, the_period, school_name)))
            before = periods.terms_of_year(previous.label, settings)
            data.previous_terms = list(zip(before, indicators.indicators_by_term(con, settings, previous, school_name)))
            data.cited = register.load_cited_legislation()
            data.register_as_of = register.register_as_of()
            data.policy = policy_check.check_settings_document(settings, the_period.end)
        events = next((t for t in ind["triggers"] if t["id"] == "review_events"), None)
        data.events = list(events["value"]) if events and isinstance(events.get("value"), list) else []
    finally:
        con.close()
    return data
