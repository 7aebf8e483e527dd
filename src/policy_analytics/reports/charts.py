"""The governor reports' charts (plotly): each returns a `Chart`, or a note when there is nothing to draw.

Charts carry no plotly.js of their own: `plotly_js` embeds it once per report, so every chart draws
with no network. Every chart has a title and labelled axes, and a status is never shown by colour alone.
Every chart also says in words what it shows (its text alternative, with numbers) and carries its figures
as a table in a disclosure that works without scripts; screen readers get those, not the drawing.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from policy_analytics.reports import chart_text
from policy_analytics.reports.formats import fmt_month, fmt_pct, is_missing, label, staff_groups_in_order, value_at
from policy_analytics.reports.markup import (
    BLUE, FONT, HATCH_DARK, HATCH_LIGHT, LIGHT_BLUE, ORANGE, TEXT, Block, note, plain_table,
)
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
    """A plotly chart for a report, with its text alternative (`alt`) and its figures as a table: HTML with no
    plotly.js of its own (`plotly_js` loads it once), plus plotly's own JSON so JupyterLab can draw it in the
    executed notebook."""

    def __init__(self, figure: Any, chart_id: str, height: int = 380, *, title: str, finding: str,
                 columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.figure = figure
        self.chart_id = chart_id
        self.height = height
        self.title = title
        self.finding = finding
        self.columns = list(columns)
        self.rows = [list(r) for r in rows]

    @property
    def alt(self) -> str:
        """The text alternative: the title and the main finding (also the printed figure's /Alt)."""
        return f"{self.title}. {self.finding}"

    def to_html(self) -> str:
        """The chart as an HTML figure that draws with the plotly.js `plotly_js` embeds: the drawing is an image
        named by the text alternative (its layers hidden from screen readers); below it the finding in words and
        the figures as a table."""
        inner = self.figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=self.chart_id,
            config=PLOTLY_CONFIG,
            default_width="100%",
            default_height=f"{self.height}px",
        )
        # a <div>, not a <figure>: the printed PDF then tags one /Figure per chart, the image with its /Alt
        return (
            f'<div class="report-chart" data-chart="{html.escape(self.chart_id)}">'
            f'<div class="report-chart-image" role="img" aria-label="{html.escape(self.alt)}">'
            f'<div aria-hidden="true">{inner}</div></div>'
            f'<p class="report-chart-finding">{html.escape(self.finding)}</p>'
            '<details class="report-chart-data"><summary>The figures in this chart, as a table</summary>'
            f"{plain_table(self.title, self.columns, self.rows)}</details></div>"
        )

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


def _template() -> Any:
    """plotly's simple_white, but shapes (target lines) at full strength: its 30% opacity left them at 1.6:1."""
    import plotly.graph_objects as go
    import plotly.io as pio

    template = go.layout.Template(pio.templates["simple_white"])
    template.layout.shapedefaults.opacity = 1
    return template


def _hatch(shapes: str | Sequence[str], colour: str) -> dict[str, Any]:
    """Hatching drawn over a solid bar in stripes that stand out from it (plotly's default replaces the bar's
    fill with see-through stripes, under which a label could not be read)."""
    stripes = HATCH_DARK if colour == LIGHT_BLUE else HATCH_LIGHT
    return {"shape": shapes, "fillmode": "overlay", "fgcolor": stripes, "fgopacity": 1, "solidity": 0.3}


OUTSIDE_LABELS = {"textposition": "outside", "textfont": {"color": TEXT}, "cliponaxis": False}  # on white, not on a bar


