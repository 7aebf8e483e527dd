"""Unit tests of what only the annual review report shows: the register against the cited legislation, and
the points for the review."""

from __future__ import annotations

from policy_analytics.reports import annual as annual_review
from policy_analytics.settings import Settings
from test_tables import cells_by_row, sample_indicators


def test_review_points_from_triggers_legislation_and_events():
    ind = sample_indicators()
    cited = [{"cited_as": "GDPR 2018", "current_name": "UK GDPR and Data Protection Act 2018", "status": "renamed_and_amended"},
             {"cited_as": "Defamation Act 2013", "current_name": "Defamation Act 2013", "status": "in_force"}]
    events = [{"date": "2025-09-01", "kind": "guidance", "title": "KCSIE 2025 in force", "source": "https://www.gov.uk/x"}]
    points = annual_review.review_points(ind, Settings(), cited, events)
    text = "\n".join(points)
    assert "overdue" in text
    assert "GDPR 2018" in text and "Defamation" not in text
    assert "KCSIE 2025 in force" in text
    assert "below the 90% target" in text
    assert "every 12 months" in text  # review_due 2026-10-01 is 24 months after 2024-10-01
    assert "Bullying" in text  # the commonest category


def test_register_changes_are_set_against_the_cited_legislation():
    cited = [{"cited_as": "Equality Act 2010", "current_name": "Equality Act 2010 (as amended)", "status": "amended", "note": "n"},
             {"cited_as": "GDPR 2018", "current_name": "UK GDPR and Data Protection Act 2018", "status": "renamed_and_amended", "note": "n"}]
    events = [{"date": "2024-10-26", "kind": "legislation", "title": "Worker Protection (Amendment of Equality Act 2010) Act 2023 in force", "source": ""},
              {"date": "2025-06-19", "kind": "legislation", "title": "Data (Use and Access) Act 2025 receives Royal Assent", "source": ""},
              {"date": "2025-09-01", "kind": "guidance", "title": "Keeping Children Safe in Education 2025 in force", "source": "https://www.gov.uk/x"}]
    assert [annual_review.cited_acts_for(e, cited) for e in events] == [["Equality Act 2010"], ["GDPR 2018"], []]
    rows = cells_by_row(annual_review.events_table(events, cited).html, "review-events")
    assert rows["26 Oct 2024"][2] == "Equality Act 2010"
    assert rows["1 Sep 2025"][2] == "None: not cited" and rows["1 Sep 2025"][3] == "gov.uk"
    rows = cells_by_row(annual_review.legislation_table(cited, events).html, "legislation")
    assert rows["Equality Act 2010"][2] == "1" and rows["GDPR 2018"][2] == "1"


def test_review_points_name_a_stale_register_and_the_policy_document():
    from policy_analytics.policy_check import Finding, PolicyCheck

    found = PolicyCheck("p.docx", "2024-10-01", "2026-10-01", "2026-12-02",
                        findings=[Finding("outdated_name", "Twitter", "Scope", "X", "d", "https://x")])
    points = annual_review.review_points(sample_indicators(), Settings(), [], [], None,
                                         "Register as of 2 December 2026. It is more than 6 months old ...", found)
    assert "Register as of 2 December 2026. It is more than 6 months old ..." in points
    assert any(p.startswith("The policy document names 1 thing to update") for p in points)
    plain = annual_review.review_points(sample_indicators(), Settings(), [], [])
    assert not any("Register as of" in p or "policy document" in p for p in plain)


def test_annual_changes_section_says_the_register_date_and_warns_past_six_months():
    """The clock moved on: a year ending 31 Jul 2027 against a register as of 2 Dec 2026."""
    from datetime import date

    from bs4 import BeautifulSoup

    from policy_analytics.periods import custom
    from policy_analytics.reports import sections

    class Data:
        kind = "annual"
        settings = Settings()
        register_as_of = date(2026, 12, 2)
        events: list = []
        cited: list = []

    Data.period = custom(date(2026, 8, 1), date(2026, 12, 31))
    text = BeautifulSoup("".join(b.html for b in sections.changes_section(Data)), "html.parser").get_text(" ")
    assert "Register as of 2 December 2026." in text and "months old" not in text
    Data.period = custom(date(2026, 8, 1), date(2027, 7, 31))
    text = BeautifulSoup("".join(b.html for b in sections.changes_section(Data)), "html.parser").get_text(" ")
    assert "Register as of 2 December 2026. It is more than 6 months old at the end of this period" in text
