"""The governor reports' charts (plotly): each returns a `Chart`, or a note when there is nothing to draw.

Charts carry no plotly.js of their own: `plotly_js` embeds it once per report, so every chart draws
with no network. Every chart has a title and labelled axes, and a status is never shown by colour alone.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from policy_analytics.reports.formats import fmt_month, fmt_pct, is_missing, label, staff_groups_in_order, value_at
from policy_analytics.reports.markup import BLUE, FONT, LIGHT_BLUE, ORANGE, Block, note
from policy_analytics.reports.plan import ReportView
from policy_analytics.reports.suppression import withheld_groups


PLOTLY_CONFIG = {
    "displayModeBar": False,   # no toolbar: governors read, print and email these, they do not zoom
    "responsive": True,
    "scrollZoom": False,
    "doubleClick": False,
    "showTips": False,
}


class Chart:
    """A plotly chart for a report: HTML with no plotly.js of its own (`plotly_js` loads it once),
    plus plotly's own JSON so JupyterLab can draw it in the executed notebook."""

    def __init__(self, figure: Any, chart_id: str, height: int = 380) -> None:
        self.figure = figure
        self.chart_id = chart_id
        self.height = height

    def to_html(self) -> str:
        """The chart as an HTML figure that draws with the plotly.js `plotly_js` embeds."""
        inner = self.figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=self.chart_id,
            config=PLOTLY_CONFIG,
            default_width="100%",
            default_height=f"{self.height}px",
        )
        return f'<figure class="report-chart" data-chart="{html.escape(self.chart_id)}">{inner}</figure>'

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {
            "text/html": self.to_html(),
            "application/vnd.plotly.v1+json": json.loads(self.figure.to_json()),
            "text/plain": f"<chart {self.chart_id}>",
        }


def plotly_js() -> Block:
    """plotly.js itself, inline, once per report: charts then draw with no network at all."""
    from plotly.offline import get_plotlyjs

    return Block(f'<script type="text/javascript">{get_plotlyjs()}</script>')


TITLE_CHARS = 38  # about what fits across a phone at the title's size; plotly does not wrap titles itself


def _layout(fig: Any, title: str, x_title: str, y_title: str, height: int, *, legend: bool = False) -> Any:
    fig.update_layout(
        title={"text": _wrap(title, TITLE_CHARS), "x": 0, "xanchor": "left", "font": {"size": 16}},
        xaxis_title=x_title,
        yaxis_title=y_title,
        template="simple_white",
        font={"family": FONT, "size": 13, "color": "#222"},
        height=height,
        margin={"l": 10, "r": 20, "t": 60, "b": 50},
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        dragmode=False,
        hovermode="closest",
    )
    fig.update_xaxes(automargin=True, fixedrange=True)
    fig.update_yaxes(automargin=True, fixedrange=True)
    return fig


def _count_ticks(largest: float) -> dict[str, Any]:
    """Axis settings for whole counts: ticks at whole numbers (never 0, 0.5, 1 shown as 0, 1, 1)."""
    if largest <= 10:
        return {"tickformat": "d", "tick0": 0, "dtick": 1, "rangemode": "tozero"}
    if largest <= 20:
        return {"tickformat": "d", "tick0": 0, "dtick": 2, "rangemode": "tozero"}
    return {"tickformat": "d", "rangemode": "tozero"}


def _wrap(text: str, width: int = 22) -> str:
    """Break a long label over lines (plotly does not wrap) so it fits a phone."""
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    if line:
        lines.append(line)
    return "<br>".join(lines)


def bar_chart(counts: Mapping[str, Any], *, domain: str | None, title: str, value_title: str, category_title: str,
              chart_id: str, empty_text: str) -> Chart | Block:
    """A horizontal bar chart of counts, largest first; a note instead when there is nothing to draw."""
    import plotly.graph_objects as go

    items = [(k, int(v)) for k, v in (counts or {}).items() if v]
    if not items:
        return note(empty_text, "empty")
    items.sort(key=lambda kv: (kv[1], label(domain, kv[0]) if domain else kv[0]))  # plotly draws bottom-up
    names = [label(domain, k) if domain else str(k) for k, _ in items]
    fig = go.Figure(go.Bar(
        x=[v for _, v in items], y=[_wrap(n) for n in names], orientation="h", marker_color=BLUE,
        text=[str(v) for _, v in items], textposition="auto", customdata=names,
        hovertemplate="%{customdata}: %{x}<extra></extra>",
    ))
    height = max(220, 90 + 34 * len(items) + 14 * sum(n.count("<br>") for n in map(_wrap, names)))
    _layout(fig, title, value_title, category_title, height)
    fig.update_xaxes(**_count_ticks(max(v for _, v in items)))
    return Chart(fig, chart_id, height)


