"""The governor reports against WCAG 2.2 AA: axe-core in the real headless Chromium over every report kind at a
phone's width, at 200% zoom and on a desktop, and the checks axe cannot make: each chart has a text
alternative stating its finding and a table of its figures, graphics and labels have enough contrast, and the
printed PDF tags each chart as one figure with /Alt.

Each report kind is rendered once (module fixtures) and its HTML reused. axe-core comes from npm
(tests/a11y, `make test` runs `npm ci` there); the browser is the system Chromium driven by Playwright.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from policy_analytics.reports import chart_text, charts
from policy_analytics.reports import render as reports
from policy_analytics.reports.formats import label
from test_render import EMPTY_TERM, TERM, YEAR, Rendered, env  # noqa: F401  (env is a fixture)
from test_tables import rows_of

AXE = Path(__file__).parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
WIDTHS = (390, 640, 1280)  # axe at: a phone; a 1280 px screen at 200% zoom; a desktop
REFLOW_WIDTH = 320  # and, for scrolling only, WCAG's reflow width (a 1280 px screen at 400% zoom)
REQUIRED = os.environ.get("POLICY_ANALYTICS_A11Y_REQUIRED") == "1"  # set by `make test`: fail, do not skip


def missing(reason: str) -> None:
    """Skip a browser check that cannot run here, or fail under `make test` (CI), where it must run."""
    (pytest.fail if REQUIRED else pytest.skip)(reason)


# --- the reports, rendered once ---------------------------------------------------------------------

KINDS = {
    "termly-organisation": ("termly", TERM, None),
    "annual-organisation": ("annual", YEAR, None),
    "termly-school": ("termly", TERM, "Birch School"),
    "annual-school": ("annual", YEAR, "Alder School"),
    "termly-no-incidents": ("termly", EMPTY_TERM, None),
}


@pytest.fixture(scope="module")
def rendered(env) -> dict[str, Rendered]:  # noqa: F811
    """Every report kind, rendered once."""
    out = env["base"] / "a11y"
    return {name: Rendered(reports.render_report(kind, period, school, env["db"], env["config"], out))
            for name, (kind, period, school) in KINDS.items()}


def chart_blocks(report: Rendered) -> dict[str, BeautifulSoup]:
    """Each chart's block in the page, by its plotly div's id."""
    return {cid: report.soup.find(id=cid).find_parent(class_="report-chart") for cid in report.charts()}


def chart_layouts(report: Rendered) -> dict[str, dict]:
    """Each chart's plotly layout, read back from the Plotly.newPlot call in the HTML (after its traces)."""
    found, decoder = {}, json.JSONDecoder()
    for match in re.finditer(r'Plotly\.newPlot\(\s*"([^"]+)",\s*', report.html):
        _, end = decoder.raw_decode(report.html, match.end())
        found[match.group(1)] = decoder.raw_decode(report.html, report.html.index("{", end))[0]
    return found


# --- the charts' words and tables ---------------------------------------------------------------------


def test_findings_name_the_largest_with_ties_and_the_next_two():
    items = [("Bullying", 5), ("Threats", 5), ("Copyright", 2), ("Sexting", 1), ("Other", 1)]
    assert chart_text.ranking_finding(items, "incident") == (
        "14 incidents in all. The most: Bullying and Threats (5 each), then Copyright (2) and Sexting (1).")
    assert chart_text.ranking_finding([("Facebook", 1)], "incident") == "1 incident in all: Facebook (1)."
    assert chart_text.ranking_finding([("Alder", 3), ("Birch", 1)], "incident") == (
        "4 incidents in all. The most: Alder (3), then Birch (1).")


