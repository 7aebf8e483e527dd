"""Unit tests of the report charts: titles, axis labels, values, and drawing with no network."""

from __future__ import annotations

from datetime import date

import pytest

from policy_analytics.reports import charts
from policy_analytics.reports.markup import Block
from test_tables import sample_indicators, with_small_groups


def chart_figure(chart):
    assert isinstance(chart, charts.Chart), chart
    fig = chart.figure
    assert fig.layout.title.text, "every chart has a title"
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text, "every chart labels both axes"
    return fig


def test_bar_chart_titles_labels_and_values():
    fig = chart_figure(charts.bar_chart({"bullying": 7, "copyright": 5, "sexting": 0}, domain="category", title="T",
                                        value_title="Incidents reported", category_title="Type", chart_id="c",
                                        empty_text="none"))
    assert list(fig.data[0].x) == [5, 7]
    assert list(fig.data[0].customdata) == ["Breach of copyright", "Bullying"]


def test_chart_titles_fit_a_phone():
    for chart in (charts.response_chart([1], [1], 0, 24, chart_id="r"),
                  charts.term_chart([("Autumn", 1)], [("Autumn", 1)], "2025-26", "2024-25", chart_id="t"),
                  charts.coverage_chart(sample_indicators(), 95, 3, chart_id="c"),
                  charts.month_chart([(date(2025, 9, 1), 1)], chart_id="m")):
        assert len(chart.figure.layout.title.text) <= charts.TITLE_CHARS


def test_charts_with_nothing_to_draw_say_so():
    assert isinstance(charts.bar_chart({}, domain=None, title="T", value_title="x", category_title="y", chart_id="c",
                                       empty_text="No incidents."), Block)
    assert "No incidents" in charts.month_chart([(date(2025, 9, 1), 0)], chart_id="m").html
    assert isinstance(charts.response_chart([], [], 0, 24, chart_id="r"), Block)


def test_month_response_coverage_and_term_charts():
    fig = chart_figure(charts.month_chart([(date(2025, 9, 1), 2), (date(2025, 10, 1), 0)], chart_id="m"))
    assert list(fig.data[0].x) == ["Sep 2025", "Oct 2025"] and list(fig.data[0].y) == [2, 0]
    fig = chart_figure(charts.response_chart([1, 5, 30, 200], [2, 50], 1, 24, chart_id="r"))
    report_to_removal = next(t for t in fig.data if t.name == "Report to removal")
    assert list(report_to_removal.x) == [2, 0, 0, 1, 0, 1, 1]
    fig = chart_figure(charts.coverage_chart(sample_indicators(), 95, 3, chart_id="cov"))
    assert list(fig.data[0].x) == [80.0, 100.0]  # drawn bottom-up: support, teaching
    assert "▲" in fig.data[1].text[0]  # below target: a symbol as well as a colour, in the figures beside the bars
    fig = chart_figure(charts.term_chart([("Autumn", 3)], [("Autumn", 1)], "2025-26", "2024-25", chart_id="t"))
    assert [t.name for t in fig.data] == ["2024-25", "2025-26"]


def test_coverage_chart_draws_no_withheld_staff_group():
    fig = chart_figure(charts.coverage_chart(with_small_groups(sample_indicators()), 95, 3, chart_id="cov"))
    assert list(fig.data[0].y) == ["Support staff"]  # governors and volunteers are small; teaching protects them
    assert list(fig.data[0].customdata) == [[8, 10, "80%"]]
    one_small_group = {"acknowledgements": {"by_group": {"governor": {"active_staff": 2, "acknowledged": 1,
                                                                      "coverage_pct": 50.0}}}}
    assert "No staff group is large enough" in charts.coverage_chart(one_small_group, 95, 3, chart_id="c").html


def test_hour_bands():
    # bands include their upper bound: exactly 24 hours is within the 24-hour target, as the indicators count it
    bands = charts.hour_bands([0, 6, 6.01, 24, 24.5, 168, 169, None], 24)
    assert [n for _, n, _ in bands] == [2, 1, 1, 1, 1, 1]
    assert [ok for _, _, ok in bands] == [True, True, True, False, False, False]


def test_chart_html_has_no_plotly_library_of_its_own():
    chart = charts.bar_chart({"a": 1}, domain=None, title="T", value_title="x", category_title="y", chart_id="c1",
                             empty_text="none")
    html = chart.to_html()
    assert 'id="c1"' in html and "Plotly.newPlot" in html
    assert len(html) < 100_000 and "cdn.plot.ly" not in html
    bundle = chart._repr_mimebundle_()
    assert "application/vnd.plotly.v1+json" in bundle


def test_count_axes_tick_at_whole_numbers():
    fig = chart_figure(charts.bar_chart({"a": 1, "b": 1}, domain=None, title="T", value_title="x", category_title="y",
                                        chart_id="c", empty_text="none"))
    assert fig.layout.xaxis.dtick == 1 and fig.layout.xaxis.tickformat == "d"
    fig = chart_figure(charts.month_chart([(date(2025, 9, 1), 40)], chart_id="m"))
    assert fig.layout.yaxis.dtick is None  # plotly's own whole-number steps for larger counts


@pytest.mark.parametrize(
    "target, names, within",
    [
        (24, ["Under 6 hours", "6 to 12 hours", "12 hours to 1 day", "1 to 2 days", "2 to 7 days", "Over 7 days"], 3),
        (48, ["Under 12 hours", "12 hours to 1 day", "1 to 2 days", "2 to 4 days", "4 to 14 days", "Over 14 days"], 3),
        (72, ["Under 18 hours", "18 to 36 hours", "36 hours to 3 days", "3 to 6 days", "6 to 21 days", "Over 21 days"], 3),
    ],
)
def test_time_bands_follow_the_removal_target(target, names, within):
    bands = charts.hour_bands([target, target + 1, 3 * target], target)
    assert [b for b, _, _ in bands] == names
    assert [ok for _, _, ok in bands] == [True] * within + [False] * (6 - within)
    # exactly the target is within it; an hour more is in the first band over it; 3 times it is in the fifth
    assert [n for _, n, _ in bands] == [0, 0, 1, 1, 1, 0]


@pytest.mark.parametrize("target", [24, 48, 72])
def test_response_chart_names_and_draws_the_target_from_the_settings(target):
    fig = chart_figure(charts.response_chart([1.0, target + 1.0], [2.0, target + 2.0], 0, target, chart_id="r"))
    texts = [fig.layout.title.text] + [t.name for t in fig.data]
    assert f"{target}-hour target" in " ".join(texts)
    assert not any("24" in t for t in texts if target != 24)
    hatched = dict(zip(fig.data[1].y, fig.data[1].marker.pattern.shape))
    assert hatched[charts.hour_band_limits(target)[2][0]] == ""  # the band ending at the target is not late
    assert hatched[charts.hour_band_limits(target)[3][0]] == "/"
    assert fig.layout.shapes[0].y0 == 2.5  # the dashed line between the third and fourth bands
