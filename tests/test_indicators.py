"""Indicators and review triggers (docs/reference/metrics.md), on small fixtures whose every figure is worked by hand.

The main fixture is autumn term 2025-26 (1 Sep to 31 Dec 2025) for two schools, Alder and Birch.
Each expected value carries the arithmetic that gives it in a comment.
"""

from __future__ import annotations

import fnmatch
import sys
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from policy_analytics import cli, indicators, periods
from policy_analytics.errors import UsageError
from policy_analytics.indicators import (
    TRIGGER_IDS,
    add_months,
    indicators_by_term,
    next_review_due,
    school_names,
    to_json,
    to_text,
)
from policy_analytics.load import load_file
from policy_analytics.metrics import METRICS, metrics_markdown
from policy_analytics.settings import Settings, Targets

if TYPE_CHECKING:
    from conftest import Warehouse

TWO_SCHOOLS = Settings(schools=("Alder School", "Birch School"))  # as conftest's warehouses use

AUTUMN = periods.term("2025-26-autumn", TWO_SCHOOLS)
T = datetime  # short for the fixtures


def _trigger(result: dict[str, Any], trigger_id: str) -> dict[str, Any]:
    return next(t for t in result["triggers"] if t["id"] == trigger_id)


def build_autumn(w: Warehouse) -> None:
    """The hand-worked fixture: incidents I1-I9, breaches B1-B7, roster S1-S7."""
    # I1: removed exactly 24 h after the report (within target); visible from posting 36 h.
    w.incident("I1", T(2025, 9, 10, 9, 0), posted_at=T(2025, 9, 9, 21, 0), removed_at=T(2025, 9, 11, 9, 0),
               platform="Facebook", category="bullying", severity="low", shares=0, platforms_reached=1)
    # I2: removed 24 h 1 min after the report (not within target); no posted_at, so visible 24 h 1 min.
    w.incident("I2", T(2025, 9, 20, 10, 0), removed_at=T(2025, 9, 21, 10, 1),
               platform="Instagram", category="bullying", severity="medium", shares=19, platforms_reached=2)
    # I3: removal requested, never confirmed (still visible); high severity; 20 shares (widely spread).
    w.incident("I3", T(2025, 10, 5, 8, 0), removal_requested_at=T(2025, 10, 5, 9, 0),
               platform="TikTok", category="offensive", severity="high", shares=20, platforms_reached=1)
    # I4: a pupil's post, safeguarding, removed after 2 h, visible 26 h, on 3 platforms (widely spread).
    w.incident("I4", T(2025, 11, 1, 12, 0), posted_at=T(2025, 10, 31, 12, 0), removed_at=T(2025, 11, 1, 14, 0),
               platform="Snapchat", category="grooming", severity="low", submitted_by="pupil",
               safeguarding=True, platforms_reached=3)
    # I5 (Birch): reported 23:59 on the term's last day, police referral, removed 12 h later, visible 24 h.
    w.incident("I5", T(2025, 12, 31, 23, 59), school="Birch School", posted_at=T(2025, 12, 31, 11, 59),
               removed_at=T(2026, 1, 1, 11, 59), platform="X", category="defamatory", severity="medium",
               police_referral=True, shares=5)
    # I6: removal confirmed 2 h *before* the report (counts as 0 h); visible 1 h.
    w.incident("I6", T(2025, 12, 1, 10, 0), posted_at=T(2025, 12, 1, 7, 0), removed_at=T(2025, 12, 1, 8, 0),
               platform="Facebook", category="bullying", severity="low")
    # Outside the term: I7 at 00:00 on the day after it; I8 in the summer term before; I9 in the spring before that.
    w.incident("I7", T(2026, 1, 1, 0, 0), severity="critical")
    w.incident("I8", T(2025, 8, 31, 23, 59))
    w.incident("I9", T(2025, 4, 20, 23, 59))  # Easter Sunday 2025: the last minute of spring 2024-25

    # Breaches.
    w.breach("B1", date(2025, 9, 5), date(2025, 10, 5), rule="disrepute", outcome="informal_advice")  # 30 days
    w.breach("B2", date(2025, 6, 1), date(2025, 12, 31), rule="confidential", outcome="written_warning")  # 213 days
    w.breach("B3", date(2025, 12, 31), school="Birch School", rule="bullying")  # opened on the last day, open
    w.breach("B4", date(2025, 11, 1), date(2026, 1, 1), rule="disrepute", outcome="dismissal")  # closed the day after
    w.breach("B5", date(2025, 8, 31), date(2025, 9, 1), rule="copyright")  # closed on the first day, no outcome; 1 day
    w.breach("B6", date(2026, 1, 1), rule="unlawful")  # opened after the end
    w.breach("B7", date(2025, 3, 1), date(2025, 8, 31), rule="unlawful", outcome="no_case_to_answer")  # before

    # Acknowledgement roster for version 2024-10 (current), as at the end of 31 Dec 2025.
    w.staff("S1", acknowledged_at=T(2024, 11, 1, 8, 0))  # in post, acknowledged
    w.staff("S2", leave_date=date(2025, 12, 31), acknowledged_at=T(2025, 12, 31, 23, 59))  # leaves on the last day: in post; acknowledged in its last minute
    w.staff("S3", leave_date=date(2025, 12, 30), acknowledged_at=T(2025, 1, 1, 9, 0))  # left the day before: not in post
    w.staff("S4", staff_group="support", start_date=date(2026, 1, 1))  # starts after the end: not in post
    w.staff("S5", staff_group="support", start_date=date(2025, 12, 31), acknowledged_at=T(2026, 1, 1, 0, 0))  # in post; acknowledged too late
    w.staff("S6", staff_group="support", school="Birch School")  # in post, not acknowledged
    w.staff("S1", policy_version="2023-01", acknowledged_at=T(2023, 2, 1))  # an older version: ignored
    w.staff("S7", policy_version="2023-01", acknowledged_at=T(2023, 2, 1))  # only on the old version: ignored