def test_findings_for_months_removal_coverage_and_years():
    assert chart_text.month_finding([("Sep 2025", 2), ("Oct 2025", 0), ("Nov 2025", 2), ("Dec 2025", 1)]) == (
        "5 incidents over 4 months, Sep 2025 to Dec 2025. The most in Sep 2025 and Nov 2025 (2), "
        "the fewest in Oct 2025 (0).")
    assert chart_text.month_finding([("Sep 2025", 2), ("Oct 2025", 2)]) == (
        "4 incidents over 2 months, Sep 2025 to Oct 2025. 2 in each month.")
    # removal: 2 + 1 within the target, 1 over it, 1 still up; visible: 1 within, 2 over, plus the one still up
    assert chart_text.response_finding([(2, True), (1, True), (1, False)], [(1, True), (0, True), (2, False)], 1, 24) == (
        "Of 4 removals, 3 within the 24-hour target and 1 over it; 1 not yet removed. "
        "Visible online for longer than 24 hours in all: 3 of 4.")
    assert chart_text.month_finding([("Sep 2025", 1)]) == "1 incident in Sep 2025."
    assert chart_text.response_finding([(0, True), (0, False)], [(0, True), (0, False)], 2, 48) == (
        "None removed yet: 2 incidents not yet removed. Visible online for longer than 48 hours in all: 2 of 2.")
    assert chart_text.response_finding([(1, True)], [], 0, 24) == "Of 1 removal, 1 within the 24-hour target and 0 over it."
    assert chart_text.coverage_finding([("Teaching staff", 250 / 3), ("Support staff", 100.0)], 95) == (
        "Against the 95% target: Teaching staff 83.3% (below it) and Support staff 100% (meets it).")
    assert chart_text.years_finding([("2025-26", [("Autumn", 3), ("Spring", 0)]), ("2024-25", [("Autumn", 1), ("Spring", 1)])]) == (
        "2025-26: 3 incidents (Autumn 3, Spring 0). 2024-25: 2 incidents (Autumn 1, Spring 1).")


def test_a_chart_is_one_named_image_with_its_finding_and_its_figures_in_a_disclosure():
    chart = charts.bar_chart({'Forum "Q" <b>': 2, "Facebook": 3}, domain=None, title="Incidents by platform",
                             value_title="Incidents reported", category_title="Where it was found", chart_id="c1",
                             empty_text="none")
    page = BeautifulSoup(chart.to_html(), "html.parser")
    image = page.select_one('.report-chart-image[role="img"]')
    assert image["aria-label"] == ('Incidents by platform. 5 incidents in all. The most: Facebook (3), '
                                   'then Forum "Q" <b> (2).')  # escaped in the page, read back whole
    assert image.select_one('[aria-hidden="true"] #c1'), "the drawing's layers are hidden from screen readers"
    assert page.select_one(".report-chart-finding").get_text() == chart.finding
    table = page.select_one("details > table")
    assert page.select_one("details > summary").get_text(strip=True)
    assert table.caption.get_text() == "Incidents by platform"
    assert [th.get_text() for th in table.select("thead th[scope=col]")] == ["Where it was found", "Incidents reported"]
    assert rows_of(table) == {"Facebook": ["3"], 'Forum "Q" <b>': ["2"]}
    assert all(th["scope"] == "row" for th in table.select("tbody th"))
    assert "<b>" not in chart.to_html().split("<script")[0], "names are escaped"


def chart_values(traces: list[dict]) -> list[tuple[str, str]]:
    """(category, shown figure) for every bar a chart draws, read from its plotly traces."""
    pairs = []
    for trace in traces:
        if trace.get("type") != "bar":
            continue
        across = trace.get("orientation") == "h"
        values = trace["x"] if across else trace["y"]
        names = trace.get("customdata") if isinstance((trace.get("customdata") or [None])[0], str) else None
        names = names or [str(n).replace("<br>", " ") for n in (trace["y"] if across else trace["x"])]
        pairs += [(n, v) for n, v in zip(names, values)]
    return pairs


def shows(cells: list[str], value: int | float) -> bool:
    """Whether a table row shows a figure: a count as drawn, a share to within its rounding."""
    if isinstance(value, int):
        return str(value) in cells
    return any(c.endswith("%") and abs(float(c[:-1]) - value) <= 0.05 for c in cells)


