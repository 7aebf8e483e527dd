"""Tests for the review-events register and the cited-legislation table."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from policy_analytics.errors import UserError
from policy_analytics.register import (
    KINDS,
    ReviewEvent,
    events_between,
    load_cited_legislation,
    load_review_events,
    register_as_of,
    register_is_stale,
    register_note,
)


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_shipped_file_has_exactly_the_documented_columns() -> None:
    text = resources.files("policy_analytics").joinpath("data/review_events.csv").read_text("utf-8")
    assert text.startswith("# as of ")  # the as-of note, then the header
    assert next(csv.reader([text.splitlines()[1]])) == ["date", "kind", "title", "source"]


def test_shipped_register_parses_and_is_well_formed() -> None:
    events = load_review_events()
    assert 15 <= len(events) <= 40
    assert all(e.origin == "shipped" for e in events)
    assert all(e.kind in KINDS for e in events)
    assert all(e.source.strip() for e in events)
    assert all(e.title.strip() for e in events)
    assert all(e.date >= date(2018, 1, 1) for e in events)
    assert [e.date for e in events] == sorted(e.date for e in events)
    titles = Counter(e.title.casefold() for e in events)
    assert [t for t, n in titles.items() if n > 1] == []  # one date per title


def test_online_safety_act_rows_carry_the_verified_dates() -> None:
    by_date = {}
    for e in load_review_events():
        if "Online Safety Act 2023" in e.title:
            by_date[e.date] = e
    assert date(2023, 10, 26) in by_date and "Royal Assent" in by_date[date(2023, 10, 26)].title
    offences = by_date[date(2024, 1, 31)]
    assert "s.179" in offences.title and "s.181" in offences.title
    assert offences.kind == "legislation"


def test_other_leads_from_the_spec_are_dated_as_verified() -> None:
    dated = {(e.date, e.kind) for e in load_review_events()}
    assert (date(2025, 9, 1), "guidance") in dated  # KCSIE 2025
    assert (date(2025, 6, 19), "legislation") in dated  # Data (Use and Access) Act 2025, Royal Assent
    assert (date(2026, 2, 5), "legislation") in dated  # its main data protection changes
    assert (date(2024, 10, 26), "legislation") in dated  # Worker Protection Act preventive duty
    assert (date(2025, 2, 12), "case_law") in dated  # Higgs v Farmor's School, Court of Appeal


def test_every_kcsie_edition_since_2018_is_listed_once() -> None:
    years = sorted(e.date.year for e in load_review_events() if "Keeping Children Safe in Education" in e.title)
    assert years == list(range(2018, 2026))  # no KCSIE 2026: its final version could not be confirmed


def test_school_file_adds_rows_in_date_order(tmp_path: Path) -> None:
    school = _write(
        tmp_path / "review_events.csv",
        "Date,KIND, Title ,Source,Notes\n"
        "2025-11-03,guidance,Local authority online safety protocol revised,LA circular 12/2025,ignored\n"
        "7/1/2026,Case Law,Tribunal decision noted by the trust's lawyers,Trust legal bulletin,\n"
        ",,,,\n",
    )
    events = load_review_events(school)
    mine = [e for e in events if e.origin == "review_events.csv"]
    assert [(e.date, e.kind) for e in mine] == [(date(2025, 11, 3), "guidance"), (date(2026, 1, 7), "case_law")]
    assert len(events) == len(load_review_events()) + 2
    assert [e.date for e in events] == sorted(e.date for e in events)


def test_school_file_in_excel_encoding_with_semicolons(tmp_path: Path) -> None:
    school = _write(tmp_path / "ours.csv", "date;kind;title;source\n01/03/2026;guidance;Trust code of conduct – staff online;Trust\n", "cp1252")
    mine = [e for e in load_review_events(school) if e.origin == "ours.csv"]
    assert mine == [ReviewEvent(date(2026, 3, 1), "guidance", "Trust code of conduct – staff online", "Trust", "ours.csv")]


def test_school_row_repeating_a_shipped_row_is_not_doubled(tmp_path: Path) -> None:
    shipped = load_review_events()[0]
    school = _write(tmp_path / "dup.csv", f'date,kind,title,source\n{shipped.date.isoformat()},{shipped.kind},"{shipped.title}",x\n')
    assert load_review_events(school) == load_review_events()


def test_missing_school_file_is_ignored(tmp_path: Path) -> None:
    assert load_review_events(tmp_path / "not-there.csv") == load_review_events()


def test_bad_date_names_file_row_column_and_value(tmp_path: Path) -> None:
    school = _write(
        tmp_path / "school_events.csv",
        "date,kind,title,source\n2025-01-10,guidance,Fine row,x\n31/02/2025,guidance,Impossible date,x\n",
    )
    with pytest.raises(UserError) as caught:
        load_review_events(school)
    message = str(caught.value)
    assert "school_events.csv" in message
    assert "row 3" in message
    assert "column date" in message
    assert "31/02/2025" in message
    assert "Traceback" not in message


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("02/13/2025,guidance,Month-first date,x", "date"),  # never month-first
        ("2025-05-01,policy,Unknown kind,x", "kind"),
        ("2025-05-01,guidance,,x", "title"),
    ],
)
def test_other_bad_rows_name_their_column(tmp_path: Path, row: str, column: str) -> None:
    school = _write(tmp_path / "bad.csv", f"date,kind,title,source\n{row}\n")
    with pytest.raises(UserError, match=rf"bad\.csv, row 2, column {column}"):
        load_review_events(school)


def test_school_file_without_required_columns_is_refused(tmp_path: Path) -> None:
    school = _write(tmp_path / "wrong.csv", "when,what\n2025-01-01,something\n")
    with pytest.raises(UserError, match=r"wrong\.csv has no date, kind, title, source column"):
        load_review_events(school)


def _event(day: date) -> ReviewEvent:
    return ReviewEvent(day, "guidance", f"Event on {day.isoformat()}", "x", "shipped")


def test_events_between_excludes_after_and_includes_on_or_before() -> None:
    after, end = date(2024, 10, 1), date(2025, 8, 31)
    events = [_event(d) for d in (date(2025, 9, 1), after, date(2024, 10, 2), end, date(2024, 9, 30))]
    chosen = events_between(events, after=after, on_or_before=end)
    assert [e.date for e in chosen] == [date(2024, 10, 2), end]


def test_events_between_on_the_shipped_register() -> None:
    chosen = events_between(load_review_events(), after=date(2024, 10, 1), on_or_before=date(2025, 9, 1))
    assert date(2025, 9, 1) in {e.date for e in chosen}  # KCSIE 2025, exactly on the end
    assert all(date(2024, 10, 1) < e.date <= date(2025, 9, 1) for e in chosen)
    assert events_between(load_review_events(), after=date(2025, 9, 1), on_or_before=date(2025, 9, 1)) == []


def test_cited_legislation_covers_every_act_the_policy_cites() -> None:
    rows = load_cited_legislation()
    assert list(rows[0]) == ["cited_as", "current_name", "status", "note", "source"]
    assert {r["cited_as"] for r in rows} == {
        "Regulation of Investigatory Powers Act 2000",
        "GDPR 2018",
        "Human Rights Act 1998",
        "Equality Act 2010",
        "Defamation Act 2013",
    }
    assert all(r["current_name"] and r["status"] and r["note"] and r["source"] for r in rows)
    gdpr = next(r for r in rows if r["cited_as"] == "GDPR 2018")
    assert "UK GDPR" in gdpr["current_name"] and "Data (Use and Access) Act 2025" in gdpr["note"]


def test_register_carries_its_as_of_date() -> None:
    assert register_as_of() == date(2026, 12, 2)
    assert max(e.date for e in load_review_events()) <= register_as_of()


def test_the_2026_changes_are_in_with_primary_sources() -> None:
    """Each checked against its source (see docs/hr/annual-review.md); the October 2026 one says it is planned."""
    by_date = {e.date: e for e in load_review_events()}
    s23 = by_date[date(2026, 4, 6)]
    assert "Employment Rights Act 2025 s.23" in s23.title and s23.source.endswith("/uksi/2026/323/made")
    assert "Royal Assent" in by_date[date(2026, 4, 29)].title and "/ukpga/2026/21/" in by_date[date(2026, 4, 29)].source
    assert "s.103" in by_date[date(2026, 6, 19)].title and "/ukpga/2025/18/section/103" in by_date[date(2026, 6, 19)].source
    assert by_date[date(2026, 10, 1)].title.startswith("PLANNED, not confirmed")
    higgs = by_date[date(2025, 6, 9)]
    assert higgs.kind == "case_law" and "Supreme Court refuses" in higgs.title
    # KCSIE 2026: only the consultation could be confirmed, so no KCSIE 2026 row
    assert not [e for e in load_review_events() if "Keeping Children Safe in Education 2026" in e.title]


def test_register_is_stale_after_six_months() -> None:
    as_of = date(2026, 12, 2)
    assert not register_is_stale(as_of, date(2027, 6, 2))  # exactly six months: still current
    assert register_is_stale(as_of, date(2027, 6, 3))
    assert register_is_stale(date(2026, 8, 31), date(2027, 3, 1))  # 31 Aug + 6 months is 28 Feb
    assert not register_is_stale(date(2026, 8, 31), date(2027, 2, 28))
    assert register_note(as_of, date(2026, 12, 31)) == "Register as of 2 December 2026."
    assert "more than 6 months old" in register_note(as_of, date(2027, 7, 31))


def test_review_check_says_when_the_register_is_over_six_months_old(warehouse) -> None:
    """Moving the clock: a period ending six months after the as-of date is fine, one ending later is warned."""
    from policy_analytics import periods

    def reason(end: date) -> str:
        found = warehouse.indicators(periods.custom(date(2026, 12, 1), end))
        return next(t for t in found["triggers"] if t["id"] == "review_events")["reason"]

    assert reason(date(2027, 6, 2)).endswith("Register as of 2 December 2026.")
    later = reason(date(2027, 7, 31))
    assert "Register as of 2 December 2026. It is more than 6 months old at the end of this period" in later
    assert "school's own review-events file" in later