@pytest.fixture
def autumn(warehouse: Warehouse) -> Warehouse:
    build_autumn(warehouse)
    return warehouse


@pytest.fixture
def result(autumn: Warehouse) -> dict[str, Any]:
    return autumn.indicators(AUTUMN)


# --- every figure ---------------------------------------------------------------------------------


def test_period(result: dict[str, Any]) -> None:
    assert result["period"] == {
        "start": "2025-09-01", "end": "2025-12-31", "label": "2025-26-autumn", "title": "Autumn term 2025-26",
    }


def test_incident_counts(result: dict[str, Any]) -> None:
    inc = result["incidents"]
    assert inc["total"] == 6  # I1-I6; I7 is 00:00 the day after, I8 and I9 before
    assert inc["significant"] == 3  # I3 high, I4 safeguarding, I5 police
    assert inc["safeguarding"] == 1  # I4
    assert inc["police_referrals"] == 1  # I5
    assert inc["pupil_submitted"] == 1  # I4
    assert inc["by_category"] == {"bullying": 3, "defamatory": 1, "grooming": 1, "offensive": 1}
    assert inc["by_platform"] == {"Facebook": 2, "Instagram": 1, "Snapchat": 1, "TikTok": 1, "X": 1}
    assert inc["by_severity"] == {"low": 3, "medium": 2, "high": 1}  # no critical: left out
    assert inc["by_school"] == {"Alder School": 5, "Birch School": 1}
    assert inc["previous_total"] == 1  # summer 2024-25 is 21 Apr-31 Aug 2025: I8 only


def test_response(result: dict[str, Any]) -> None:
    # Removal needed: all six (I3 by its request, the others by their removal). Removed: all but I3.
    # Hours report -> removal: I1 24, I2 24 1/60, I4 2, I5 12, I6 -2 -> 0. Within 24 h: I1, I4, I5, I6.
    assert result["response"] == {
        "removal_needed": 6,
        "removed": 5,
        "within_target": 4,
        "within_target_pct": pytest.approx(100 * 4 / 6),
        "still_visible": 1,
        # sorted 0, 2, 12, 24, 24.01667: median the 3rd = 12;
        # p90 at rank 0.9 * 4 = 3.6: 24 + 0.6 * (1/60) = 24.01
        "median_hours": pytest.approx(12.0),
        "p90_hours": pytest.approx(24.01),
    }


def test_visibility(result: dict[str, Any]) -> None:
    # Hours posted (else reported) -> removal: I1 36, I2 24 1/60, I4 26, I5 24, I6 1.
    # Sorted 1, 24, 24.01667, 26, 36: median 24.01667; p90 at rank 3.6: 26 + 0.6 * 10 = 32; max 36.
    assert result["visibility"] == {
        "median_hours": pytest.approx(24 + 1 / 60),
        "p90_hours": pytest.approx(32.0),
        "max_hours": pytest.approx(36.0),
    }


def test_recirculation(result: dict[str, Any]) -> None:
    # Shares recorded: I1 0, I2 19, I3 20, I5 5 (I4 and I6 blank). Sorted 0, 5, 19, 20.
    assert result["recirculation"] == {
        "total_shares": 44,  # 0 + 19 + 20 + 5
        "median_shares": pytest.approx(12.0),  # rank 1.5: 5 + 0.5 * 14
        "p90_shares": pytest.approx(19.7),  # rank 2.7: 19 + 0.7 * 1
        "max_shares": 20,
        "multi_platform": 2,  # I2 (2 platforms), I4 (3)
        "wide_spread": 2,  # I3 (20 shares, exactly the threshold), I4 (3 platforms); not I2 (19 shares, 2 platforms)
    }


