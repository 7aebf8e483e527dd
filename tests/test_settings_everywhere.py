"""A trust with its own term dates and a 48-hour removal target: every report, the CLI and the terms honour both.

The fixture exports are the report tests' own (tests/test_render.py). The trust's terms leave holidays between
them: 1 Dec 2025 (autumn incident ZQINC-A005) falls after its autumn term ends on 28 Nov, and 10 Jun 2025
(ZQINC-B003) after its 2024-25 summer term ends on 6 Jun. Counted by hand from the fixture, 2025-26 holds 8
incidents: 7 from 1 Sep 2025 to 4 Jan 2026 (the day before spring starts) and 1 in spring; 2024-25 holds 2, both
in its summer term (from 22 Apr 2025, to 31 Aug).
"""

from __future__ import annotations

import contextlib
import io
import json
import re

import pytest

from policy_analytics import cli
from policy_analytics.reports import render as reports
from test_render import Rendered, fixture_warehouse

OWN_SETTINGS = """
[organisation]
name = "Fixture Academy Trust"
schools = ["Alder School", "Birch School"]

[targets]
removal_hours = 48

[terms]
"2024-25-summer" = [2025-04-22, 2025-06-06]
"2025-26-autumn" = [2025-09-03, 2025-11-28]
"2025-26-spring" = [2026-01-05, 2026-03-27]
"2025-26-summer" = [2026-04-13, 2026-07-22]
"""

# What would betray the shipped 24-hour target: "24-hour", "24 hours", "(24)", "12 to 24 hours".
TWENTY_FOUR = re.compile(r"\b24[- ]hours?\b|\(24\)|\bto 24\b|\b24h\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def trust(tmp_path_factory):
    return fixture_warehouse(tmp_path_factory.mktemp("trust"), OWN_SETTINGS)


@pytest.fixture(scope="module")
def rendered(trust) -> dict[str, Rendered]:
    out = trust["base"] / "out"
    return {
        "termly": Rendered(reports.render_report("termly", "2025-26-autumn", None, trust["db"], trust["config"], out)),
        "annual": Rendered(reports.render_report("annual", "2025-26", None, trust["db"], trust["config"], out)),
    }


def _cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(list(args)) == 0
    return out.getvalue()


def test_no_report_says_24_hours(rendered):
    for name, report in rendered.items():
        assert not TWENTY_FOUR.findall(report.text), name
        assert "48-hour removal target" in report.text, name
        charts = json.dumps(report.charts())  # chart titles, band names and legends too (not plotly.js itself)
        assert "48-hour target" in charts and not TWENTY_FOUR.findall(charts), name


def test_the_cli_does_not_say_24_hours(trust):
    text = _cli("indicators", "--term", "2025-26-autumn", *trust["cli"])
    assert "48-hour removal target" in text
    assert not TWENTY_FOUR.findall(text)


def test_the_terms_add_up_to_the_year_in_the_annual_report(rendered):
    terms = rendered["annual"].rows("terms")
    counts = [int(terms[name][0]) for name in ("Autumn", "Spring", "Summer")]
    assert counts == [7, 1, 0]
    assert sum(counts) == int(terms["Year 2025-26"][0]) == 8
    assert terms["Year before (2024-25)"][0] == "2"
    assert terms["Autumn"][-2:] == ["1 Sep 2025 to 4 Jan 2026", "3 Sep 2025 to 28 Nov 2025"]
    assert terms["Summer"][-2:] == ["13 Apr 2026 to 31 Aug 2026", "13 Apr 2026 to 22 Jul 2026"]


def test_the_termly_report_states_the_dates_counted_and_the_schools_own(rendered):
    text = rendered["termly"].text
    assert "Autumn term 2025-26 (1 Sep 2025 to 4 Jan 2026; the school's term dates 3 Sep 2025 to 28 Nov 2025)" in text


def test_the_cli_terms_add_up_to_the_year(trust):
    def total(*period: str) -> int:
        return json.loads(_cli("indicators", *period, "--json", *trust["cli"]))["incidents"]["total"]

    terms = [total("--term", f"2025-26-{name}") for name in ("autumn", "spring", "summer")]
    assert terms == [7, 1, 0] and sum(terms) == total("--year", "2025-26")


def test_the_analysts_notebook_does_not_say_24_hours(trust, tmp_path):
    import papermill as pm

    from test_render import REPO

    with reports._kernel_manager_class() as manager:
        done = pm.execute_notebook(str(REPO / "notebooks" / "explore.ipynb"), str(tmp_path / "explore.ipynb"),
                                   parameters={"warehouse": trust["db"], "settings_path": trust["config"],
                                               "term": "2025-26-autumn"},
                                   kernel_name="python3", progress_bar=False, kernel_manager_class=manager,
                                   cwd=str(tmp_path), execution_timeout=120)
    outputs = [o for c in done.cells if c.cell_type == "code" for o in c.outputs]
    shown = json.dumps([o.get("text", "") for o in outputs] + [
        {k: v for k, v in o.get("data", {}).items() if k in ("text/plain", "application/vnd.plotly.v1+json")}
        for o in outputs])
    assert "48-hour target" in shown
    assert not TWENTY_FOUR.findall(shown)
