"""Unit tests of the report tables: figures, statuses and suppressed breach counts (no kernel needed)."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from bs4 import BeautifulSoup

from policy_analytics import metrics
from policy_analytics.reports import formats
from policy_analytics.reports import markup as report_html
from policy_analytics.reports import tables as rt
from policy_analytics.settings import Settings

N = 3  # the default suppress_below


# --- tables ----------------------------------------------------------------------------------------


def sample_indicators() -> dict:
    """A hand-made indicators object in the shape of docs/reference/indicators.md."""
    return {
        "period": {"start": "2025-09-01", "end": "2025-12-31", "label": "2025-26-autumn", "title": "Autumn term 2025-26"},
        "incidents": {
            "total": 12, "significant": 2, "safeguarding": 1, "police_referrals": 1, "pupil_submitted": 3,
            "by_category": {"bullying": 7, "copyright": 5}, "by_platform": {"Facebook": 10, "Other": 2},
            "by_severity": {"low": 10, "high": 2}, "by_school": {"Alder School": 12}, "previous_total": 4,
        },
        "response": {"removal_needed": 10, "removed": 8, "within_target": 7, "within_target_pct": 70.0,
                     "still_visible": 2, "median_hours": 10.5, "p90_hours": 30.25},
        "visibility": {"median_hours": 20.0, "p90_hours": 40.0, "max_hours": 50.0},
        "recirculation": {"total_shares": 40, "median_shares": 2.5, "p90_shares": 10.0, "max_shares": 21,
                          "multi_platform": 2, "wide_spread": 1},
        "breaches": {"opened": 2, "closed": 8, "open_at_end": 1,
                     "by_outcome": {"written_warning": 1, "informal_advice": 3, "no_case_to_answer": 4},
                     "by_rule": {"disrepute": 2}, "median_days_to_close": 30.0},
        "acknowledgements": {"active_staff": 20, "acknowledged": 18, "outstanding": 2, "coverage_pct": 90.0,
                             "by_group": {"teaching": {"active_staff": 10, "acknowledged": 10, "coverage_pct": 100.0},
                                          "support": {"active_staff": 10, "acknowledged": 8, "coverage_pct": 80.0}}},
        "review": {"last_reviewed": "2024-10-01", "next_due": "2025-10-01", "overdue": True, "days_overdue": 91},
        "triggers": [
            {"id": "annual_review_due", "fired": True, "value": 91, "threshold": "2025-10-01", "reason": "Overdue."},
            {"id": "significant_incidents", "fired": True, "value": 2, "threshold": 1, "reason": "2 significant."},
            {"id": "removal_target", "fired": True, "value": 70.0, "threshold": 90, "reason": "7 of 10."},
            {"id": "recirculation", "fired": True, "value": 1, "threshold": 1, "reason": "1 widely."},
            {"id": "acknowledgement_coverage", "fired": True, "value": 90.0, "threshold": 95, "reason": "18 of 20."},
            {"id": "incident_rise", "fired": True, "value": 12, "threshold": 6, "reason": "12 against 4."},
            {"id": "review_events", "fired": False, "value": [], "threshold": 1, "reason": "None."},
        ],
        "review_recommended": True,
        "data": {k: {"stored": 10, "rejected": 1, "last_loaded": "2026-01-05T09:30:00"}
                 for k in ("incidents", "breaches", "acknowledgements")},
    }


def rows_of(table) -> dict[str, list[str]]:
    """A parsed table's body rows by the text of their first cell."""
    rows = {}
    for tr in table.select("tbody tr"):
        cells = [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
        rows[cells[0]] = cells[1:]
    return rows


def cells_by_row(html: str, table_id: str) -> dict[str, list[str]]:
    return rows_of(BeautifulSoup(html, "html.parser").find(id=table_id).find("table"))


def test_headline_table_figures_targets_and_statuses():
    ind, prev = sample_indicators(), sample_indicators()
    prev["incidents"]["total"] = 4
    prev["response"]["within_target_pct"] = 95.0
    html = rt.headline_table(ind, prev, Settings(), N, this_label="This term", previous_label="Last term").html
    rows = cells_by_row(html, "headline")
    assert rows["Incidents"][:2] == ["12", "4"]
    assert rows["Removed within target (%)"][:2] == ["70%", "95%"]
    assert rows["Removed within target (%)"][2] == "At least 90% within 24 hours"
    assert rows["Removed within target (%)"][3] == "▲ Review"
    assert rows["Acknowledgement coverage (%)"][0] == "90%"
    # breaches: 2 opened is small; 8 closed is not
    assert rows["Breach investigations opened"][0] == "<3"
    assert rows["Breach investigations closed"][0] == "8"
    assert rows["Next review due"][0] == "1 Oct 2025"
    # every status carries a symbol and a word, not only a colour
    for values in rows.values():
        assert values[-1] in ("▲ Review", "✔ OK", "–")
    # labels are the metric dictionary's, so the definitions appendix explains them
    labels = {m.label for m in metrics.METRICS}
    assert set(rows) <= labels


def test_trigger_table_words_colours_and_reasons():
    ind = sample_indicators()
    html = rt.trigger_table(ind["triggers"]).html
    rows = cells_by_row(html, "triggers")
    assert rows["Annual review due"] == ["▲ Review", "Overdue."]
    assert rows["24-hour removal target"] == ["▲ Review", "7 of 10."]
    assert rows["Changes in law and guidance"] == ["✔ OK", "None."]
    assert report_html.REVIEW_FILL.lower() in html.lower() and report_html.OK_FILL.lower() in html.lower()


def test_breach_outcomes_table_shows_one_as_less_than_three_and_a_secondary_cell():
    ind = sample_indicators()
    html = rt.breakdown_table(ind["breaches"]["by_outcome"], N, domain="outcome", heading="Outcome",
                              value_label="Closed", table_id="outcomes", order=list(formats.OUTCOME_LABELS),
                              empty_text="none").html
    rows = cells_by_row(html, "outcomes")
    assert rows["Written warning"] == ["<3"]
    # 1 + 3 + 4 = 8: withholding 3 alone would leave 1 + [c] = 4 with [c] >= 3, so 4 is withheld too
    assert rows["Informal advice"] == ["[c]"]
    assert rows["No case to answer"] == ["[c]"]
    assert rows["Total"] == ["8"]


def test_breakdown_with_a_total_below_the_threshold_lists_no_outcome():
    html = rt.breakdown_table({"dismissal": 1}, N, domain="outcome", heading="Outcome", value_label="Closed",
                              table_id="x", empty_text="none").html
    assert "Dismissal" not in html and "<table" not in html
    assert "Fewer than 3" in BeautifulSoup(html, "html.parser").get_text()


def test_schools_table_suppresses_breaches_by_school():
    ind = sample_indicators()
    a, b, c = (copy.deepcopy(ind) for _ in range(3))
    a["breaches"]["opened"], b["breaches"]["opened"], c["breaches"]["opened"] = 1, 3, 5
    org = copy.deepcopy(ind)
    org["breaches"]["opened"] = 9
    html = rt.schools_table({"A": a, "B": b, "C": c}, org, N).html
    rows = cells_by_row(html, "schools")
    # 1 + 3 + 5 = 9: with only B withheld, A + B = 4 and B >= 3 would give A = 1; so C is withheld too
    assert [rows[k][4] for k in ("A", "B", "C", "All schools")] == ["<3", "[c]", "[c]", "9"]


def _school(staff: int, read: int, *, other_checks_fire: bool) -> dict:
    """A school's indicators: STAFF in post, READ of them acknowledged; only its coverage check may fire
    unless OTHER_CHECKS_FIRE (the organisation-wide checks never do here)."""
    ind = sample_indicators()
    ind["acknowledgements"].update(active_staff=staff, acknowledged=read, outstanding=staff - read,
                                   coverage_pct=round(100 * read / staff, 1))
    for trigger in ind["triggers"]:
        trigger["fired"] = other_checks_fire and trigger["id"] not in ("annual_review_due", "review_events")
        if trigger["id"] == "acknowledgement_coverage":
            trigger.update(fired=read / staff < 0.9, reason=f"{read} of {staff} members of staff in post.")
    ind["review_recommended"] = any(t["fired"] for t in ind["triggers"])
    return ind


def test_a_small_schools_coverage_is_withheld_with_the_next_smallest():
    # Central team: 2 staff, 1 read. Withheld alone, All schools (61 of 72) minus the others shown would
    # give it: 61 - 60 = 1 of 72 - 70 = 2. So the next-smallest school (Birch, 10 staff, 9 read) is
    # withheld too: together 10 of 12, some but not all of whom read it; Central could be 1 of 2 or 2 of 2
    # (Birch then 9 or 8 of 10): not told. Alder (30 of 30) and Cedar (30 of 30) stay.
    per_school = {
        "Alder": _school(30, 30, other_checks_fire=False),
        "Birch": _school(10, 9, other_checks_fire=True),
        "Central team": _school(2, 1, other_checks_fire=False),
        "Cedar": _school(30, 30, other_checks_fire=False),
    }
    org = _school(72, 70, other_checks_fire=True)
    html = rt.schools_table(per_school, org, N).html
    rows = cells_by_row(html, "schools")
    assert [rows[k][3] for k in ("Alder", "Birch", "Central team", "Cedar", "All schools")] == [
        "100%", "[c]", "[c]", "100%", "97.2%"]
    # Review: Birch's other checks fired, so it shows Review whatever its coverage; Central team's would be
    # decided by its coverage alone, so it is not told.
    assert [rows[k][5] for k in ("Alder", "Birch", "Central team")] == ["✔ OK", "▲ Review", "[c]"]
    assert "1 to 2 staff in post" in BeautifulSoup(html, "html.parser").get_text()

    withheld = rt.withhold_schools(per_school, N)
    assert (withheld.small, withheld.secondary) == (("Central team",), ("Birch",))
    matrix = cells_by_row(rt.school_trigger_matrix(per_school, withheld).html, "school-triggers")
    coverage_column = [t["id"] for t in per_school["Alder"]["triggers"]].index("acknowledgement_coverage")
    assert [matrix[k][coverage_column] for k in ("Alder", "Birch", "Central team")] == ["✔ OK", "[c]", "[c]"]
    for name in ("Birch", "Central team"):
        reasons = " ".join(rt.school_reasons(per_school[name], withheld=True))
        assert "withheld ([c])" in reasons
        assert "9 of 10" not in reasons and "1 of 2" not in reasons


def test_no_school_is_withheld_when_every_school_has_enough_staff():
    per_school = {"Alder": _school(30, 20, other_checks_fire=False), "Birch": _school(3, 3, other_checks_fire=False)}
    html = rt.schools_table(per_school, _school(33, 23, other_checks_fire=False), N).html
    rows = cells_by_row(html, "schools")
    assert [rows[k][3] for k in ("Alder", "Birch")] == ["66.7%", "100%"]
    assert "staff in post, its acknowledgement" not in html
    assert "1 of 2" not in " ".join(rt.school_reasons(per_school["Alder"]))
    assert any("20 of 30" in r for r in rt.school_reasons(per_school["Alder"]))


def test_median_days_to_close_is_withheld_for_one_or_two_cases():
    ind = sample_indicators()
    ind["breaches"]["closed"] = 1
    html = rt.breaches_table(ind, None, N, "This term", "Last term").html
    rows = cells_by_row(html, "breaches")
    assert rows["Days to close (median)"][0] == "[c]"
    assert rows["Breach investigations closed"][0] == "<3"


def test_acknowledgement_and_data_tables():
    ind = sample_indicators()
    rows = cells_by_row(rt.acknowledgement_table(ind, Settings(), N).html, "acknowledgements")
    assert rows["Support staff"] == ["10", "8", "80%", "▲ Review"]
    assert rows["Teaching staff"][-1] == "✔ OK"
    assert rows["All staff"] == ["20", "18", "90%", "▲ Review"]
    rows = cells_by_row(rt.data_table(ind, date(2025, 12, 31)).html, "data-freshness")
    assert rows["Incidents"][:3] == ["10", "1", "5 Jan 2026 09:30"]


def with_small_groups(ind: dict) -> dict:
    """The sample with a governor and a volunteer added: 1 and 2 staff in post, neither of whom has read it."""
    ind = copy.deepcopy(ind)
    ack = ind["acknowledgements"]
    ack["by_group"]["governor"] = {"active_staff": 1, "acknowledged": 0, "coverage_pct": 0.0}
    ack["by_group"]["volunteer"] = {"active_staff": 2, "acknowledged": 0, "coverage_pct": 0.0}
    ack.update(active_staff=23, acknowledged=18, outstanding=5, coverage_pct=100.0 * 18 / 23)
    return ind


def test_small_staff_groups_show_less_than_three_and_cannot_be_worked_out_from_all_staff():
    html = rt.acknowledgement_table(with_small_groups(sample_indicators()), Settings(), N).html
    rows = cells_by_row(html, "acknowledgements")
    # governor 1 and volunteers 2 (none of whom has read it) would be All staff minus the rest, so the
    # next-smallest group is withheld too: teaching and support have 10 each and teaching comes first;
    # 13 staff, 10 read between them, and the governor and volunteers may or may not have read it
    assert rows["Governors"] == ["<3", "[c]", "[c]", "[c]"]
    assert rows["Volunteers"] == ["<3", "[c]", "[c]", "[c]"]
    assert rows["Teaching staff"] == ["[c]", "[c]", "[c]", "[c]"]
    assert rows["Support staff"] == ["10", "8", "80%", "▲ Review"]
    assert rows["All staff"] == ["23", "18", "78.3%", "▲ Review"]
    assert "0%" not in [cell for row in rows.values() for cell in row]
    text = BeautifulSoup(html, "html.parser").get_text(" ")
    assert "a group with 1 to 2 staff in post shows <3" in text and "the next-smallest group is withheld too" in text


def test_definitions_cover_every_metric_label_shown():
    html = rt.definitions_table(metrics.METRICS).html
    rows = cells_by_row(html, "definitions")
    for m in metrics.METRICS:
        if not m.key.startswith("period."):
            assert m.label in rows


def _hours(h: float) -> Settings:
    from policy_analytics.settings import Targets

    return Settings(targets=Targets(removal_hours=h))


@pytest.mark.parametrize("hours", [24, 48, 72])
def test_the_removal_trigger_is_named_with_the_settings_hours_everywhere(hours):
    ind, settings = sample_indicators(), _hours(hours)
    name = f"{hours}-hour removal target"
    assert cells_by_row(rt.trigger_table(ind["triggers"], settings=settings).html, "triggers")[name]
    assert name in rt.review_banner(ind, settings).html
    per_school = {"Alder": ind, "Birch": ind}
    matrix = rt.school_trigger_matrix(per_school, settings=settings).html
    assert name in matrix
    assert any(r.startswith(name) for r in rt.school_reasons(ind, settings=settings))
    definitions = cells_by_row(rt.definitions_table(metrics.metrics_for(settings)).html, "definitions")
    assert name in definitions
    assert f"({hours}) hours; exactly {hours} hours counts" in " ".join(definitions["Removed within target"])
    if hours != 24:
        for html in (rt.trigger_table(ind["triggers"], settings=settings).html, matrix,
                     rt.definitions_table(metrics.metrics_for(settings)).html):
            assert "24-hour" not in html and "24 hours" not in html and "(24)" not in html
