"""The analysts' Python API: connect() as the CLI finds things, questions taking strings, a tidy frame, and
connections that never block a load. Expected figures are counted by hand from the small fixtures here."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

import policy_analytics as pa
from policy_analytics import cli
from policy_analytics.errors import UsageError
from policy_analytics.synthetic import write_demo_settings

REPO = Path(__file__).resolve().parents[1]
INCIDENTS_CSV = (
    "incident_id,school,reported_at,removal_requested_at,removed_at,platform,category,severity\n"
    "I1,Alder School,2025-09-10 09:00,2025-09-10 10:00,2025-09-11 19:00,Facebook,bullying,low\n"  # 34 hours
    "I2,Alder School,2025-10-02 09:00,2025-10-02 10:00,2025-10-02 15:00,Facebook,bullying,high\n"  # 6 hours
    "I3,Birch School,2025-12-01 09:00,,,TikTok,copyright,low\n"
    "I4,Birch School,2026-02-02 09:00,,,TikTok,copyright,low\n"
)
SETTINGS_48 = (
    '[organisation]\nschools = ["Alder School", "Birch School"]\n[targets]\nremoval_hours = 48\n'
    '[terms]\n"2025-26-autumn" = [2025-09-03, 2025-11-28]\n"2025-26-spring" = [2026-01-05, 2026-03-27]\n'
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a settings file (48 hours, own terms) and an incidents export; nothing set in the environment."""
    monkeypatch.delenv("POLICY_ANALYTICS_DB", raising=False)
    monkeypatch.delenv("POLICY_ANALYTICS_CONFIG", raising=False)
    (tmp_path / "settings.toml").write_text(SETTINGS_48)
    (tmp_path / "incidents.csv").write_text(INCIDENTS_CSV)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_connect_honours_the_environment_like_the_cli(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICY_ANALYTICS_DB", str(project / "w.duckdb"))
    monkeypatch.setenv("POLICY_ANALYTICS_CONFIG", str(project / "settings.toml"))
    wh = pa.connect()
    assert wh.path == project / "w.duckdb"
    assert wh.settings.targets.removal_hours == 48  # not the default 24
    assert wh.settings.terms["2025-26-autumn"] == (date(2025, 9, 3), date(2025, 11, 28))
    explicit = pa.connect(db=project / "other.duckdb", config=None)
    assert explicit.path == project / "other.duckdb" and explicit.settings.targets.removal_hours == 48


def test_questions_take_strings_and_follow_the_settings(project: Path) -> None:
    wh = pa.connect(db="w.duckdb", config="settings.toml")
    [result] = wh.load("incidents.csv")
    assert result.rows_new == 4
    autumn = wh.indicators(term="2025-26-autumn")
    # autumn counts 1 Sep 2025 to 4 Jan 2026: I1, I2 and I3 (1 Dec is after the school's term but before spring)
    assert autumn["incidents"]["total"] == 3
    # both removals within 48 hours (34 and 6); with the default 24 only one would be
    assert autumn["response"]["within_target"] == 2
    assert wh.indicators(year="2025-26")["incidents"]["total"] == 4
    assert wh.indicators(start="2025-10-01", end=date(2025, 12, 31))["incidents"]["total"] == 2
    assert wh.indicators(term="2025-26-spring", school="birch school")["incidents"]["total"] == 1
    assert wh.schools() == ["Alder School", "Birch School"]
    with pytest.raises(UsageError):
        wh.indicators(term="2025-26-winter")


def test_indicators_frame_is_tidy(project: Path) -> None:
    wh = pa.connect(db="w.duckdb", config="settings.toml")
    wh.load(["incidents.csv"])
    frame = wh.indicators_frame(term="2025-26-autumn", school="Alder School")
    assert list(frame.columns) == ["period", "school", "metric", "value", "unit"]
    assert set(frame["period"]) == {"2025-26-autumn"} and set(frame["school"]) == {"Alder School"}
    figures = {m: (v, u) for m, v, u in zip(frame["metric"], frame["value"], frame["unit"])}
    assert figures["incidents.total"] == (2.0, "incidents")
    assert figures["incidents.by_platform.Facebook"] == (2.0, "incidents")
    assert figures["response.within_target_pct"] == (100.0, "%")
    assert figures["response.median_hours"] == (20.0, "hours")  # median of 34 and 6
    assert figures["triggers.removal_target.fired"] == (0.0, "fired (1) or not (0)")
    assert math.isnan(figures["acknowledgements.coverage_pct"][0])  # no roster: nothing to measure
    assert frame["metric"].is_unique


def test_terms_give_the_dates_counted_and_the_schools_own(project: Path) -> None:
    frame = pa.connect(db="w.duckdb", config="settings.toml").terms("2025-26")
    assert frame.to_dict("records") == [
        {"term": "2025-26-autumn", "start": date(2025, 9, 1), "end": date(2026, 1, 4),
         "school_start": date(2025, 9, 3), "school_end": date(2025, 11, 28)},
        {"term": "2025-26-spring", "start": date(2026, 1, 5), "end": date(2026, 4, 5),
         "school_start": date(2026, 1, 5), "school_end": date(2026, 3, 27)},
        {"term": "2025-26-summer", "start": date(2026, 4, 6), "end": date(2026, 8, 31),
         "school_start": None, "school_end": None},
    ]


def test_compute_indicators_takes_a_label(project: Path) -> None:
    from policy_analytics import indicators

    wh = pa.connect(db="w.duckdb", config="settings.toml")
    wh.load("incidents.csv")
    with wh.connection() as con:
        assert indicators.compute_indicators(con, wh.settings, "2025-26-autumn")["incidents"]["total"] == 3


def test_connect_finds_the_demo_warehouse_from_a_notebook_folder(project: Path, monkeypatch) -> None:
    demo = project / "data" / "demo"
    demo.mkdir(parents=True)
    (demo / "demo.duckdb").touch()
    write_demo_settings(demo)
    (project / "notebooks").mkdir()
    monkeypatch.chdir(project / "notebooks")
    found = pa.find_warehouse()
    assert found == (demo / "demo.duckdb", demo / "settings.toml")
    (project / "data" / "policy_analytics.duckdb").touch()  # a real warehouse comes first
    assert pa.find_warehouse() == (project / "data" / "policy_analytics.duckdb", None)


# --- an open notebook never blocks a load ------------------------------------------------------------

NOTEBOOK = textwrap.dedent("""
    import sys, time
    import policy_analytics as pa
    from policy_analytics import db
    if sys.argv[1] == "api":
        wh = pa.connect(db=sys.argv[2], config=sys.argv[3])
        print(wh.indicators(term="2025-26-autumn")["incidents"]["total"], flush=True)
    else:  # the way the old notebook held the warehouse: one connection for the whole session
        con = db.connect(sys.argv[2], read_only=True)
        print("open", flush=True)
    sys.stdin.readline()  # the analyst goes for coffee; a load happens now
    if sys.argv[1] == "api":
        print(wh.indicators(term="2025-26-autumn")["incidents"]["total"], flush=True)
""")


def _notebook(mode: str, warehouse: Path, config: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.Popen([sys.executable, "-c", NOTEBOOK, mode, str(warehouse), str(config)], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_load_succeeds_while_a_notebook_holds_the_api(project: Path, capsys) -> None:
    wh = pa.connect(db="w.duckdb", config="settings.toml")
    (project / "first.csv").write_text(INCIDENTS_CSV.splitlines()[0] + "\n" + INCIDENTS_CSV.splitlines()[1] + "\n")
    wh.load("first.csv")
    opts = ["--db", "w.duckdb", "--config", "settings.toml"]

    held = _notebook("held", project / "w.duckdb", project / "settings.toml")
    try:
        assert held.stdout.readline().strip() == "open"
        assert cli.main(["load", "incidents.csv", *opts]) == 1  # why: a held connection locks the file
        assert "in use" in capsys.readouterr().err
    finally:
        held.communicate("\n", timeout=60)

    notebook = _notebook("api", project / "w.duckdb", project / "settings.toml")
    try:
        assert notebook.stdout.readline().strip() == "1"
        assert cli.main(["load", "incidents.csv", *opts]) == 0  # the notebook process is still running
        out, err = notebook.communicate("\n", timeout=60)
    finally:
        notebook.kill()
    assert out.strip() == "3", err  # and it sees the new rows at its next question


def test_latest_term_is_the_last_that_ended_by_the_data(project: Path) -> None:
    wh = pa.connect(db="w.duckdb", config="settings.toml")
    wh.load("incidents.csv")  # the last incident is on 2 Feb 2026, in spring: autumn is the last term ended
    assert wh.latest_term() == "2025-26-autumn"
