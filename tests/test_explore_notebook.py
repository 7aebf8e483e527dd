"""The analysts' side as shipped, on the demo: the notebook run by `jupyter nbconvert --execute` with nothing set
by hand, its saved charts drawn offline, and every example of docs/analysts/python-api.md."""

from __future__ import annotations

import json
import os
import re
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


CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("POLICY_ANALYTICS_")}


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory) -> Path:
    """A project folder after the demo: its exports in data/demo, loaded into data/demo/demo.duckdb."""
    project = tmp_path_factory.mktemp("project")
    demo = project / "data" / "demo"
    files = generate_demo_exports(demo)
    wh = pa.connect(db=demo / "demo.duckdb", config=write_demo_settings(demo))
    wh.load([p for group in files.values() for p in group])
    return project


@pytest.fixture(scope="module")
def executed(demo_project) -> tuple[Path, nbformat.NotebookNode]:
    """The shipped notebook executed in the demo project by `jupyter nbconvert --execute notebooks/explore.ipynb`
    with no environment variables set."""
    project = demo_project
    (project / "notebooks").mkdir()
    shutil.copy(REPO / "notebooks" / "explore.ipynb", project / "notebooks" / "explore.ipynb")
    done = subprocess.run([str(JUPYTER), "nbconvert", "--to", "notebook", "--execute", "notebooks/explore.ipynb",
                           "--output", "explore.run.ipynb", "--ExecutePreprocessor.timeout=300"],
                          cwd=project, env=CLEAN_ENV, capture_output=True, text=True, timeout=600)
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


def test_every_example_of_the_api_docs_runs(demo_project, monkeypatch):
    text = (REPO / "docs" / "analysts" / "python-api.md").read_text("utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 9  # connect and one for each question
    monkeypatch.chdir(demo_project)
    for name in [k for k in os.environ if k.startswith("POLICY_ANALYTICS_")]:
        monkeypatch.delenv(name)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "python-api.md", "exec"), namespace)  # noqa: S102 - the documentation's own examples
    wh = namespace["wh"]
    assert wh.path == demo_project / "data" / "demo" / "demo.duckdb"
    assert namespace["same"] == namespace["autumn"]  # the two ways give the same figures
    assert set(namespace["frame"]["period"]) == {"2025-26-autumn"}
    assert list(namespace["by_school"]["school"].unique()) == wh.schools()
    assert namespace["result"].status == "unchanged"  # the example loads a file the demo loaded already