def test_every_chart_has_a_text_alternative_and_a_table_of_what_it_draws(rendered):
    seen = 0
    for name, report in rendered.items():
        for cid, traces in report.charts().items():
            block = chart_blocks(report)[cid]
            assert block is not None, f"{name}: chart {cid} is not in a chart block"
            image = block.select_one('[role="img"][aria-label]')
            assert image is not None and image.select_one(f'[aria-hidden="true"] #{cid}'), f"{name}: {cid}"
            alt = image["aria-label"]
            finding = block.select_one(".report-chart-finding").get_text()
            title = alt[: -len(finding) - 2]
            assert alt == f"{title}. {finding}" and re.search(r"\d", finding), f"{name}: {cid}: {alt}"
            assert 0 < len(title.split()) <= 10, f"{name}: {cid}: a title of ten words or fewer: {title}"
            table = block.select_one("details > table")
            assert table is not None and table.caption.get_text(strip=True) == title
            rows = rows_of(table)
            for category, figure in chart_values(traces):
                assert shows(rows[category], figure), f"{name}: {cid}: {category} {figure} not in its table {rows}"
            seen += 1
    assert seen >= 13  # 6 termly charts, 7 annual, and the school and empty reports' own


def test_the_charts_findings_match_the_fixture(rendered):
    """Worked by hand from test_render's INCIDENTS: autumn 2025 has 2, 2, 2 and 1 incidents from September to
    December, 5 at Alder School and 2 at Birch School."""
    blocks = chart_blocks(rendered["termly-organisation"])
    finding = {cid: b.select_one(".report-chart-finding").get_text() for cid, b in blocks.items()}
    assert finding["chart-month"] == ("7 incidents over 4 months, Sep 2025 to Dec 2025. The most in Sep 2025, "
                                      "Oct 2025 and Nov 2025 (2), the fewest in Dec 2025 (1).")
    assert finding["chart-school"] == "7 incidents in all. The most: Alder School (5), then Birch School (2)."
    assert rows_of(blocks["chart-month"].table) == {
        "Sep 2025": ["2"], "Oct 2025": ["2"], "Nov 2025": ["2"], "Dec 2025": ["1"]}
    bullying = label("category", "bullying")
    assert rows_of(blocks["chart-category"].table)[bullying] == ["2"]  # Alder's and Birch's


def test_tables_have_captions_named_corners_and_focusable_scroll_boxes(rendered):
    for name, report in rendered.items():
        tables = report.soup.select(".report-table table")
        assert tables, name
        for table in tables:
            assert table.caption and table.caption.get_text(strip=True), f"{name}: {table.parent.get('id')}"
            for th in table.find_all("th"):
                assert th.get_text(strip=True), f"{name}: an empty header cell in {table.parent.get('id')}"
        for box in report.soup.select(".report-table-wide"):
            assert box.get("role") == "region" and box.get("tabindex") == "0"
            assert box.get("aria-label") == box.table.caption.get_text()
    corner = rendered["termly-organisation"].soup.select_one("#headline thead th")
    assert corner.get_text(strip=True) == "Measure" and corner.select_one(".report-visually-hidden")


def test_the_policy_check_table_has_a_caption_and_scrolls_in_a_named_box():
    from types import SimpleNamespace

    from policy_analytics.reports.annual import policy_table

    finding = SimpleNamespace(kind="renamed", section="4.2", detail="Use the act's current name.", source="")
    page = BeautifulSoup(policy_table(SimpleNamespace(findings=[finding])).html, "html.parser")
    box = page.select_one(".report-table-wide")
    assert box["role"] == "region" and box["tabindex"] == "0"
    assert box["aria-label"] == box.table.caption.get_text() != ""


# --- contrast of the charts' graphics and labels -----------------------------------------------------------


def rgb(colour: str) -> tuple[float, float, float]:
    """'#1f5f8b', '#222', 'white' or 'black' as 0-255 channels."""
    colour = {"white": "#ffffff", "black": "#000000"}.get(colour, colour)
    m = re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", colour)
    assert m, f"a colour this test cannot read: {colour}"
    h = m.group(1) if len(m.group(1)) == 6 else "".join(c * 2 for c in m.group(1))
    return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))


