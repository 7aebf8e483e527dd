"""Unit tests of the governor-facing pieces: disclosure control, formats, tables and charts (no kernel needed)."""

from __future__ import annotations

import copy
from datetime import date, datetime

import pytest
from bs4 import BeautifulSoup

from policy_analytics import metrics
from policy_analytics import report_tables as rt
from policy_analytics.settings import Settings

N = 3  # the default suppress_below


# --- primary and secondary suppression, worked by hand ------------------------------------------


@pytest.mark.parametrize(
    ("counts", "cells", "total"),
    [
        # nothing small: nothing hidden
        ({"a": 5, "b": 7}, {"a": "5", "b": "7"}, "12"),
        # one small cell could be worked out as 8 - 3 - 4 = 1, so the smallest other cell (b) is withheld too;
        # a reader then knows a + b = 4 with a in 1..2 and b >= 1: a is 1 or 2, b is 2 or 3
        ({"a": 1, "b": 3, "c": 4}, {"a": "<3", "b": "[c]", "c": "4"}, "8"),
        # ties go to the first cell in order
        ({"a": 1, "b": 4, "c": 4}, {"a": "<3", "b": "[c]", "c": "4"}, "9"),
        # zeros stay: they identify nobody, and are never chosen as the second cell
        ({"a": 1, "b": 0, "c": 4}, {"a": "<3", "b": "0", "c": "[c]"}, "5"),
        # two small cells protect each other when their sum (3) has two splits (1+2, 2+1)
        ({"a": 1, "b": 2, "c": 5, "d": 6}, {"a": "<3", "b": "<3", "c": "5", "d": "6"}, "14"),
        # ... but not when the sum forces both: 1+1 = 2 (each must be 1) or 2+2 = 4 (each must be 2)
        ({"a": 1, "b": 1, "c": 9}, {"a": "<3", "b": "<3", "c": "[c]"}, "11"),
        ({"a": 2, "b": 2, "c": 5}, {"a": "<3", "b": "<3", "c": "[c]"}, "9"),
        # nothing left to withhold: 2 + 2 under a total of 4 gives both away, so the total is withheld
        ({"a": 2, "b": 2}, {"a": "<3", "b": "<3"}, "[c]"),
        ({"a": 1, "b": 1, "c": 1}, {"a": "<3", "b": "<3", "c": "<3"}, "[c]"),
        # all zero
        ({"a": 0, "b": 0}, {"a": "0", "b": "0"}, "0"),
        ({}, {}, "0"),
    ],
)
def test_suppress_table_hand_worked(counts, cells, total):
    result = rt.suppress_table(counts, N)
    assert result.cells == cells
    assert result.total == total
    assert rt.suppress_counts(counts, N) == cells


def test_a_total_below_the_threshold_is_not_broken_down():
    # 2 closed cases, both dismissals: listing the outcome would identify the colleagues.
    result = rt.suppress_table({"dismissal": 2}, N)
    assert result.collapsed
    assert result.total == "<3"
    assert result.cells == {"dismissal": "[c]"}


def test_secondary_cells_are_recorded_and_threshold_one_disables_suppression():
    assert rt.suppress_table({"a": 1, "b": 3, "c": 4}, N).secondary == ("b",)
    assert rt.suppress_counts({"a": 1, "b": 2}, 1) == {"a": "1", "b": "2"}


def test_suppress_counts_with_a_higher_threshold():
    # N = 5: 1..4 are small. a + b = 7 with a, b in 1..4: a is 3 or 4, b is 3 or 4 -> protected.
    assert rt.suppress_counts({"a": 3, "b": 4, "c": 10}, 5) == {"a": "<5", "b": "<5", "c": "10"}
    # a alone = 1 could be worked out; c (the smallest >= 5) is withheld with it.
    assert rt.suppress_counts({"a": 1, "b": 10, "c": 6}, 5) == {"a": "<5", "b": "10", "c": "[c]"}


@pytest.mark.parametrize(("value", "text"), [(0, "0"), (1, "<3"), (2, "<3"), (3, "3"), (1234, "1,234"), (None, "–")])
def test_suppress_value(value, text):
    assert rt.suppress_value(value, N) == text


def test_every_protected_table_leaves_each_hidden_cell_two_possible_values():
    """Brute force over small tables: no withheld cell can be pinned down from what is published."""
    import itertools

    for values in itertools.product(range(0, 6), repeat=3):
        counts = dict(zip("abc", values))
        result = rt.suppress_table(counts, N)
        if result.collapsed or result.total_withheld or sum(values) == 0:
            continue
        shown = {k: int(v.replace(",", "")) for k, v in result.cells.items() if v not in ("<3", "[c]")}
        hidden = [k for k in counts if k not in shown]
        published_total = sum(values)
        # every assignment of the hidden cells consistent with what a reader sees
        options = {k: (range(1, N) if result.cells[k] == "<3" else range(1, published_total + 1)) for k in hidden}
        feasible = [
            combo for combo in itertools.product(*(options[k] for k in hidden))
            if sum(combo) + sum(shown.values()) == published_total
        ]
        for i, k in enumerate(hidden):
            assert len({combo[i] for combo in feasible}) >= 2, (counts, result)


