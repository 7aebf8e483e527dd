"""The benchmark script runs end to end and writes its table.

Performance is measured by `make bench` (benchmarks/run.py), never timed in tests: this only runs the
script at two tiny scales, every step once, and checks that each step ran, was measured and reported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCALES = (200, 400)
STEPS = (
    "generate exports",
    "load: bare DuckDB read_csv",
    "load: pandas read and validate",
    "load: policy-analytics",
    "load: breaches and roster",
    "load: later export (upsert)",
    "indicators",
    "report termly",
    "report: imports-only notebook",
)


def test_benchmark_runs_every_step_and_writes_the_table(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--scales", ",".join(map(str, SCALES)),
         "--out", str(tmp_path), "--once"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]

    results = json.loads((tmp_path / "results.json").read_text("utf-8"))
    measured = {(s["step"], s["scale"]): s for s in results["steps"]}
    for scale in SCALES:
        for step in STEPS:
            s = measured[(step, scale)]
            assert s["seconds"] > 0 and s["peak_mb"] > 0 and s["cpu_seconds"] >= 0, s
    for scale in SCALES:
        assert measured[("report termly", scale)]["html_mb"] > 0.5  # plotly.js is embedded: the report draws offline
        # the baselines read the same file and agree with the loader on what is stored and rejected
        assert "DISAGREES" not in measured[("load: pandas read and validate", scale)]["detail"]
        assert measured[("load: policy-analytics", scale)]["detail"].startswith("incidents.csv (incidents): ")
        assert not (tmp_path / f"n{scale}" / "data").exists()  # generated exports are removed after each scale

    ratios = {(r["step"], r["scale"]) for r in results["ratios"]}
    assert ("load: policy-analytics", SCALES[0]) in ratios and ("indicators", SCALES[1]) in ratios
    # no scale of a million here: every target is listed, none judged
    assert results["targets"] and all(t["met"] is None for t in results["targets"])
    assert results["machine"]["DuckDB"]

    table = (tmp_path / "results.md").read_text("utf-8")
    assert table.startswith("| step | incidents | seconds |")
    assert "| target | incidents | measured | met? |" in table
    assert table.count("| report termly |") == len(SCALES)
    assert "| step | incidents | seconds |" in done.stdout  # printed as well as written


def test_batch_benchmark_runs_alone_and_writes_its_table(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "batch.py"), "--incidents", "300", "--schools", "3",
         "--out", str(tmp_path), "--once"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    results = json.loads((tmp_path / "batch.json").read_text("utf-8"))
    assert results["schools"] == 3
    assert results["report_seconds"]["organisation"] > 0 and results["report_seconds"]["batch"] > 0
    assert results["figures_seconds"]["every_school"] > 0
    assert results["peak_mb"]["batch_all_processes"] > 0 and results["peak_mb"]["batch_largest_process"] > 0
    assert [t["met"] in (True, False) for t in results["targets"]] == [True] * 4
    table = (tmp_path / "batch.md").read_text("utf-8")
    assert "| report termly --all-schools (4 reports) |" in table
    assert not (tmp_path / "batch_n300_s3").exists()  # generated files are removed