def month_chart(months: Sequence[tuple[date, int]], *, chart_id: str, title: str = "Incidents reported by month",
                empty_text: str = "No incidents were reported in this period.") -> Chart | Block:
    """Incidents by month of report (every month of the period, zeros included)."""
    import plotly.graph_objects as go

    if not months or not any(n for _, n in months):
        return note(empty_text, "empty")
    fig = go.Figure(go.Bar(
        x=[fmt_month(m) for m, _ in months], y=[n for _, n in months], marker_color=BLUE,
        text=[str(n) for _, n in months], textposition="auto",
        hovertemplate="%{x}: %{y} incidents<extra></extra>",
    ))
    _layout(fig, title, "Month reported", "Incidents reported", 340)
    fig.update_yaxes(**_count_ticks(max(n for _, n in months)))
    fig.update_xaxes(type="category")
    return Chart(fig, chart_id, 340)


# The bands' limits as multiples of the removal target: a quarter, a half, the target, twice, seven times.
BAND_MULTIPLES: tuple[float, ...] = (0.25, 0.5, 1, 2, 7)
TARGET_BAND = BAND_MULTIPLES.index(1) + 1  # how many bands lie within the target


def _span(hours: float) -> tuple[float, str]:
    """A limit in days when it is whole days of at least one, else in hours."""
    return (hours / 24, "days") if hours >= 24 and hours % 24 == 0 else (hours, "hours")


def _band_name(lo: float, hi: float) -> str:
    if lo == 0:
        return f"Under {hi:g} hours"
    if math.isinf(hi):
        value, unit = _span(lo)
        return f"Over {value:g} {unit}"
    (low, low_unit), (high, high_unit) = _span(lo), _span(hi)
    if low_unit != high_unit:
        return f"{low:g} {low_unit} to {high:g} {high_unit.removesuffix('s') if high == 1 else high_unit}"
    return f"{low:g} to {high:g} {high_unit}"


def hour_band_limits(target_hours: float) -> tuple[tuple[str, float, float], ...]:
    """(name, lower, upper) of the time bands for a removal target of `target_hours` (24: under 6 hours, 6 to 12
    hours, 12 to 24 hours, 1 to 2 days, 2 to 7 days, over 7 days)."""
    limits = [0.0] + [target_hours * m for m in BAND_MULTIPLES] + [math.inf]
    return tuple((_band_name(lo, hi), lo, hi) for lo, hi in zip(limits, limits[1:]))


def hour_bands(hours: Iterable[float | None], target_hours: float) -> list[tuple[str, int, bool]]:
    """Counts in the bands of `hour_band_limits` (lower < h <= upper, the first band from 0): (band, count,
    within target)."""
    values = [float(h) for h in hours if not is_missing(h)]
    out = []
    for name, lo, hi in hour_band_limits(target_hours):
        n = sum(1 for h in values if (lo < h <= hi) or (lo == 0 and h == 0))
        out.append((name, n, hi <= target_hours))
    return out


