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
