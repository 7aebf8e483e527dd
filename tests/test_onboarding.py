"""A school's first real export (issue 10): its own headers and words, its spellings of school names, files
re-saved by a spreadsheet program. One test (or a few) per finding of the issue, each failing before it."""

from __future__ import annotations

import shlex
import shutil
import zipfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from policy_analytics import cli, db, indicators, load, periods
from policy_analytics.errors import UserError
from policy_analytics.reports import data as report_data
from policy_analytics.settings import load_settings

INC = "incident_id,school,reported_at,posted_at,removed_at,platform,category,severity,safeguarding,shares\n"
AUTUMN = periods.term("2025-26-autumn", load_settings(None))
SCHOOLS_TOML = """
[organisation]
name = "Onboarding Trust"
schools = ["Oakfield Primary School", "St Mary's Primary"]
"""


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(db.DB_ENV, raising=False)
    monkeypatch.delenv("POLICY_ANALYTICS_CONFIG", raising=False)


def _config(folder: Path, text: str = SCHOOLS_TOML) -> Path:
    path = folder / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = cli.main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def _rows(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# --- 1. school names: one school, however it is spelt ---------------------------------------------------------

SPELLINGS = ["Oakfield Primary School", "oakfield primary school", "  Oakfield  Primary School. ",
             "St Mary's Primary", "St Marys Primary", "St Mary\u2019s Primary", "st mary's primary", "St. Mary's Primary"]


def test_spellings_of_a_listed_school_are_stored_as_that_school_with_the_raw_text_beside(tmp_path, capsys):
    config = _config(tmp_path)
    export = tmp_path / "incidents.csv"
    export.write_text(INC + "".join(f"I{n},{s},07/10/2025,,,fb,bullying,low,no,\n" for n, s in enumerate(SPELLINGS)))
    warehouse = tmp_path / "w.duckdb"
    status, out, _ = _run(capsys, "load", str(export), "--db", str(warehouse), "--config", str(config))
    assert status == 0 and "not a school in the settings" not in out
    stored = _rows(warehouse, "SELECT incident_id, school, school_raw FROM incidents ORDER BY incident_id")
    assert [s for _, s, _ in stored] == ["Oakfield Primary School"] * 3 + ["St Mary's Primary"] * 5
    assert [r for _, _, r in stored] == [None, "oakfield primary school", "Oakfield  Primary School.",
                                         None, "St Marys Primary", "St Mary\u2019s Primary", "st mary's primary",
                                         "St. Mary's Primary"]
    settings = load_settings(config)
    con = db.connect(warehouse, settings, read_only=True)
    try:
        assert indicators.school_names(con) == ["Oakfield Primary School", "St Mary's Primary"]
        for spelling in SPELLINGS:  # --school takes any spelling
            expected = "Oakfield Primary School" if "oak" in spelling.lower() else "St Mary's Primary"
            assert indicators.resolve_school(con, settings, spelling) == expected
        by_school = indicators.compute_indicators_by_school(con, settings, AUTUMN, indicators.school_names(con))
        assert {s: ind["incidents"]["total"] for s, ind in by_school.items()} == {
            "Oakfield Primary School": 3, "St Mary's Primary": 5}
    finally:
        con.close()


def test_the_organisation_report_data_does_not_split_or_crash_on_a_spelling(tmp_path, capsys):
    """Before: `KeyError: 'oakfield primary school'` in both organisation reports."""
    config = _config(tmp_path)
    warehouse = tmp_path / "w.duckdb"
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(INC + "I1,Oakfield Primary School,07/10/2025,,,fb,bullying,low,no,\n"
                     "I2,Oakfield Primary School,08/10/2025,,,fb,bullying,low,no,\n")
    second.write_text(INC + "I3,oakfield primary school,09/10/2025,,,fb,bullying,high,no,\n")
    assert _run(capsys, "load", str(first), str(second), "--db", str(warehouse), "--config", str(config))[0] == 0
    for kind, label in (("termly", "2025-26-autumn"), ("annual", "2025-26")):
        found = report_data.gather(kind, label, None, warehouse, config)
        assert found.schools == ["Oakfield Primary School"]
        assert found.per_school["Oakfield Primary School"]["incidents"]["total"] == 3


def test_without_listed_schools_the_commonest_spelling_is_kept_and_later_files_join_it(tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"
    first, later = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(INC + "I1,Hillcrest High,07/10/2025,,,fb,bullying,low,no,\n"
                     "I2,Hillcrest High,07/10/2025,,,fb,bullying,low,no,\n"
                     "I3,HILLCREST HIGH,07/10/2025,,,fb,bullying,low,no,\n")
    later.write_text(INC + "I4,hillcrest high.,07/10/2025,,,fb,bullying,low,no,\n")
    assert _run(capsys, "load", str(first), str(later), "--db", str(warehouse))[0] == 0
    assert _rows(warehouse, "SELECT DISTINCT school FROM incidents") == [("Hillcrest High",)]


def test_a_roster_spelling_unlike_the_settings_still_counts_its_staff(tmp_path, capsys):
    """Before: "0 of 0 staff in post" for a school the roster spelt otherwise."""
    config = _config(tmp_path, SCHOOLS_TOML.replace('schools = ["Oakfield Primary School", "St Mary\'s Primary"]',
                                                    'schools = ["Oakfield Primary School"]'))
    roster = tmp_path / "roster.csv"
    roster.write_text("staff_ref,school,staff_group,policy_version,acknowledged_at\n"
                      "S1,OAKFIELD PRIMARY SCHOOL,teaching,2024-10,01/09/2025\n"
                      "S2,Oakfield Primary School.,support,2024-10,\n")
    warehouse = tmp_path / "w.duckdb"
    assert _run(capsys, "load", str(roster), "--db", str(warehouse), "--config", str(config))[0] == 0
    settings = load_settings(config)
    con = db.connect(warehouse, settings, read_only=True)
    try:
        found = indicators.compute_indicators(con, settings, AUTUMN, "oakfield primary school")["acknowledgements"]
    finally:
        con.close()
    assert (found["active_staff"], found["acknowledged"]) == (2, 1)


def test_a_urn_and_an_alias_name_the_listed_school_and_an_unknown_name_is_reported(tmp_path, capsys):
    config = _config(tmp_path, '[schools."Oakfield Primary School"]\nurn = "100001"\naliases = ["OPS"]\n'
                               '[schools."Riverside Academy"]\nurn = 100002\n')
    assert load_settings(config).schools == ("Oakfield Primary School", "Riverside Academy")
    breaches = tmp_path / "breaches.csv"
    breaches.write_text("breach_id,school,staff_ref,opened_at,rule\nB1,100001,S1,01/10/2025,bullying\n"
                        "B2,ops,S2,01/10/2025,bullying\nB3, 100002 ,S3,01/10/2025,bullying\n"
                        "B4,Oakfeld Primary,S4,01/10/2025,bullying\n")
    warehouse = tmp_path / "w.duckdb"
    status, out, _ = _run(capsys, "load", str(breaches), "--db", str(warehouse), "--config", str(config))
    assert status == 0
    assert "school 'Oakfeld Primary' (1 row) is not a school in the settings; the closest listed is 'Oakfield Primary School'" in out
    assert _rows(warehouse, "SELECT breach_id, school, school_raw FROM breaches ORDER BY 1") == [
        ("B1", "Oakfield Primary School", "100001"), ("B2", "Oakfield Primary School", "ops"),
        ("B3", "Riverside Academy", "100002"), ("B4", "Oakfeld Primary", None)]
    settings = load_settings(config)
    con = db.connect(warehouse, settings, read_only=True)
    try:
        assert indicators.resolve_school(con, settings, "100002") == "Riverside Academy"
    finally:
        con.close()


def test_a_warehouse_of_schema_1_has_its_spellings_merged_when_upgraded(tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"
    con = db.connect(warehouse, load_settings(None))
    # As schema 1 stored it: no school_raw, no rejects history, no rows_unchanged; two spellings of one school.
    con.execute("ALTER TABLE incidents DROP COLUMN school_raw; ALTER TABLE breaches DROP COLUMN school_raw; "
                "ALTER TABLE acknowledgements DROP COLUMN school_raw; DROP TABLE rejects_history; "
                "ALTER TABLE loads DROP COLUMN rows_unchanged; UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    for n, school in enumerate(["Oakfield Primary School", "Oakfield Primary School", "oakfield primary school"]):
        con.execute("INSERT INTO incidents (incident_id, school, reported_at, platform, category, submitted_by, severity, "
                    "safeguarding, police_referral, isp_escalation, support_offered, load_id, source_file, source_sha256, "
                    "source_row, loaded_at) VALUES (?, ?, TIMESTAMP '2025-10-07', 'Facebook', 'bullying', 'staff', 'low', "
                    "false, false, false, false, 1, 'a.csv', 'x', ?, TIMESTAMP '2026-01-05')", [f"I{n}", school, n + 2])
    con.close()
    con = db.connect(warehouse, load_settings(None))  # a writer upgrades it
    try:
        assert con.execute("SELECT incident_id, school, school_raw FROM incidents ORDER BY 1").fetchall() == [
            ("I0", "Oakfield Primary School", None), ("I1", "Oakfield Primary School", None),
            ("I2", "Oakfield Primary School", "oakfield primary school")]
        assert db.schema_version(con) == 2
    finally:
        con.close()


# --- 2. a partial re-export keeps what it does not hold ---------------------------------------------------------

def test_a_partial_re_export_updates_only_its_own_columns_and_names_the_kept_ones(tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"
    full, partial = tmp_path / "full.csv", tmp_path / "partial.csv"
    full.write_text(INC + "I1,Alder School,07/10/2025 10:00,06/10/2025 20:00,08/10/2025 09:00,fb,bullying,low,yes,30\n"
                    "I2,Alder School,08/10/2025 10:00,,,fb,bullying,low,no,2\n")
    partial.write_text("incident_id,reported_at,platform,category,severity\n"
                       "I1,07/10/2025 10:00,fb,bullying,high\nI2,08/10/2025 10:00,fb,bullying,low\n"
                       "I3,09/10/2025 10:00,fb,bullying,low\n")
    assert _run(capsys, "load", str(full), "--db", str(warehouse))[0] == 0
    status, out, _ = _run(capsys, "load", str(partial), "--db", str(warehouse))
    assert status == 0
    assert "3 rows read, 3 stored (1 new, 1 updated, 1 unchanged), 0 rejected." in out
    assert ("not in this file, so kept as stored: school, posted_at, removal_requested_at, removed_at, submitted_by, "
            "safeguarding, police_referral, isp_escalation, support_offered, shares, platforms_reached, description") in out
    assert _rows(warehouse, "SELECT incident_id, school, posted_at, removed_at, severity, safeguarding, shares "
                            "FROM incidents ORDER BY 1") == [
        ("I1", "Alder School", datetime(2025, 10, 6, 20), datetime(2025, 10, 8, 9), "high", True, 30),
        ("I2", "Alder School", None, None, "low", False, 2),
        ("I3", "Example Primary School", None, None, "low", False, None)]  # a new row: the settings' one school


# --- 3. month-first dates ------------------------------------------------------------------------------------

US_BREACHES = ("breach_id,staff_ref,opened_at,rule\nB1,S1,10/29/2023,bullying\nB2,S2,07/06/2026,bullying\n"
               "B3,S3,12/15/2025,bullying\n")


def test_a_month_first_column_is_refused_naming_row_value_and_the_fix(tmp_path, capsys):
    export = tmp_path / "breaches.csv"
    export.write_text(US_BREACHES)
    warehouse = tmp_path / "w.duckdb"
    db.connect(warehouse, load_settings(None)).close()
    before = _rows(warehouse, "SELECT count(*) FROM loads")
    status, out, err = _run(capsys, "load", str(export), "--db", str(warehouse))
    assert (status, out) == (1, "")
    assert "breaches.csv writes opened_at month first (row 2 has '10/29/2023', and no row is day first)" in err
    assert 'date_order = "month_first" under [exports.breaches]' in err and f"(--db {warehouse})" in err
    assert err.count("\n") == 1 and _rows(warehouse, "SELECT count(*) FROM loads") == before


def test_date_order_month_first_in_the_settings_reads_the_export_as_written(tmp_path, capsys):
    export = tmp_path / "breaches.csv"
    export.write_text(US_BREACHES)
    config = _config(tmp_path, '[exports.breaches]\ndate_order = "month_first"\n')
    warehouse = tmp_path / "w.duckdb"
    assert _run(capsys, "load", str(export), "--db", str(warehouse), "--config", str(config))[0] == 0
    assert _rows(warehouse, "SELECT breach_id, opened_at FROM breaches ORDER BY 1") == [
        ("B1", date(2023, 10, 29)), ("B2", date(2026, 7, 6)), ("B3", date(2025, 12, 15))]


def test_a_column_with_both_orders_is_not_refused_and_rejects_the_unreadable_rows(tmp_path):
    export = tmp_path / "breaches.csv"
    export.write_text(US_BREACHES + "B4,S4,29/10/2023,bullying\nB5,S5,30/10/2023,bullying\nB6,S6,31/10/2023,bullying\n")
    con = duckdb.connect()
    db.prepare_scratch(con, load_settings(None))
    result = load.load_file(con, export)
    assert (result.rows_read, result.rows_rejected) == (6, 2)


# --- 4. two-digit years, and a file mostly rejected -------------------------------------------------------------

def test_two_digit_years_are_this_century(tmp_path, capsys):
    """Before: 0 of 221 incidents stored, exit status 0."""
    export = tmp_path / "incidents.csv"
    export.write_text(INC + "I1,Alder School,01/09/23 14:05,31/08/23 22:00,,fb,bullying,low,no,\n"
                      "I2,Alder School,02/09/23,,,fb,bullying,low,no,\n")
    warehouse = tmp_path / "w.duckdb"
    assert _run(capsys, "load", str(export), "--db", str(warehouse))[0] == 0
    assert _rows(warehouse, "SELECT incident_id, reported_at, posted_at FROM incidents ORDER BY 1") == [
        ("I1", datetime(2023, 9, 1, 14, 5), datetime(2023, 8, 31, 22)), ("I2", datetime(2023, 9, 2), None)]


def test_a_file_more_than_half_rejected_is_refused_with_its_three_commonest_reasons(tmp_path, capsys):
    export = tmp_path / "incidents.csv"
    export.write_text(INC + "I1,A,07/10/2025,,,fb,bullying,low,no,\n" + "".join(
        f"X{n},A,{'yesterday' if n < 3 else '07/10/2025'},,,fb,{'gossip' if n >= 3 else 'bullying'},"
        f"{'huge' if n == 5 else 'low'},no,\n" for n in range(6)))
    warehouse = tmp_path / "w.duckdb"
    status, out, err = _run(capsys, "load", str(export), "--db", str(warehouse))
    assert (status, out) == (1, "")
    assert "incidents.csv: 6 of 7 rows would be rejected, more than half, so nothing was loaded" in err
    assert "reported_at is not a date this tool reads" in err and "(3 rows)" in err
    assert "category is not a known category" in err and "severity is not a known severity" in err
    assert f"policy-analytics check --json {export} --db {warehouse}" in err and "--accept-rejects" in err
    assert _rows(warehouse, "SELECT count(*) FROM incidents") == [(0,)]
    status, out, _ = _run(capsys, "load", str(export), "--accept-rejects", "--db", str(warehouse))
    assert status == 0 and "7 rows read, 1 stored (1 new, 0 updated), 6 rejected." in out


# --- 5. a byte-order mark read as text, and what a header row holds ---------------------------------------------

def test_a_mojibake_byte_order_mark_in_a1_is_stripped(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["\u00ef\u00bb\u00bfIncident ID", "Reported At", "Platform", "Category", "Severity"])
    sheet.append(["I1", "07/10/2025", "fb", "bullying", "low"])
    path = tmp_path / "from-csv.xlsx"
    book.save(path)
    con = duckdb.connect()
    db.prepare_scratch(con, load_settings(None))
    assert load.load_file(con, path).rows_new == 1


def test_a_missing_column_refusal_lists_the_headers_found(tmp_path):
    path = tmp_path / "ours.csv"
    path.write_text("Ref,Date Logged,Network,Type,Severity\nI1,07/10/2025,fb,bullying,low\n")
    with pytest.raises(UserError) as refused:
        load.load_file(duckdb.connect(), path, kind="incidents")
    message = str(refused.value)
    assert "is missing the required columns incident_id, reported_at, platform, category for incidents" in message
    assert "; its header row has 'Ref', 'Date Logged', 'Network', 'Type', 'Severity'. Nothing was loaded" in message
    assert "[columns.incidents]" in message and f"check --suggest {path}" in message


# --- 6. counts that say what happened -------------------------------------------------------------------------

def test_the_same_rows_saved_by_another_program_are_unchanged_not_updated(tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"
    first, resaved = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(INC + "I1,Alder School,07/10/2025,,,fb,bullying,low,no,3\nI2,Alder School,08/10/2025,,,fb,bullying,low,no,\n")
    resaved.write_bytes(b'\xef\xbb\xbf' + (INC + '"I1","Alder School","07/10/2025 00:00",,,"fb","Bullying","Low","No","3"\n'
                        '"I2",Alder School,2025-10-08,,,Facebook,bullying,low,no,\n').replace("\n", "\r\n").encode())
    assert _run(capsys, "load", str(first), "--db", str(warehouse))[0] == 0
    status, out, _ = _run(capsys, "load", str(resaved), "--db", str(warehouse))
    assert status == 0 and "2 rows read, 2 stored (0 new, 0 updated, 2 unchanged), 0 rejected." in out
    assert _rows(warehouse, "SELECT DISTINCT source_file FROM incidents") == [("a.csv",)]  # not rewritten


def test_loading_a_file_again_replaces_its_rejects_and_rejects_all_shows_the_history(tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"
    export = tmp_path / "incidents.csv"
    good = "".join(f"G{n},Alder School,07/10/2025,,,fb,bullying,low,no,\n" for n in range(8))
    for attempt in range(3):  # three loads of a file with 2 bad rows (other bytes each time, so each is loaded)
        export.write_text(INC + good + f"B1,Alder School,never,,,fb,bullying,low,no,{attempt}\n"
                          "B2,Alder School,07/10/2025,,,fb,gossip,low,no,\n")
        assert _run(capsys, "load", str(export), "--db", str(warehouse))[0] == 0
    settings = load_settings(None)
    con = db.connect(warehouse, settings, read_only=True)
    try:
        assert indicators.compute_indicators(con, settings, AUTUMN)["data"]["incidents"]["rejected"] == 2
        assert len(db.list_rejects(con)) == 2 and len(db.list_rejects(con, history=True)) == 6
    finally:
        con.close()
    assert len(_run(capsys, "rejects", "--db", str(warehouse))[1].splitlines()) == 2
    assert len(_run(capsys, "rejects", "--all", "--db", str(warehouse))[1].splitlines()) == 6


# --- 7. every spreadsheet the reader opens ----------------------------------------------------------------------

def _xlsx(path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    for row in (["incident_id", "reported_at", "platform", "category", "severity"], ["I1", "07/10/2025", "fb", "bullying", "low"]):
        book.active.append(row)
    book.save(path)
    return path


def _rezip(source: Path, target: Path, name, text=lambda t: t) -> Path:
    """SOURCE's parts written again: each part's name through NAME, the text of its XML through TEXT."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename.endswith((".xml", ".rels")):
                data = text(data.decode()).encode()
            new.writestr(name(item.filename), data)
    return target


def _ods(path: Path) -> Path:
    cells = lambda values: "".join(  # noqa: E731
        f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>' for v in values)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
        '<office:spreadsheet><table:table table:name="Sheet1">'
        f'<table:table-row>{cells(["incident_id", "reported_at", "platform", "category", "severity"])}</table:table-row>'
        f'<table:table-row>{cells(["I1", "07/10/2025", "fb", "bullying", "low"])}</table:table-row>'
        '</table:table></office:spreadsheet></office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    return path


def _xls(path: Path) -> Path:
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    for r, row in enumerate((["incident_id", "reported_at", "platform", "category", "severity"],
                             ["I1", "07/10/2025", "fb", "bullying", "low"])):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(path))
    return path


@pytest.mark.parametrize("made", ["backslash part paths", "workbook.xml at the root", "ods", "xls", "xlsx named .csv"])
def test_every_spreadsheet_the_reader_opens_loads_like_an_xlsx(tmp_path, made):
    plain = _xlsx(tmp_path / "plain.xlsx")
    path = {
        "backslash part paths": lambda: _rezip(plain, tmp_path / "export.xlsx", lambda n: n.replace("/", "\\")),
        "workbook.xml at the root": lambda: _rezip(plain, tmp_path / "export.xlsx", lambda n: n.removeprefix("xl/"),
                                                   lambda t: t.replace("/xl/", "/").replace("xl/", "")),
        "ods": lambda: _ods(tmp_path / "export.ods"),
        "xls": lambda: _xls(tmp_path / "export.xls"),
        "xlsx named .csv": lambda: Path(shutil.copyfile(plain, tmp_path / "export.csv")),
    }[made]()
    con = duckdb.connect()
    db.prepare_scratch(con, load_settings(None))
    result = load.load_file(con, path)
    assert (result.kind, result.rows_new, result.rows_rejected) == ("incidents", 1, 0)
    assert con.execute("SELECT incident_id, reported_at FROM incidents").fetchall() == [("I1", datetime(2025, 10, 7))]


def test_a_zip_that_is_no_spreadsheet_is_refused_naming_what_it_holds(tmp_path):
    path = tmp_path / "exports.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("incidents.csv", "incident_id\n")
    with pytest.raises(UserError, match=r"exports.xlsx is a zip archive, not a CSV or XLSX export: it is an archive "
                                        r"holding incidents.csv, not a spreadsheet \(XLSX, XLSM, XLSB, XLS or ODS\)"):
        load.load_file(duckdb.connect(), path)


# --- 8. hints that work ----------------------------------------------------------------------------------------

def test_every_hint_repeats_db_and_config_and_check_points_at_itself(tmp_path, capsys):
    config = _config(tmp_path)
    warehouse = tmp_path / "w.duckdb"
    export = tmp_path / "incidents.csv"
    export.write_text(INC + "I1,St Mary's Primary,07/10/2025,,,fb,bullying,low,no,\nI2,St Mary's Primary,never,,,fb,bullying,low,no,\n")
    common = ["--db", str(warehouse), "--config", str(config)]
    status, out, _ = _run(capsys, "check", str(export), *common)
    (hint,) = [line.split(": ", 1)[1] for line in out.splitlines() if "see every rejected row with" in line]
    assert hint == f"policy-analytics check --json {export} --db {warehouse} --config {config}"
    status, out, _ = _run(capsys, "load", str(export), *common)
    (hint,) = [line.split(": ", 1)[1] for line in out.splitlines() if "see every rejected row with" in line]
    assert hint == f"policy-analytics rejects --file incidents.csv --db {warehouse} --config {config}"
    status, out, _ = _run(capsys, *shlex.split(hint)[1:])  # the hint, run as printed, works
    assert status == 0 and "incidents.csv row 3, column reported_at: 'never'" in out


# --- settings ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("toml", "words"), [
    ('[columns.incidents]\n"Date Logged" = "logged_at"\n', "maps 'Date Logged' to 'logged_at', which is not a column of incidents"),
    ('[columns.complaints]\n"A" = "b"\n', "[columns.complaints] is not an export"),
    ('[values.category]\n"Name calling" = "teasing"\n', "maps 'Name calling' to 'teasing', which is not a category value"),
    ('[values.mood]\n"Happy" = "low"\n', "[values.mood] is not a vocabulary"),
    ('[exports.breaches]\ndate_order = "backwards"\n', "exports.breaches.date_order = 'backwards' is not a known setting"),
    ('[schools."A School"]\npostcode = "X"\n', 'schools."A School" must be a table with only urn and aliases'),
])
def test_a_mistake_in_a_mapping_section_is_named(tmp_path, toml, words):
    with pytest.raises(UserError, match=None) as refused:
        load_settings(_config(tmp_path, toml))
    assert words in str(refused.value)


def test_a_values_mapping_is_matched_like_a_vocabulary(tmp_path):
    config = _config(tmp_path, '[values.severity]\n"Red Alert" = "high"\n[values.category]\n"Name-calling" = "bullying"\n')
    export = tmp_path / "incidents.csv"
    export.write_text(INC + "I1,A,07/10/2025,,,fb,name calling,RED ALERT,no,\nI2,A,07/10/2025,,,fb,Name-Calling,  red  alert ,no,\n")
    con = db.connect(tmp_path / "w.duckdb", load_settings(config))
    try:
        result = load.load_file(con, export, settings=load_settings(config))
        assert result.rows_rejected == 0
        assert con.execute("SELECT DISTINCT category, severity FROM incidents").fetchall() == [("bullying", "high")]
    finally:
        con.close()


# --- a foreign export set, end to end ----------------------------------------------------------------------------
# The reports' fixture exports (test_render) as another system writes them: its own headers, its own category and
# severity words, Alder School spelt three ways and by its URN, and dates as dd/mm/yy. Through `check --suggest`,
# the settings the school writes from it, `load` and both organisation reports, every figure equals the canonical's.

FOREIGN_HEADERS = {
    "Incident ID": "Case Ref", "School": "Site", "Reported At": "Date Logged", "Posted At": "Date Posted Online",
    "Removal Requested At": "Takedown Requested", "Removed At": "Taken Down", "Platform": "Network",
    "Category": "Concern Type", "Submitted By": "Raised By", "Severity": "Risk Rating", "Safeguarding": "DSL Informed",
    "Police Referral": "Police Informed", "ISP Escalation": "Reported To Provider", "Support Offered": "Support Given",
    "Shares": "Times Shared", "Platforms Reached": "Sites Reached", "Description": "Summary",
    "Breach ID": "Investigation No", "Staff Ref": "Employee No", "Opened At": "Date Opened", "Closed At": "Date Closed",
    "Rule": "Policy Clause", "Staff Group": "Role Type", "Employment": "Contract", "Acknowledged At": "Signed On",
}
FOREIGN_WORDS = {  # canonical value -> the school's word
    "bullying": "Peer Unkindness", "cyberbullying_of_staff": "Online Abuse Of Staff", "offensive": "Threats Or Obscenity",
    "copyright": "Work Copied", "defamatory": "False Claims", "inappropriate_material": "Hate Content",
    "sexting": "Image Sharing", "grooming": "Predatory Contact", "disrepute": "Bringing The School Into Disrepute",
    "confidential": "Breach Of Confidence", "reputation": "Reputational Harm",
    "low": "Green", "medium": "Amber", "high": "Red", "critical": "Black",
}
ALDER_SPELLINGS = ["Alder School", "ALDER SCHOOL", "alder school.", "100001"]

FOREIGN_SETTINGS = '''
[columns.incidents]
"Case Ref" = "incident_id"
"Site" = "school"
"Date Logged" = "reported_at"
"Date Posted Online" = "posted_at"
"Takedown Requested" = "removal_requested_at"
"Taken Down" = "removed_at"
"Network" = "platform"
"Concern Type" = "category"
"Raised By" = "submitted_by"
"Risk Rating" = "severity"
"DSL Informed" = "safeguarding"
"Police Informed" = "police_referral"
"Reported To Provider" = "isp_escalation"
"Support Given" = "support_offered"
"Times Shared" = "shares"
"Sites Reached" = "platforms_reached"
"Summary" = "description"

[columns.breaches]
"Investigation No" = "breach_id"
"Site" = "school"
"Employee No" = "staff_ref"
"Date Opened" = "opened_at"
"Date Closed" = "closed_at"
"Policy Clause" = "rule"

[columns.acknowledgements]
"Employee No" = "staff_ref"
"Site" = "school"
"Role Type" = "staff_group"
"Contract" = "employment"
"Signed On" = "acknowledged_at"

[schools."Alder School"]
urn = "100001"
'''


def _foreign(header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """HEADER and ROWS as the foreign system writes them."""
    import re

    from policy_analytics import vocab

    canonical = {(d, vocab.vocab_key(s)): v for d, values in vocab.DOMAINS.items() for v, aliases in values.items()
                 for s in [v, *aliases]}
    columns = {"Category": "category", "Rule": "category", "Severity": "severity"}
    out = []
    for n, row in enumerate(rows):
        new = []
        for name, value in zip(header, row):
            if name in columns and value:
                value = FOREIGN_WORDS.get(canonical.get((columns[name], vocab.vocab_key(value)), value), value)
            elif name == "School" and value == "Alder School":
                value = ALDER_SPELLINGS[n % len(ALDER_SPELLINGS)]
            value = re.sub(r"^(\d{2}/\d{2}/)20(\d{2})\b", r"\1\2", value)
            new.append(value)
        out.append(new)
    return [FOREIGN_HEADERS.get(h, h) for h in header], out


def _figures(warehouse: Path, config: Path) -> dict:
    """Every indicator for the organisation and each school, for the reports' terms and year (load times left out)."""
    import test_render as fixture

    settings = load_settings(config)
    con = db.connect(warehouse, settings, read_only=True)
    try:
        found = {}
        for label in (fixture.TERM, fixture.PREVIOUS_TERM, fixture.YEAR):
            period = periods.resolve(settings, year=label) if label == fixture.YEAR else periods.term(label, settings)
            for school in (None, *indicators.school_names(con)):
                figures = indicators.compute_indicators(con, settings, period, school)
                for block in figures["data"].values():
                    block.pop("last_loaded")
                found[(label, school)] = figures
        return found
    finally:
        con.close()


def _report_cells(html: Path) -> list[str]:
    """Every table cell, heading and paragraph of a rendered report, with its generation time left out."""
    import re

    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html.read_text("utf-8"), "html.parser")
    text = [node.get_text(" ", strip=True) for node in soup.find_all(["th", "td", "h1", "h2", "h3", "p", "li"])]
    return [re.sub(r"\d{1,2} \w{3} \d{4},? \d{2}:\d{2}|\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?", "<time>", t) for t in text]


def test_a_foreign_export_set_goes_suggest_settings_load_reports_with_the_canonical_figures(tmp_path, capsys):
    import test_render as fixture

    from policy_analytics.reports import render

    sets = {"incidents.csv": (fixture.INCIDENT_HEADER, fixture.INCIDENTS), "breaches.csv": (fixture.BREACH_HEADER, fixture.BREACHES),
            "acknowledgements.csv": (fixture.ACK_HEADER, fixture.ACKS)}
    canonical, foreign = tmp_path / "canonical", tmp_path / "foreign"
    canonical.mkdir(), foreign.mkdir()
    base = _config(canonical, fixture.SETTINGS_TOML)
    for folder in (canonical, foreign):  # the policy document the settings name, for the annual report
        (folder / "policy").mkdir()
        fixture.write_docx(fixture.PLANTED, folder / "policy" / "staff-social-media-policy.docx")
    for name, (header, rows) in sets.items():
        fixture._write_csv(canonical / name, header, rows)
        fixture._write_csv(foreign / name, *_foreign(header, rows))

    # 1. check --suggest: each missing required column with candidates, each unknown word with its count
    status, out, _ = _run(capsys, "check", "--suggest", str(foreign / "incidents.csv"), "--config", str(base))
    assert status == 0
    assert "[columns.incidents]" in out and "Nothing has been applied" in out
    lines = {line.split("#")[0].strip() for line in out.splitlines()}
    assert '"Case Ref" = "incident_id"' in lines
    for required in ("reported_at", "platform", "category", "severity"):
        (line,) = [line for line in out.splitlines() if line.split("#")[0].strip().endswith(f'= "{required}"')]
        assert f'"{ {"reported_at": "Date Logged", "platform": "Network", "category": "Concern Type", "severity": "Risk Rating"}[required]}"' in line
    green = sum(1 for row in fixture.INCIDENTS if row[9] == "low")
    assert f'"Green" = "' in out and f"# {green} rows;" in out.split('"Green" = "')[1].splitlines()[0]
    assert "[values.category]" in out and '"Peer Unkindness" = "' in out
    # nothing was written anywhere
    assert not (tmp_path / "data").exists() and not list(foreign.glob("*.duckdb"))

    # 2. the settings the school writes from the suggestion: the headers it confirmed, its own words
    words = "\n".join(f'"{w}" = "{v}"' for v, w in FOREIGN_WORDS.items() if v not in ("low", "medium", "high", "critical"))
    severities = "\n".join(f'"{w}" = "{v}"' for v, w in FOREIGN_WORDS.items() if v in ("low", "medium", "high", "critical"))
    config = _config(foreign, fixture.SETTINGS_TOML + FOREIGN_SETTINGS + f"\n[values.category]\n{words}\n\n[values.severity]\n{severities}\n")

    # 3. load both sets, each into its own warehouse
    for folder, settings in ((canonical, base), (foreign, config)):
        status, out, err = _run(capsys, "load", *(str(folder / n) for n in sets), "--db", str(folder / "w.duckdb"),
                                "--config", str(settings))
        assert (status, err) == (0, ""), err
    assert "mapped from the settings: Case Ref -> incident_id" in out
    assert _rows(foreign / "w.duckdb", "SELECT DISTINCT school FROM breaches ORDER BY 1") == [("Alder School",), ("Birch School",)]

    # 4. every figure, and both organisation reports, as the canonical export's
    assert _figures(foreign / "w.duckdb", config) == _figures(canonical / "w.duckdb", base)
    for kind, label in (("termly", fixture.TERM), ("annual", fixture.YEAR)):
        made = [render.render_report(kind, label, None, str(folder / "w.duckdb"), str(settings), folder / "reports").html
                for folder, settings in ((canonical, base), (foreign, config))]
        cells = _report_cells(made[0])
        assert len(cells) > 50 and any("Alder School" in c for c in cells)  # a report with figures in it
        assert _report_cells(made[1]) == cells


def test_a_school_listed_after_its_rows_were_stored_keeps_one_stored_name(tmp_path, capsys):
    """A spelling stored before the settings listed the school is kept, so no report splits it in two."""
    warehouse = tmp_path / "w.duckdb"
    first, later = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(INC + "I1,oakfield primary school,07/10/2025,,,fb,bullying,low,no,\n")
    later.write_text(INC + "I2,OPS,08/10/2025,,,fb,bullying,low,no,\n")
    assert _run(capsys, "load", str(first), "--db", str(warehouse))[0] == 0
    config = _config(tmp_path, '[schools."Oakfield Primary School"]\naliases = ["OPS"]\n')
    assert _run(capsys, "load", str(later), "--db", str(warehouse), "--config", str(config))[0] == 0
    assert _rows(warehouse, "SELECT DISTINCT school FROM incidents") == [("oakfield primary school",)]
    found = report_data.gather("termly", "2025-26-autumn", None, warehouse, config)
    assert found.per_school["oakfield primary school"]["incidents"]["total"] == 2
