"""A whole trust's reports in one run: figures for every school in one pass, the batch's files, its index,
and what an interruption leaves behind."""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import re
import stat
from datetime import date, datetime
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from conftest import Warehouse

from policy_analytics import cli, indicators
from policy_analytics.periods import term
from policy_analytics.reports import batch, render
from policy_analytics.reports import data as report_data
from policy_analytics.settings import load_settings

# Reviewed on 18 Dec 2025: the autumn term 2025-26 is not overdue and no register change is dated after the
# review and by the term's end, so only the data can ask for a review.
SETTINGS = """
[organisation]
name = "Index Trust"
schools = ["Alder School", "Birch School", "Cedar School"]

[policy]
version = "2024-10"
last_reviewed = 2025-12-18
review_due = 2026-12-01

[review_events]
extra_file = "none.csv"
"""
TERM = "2025-26-autumn"
ALL = ["Alder School", "Birch School", "Cedar School"]


@pytest.fixture
def trust(tmp_path: Path) -> dict:
    """Three schools: Alder with a critical incident (a review), Birch with a low one, Cedar with staff only."""
    config = tmp_path / "settings.toml"
    config.write_text(SETTINGS, encoding="utf-8")
    settings = load_settings(config)
    w = Warehouse(tmp_path / "warehouse.duckdb", settings)
    w.incident("I1", datetime(2025, 10, 1, 9), school="Alder School", severity="critical",
               removal_requested_at=datetime(2025, 10, 1, 10), removed_at=datetime(2025, 10, 1, 19), shares=4)
    w.incident("I2", datetime(2025, 11, 3, 9), school="Alder School", severity="low", shares=10)
    w.incident("I3", datetime(2025, 11, 4, 9), school="Birch School", severity="low")
    w.incident("I4", datetime(2025, 5, 4, 9), school="Birch School", severity="low")  # summer term before
    for ref, school, group in (("S1", "Alder School", "teaching"), ("S2", "Alder School", "support"),
                               ("S3", "Birch School", "teaching"), ("S4", "Birch School", "teaching"),
                               ("S5", "Cedar School", "support")):
        w.staff(ref, school=school, staff_group=group, acknowledged_at=datetime(2025, 9, 10, 9))
    return {"w": w, "settings": settings, "config": config, "db": w.path, "out": tmp_path / "out"}


# --- the figures: every school and the organisation in one pass ---------------------------------------


def test_every_school_and_the_organisation_in_one_pass(trust) -> None:
    w, settings = trust["w"], trust["settings"]
    autumn = term(TERM, settings)
    found = indicators.compute_indicators_all(w.con, settings, autumn, [*ALL, "Dale School"])
    assert list(found) == [None, *ALL, "Dale School"]
    totals = {who: ind["incidents"]["total"] for who, ind in found.items()}
    assert totals == {None: 3, "Alder School": 2, "Birch School": 1, "Cedar School": 0, "Dale School": 0}
    assert [found[s]["incidents"]["previous_total"] for s in (None, "Alder School", "Birch School")] == [1, 0, 1]
    assert found[None]["incidents"]["by_school"] == {"Alder School": 2, "Birch School": 1}
    assert found["Alder School"]["incidents"]["by_school"] == {"Alder School": 2}
    assert found["Alder School"]["incidents"]["by_severity"] == {"critical": 1, "low": 1}
    assert found["Alder School"]["recirculation"]["total_shares"] == 14
    assert found["Alder School"]["response"]["median_hours"] == 10.0
    # a school with nothing in the term: counts 0, nothing to measure, no breakdowns
    cedar = found["Cedar School"]
    assert cedar["recirculation"]["total_shares"] is None and cedar["response"]["median_hours"] is None
    assert cedar["incidents"]["by_category"] == {} and cedar["breaches"]["opened"] == 0
    assert cedar["acknowledgements"]["active_staff"] == 1 and cedar["acknowledgements"]["by_group"]["support"]["acknowledged"] == 1
    dale = found["Dale School"]["acknowledgements"]
    assert (dale["active_staff"], dale["coverage_pct"], dale["by_group"]) == (0, None, {})
    assert found[None]["acknowledgements"]["active_staff"] == 5
    assert found[None]["acknowledgements"]["by_group"]["teaching"]["active_staff"] == 3
    # each is what the single-school path computes
    for who in [None, *ALL]:
        assert found[who] == w.indicators(autumn, who)
    assert list(indicators.compute_indicators_all(w.con, settings, autumn, [])) == [None]


class Recording:
    """A connection that notes every statement it runs."""

    def __init__(self, con) -> None:
        self.con, self.statements = con, []

    def execute(self, sql, *args):
        self.statements.append(sql)
        return self.con.execute(sql, *args)


