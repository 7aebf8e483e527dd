"""Property tests (hypothesis): invariants the indicators keep whatever rows the exports hold."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy_analytics import periods, vocab
from policy_analytics.indicators import school_names
from policy_analytics.settings import Settings

if TYPE_CHECKING:
    from conftest import Warehouse

SCHOOLS = ("Alder School", "Birch School")  # the schools of conftest's warehouses
EXTRA_SCHOOL = "Cedar School"  # data for a school the settings do not list still counts
ALL_SCHOOLS = (*SCHOOLS, EXTRA_SCHOOL)
SETTINGS = Settings(schools=SCHOOLS)
FIRST = datetime(2025, 6, 1)  # rows fall from here ...
SPAN_MINUTES = int((datetime(2026, 2, 28) - FIRST).total_seconds() // 60)  # ... to the end of Feb 2026
AUTUMN = periods.term("2025-26-autumn", SETTINGS)

EXAMPLES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

incidents_st = st.lists(
    st.fixed_dictionaries({
        "school": st.sampled_from(ALL_SCHOOLS),
        "reported": st.integers(0, SPAN_MINUTES),
        "posted_before": st.none() | st.integers(-120, 10_000),  # minutes before the report
        "removal": st.sampled_from(["none", "requested", "removed", "requested_and_removed"]),
        "removed_after": st.integers(-300, 4_000),  # minutes after the report (negative: before)
        "category": st.sampled_from(list(vocab.CATEGORIES)),
        "platform": st.sampled_from(list(vocab.PLATFORMS)),
        "severity": st.sampled_from(vocab.SEVERITIES),
        "submitted_by": st.sampled_from(vocab.SUBMITTERS),
        "safeguarding": st.booleans(),
        "police_referral": st.booleans(),
        "shares": st.none() | st.integers(0, 60),
        "platforms_reached": st.none() | st.integers(1, 5),
    }),
    max_size=25,
)

periods_st = st.one_of(
    st.just(AUTUMN),
    st.tuples(st.integers(0, 250), st.integers(0, 120)).map(
        lambda t: periods.custom(date(2025, 6, 1) + timedelta(days=t[0]), date(2025, 6, 1) + timedelta(days=t[0] + t[1]))
    ),
)


def _store_incidents(w: Warehouse, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store the generated incidents; return them with their timestamps, for the oracles below."""
    w.clear()
    stored = []
    for n, r in enumerate(rows):
        reported = FIRST + timedelta(minutes=r["reported"])
        removed = reported + timedelta(minutes=r["removed_after"]) if "removed" in r["removal"] else None
        posted = reported - timedelta(minutes=r["posted_before"]) if r["posted_before"] is not None else None
        if posted and removed and removed < posted:
            posted = removed  # the loader rejects removal before posting
        w.incident(
            f"H{n}", reported, school=r["school"], posted_at=posted,
            removal_requested_at=reported if "requested" in r["removal"] else None, removed_at=removed,
            platform=r["platform"], category=r["category"], severity=r["severity"],
            submitted_by=r["submitted_by"], safeguarding=r["safeguarding"], police_referral=r["police_referral"],
            shares=r["shares"], platforms_reached=r["platforms_reached"],
        )
        stored.append({**r, "reported_at": reported, "removed_at": removed, "posted_at": posted})
    return stored


def _schools(w: Warehouse) -> list[str]:
    """The schools --school accepts: those listed in the settings and those in the data."""
    return sorted(set(SCHOOLS) | set(school_names(w.con)))


def _in(period: periods.Period, moment: datetime) -> bool:
    return period.start <= moment.date() <= period.end


def _percentile(values: list[float], q: float) -> float | None:
    """NumPy's default (linear) percentile, the oracle for quantile_cont."""
    return float(np.percentile(values, q)) if values else None


def _ordered(*values: float | None) -> bool:
    present = [v for v in values if v is not None]
    return all(a <= b + 1e-9 for a, b in zip(present, present[1:]))


COUNTS = ("total", "significant", "safeguarding", "police_referrals", "pupil_submitted", "previous_total")
RESPONSE_COUNTS = ("removal_needed", "removed", "within_target", "still_visible")


