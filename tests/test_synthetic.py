"""The synthetic exports: deterministic, clearly synthetic, messy in the ways docs/hr/exports.md allows."""

from __future__ import annotations

import csv
import functools
import io
import re
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from python_calamine import CalamineWorkbook

from policy_analytics import synthetic
from policy_analytics.synthetic import (
    DESCRIPTION_PREFIX,
    SCHOOLS,
    SYNTHETIC_DESCRIPTIONS,
    deliberate_errors,
    generate_demo_exports,
    generate_scale_exports,
)

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"
UK_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}( \d{2}:\d{2}(:\d{2})?)?$")
SCHOOL_NAMES = {school.name for school in SCHOOLS}

# The vocabularies of docs/hr/exports.md, written out independently of the generator so the test checks the contract.
PLATFORMS = {"facebook", "fb", "instagram", "insta", "ig", "tiktok", "tik_tok", "x", "twitter", "x.com",
             "x_(twitter)", "whatsapp", "whats_app", "youtube", "you_tube", "snapchat", "snap", "linkedin", "other"}
CATEGORIES = {"confidential", "bullying", "discrimination_harassment", "harassment", "discrimination",
              "victimisation", "disrepute", "offensive", "lewd", "sexually_explicit", "threatening", "reputation",
              "defamatory", "false", "knowingly_false", "copyright", "unlawful", "grooming", "exploitation",
              "stalking", "inappropriate_material", "hateful_language", "self_harm", "violence", "risk_taking",
              "sexting", "fake_profile", "catfishing", "live_streaming", "cyberbullying_of_staff"}
SEVERITIES = {"low", "medium", "high", "critical"}
FLAGS = {"yes", "no", "y", "n", "true", "false", "1", "0", ""}
SUBMITTERS = {"staff", "pupil", "parent", "public", "unknown", ""}
OUTCOMES = {"no_case_to_answer", "informal_advice", "written_warning", "final_warning", "dismissal",
            "referred_to_police", ""}
GROUPS = {"teaching", "support", "leadership", "governor", "volunteer", "contractor"}
EMPLOYMENT = {"full_time", "part_time", "fixed_term", ""}


def vocab(value: str) -> str:
    """A value as docs/hr/exports.md matches it: case-insensitive, spaces and hyphens as underscores."""
    return re.sub(r"[ -]", "_", value.strip().lower())


def uk_moment(value: str) -> datetime | None:
    """Parse a UK day-first date or datetime; None for blank; ValueError if unparseable."""
    if not value:
        return None
    for shape in ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, shape)
        except ValueError:
            continue
    raise ValueError(value)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    paths = generate_demo_exports(tmp_path_factory.mktemp("demo"))
    return {kind: files[0] for kind, files in paths.items()}