def test_the_indicator_queries_run_as_written_with_no_rewriting(trust) -> None:
    w, settings = trust["w"], trust["settings"]
    recording = Recording(w.con)
    indicators.compute_indicators_all(recording, settings, term(TERM, settings), ALL)
    written = set(indicators.queries().values())
    over_views = [s for s in recording.statements if "_facts" in s]
    assert len(over_views) == 6 and all(s in written for s in over_views)
    source = inspect.getsource(indicators)
    assert "_fetch_for_schools" not in source and "LATERAL" not in source.upper()
    assert ".sub(" not in source and 'replace("$' not in source  # nothing edits a query's text


# --- the batch: files, index, interruption ---------------------------------------------------------


def _run_batch(trust, *which: str) -> str:
    trust["w"].close()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = cli.main(["report", *(which or ("termly", "--term", TERM)), "--all-schools", "--db", str(trust["db"]),
                           "--config", str(trust["config"]), "--out", str(trust["out"])])
    assert status == 0
    return out.getvalue()


def _index(folder: Path) -> dict[str, tuple[str, str]]:
    soup = BeautifulSoup((folder / "index.html").read_text("utf-8"), "html.parser")
    rows = {}
    for tr in soup.select("tbody tr"):
        cells = tr.find_all("td")
        rows[cells[0].find("a").get_text()] = (cells[0].find("a")["href"], cells[1].get_text(strip=True))
    return rows


def test_the_index_lists_every_school_with_its_headline(trust, monkeypatch) -> None:
    monkeypatch.setenv(batch.WORKERS_ENV, "2")  # two forked workers, even on one core
    printed = _run_batch(trust)
    folder = trust["out"] / f"termly_{TERM}"
    assert printed.strip() == (f"Wrote 4 termly reports for Autumn term 2025-26 (the organisation and 3 schools; "
                               f"2 say ▲ Review) in {printed.split(') in ')[1].split(' s:')[0]} s: {folder / 'index.html'}")
    rows = _index(folder)
    # Alder's critical incident is significant (1 or more asks for a review), and so the organisation's too. Birch's
    # and Cedar's coverage is withheld by the year's plan and no other check fired: '✔ OK' would tell that every one
    # of their staff had read the policy, so the index withholds it, as the organisation's table of schools does
    assert rows == {
        "All schools (the organisation)": (f"termly_{TERM}_organisation.html", "▲ Review"),
        "Alder School": (f"termly_{TERM}_alder-school.html", "▲ Review"),
        "Birch School": (f"termly_{TERM}_birch-school.html", "[c]"),
        "Cedar School": (f"termly_{TERM}_cedar-school.html", "[c]"),
    }
    assert "[c]: withheld, because only the acknowledgement coverage check" in (folder / "index.html").read_text("utf-8")
    for href, _ in rows.values():
        page = (folder / href).read_text("utf-8")
        assert page.rstrip().endswith("</html>")
        notebook = nbformat.read(folder / href.replace(".html", ".ipynb"), as_version=4)
        nbformat.validate(notebook)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert all(c.execution_count for c in code)  # every cell executed, and every section's output kept
        shown = [c for c in code if "rs.show(" in c.source and ("schools_section" not in c.source or "organisation" in href)]
        assert len(shown) == (11 if "organisation" in href else 10) and all(c.outputs for c in shown)
    # one snapshot: the index and every report give the same moment
    stamp = re.search(r"read from the warehouse at (.+?)\.", (folder / "index.html").read_text("utf-8")).group(1)
    for href, _ in rows.values():
        assert f"Made on {stamp}" in (folder / href).read_text("utf-8")
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in folder.iterdir())  # private, as one report is
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["index.html", *[h for h, _ in rows.values()], *[h.replace(".html", ".ipynb") for h, _ in rows.values()]])


def test_all_schools_and_one_school_together_is_a_usage_error(trust, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["report", "termly", "--all-schools", "--school", "Alder School", "--db", str(trust["db"])])
    assert stopped.value.code == 2


class Interrupted(BaseException):
    """Stands for Ctrl-C arriving in the middle of writing a file."""


