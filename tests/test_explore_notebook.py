"""The analysts' notebook as shipped: `jupyter nbconvert --execute` after the demo, with nothing set by hand,
and its saved charts drawn offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

import policy_analytics as pa
from policy_analytics.synthetic import generate_demo_exports, write_demo_settings
from test_render import CHROMIUM, run_offline_chromium

REPO = Path(__file__).resolve().parents[1]
JUPYTER = Path(sys.executable).with_name("jupyter")


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> tuple[Path, nbformat.NotebookNode]:
    """A project folder after the demo (its exports loaded into data/demo/demo.duckdb), and the shipped notebook
    executed there by `jupyter nbconvert --execute notebooks/explore.ipynb` with no environment variables set."""
    project = tmp_path_factory.mktemp("project")
    demo = project / "data" / "demo"
    files = generate_demo_exports(demo)
    wh = pa.connect(db=demo / "demo.duckdb", config=write_demo_settings(demo))
    wh.load([p for group in files.values() for p in group])
    (project / "notebooks").mkdir()
    shutil.copy(REPO / "notebooks" / "explore.ipynb", project / "notebooks" / "explore.ipynb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICY_ANALYTICS_")}
    done = subprocess.run([str(JUPYTER), "nbconvert", "--to", "notebook", "--execute", "notebooks/explore.ipynb",
                           "--output", "explore.run.ipynb", "--ExecutePreprocessor.timeout=300"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return project, nbformat.read(project / "notebooks" / "explore.run.ipynb", as_version=4)


def _outputs(nb: nbformat.NotebookNode) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def test_the_notebook_runs_after_the_demo_with_nothing_set(executed):
    project, nb = executed
    outputs = _outputs(nb)
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert f"Warehouse: {project / 'data' / 'demo' / 'demo.duckdb'}" in printed
    assert f"Settings: {project / 'data' / 'demo' / 'settings.toml'}" in printed
    assert "Term: 2025-26-spring" in printed  # the demo's data runs to July 2026: the last term ended is spring


def test_the_saved_charts_draw_offline(executed):
    project, nb = executed
    charts = [o for o in _outputs(nb) if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(charts) == 3
    assert all("Plotly.newPlot" in o["data"]["text/html"] for o in charts)  # not only Jupyter's own renderer
    page = project / "explore.html"
    subprocess.run([str(JUPYTER), "nbconvert", "--to", "html", str(project / "notebooks" / "explore.run.ipynb"),
                    "--output", str(page)], check=True, capture_output=True, timeout=300)
    if CHROMIUM is None:
        pytest.skip("no chromium on PATH")
    dom, requests = run_offline_chromium(page.as_uri())
    drawn = BeautifulSoup(dom, "html.parser")
    assert len(drawn.select("div.plotly-graph-div svg.main-svg")) >= 3
    assert not [r for r in requests if "plot.ly" in json.dumps(r)]
