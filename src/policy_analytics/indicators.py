"""Every indicator and review trigger of docs/reference/metrics.md, computed in SQL over the warehouse views.

`compute_indicators` returns them all as one plain dict (the JSON object of `policy-analytics
indicators --json`); the CLI, the notebooks and the tests all call it. The figures come from the
named queries in `sql/indicators.sql`; this module only runs them and words the triggers.
"""

from __future__ import annotations

import calendar
import functools
import json
import math
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from policy_analytics import db, periods, register
from policy_analytics.errors import UsageError
from policy_analytics.mapping import SchoolNames
from policy_analytics.periods import Period, format_day
from policy_analytics.settings import Settings

TRIGGER_IDS: tuple[str, ...] = (
    "annual_review_due",
    "significant_incidents",
    "removal_target",
    "recirculation",
    "acknowledgement_coverage",
    "incident_rise",
    "review_events",
)
KINDS: tuple[str, ...] = ("incidents", "breaches", "acknowledgements")

_NAME_LINE = re.compile(r"^-- name:\s*(\w+)\s*$", re.MULTILINE)
_PARAMETER = re.compile(r"\$([A-Za-z_]\w*)")


# --- running the named queries --------------------------------------------------------------------


@functools.cache
def queries() -> dict[str, str]:
    """The named queries of `sql/indicators.sql`, by name."""
    text = db.sql_text("indicators.sql")
    parts = _NAME_LINE.split(text)
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2])}