def test_breaches(result: dict[str, Any]) -> None:
    assert result["breaches"] == {
        "opened": 3,  # B1, B3 (on the last day), B4
        "closed": 3,  # B1, B2 (on the last day), B5 (on the first day)
        "open_at_end": 2,  # B3 (never closed), B4 (closed the day after the end)
        "by_outcome": {"informal_advice": 1, "not_recorded": 1, "written_warning": 1},  # B1, B5, B2
        "by_rule": {"disrepute": 2, "bullying": 1},  # B1 and B4, B3
        "median_days_to_close": pytest.approx(30.0),  # of B1 30, B2 213, B5 1
    }


def test_acknowledgements(result: dict[str, Any]) -> None:
    # In post at the end of 31 Dec 2025: S1, S2 (leaves that day), S5 (started that day), S6.
    # Not: S3 (left 30 Dec), S4 (starts 1 Jan), S7 (old version only). Acknowledged by then: S1, S2.
    assert result["acknowledgements"] == {
        "active_staff": 4,
        "acknowledged": 2,
        "outstanding": 2,
        "coverage_pct": pytest.approx(50.0),
        "by_group": {
            "support": {"active_staff": 2, "acknowledged": 0, "coverage_pct": 0.0},  # S5, S6
            "teaching": {"active_staff": 2, "acknowledged": 2, "coverage_pct": 100.0},  # S1, S2
        },
    }


def test_review_with_default_settings(result: dict[str, Any]) -> None:
    # Last reviewed 1 Oct 2024 + 12 months = 1 Oct 2025, earlier than the printed 1 Oct 2026.
    # 1 Oct -> 31 Dec 2025 is 30 + 30 + 31 = 91 days.
    assert result["review"] == {
        "last_reviewed": "2024-10-01", "next_due": "2025-10-01", "overdue": True, "days_overdue": 91,
    }


def test_data_block_counts_directly_stored_rows(autumn: Warehouse) -> None:
    con = autumn.con
    con.execute("INSERT INTO loads VALUES (1, 'incidents', 'a.csv', 'x', TIMESTAMP '2026-01-05 09:30', 'loaded', 3, 3, 0, 1, [], 0)")
    con.execute("INSERT INTO loads VALUES (2, 'incidents', 'b.csv', 'y', TIMESTAMP '2026-01-06 10:00', 'loaded', 3, 0, 3, 1, [], 0)")
    # Load 1 row 5 has two problems (one rejected row); load 2 rejects row 5 again: two rejected rows in all.
    con.execute("INSERT INTO rejects VALUES (1, 'incidents', 'a.csv', 5, 'shares', '-1', 'r1'), "
                "(1, 'incidents', 'a.csv', 5, 'severity', 'huge', 'r2'), (2, 'incidents', 'b.csv', 5, NULL, NULL, 'r3')")
    data = autumn.indicators(AUTUMN)["data"]
    assert data == {
        "incidents": {"stored": 9, "rejected": 2, "last_loaded": "2026-01-06T10:00:00"},
        "breaches": {"stored": 7, "rejected": 0, "last_loaded": None},
        "acknowledgements": {"stored": 8, "rejected": 0, "last_loaded": None},
    }


def test_data_block_after_a_real_load(warehouse: Warehouse, tmp_path: Path) -> None:
    export = tmp_path / "incidents.csv"
    export.write_text(
        "incident_id,school,reported_at,platform,category,severity,shares\n"
        "A1,Alder School,07/10/2025 14:30,fb,bullying,low,3\n"
        "A2,Alder School,not a date,fb,bullying,huge,-1\n",  # one row, three problems: rejected once
        encoding="utf-8",
    )
    load_file(warehouse.con, export, default_school="Alder School")
    data = warehouse.indicators(AUTUMN)["data"]["incidents"]
    assert (data["stored"], data["rejected"]) == (1, 1)
    assert data["last_loaded"] is not None and datetime.fromisoformat(data["last_loaded"])
    assert warehouse.indicators(AUTUMN)["incidents"]["by_platform"] == {"Facebook": 1}


# --- the triggers ---------------------------------------------------------------------------------


