"""How figures are written for governors."""

from __future__ import annotations

from datetime import date

from policy_analytics.reports import formats


def test_formats():
    assert formats.fmt_pct(70.83333) == "70.8%"
    assert formats.fmt_pct(100.0) == "100%"
    assert formats.fmt_pct(None) == "–"
    assert formats.fmt_hours(12.26) == "12.3 hours"
    assert formats.fmt_hours(1) == "1 hour"
    assert formats.fmt_days(75.5) == "75.5 days"
    assert formats.fmt_days(1) == "1 day"
    assert formats.fmt_count(1234) == "1,234"
    assert formats.fmt_number(2.0) == "2"
    assert formats.fmt_number(5.1) == "5.1"
    assert formats.fmt_date("2025-10-01") == "1 Oct 2025"
    assert formats.fmt_datetime("2026-01-05T09:30:00") == "5 Jan 2026 09:30"
    assert formats.fmt_month(date(2025, 9, 1)) == "Sep 2025"


def test_a_percentage_below_its_target_never_prints_as_the_target():
    share = 113 / 119 * 100  # 94.957...% of staff in post, against a 95% target
    assert formats.fmt_pct(share) == "94.96%"
    assert formats.fmt_pct(share, 95) == "94.96%"
    assert formats.fmt_pct(99.96) == "99.96%"  # never '100.0%' for material still visible
    assert formats.fmt_pct(89.9999, 90) == "89.999%"
    assert formats.fmt_pct(90.04, 90.05) == "90.04%"  # a target with two decimals
    assert formats.fmt_pct(90.05, 90.05) == "90.05%"
    assert formats.fmt_pct(95.14, 95) == "95.1%"  # one decimal where that is honest
    assert formats.fmt_pct(95.04, 95) == "95.04%"  # "95.0%" would read as exactly 95


def test_headline_coverage_of_113_in_119_is_not_shown_as_95():
    from policy_analytics.reports import tables
    from policy_analytics.settings import Settings

    ind = {"acknowledgements": {"coverage_pct": 113 / 119 * 100},
           "triggers": [{"id": "acknowledgement_coverage", "fired": True, "value": 113 / 119 * 100}]}
    row = next(r for r in tables.headline_rows(ind, None, Settings(), 3) if r.key == "acknowledgements.coverage_pct")
    assert (row.current, row.target, row.status) == ("94.96%", "At least 95%", "▲ Review")