def _layout(fig: Any, title: str, x_title: str, y_title: str, height: int, *, legend: bool = False) -> Any:
    fig.update_layout(
        title={"text": _wrap(title, TITLE_CHARS), "x": 0, "xanchor": "left", "font": {"size": 16}},
        xaxis_title=x_title,
        yaxis_title=y_title,
        template=_template(),
        font={"family": FONT, "size": 13, "color": TEXT},
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
    """Axis settings for whole counts: ticks at whole numbers (never 0, 0.5, 1 shown as 0, 1, 1), and room past
    the longest bar for its label (plotly leaves none for labels outside the bars)."""
    room = {"range": [0, max(largest, 1) * 1.2], "rangemode": "tozero"}
    if largest <= 10:
        return {"tickformat": "d", "tick0": 0, "dtick": 1, **room}
    if largest <= 20:
        return {"tickformat": "d", "tick0": 0, "dtick": 2, **room}
    return {"tickformat": "d", **room}


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

    ranked = sorted(((label(domain, k) if domain else str(k), int(v)) for k, v in (counts or {}).items() if v),
                    key=lambda nv: (-nv[1], nv[0]))  # largest first, ties in name order
    if not ranked:
        return note(empty_text, "empty")
    items = ranked[::-1]  # plotly draws bottom-up
    names = [n for n, _ in items]
    fig = go.Figure(go.Bar(
        x=[v for _, v in items], y=[_wrap(n) for n in names], orientation="h", marker_color=BLUE,
        text=[str(v) for _, v in items], customdata=names, **OUTSIDE_LABELS,
        hovertemplate="%{customdata}: %{x}<extra></extra>",
    ))
    height = max(220, 90 + 34 * len(items) + 14 * sum(n.count("<br>") for n in map(_wrap, names)))
    _layout(fig, title, value_title, category_title, height)
    fig.update_xaxes(**_count_ticks(max(v for _, v in items)))
    return Chart(fig, chart_id, height, title=title, finding=chart_text.ranking_finding(ranked, "incident"),
                 columns=[category_title, value_title], rows=[(n, str(v)) for n, v in ranked])


def month_chart(months: Sequence[tuple[date, int]], *, chart_id: str, title: str = "Incidents reported by month",
                empty_text: str = "No incidents were reported in this period.") -> Chart | Block:
    """Incidents by month of report (every month of the period, zeros included)."""
    import plotly.graph_objects as go

    if not months or not any(n for _, n in months):
        return note(empty_text, "empty")
    named = [(fmt_month(m), n) for m, n in months]
    fig = go.Figure(go.Bar(
        x=[m for m, _ in named], y=[n for _, n in named], marker_color=BLUE,
        text=[str(n) for _, n in named], **OUTSIDE_LABELS,
        hovertemplate="%{x}: %{y} incidents<extra></extra>",
    ))
    _layout(fig, title, "Month reported", "Incidents reported", 340)
    fig.update_yaxes(**_count_ticks(max(n for _, n in months)))
    fig.update_xaxes(type="category")
    return Chart(fig, chart_id, 340, title=title, finding=chart_text.month_finding(named),
                 columns=["Month reported", "Incidents reported"], rows=[(m, str(n)) for m, n in named])


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
    series = (
        ("Visible online (from posting)", [n for _, n, _ in vis] + [still_visible], LIGHT_BLUE),
        ("Report to removal", [n for _, n, _ in resp] + [still_visible], BLUE),
    )
    for name, counts, colour in series:
        fig.add_trace(go.Bar(
            name=name, y=bands, x=counts, orientation="h", marker_color=colour, marker_line_color=BLUE,
            marker_line_width=1, marker_pattern=_hatch(["/" if o else "" for o in over], colour),
            text=[str(n) for n in counts], **OUTSIDE_LABELS,
            hovertemplate=f"{name}, %{{y}}: %{{x}}<extra></extra>",
        ))
    within = TARGET_BAND
    # The target line, named in the legend (an annotation would collide with bar labels on a phone).
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=f"{target_hours:g}-hour target",
                             line={"color": ORANGE, "width": 2, "dash": "dash"}, hoverinfo="skip"))
    title = f"Removal against the {target_hours:g}-hour target"
    _layout(fig, title, "Incidents", "Time taken", 480, legend=True)
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
    finding = chart_text.response_finding([(n, ok) for _, n, ok in resp], [(n, ok) for _, n, ok in vis],
                                          still_visible, target_hours)
    rows = [(band, str(r), str(v), chart_text.OVER if o else chart_text.WITHIN)
            for band, r, v, o in zip(bands, series[1][1], series[0][1], over)]
    return Chart(fig, chart_id, 460, title=title, finding=finding,
                 columns=["Time taken", series[1][0], series[0][0], "Against the target"], rows=rows)