def over(colour: str, opacity: float, background: str = "#ffffff") -> str:
    """A colour drawn at `opacity` over `background`."""
    mixed = [round(f * opacity + b * (1 - opacity)) for f, b in zip(rgb(colour), rgb(background))]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio."""
    def luminance(c: str) -> float:
        ch = [v / 255 for v in rgb(c)]
        ch = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in ch]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_contrast_helpers_on_known_pairs():
    assert contrast("#000", "#fff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the well-known 4.5:1 grey
    assert contrast(over("#c2410c", 0.3), "#fff") == pytest.approx(1.57, abs=0.02)  # the target line


def each_list(value, n: int) -> list:
    return list(value) if isinstance(value, list) else [value] * n


def test_graphics_have_3_to_1_and_labels_4_5_to_1(rendered):
    checked = 0
    for name, report in rendered.items():
        for cid, traces in report.charts().items():
            layout = chart_layouts(report)[cid]
            shape_opacity = layout.get("template", {}).get("layout", {}).get("shapedefaults", {}).get("opacity", 1)
            for shape in layout.get("shapes", []):
                line = over(shape["line"]["color"], shape.get("opacity", shape_opacity))
                assert contrast(line, "#ffffff") >= 3, f"{name}: {cid}: a line at {contrast(line, '#ffffff'):.2f}:1"
                checked += 1
            for trace in traces:
                where = f"{name}: {cid}: {trace.get('name')}"
                if trace.get("text") is not None and trace.get("textposition") != "none":
                    assert trace.get("textposition") in ("outside", "middle right"), f"{where}: labels on the bars"
                    assert contrast(trace["textfont"]["color"], "#ffffff") >= 4.5, where
                if trace.get("type") == "scatter" and "line" in trace:
                    assert contrast(trace["line"]["color"], "#ffffff") >= 3, where
                if trace.get("type") != "bar":
                    continue
                marker = trace.get("marker", {})
                n = len(trace["x"])
                edges = each_list(marker.get("line", {}).get("color"), n) if marker.get("line", {}).get("width") else [None] * n
                pattern = marker.get("pattern", {})
                shapes = each_list(pattern.get("shape", ""), n)
                for fill, edge, hatch in zip(each_list(marker["color"], n), edges, shapes):
                    outline = max(contrast(fill, "#ffffff"), contrast(edge, "#ffffff") if edge else 0)
                    assert outline >= 3, f"{where}: a bar at {outline:.2f}:1 against the page"
                    if hatch:
                        assert pattern.get("fillmode") == "overlay" and pattern.get("fgopacity", 0.5) == 1, where
                        assert contrast(pattern["fgcolor"], fill) >= 3, f"{where}: hatching on {fill}"
                    checked += 1
    assert checked > 50


# --- in the browser: axe, and no sideways scrolling that a keyboard cannot reach ----------------------------

SCROLL_PROBE = """() => {
  const boxes = [...document.querySelectorAll('*')].filter(e => {
    const s = getComputedStyle(e);
    return ['auto', 'scroll'].includes(s.overflowX) && e.scrollWidth > e.clientWidth + 1;
  });
  return {
    page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    unnamed: boxes.filter(e => !(e.tabIndex === 0 && e.getAttribute('role') === 'region' && e.getAttribute('aria-label')))
                  .map(e => e.id || e.className),
  };
}"""
AXE_RUN = """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
  .then(r => r.violations.map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(' ')).join(', ')}`))"""


@pytest.fixture(scope="module")
def browser():
    """The system Chromium, headless, driven by Playwright (no browser download)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed (pip install -e '.[dev]')")
    chromium = reports.find_chromium()
    if chromium is None:
        missing("no chromium on PATH (CI installs Debian's chromium)")
    if not AXE.is_file():
        missing(f"axe-core is not installed: run `make test`, or `npm ci` in {AXE.parents[2]}")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu",
                                                                     "--disable-dev-shm-usage"])
        yield launched
        launched.close()


def audit(browser, path: Path, widths=WIDTHS) -> dict[int, dict]:
    """axe's violations and the sideways-scrolling probe at each width, and the probe alone at REFLOW_WIDTH,
    the page loaded once."""
    page = browser.new_page(viewport={"width": widths[0], "height": 900})
    try:
        page.goto(path.resolve().as_uri(), wait_until="load")
        page.add_script_tag(path=str(AXE))
        found = {}
        for width in widths:
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(300)  # plotly redraws the charts at the new width
            found[width] = {"axe": page.evaluate(AXE_RUN, AXE_TAGS), **page.evaluate(SCROLL_PROBE)}
        page.set_viewport_size({"width": REFLOW_WIDTH, "height": 900})
        page.wait_for_timeout(300)
        found[REFLOW_WIDTH] = {"axe": [], **page.evaluate(SCROLL_PROBE)}
        return found
    finally:
        page.close()


def test_axe_notices_what_it_should(browser, tmp_path):
    """The check below would see violations: prove it on a page with two."""
    probe = tmp_path / "probe.html"
    probe.write_text('<!doctype html><html lang="en"><head><title>Probe</title></head><body><main><h1>Probe</h1>'
                     '<img src="data:,"><div style="overflow-x:auto;width:80px"><table><tr><td>' + "wide" * 40 +
                     '</td></tr></table></div>'
                     "</main></body></html>", "utf-8")
    found = audit(browser, probe, widths=(390,))[390]
    assert {v.split(" ")[0] for v in found["axe"]} >= {"image-alt", "scrollable-region-focusable"}
    assert found["unnamed"]


@pytest.mark.parametrize("name", list(KINDS))
def test_axe_finds_no_violations_and_nothing_scrolls_out_of_reach(browser, rendered, name):
    for width, found in audit(browser, rendered[name].files.html).items():
        assert found["axe"] == [], f"{name} at {width} px: {found['axe']}"
        assert found["page"] <= 0, f"{name} at {width} px: the page scrolls sideways by {found['page']} px"
        assert found["unnamed"] == [], f"{name} at {width} px: boxes that scroll sideways out of keyboard reach"


# --- the printed PDF --------------------------------------------------------------------------------------


def structure(pdf: Path) -> list[tuple[str, str | None]]:
    """The PDF's tagged structure in reading order: (type, /Alt)."""
    from pypdf import PdfReader

    out = []

    def walk(node) -> None:
        kind = node.get("/S")
        if kind is not None:
            alt = node.get("/Alt")
            out.append((str(kind), None if alt is None else str(alt)))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(kid, dict):
                walk(kid)

    walk(PdfReader(str(pdf)).trailer["/Root"]["/StructTreeRoot"])
    return out


def test_the_printed_pdf_tags_each_chart_as_one_figure_with_its_text_alternative(rendered, tmp_path):
    if reports.find_chromium() is None:
        missing("no chromium on PATH (CI installs Debian's chromium)")
    report = rendered["termly-organisation"]
    pdf = reports.print_pdf(report.files.html, tmp_path / "termly.pdf")
    tags = structure(pdf)
    figures = [alt for kind, alt in tags if kind == "/Figure"]
    alts = [b.select_one('[role="img"]')["aria-label"] for b in chart_blocks(report).values()]
    # 5 charts: type, platform, month, school and removal time; the year's publication plan withholds every staff
    # group of this fixture (see test_render's coverage comment), so the coverage chart is not drawn
    assert len(alts) == 5 and figures == alts, "one figure per chart, in the page's order, each with its /Alt"
    for level in ("h1", "h2", "h3", "h4"):
        assert sum(k == f"/{level.upper()}" for k, _ in tags) == len(report.soup.find_all(level)), level
    assert sum(k == "/Table" for k, _ in tags) == len(report.soup.select(".report-table table"))
