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