def test_an_interrupted_batch_leaves_no_half_written_file(trust, monkeypatch) -> None:
    monkeypatch.setenv(batch.WORKERS_ENV, "1")
    real_fdopen, opened = os.fdopen, []

    class HalfWriter:
        def __init__(self, handle) -> None:
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, text: str) -> None:
            self.handle.write(text[: len(text) // 2])
            raise Interrupted

    def fdopen(fd, *args, **kwargs):
        opened.append(fd)
        handle = real_fdopen(fd, *args, **kwargs)
        return HalfWriter(handle) if len(opened) == 5 else handle  # the third report's notebook

    monkeypatch.setattr(render.os, "fdopen", fdopen)
    with pytest.raises(Interrupted):
        _run_batch(trust)
    folder = trust["out"] / f"termly_{TERM}"
    names = sorted(p.name for p in folder.iterdir())
    stems = [f"termly_{TERM}_organisation", f"termly_{TERM}_alder-school"]
    assert names == sorted(f"{s}.{x}" for s in stems for x in ("html", "ipynb"))  # no index, no part of a file
    for name in names:
        text = (folder / name).read_text("utf-8")
        if name.endswith(".ipynb"):
            nbformat.validate(nbformat.reads(text, as_version=4))
        else:
            assert text.rstrip().endswith("</html>")
    monkeypatch.setattr(render.os, "fdopen", real_fdopen)
    _run_batch(trust)  # and the batch simply runs again
    assert len(_index(folder)) == 4 and not list(folder.glob(".*"))


# --- a batch equals the single reports ------------------------------------------------------------------


def _comparable(html: str) -> str:
    """The page's text, without the moment it was made."""
    text = BeautifulSoup(html, "html.parser").get_text(" ")
    return re.sub(r"Made on .+? from the data loaded by then", "Made on (when)", text)


@pytest.mark.parametrize(("kind", "period", "schools"), [
    ("termly", TERM, (None, "Alder School", "Birch School")),
    ("annual", "2025-26", (None, "Birch School")),
])
def test_a_batch_equals_the_single_reports_figure_for_figure(trust, monkeypatch, kind, period, schools) -> None:
    monkeypatch.setenv(batch.WORKERS_ENV, "1")
    _run_batch(trust, kind, "--term" if kind == "termly" else "--year", period)
    folder = trust["out"] / f"{kind}_{period}"
    single = trust["out"] / "single"
    for who in schools:
        files = render.render_report(kind, period, who, trust["db"], trust["config"], single)
        one, many = files.html.read_text("utf-8"), (folder / files.html.name).read_text("utf-8")
        assert _comparable(one) == _comparable(many), who
        plots = re.compile(r'Plotly\.newPlot\(\s*"[^"]+",.*?\)', re.DOTALL)
        assert plots.findall(one) == plots.findall(many)


def test_read_figures_is_one_snapshot_of_every_report(trust) -> None:
    trust["w"].close()
    figures = report_data.read_figures("termly", TERM, None, trust["db"], trust["config"],
                                       taken_at=datetime(2026, 1, 5, 8, 0))
    assert figures.schools == ALL and list(figures.reports) == [None, *ALL]
    assert {d.generated_at for d in figures.reports.values()} == {datetime(2026, 1, 5, 8, 0)}
    assert figures.indicators[None]["incidents"]["total"] == 3
    assert figures.reports[None].per_school["Alder School"] == figures.indicators["Alder School"]
    assert figures.reports[None].per_school["Alder School"] is not figures.indicators["Alder School"]
    months = figures.reports["Alder School"].months
    assert months == [(date(2025, m, 1), n) for m, n in ((9, 0), (10, 1), (11, 1), (12, 0))]
    assert figures.reports["Alder School"].response_hours == [10.0]
    assert figures.reports["Birch School"].response_hours == []


def test_a_batch_with_pdfs_prints_each_report_and_links_it(trust, monkeypatch) -> None:
    if render.find_chromium() is None:
        pytest.skip("no Chromium to print with")
    monkeypatch.setenv(batch.WORKERS_ENV, "1")
    _run_batch(trust, "termly", "--term", TERM, "--pdf")
    folder = trust["out"] / f"termly_{TERM}"
    soup = BeautifulSoup((folder / "index.html").read_text("utf-8"), "html.parser")
    pdfs = [a["href"] for a in soup.select("tbody a") if a["href"].endswith(".pdf")]
    assert len(pdfs) == 4
    for name in pdfs:
        assert (folder / name).read_bytes().startswith(b"%PDF")
    assert not list(folder.glob(".*"))


def test_progress_names_the_report_and_what_is_left_and_is_quiet_off_a_terminal(trust, monkeypatch, capsys) -> None:
    terminal = io.StringIO()
    monkeypatch.setattr("sys.stderr", terminal)
    cli._progress(2, 51, "Riverside Academy")
    cli._progress(51, 51, "")
    assert terminal.getvalue() == "\r\033[K[3/51] Riverside Academy (48 left)\r\033[K"
    monkeypatch.undo()
    monkeypatch.setenv(batch.WORKERS_ENV, "1")
    printed = _run_batch(trust)  # stderr is not a terminal here: nothing but the summary line
    assert capsys.readouterr().err == "" and printed.count("\n") == 1