@EXAMPLES
@given(rows=incidents_st, period=periods_st)
def test_incident_invariants(module_warehouse: Warehouse, rows: list[dict[str, Any]], period: periods.Period) -> None:
    stored = _store_incidents(module_warehouse, rows)
    org = module_warehouse.indicators(period)
    inc, resp, vis, rec = org["incidents"], org["response"], org["visibility"], org["recirculation"]

    # Counts by category, platform, severity and school each add up to the total; no zero entries.
    for key in ("by_category", "by_platform", "by_severity", "by_school"):
        assert sum(inc[key].values()) == inc["total"]
        assert all(n > 0 for n in inc[key].values())

    # within target <= removed <= removal needed; still visible is the difference.
    assert 0 <= resp["within_target"] <= resp["removed"] <= resp["removal_needed"] <= inc["total"]
    assert resp["still_visible"] == resp["removal_needed"] - resp["removed"]
    assert (resp["within_target_pct"] is None) == (resp["removal_needed"] == 0)
    assert resp["within_target_pct"] is None or 0 <= resp["within_target_pct"] <= 100
    assert rec["wide_spread"] <= inc["total"] and rec["multi_platform"] <= inc["total"]

    # median <= p90 <= max.
    assert _ordered(resp["median_hours"], resp["p90_hours"])
    assert _ordered(vis["median_hours"], vis["p90_hours"], vis["max_hours"])
    assert _ordered(rec["median_shares"], rec["p90_shares"], rec["max_shares"])

    # The percentiles agree with NumPy's linear interpolation over the same incidents.
    chosen = [r for r in stored if _in(period, r["reported_at"])]
    removed = [r for r in chosen if r["removed_at"] is not None]
    hours = [max((r["removed_at"] - r["reported_at"]).total_seconds() / 3600, 0) for r in removed]
    visible = [max((r["removed_at"] - (r["posted_at"] or r["reported_at"])).total_seconds() / 3600, 0) for r in removed]
    shares = [r["shares"] for r in chosen if r["shares"] is not None]
    assert inc["total"] == len(chosen)
    assert resp["median_hours"] == pytest.approx(_percentile(hours, 50))
    assert resp["p90_hours"] == pytest.approx(_percentile(hours, 90))
    assert vis["p90_hours"] == pytest.approx(_percentile(visible, 90))
    assert vis["max_hours"] == pytest.approx(max(visible) if visible else None)
    assert rec["p90_shares"] == pytest.approx(_percentile(shares, 90))

    # Organisation figures are the sums of the per-school figures.
    schools = _schools(module_warehouse)
    per_school = [module_warehouse.indicators(period, school=s) for s in schools]
    for key in COUNTS:
        assert inc[key] == sum(r["incidents"][key] for r in per_school), key
    for key in RESPONSE_COUNTS:
        assert resp[key] == sum(r["response"][key] for r in per_school), key
    for key in ("multi_platform", "wide_spread"):
        assert rec[key] == sum(r["recirculation"][key] for r in per_school), key
    school_shares = [r["recirculation"]["total_shares"] for r in per_school if r["recirculation"]["total_shares"] is not None]
    assert rec["total_shares"] == (sum(school_shares) if school_shares else None)
    assert inc["by_school"] == {s: r["incidents"]["total"] for s, r in zip(schools, per_school) if r["incidents"]["total"]}


breaches_st = st.lists(
    st.fixed_dictionaries({
        "school": st.sampled_from(ALL_SCHOOLS),
        "opened": st.integers(0, 270),  # days after 1 Jun 2025
        "open_for": st.none() | st.integers(0, 200),
        "rule": st.sampled_from(list(vocab.CATEGORIES)),
        "outcome": st.none() | st.sampled_from(vocab.OUTCOMES),
    }),
    max_size=15,
)

staff_st = st.lists(
    st.fixed_dictionaries({
        "school": st.sampled_from(ALL_SCHOOLS),
        "group": st.sampled_from(vocab.STAFF_GROUPS),
        "start": st.none() | st.integers(-400, 300),  # days after 1 Jun 2025
        "stays": st.none() | st.integers(0, 400),
        "acknowledged": st.none() | st.integers(-400, 300),
        "current": st.booleans(),
    }),
    max_size=15,
)


@EXAMPLES
@given(breaches=breaches_st, staff=staff_st, period=periods_st)
def test_breach_and_acknowledgement_invariants(
    module_warehouse: Warehouse, breaches: list[dict[str, Any]], staff: list[dict[str, Any]], period: periods.Period
) -> None:
    w = module_warehouse
    w.clear()
    day0 = date(2025, 6, 1)
    for n, b in enumerate(breaches):
        opened = day0 + timedelta(days=b["opened"])
        closed = opened + timedelta(days=b["open_for"]) if b["open_for"] is not None else None
        w.breach(f"B{n}", opened, closed, school=b["school"], rule=b["rule"], outcome=b["outcome"] if closed else None)
    for n, s in enumerate(staff):
        start = day0 + timedelta(days=s["start"]) if s["start"] is not None else None
        leave = (start or day0) + timedelta(days=s["stays"]) if s["stays"] is not None else None
        acknowledged = datetime(2025, 6, 1, 9) + timedelta(days=s["acknowledged"]) if s["acknowledged"] is not None else None
        w.staff(f"S{n}", staff_group=s["group"], school=s["school"], start_date=start, leave_date=leave,
                acknowledged_at=acknowledged, policy_version=None if s["current"] else "2019-01")

    org = w.indicators(period)
    br, ack = org["breaches"], org["acknowledgements"]
    assert sum(br["by_outcome"].values()) == br["closed"]
    assert sum(br["by_rule"].values()) == br["opened"]
    assert (br["median_days_to_close"] is None) == (br["closed"] == 0)
    assert 0 <= ack["acknowledged"] <= ack["active_staff"] <= len(staff)
    assert ack["outstanding"] == ack["active_staff"] - ack["acknowledged"]
    assert sum(g["active_staff"] for g in ack["by_group"].values()) == ack["active_staff"]
    assert sum(g["acknowledged"] for g in ack["by_group"].values()) == ack["acknowledged"]
    assert ack["coverage_pct"] is None or 0 <= ack["coverage_pct"] <= 100

    # Open at the end = opened by the end - closed by the end (a breach closes after it opens).
    opened_by_end = sum(1 for n, b in enumerate(breaches) if day0 + timedelta(days=b["opened"]) <= period.end)
    closed_by_end = sum(
        1 for b in breaches
        if b["open_for"] is not None and day0 + timedelta(days=b["opened"] + b["open_for"]) <= period.end
    )
    assert br["open_at_end"] == opened_by_end - closed_by_end

    per_school = [w.indicators(period, school=s) for s in _schools(w)]
    for key in ("opened", "closed", "open_at_end"):
        assert br[key] == sum(r["breaches"][key] for r in per_school), key
    for key in ("active_staff", "acknowledged", "outstanding"):
        assert ack[key] == sum(r["acknowledgements"][key] for r in per_school), key