def read_incidents(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def read_acknowledgements(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("cp1252")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


@functools.cache
def error_rows(kind: str) -> frozenset[int]:
    return frozenset(error.row for error in deliberate_errors() if error.kind == kind)


def test_same_seed_gives_byte_identical_files(demo: dict[str, Path], tmp_path: Path) -> None:
    again = generate_demo_exports(tmp_path / "again")
    assert set(again) == {"incidents", "breaches", "acknowledgements"}
    for kind, files in again.items():
        assert files[0].read_bytes() == demo[kind].read_bytes(), kind
    other = generate_demo_exports(tmp_path / "other", seed=99)
    assert other["incidents"][0].read_bytes() != demo["incidents"].read_bytes()


def test_incidents_have_title_case_headers_and_uk_dates(demo: dict[str, Path]) -> None:
    raw = demo["incidents"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark, as many systems write
    header = raw.decode("utf-8-sig").splitlines()[0].split(",")
    for column in ("Incident ID", "Reported At", "Removal Requested At", "Removed At", "Platforms Reached",
                   "Logged By"):
        assert column in header
    rows = read_incidents(demo["incidents"])
    reported = [row["Reported At"] for row in rows if row["Reported At"]]
    assert all(UK_DATE.match(value) for value in reported)
    assert any(int(value.split("/")[0]) > 12 for value in reported)  # unambiguously day-first
    assert any(re.match(r"^\d/\d{1,2}/", value) for value in reported)  # no leading zero
    assert any(re.match(r"^\d{2}/\d{2}/\d{4}$", row["Posted At"]) for row in rows)  # date only


def test_incident_volumes_and_response_pattern_are_realistic(demo: dict[str, Path]) -> None:
    spoilt = error_rows("incidents")
    rows = [row for number, row in enumerate(read_incidents(demo["incidents"]), start=2) if number not in spoilt]
    per_school_year: dict[tuple[str, int], int] = {}
    for row in rows:
        moment = uk_moment(row["Reported At"])
        year = moment.year if moment.month >= 9 else moment.year - 1
        per_school_year[row["School"], year] = per_school_year.get((row["School"], year), 0) + 1
    assert len(per_school_year) == 9
    assert all(10 <= count <= 48 for count in per_school_year.values()), per_school_year
    removed = [(uk_moment(row["Removed At"]) - uk_moment(row["Reported At"])).total_seconds() / 3600
               for row in rows if row["Removed At"]]
    within = sum(hours <= 24 for hours in removed) / len(removed)
    assert 0.7 <= within <= 0.95
    assert any(24 < hours <= 72 for hours in removed)
    assert any(row["Removal Requested At"] and not row["Removed At"] for row in rows)  # still visible
    assert "Mastodon" in {row["Platform"] for row in rows}


def test_every_row_is_valid_except_the_deliberate_errors(demo: dict[str, Path]) -> None:
    spoilt = error_rows("incidents")
    rows = read_incidents(demo["incidents"])
    assert len(spoilt) == 8  # seven rule breaks and the earlier copy of a repeated id
    ids = [row["Incident ID"] for row in rows]
    assert len(ids) - len(set(ids)) == 1
    for number, row in enumerate(rows, start=2):
        problems = []
        try:
            moments = {column: uk_moment(row[column]) for column in
                       ("Reported At", "Posted At", "Removal Requested At", "Removed At")}
        except ValueError:
            problems.append("date")
            moments = {}
        if not row["Reported At"]:
            problems.append("reported_at")
        if moments.get("Removed At") and moments.get("Posted At") and moments["Removed At"] < moments["Posted At"]:
            problems.append("removed before posted")
        if vocab(row["Severity"]) not in SEVERITIES:
            problems.append("severity")
        if not re.fullmatch(r"\d*", row["Shares"]) or not re.fullmatch(r"\d*", row["Platforms Reached"]):
            problems.append("count")
        elif row["Platforms Reached"] and int(row["Platforms Reached"]) < 1:
            problems.append("platforms")
        assert vocab(row["Platform"]) in PLATFORMS or row["Platform"] == "Mastodon"
        assert vocab(row["Category"]) in CATEGORIES
        assert vocab(row["Submitted By"]) in SUBMITTERS
        for flag in ("Safeguarding", "Police Referral", "ISP Escalation", "Support Offered"):
            assert vocab(row[flag]) in FLAGS
        assert row["School"] in SCHOOL_NAMES
        assert re.fullmatch(r"SYN-INC-\d{6}", row["Incident ID"])
        if number in spoilt and ids.count(row["Incident ID"]) == 1:
            assert len(problems) == 1, (number, problems)  # each invalid row breaks exactly one rule
        else:
            assert problems == [], (number, problems)
    for error in deliberate_errors():
        if error.kind == "incidents":
            assert rows[error.row - 2][error.column] == error.value


def test_descriptions_are_only_synthetic_text(demo: dict[str, Path]) -> None:
    allowed = {f"{DESCRIPTION_PREFIX} {text}" for texts in SYNTHETIC_DESCRIPTIONS.values() for text in texts}
    descriptions = [row["Description"] for row in read_incidents(demo["incidents"])]
    assert descriptions and all(text in allowed for text in descriptions)
    assert all(text.startswith("Synthetic example: ") for text in allowed)


def test_acknowledgements_are_windows_1252_with_semicolons(demo: dict[str, Path]) -> None:
    raw = demo["acknowledgements"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    assert "é" in text
    assert text.splitlines()[0] == ("Staff Ref;School;Staff Group;Employment;Department;Start Date;Leave Date;"
                                    "Policy Version;Acknowledged At")
    rows = read_acknowledgements(demo["acknowledgements"])
    assert {row["Policy Version"] for row in rows} == {"2024-10", "2021-09"}
    spoilt = error_rows("acknowledgements")
    assert len(spoilt) == 1
    current = [row for row in rows if row["Policy Version"] == "2024-10"]
    assert len({row["Staff Ref"] for row in current}) == len(current)
    for number, row in enumerate(rows, start=2):
        assert re.fullmatch(r"SYN-S\d{4}", row["Staff Ref"])
        assert row["School"] in SCHOOL_NAMES
        assert vocab(row["Employment"]) in EMPLOYMENT
        for column in ("Start Date", "Leave Date", "Acknowledged At"):
            assert not row[column] or UK_DATE.match(row[column])
        assert (vocab(row["Staff Group"]) in GROUPS) == (number not in spoilt)
    acknowledged = sum(bool(row["Acknowledged At"]) for row in current) / len(current)
    assert 0.8 <= acknowledged <= 0.97


def test_breaches_workbook_has_native_date_cells(demo: dict[str, Path]) -> None:
    sheet = CalamineWorkbook.from_path(str(demo["breaches"])).get_sheet_by_index(0).to_python()
    header, rows = sheet[0], sheet[1:]
    assert header[:9] == ["Breach ID", "Incident ID", "School", "Staff Ref", "Opened At", "Closed At", "Rule",
                          "Impact", "Outcome"]
    assert all(isinstance(row[4], date) for row in rows)
    assert any(isinstance(row[5], date) for row in rows)
    spoilt = error_rows("breaches")
    assert len(spoilt) == 1
    for number, row in enumerate(rows, start=2):
        assert re.fullmatch(r"SYN-BR-\d{4}", row[0]) and re.fullmatch(r"SYN-S\d{4}", row[3])
        assert vocab(row[6]) in CATEGORIES and vocab(row[8]) in OUTCOMES
        closed = row[5] if isinstance(row[5], date) else uk_moment(row[5]).date() if row[5] else None
        assert (closed is not None and closed < row[4]) == (number in spoilt)


def test_the_plain_install_holds_every_package_the_code_imports() -> None:
    """`policy-analytics demo` (which writes XLSX with openpyxl) must work without the dev extra."""
    import ast
    import tomllib

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text("utf-8"))["project"]
    declared = {re.split(r"[<>=\[ ;]", d)[0].lower().replace("-", "_") for d in project["dependencies"]}
    # modules that come with a declared package rather than under their own name
    provided = {"IPython": "ipykernel", "jupyter_client": "ipykernel", "traitlets": "ipykernel",
                "docx": "python_docx"}
    imported = set()
    for source in (Path(__file__).resolve().parents[1] / "src" / "policy_analytics").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "policy_analytics"}
    assert "openpyxl" in third_party
    missing = {m for m in third_party if provided.get(m, m).lower() not in declared}
    assert not missing, f"imported by the package but only in an extra: {missing}"


def test_scale_exports_have_exact_row_counts(tmp_path: Path) -> None:
    paths = generate_scale_exports(tmp_path, 10_000)
    with duckdb.connect() as connection:
        counts = {kind: connection.execute(f"SELECT count(*) FROM read_csv('{path}', all_varchar = true)").fetchone()[0]
                  for kind, path in paths.items()}
    assert counts == {"incidents": 10_000, "breaches": 200, "acknowledgements": 500}
    header = paths["incidents"].read_text(encoding="utf-8").splitlines()[:2]
    assert header[0].startswith("Incident ID,School,Reported At,Posted At,Removal Requested At,Removed At")
    assert UK_DATE.match(header[1].split(",")[2])
    assert not (tmp_path / ".duckdb_spill").exists()
    again = generate_scale_exports(tmp_path / "again", 10_000)
    assert again["incidents"].read_bytes() == paths["incidents"].read_bytes()


def test_command_line_writes_the_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert synthetic.main([str(tmp_path)]) == 0
    assert "incidents.csv" in capsys.readouterr().out
    assert {path.name for path in tmp_path.iterdir()} == {"incidents.csv", "breaches.xlsx", "acknowledgements.csv"}


def test_shipped_sample_is_the_generator_output(demo: dict[str, Path]) -> None:
    for path in demo.values():
        assert (SAMPLE_DIR / path.name).read_bytes() == path.read_bytes(), f"regenerate data/sample: {path.name}"
    readme = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    assert "python -m policy_analytics.synthetic data/sample" in readme
    for error in deliberate_errors():
        assert f"| {error.file} | {error.row} | {error.column} |" in readme