def test_triggers_on_the_fixture(result: dict[str, Any]) -> None:
    assert [t["id"] for t in result["triggers"]] == list(TRIGGER_IDS)
    assert all(set(t) == {"id", "fired", "value", "threshold", "reason"} for t in result["triggers"])
    fired = {t["id"]: (t["fired"], t["value"], t["threshold"]) for t in result["triggers"]}
    assert fired["annual_review_due"] == (True, 91, "2025-10-01")
    assert fired["significant_incidents"] == (True, 3, 1)
    assert fired["removal_target"] == (True, pytest.approx(100 * 4 / 6), 90)
    assert fired["recirculation"] == (True, 2, 1)
    assert fired["acknowledgement_coverage"] == (True, 50.0, 95)
    assert fired["incident_rise"] == (True, 6, 5)  # 6 >= 5 and 6 >= 1.5 x 1
    assert fired["review_events"][0] is True  # shipped events after 1 Oct 2024 (KCSIE 2025 ...)
    assert result["review_recommended"] is True


def test_trigger_reasons_read_as_plain_english(result: dict[str, Any]) -> None:
    reasons = {t["id"]: t["reason"] for t in result["triggers"]}
    assert reasons["significant_incidents"].startswith("3 significant incidents this term (")
    assert reasons["significant_incidents"].endswith("the policy asks for a review after 1 or more.")
    assert reasons["removal_target"] == (
        "4 of 6 incidents needing removal this term (66.7%) had the material removed within 24 hours "
        "of the report; the target is at least 90%."
    )
    assert reasons["acknowledgement_coverage"] == (
        "2 of 4 members of staff in post on 31 Dec 2025 (50%) had acknowledged policy version 2024-10; "
        "the target is at least 95%."
    )
    assert reasons["annual_review_due"] == (
        "The policy review was due on 1 Oct 2025 (12 months after the last review on 1 Oct 2024) and is "
        "91 days overdue at the end of the period (31 Dec 2025)."
    )
    assert "6 incidents this term against 1 last term" in reasons["incident_rise"]
    assert "Keeping Children Safe in Education 2025" in json.dumps(_trigger(result, "review_events")["value"])


def test_nothing_to_measure_gives_nulls_and_no_fired_triggers_but_the_review(warehouse: Warehouse) -> None:
    result = warehouse.indicators(AUTUMN)
    assert result["incidents"]["total"] == 0
    assert result["incidents"]["by_category"] == {} and result["incidents"]["by_school"] == {}
    assert result["response"]["within_target_pct"] is None
    assert result["response"]["median_hours"] is None and result["response"]["p90_hours"] is None
    assert result["visibility"] == {"median_hours": None, "p90_hours": None, "max_hours": None}
    assert result["recirculation"]["total_shares"] is None and result["recirculation"]["max_shares"] is None
    assert result["breaches"]["median_days_to_close"] is None and result["breaches"]["by_outcome"] == {}
    assert result["acknowledgements"]["coverage_pct"] is None and result["acknowledgements"]["by_group"] == {}
    by_id = {t["id"]: t for t in result["triggers"]}
    assert by_id["removal_target"]["fired"] is False and by_id["removal_target"]["value"] is None
    assert by_id["acknowledgement_coverage"]["fired"] is False and by_id["acknowledgement_coverage"]["value"] is None
    assert "nothing to measure" in by_id["removal_target"]["reason"]
    assert [t["id"] for t in result["triggers"] if t["fired"]] == ["annual_review_due", "review_events"]


def _with_targets(**changes: Any) -> Settings:
    return replace(TWO_SCHOOLS, targets=replace(Targets(), **changes))


