"""The governor reports end to end: papermill runs the notebooks on a fixture warehouse loaded from CSV
exports, and the HTML is checked against `policy-analytics indicators --json`, for privacy, and in a
headless Chromium with networking disabled.

The four reports are rendered once per module (each papermill run costs a few seconds):
termly for the organisation, annual for the organisation, termly for one school (through the CLI),
and termly for a term with no incidents.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from policy_analytics import cli, db, load
from policy_analytics.reports import formats, suppression
from policy_analytics.reports import tables as report_tables
from policy_analytics.reports import render as reports
from policy_analytics.settings import load_settings
from test_policy_check import PLANTED, write_docx

TERM = "2025-26-autumn"
PREVIOUS_TERM = "2024-25-summer"
YEAR = "2025-26"
EMPTY_TERM = "2023-24-spring"
SCHOOLS = ("Alder School", "Birch School")

SETTINGS_TOML = """
[organisation]
name = "Fixture Academy Trust"
schools = ["Alder School", "Birch School"]

[policy]
version = "2024-10"
last_reviewed = 2024-10-01
review_due = 2026-10-01
document = "policy/staff-social-media-policy.docx"

[reporting]
suppress_below = 3
"""

INCIDENT_HEADER = [
    "Incident ID", "School", "Reported At", "Posted At", "Removal Requested At", "Removed At", "Platform",
    "Category", "Submitted By", "Severity", "Safeguarding", "Police Referral", "ISP Escalation",
    "Support Offered", "Shares", "Platforms Reached", "Description", "Logged By",
]
# Every identifier and free-text value is distinctive (ZQ/Zq), so a scan can look for each one.
INCIDENTS = [
    # autumn 2025: 5 at Alder, 2 at Birch
    ["ZQINC-A001", "Alder School", "10/09/2025 09:00", "09/09/2025 20:00", "10/09/2025 10:00", "10/09/2025 15:00",
     "fb", "bullying", "parent", "low", "no", "no", "no", "yes", "3", "1",
     "Zq private remark about Ms Wrenfield in the staff car park", "Zq Logger Holloway"],
    ["ZQINC-A002", "Alder School", "02/10/2025 14:00", "01/10/2025 22:00", "02/10/2025 15:00", "04/10/2025 14:00",
     "Instagram", "cyberbullying_of_staff", "pupil", "high", "yes", "no", "yes", "yes", "25", "3",
     "Zq fake account impersonating Mr Pembridge", "Zq Logger Holloway"],
    ["ZQINC-A003", "Alder School", "15/11/2025 08:30", "", "15/11/2025 09:00", "",
     "TikTok", "threatening", "public", "critical", "no", "yes", "no", "yes", "", "2",
     "Zq threat naming a teaching assistant, ZQ-HOUSE-12 Acacia Road", "Zq Logger Amberly"],
    ["ZQINC-A004", "Alder School", "20/11/2025 12:00", "", "", "",
     "Quorbly Forum ZQ", "copyright", "staff", "medium", "no", "no", "no", "no", "0", "1",
     "Zq lesson plans copied without permission", "Zq Logger Amberly"],
    ["ZQINC-A005", "Alder School", "01/12/2025 10:00", "", "01/12/2025 10:30", "01/12/2025 12:00",
     "twitter", "knowingly false", "parent", "low", "no", "no", "no", "no", "4", "1",
     "Zq false claim about the head teacher", ""],
    ["ZQINC-B001", "Birch School", "20/09/2025 16:00", "20/09/2025 15:00", "", "21/09/2025 12:00",
     "whats app", "bullying", "pupil", "medium", "no", "no", "no", "yes", "", "",
     "Zq group chat mocking a support worker", "Zq Logger Castellan"],
    ["ZQINC-B002", "Birch School", "21/10/2025 11:00", "", "", "",
     "Facebook", "hateful language", "public", "medium", "no", "no", "no", "no", "", "",
     "Zq slur posted under the school's page", "Zq Logger Castellan"],
    # the term before (summer 2025) and the spring after
    ["ZQINC-A006", "Alder School", "05/05/2025 09:00", "", "", "", "Facebook", "bullying", "parent", "low",
     "no", "no", "no", "no", "", "", "Zq summer remark", ""],
    ["ZQINC-B003", "Birch School", "10/06/2025 09:00", "", "10/06/2025 10:00", "10/06/2025 18:00", "snap",
     "sexting", "pupil", "high", "yes", "no", "no", "yes", "", "", "Zq summer image shared", ""],
    ["ZQINC-A007", "Alder School", "02/02/2026 09:00", "", "", "", "you tube", "grooming", "unknown", "high",
     "yes", "yes", "no", "yes", "", "", "Zq spring contact attempt", ""],
    # rejected: not a date
    ["ZQINC-R001", "Alder School", "ZQ-not-a-date", "", "", "", "Facebook", "bullying", "parent", "low",
     "no", "no", "no", "no", "", "", "Zq rejected row secret", "Zq Logger Rejected"],
]

BREACH_HEADER = ["Breach ID", "Incident ID", "School", "Staff Ref", "Opened At", "Closed At", "Rule", "Impact",
                 "Outcome", "Case Officer"]
BREACHES = [
    # closed in autumn 2025: written warning 1, informal advice 3, no case to answer 4
    ["ZQBR-001", "ZQINC-A002", "Alder School", "STF-ZQ-0001", "05/09/2025", "20/10/2025", "disrepute", "high",
     "written warning", "Zq Officer Marlowe"],
    ["ZQBR-002", "", "Alder School", "STF-ZQ-0002", "08/09/2025", "10/11/2025", "bullying", "low",
     "informal advice", "Zq Officer Marlowe"],
    ["ZQBR-003", "", "Alder School", "STF-ZQ-0003", "09/09/2025", "12/11/2025", "bullying", "low",
     "informal advice", "Zq Officer Marlowe"],
    ["ZQBR-004", "", "Alder School", "STF-ZQ-0004", "15/09/2025", "01/12/2025", "confidential", "medium",
     "informal advice", "Zq Officer Tennant"],
    ["ZQBR-005", "", "Alder School", "STF-ZQ-0005", "02/06/2025", "03/09/2025", "reputation", "low",
     "no case to answer", ""],
    ["ZQBR-006", "", "Birch School", "STF-ZQ-0006", "03/06/2025", "04/09/2025", "reputation", "low",
     "no case to answer", ""],
    ["ZQBR-007", "", "Birch School", "STF-ZQ-0007", "04/06/2025", "05/10/2025", "defamatory", "low",
     "no case to answer", ""],
    ["ZQBR-008", "", "Alder School", "STF-ZQ-0008", "05/06/2025", "06/10/2025", "copyright", "low",
     "no case to answer", ""],
    # opened in autumn, still open
    ["ZQBR-009", "ZQINC-B002", "Birch School", "STF-ZQ-0009", "25/11/2025", "", "offensive", "high", "",
     "Zq Officer Tennant"],
]

ACK_HEADER = ["Staff Ref", "School", "Staff Group", "Employment", "Start Date", "Leave Date", "Policy Version",
              "Acknowledged At", "Department"]


def _acks() -> list[list[str]]:
    rows = []
    roster = [("Alder School", "teaching", 4, 3), ("Alder School", "support", 3, 3), ("Alder School", "leadership", 1, 1),
              ("Alder School", "governor", 2, 1), ("Birch School", "teaching", 2, 2), ("Birch School", "support", 2, 1)]
    n = 100
    for school, group, staff, acknowledged in roster:
        for i in range(staff):
            n += 1
            rows.append([f"STF-ZQ-{n:04d}", school, group, "full_time", "", "", "2024-10",
                         "14/10/2024 09:00" if i < acknowledged else "", f"Zq Dept {group} {n}"])
    return rows


ACKS = _acks()


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def private_values() -> set[str]:
    """Every staff reference, case id and free-text value of the fixture exports."""
    values: set[str] = set()
    for header, rows, columns in (
        (INCIDENT_HEADER, INCIDENTS, ("Incident ID", "Description", "Logged By", "Platform", "Reported At")),
        (BREACH_HEADER, BREACHES, ("Breach ID", "Incident ID", "Staff Ref", "Case Officer")),
        (ACK_HEADER, ACKS, ("Staff Ref", "Department")),
    ):
        for row in rows:
            for column in columns:
                value = row[header.index(column)]
                if "zq" in value.lower():
                    values.add(value)
    # distinctive fragments too, in case a value were shown cut short or reworded
    values |= {"Wrenfield", "Pembridge", "Acacia Road", "Quorbly", "Holloway", "Marlowe", "Tennant", "Castellan"}
    return values


# --- fixtures --------------------------------------------------------------------------------------


def indicators_json(*args: str) -> dict:
    """`policy-analytics indicators ... --json`, parsed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["indicators", *args, "--json"]) == 0
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """A fixture warehouse loaded from CSV exports with the loader, and its settings file."""
    return fixture_warehouse(tmp_path_factory.mktemp("reports"), SETTINGS_TOML)