# --- formats ---------------------------------------------------------------------------------------


def test_formats():
    assert rt.fmt_pct(70.83333) == "70.8%"
    assert rt.fmt_pct(100.0) == "100%"
    assert rt.fmt_pct(None) == "–"
    assert rt.fmt_hours(12.26) == "12.3 hours"
    assert rt.fmt_hours(1) == "1 hour"
    assert rt.fmt_days(75.5) == "75.5 days"
    assert rt.fmt_days(1) == "1 day"
    assert rt.fmt_count(1234) == "1,234"
    assert rt.fmt_number(2.0) == "2"
    assert rt.fmt_number(5.1) == "5.1"
    assert rt.fmt_date("2025-10-01") == "1 Oct 2025"
    assert rt.fmt_datetime("2026-01-05T09:30:00") == "5 Jan 2026 09:30"
    assert rt.fmt_month(date(2025, 9, 1)) == "Sep 2025"


# --- tables ----------------------------------------------------------------------------------------


def sample_indicators() -> dict:
    """A hand-made indicators object in the shape of SPEC section 6."""
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


def cells_by_row(html: str, table_id: str) -> dict[str, list[str]]:
    soup = BeautifulSoup(html, "html.parser")
    table = soup.find(id=table_id).find("table")
    rows = {}
    for tr in table.select("tbody tr"):
        cells = [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
        rows[cells[0]] = cells[1:]
    return rows


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
    assert rt.REVIEW_FILL.lower() in html.lower() and rt.OK_FILL.lower() in html.lower()


def test_breach_outcomes_table_shows_one_as_less_than_three_and_a_secondary_cell():
    ind = sample_indicators()
    html = rt.breakdown_table(ind["breaches"]["by_outcome"], N, domain="outcome", heading="Outcome",
                              value_label="Closed", table_id="outcomes", order=list(rt.OUTCOME_LABELS),
                              empty_text="none").html
    rows = cells_by_row(html, "outcomes")
    assert rows["Written warning"] == ["<3"]
    assert rows["Informal advice"] == ["[c]"]
    assert rows["No case to answer"] == ["4"]
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
    assert [rows[k][4] for k in ("A", "B", "C", "All schools")] == ["<3", "[c]", "5", "9"]


def test_median_days_to_close_is_withheld_for_one_or_two_cases():
    ind = sample_indicators()
    ind["breaches"]["closed"] = 1
    html = rt.breaches_table(ind, None, N, "This term", "Last term").html
    rows = cells_by_row(html, "breaches")
    assert rows["Days to close (median)"][0] == "[c]"
    assert rows["Breach investigations closed"][0] == "<3"


def test_acknowledgement_and_data_tables():
    ind = sample_indicators()
    rows = cells_by_row(rt.acknowledgement_table(ind, Settings()).html, "acknowledgements")
    assert rows["Support staff"] == ["10", "8", "80%", "▲ Review"]
    assert rows["Teaching staff"][-1] == "✔ OK"
    assert rows["All staff"] == ["20", "18", "90%", "▲ Review"]
    rows = cells_by_row(rt.data_table(ind, date(2025, 12, 31)).html, "data-freshness")
    assert rows["Incidents"][:3] == ["10", "1", "5 Jan 2026 09:30"]


def test_definitions_cover_every_metric_label_shown():
    html = rt.definitions_table(metrics.METRICS).html
    rows = cells_by_row(html, "definitions")
    for m in metrics.METRICS:
        if not m.key.startswith("period."):
            assert m.label in rows


def test_values_are_escaped():
    block = rt.note("<script>alert(1)</script>")
    assert "<script>" not in block.html


# --- charts ----------------------------------------------------------------------------------------


def chart_figure(chart):
    assert isinstance(chart, rt.Chart), chart
    fig = chart.figure
    assert fig.layout.title.text, "every chart has a title"
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text, "every chart labels both axes"
    return fig


def test_bar_chart_titles_labels_and_values():
    fig = chart_figure(rt.bar_chart({"bullying": 7, "copyright": 5, "sexting": 0}, domain="category", title="T",
                                    value_title="Incidents reported", category_title="Type", chart_id="c",
                                    empty_text="none"))
    assert list(fig.data[0].x) == [5, 7]
    assert list(fig.data[0].customdata) == ["Breach of copyright", "Bullying"]


def test_chart_titles_fit_a_phone():
    for chart in (rt.response_chart([1], [1], 0, 24, chart_id="r"),
                  rt.term_chart([("Autumn", 1)], [("Autumn", 1)], "2025-26", "2024-25", chart_id="t"),
                  rt.coverage_chart(sample_indicators(), 95, chart_id="c"),
                  rt.month_chart([(date(2025, 9, 1), 1)], chart_id="m")):
        assert len(chart.figure.layout.title.text) <= rt.TITLE_CHARS


def test_charts_with_nothing_to_draw_say_so():
    assert isinstance(rt.bar_chart({}, domain=None, title="T", value_title="x", category_title="y", chart_id="c",
                                   empty_text="No incidents."), rt.Block)
    assert "No incidents" in rt.month_chart([(date(2025, 9, 1), 0)], chart_id="m").html
    assert isinstance(rt.response_chart([], [], 0, 24, chart_id="r"), rt.Block)


def test_month_response_coverage_and_term_charts():
    fig = chart_figure(rt.month_chart([(date(2025, 9, 1), 2), (date(2025, 10, 1), 0)], chart_id="m"))
    assert list(fig.data[0].x) == ["Sep 2025", "Oct 2025"] and list(fig.data[0].y) == [2, 0]
    fig = chart_figure(rt.response_chart([1, 5, 30, 200], [2, 50], 1, 24, chart_id="r"))
    report_to_removal = next(t for t in fig.data if t.name == "Report to removal")
    assert list(report_to_removal.x) == [2, 0, 0, 1, 0, 1, 1]
    fig = chart_figure(rt.coverage_chart(sample_indicators(), 95, chart_id="cov"))
    assert list(fig.data[0].x) == [80.0, 100.0]  # drawn bottom-up: support, teaching
    assert "▲" in fig.data[0].text[0]  # below target: a symbol as well as a colour
    fig = chart_figure(rt.term_chart([("Autumn", 3)], [("Autumn", 1)], "2025-26", "2024-25", chart_id="t"))
    assert [t.name for t in fig.data] == ["2024-25", "2025-26"]


def test_hour_bands():
    # bands include their upper bound: exactly 24 hours is within the 24-hour target, as the indicators count it
    bands = rt.hour_bands([0, 6, 6.01, 24, 24.5, 168, 169, None], 24)
    assert [n for _, n, _ in bands] == [2, 1, 1, 1, 1, 1]
    assert [ok for _, _, ok in bands] == [True, True, True, False, False, False]


def test_chart_html_has_no_plotly_library_of_its_own():
    chart = rt.bar_chart({"a": 1}, domain=None, title="T", value_title="x", category_title="y", chart_id="c1",
                         empty_text="none")
    html = chart.to_html()
    assert 'id="c1"' in html and "Plotly.newPlot" in html
    assert len(html) < 100_000 and "cdn.plot.ly" not in html
    bundle = chart._repr_mimebundle_()
    assert "application/vnd.plotly.v1+json" in bundle


# --- review points ---------------------------------------------------------------------------------


def test_review_points_from_triggers_legislation_and_events():
    ind = sample_indicators()
    cited = [{"cited_as": "GDPR 2018", "current_name": "UK GDPR and Data Protection Act 2018", "status": "renamed_and_amended"},
             {"cited_as": "Defamation Act 2013", "current_name": "Defamation Act 2013", "status": "in_force"}]
    events = [{"date": "2025-09-01", "kind": "guidance", "title": "KCSIE 2025 in force", "source": "https://www.gov.uk/x"}]
    points = rt.review_points(ind, Settings(), cited, events)
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
    assert [rt.cited_acts_for(e, cited) for e in events] == [["Equality Act 2010"], ["GDPR 2018"], []]
    rows = cells_by_row(rt.events_table(events, cited).html, "review-events")
    assert rows["26 Oct 2024"][2] == "Equality Act 2010"
    assert rows["1 Sep 2025"][2] == "None: not cited" and rows["1 Sep 2025"][3] == "gov.uk"
    rows = cells_by_row(rt.legislation_table(cited, events).html, "legislation")
    assert rows["Equality Act 2010"][2] == "1" and rows["GDPR 2018"][2] == "1"


def test_title_section_says_when_there_are_no_incidents():
    class Data:  # the few attributes title_section reads
        kind = "termly"
        settings = Settings()
        school = None
        schools: list = []
        ind = sample_indicators()
        generated_at = datetime(2026, 1, 5, 9, 0)
        no_incidents = True
        scope = "All schools"

    from policy_analytics.periods import term

    Data.period = term("2025-26-autumn", Settings())
    Data.previous = term("2024-25-summer", Settings())
    text = BeautifulSoup(rt.title_section(Data).html, "html.parser").get_text(" ")
    assert "No incidents were reported in this term." in text
    assert "Autumn term 2025-26 (1 Sep 2025 to 31 Dec 2025)" in text


def test_count_axes_tick_at_whole_numbers():
    fig = chart_figure(rt.bar_chart({"a": 1, "b": 1}, domain=None, title="T", value_title="x", category_title="y",
                                    chart_id="c", empty_text="none"))
    assert fig.layout.xaxis.dtick == 1 and fig.layout.xaxis.tickformat == "d"
    fig = chart_figure(rt.month_chart([(date(2025, 9, 1), 40)], chart_id="m"))
    assert fig.layout.yaxis.dtick is None  # plotly's own whole-number steps for larger counts