@pytest.mark.parametrize(("within", "fired"), [(3, False), (2, True)])
def test_removal_target_boundary(make_warehouse: Callable[..., Warehouse], within: int, fired: bool) -> None:
    w = make_warehouse(_with_targets(removal_within_target_pct=75))
    for n in range(4):  # 4 needing removal; `within` of them removed in exactly 24 h, the rest in 25 h
        hours = 24 if n < within else 25
        w.incident(f"R{n}", T(2025, 10, 1, 9, 0), removed_at=T(2025, 10, 1 + hours // 24, 9 + hours % 24, 0))
    trigger = _trigger(w.indicators(AUTUMN), "removal_target")
    assert trigger["value"] == pytest.approx(100 * within / 4)  # 75% exactly at the target does not fire
    assert trigger["fired"] is fired


@pytest.mark.parametrize(("acknowledged", "fired"), [(19, False), (18, True)])
def test_coverage_boundary(make_warehouse: Callable[..., Warehouse], acknowledged: int, fired: bool) -> None:
    w = make_warehouse()
    for n in range(20):  # 20 in post; 19 acknowledged = 95% exactly: not fired; 18 = 90%: fired
        w.staff(f"C{n}", acknowledged_at=T(2025, 9, 1, 9, 0) if n < acknowledged else None)
    trigger = _trigger(w.indicators(AUTUMN), "acknowledgement_coverage")
    assert (trigger["value"], trigger["fired"]) == (pytest.approx(5 * acknowledged), fired)


@pytest.mark.parametrize(
    ("ratio", "minimum", "before", "now", "fired", "threshold"),
    [
        (1.5, 5, 4, 6, True, 6),  # exactly 1.5 x 4
        (1.5, 5, 4, 5, False, 6),  # just below the ratio, though at the minimum
        (1.5, 5, 2, 5, True, 5),  # 1.5 x 2 = 3, so the minimum decides: exactly 5
        (1.5, 5, 2, 4, False, 5),  # just below the minimum
        (1.1, 5, 10, 11, True, 11),  # 1.1 x 10 is 11.000000000000002 in floating point: still fires
        (1.5, 5, 3, 5, True, 5),  # 1.5 x 3 = 4.5, rounded up to 5; the minimum is also 5
    ],
)
def test_incident_rise_boundary(make_warehouse: Callable[..., Warehouse], ratio: float, minimum: int,
                                before: int, now: int, fired: bool, threshold: int) -> None:
    w = make_warehouse(_with_targets(incident_rise_ratio=ratio, incident_rise_min=minimum))
    for n in range(before):
        w.incident(f"P{n}", T(2025, 6, 1, 9, 0))  # summer 2024-25
    for n in range(now):
        w.incident(f"N{n}", T(2025, 10, 1, 9, 0))
    trigger = _trigger(w.indicators(AUTUMN), "incident_rise")
    assert (trigger["fired"], trigger["value"], trigger["threshold"]) == (fired, now, threshold)


@pytest.mark.parametrize(("threshold", "fired"), [(3, True), (4, False)])
def test_significant_incidents_boundary(autumn: Warehouse, threshold: int, fired: bool) -> None:
    trigger = _trigger(autumn.indicators(AUTUMN, settings=_with_targets(significant_incidents=threshold)),
                       "significant_incidents")
    assert (trigger["value"], trigger["threshold"], trigger["fired"]) == (3, threshold, fired)


@pytest.mark.parametrize(("shares", "platforms", "fired"), [(20, None, True), (19, 2, False), (None, 3, True), (0, 2, False)])
def test_recirculation_boundary(warehouse: Warehouse, shares: int | None, platforms: int | None, fired: bool) -> None:
    warehouse.incident("W1", T(2025, 10, 1, 9, 0), shares=shares, platforms_reached=platforms)
    assert _trigger(warehouse.indicators(AUTUMN), "recirculation")["fired"] is fired


@pytest.mark.parametrize(
    ("last_reviewed", "overdue", "days"),
    [(date(2024, 12, 31), False, 0), (date(2024, 12, 30), True, 1)],  # due on the last day; the day before
)
def test_annual_review_boundary(warehouse: Warehouse, last_reviewed: date, overdue: bool, days: int) -> None:
    settings = replace(TWO_SCHOOLS, last_reviewed=last_reviewed, review_due=None)
    result = warehouse.indicators(AUTUMN, settings=settings)
    due = date(2025, 12, 31) if not overdue else date(2025, 12, 30)
    assert result["review"] == {"last_reviewed": last_reviewed.isoformat(), "next_due": due.isoformat(),
                                "overdue": overdue, "days_overdue": days}
    trigger = _trigger(result, "annual_review_due")
    assert (trigger["fired"], trigger["value"], trigger["threshold"]) == (overdue, days, due.isoformat())


def test_next_due_is_the_earlier_of_the_printed_date_and_the_interval() -> None:
    printed_first = replace(TWO_SCHOOLS, last_reviewed=date(2025, 1, 1), review_due=date(2025, 6, 1))
    assert next_review_due(printed_first) == date(2025, 6, 1)
    interval_first = replace(TWO_SCHOOLS, last_reviewed=date(2025, 1, 1), review_due=date(2026, 6, 1),
                             review_interval_months=6)
    assert next_review_due(interval_first) == date(2025, 7, 1)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


def test_review_events_trigger_boundaries(warehouse: Warehouse, tmp_path: Path) -> None:
    own = tmp_path / "review_events.csv"
    own.write_text(
        "date,kind,title,source\n"
        "2030-01-01,guidance,On the day of the last review,s1\n"  # not after the last review: excluded
        "2030-06-30,legislation,Midway,s2\n"
        "2030-12-31,case_law,On the period's last day,s3\n"  # included
        "2031-01-01,guidance,The day after the period,s4\n",  # excluded
        encoding="utf-8",
    )
    settings = replace(TWO_SCHOOLS, last_reviewed=date(2030, 1, 1), review_events_file=own)
    period = periods.custom(date(2030, 7, 1), date(2030, 12, 31))
    trigger = _trigger(warehouse.indicators(period, settings=settings), "review_events")
    assert trigger["fired"] is True
    assert trigger["value"] == [
        {"date": "2030-06-30", "kind": "legislation", "title": "Midway", "source": "s2"},
        {"date": "2030-12-31", "kind": "case_law", "title": "On the period's last day", "source": "s3"},
    ]
    before = periods.custom(date(2030, 1, 1), date(2030, 6, 29))
    assert _trigger(warehouse.indicators(before, settings=settings), "review_events")["fired"] is False


# --- periods at the edges -------------------------------------------------------------------------


def test_easter_sunday_ends_spring_and_easter_monday_starts_summer(warehouse: Warehouse) -> None:
    # Easter Sunday 2026 is 5 April.
    warehouse.incident("E1", T(2026, 4, 5, 23, 59))
    warehouse.incident("E2", T(2026, 4, 6, 0, 0))
    spring = periods.term("2025-26-spring", TWO_SCHOOLS)
    summer = periods.term("2025-26-summer", TWO_SCHOOLS)
    assert warehouse.indicators(spring)["incidents"]["total"] == 1
    found = warehouse.indicators(summer)["incidents"]
    assert (found["total"], found["previous_total"]) == (1, 1)


def test_indicators_by_term_and_year(autumn: Warehouse) -> None:
    autumn.incident("E1", T(2026, 4, 5, 23, 59))  # spring (with I7 on 1 Jan)
    autumn.incident("E2", T(2026, 4, 6, 0, 0))  # summer
    year = periods.academic_year("2025-26")
    by_term = indicators_by_term(autumn.con, TWO_SCHOOLS, year)
    assert [r["period"]["label"] for r in by_term] == ["2025-26-autumn", "2025-26-spring", "2025-26-summer"]
    assert [r["incidents"]["total"] for r in by_term] == [6, 2, 1]
    assert [r["incidents"]["previous_total"] for r in by_term] == [1, 6, 2]
    whole = autumn.indicators(year)
    assert whole["incidents"]["total"] == 9  # 6 + 2 + 1; I8 (31 Aug 2025) is the year before
    assert whole["incidents"]["previous_total"] == 2  # 2024-25 (1 Sep 2024 - 31 Aug 2025): I8 and I9


def test_custom_period_compares_with_the_same_number_of_days_before(autumn: Warehouse) -> None:
    period = periods.custom(date(2025, 12, 1), date(2025, 12, 31))  # 31 days; before: 31 Oct - 30 Nov
    found = autumn.indicators(period)["incidents"]
    assert (found["total"], found["previous_total"]) == (2, 1)  # I5, I6; I4 (1 Nov)


# --- one school -----------------------------------------------------------------------------------


def test_school_restricts_every_figure(autumn: Warehouse) -> None:
    alder = autumn.indicators(AUTUMN, school="Alder School")
    assert alder["incidents"]["total"] == 5 and alder["incidents"]["by_school"] == {"Alder School": 5}
    assert alder["incidents"]["significant"] == 2  # I3, I4
    assert alder["incidents"]["previous_total"] == 1  # I8
    assert (alder["response"]["removal_needed"], alder["response"]["removed"], alder["response"]["within_target"]) == (5, 4, 3)
    assert (alder["breaches"]["opened"], alder["breaches"]["open_at_end"]) == (2, 1)  # B1, B4; B4
    assert (alder["acknowledgements"]["active_staff"], alder["acknowledgements"]["acknowledged"]) == (3, 2)  # S1 S2 S5
    birch = autumn.indicators(AUTUMN, school=" birch school ")  # matched ignoring case and spaces
    assert birch["incidents"]["by_school"] == {"Birch School": 1}
    assert birch["incidents"]["police_referrals"] == 1 and birch["incidents"]["previous_total"] == 0
    assert (birch["breaches"]["opened"], birch["breaches"]["closed"], birch["breaches"]["by_rule"]) == (1, 0, {"bullying": 1})
    assert birch["acknowledgements"]["by_group"] == {"support": {"active_staff": 1, "acknowledged": 0, "coverage_pct": 0.0}}
    assert _trigger(birch, "incident_rise")["fired"] is False  # 1 is below the minimum of 5
    assert birch["data"] == alder["data"]  # data freshness always covers the whole warehouse


def test_unknown_school_is_a_usage_error(autumn: Warehouse) -> None:
    with pytest.raises(UsageError, match="Nowhere"):
        autumn.indicators(AUTUMN, school="Nowhere")


def test_school_names(autumn: Warehouse) -> None:
    assert school_names(autumn.con) == ["Alder School", "Birch School"]


# --- settings, JSON and the metric dictionary -----------------------------------------------------


def test_settings_passed_win_over_those_the_connection_was_opened_with(autumn: Warehouse) -> None:
    looser = _with_targets(removal_hours=25)  # I2 (24 h 1 min) now within target too
    assert autumn.indicators(AUTUMN, settings=looser)["response"]["within_target"] == 5
    assert autumn.indicators(AUTUMN)["response"]["within_target"] == 4
    newer = replace(TWO_SCHOOLS, policy_version="2023-01")  # S1 (ack'd), S7 (ack'd): both in post
    assert autumn.indicators(AUTUMN, settings=newer)["acknowledgements"]["acknowledged"] == 2


def test_to_json_round_trips(result: dict[str, Any]) -> None:
    assert json.loads(to_json(result)) == result


def _leaf_keys(obj: dict[str, Any], prefix: str = "") -> set[str]:
    """Dotted key paths of the JSON, stopping at by_* objects and naming triggers by id."""
    keys = set()
    for key, value in obj.items():
        path = f"{prefix}{key}"
        if key == "triggers":
            keys |= {f"triggers.{t['id']}" for t in value}
        elif isinstance(value, dict) and not key.startswith("by_"):
            keys |= _leaf_keys(value, path + ".")
        else:
            keys.add(path)
    return keys


def test_every_figure_has_a_definition_and_every_definition_a_figure(result: dict[str, Any]) -> None:
    patterns = [m.key for m in METRICS]
    keys = _leaf_keys(result)
    assert [k for k in sorted(keys) if not any(fnmatch.fnmatchcase(k, p) for p in patterns)] == []
    assert [p for p in patterns if not any(fnmatch.fnmatchcase(k, p) for k in keys)] == []
    assert len(set(patterns)) == len(patterns)
    assert all(m.label and m.definition.endswith(".") for m in METRICS)


def test_docs_metric_dictionary_is_the_one_in_metrics_py() -> None:
    docs = Path(__file__).resolve().parents[1] / "docs"
    page = (docs / "reference" / "metrics.md").read_text("utf-8")
    assert "<!-- generated: metrics -->" in page.splitlines()
    sys.path.insert(0, str(docs))
    import gen_reference  # the MkDocs hook that fills the marker in

    assert metrics_markdown().rstrip() in gen_reference.expand(page)


def test_text_summary_puts_the_triggers_first(result: dict[str, Any]) -> None:
    text = to_text(result, heading="Example Trust, all schools")
    assert text.index("Review triggers") < text.index("Incidents ")
    assert "FIRED" in text and "A policy review is recommended." in text
    assert text.count("FIRED") == 7


# --- the command line -----------------------------------------------------------------------------


DOCUMENTED_KEYS = {
    "period": {"start", "end", "label", "title"},
    "incidents": {"total", "significant", "safeguarding", "police_referrals", "pupil_submitted", "by_category",
                  "by_platform", "by_severity", "by_school", "previous_total"},
    "response": {"removal_needed", "removed", "within_target", "within_target_pct", "still_visible",
                 "median_hours", "p90_hours"},
    "visibility": {"median_hours", "p90_hours", "max_hours"},
    "recirculation": {"total_shares", "median_shares", "p90_shares", "max_shares", "multi_platform", "wide_spread"},
    "breaches": {"opened", "closed", "open_at_end", "by_outcome", "by_rule", "median_days_to_close"},
    "acknowledgements": {"active_staff", "acknowledged", "outstanding", "coverage_pct", "by_group"},
    "review": {"last_reviewed", "next_due", "overdue", "days_overdue"},
}


@pytest.fixture
def cli_warehouse(autumn: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The autumn fixture closed on disk, and the options pointing the CLI at it and its settings."""
    autumn.close()
    config = tmp_path / "settings.toml"
    config.write_text('[organisation]\nschools = ["Alder School", "Birch School"]\n', encoding="utf-8")
    monkeypatch.delenv("POLICY_ANALYTICS_DB", raising=False)
    monkeypatch.delenv("POLICY_ANALYTICS_CONFIG", raising=False)
    return ["--db", str(autumn.path), "--config", str(config)]


def test_cli_json_prints_every_key_of_section_6(cli_warehouse: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["indicators", "--term", "2025-26-autumn", "--json", *cli_warehouse]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == set(DOCUMENTED_KEYS) | {"triggers", "review_recommended", "data"}
    for section, keys in DOCUMENTED_KEYS.items():
        assert set(printed[section]) == keys, section
    assert [t["id"] for t in printed["triggers"]] == list(TRIGGER_IDS)
    assert set(printed["data"]) == {"incidents", "breaches", "acknowledgements"}
    assert all(set(d) == {"stored", "rejected", "last_loaded"} for d in printed["data"].values())
    assert printed["incidents"]["total"] == 6


def test_cli_school_and_custom_period(cli_warehouse: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["indicators", "--from", "2025-12-01", "--to", "2025-12-31", "--school", "Birch School",
                     "--json", *cli_warehouse]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["incidents"]["by_school"] == {"Birch School": 1}
    assert printed["period"]["label"] == "2025-12-01..2025-12-31"


def test_cli_text_summary(cli_warehouse: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["indicators", "--year", "2025-26", *cli_warehouse]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Example Academy Trust, all schools: Academic year 2025-26")
    assert "FIRED" in out and "ok " in out
    assert out.index("Review triggers") < out.index("Incidents ")


def test_cli_without_a_period_uses_the_current_term(cli_warehouse: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["indicators", "--json", *cli_warehouse]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["period"]["label"] == periods.current_term(date.today(), TWO_SCHOOLS).label


@pytest.mark.parametrize(
    "options",
    [
        ["--term", "2025-26-winter"],
        ["--term", "2025-26-autumn", "--year", "2025-26"],
        ["--from", "2025-09-01"],
        ["--from", "2025-12-01", "--to", "2025-11-01"],
        ["--from", "01/09/2025", "--to", "2025-11-01"],
        ["--year", "2025-27"],
        ["--school", "Nowhere"],
    ],
)
def test_cli_bad_options_exit_2(cli_warehouse: list[str], options: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["indicators", *options, *cli_warehouse]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("policy-analytics: ")
    assert "Traceback" not in captured.err


def test_cli_without_a_warehouse_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["indicators", "--term", "2025-26-autumn", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "no warehouse" in capsys.readouterr().err


def test_indicators_module_reads_named_queries() -> None:
    assert {"incidents", "incident_total", "incident_counts", "breaches", "breach_counts",
            "acknowledgements", "data", "schools"} <= set(indicators.queries())


def test_cli_on_the_demo_warehouse_prints_every_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's 'done' check: the demo's exports (data/sample) loaded with the demo's settings."""
    from policy_analytics import db, synthetic
    from policy_analytics.settings import load_settings

    sample = Path(__file__).resolve().parents[1] / "data" / "sample"
    exports = sorted(sample.glob("*.csv")) + sorted(sample.glob("*.xlsx"))
    if len(exports) < 3:
        pytest.skip("data/sample holds no demo exports")
    monkeypatch.delenv("POLICY_ANALYTICS_DB", raising=False)
    monkeypatch.delenv("POLICY_ANALYTICS_CONFIG", raising=False)
    config = synthetic.write_demo_settings(tmp_path)
    settings = load_settings(config)
    con = db.connect(tmp_path / "demo.duckdb", settings)
    for path in exports:
        load_file(con, path, default_school=settings.default_school)
    con.close()
    options = ["--db", str(tmp_path / "demo.duckdb"), "--config", str(config)]
    assert cli.main(["indicators", "--term", "2025-26-autumn", "--json", *options]) == 0
    printed = json.loads(capsys.readouterr().out)
    for section, keys in DOCUMENTED_KEYS.items():
        assert set(printed[section]) == keys, section
    assert [t["id"] for t in printed["triggers"]] == list(TRIGGER_IDS)
    assert isinstance(printed["review_recommended"], bool)
    assert all(printed["data"][kind]["stored"] > 0 for kind in ("incidents", "breaches", "acknowledgements"))
    assert printed["incidents"]["total"] > 0 and len(printed["incidents"]["by_school"]) == 3
    # One school's figures add up to the organisation's.
    totals = []
    for school in printed["incidents"]["by_school"]:
        assert cli.main(["indicators", "--term", "2025-26-autumn", "--school", school, "--json", *options]) == 0
        totals.append(json.loads(capsys.readouterr().out)["incidents"]["total"])
    assert sum(totals) == printed["incidents"]["total"]


def test_coverage_with_no_roster_row_for_the_version_names_the_versions(make_warehouse: Callable[..., Warehouse]) -> None:
    from policy_analytics.reports import formats, tables

    w = make_warehouse()
    for n, version in enumerate(["2024.1", "2024.1", "2023-09"]):  # an XLSX 2024.10 read as 2024.1, and an old one
        w.staff(f"V{n}", acknowledged_at=T(2025, 9, 1, 9, 0), policy_version=version)
    ind = w.indicators(AUTUMN)
    trigger = _trigger(ind, "acknowledgement_coverage")
    assert (trigger["fired"], trigger["value"]) == (False, None)
    assert "policy version 2024-10" in trigger["reason"]
    assert "it holds versions 2023-09, 2024.1" in trigger["reason"]
    assert formats.trigger_status(trigger) == "–"
    row = next(r for r in tables.headline_rows(ind, None, w.settings, 3) if r.key == "acknowledgements.coverage_pct")
    assert (row.current, row.status) == ("–", "–")  # not "✔ OK" when nothing was measured


def test_coverage_with_no_roster_at_all_says_so(make_warehouse: Callable[..., Warehouse]) -> None:
    trigger = _trigger(make_warehouse().indicators(AUTUMN), "acknowledgement_coverage")
    assert trigger["value"] is None and "no roster is loaded" in trigger["reason"]