def fixture_warehouse(base: Path, settings_toml: str) -> dict:
    """The fixture exports loaded into a warehouse in `base` with these settings: paths and CLI options."""
    config = base / "settings.toml"
    config.write_text(settings_toml, encoding="utf-8")
    (base / "policy").mkdir()
    write_docx(PLANTED, base / "policy" / "staff-social-media-policy.docx")  # the policy-check fixture
    settings = load_settings(config)
    warehouse = base / "warehouse.duckdb"
    con = db.connect(warehouse, settings)
    try:
        for name, header, rows in (("incidents.csv", INCIDENT_HEADER, INCIDENTS), ("breaches.csv", BREACH_HEADER, BREACHES),
                                   ("acknowledgements.csv", ACK_HEADER, ACKS)):
            result = load.load_file(con, _write_csv(base / name, header, rows), default_school=settings.default_school)
            assert result.rows_read == len(rows)
    finally:
        con.close()
    return {"base": base, "db": str(warehouse), "config": str(config),
            "cli": ["--db", str(warehouse), "--config", str(config)]}


class Rendered:
    """One rendered report: its files, text and parsed HTML."""

    def __init__(self, files: reports.ReportFiles) -> None:
        self.files = files
        self.html = files.html.read_text("utf-8")
        self.soup = BeautifulSoup(self.html, "html.parser")
        self.text = self.soup.get_text(" ")

    def rows(self, table_id: str) -> dict[str, list[str]]:
        node = self.soup.find(id=table_id)
        assert node is not None, f"no table {table_id}"
        found = {}
        for tr in node.find("table").select("tbody tr"):
            cells = [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
            found[cells[0]] = cells[1:]
        return found

    def charts(self) -> dict[str, list[dict]]:
        """Each chart's plotly traces, read back from the Plotly.newPlot call in the HTML."""
        found, decoder = {}, json.JSONDecoder()
        for match in re.finditer(r'Plotly\.newPlot\(\s*"([^"]+)",\s*', self.html):
            found[match.group(1)] = decoder.raw_decode(self.html, match.end())[0]
        return found


@pytest.fixture(scope="module")
def termly(env) -> Rendered:
    return Rendered(reports.render_report("termly", TERM, None, env["db"], env["config"], env["base"] / "out"))


@pytest.fixture(scope="module")
def annual(env) -> Rendered:
    return Rendered(reports.render_report("annual", YEAR, None, env["db"], env["config"], env["base"] / "out"))


@pytest.fixture(scope="module")
def school_report(env) -> Rendered:
    """Birch School's termly report, through the command line."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = cli.main(["report", "termly", "--term", TERM, "--school", "birch school",
                           "--out", str(env["base"] / "cli"), *env["cli"]])
    assert status == 0
    printed = out.getvalue()
    html = env["base"] / "cli" / f"termly_{TERM}_birch-school.html"
    assert f"Report: {html}" in printed
    assert f"Executed notebook: {html.with_suffix('.ipynb')}" in printed
    return Rendered(reports.ReportFiles(html=html, ipynb=html.with_suffix(".ipynb")))


@pytest.fixture(scope="module")
def empty(env) -> Rendered:
    return Rendered(reports.render_report("termly", EMPTY_TERM, None, env["db"], env["config"], env["base"] / "out"))


@pytest.fixture(scope="module")
def all_reports(termly, annual, school_report, empty) -> list[Rendered]:
    return [termly, annual, school_report, empty]


# --- the notebooks as stored -----------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]
REPORT_NOTEBOOKS = ("termly_governor_report.ipynb", "annual_review_report.ipynb")
PARAMETERS = ("period", "school", "warehouse", "settings_path", "suppress_below")


@pytest.mark.parametrize("name", [*REPORT_NOTEBOOKS, "explore.ipynb"])
def test_notebooks_are_stored_without_outputs_and_with_a_kernelspec(name):
    nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name} is stored with outputs"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    if name in REPORT_NOTEBOOKS:
        for parameter in PARAMETERS:
            assert re.search(rf"^{parameter} = ", tagged[0].source, re.MULTILINE), parameter


@pytest.mark.parametrize("name", REPORT_NOTEBOOKS)
def test_packaged_notebooks_are_the_repository_notebooks(name):
    """The CLI runs the packaged copy; analysts open notebooks/. They must not drift apart."""
    packaged = Path(str(reports.notebook_path("termly" if name.startswith("termly") else "annual")))
    assert packaged.name == name
    assert packaged.read_bytes() == (REPO / "notebooks" / name).read_bytes(), (
        f"copy notebooks/{name} to src/policy_analytics/templates/notebooks/{name}")


def test_the_kernel_talks_over_ipc_not_tcp(tmp_path):
    import papermill as pm
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell(
        "import json, ipykernel.connect as c\nprint(json.dumps(json.load(open(c.get_connection_file()))))")])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    source = tmp_path / "probe.ipynb"
    nbformat.write(nb, source)
    with reports._kernel_manager_class() as manager:
        done = pm.execute_notebook(str(source), str(tmp_path / "out.ipynb"), kernel_name="python3",
                                   progress_bar=False, kernel_manager_class=manager, cwd=str(tmp_path))
    info = json.loads(done.cells[0].outputs[0]["text"])
    assert info["transport"] == "ipc"
    assert Path(info["ip"]).is_absolute() and not Path(info["ip"]).parent.exists()  # private folder, removed


def test_the_analysts_notebook_runs_on_the_warehouse(env, tmp_path):
    import papermill as pm

    with reports._kernel_manager_class() as manager:
        done = pm.execute_notebook(str(REPO / "notebooks" / "explore.ipynb"), str(tmp_path / "explore.ipynb"),
                                   parameters={"warehouse": env["db"], "settings_path": env["config"], "term": TERM},
                                   kernel_name="python3", progress_bar=False, kernel_manager_class=manager,
                                   cwd=str(tmp_path), execution_timeout=120)
    outputs = [o for c in done.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    for view in ("incident_facts", "breach_facts", "acknowledgement_facts", "load_summary"):
        assert view in html
    assert sum("application/vnd.plotly.v1+json" in o.get("data", {}) for o in outputs) == 3


# --- figures shown = figures computed --------------------------------------------------------------


def test_a_report_from_the_default_warehouse_with_relative_paths(env, tmp_path, monkeypatch):
    """The kernel runs in the report's folder, so the default warehouse (data/policy_analytics.duckdb) and a
    relative POLICY_ANALYTICS_CONFIG must be resolved in the user's folder (the README's four commands failed)."""
    (tmp_path / "data").mkdir()
    shutil.copyfile(env["db"], tmp_path / "data" / "policy_analytics.duckdb")
    shutil.copyfile(env["config"], tmp_path / "own.toml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(db.DB_ENV, raising=False)
    monkeypatch.setenv("POLICY_ANALYTICS_CONFIG", "own.toml")
    assert cli.main(["report", "termly", "--term", TERM]) == 0
    html = (tmp_path / "reports" / f"termly_{TERM}_organisation.html").read_text("utf-8")
    assert "Fixture Academy Trust" in html  # the settings named by the relative path, not the defaults


def test_file_layout(termly, annual, env):
    out = env["base"] / "out"
    assert termly.files.html == out / f"termly_{TERM}_organisation.html"
    assert termly.files.ipynb == out / f"termly_{TERM}_organisation.ipynb"
    assert annual.files.html == out / f"annual_{YEAR}_organisation.html"
    executed = nbformat.read(termly.files.ipynb, as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)


def expected_headline(ind: dict, prev: dict) -> dict[str, list[str]]:
    """The headline rows the report must show, from the JSON of `indicators --json`."""
    f = formats
    return {
        "Incidents": [str(ind["incidents"]["total"]), str(ind["incidents"]["previous_total"])],
        "Significant incidents": [f.fmt_count(ind["incidents"]["significant"]), f.fmt_count(prev["incidents"]["significant"])],
        "Removed within target (%)": [f.fmt_pct(ind["response"]["within_target_pct"]), f.fmt_pct(prev["response"]["within_target_pct"])],
        "Hours to removal (median)": [f.fmt_hours(ind["response"]["median_hours"]), f.fmt_hours(prev["response"]["median_hours"])],
        "Still visible": [str(ind["response"]["still_visible"]), str(prev["response"]["still_visible"])],
        "Widely spread": [str(ind["recirculation"]["wide_spread"]), str(prev["recirculation"]["wide_spread"])],
        "Acknowledgement coverage (%)": [f.fmt_pct(ind["acknowledgements"]["coverage_pct"]), f.fmt_pct(prev["acknowledgements"]["coverage_pct"])],
        "Next review due": [f.fmt_date(ind["review"]["next_due"]), "–"],
    }


def test_termly_headline_equals_indicators_json(termly, env):
    ind = indicators_json("--term", TERM, *env["cli"])
    prev = indicators_json("--term", PREVIOUS_TERM, *env["cli"])
    assert ind["incidents"]["total"] == 7 and prev["incidents"]["total"] == 2  # the fixture as designed
    rows = termly.rows("headline")
    for measure, values in expected_headline(ind, prev).items():
        assert rows[measure][:2] == values, measure
    # breach counts as the year's publication plan prints them: the true count, '<3' for 1 or 2, or '[c]'
    for measure, key in (("Breach investigations opened", "opened"), ("Breach investigations closed", "closed")):
        for shown, true in zip(rows[measure][:2], (ind["breaches"][key], prev["breaches"][key])):
            assert shown == suppression.suppress_value(true, 3) or (shown == "[c]" and (true == 0 or true >= 3))
    # the statuses are the triggers'
    fired = {t["id"]: t["fired"] for t in ind["triggers"]}
    assert rows["Significant incidents"][-1] == ("▲ Review" if fired["significant_incidents"] else "✔ OK")
    assert rows["Acknowledgement coverage (%)"][-1] == ("▲ Review" if fired["acknowledgement_coverage"] else "✔ OK")


def test_termly_trigger_table_equals_indicators_json(termly, env):
    ind = indicators_json("--term", TERM, *env["cli"])
    rows = termly.rows("triggers")
    assert len(rows) == len(ind["triggers"])
    for trigger in ind["triggers"]:
        row = rows[formats.label("trigger", trigger["id"])]
        assert row == [("▲ Review" if trigger["fired"] else "✔ OK"), trigger["reason"]]
    verdict = "a review of the policy is recommended" if ind["review_recommended"] else "no review trigger fired"
    assert verdict in termly.text


def test_termly_charts_and_tables_equal_indicators_json(termly, env):
    ind = indicators_json("--term", TERM, *env["cli"])
    charts = termly.charts()
    assert set(charts) == {"chart-category", "chart-platform", "chart-month", "chart-response", "chart-school"}
    category = charts["chart-category"][0]
    assert dict(zip(category["customdata"], category["x"])) == {
        formats.label("category", k): v for k, v in ind["incidents"]["by_category"].items()}
    platform = charts["chart-platform"][0]
    assert dict(zip(platform["customdata"], platform["x"])) == ind["incidents"]["by_platform"]
    month = charts["chart-month"][0]
    assert month["x"] == ["Sep 2025", "Oct 2025", "Nov 2025", "Dec 2025"]
    assert month["y"] == [2, 2, 2, 1] and sum(month["y"]) == ind["incidents"]["total"]
    school = charts["chart-school"][0]
    assert dict(zip(school["customdata"], school["x"])) == ind["incidents"]["by_school"]
    response = {t["name"]: t for t in charts["chart-response"]}["Report to removal"]
    assert sum(response["x"][:-1]) == ind["response"]["removed"]
    assert response["x"][-1] == ind["response"]["still_visible"]
    # coverage by staff group, as the year's publication plan decides it: leadership (1 in post) and governors (2)
    # show <3 with their figures withheld; Birch has 2 teaching and 2 support staff (<3 each), so the organisation's
    # teaching (6) and support (5) cannot both be shown with Alder's (4 and 3) without giving Birch's away, and
    # the plan withholds them: no group is drawn
    groups = ind["acknowledgements"]["by_group"]
    assert {g: (v["active_staff"], v["acknowledged"]) for g, v in groups.items()} == {
        "teaching": (6, 5), "support": (5, 4), "leadership": (1, 1), "governor": (2, 1)}
    assert "No staff group is large enough to draw on its own without identifying colleagues" in termly.text
    # the section tables
    rows = termly.rows("response")
    assert rows["Removal needed"][0] == str(ind["response"]["removal_needed"])
    assert rows["Hours visible (longest)"][0] == formats.fmt_hours(ind["visibility"]["max_hours"])
    rows = termly.rows("recirculation")
    assert rows["Shares"][0] == formats.fmt_number(ind["recirculation"]["total_shares"])
    assert rows["On several platforms"][0] == str(ind["recirculation"]["multi_platform"])
    rows = termly.rows("acknowledgements")
    assert rows["All staff"][:3] == [str(ind["acknowledgements"]["active_staff"]), str(ind["acknowledgements"]["acknowledged"]),
                                     formats.fmt_pct(ind["acknowledgements"]["coverage_pct"])]
    assert rows["Teaching staff"] == rows["Support staff"] == ["[c]", "[c]", "[c]", "[c]"]
    assert rows["Leadership"] == rows["Governors"] == ["<3", "[c]", "[c]", "[c]"]
    rows = termly.rows("data-freshness")
    for kind, label in (("incidents", "Incidents"), ("breaches", "Breach investigations")):
        assert rows[label][:2] == [str(ind["data"][kind]["stored"]), str(ind["data"][kind]["rejected"])]
    assert ind["data"]["incidents"]["rejected"] == 1


def test_per_school_section_equals_indicators_json(termly, env):
    rows = termly.rows("schools")
    opened = {}
    for school in SCHOOLS:
        ind = indicators_json("--term", TERM, "--school", school, *env["cli"])
        # coverage withheld for both: Birch's 4 staff are two groups of 2 (<3 each), so its All staff would give
        # them away, and Alder's would give Birch's (All schools minus Alder)
        assert rows[school][:4] == [str(ind["incidents"]["total"]), str(ind["incidents"]["significant"]),
                                    formats.fmt_pct(ind["response"]["within_target_pct"]), "[c]"]
        opened[school] = ind["breaches"]["opened"]
        assert rows[school][4] == ("▲ Review" if ind["review_recommended"] else "[c]")
        matrix = termly.rows("school-triggers")[school]
        assert matrix == [("[c]" if t["id"] == "acknowledgement_coverage" else "▲ Review" if t["fired"] else "✔ OK")
                          for t in ind["triggers"]]
        for trigger in ind["triggers"]:
            if (trigger["fired"] and trigger["id"] not in report_tables.ORGANISATION_WIDE_TRIGGERS
                    and trigger["id"] != "acknowledgement_coverage"):
                assert trigger["reason"] in termly.text
    # breaches are published for the organisation only: no column by school (Alder 4, Birch 1)
    assert opened == {"Alder School": 4, "Birch School": 1}
    assert "Breaches opened" not in str(termly.soup.find(id="schools"))


def test_school_report_equals_indicators_json_for_that_school(school_report, env):
    ind = indicators_json("--term", TERM, "--school", "Birch School", *env["cli"])
    prev = indicators_json("--term", PREVIOUS_TERM, "--school", "Birch School", *env["cli"])
    rows = school_report.rows("headline")
    for measure, values in expected_headline(ind, prev).items():
        if measure == "Acknowledgement coverage (%)":
            values = ["[c]", "[c]"]  # withheld in every report of the year (see the per-school section)
        assert rows[measure][:2] == values, measure
    assert rows["Breach investigations opened"][:2] == ["–", "–"]  # published for the organisation only
    assert "Birch School" in school_report.text
    # Birch has 2 teaching and 2 support staff: both groups are small, and hold 4 staff, 3 of whom have read it
    assert {g: v["active_staff"] for g, v in ind["acknowledgements"]["by_group"].items()} == {"teaching": 2, "support": 2}
    rows = school_report.rows("acknowledgements")
    assert rows["Teaching staff"] == rows["Support staff"] == ["<3", "[c]", "[c]", "[c]"]
    assert rows["All staff"][:3] == ["[c]", "[c]", "[c]"]
    assert "chart-coverage" not in school_report.charts()
    assert school_report.soup.find(id="schools") is None  # the per-school section is the organisation's only


def test_annual_report_equals_indicators_json(annual, env):
    year = indicators_json("--year", YEAR, *env["cli"])
    before = indicators_json("--year", "2024-25", *env["cli"])
    rows = annual.rows("headline")
    for measure, values in expected_headline(year, before).items():
        assert rows[measure][:2] == values, measure
    terms = annual.rows("terms")
    for name in ("autumn", "spring", "summer"):
        ind = indicators_json("--term", f"{YEAR}-{name}", *env["cli"])
        row = terms[name.capitalize()]
        assert row[:5] == [str(ind["incidents"]["total"]), str(ind["incidents"]["significant"]),
                           formats.fmt_pct(ind["response"]["within_target_pct"]), str(ind["recirculation"]["wide_spread"]),
                           formats.fmt_pct(ind["acknowledgements"]["coverage_pct"])]
    assert terms[f"Year {YEAR}"][0] == str(year["incidents"]["total"])
    assert terms["Year before (2024-25)"][0] == str(before["incidents"]["total"])
    chart = {t["name"]: t for t in annual.charts()["chart-terms"]}
    assert sum(chart[YEAR]["y"]) == year["incidents"]["total"]
    assert sum(chart["2024-25"]["y"]) == before["incidents"]["total"]
    # the register events since the last review, and the legislation the policy cites
    events = next(t for t in year["triggers"] if t["id"] == "review_events")["value"]
    assert len(annual.rows("review-events")) == len(events) > 0
    assert set(annual.rows("legislation")) == {"Regulation of Investigatory Powers Act 2000", "GDPR 2018",
                                                "Human Rights Act 1998", "Equality Act 2010", "Defamation Act 2013"}
    points = annual.soup.select("ul.report-points li")
    assert any("GDPR 2018" in p.get_text() for p in points)
    assert "Evidence for each trigger that fired" in annual.text
    assert "Points for the review" in annual.text


def test_annual_report_checks_the_policy_document(annual, termly):
    """[policy] document names the planted DOCX: its 6 planted findings, and the shipped register's changes
    after its printed last review (1 Oct 2024) and by 31 Jul 2026 on its sections: harassment 26 Oct 2024,
    18 Dec 2025, 6 Apr 2026; data protection 19 Jun 2025, 5 Feb 2026, 19 Jun 2026. 12 rows."""
    table = annual.soup.find(id="policy-findings")
    rows = [[c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])] for tr in table.select("tbody tr")]
    assert len(rows) == 12
    kinds = [r[0] for r in rows]
    assert kinds.count("Outdated name") == 4 and kinds.count("Old edition of guidance") == 1
    assert kinds.count("Review date") == 1 and kinds.count("Change since the last review") == 6
    assert any("Google+" in r[2] for r in rows) and any("Keeping Children Safe in Education 2018" in r[2] for r in rows)
    assert "staff-social-media-policy.docx" in annual.text
    assert annual.soup.select_one('nav.report-contents a[href="#section-policy"]') is not None
    points = " ".join(li.get_text() for li in annual.soup.select("ul.report-points li"))
    assert "The policy document names 12 things to update" in points
    assert "Register as of 2 December 2026." in annual.text
    assert termly.soup.find(id="policy-findings") is None and "Register as of 2 December 2026." in termly.text


# --- disclosure control and privacy ----------------------------------------------------------------


def test_breach_outcomes_and_rules_are_published_for_the_year_only(termly, env):
    # the term's outcomes (4, 3 and 1) and rules (five cases over four rules, each 1 or 2) are not broken down in
    # the termly report: a term has too few for any breakdown to be safe once the year's are printed too
    ind = indicators_json("--term", TERM, *env["cli"])
    assert ind["breaches"]["by_outcome"] == {"no_case_to_answer": 4, "informal_advice": 3, "written_warning": 1}
    assert termly.soup.find(id="breach-outcomes") is None and termly.soup.find(id="breach-rules") is None
    assert "Outcomes and rules are published for the year as a whole" in termly.text


def test_no_report_shows_a_staff_reference_case_id_or_free_text(all_reports):
    secrets = private_values()
    assert len(secrets) > 40
    for report in all_reports:
        for path in (report.files.html, report.files.ipynb):
            text = path.read_text("utf-8").lower()
            found = sorted(s for s in secrets if s.lower() in text)
            assert not found, f"{path.name} shows {found}"


def test_a_term_without_incidents_renders_and_says_so(empty):
    assert "No incidents were reported in this term." in empty.text
    assert empty.rows("headline")["Incidents"][0] == "0"
    assert "chart-category" not in empty.charts()
    assert "No material needed removing in this term." in empty.text


# --- a self-contained page ---------------------------------------------------------------------------


def test_html_is_self_contained_with_code_hidden(all_reports):
    for report in all_reports:
        soup, html = report.soup, report.html
        assert not soup.find_all("script", src=True), "no script may load from elsewhere"
        assert not soup.find_all("link"), "no stylesheet or font may load from elsewhere"
        for tag in soup.find_all(src=True):
            assert tag["src"].startswith("data:"), tag
        for style in soup.find_all("style"):
            assert "@import" not in style.text and "url(http" not in style.text
        # nothing outside plotly.js itself (whose code names a few CDNs it never calls here) names a CDN
        rest = "".join(str(t) for t in soup.find_all("script") if "* plotly.js v" not in t.text)
        rest += "".join(str(t) for t in soup.find_all(["style", "head"]))
        for cdn in ("cdnjs", "jsdelivr", "unpkg", "cdn.plot.ly", "googleapis", "mathjax", "require.js"):
            assert cdn not in rest.lower(), cdn
        # plotly.js embedded exactly once, however many charts
        assert html.count("* plotly.js v") == 1
        assert html.count("Plotly.newPlot(") == len(report.charts())
        # no code, prompts or kernel messages
        assert "report_data.gather" not in html and "rs.show(" not in html
        assert "jp-InputArea-editor" not in html and "In&nbsp;[" not in html
        assert "Traceback" not in report.text
        assert 'name="viewport"' in html and "@media print" in html and "size: A4" in html


# --- in a real browser, offline --------------------------------------------------------------------

CHROMIUM = reports.find_chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (CI installs Debian's chromium)")


def run_offline_chromium(url: str) -> tuple[str, list[dict]]:
    """Load a page in headless Chromium with DNS and proxying made to fail; the DOM after scripts ran,
    and the requests the page itself started (Chromium's own background requests are left out)."""
    with tempfile.TemporaryDirectory() as profile:
        netlog = Path(profile) / "netlog.json"
        command = reports.chromium_command(CHROMIUM, str(Path(profile) / "user")) + [
            f"--log-net-log={netlog}", "--virtual-time-budget=10000", "--window-size=390,2000", "--dump-dom", url]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        log = json.loads(netlog.read_text())
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    page_requests = [
        e["params"] for e in log["events"]
        if names.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in e.get("params", {})
        and e["params"].get("initiator") != "not an origin"
    ]
    return done.stdout, page_requests


@needs_chromium
def test_the_network_probe_sees_a_page_request(tmp_path):
    """The check below would notice a page that loads something: prove it on one that does."""
    probe = tmp_path / "probe.html"
    probe.write_text('<!doctype html><script src="https://cdn.plot.ly/plotly-2.min.js"></script>', "utf-8")
    _, requests = run_offline_chromium(probe.as_uri())
    assert any("cdn.plot.ly" in r.get("url", "") for r in requests)


@needs_chromium
def test_every_chart_draws_offline_and_the_page_requests_nothing(all_reports):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:  # one browser per report, side by side
        results = list(pool.map(lambda r: run_offline_chromium(r.files.html.as_uri()), all_reports))
    for report, (dom, requests) in zip(all_reports, results):
        assert requests == [], f"{report.files.html.name} made requests: {requests}"
        drawn = BeautifulSoup(dom, "html.parser")
        divs = drawn.select("div.plotly-graph-div")
        assert len(divs) == len(report.charts())
        for div in divs:
            assert div.select("svg.main-svg"), f"chart {div.get('id')} was not drawn in {report.files.html.name}"
            assert div.select(".gtitle"), f"chart {div.get('id')} has no title"
            assert div.select(".xtitle") and div.select(".ytitle"), f"chart {div.get('id')} lacks axis titles"
        if report.charts():
            assert drawn.select(".main-svg .bars, .main-svg .trace.bars")


@needs_chromium
def test_pdf_is_printed_on_a4(termly, tmp_path):
    pdf = reports.print_pdf(termly.files.html, tmp_path / "report.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert re.search(rb"/MediaBox\s*\[\s*0 0 59[45]\.\d+ 84[12]\.\d+\s*\]", data), "A4 pages (595 x 842 pt)"


def test_annual_report_with_a_missing_policy_document_says_so_plainly(env, capsys, tmp_path):
    config = tmp_path / "settings.toml"
    config.write_text(SETTINGS_TOML.replace("policy/staff-social-media-policy.docx", "policy/gone.docx"), encoding="utf-8")
    status = cli.main(["report", "annual", "--year", YEAR, "--out", str(tmp_path), "--db", env["db"], "--config", str(config)])
    assert status == 1
    err = capsys.readouterr().err
    assert f"The policy document {tmp_path / 'policy' / 'gone.docx'} does not exist." in err
    assert f"named by [policy] document in {config}" in err and "Traceback" not in err
    assert not list(tmp_path.glob("*.html"))  # refused before any work


def test_pdf_without_chromium_says_so_plainly(env, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("POLICY_ANALYTICS_CHROMIUM", str(tmp_path / "no-such-chromium"))
    status = cli.main(["report", "termly", "--term", TERM, "--pdf", "--out", str(tmp_path), *env["cli"]])
    assert status == 1
    err = capsys.readouterr().err
    assert "No Chromium or Chrome was found" in err and "apt-get install chromium" in err
    assert "Traceback" not in err
    assert not list(tmp_path.glob("*.html"))  # refused before any work


def test_report_errors_are_plain(env, capsys, tmp_path):
    assert cli.main(["report", "termly", "--term", "2025-26-winter", "--out", str(tmp_path), *env["cli"]]) == 2
    assert cli.main(["report", "termly", "--term", TERM, "--school", "Nowhere School", "--out", str(tmp_path),
                     *env["cli"]]) == 2
    assert cli.main(["report", "annual", "--year", YEAR, "--db", str(tmp_path / "none.duckdb"),
                     "--config", env["config"], "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "Nowhere School" in err and "no warehouse" in err.lower() and "Traceback" not in err


def test_demo_renders_both_reports_without_identifiers(tmp_path, monkeypatch, capsys):
    """`policy-analytics demo` end to end on the realistic synthetic trust: both reports, nothing private in them."""
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo", "--out", str(tmp_path / "exports"), "--db", str(tmp_path / "demo.duckdb")]) == 0
    printed = capsys.readouterr().out
    # Each hint names the demo's own warehouse and settings, so it runs as printed (it failed without them).
    hints = [line.split(": ", 1)[1] for line in printed.splitlines() if "see every rejected row with" in line]
    assert hints and all(f"--db {tmp_path / 'demo.duckdb'} --config " in hint for hint in hints)
    assert cli.main(shlex.split(hints[0])[1:]) == 0
    capsys.readouterr()
    termly_html = Path("reports") / "termly_2025-26-spring_organisation.html"  # the last term ended in the demo data
    annual_html = Path("reports") / "annual_2025-26_organisation.html"
    for path in (termly_html, annual_html):
        assert f"Report: {path}" in printed
        assert path.is_file() and path.with_suffix(".ipynb").is_file()
    secrets = set()
    for export in (tmp_path / "exports").glob("*.csv"):
        text = export.read_bytes().decode("utf-8-sig", errors="replace")
        secrets |= set(re.findall(r"SYN-[A-Z]+-?\d+", text))
    assert len(secrets) > 100
    for path in (termly_html, annual_html):
        text = path.read_text("utf-8")
        assert "Synthetic example:" not in text  # every demo description starts so
        assert not set(re.findall(r"SYN-[A-Z]+-?\d+", text)) & secrets



def test_a_cell_over_its_time_limit_is_a_plain_error(env, monkeypatch, tmp_path, capsys):
    # A stand-in termly notebook whose second cell sleeps for 30 s, against a 1 s limit per cell.
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    notebook.cells = [
        nbformat.v4.new_code_cell('period = ""\nschool = ""\nwarehouse = ""\nsettings_path = ""\nsuppress_below = 0',
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import time\ntime.sleep(30)"),
    ]
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nbformat.write(notebook, folder / reports.NOTEBOOKS["termly"])
    monkeypatch.setenv(reports.NOTEBOOKS_ENV, str(folder))
    monkeypatch.setattr(reports, "EXECUTION_TIMEOUT", 1)
    status = cli.main(["report", "termly", "--term", TERM, *env["cli"], "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 1
    assert "time limit" in err and "POLICY_ANALYTICS_REPORT_TIMEOUT" in err
    assert "Traceback" not in err


def test_a_finished_report_kernel_is_shut_down_without_an_interrupt():
    """jupyter_client sends SIGINT before a shutdown; the kernel then logs "KeyboardInterrupt caught in kernel"."""
    import asyncio
    import signal

    async def run(manager_class) -> list[int]:
        sent: list[int] = []
        km = manager_class(kernel_name="python3")
        original = km._async_signal_kernel

        async def record(signum: int) -> None:
            sent.append(signum)
            await original(signum)

        km._async_signal_kernel = record
        await km.start_kernel()
        try:
            await km.interrupt_kernel()  # an interrupt while running (a cell over its time limit) still goes
        finally:
            await km.shutdown_kernel()
        return sent

    with reports._kernel_manager_class() as manager:
        if manager is None:
            pytest.skip("no IPC kernels on this platform")
        assert asyncio.run(run(manager)) == [signal.SIGINT]  # the one asked for, none at shutdown
