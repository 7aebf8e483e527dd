"""Tests for the warehouse file itself: its schema version, what it refuses to open, its permissions and lock."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from policy_analytics import cli, db
from policy_analytics.errors import UserError
from policy_analytics.settings import Settings

INCIDENTS = "incident_id,reported_at,platform,category,severity\nI1,2025-10-07,fb,bullying,low\n"


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(db.DB_ENV, raising=False)
    monkeypatch.delenv("POLICY_ANALYTICS_CONFIG", raising=False)


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "incidents.csv"
    path.write_text(INCIDENTS)
    return path


def _contents(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows, read without changing the file."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        con.close()


def test_a_new_warehouse_records_its_schema_version(tmp_path: Path) -> None:
    con = db.connect(tmp_path / "w.duckdb", Settings())
    try:
        assert db.schema_version(con) == db.SCHEMA_VERSION == 2
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("2",)
        assert con.execute("SELECT count(*) FROM meta WHERE key = 'created_at'").fetchone() == (1,)
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()}
        assert {"incidents", "breaches", "acknowledgements", "loads", "rejects", "meta"} <= tables
    finally:
        con.close()
    # Opening it again leaves the version as it was.
    con = db.connect(tmp_path / "w.duckdb", Settings(), read_only=True)
    try:
        assert db.schema_version(con) == 2
    finally:
        con.close()


def test_the_warehouse_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "w.duckdb"  # the folder is made too
    db.connect(path, Settings()).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_warehouse_from_a_newer_release_is_refused(
    tmp_path: Path, export: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "w.duckdb"
    con = db.connect(path, Settings())
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(db.SCHEMA_VERSION + 1)])
    con.close()
    before = _contents(path)
    for read_only in (False, True):
        with pytest.raises(UserError, match=r"made by a newer release of policy-analytics \(schema 3; this release reads up to 2\)"):
            db.connect(path, Settings(), read_only=read_only)
    assert cli.main(["load", str(export), "--db", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"policy-analytics: The warehouse {path} was made by a newer release") and "Upgrade" in err
    assert "Traceback" not in err
    assert _contents(path) == before


def test_a_plain_duckdb_file_is_not_taken_for_a_warehouse(
    tmp_path: Path, export: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "analysis.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE results (x INTEGER)")
    con.execute("INSERT INTO results VALUES (42)")
    con.close()
    with pytest.raises(UserError, match="is a DuckDB database but not a policy-analytics warehouse"):
        db.connect(path, Settings())
    assert cli.main(["load", str(export), "--db", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"The file {path} is a DuckDB database but not a policy-analytics warehouse." in err
    assert _contents(path) == {"results": [(42,)]}  # no warehouse tables were added


def test_a_file_that_is_not_duckdb_is_refused(tmp_path: Path, export: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("this is not a database\n")
    assert cli.main(["load", str(export), "--db", str(path)]) == 1
    err = capsys.readouterr().err
    assert err == f"policy-analytics: The file {path} is not a policy-analytics warehouse (it is not a DuckDB database at all).\n"
    assert path.read_text() == "this is not a database\n"


def test_reading_a_warehouse_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "none.duckdb"
    assert cli.main(["rejects", "--db", str(path)]) == 1
    assert "There is no warehouse at" in capsys.readouterr().err
    assert not path.exists()


def test_a_warehouse_held_by_another_process_gives_a_plain_message(
    tmp_path: Path, export: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "w.duckdb"
    db.connect(path, Settings()).close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, duckdb\n"
         "con = duckdb.connect(sys.argv[1])\n"
         "print('ready', flush=True)\n"
         "sys.stdin.read()\n",
         str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert cli.main(["load", str(export), "--db", str(path)]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"policy-analytics: The warehouse {path} is in use by another program")
        assert "Try again when it has finished." in err and "Traceback" not in err
        assert cli.main(["rejects", "--db", str(path)]) == 1
        assert "is in use by another program" in capsys.readouterr().err
    finally:
        holder.stdin.close()  # the holder reads to the end of its input, then exits
        holder.wait(timeout=20)
    # Once the other process has finished, the same command works.
    assert cli.main(["load", str(export), "--db", str(path)]) == 0
    assert "1 stored (1 new, 0 updated)" in capsys.readouterr().out


def test_a_refused_warehouse_is_closed_again(tmp_path: Path) -> None:
    """A refused file must not stay open (and locked) behind the message: another process can open it."""
    path = tmp_path / "w.duckdb"
    con = db.connect(path, Settings())
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(UserError) as refused:
        db.connect(path, Settings())
    # The traceback (kept here, as a notebook keeps its last error) must not keep the file open.
    assert refused.traceback
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, duckdb; duckdb.connect(sys.argv[1]).close(); print('opened')", str(path)],
        capture_output=True, text=True, timeout=60,
    )
    assert probe.stdout.strip() == "opened", probe.stderr


def test_an_unexpected_database_error_outside_a_load_is_one_plain_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args, **kwargs):
        raise duckdb.InternalException("INTERNAL Error: something odd")

    monkeypatch.setattr(db, "list_rejects", broken)
    db.connect(tmp_path / "w.duckdb", Settings()).close()
    with pytest.raises(duckdb.InternalException):
        cli.main(["rejects", "--db", str(tmp_path / "w.duckdb")])
    monkeypatch.delenv(cli.DEBUG_ENV)
    assert cli.main(["rejects", "--db", str(tmp_path / "w.duckdb")]) == 1
    assert capsys.readouterr().err == (
        "policy-analytics: a database error stopped the command (something odd). The warehouse is unchanged.\n"
    )


def test_db_env_var_names_the_warehouse(tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(db.DB_ENV, str(tmp_path / "env.duckdb"))
    assert cli.main(["load", str(export)]) == 0
    assert (tmp_path / "env.duckdb").exists()
    assert os.environ[db.DB_ENV] == str(db.warehouse_path())


def test_a_reader_uses_this_versions_views_even_if_the_stored_ones_are_older(tmp_path: Path) -> None:
    """After an upgrade, a report run before any load must not compute from the previous release's views."""
    target = tmp_path / "warehouse.duckdb"
    con = db.connect(target, Settings(schools=("Alder School",)))
    con.execute("INSERT INTO incidents (incident_id, school, reported_at, platform, category, submitted_by, severity, "
                "safeguarding, police_referral, isp_escalation, support_offered, load_id, source_file, "
                "source_sha256, source_row, loaded_at) VALUES ('I1', 'Alder School', TIMESTAMP '2025-10-07 09:00', "
                "'Facebook', 'bullying', 'staff', 'critical', false, false, false, false, 1, 'f.csv', 'x', 2, now())")
    # What an older release might have stored: the same view with another definition of "significant".
    con.execute("CREATE OR REPLACE VIEW incident_facts AS SELECT incident_id, false AS significant FROM incidents")
    con.close()
    reader = db.connect(target, Settings(schools=("Alder School",)), read_only=True)
    try:
        assert reader.execute("SELECT incident_id, significant, term FROM incident_facts").fetchall() == [
            ("I1", True, "2025-26-autumn")]  # critical is significant; 7 October 2025 is in the autumn term
    finally:
        reader.close()
    plain = duckdb.connect(str(target), read_only=True)  # the file itself is untouched by the reader
    try:
        assert plain.execute("SELECT significant FROM incident_facts").fetchall() == [(False,)]
    finally:
        plain.close()