LABEL_COLUMN_PCT = 102  # where the coverage chart's figures start


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
    names = [label("staff_group", g) for g in keys]
    fig = go.Figure(go.Bar(
        x=pcts, y=names, orientation="h",
        marker_color=[ORANGE if b else BLUE for b in below],
        marker_pattern=_hatch(["/" if b else "" for b in below], ORANGE),
        customdata=[[groups[g].get("acknowledged"), groups[g].get("active_staff"), fmt_pct(p, target_pct)]
                    for g, p in zip(keys, pcts)],
        hovertemplate="%{y}: %{customdata[2]} (%{customdata[0]} of %{customdata[1]})<extra></extra>",
    ))
    # the figures in a column of their own past 100%, on white, clear of the target line and the hatching
    fig.add_trace(go.Scatter(
        x=[LABEL_COLUMN_PCT] * len(pcts), y=names, mode="text",
        text=[f"{fmt_pct(p, target_pct)}{' ▲' if b else ''}" for p, b in zip(pcts, below)],
        textposition="middle right", textfont={"color": TEXT}, cliponaxis=False, hoverinfo="skip", showlegend=False,
    ))
    height = max(240, 100 + 40 * len(keys))
    title = "Staff who have read the current policy"
    _layout(fig, title, "Confirmed reading it (%)", "Staff group", height)
    fig.update_xaxes(range=[0, 140], tickvals=[0, 25, 50, 75, 100], ticksuffix="%")
    fig.add_shape(type="line", xref="x", yref="paper", x0=target_pct, x1=target_pct, y0=0, y1=1,
                  line={"color": "#222", "width": 2, "dash": "dash"})
    fig.add_annotation(x=target_pct, y=1.0, yref="paper", text=f"Target {target_pct:g}%", showarrow=False,
                       xanchor="right", yanchor="bottom", font={"size": 12})
    shown = [(label("staff_group", g), p) for g, p in zip(keys, pcts)][::-1]  # top-down, as drawn
    return Chart(fig, chart_id, height, title=title, finding=chart_text.coverage_finding(shown, target_pct),
                 columns=["Staff group", "Confirmed reading it (%)", "Against the target"],
                 rows=[(g, fmt_pct(p, target_pct), chart_text.BELOW if p < target_pct else chart_text.MEETS)
                       for g, p in shown])


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
                         marker_pattern=_hatch("/", LIGHT_BLUE), text=[str(n) for _, n in previous_terms],
                         **OUTSIDE_LABELS, hovertemplate=f"{previous_year_label}, %{{x}}: %{{y}}<extra></extra>"))
    fig.add_trace(go.Bar(name=f"{year_label}", x=names, y=[n for _, n in terms], marker_color=BLUE,
                         text=[str(n) for _, n in terms], **OUTSIDE_LABELS,
                         hovertemplate=f"{year_label}, %{{x}}: %{{y}}<extra></extra>"))
    title = "Incidents per term, this year and last"
    _layout(fig, title, "Term", "Incidents reported", 380, legend=True)
    fig.update_layout(barmode="group", margin={"l": 10, "r": 20, "t": 90, "b": 50},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
    fig.update_yaxes(**_count_ticks(max([n for _, n in terms] + [n for _, n in previous_terms])))
    finding = chart_text.years_finding([(year_label, terms), (previous_year_label, previous_terms)])
    return Chart(fig, chart_id, 380, title=title, finding=finding, columns=["Term", year_label, previous_year_label],
                 rows=[(t, str(n), str(p)) for (t, n), (_, p) in zip(terms, previous_terms)])