def _used(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters the named query uses, from PARAMS."""
    return {p: params[p] for p in sorted(set(_PARAMETER.findall(queries()[name])))}


def run_query(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[dict[str, Any]]:
    """Run the named query with the parameters it uses; rows as dicts."""
    cursor = con.execute(queries()[name], _used(name, params))
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def _window(period: Period, schools: Iterable[str] = ()) -> dict[str, Any]:
    """The query parameters for a period (its last day included) and the schools wanted beside the organisation."""
    return {
        "start": period.start,
        "end": period.end,
        "end_exclusive": period.end + timedelta(days=1),
        "schools": list(schools),
    }


def _by_school(rows: list[dict[str, Any]]) -> dict[str | None, list[dict[str, Any]]]:
    """A query's rows filed by their `school` column (None = the organisation), in the query's order."""
    filed: dict[str | None, list[dict[str, Any]]] = {}
    for row in rows:
        filed.setdefault(row["school"], []).append(row)
    return filed


def _breakdowns(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Rows of (breakdown, item, n) as {breakdown: {item: n}}, in the queries' order."""
    found: dict[str, dict[str, int]] = {}
    for row in rows:
        found.setdefault(row["breakdown"], {})[row["item"]] = int(row["n"])
    return found


# --- schools --------------------------------------------------------------------------------------


def school_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every school named in the stored rows of any export, in alphabetical order."""
    return [row["school"] for row in run_query(con, "schools")]


def resolve_school(con: duckdb.DuckDBPyConnection, settings: Settings, school: str | None) -> str | None:
    """The school's name as stored, from any spelling of it, alias or URN (mapping.SchoolNames); None stays None."""
    if school is None:
        return None
    stored = school_names(con)
    found = SchoolNames.build(settings.schools, settings.profiles.schools, stored).resolve(school)
    if found is not None:
        return found
    known = sorted(set(stored) | set(settings.schools))
    raise UsageError(f"There is no school called {school!r} in the warehouse or the settings; known schools: {', '.join(known)}.")


# --- the indicators -------------------------------------------------------------------------------


def compute_indicators(
    con: duckdb.DuckDBPyConnection, settings: Settings, period: Period | str, school: str | None = None
) -> dict[str, Any]:
    """Every figure, trigger and data-freshness fact of docs/reference/metrics.md for the period (a Period or
    a label such as '2025-26-autumn'), as a plain dict.

    `school` None covers the organisation; a school is matched ignoring case (UsageError if unknown).
    If `con` was opened with other settings, its views are switched to `settings` first (temp tables only).
    """
    period = periods.from_label(period, settings)
    db.use_settings(con, settings)
    school = resolve_school(con, settings, school)
    return compute_indicators_all(con, settings, period, [school] if school else [])[school]


def compute_indicators_all(
    con: duckdb.DuckDBPyConnection, settings: Settings, period: Period, schools: Iterable[str]
) -> dict[str | None, dict[str, Any]]:
    """The indicators of the organisation (key None) and of each of SCHOOLS (names as stored), each query run once.

    Every query answers for the organisation and every school in one pass (GROUPING SETS), so a
    trust of hundreds of schools costs the same few queries as the organisation alone.
    """
    db.use_settings(con, settings)
    schools = list(dict.fromkeys(schools))
    previous = periods.previous(period, settings)
    window = _window(period, schools)
    found = {s: rows[0] for s, rows in _by_school(run_query(con, "incidents", **window)).items()}
    before = {s: rows[0] for s, rows in _by_school(run_query(con, "incident_total", **_window(previous, schools))).items()}
    counts = _by_school(run_query(con, "incident_counts", **window))
    breaches = {s: rows[0] for s, rows in _by_school(run_query(con, "breaches", **window)).items()}
    breach_counts = _by_school(run_query(con, "breach_counts", **window))
    acks = _by_school(run_query(con, "acknowledgements", **window))
    events = register.events_between(
        register.load_review_events(settings.review_events_file), settings.last_reviewed, period.end
    )
    data = data_status(con)
    result: dict[str | None, dict[str, Any]] = {}
    roster: dict[str | None, list[dict[str, Any]]] | None = None  # read only when some school has no one in post
    for school in [None, *schools]:
        ind = {
            "period": {
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "label": period.label,
                "title": period.title,
            },
            "incidents": _incidents(found[school], _breakdowns(counts.get(school, [])), before[school]["total"]),
            "response": _response(found[school]),
            "visibility": {
                "median_hours": found[school]["visible_median_hours"],
                "p90_hours": found[school]["visible_p90_hours"],
                "max_hours": found[school]["visible_max_hours"],
            },
            "recirculation": _recirculation(found[school]),
            "breaches": _breaches(breaches[school], _breakdowns(breach_counts.get(school, []))),
            "acknowledgements": _acknowledgements(acks[school]),
            "review": review_status(settings, period),
        }
        versions = None
        if ind["acknowledgements"]["active_staff"] == 0:  # say why nothing was measured
            if roster is None:
                roster = _by_school(run_query(con, "roster_versions"))
            versions = [r["policy_version"] for r in roster.get(school, [])]
        ind["triggers"] = triggers(ind, settings, period, previous, events, versions)
        ind["review_recommended"] = any(t["fired"] for t in ind["triggers"])
        ind["data"] = {kind: dict(status) for kind, status in data.items()}
        result[school] = ind
    return result


def compute_indicators_by_school(
    con: duckdb.DuckDBPyConnection, settings: Settings, period: Period, schools: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """`compute_indicators(con, settings, period, school)` for each of SCHOOLS: {school as stored: its indicators}."""
    db.use_settings(con, settings)
    resolver = SchoolNames.build(settings.schools, settings.profiles.schools, school_names(con))
    names = list(dict.fromkeys(resolver.resolve(school) or resolve_school(con, settings, school) for school in schools))
    found = compute_indicators_all(con, settings, period, names)
    return {school: found[school] for school in names}


def indicators_by_term(
    con: duckdb.DuckDBPyConnection, settings: Settings, year_period: Period, school: str | None = None
) -> list[dict[str, Any]]:
    """The indicators of each term (autumn, spring, summer) of an academic year, for the annual report.

    The terms tile the year (holidays belong to the term before them), so their counts add up to the year's.
    """
    return [compute_indicators(con, settings, t, school) for t in periods.terms_of_year(year_period.label, settings)]


def _int_or_none(value: Any) -> int | None:
    """A count as a plain int, keeping None (nothing to measure) as None."""
    return None if value is None else int(value)


def _pct(part: int, whole: int) -> float | None:
    """`part` as a percentage (0-100) of `whole`, or None when `whole` is 0."""
    return 100.0 * part / whole if whole else None


def _incidents(found: dict[str, Any], counts: dict[str, dict[str, int]], previous_total: int) -> dict[str, Any]:
    """The incident counts from the `incidents` query's row and the breakdowns of `incident_counts`."""
    return {
        "total": found["total"],
        "significant": found["significant"],
        "safeguarding": found["safeguarding"],
        "police_referrals": found["police_referrals"],
        "pupil_submitted": found["pupil_submitted"],
        **{key: counts.get(key, {}) for key in ("by_category", "by_platform", "by_severity", "by_school")},
        "previous_total": previous_total,
    }


def _response(found: dict[str, Any]) -> dict[str, Any]:
    """The removal-target figures from the `incidents` query's row."""
    return {
        "removal_needed": found["removal_needed"],
        "removed": found["removed"],
        "within_target": found["within_target"],
        "within_target_pct": _pct(found["within_target"], found["removal_needed"]),
        "still_visible": found["removal_needed"] - found["removed"],
        "median_hours": found["response_median_hours"],
        "p90_hours": found["response_p90_hours"],
    }


def _recirculation(found: dict[str, Any]) -> dict[str, Any]:
    """The shares figures from the `incidents` query's row."""
    return {
        "total_shares": _int_or_none(found["total_shares"]),
        "median_shares": found["median_shares"],
        "p90_shares": found["p90_shares"],
        "max_shares": _int_or_none(found["max_shares"]),
        "multi_platform": found["multi_platform"],
        "wide_spread": found["wide_spread"],
    }


def _breaches(found: dict[str, Any], counts: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Breaches opened, closed and still open, by outcome and rule, and the median days to close."""
    return {
        "opened": found["opened"],
        "closed": found["closed"],
        "open_at_end": found["open_at_end"],
        "by_outcome": counts.get("by_outcome", {}),
        "by_rule": counts.get("by_rule", {}),
        "median_days_to_close": found["median_days_to_close"],
    }


def _acknowledgements(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Acknowledgement coverage of the current policy version among staff in post at the period's end."""
    total = next(r for r in rows if r["all_groups"])
    return {
        "active_staff": total["active_staff"],
        "acknowledged": total["acknowledged"],
        "outstanding": total["active_staff"] - total["acknowledged"],
        "coverage_pct": _pct(total["acknowledged"], total["active_staff"]),
        "by_group": {
            r["staff_group"]: {
                "active_staff": r["active_staff"],
                "acknowledged": r["acknowledged"],
                "coverage_pct": _pct(r["acknowledged"], r["active_staff"]),
            }
            for r in rows
            if not r["all_groups"]
        },
    }


def add_months(day: date, months: int) -> date:
    """`day` plus a number of calendar months, on the month's last day if it is shorter (31 Jan + 1 = 28/29 Feb)."""
    year, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_review_due(settings: Settings) -> date:
    """The earlier of the review date printed on the policy and the last review plus the interval."""
    by_interval = add_months(settings.last_reviewed, settings.review_interval_months)
    return min(by_interval, settings.review_due) if settings.review_due else by_interval


def review_status(settings: Settings, period: Period) -> dict[str, Any]:
    """When the policy was last reviewed, when the next review is due, and whether the period's end is past it."""
    due = next_review_due(settings)
    overdue = period.end > due
    return {
        "last_reviewed": settings.last_reviewed.isoformat(),
        "next_due": due.isoformat(),
        "overdue": overdue,
        "days_overdue": (period.end - due).days if overdue else 0,
    }


def data_status(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Per kind of export: rows stored, rows rejected over all loads, and when a file was last loaded."""
    rows = {r["kind"]: r for r in run_query(con, "data")}
    return {
        kind: {
            "stored": rows[kind]["stored"],
            "rejected": rows[kind]["rejected"],
            "last_loaded": _iso(rows[kind]["last_loaded"]),
        }
        for kind in KINDS
    }


def _iso(moment: datetime | None) -> str | None:
    """A timestamp as ISO 8601 text to the second, or None."""
    return moment.isoformat(timespec="seconds") if moment is not None else None


# --- the review triggers --------------------------------------------------------------------------


def _trigger(trigger_id: str, fired: bool, value: Any, threshold: Any, reason: str) -> dict[str, Any]:
    """One trigger as the JSON shows it."""
    return {"id": trigger_id, "fired": bool(fired), "value": value, "threshold": threshold, "reason": reason}


def _plural(n: int, one: str, many: str | None = None) -> str:
    """'1 incident', '2 incidents', 'No incidents' for 0."""
    word = one if n == 1 else (many or one + "s")
    return f"{'No' if n == 0 else n} {word}"


def _number(value: float) -> str:
    """A number as a governor reads it: whole numbers plain, others to one decimal place."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _percent(value: float, target: float) -> str:
    """A percentage to one decimal place, never rounded up to look like the target it falls short of."""
    shown, goal = _number(value), _number(target)
    if value < target and float(shown) >= target:
        return f"just under {goal}%"
    return f"{shown}%"


def _below(part: int, whole: int, target_pct: float) -> bool:
    """Whether part/whole is below target_pct per cent, exactly (no floating-point rounding at the boundary)."""
    return Decimal(100 * part) < Decimal(str(target_pct)) * whole


def _phrases(period: Period) -> tuple[str, str]:
    """('this term', 'last term') and the like, for the period's kind."""
    if period.kind == "term":
        return "this term", "last term"
    if period.kind == "year":
        return "this year", "last year"
    return "in this period", f"in the {period.days} days before it"


def triggers(
    result: dict[str, Any],
    settings: Settings,
    period: Period,
    previous: Period,
    events: list[register.ReviewEvent],
    roster_versions: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The seven review triggers, each {id, fired, value, threshold, reason}, from the computed figures
    (`roster_versions`: the versions the roster holds, named when no one on it has the settings' version)."""
    targets, this = settings.targets, _phrases(period)[0]
    incidents, response = result["incidents"], result["response"]
    found = [
        _annual_review_trigger(result["review"], settings, period),
        _trigger(
            "significant_incidents",
            incidents["significant"] >= targets.significant_incidents,
            incidents["significant"],
            targets.significant_incidents,
            f"{_plural(incidents['significant'], 'significant incident')} {this} ({_significant_meaning(settings)}); "
            f"the policy asks for a review after {targets.significant_incidents} or more.",
        ),
        _removal_trigger(response, settings, this),
        _trigger(
            "recirculation",
            result["recirculation"]["wide_spread"] >= 1,
            result["recirculation"]["wide_spread"],
            1,
            f"{_plural(result['recirculation']['wide_spread'], 'incident')} {this} spread widely "
            f"({targets.wide_spread_shares} or more shares, or found on {targets.wide_spread_platforms} or more "
            "platforms); any such incident calls for a review.",
        ),
        _coverage_trigger(result["acknowledgements"], settings, period, roster_versions),
        _rise_trigger(incidents, settings, period),
        _events_trigger(events, settings, period),
    ]
    assert [t["id"] for t in found] == list(TRIGGER_IDS)
    return found


def _significant_meaning(settings: Settings) -> str:
    """What makes an incident significant under these settings, in words."""
    parts = []
    if settings.significant.severities:
        parts.append(f"severity {' or '.join(settings.significant.severities)}")
    if settings.significant.police_referral:
        parts.append("referred to the police")
    if settings.significant.safeguarding:
        parts.append("a safeguarding concern")
    if not parts:
        return "no incident counts as significant under the settings"
    return ", ".join(parts[:-1]) + (" or " if len(parts) > 1 else "") + parts[-1]


def _annual_review_trigger(review: dict[str, Any], settings: Settings, period: Period) -> dict[str, Any]:
    """Fires when the period ends after the next review was due."""
    due = date.fromisoformat(review["next_due"])
    why = (
        "the review date printed on the policy"
        if settings.review_due is not None and due == settings.review_due
        else f"{settings.review_interval_months} months after the last review on {format_day(settings.last_reviewed)}"
    )
    if review["overdue"]:
        days = review["days_overdue"]
        reason = (
            f"The policy review was due on {format_day(due)} ({why}) and is {days} day{'s' if days != 1 else ''} "
            f"overdue at the end of the period ({format_day(period.end)})."
        )
    else:
        reason = (
            f"The next policy review is due on {format_day(due)} ({why}), "
            f"so it is not overdue at the end of the period ({format_day(period.end)})."
        )
    return _trigger("annual_review_due", review["overdue"], review["days_overdue"], review["next_due"], reason)


def _removal_trigger(response: dict[str, Any], settings: Settings, this: str) -> dict[str, Any]:
    """Fires when incidents needed removal and too few were removed within the target hours."""
    hours, target = _number(settings.targets.removal_hours), settings.targets.removal_within_target_pct
    needed, within = response["removal_needed"], response["within_target"]
    if needed == 0:
        return _trigger(
            "removal_target", False, None, target,
            f"No incident {this} needed material removing, so there is nothing to measure "
            f"against the {hours}-hour removal target.",
        )
    return _trigger(
        "removal_target",
        _below(within, needed, target),
        response["within_target_pct"],
        target,
        f"{within} of {_plural(needed, 'incident')} needing removal {this} "
        f"({_percent(response['within_target_pct'], target)}) had the material removed within {hours} hours "
        f"of the report; the target is at least {_number(target)}%.",
    )


def _coverage_trigger(
    acks: dict[str, Any], settings: Settings, period: Period, roster_versions: list[str] | None = None
) -> dict[str, Any]:
    """Fires when too few staff in post had acknowledged the current policy version; value None (shown as '–')
    when nothing could be measured, with a sentence naming the versions the roster holds."""
    target, version = settings.targets.acknowledgement_coverage_pct, settings.policy_version
    staff, done = acks["active_staff"], acks["acknowledged"]
    if staff == 0 and roster_versions is not None and version not in roster_versions:
        held = f"it holds versions {', '.join(roster_versions)}" if roster_versions else "no roster is loaded"
        return _trigger(
            "acknowledgement_coverage", False, None, target,
            f"No row of the acknowledgement roster has policy version {version} (the settings' policy.version): "
            f"{held}, so acknowledgement coverage cannot be measured.",
        )
    if staff == 0:
        return _trigger(
            "acknowledgement_coverage", False, None, target,
            f"No staff in post on {format_day(period.end)} are on the roster for policy version {version}, "
            "so acknowledgement coverage cannot be measured.",
        )
    return _trigger(
        "acknowledgement_coverage",
        _below(done, staff, target),
        acks["coverage_pct"],
        target,
        f"{done} of {_plural(staff, 'member')} of staff in post on {format_day(period.end)} "
        f"({_percent(acks['coverage_pct'], target)}) had acknowledged policy version {version}; "
        f"the target is at least {_number(target)}%.",
    )


def _rise_trigger(incidents: dict[str, Any], settings: Settings, period: Period) -> dict[str, Any]:
    """Fires when incidents reach the minimum and the ratio times the comparison period's."""
    total, before = incidents["total"], incidents["previous_total"]
    ratio, minimum = settings.targets.incident_rise_ratio, settings.targets.incident_rise_min
    threshold = max(minimum, math.ceil(Decimal(str(ratio)) * before))
    this, last = _phrases(period)
    return _trigger(
        "incident_rise",
        total >= threshold,
        total,
        threshold,
        f"{_plural(total, 'incident')} {this} against {before} {last}; a rise to {threshold} or more "
        f"(at least {minimum}, and at least {_number(ratio)} times the {before} {last}) calls for a review.",
    )


def _events_trigger(events: list[register.ReviewEvent], settings: Settings, period: Period) -> dict[str, Any]:
    """Fires when the register holds changes dated after the last review and by the period's end."""
    listed = [{"date": e.date.isoformat(), "kind": e.kind, "title": e.title, "source": e.source} for e in events]
    span = f"after the last review ({format_day(settings.last_reviewed)}) and by {format_day(period.end)}"
    if not events:
        reason = f"No changes in law, guidance or case law in the review-events register are dated {span}."
    else:
        latest = events[-1]
        reason = (
            f"{_plural(len(events), 'change')} in law, guidance or case law dated {span} may need the policy "
            f"updating; the latest: {latest.title} ({format_day(latest.date)})."
        )
    reason += " " + register.register_note(register.register_as_of(), period.end)
    return _trigger("review_events", bool(events), listed, 1, reason)


# --- output ---------------------------------------------------------------------------------------


def to_json(indicators: dict[str, Any]) -> str:
    """The indicators as the JSON text `policy-analytics indicators --json` prints."""
    return json.dumps(indicators, indent=2, ensure_ascii=False, allow_nan=False)


def _fmt(value: Any, unit: str = "") -> str:
    """A figure for the text summary: None as 'none to measure', floats to one decimal place."""
    if value is None:
        return "none to measure"
    if isinstance(value, float):
        return f"{_number(value)}{unit}"
    return f"{value}{unit}"


def _items(counts: dict[str, int]) -> str:
    """Counts as 'a 2, b 1' for the text summary."""
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"


def to_text(indicators: dict[str, Any], heading: str = "", settings: Settings | None = None) -> str:
    """A readable summary for the terminal: the review triggers first, then the figures (trigger names worded with
    the settings' targets)."""
    from policy_analytics.metrics import trigger_labels

    names = trigger_labels(settings)
    ind = indicators
    p, inc, resp, vis, rec = ind["period"], ind["incidents"], ind["response"], ind["visibility"], ind["recirculation"]
    br, ack, rev = ind["breaches"], ind["acknowledgements"], ind["review"]
    fired = [t for t in ind["triggers"] if t["fired"]]
    start, end = date.fromisoformat(p["start"]), date.fromisoformat(p["end"])
    lines = [
        f"{heading + ': ' if heading else ''}{p['title']} ({format_day(start)} to {format_day(end)})",
        "",
        f"Review triggers: {len(fired)} of {len(ind['triggers'])} fired. "
        + ("A policy review is recommended." if ind["review_recommended"] else "No review is called for."),
    ]
    width = max(len(label) for label in names.values())
    for t in ind["triggers"]:
        lines.append(f"  {'FIRED' if t['fired'] else 'ok':5}  {names[t['id']]:{width}}  {t['reason']}")
    lines += [
        "",
        f"Incidents          {inc['total']} (comparison period {inc['previous_total']}); {inc['significant']} significant, "
        f"{inc['safeguarding']} safeguarding, {inc['police_referrals']} referred to the police, "
        f"{inc['pupil_submitted']} posted by pupils",
        f"  by category      {_items(inc['by_category'])}",
        f"  by platform      {_items(inc['by_platform'])}",
        f"  by severity      {_items(inc['by_severity'])}",
        f"  by school        {_items(inc['by_school'])}",
        f"Removal            {resp['removal_needed']} needed, {resp['removed']} removed, {resp['within_target']} within "
        f"target ({_fmt(resp['within_target_pct'], '%')}), {resp['still_visible']} still visible; hours from report "
        f"to removal: median {_fmt(resp['median_hours'])}, 90th percentile {_fmt(resp['p90_hours'])}",
        f"Visibility         hours visible: median {_fmt(vis['median_hours'])}, 90th percentile "
        f"{_fmt(vis['p90_hours'])}, longest {_fmt(vis['max_hours'])}",
        f"Recirculation      {_fmt(rec['total_shares'])} shares in all (median {_fmt(rec['median_shares'])}, "
        f"90th percentile {_fmt(rec['p90_shares'])}, most {_fmt(rec['max_shares'])}); {rec['multi_platform']} on "
        f"2 or more platforms, {rec['wide_spread']} spread widely",
        f"Breaches           {br['opened']} opened, {br['closed']} closed, {br['open_at_end']} open at the end; "
        f"median days to close {_fmt(br['median_days_to_close'])}",
        f"  by outcome       {_items(br['by_outcome'])}",
        f"  by rule          {_items(br['by_rule'])}",
        f"Acknowledgements   {ack['acknowledged']} of {ack['active_staff']} staff in post "
        f"({_fmt(ack['coverage_pct'], '%')}); {ack['outstanding']} outstanding",
    ]
    for group, g in ack["by_group"].items():
        lines.append(f"  {group:16} {g['acknowledged']} of {g['active_staff']} ({_fmt(g['coverage_pct'], '%')})")
    lines.append(
        f"Review             last reviewed {format_day(date.fromisoformat(rev['last_reviewed']))}, "
        f"next due {format_day(date.fromisoformat(rev['next_due']))}, "
        + (f"overdue by {rev['days_overdue']} days" if rev["overdue"] else "not overdue")
    )
    lines.append("Data (whole warehouse)")
    for kind, d in ind["data"].items():
        lines.append(
            f"  {kind:16} {d['stored']} rows stored, {d['rejected']} rejected, "
            f"last loaded {(d['last_loaded'] or 'never').replace('T', ' ')}"
        )
    return "\n".join(lines)