def response_chart(response_hours: Sequence[float | None], visible_hours: Sequence[float | None],
                   still_visible: int, target_hours: float, *, chart_id: str) -> Chart | Block:
    """Time from report to removal and time visible online, in bands, against the target (horizontal bars, so
    the band names stay readable on a phone)."""
    import plotly.graph_objects as go

    if not [h for h in response_hours if not is_missing(h)] and not still_visible:
        return note("No material needed removing in this period.", "empty")
    resp = hour_bands(response_hours, target_hours)
    vis = hour_bands(visible_hours, target_hours)
    bands = [b for b, _, _ in resp] + ["Not yet removed"]
    over = [not ok for _, _, ok in resp] + [True]
    fig = go.Figure()
    for name, counts, colour in (
        ("Visible online (from posting)", [n for _, n, _ in vis] + [still_visible], LIGHT_BLUE),
        ("Report to removal", [n for _, n, _ in resp] + [still_visible], BLUE),
    ):
        fig.add_trace(go.Bar(
            name=name, y=bands, x=counts, orientation="h", marker_color=colour, marker_line_color=BLUE,
            marker_line_width=1, marker_pattern_shape=["/" if o else "" for o in over],
            text=[str(n) for n in counts], textposition="outside", cliponaxis=False,
            hovertemplate=f"{name}, %{{y}}: %{{x}}<extra></extra>",
        ))
    within = TARGET_BAND
    # The target line, named in the legend (an annotation would collide with bar labels on a phone).
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=f"{target_hours:g}-hour target",
                             line={"color": ORANGE, "width": 2, "dash": "dash"}, hoverinfo="skip"))
    _layout(fig, f"Removal against the {target_hours:g}-hour target", "Incidents", "Time taken", 480,
            legend=True)
    fig.update_layout(
        barmode="group", bargap=0.25,
        margin={"l": 10, "r": 30, "t": 110, "b": 50},
        title={"y": 0.97, "yanchor": "top"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(**_count_ticks(max([n for _, n, _ in resp] + [n for _, n, _ in vis] + [still_visible])))
    # the target falls between the last band within it and the first band over it
    fig.add_shape(type="line", xref="paper", yref="y", x0=0, x1=1, y0=within - 0.5, y1=within - 0.5,
                  line={"color": ORANGE, "width": 2, "dash": "dash"})
    return Chart(fig, chart_id, 460)


def coverage_chart(ind: Mapping[str, Any], target_pct: float, threshold: int, *, chart_id: str,
                   view: ReportView | None = None) -> Chart | Block:
    """Acknowledgement coverage by staff group against the target; groups withheld (`withheld_groups`) not drawn."""
    import plotly.graph_objects as go

    groups = value_at(ind, "acknowledgements.by_group") or {}
    withheld = withheld_groups(ind, threshold, view)
    keys = [g for g in staff_groups_in_order(groups)
            if g not in withheld and not is_missing(groups[g].get("coverage_pct"))]
    if not keys and withheld.small:
        return note("No staff group is large enough to draw on its own without identifying colleagues.", "empty")
    if not keys:
        return note("No staff on the roster for the current policy were in post at the end of the period.", "empty")
    keys = list(reversed(keys))  # plotly draws bottom-up: keep the table's order top-down
    pcts = [float(groups[g]["coverage_pct"]) for g in keys]
    below = [p < target_pct for p in pcts]
    fig = go.Figure(go.Bar(
        x=pcts, y=[label("staff_group", g) for g in keys], orientation="h",
        marker_color=[ORANGE if b else BLUE for b in below],
        marker_pattern_shape=["/" if b else "" for b in below],
        text=[f"{fmt_pct(p, target_pct)}{' ▲' if b else ''}" for p, b in zip(pcts, below)], textposition="auto",
        customdata=[[groups[g].get("acknowledged"), groups[g].get("active_staff"), fmt_pct(p, target_pct)]
                    for g, p in zip(keys, pcts)],
        hovertemplate="%{y}: %{customdata[2]} (%{customdata[0]} of %{customdata[1]})<extra></extra>",
    ))
    height = max(240, 100 + 40 * len(keys))
    _layout(fig, "Staff who have read the current policy", "Confirmed reading it (%)",
            "Staff group", height)
    fig.update_xaxes(range=[0, 105], ticksuffix="%")
    fig.add_shape(type="line", xref="x", yref="paper", x0=target_pct, x1=target_pct, y0=0, y1=1,
                  line={"color": "#222", "width": 2, "dash": "dash"})
    fig.add_annotation(x=target_pct, y=1.0, yref="paper", text=f"Target {target_pct:g}%", showarrow=False,
                       xanchor="right", yanchor="bottom", font={"size": 12})
    return Chart(fig, chart_id, height)


def term_chart(terms: Sequence[tuple[str, int]], previous_terms: Sequence[tuple[str, int]], year_label: str,
               previous_year_label: str, *, chart_id: str) -> Chart | Block:
    """Incidents per term this year against the same terms of the year before."""
    import plotly.graph_objects as go

    if not any(n for _, n in terms) and not any(n for _, n in previous_terms):
        return note("No incidents were reported in this year or the year before.", "empty")
    names = [n for n, _ in terms]
    fig = go.Figure()
    fig.add_trace(go.Bar(name=f"{previous_year_label}", x=names, y=[n for _, n in previous_terms],
                         marker_color=LIGHT_BLUE, marker_line_color=BLUE, marker_line_width=1,
                         marker_pattern_shape="/", text=[str(n) for _, n in previous_terms], textposition="outside",
                         hovertemplate=f"{previous_year_label}, %{{x}}: %{{y}}<extra></extra>"))
    fig.add_trace(go.Bar(name=f"{year_label}", x=names, y=[n for _, n in terms], marker_color=BLUE,
                         text=[str(n) for _, n in terms], textposition="outside",
                         hovertemplate=f"{year_label}, %{{x}}: %{{y}}<extra></extra>"))
    _layout(fig, "Incidents per term, this year and last", "Term", "Incidents reported", 380, legend=True)
    fig.update_layout(barmode="group", margin={"l": 10, "r": 20, "t": 90, "b": 50},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
    fig.update_yaxes(**_count_ticks(max([n for _, n in terms] + [n for _, n in previous_terms])))
    return Chart(fig, chart_id, 380)
