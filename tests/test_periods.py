"""Periods (docs/reference/periods.md). Every expected value here was worked out by hand from a calendar."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from policy_analytics import periods
from policy_analytics.errors import UsageError, UserError
from policy_analytics.periods import (
    Period,
    academic_year,
    academic_year_of,
    current_term,
    current_year,
    custom,
    easter_sunday,
    previous,
    resolve,
    term,
    term_of,
    term_windows,
    terms_of_year,
)
from policy_analytics.settings import Settings

DEFAULT = Settings()
# School term dates for 2025-26 as an HR settings file would give them; the reporting terms tile the year around
# them: autumn 1 Sep 2025 to 4 Jan 2026, spring 5 Jan to 5 Apr (the day before Easter Monday), summer 6 Apr to 31 Aug.
OVERRIDDEN = Settings(
    terms={
        "2025-26-autumn": (date(2025, 9, 3), date(2025, 12, 19)),
        "2025-26-spring": (date(2026, 1, 5), date(2026, 3, 27)),
    }
)


# --- Easter -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
        # Published dates, including the earliest (22 Mar) and latest (25 Apr) possible.
        (2000, date(2000, 4, 23)),
        (2008, date(2008, 3, 23)),
        (2011, date(2011, 4, 24)),
        (2019, date(2019, 4, 21)),
        (1818, date(1818, 3, 22)),
        (2285, date(2285, 3, 22)),
        (1943, date(1943, 4, 25)),
    ],
)
def test_easter_sunday(year: int, expected: date) -> None:
    assert easter_sunday(year) == expected
    assert easter_sunday(year).weekday() == 6


# --- Period -------------------------------------------------------------------------------------


def test_contains_both_boundary_days_and_not_beyond() -> None:
    p = custom(date(2025, 9, 1), date(2025, 11, 30))
    assert p.contains(date(2025, 9, 1))
    assert p.contains(date(2025, 11, 30))
    assert not p.contains(date(2025, 8, 31))
    assert not p.contains(date(2025, 12, 1))


def test_contains_takes_a_datetime_by_its_day() -> None:
    p = term("2025-26-autumn", DEFAULT)
    assert p.contains(datetime(2025, 12, 31, 23, 59, 59))
    assert p.contains(datetime(2025, 9, 1, 0, 0))
    assert not p.contains(datetime(2026, 1, 1, 0, 0))


def test_days_counts_both_ends() -> None:
    assert custom(date(2025, 10, 7), date(2025, 10, 7)).days == 1
    assert term("2025-26-autumn", DEFAULT).days == 122  # 30 + 31 + 30 + 31
    assert academic_year("2025-26").days == 365
    assert academic_year("2023-24").days == 366  # holds 29 Feb 2024


def test_period_is_frozen() -> None:
    p = academic_year("2025-26")
    with pytest.raises(AttributeError):
        p.start = date(2025, 1, 1)  # type: ignore[misc]


def test_period_rejects_an_end_before_its_start() -> None:
    with pytest.raises(ValueError):
        Period(date(2025, 9, 2), date(2025, 9, 1), "x", "custom", "x")


# --- Academic years -----------------------------------------------------------------------------


def test_academic_year() -> None:
    p = academic_year("2025-26")
    assert (p.start, p.end) == (date(2025, 9, 1), date(2026, 8, 31))
    assert (p.label, p.kind, p.title) == ("2025-26", "year", "Academic year 2025-26")


def test_academic_year_across_a_century() -> None:
    p = academic_year("1999-00")
    assert (p.start, p.end) == (date(1999, 9, 1), date(2000, 8, 31))


@pytest.mark.parametrize("label", ["2025-27", "2025-25", "2025-2026", "25-26", "2025/26", "", "2025-26-autumn"])
def test_academic_year_rejects_bad_labels(label: str) -> None:
    with pytest.raises(UsageError) as err:
        academic_year(label)
    assert "2025-26" in str(err.value)  # the message gives an example
    assert err.value.exit_code == 2


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 8, 31), "2024-25"),
        (date(2025, 9, 1), "2025-26"),
        (date(2026, 1, 15), "2025-26"),
        (date(2026, 8, 31), "2025-26"),
        (date(1999, 12, 31), "1999-00"),
    ],
)
def test_academic_year_of(day: date, expected: str) -> None:
    assert academic_year_of(day) == expected


def test_current_year() -> None:
    assert current_year(date(2026, 11, 25)) == academic_year("2026-27")
    assert current_year(date(2026, 8, 31)) == academic_year("2025-26")


# --- Terms --------------------------------------------------------------------------------------


def test_default_terms_2025_26() -> None:
    autumn, spring, summer = terms_of_year("2025-26", DEFAULT)
    assert (autumn.start, autumn.end) == (date(2025, 9, 1), date(2025, 12, 31))
    assert (spring.start, spring.end) == (date(2026, 1, 1), date(2026, 4, 5))  # Easter Sunday 2026
    assert (summer.start, summer.end) == (date(2026, 4, 6), date(2026, 8, 31))  # Easter Monday 2026
    assert [p.label for p in (autumn, spring, summer)] == ["2025-26-autumn", "2025-26-spring", "2025-26-summer"]
    assert autumn.kind == "term"
    assert [p.title for p in (autumn, spring, summer)] == [
        "Autumn term 2025-26",
        "Spring term 2025-26",
        "Summer term 2025-26",
    ]


def test_term_when_easter_falls_in_march() -> None:
    spring = term("2023-24-spring", DEFAULT)
    summer = term("2023-24-summer", DEFAULT)
    assert spring.end == date(2024, 3, 31)
    assert summer.start == date(2024, 4, 1)


def test_settings_term_dates_move_the_reporting_terms_and_are_kept_beside() -> None:
    autumn = term("2025-26-autumn", OVERRIDDEN)
    assert (autumn.start, autumn.end) == (date(2025, 9, 1), date(2026, 1, 4))  # to the day before spring starts
    assert autumn.school_dates == (date(2025, 9, 3), date(2025, 12, 19))
    assert autumn.title == "Autumn term 2025-26"
    spring = term("2025-26-spring", OVERRIDDEN)
    assert (spring.start, spring.end, spring.school_dates) == (
        date(2026, 1, 5), date(2026, 4, 5), (date(2026, 1, 5), date(2026, 3, 27)))
    assert term("2025-26-summer", OVERRIDDEN).school_dates is None
    # Other years and the summer term keep their defaults.
    assert term("2025-26-summer", OVERRIDDEN).start == date(2026, 4, 6)
    assert term("2024-25-autumn", OVERRIDDEN).start == date(2024, 9, 1)


def test_term_label_is_read_case_insensitively() -> None:
    assert term(" 2025-26-Autumn ", OVERRIDDEN).label == "2025-26-autumn"
    assert term("2025-26-AUTUMN", OVERRIDDEN).school_dates[0] == date(2025, 9, 3)


def test_override_key_is_read_case_insensitively() -> None:
    settings = Settings(terms={"2025-26-Spring": (date(2026, 1, 6), date(2026, 3, 27))})
    assert term("2025-26-spring", settings).start == date(2026, 1, 6)


@pytest.mark.parametrize("label", ["2025-26-winter", "2025-27-autumn", "2025-26", "autumn", "2025-26-", ""])
def test_term_rejects_bad_labels(label: str) -> None:
    with pytest.raises(UsageError) as err:
        term(label, DEFAULT)
    assert "2025-26" in str(err.value)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 9, 1), "2025-26-autumn"),
        (date(2025, 12, 31), "2025-26-autumn"),
        (date(2026, 1, 1), "2025-26-spring"),
        (date(2026, 4, 5), "2025-26-spring"),
        (date(2026, 4, 6), "2025-26-summer"),
        (date(2026, 8, 31), "2025-26-summer"),
    ],
)
def test_term_of_default(day: date, expected: str) -> None:
    assert term_of(day, DEFAULT) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 8, 31), "2024-25-summer"),
        (date(2025, 9, 2), "2025-26-autumn"),  # before the school's first day: still the autumn term
        (date(2025, 9, 3), "2025-26-autumn"),
        (date(2025, 12, 19), "2025-26-autumn"),
        (date(2025, 12, 22), "2025-26-autumn"),  # Christmas holiday belongs to the term before it
        (date(2026, 1, 4), "2025-26-autumn"),
        (date(2026, 1, 5), "2025-26-spring"),
        (date(2026, 3, 30), "2025-26-spring"),  # Easter holiday before Easter Monday
        (date(2026, 4, 6), "2025-26-summer"),
    ],
)
def test_term_of_with_overrides(day: date, expected: str) -> None:
    assert term_of(day, OVERRIDDEN) == expected


def test_term_of_takes_a_datetime() -> None:
    assert term_of(datetime(2025, 12, 19, 16, 30), OVERRIDDEN) == "2025-26-autumn"


# --- Current term -------------------------------------------------------------------------------


def test_current_term_default() -> None:
    p = current_term(date(2026, 11, 25), DEFAULT)
    assert p.label == "2026-27-autumn"
    assert (p.start, p.end) == (date(2026, 9, 1), date(2026, 12, 31))


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 12, 22), "2025-26-autumn"),
        (date(2026, 1, 2), "2025-26-autumn"),
        (date(2026, 3, 30), "2025-26-spring"),
        (date(2025, 8, 30), "2024-25-summer"),
    ],
)
def test_current_term_in_a_holiday_is_the_term_before_it(today: date, expected: str) -> None:
    assert term_of(today, OVERRIDDEN) == expected
    assert current_term(today, OVERRIDDEN).label == expected


def test_current_term_in_a_summer_gap() -> None:
    settings = Settings(terms={"2024-25-summer": (date(2025, 4, 22), date(2025, 7, 22))})
    p = current_term(date(2025, 8, 15), settings)
    assert p.label == "2024-25-summer"
    assert (p.start, p.end, p.school_dates) == (date(2025, 4, 22), date(2025, 8, 31), (date(2025, 4, 22), date(2025, 7, 22)))


# --- Comparison periods -------------------------------------------------------------------------


def test_previous_of_autumn_is_last_years_summer() -> None:
    p = previous(term("2025-26-autumn", DEFAULT), DEFAULT)
    assert p.label == "2024-25-summer"
    assert (p.start, p.end) == (date(2025, 4, 21), date(2025, 8, 31))  # Easter Monday 2025


def test_previous_of_spring_and_summer() -> None:
    assert previous(term("2025-26-spring", DEFAULT), DEFAULT).label == "2025-26-autumn"
    p = previous(term("2025-26-summer", DEFAULT), DEFAULT)
    assert (p.label, p.start, p.end) == ("2025-26-spring", date(2026, 1, 1), date(2026, 4, 5))


def test_previous_term_uses_overrides() -> None:
    p = previous(term("2025-26-spring", OVERRIDDEN), OVERRIDDEN)
    assert (p.start, p.end) == (date(2025, 9, 1), date(2026, 1, 4))


def test_previous_of_a_year() -> None:
    p = previous(academic_year("2025-26"), DEFAULT)
    assert (p.label, p.start, p.end, p.kind) == ("2024-25", date(2024, 9, 1), date(2025, 8, 31), "year")
    assert previous(academic_year("2000-01"), DEFAULT).label == "1999-00"


def test_previous_of_a_30_day_custom_period() -> None:
    p = custom(date(2025, 9, 1), date(2025, 9, 30))
    assert p.days == 30
    before = previous(p, DEFAULT)
    assert (before.start, before.end) == (date(2025, 8, 2), date(2025, 8, 31))
    assert before.days == 30
    assert before.kind == "custom"


def test_previous_of_a_custom_period_across_29_february() -> None:
    before = previous(custom(date(2024, 3, 1), date(2024, 3, 30)), DEFAULT)
    assert (before.start, before.end) == (date(2024, 1, 31), date(2024, 2, 29))


def test_previous_of_a_91_day_custom_period() -> None:
    before = previous(custom(date(2025, 9, 1), date(2025, 11, 30)), DEFAULT)
    assert (before.start, before.end) == (date(2025, 6, 2), date(2025, 8, 31))


# --- Custom periods -----------------------------------------------------------------------------


def test_custom() -> None:
    p = custom(date(2025, 9, 1), date(2025, 11, 30))
    assert (p.kind, p.title) == ("custom", "1 Sep 2025 to 30 Nov 2025")
    assert p.label == "2025-09-01..2025-11-30"
    assert p.days == 91


def test_custom_rejects_an_end_before_the_start() -> None:
    with pytest.raises(UsageError):
        custom(date(2025, 11, 30), date(2025, 9, 1))


# --- resolve (the CLI options) ------------------------------------------------------------------


def test_resolve_term() -> None:
    p = resolve(OVERRIDDEN, term="2025-26-spring")
    assert (p.label, p.start, p.end) == ("2025-26-spring", date(2026, 1, 5), date(2026, 4, 5))


def test_resolve_year() -> None:
    assert resolve(DEFAULT, year="2025-26") == academic_year("2025-26")


def test_resolve_from_to() -> None:
    p = resolve(DEFAULT, date_from="2025-09-01", date_to="2025-11-30")
    assert (p.kind, p.start, p.end) == ("custom", date(2025, 9, 1), date(2025, 11, 30))


def test_resolve_one_day() -> None:
    p = resolve(DEFAULT, date_from="2025-10-07", date_to="2025-10-07")
    assert p.days == 1


def test_resolve_nothing_gives_the_current_term_or_year() -> None:
    today = date(2026, 11, 25)
    assert resolve(DEFAULT, today=today).label == "2026-27-autumn"
    assert resolve(DEFAULT, default="year", today=today).label == "2026-27"
    assert resolve(OVERRIDDEN, today=date(2025, 12, 22)).label == "2025-26-autumn"


def test_resolve_nothing_without_today_uses_the_clock() -> None:
    p = resolve(DEFAULT)
    assert p.kind == "term"
    assert p.contains(date.today())


@pytest.mark.parametrize(
    "options",
    [
        {"term": "2025-26-autumn", "year": "2025-26"},
        {"term": "2025-26-autumn", "date_from": "2025-09-01", "date_to": "2025-09-30"},
        {"year": "2025-26", "date_from": "2025-09-01"},
        {"date_from": "2025-09-01"},
        {"date_to": "2025-09-30"},
        {"date_from": "07/10/2025", "date_to": "2025-10-31"},
        {"date_from": "2025-10-01", "date_to": "31/10/2025"},
        {"date_from": "2025-10-7", "date_to": "2025-10-31"},
        {"date_from": "20251001", "date_to": "2025-10-31"},
        {"date_from": "2025-02-30", "date_to": "2025-03-31"},
        {"date_from": "2025-10-31", "date_to": "2025-10-01"},
        {"term": "2025-26-winter"},
        {"year": "2025-27"},
    ],
)
def test_resolve_usage_errors(options: dict[str, str]) -> None:
    with pytest.raises(UsageError) as err:
        resolve(DEFAULT, today=date(2025, 10, 7), **options)
    message = str(err.value)
    assert message.endswith(".")
    assert "Traceback" not in message
    assert err.value.exit_code == 2


def test_resolve_errors_name_the_option_and_an_example() -> None:
    with pytest.raises(UsageError, match=r"--from 07/10/2025 .*YYYY-MM-DD"):
        resolve(DEFAULT, date_from="07/10/2025", date_to="2025-10-31")
    with pytest.raises(UsageError, match=r"--from needs --to"):
        resolve(DEFAULT, date_from="2025-09-01")
    with pytest.raises(UsageError, match=r"--term and --year"):
        resolve(DEFAULT, term="2025-26-autumn", year="2025-26")


# --- Reference table ----------------------------------------------------------------------------


def test_term_windows_one_year() -> None:
    assert term_windows(DEFAULT, 2025, 2025) == [
        ("2025-26-autumn", "2025-26", "autumn", date(2025, 9, 1), date(2025, 12, 31)),
        ("2025-26-spring", "2025-26", "spring", date(2026, 1, 1), date(2026, 4, 5)),
        ("2025-26-summer", "2025-26", "summer", date(2026, 4, 6), date(2026, 8, 31)),
    ]


def test_term_windows_apply_overrides() -> None:
    rows = term_windows(OVERRIDDEN, 2025, 2025)
    assert rows[0] == ("2025-26-autumn", "2025-26", "autumn", date(2025, 9, 1), date(2026, 1, 4))
    assert rows[1] == ("2025-26-spring", "2025-26", "spring", date(2026, 1, 5), date(2026, 4, 5))


def test_term_windows_default_range_tiles_the_calendar() -> None:
    rows = term_windows(DEFAULT)
    assert len(rows) == 31 * 3  # academic years starting 2010 to 2040
    assert rows[0][:4] == ("2010-11-autumn", "2010-11", "autumn", date(2010, 9, 1))
    assert rows[-1][0] == "2040-41-summer"
    assert rows[-1][4] == date(2041, 8, 31)
    for (_, _, _, _, end), (_, _, _, start, _) in zip(rows, rows[1:]):
        assert (start - end).days == 1  # no gaps and no overlaps without overrides


def test_module_public_names() -> None:
    for name in ("Period", "easter_sunday", "academic_year", "term", "terms_of_year", "custom", "previous",
                 "academic_year_of", "term_of", "current_term", "current_year", "resolve", "term_windows"):
        assert callable(getattr(periods, name))


def test_terms_with_a_trusts_own_dates_add_up_to_the_year() -> None:
    own = Settings(terms={
        "2025-26-autumn": (date(2025, 9, 3), date(2025, 12, 19)),
        "2025-26-spring": (date(2026, 1, 5), date(2026, 3, 27)),
        "2025-26-summer": (date(2026, 4, 13), date(2026, 7, 22)),
    })
    autumn, spring, summer = terms_of_year("2025-26", own)
    year = academic_year("2025-26")
    assert autumn.start == year.start and summer.end == year.end
    assert (spring.start - autumn.end).days == 1 and (summer.start - spring.end).days == 1
    assert autumn.days + spring.days + summer.days == year.days == 365
    assert (summer.start, summer.school_dates) == (date(2026, 4, 13), (date(2026, 4, 13), date(2026, 7, 22)))


def test_term_dates_out_of_order_are_refused_plainly() -> None:
    backwards = Settings(terms={"2025-26-spring": (date(2026, 5, 1), date(2026, 6, 1))})  # after Easter Monday
    with pytest.raises(UserError, match="out of order"):
        terms_of_year("2025-26", backwards)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("2025-26-autumn", ("term", date(2025, 9, 1), date(2025, 12, 31))),
        (" 2025-26-Spring ", ("term", date(2026, 1, 1), date(2026, 4, 5))),
        ("2025-26", ("year", date(2025, 9, 1), date(2026, 8, 31))),
        ("2025-09-01..2025-11-30", ("custom", date(2025, 9, 1), date(2025, 11, 30))),
    ],
)
def test_from_label_reads_every_kind_of_period(label: str, expected: tuple) -> None:
    p = periods.from_label(label, DEFAULT)
    assert (p.kind, p.start, p.end) == expected
    assert periods.from_label(p, DEFAULT) is p


@pytest.mark.parametrize("label", ["autumn", "2025-26-winter", "2025-11-30..2025-09-01", "", "2025"])
def test_from_label_refuses_plainly(label: str) -> None:
    with pytest.raises(UsageError) as err:
        periods.from_label(label, DEFAULT)
    assert err.value.exit_code == 2
    assert str(err.value).endswith(".") and "Traceback" not in str(err.value)
