"""Tests for loading exports (docs/hr/exports.md): every file is written by hand here, so each expected figure
can be checked by reading the fixture. Row numbers are as a spreadsheet shows them: the header is row 1."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from policy_analytics import cli, db, load, validation, vocab
from policy_analytics.errors import UserError
from policy_analytics.exports import Column
from policy_analytics.settings import Settings

SCHOOL = "Alder School"
SETTINGS = Settings(schools=(SCHOOL,))
EXPORT_TABLES = ("incidents", "breaches", "acknowledgements")
ALL_TABLES = (*EXPORT_TABLES, "loads", "rejects")

# The smallest valid incident: the five required columns.
INC = "incident_id,reported_at,platform,category,severity\n"
BR = "breach_id,staff_ref,opened_at,rule\n"
ACK = "staff_ref,staff_group,policy_version\n"


@pytest.fixture(autouse=True)
def _no_environment_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads the warehouse and settings paths given here, not the caller's environment.
    (conftest sets POLICY_ANALYTICS_DEBUG=1, so an unexpected DuckDB error raises.)"""
    monkeypatch.delenv(db.DB_ENV, raising=False)
    monkeypatch.delenv("POLICY_ANALYTICS_CONFIG", raising=False)


class Loader:
    """A warehouse in tmp_path, the exports written beside it, and ways to look inside."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db = folder / "warehouse.duckdb"
        self._con: duckdb.DuckDBPyConnection | None = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = db.connect(self.db, SETTINGS)
        return self._con

    def close(self) -> None:
        """Close our connection, before the CLI opens the file."""
        if self._con is not None:
            self._con.close()
            self._con = None

    def write(self, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = self.folder / name
        path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
        return path

    def load(self, path: Path, **options) -> load.LoadResult:
        """Load PATH; a file mostly rejected is stored too (most tests here have one row), unless told otherwise."""
        options.setdefault("accept_rejects", True)
        result = load.load_file(self.con, path, default_school=SCHOOL, **options)
        assert result.rows_read == result.rows_stored + result.rows_rejected
        return result

    def load_text(self, text: str, name: str = "export.csv", **options) -> load.LoadResult:
        return self.load(self.write(name, text), **options)

    def refused(self, path: Path, **options) -> str:
        """The message of a file refused whole."""
        with pytest.raises(UserError) as info:
            load.load_file(self.con, path, default_school=SCHOOL, **options)
        return str(info.value)

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def one(self, sql: str, params: list | None = None):
        (row,) = self.rows(sql, params)
        return row[0] if len(row) == 1 else row

    def rejects(self) -> list[tuple]:
        """(file, row, column, value, reason) of every reject, in row order."""
        return self.rows(
            "SELECT file_name, row_number, column_name, raw_value, reason FROM rejects "
            "ORDER BY load_id, row_number, column_name"
        )

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every row of the export tables, the load log and the rejects: to show nothing changed."""
        return {t: sorted(self.rows(f"SELECT * FROM {t}"), key=repr) for t in ALL_TABLES}

    def cli(self, *args: str) -> int:
        self.close()
        return cli.main([*args, "--db", str(self.db)])


def assert_balanced(con: duckdb.DuckDBPyConnection) -> None:
    """Per file: rows read = stored + rejected, and the rejects table holds exactly the rejected rows."""
    for load_id, name, read, new, updated, rejected, recorded in con.execute(
        """SELECT l.load_id, l.file_name, l.rows_read, l.rows_new, l.rows_updated + l.rows_unchanged, l.rows_rejected,
                  (SELECT count(DISTINCT r.row_number) FROM rejects r WHERE r.load_id = l.load_id)
           FROM loads l"""
    ).fetchall():
        assert read == new + updated + rejected, f"load {load_id} ({name})"
        assert rejected == recorded, f"load {load_id} ({name})"


@pytest.fixture
def wh(tmp_path: Path) -> Iterator[Loader]:
    """A Loader; afterwards, every load it holds must balance (rows read = stored + rejected)."""
    loader = Loader(tmp_path)
    yield loader
    if loader.db.exists():
        assert_balanced(loader.con)
    loader.close()


def incident_row(incident_id: str = "I1", reported_at: str = "2025-10-07", platform: str = "Facebook",
                 category: str = "bullying", severity: str = "low") -> str:
    return f"{incident_id},{reported_at},{platform},{category},{severity}\n"


# --- headers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["Incident ID", "incident-id", " INCIDENT_ID ", "Incident.ID", "incident_id"])
def test_header_spellings_of_incident_id_all_match(wh: Loader, spelling: str) -> None:
    result = wh.load_text(f"{spelling},Reported At,PLATFORM,category,Severity\nI1,2025-10-07,fb,bullying,low\n")
    assert (result.kind, result.rows_new, result.ignored_columns) == ("incidents", 1, [])
    assert wh.rows("SELECT incident_id, platform FROM incidents") == [("I1", "Facebook")]


def test_unknown_columns_are_ignored_and_listed_once(wh: Loader) -> None:
    text = (
        "Notes,incident_id,reported_at,platform,category,severity,Reviewer,Notes\n"
        "n1,I1,2025-10-07,fb,bullying,low,r1,m1\n"
        "n2,I2,2025-10-08,fb,bullying,low,r2,m2\n"
    )
    result = wh.load_text(text)
    assert result.ignored_columns == ["Notes", "Reviewer"]
    assert result.rows_new == 2
    assert wh.one("SELECT ignored_columns FROM loads") == ["Notes", "Reviewer"]
    summary = cli.format_summary(result)
    assert summary.count("ignored columns: Notes, Reviewer") == 1
    assert summary.count("Notes") == 1


def test_a_column_twice_refuses_the_file(wh: Loader) -> None:
    path = wh.write("twice.csv", "Incident ID,reported_at,platform,category,severity,incident_id\n"
                                 "I1,2025-10-07,fb,bullying,low,I1\n")
    message = wh.refused(path)
    assert "twice.csv" in message and "incident_id appears twice" in message and "columns 1 and 6" in message


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("incident_id,reported_at,platform,category\n", "severity"),
        ("incident_id,platform,category,severity\n", "reported_at"),
        ("Incident ID,Platform\n", "reported_at, category, severity"),
        ("breach_id,staff_ref,rule\n", "opened_at"),
        ("staff_ref,policy_version\n", "staff_group"),
        ("staff_ref,staff_group,school\n", "policy_version"),
        ("staff_group,policy_version,school\n", "staff_ref"),
        ("Staff Ref,Opened At,Closed At,Rule,Outcome\n", "breach_id"),
    ],
)
def test_a_missing_required_column_is_named(wh: Loader, header: str, missing: str) -> None:
    message = wh.refused(wh.write("short.csv", header + "x,y,z,w\n"))
    assert f"short.csv is missing the required column{'s' if ',' in missing else ''} {missing} for" in message
    assert "Nothing was loaded" in message


def test_a_header_naming_no_export_asks_for_kind(wh: Loader) -> None:
    message = wh.refused(wh.write("what.csv", "name,date\nx,y\n"))
    assert "what.csv" in message and "--kind" in message


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-10-07", datetime(2025, 10, 7, 0, 0)),
        ("2025-10-07 14:30", datetime(2025, 10, 7, 14, 30)),
        ("2025-10-07T14:30:00", datetime(2025, 10, 7, 14, 30)),
        ("07/10/2025", datetime(2025, 10, 7)),
        ("7/3/2025", datetime(2025, 3, 7)),  # 7 March: day first, never month first
        ("07/10/2025 14:30", datetime(2025, 10, 7, 14, 30)),
        ("07/10/2025 14:30:00", datetime(2025, 10, 7, 14, 30)),
        ("13/01/2026 09:05:30", datetime(2026, 1, 13, 9, 5, 30)),
        ("29/02/2024", datetime(2024, 2, 29)),
        ("07/10/25", datetime(2025, 10, 7)),  # a two-digit year is 20yy
        ("01/09/23 14:05", datetime(2023, 9, 1, 14, 5)),  # a spreadsheet's default short date and time
    ],
)
def test_accepted_date_shapes(wh: Loader, text: str, expected: datetime) -> None:
    wh.load_text(INC + incident_row(reported_at=text))
    assert wh.one("SELECT reported_at FROM incidents") == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31/02/2025", "reported_at is not a date this tool reads"),
        ("29/02/2025", "reported_at is not a date this tool reads"),
        ("2025-13-01", "reported_at is not a date this tool reads"),
        ("07-10-2025", "reported_at is not a date this tool reads"),
        ("yesterday", "reported_at is not a date this tool reads"),
        ("0025-10-07", "reported_at has the year 25, which cannot be right"),
    ],
)
def test_rejected_dates(wh: Loader, text: str, reason: str) -> None:
    result = wh.load_text(INC + incident_row("I1") + incident_row("I2", reported_at=text), name="dates.csv")
    assert (result.rows_read, result.rows_new, result.rows_rejected) == (2, 1, 1)
    ((file, row, column, value, why),) = wh.rejects()
    assert (file, row, column, value) == ("dates.csv", 3, "reported_at", text)
    assert why.startswith(reason)


def test_date_columns_keep_the_day(wh: Loader) -> None:
    wh.load_text(BR + "B1,S1,07/10/2025 14:30,lewd\nB2,S2,2025-03-07,bullying\n")
    assert wh.rows("SELECT breach_id, opened_at FROM breaches ORDER BY 1") == [
        ("B1", date(2025, 10, 7)), ("B2", date(2025, 3, 7))
    ]


# --- flags ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("yes", True), ("YES", True), ("Y", True), ("true", True), ("True", True), ("1", True),
     ("no", False), ("No", False), ("n", False), ("FALSE", False), ("0", False), ("", False), ("  ", False)],
)
def test_flag_words(wh: Loader, text: str, expected: bool) -> None:
    wh.load_text("incident_id,reported_at,platform,category,severity,safeguarding,police_referral\n"
                 f"I1,2025-10-07,fb,bullying,low,{text},\n")
    assert wh.one("SELECT safeguarding, police_referral FROM incidents") == (expected, False)


def test_a_flag_that_is_not_yes_or_no_rejects_the_row(wh: Loader) -> None:
    result = wh.load_text("incident_id,reported_at,platform,category,severity,isp_escalation\n"
                          "I1,2025-10-07,fb,bullying,low,maybe\n", name="flags.csv")
    assert (result.rows_stored, result.rows_rejected) == (0, 1)
    assert wh.rejects() == [("flags.csv", 2, "isp_escalation", "maybe",
                             "isp_escalation is not a yes/no value (use yes, no, y, n, true, false, 1 or 0)")]


# --- vocabularies ----------------------------------------------------------------------------------

# Which export and column carry each vocabulary, and a row with that column blank for the rest.
VOCAB_COLUMNS = {
    "platform": ("incidents", "platform", "incident_id,reported_at,category,severity,platform", "I{n},2025-10-07,bullying,low,"),
    "category": ("incidents", "category", "incident_id,reported_at,platform,severity,category", "I{n},2025-10-07,fb,low,"),
    "severity": ("incidents", "severity", "incident_id,reported_at,platform,category,severity", "I{n},2025-10-07,fb,bullying,"),
    "submitted_by": ("incidents", "submitted_by", INC.strip() + ",submitted_by", "I{n},2025-10-07,fb,bullying,low,"),
    "impact": ("breaches", "impact", BR.strip() + ",impact", "B{n},S1,2025-10-07,lewd,"),
    "outcome": ("breaches", "outcome", BR.strip() + ",outcome", "B{n},S1,2025-10-07,lewd,"),
    "staff_group": ("acknowledgements", "staff_group", "staff_ref,policy_version,staff_group", "S{n},2024-10,"),
    "employment": ("acknowledgements", "employment", ACK.strip() + ",employment", "S{n},teaching,2024-10,"),
}


def test_every_vocabulary_is_covered() -> None:
    assert set(VOCAB_COLUMNS) == set(vocab.DOMAINS)


@pytest.mark.parametrize("domain", sorted(vocab.DOMAINS))
def test_every_spelling_and_alias_maps_to_its_canonical_value(wh: Loader, domain: str) -> None:
    table, column, header, row = VOCAB_COLUMNS[domain]
    spellings = [(s, canonical) for canonical, aliases in vocab.DOMAINS[domain].items() for s in [canonical, *aliases]]
    # Each spelling as written, in capitals, and with its underscores as spaces and hyphens.
    variants = [(v, c) for s, c in spellings for v in {s, s.upper(), s.replace("_", " "), s.replace("_", "-").title()}]
    lines = [row.format(n=n) + (f'"{v}"' if "," in v else v) for n, (v, _) in enumerate(variants)]
    result = wh.load_text(header + "\n" + "\n".join(lines) + "\n")
    assert (result.rows_new, result.rows_rejected) == (len(variants), 0)
    key = "incident_id" if table == "incidents" else "breach_id" if table == "breaches" else "staff_ref"
    stored = dict(wh.rows(f"SELECT {key}, {column} FROM {table}"))
    assert stored == {row.format(n=n).split(",")[0]: c for n, (_, c) in enumerate(variants)}


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("X (Twitter)", "X"), ("twitter", "X"), ("x.com", "X"), ("Tik Tok", "TikTok"), ("IG", "Instagram"),
     ("Whats App", "WhatsApp"), ("You Tube", "YouTube"), ("snap", "Snapchat"), ("FB", "Facebook")],
)
def test_spec_platform_aliases(wh: Loader, text: str, canonical: str) -> None:
    wh.load_text(INC + incident_row(platform=text))
    assert wh.one("SELECT platform, platform_raw FROM incidents") == (canonical, None)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("harassment", "discrimination_harassment"), ("Victimisation", "discrimination_harassment"),
     ("sexually explicit", "offensive"), ("knowingly false", "defamatory"), ("Stalking", "grooming"),
     ("hateful language", "inappropriate_material"), ("risk taking", "self_harm"), ("fake profile", "sexting"),
     ("Live-Streaming", "sexting"), ("cyberbullying of staff", "cyberbullying_of_staff")],
)
def test_spec_category_aliases(wh: Loader, text: str, canonical: str) -> None:
    wh.load_text(INC + incident_row(category=text))
    assert wh.one("SELECT category FROM incidents") == canonical


@pytest.mark.parametrize("text", ["written warning", "Written-Warning", "WRITTEN_WARNING", "written  warning"])
def test_outcome_written_warning(wh: Loader, text: str) -> None:
    wh.load_text(BR.strip() + ",outcome\n" + f"B1,S1,2025-10-07,lewd,{text}\n")
    assert wh.one("SELECT outcome FROM breaches") == "written_warning"


def test_an_unknown_platform_is_kept_as_other_with_its_text(wh: Loader) -> None:
    wh.load_text(INC + incident_row("I1", platform=" Mastodon ") + incident_row("I2", platform="other")
                 + incident_row("I3", platform="OTHER"))
    assert wh.rows("SELECT incident_id, platform, platform_raw FROM incidents ORDER BY 1") == [
        ("I1", "Other", "Mastodon"), ("I2", "Other", None), ("I3", "Other", None)
    ]
    assert wh.rows("SELECT * FROM rejects") == []


@pytest.mark.parametrize(
    ("header", "row", "column", "value"),
    [
        (INC, "I1,2025-10-07,fb,gossip,low", "category", "gossip"),
        (INC, "I1,2025-10-07,fb,bullying,severe", "severity", "severe"),
        (BR.strip() + ",outcome\n", "B1,S1,2025-10-07,lewd,sacked", "outcome", "sacked"),
        (BR.strip() + ",impact\n", "B1,S1,2025-10-07,lewd,huge", "impact", "huge"),
        (BR, "B1,S1,2025-10-07,gossip", "rule", "gossip"),
        (ACK, "S1,caretaker,2024-10", "staff_group", "caretaker"),
    ],
)
def test_an_unknown_value_in_a_closed_vocabulary_rejects_the_row(
    wh: Loader, header: str, row: str, column: str, value: str
) -> None:
    result = wh.load_text(header + row + "\n", name="vocab.csv")
    assert (result.rows_stored, result.rows_rejected) == (0, 1)
    ((file, number, col, raw, reason),) = wh.rejects()
    assert (file, number, col, raw) == ("vocab.csv", 2, column, value)
    assert reason.startswith(f"{column} is not a known ") and "expected" in reason


def test_white_space_around_values_is_ignored(wh: Loader) -> None:
    """Spaces, tabs and no-break spaces (pasted from a web page) around a value are not part of it."""
    wh.load_text(FULL_INC + "I1\t,\t2025-10-07 ,,, Facebook\u00a0,\u00a0Sexually\u00a0explicit,low, 3 ,\n")
    assert wh.one("SELECT incident_id, reported_at, platform, platform_raw, category, shares FROM incidents") == (
        "I1", datetime(2025, 10, 7), "Facebook", None, "offensive", 3
    )


def test_submitted_by_blank_means_unknown(wh: Loader) -> None:
    wh.load_text(INC.strip() + ",submitted_by\n" + "I1,2025-10-07,fb,bullying,low,\nI2,2025-10-07,fb,bullying,low,Pupil\n")
    assert wh.rows("SELECT incident_id, submitted_by FROM incidents ORDER BY 1") == [("I1", "unknown"), ("I2", "pupil")]


# --- rejection rules of 3.2-3.4 ----------------------------------------------------------------------

FULL_INC = "incident_id,reported_at,posted_at,removed_at,platform,category,severity,shares,platforms_reached\n"
GOOD_INC = "I0,2025-10-07,,,fb,bullying,low,,\n"


@pytest.mark.parametrize(
    ("row", "column", "value", "reason"),
    [
        ("I1,,,,fb,bullying,low,,", "reported_at", None, "reported_at is required but blank"),
        ("I1,  ,,,fb,bullying,low,,", "reported_at", None, "reported_at is required but blank"),
        (",2025-10-07,,,fb,bullying,low,,", "incident_id", None, "incident_id is required but blank"),
        ("I1,2025-10-07,,,,bullying,low,,", "platform", None, "platform is required but blank"),
        ("I1,2025-10-07,,,fb,,low,,", "category", None, "category is required but blank"),
        ("I1,2025-10-07,,,fb,bullying,,,", "severity", None, "severity is required but blank"),
        ("I1,2025-10-07,last week,,fb,bullying,low,,", "posted_at", "last week",
         "posted_at is not a date this tool reads (use DD/MM/YYYY or YYYY-MM-DD, with HH:MM if needed)"),
        ("I1,2025-10-07,06/10/2025 12:00,06/10/2025 11:59,fb,bullying,low,,", "removed_at", "06/10/2025 11:59",
         "removed_at is earlier than posted_at"),
        ("I1,2025-10-07,,,fb,bullying,low,-2,", "shares", "-2", "shares cannot be negative"),
        ("I1,2025-10-07,,,fb,bullying,low,,0", "platforms_reached", "0", "platforms_reached must be at least 1"),
        ("I1,2025-10-07,,,fb,bullying,low,1.5,", "shares", "1.5", "shares is not a whole number"),
        ("I1,2025-10-07,,,fb,bullying,low,,two", "platforms_reached", "two", "platforms_reached is not a whole number"),
        # Once a crash: 15 digits read as a whole number, but the column holds at most 2,147,483,647.
        ("I1,2025-10-07,,,fb,bullying,low,,999999999999999", "platforms_reached", "999999999999999",
         "platforms_reached must be at most 1,000"),
        ("I1,2025-10-07,,,fb,bullying,low,,1001", "platforms_reached", "1001", "platforms_reached must be at most 1,000"),
    ],
)
def test_incident_rejection_rules(wh: Loader, row: str, column: str, value: str | None, reason: str) -> None:
    result = wh.load_text(FULL_INC + GOOD_INC + row + "\n", name="incidents.csv")
    assert (result.rows_read, result.rows_new, result.rows_rejected) == (2, 1, 1)
    assert wh.rejects() == [("incidents.csv", 3, column, value, reason)]
    assert result.top_reasons == [(reason, 1)]


def test_removed_at_equal_to_posted_at_and_zero_shares_are_fine(wh: Loader) -> None:
    result = wh.load_text(FULL_INC + "I1,2025-10-07,06/10/2025 12:00,2025-10-06 12:00,fb,bullying,low,0,1\n"
                                     "I2,2025-10-07,,01/10/2025,fb,bullying,low,3.0,+2\n")
    assert (result.rows_new, result.rows_rejected) == (2, 0)
    assert wh.rows("SELECT incident_id, shares, platforms_reached FROM incidents ORDER BY 1") == [("I1", 0, 1), ("I2", 3, 2)]


def test_a_row_with_several_problems_is_one_rejected_row(wh: Loader) -> None:
    result = wh.load_text(FULL_INC + "I1,,,,fb,gossip,low,-1,0\n", name="many.csv")
    assert (result.rows_read, result.rows_rejected) == (1, 1)
    assert [(r[1], r[2], r[3]) for r in wh.rejects()] == [
        (2, "category", "gossip"), (2, "platforms_reached", "0"), (2, "reported_at", None), (2, "shares", "-1")
    ]
    assert wh.one("SELECT rows_rejected FROM loads") == 1


@pytest.mark.parametrize(
    ("row", "column", "value", "reason"),
    [
        ("B1,S1,07/10/2025,06/10/2025,lewd", "closed_at", "06/10/2025", "closed_at is earlier than opened_at"),
        ("B1,,07/10/2025,,lewd", "staff_ref", None, "staff_ref is required but blank"),
        ("B1,S1,,,lewd", "opened_at", None, "opened_at is required but blank"),
        ("B1,S1,07/10/2025,,", "rule", None, "rule is required but blank"),
    ],
)
def test_breach_rejection_rules(wh: Loader, row: str, column: str, value: str | None, reason: str) -> None:
    result = wh.load_text("breach_id,staff_ref,opened_at,closed_at,rule\nB0,S0,01/10/2025,01/10/2025,lewd\n"
                          + row + "\n", name="breaches.csv")
    assert (result.rows_read, result.rows_new, result.rows_rejected) == (2, 1, 1)
    assert wh.rejects() == [("breaches.csv", 3, column, value, reason)]


@pytest.mark.parametrize(
    ("row", "column"), [("S1,teaching,", "policy_version"), (",teaching,2024-10", "staff_ref"), ("S1,,2024-10", "staff_group")]
)
def test_acknowledgement_required_values(wh: Loader, row: str, column: str) -> None:
    result = wh.load_text(ACK + "S0,support,2024-10\n" + row + "\n", name="ack.csv")
    assert (result.rows_new, result.rows_rejected) == (1, 1)
    assert wh.rejects() == [("ack.csv", 3, column, None, f"{column} is required but blank")]


def test_a_long_raw_value_is_cut_to_200_characters(wh: Loader) -> None:
    wh.load_text(INC + incident_row(reported_at="x" * 500))
    assert wh.one("SELECT raw_value FROM rejects") == "x" * 200


# --- encodings, delimiters and CSV structure ------------------------------------------------------


def test_windows_1252_text(wh: Loader) -> None:
    text = "incident_id,school,reported_at,platform,category,severity,description\n" \
           "I1,École St Mary’s,2025-10-07,fb,bullying,low,“quoted” – £5\n"
    path = wh.write("ansi.csv", text, encoding="cp1252")
    assert b"\xc9cole St Mary\x92s" in path.read_bytes()  # really Windows-1252
    wh.load(path)
    assert wh.one("SELECT school, description FROM incidents") == ("École St Mary’s", "“quoted” – £5")


def test_utf8_with_bom(wh: Loader) -> None:
    path = wh.write("bom.csv", "\ufeffIncident ID,School,reported_at,platform,category,severity\nI1,Zoë’s School,2025-10-07,fb,bullying,low\n")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    result = wh.load(path)
    assert result.ignored_columns == []
    assert wh.one("SELECT incident_id, school FROM incidents") == ("I1", "Zoë’s School")


def test_semicolon_delimited(wh: Loader) -> None:
    result = wh.load_text("incident_id;reported_at;platform;category;severity;description\n"
                          "I1;07/10/2025 14:30;fb;bullying;low;a, b and c\n"
                          "I2;not a date;fb;bullying;low;\n", name="semi.csv")
    assert (result.rows_new, result.rows_rejected) == (1, 1)
    assert wh.one("SELECT description FROM incidents") == "a, b and c"
    assert wh.rejects()[0][:4] == ("semi.csv", 3, "reported_at", "not a date")


def test_quoted_delimiters_and_newlines_keep_row_numbers_right(wh: Loader) -> None:
    text = (
        "incident_id,reported_at,platform,category,severity,description\n"  # row 1
        'I1,2025-10-07,fb,bullying,low,"one, two\nthree\n\nfour"\n'           # row 2 (four lines)
        'I2,2025-10-07,fb,bullying,low,"said ""hi"", then left"\n'             # row 3
        "I3,bad date,fb,bullying,low,\n"                                       # row 4
        'I4,2025-10-07,fb,bullying,low,"x\r\ny"\n'                             # row 5 (CRLF inside)
        "I5,2025-10-07,fb,gossip,low,\n"                                       # row 6
    )
    result = wh.load_text(text, name="quoted.csv")
    assert (result.rows_read, result.rows_new, result.rows_rejected) == (5, 3, 2)
    assert wh.rows("SELECT incident_id, source_row, description FROM incidents ORDER BY 1") == [
        ("I1", 2, "one, two\nthree\n\nfour"), ("I2", 3, 'said "hi", then left'), ("I4", 5, "x\ny")
    ]
    assert [r[1:3] for r in wh.rejects()] == [(4, "reported_at"), (6, "category")]


def test_blank_lines_are_not_rows_but_keep_their_row_numbers(wh: Loader) -> None:
    text = (
        INC                    # row 1
        + incident_row("I1")   # row 2
        + "\n"                 # row 3: blank
        + "\n"                 # row 4: blank
        + incident_row("I2")   # row 5
        + "   \n"              # row 6: spaces only
        + ",,,,\n"             # row 7: empty fields only
        + ",,,,,,,,\n"         # row 8: more empty fields than columns
        + '\t, "" ,,,\n'         # row 9: a tab, a quoted empty value: still blank
        + incident_row("I3", severity="awful")  # row 10
        + incident_row("I4")   # row 11
        + "\n\n"               # rows 12, 13: trailing blank lines
    )
    result = wh.load_text(text, name="blanks.csv")
    assert (result.rows_read, result.rows_new, result.rows_rejected) == (4, 3, 1)
    assert wh.rows("SELECT incident_id, source_row FROM incidents ORDER BY 1") == [("I1", 2), ("I2", 5), ("I4", 11)]
    assert [r[1:4] for r in wh.rejects()] == [(10, "severity", "awful")]


def test_rows_with_too_many_or_too_few_fields(wh: Loader) -> None:
    text = (
        INC                                                   # row 1
        + 'I1,2025-10-07,fb,bullying,low,"extra"\n'           # row 2: six fields
        + "I2,2025-10-07,fb\n"                                # row 3: three fields
        + 'I3,2025-10-07,fb,"multi\nline",low\n'              # row 4 (two lines): unknown category
        + "I4,2025-10-07,fb,bullying,low,,x,\n"              # row 5: eight fields, one filled
        + "I5,2025-10-07,fb,bullying,low,,,\n"               # row 6: eight fields, the extra ones empty
        + incident_row("I6")                                  # row 7
    )
    result = wh.load_text(text, name="fields.csv")
    assert (result.rows_read, result.rows_new, result.rows_rejected) == (6, 2, 4)
    # Empty fields past the header's columns (as Excel leaves them) lose nothing: the row is read.
    assert wh.rows("SELECT incident_id, source_row FROM incidents ORDER BY 1") == [("I5", 6), ("I6", 7)]
    rejects = wh.rejects()
    assert [(r[1], r[2], r[3]) for r in rejects] == [
        (2, None, 'I1,2025-10-07,fb,bullying,low,"extra"'),
        (3, None, "I2,2025-10-07,fb"),
        (4, "category", "multi\nline"),
        (5, None, "I4,2025-10-07,fb,bullying,low,,x,"),
    ]
    assert rejects[0][4].startswith("the row has more fields than the header")
    assert rejects[1][4] == "the row has fewer fields than the header has columns"
    assert rejects[3][4].startswith("the row has more fields than the header")


def test_mixed_line_endings(wh: Loader) -> None:
    text = INC.replace("\n", "\r\n") + incident_row("I1") + incident_row("I2").replace("\n", "\r\n") \
        + incident_row("I3").replace("\n", "\r") + "\r\n" + incident_row("I4", severity="x")
    result = wh.load_text(text, name="mixed.csv")
    # rows: 2 I1 (LF), 3 I2 (CRLF), 4 I3 (CR), 5 blank (CRLF), 6 I4 (rejected)
    assert (result.rows_read, result.rows_new, result.rows_rejected) == (4, 3, 1)
    assert wh.rows("SELECT incident_id, source_row, severity FROM incidents ORDER BY 1") == [
        ("I1", 2, "low"), ("I2", 3, "low"), ("I3", 4, "low")
    ]
    assert wh.rejects()[0][1:4] == (6, "severity", "x")


def test_windows_line_endings_only(wh: Loader) -> None:
    result = wh.load_text((INC + incident_row("I1") + "\n" + incident_row("I2", severity="bad")).replace("\n", "\r\n"))
    assert (result.rows_new, result.rows_rejected) == (1, 1)
    assert wh.rejects()[0][1] == 4


def test_an_unclosed_quote_is_one_rejected_row_saying_so(wh: Loader) -> None:
    text = INC + incident_row("I1") + 'I2,2025-10-07,fb,"bullying,low\n' + incident_row("I3")
    result = wh.load_text(text, name="quote.csv")
    assert (result.rows_read, result.rows_new, result.rows_rejected) == (2, 1, 1)
    ((_, row, _, value, reason),) = wh.rejects()
    assert row == 3 and value.startswith('I2,2025-10-07,fb,"bullying,low')
    assert reason == load.UNCLOSED_QUOTE_REASON


def test_text_after_a_closing_quote(wh: Loader) -> None:
    result = wh.load_text(INC + 'I1,2025-10-07,fb,"bull"ying,low\n' + incident_row("I2"), name="q.csv")
    assert (result.rows_new, result.rows_rejected) == (1, 1)
    assert wh.rejects() == [("q.csv", 2, "category", 'I1,2025-10-07,fb,"bull"ying,low',
                             "a quoted field has text after its closing quote")]


def test_a_last_row_without_a_newline(wh: Loader) -> None:
    result = wh.load_text(INC + incident_row("I1") + incident_row("I2").rstrip("\n"))
    assert result.rows_new == 2


def test_row_numbers_in_a_longer_file(wh: Loader) -> None:
    """300 rows, a blank line every 7th and a multi-line value every 5th: each id says its own row number."""
    lines, expected = [INC], {}
    for row in range(2, 302):
        if row % 7 == 0:
            lines.append("\n")
        elif row % 5 == 0:
            lines.append(f'R{row},2025-10-07,fb,"bullying",low\n')
            expected[f"R{row}"] = row
        elif row % 11 == 0:
            lines.append(f"R{row},2025-10-07,fb,bullying,low,too,many\n")
        else:
            lines.append(f"R{row},2025-10-07,fb,bullying,{'low' if row % 3 else 'nope'}\n")
            if row % 3:
                expected[f"R{row}"] = row
    result = wh.load_text("".join(lines))
    assert dict(wh.rows("SELECT incident_id, source_row FROM incidents")) == expected
    rejected = {row for (_, row, *_rest) in wh.rejects()}
    assert rejected == {r for r in range(2, 302) if r % 7 and r % 5 and (r % 11 == 0 or r % 3 == 0)}
    assert result.rows_read == len(expected) + len(rejected)


# --- XLSX ----------------------------------------------------------------------------------------


def write_xlsx(path: Path, rows: list[list], *, first_row: int = 1, other_sheet: list[list] | None = None) -> Path:
    """A workbook whose first sheet holds ROWS from row FIRST_ROW (None = an empty cell)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Export"
    for offset, row in enumerate(rows):
        for col, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=first_row + offset, column=col, value=value)
    if other_sheet is not None:
        second = book.create_sheet("Other")
        for row in other_sheet:
            second.append(row)
    book.save(path)
    return path


XLSX_HEADER = ["Incident ID", "Reported At", "Platform", "Category", "Severity", "Shares", "Safeguarding"]


def test_xlsx_native_dates_and_numbers(wh: Loader) -> None:
    path = write_xlsx(wh.folder / "export.xlsx", [
        XLSX_HEADER,
        [1001, datetime(2025, 10, 7, 14, 30), "fb", "bullying", "low", 3.0, True],
        ["I2", date(2025, 3, 7), "insta", "lewd", "high", 0, False],
        ["I3", "07/03/2025 09:15", "X", "lewd", "high", None, "yes"],
    ])
    result = wh.load(path)
    assert (result.rows_read, result.rows_new, result.rows_rejected) == (3, 3, 0)
    assert wh.rows("SELECT incident_id, reported_at, shares, safeguarding, source_row FROM incidents ORDER BY source_row") == [
        ("1001", datetime(2025, 10, 7, 14, 30), 3, True, 2),
        ("I2", datetime(2025, 3, 7), 0, False, 3),
        ("I3", datetime(2025, 3, 7, 9, 15), None, True, 4),
    ]


def test_xlsx_first_sheet_only_and_header_below_a_title(wh: Loader) -> None:
    path = write_xlsx(wh.folder / "export.xlsx", [
        ["Incidents export, run 08/10/2025"],  # row 2: a title
        [],                                    # row 3
        XLSX_HEADER,                           # row 4: the header
        ["I1", datetime(2025, 10, 7), "fb", "bullying", "low", 1.5, None],  # row 5: 1.5 shares
        [],                                    # row 6: empty
        ["I2", datetime(2025, 10, 7), "fb", "bullying", "low", 2, None],    # row 7
        ["I3", "31/02/2025", "fb", "bullying", "low", None, None],          # row 8
    ], first_row=2, other_sheet=[XLSX_HEADER, ["OTHER1", datetime(2025, 1, 1), "fb", "bullying", "low"]])
    result = wh.load(path)
    assert (result.rows_read, result.rows_new, result.rows_rejected) == (3, 1, 2)
    assert wh.rows("SELECT incident_id, shares, source_row FROM incidents") == [("I2", 2, 7)]
    assert [r[1:4] for r in wh.rejects()] == [(5, "shares", "1.5"), (8, "reported_at", "31/02/2025")]


def test_xlsx_header_only_and_empty_sheet_are_refused(wh: Loader) -> None:
    assert "no data rows" in wh.refused(write_xlsx(wh.folder / "header.xlsx", [XLSX_HEADER]))
    assert "first sheet is empty" in wh.refused(write_xlsx(wh.folder / "empty.xlsx", []))


def test_xlsx_with_the_export_on_the_second_sheet_is_refused(wh: Loader) -> None:
    path = write_xlsx(wh.folder / "second.xlsx", [], other_sheet=[XLSX_HEADER, ["I1", datetime(2025, 1, 1), "fb", "bullying", "low"]])
    assert "first sheet is empty" in wh.refused(path)


def test_xlsx_duplicate_and_lineage(wh: Loader) -> None:
    path = write_xlsx(wh.folder / "dups.xlsx", [
        XLSX_HEADER,
        ["I1", datetime(2025, 10, 7), "fb", "bullying", "low", 1, None],
        ["I1", datetime(2025, 10, 8), "fb", "bullying", "high", 2, None],
    ])
    result = wh.load(path)
    assert (result.rows_new, result.rows_rejected) == (1, 1)
    assert wh.one("SELECT severity, source_row, source_file, source_sha256 FROM incidents") == (
        "high", 3, "dups.xlsx", hashlib.sha256(path.read_bytes()).hexdigest()
    )


# --- upserts, reloads and duplicates ---------------------------------------------------------------


def test_a_later_file_upserts_and_the_row_loaded_last_wins(wh: Loader) -> None:
    first = wh.load_text(FULL_INC + "I1,2025-10-07,,,fb,bullying,low,1,\nI2,2025-10-08,,,fb,bullying,low,,\n", name="oct.csv")
    assert (first.rows_new, first.rows_updated) == (2, 0)
    second = wh.load_text(FULL_INC + "I3,2025-11-01,,,tiktok,lewd,medium,,\nI1,2025-10-07,,2025-10-08,insta,bullying,high,5,2\n",
                          name="nov.csv")
    assert (second.rows_read, second.rows_new, second.rows_updated, second.rows_rejected) == (2, 1, 1, 0)
    assert wh.rows("SELECT incident_id, platform, severity, shares, platforms_reached, removed_at, source_file, source_row "
                   "FROM incidents ORDER BY 1") == [
        ("I1", "Instagram", "high", 5, 2, datetime(2025, 10, 8), "nov.csv", 3),
        ("I2", "Facebook", "low", None, None, None, "oct.csv", 3),
        ("I3", "TikTok", "medium", None, None, None, "nov.csv", 2),
    ]
    assert wh.rows("SELECT file_name, rows_read, rows_new, rows_updated, rows_rejected FROM loads ORDER BY load_id") == [
        ("oct.csv", 2, 2, 0, 0), ("nov.csv", 2, 1, 1, 0)
    ]
    assert "2 rows read, 2 stored (1 new, 1 updated), 0 rejected." in cli.format_summary(second)


def test_an_update_clears_values_now_blank_and_platform_raw(wh: Loader) -> None:
    wh.load_text(FULL_INC + "I1,2025-10-07,,2025-10-08,Mastodon,bullying,low,4,2\n", name="a.csv")
    assert wh.one("SELECT platform, platform_raw FROM incidents") == ("Other", "Mastodon")
    wh.load_text(FULL_INC + "I1,2025-10-07,,,fb,bullying,low,,\n", name="b.csv")
    assert wh.one("SELECT platform, platform_raw, removed_at, shares, platforms_reached FROM incidents") == (
        "Facebook", None, None, None, None
    )


def test_acknowledgements_are_keyed_by_staff_ref_and_policy_version(wh: Loader) -> None:
    header = "staff_ref,school,staff_group,employment,policy_version,acknowledged_at\n"
    wh.load_text(header + "S1,,teaching,full time,2023-09,01/10/2023\nS1,,teaching,full time,2024-10,\n"
                          "S2,Birch School,support,part-time,2024-10,\n", name="roster1.csv")
    result = wh.load_text(header + "S1,,leadership,full_time,2024-10,03/11/2024 10:00\nS3,,governor,,2024-10,\n", name="roster2.csv")
    assert (result.rows_new, result.rows_updated) == (1, 1)
    assert wh.rows("SELECT staff_ref, policy_version, school, staff_group, employment, acknowledged_at, source_file "
                   "FROM acknowledgements ORDER BY 1, 2") == [
        ("S1", "2023-09", SCHOOL, "teaching", "full_time", datetime(2023, 10, 1), "roster1.csv"),
        ("S1", "2024-10", SCHOOL, "leadership", "full_time", datetime(2024, 11, 3, 10, 0), "roster2.csv"),
        ("S2", "2024-10", "Birch School", "support", "part_time", None, "roster1.csv"),
        ("S3", "2024-10", SCHOOL, "governor", None, None, "roster2.csv"),
    ]


def test_the_same_staff_ref_twice_in_one_version_is_a_duplicate(wh: Loader) -> None:
    result = wh.load_text(ACK + "S1,teaching,2024-10\nS1,support,2024-10\nS1,support,2023-09\n", name="r.csv")
    assert (result.rows_new, result.rows_rejected) == (2, 1)
    assert wh.rejects() == [("r.csv", 2, "staff_ref + policy_version", "S1 / 2024-10",
                             "duplicate id in file: row 3 has the same staff_ref and policy_version and was kept")]


def test_a_byte_identical_reload_changes_nothing_and_says_so(wh: Loader) -> None:
    path = wh.write("oct.csv", INC + incident_row("I1") + incident_row("I2", severity="bad"))
    wh.load(path)
    before = wh.snapshot()
    again = wh.load(path)
    assert again.status == "unchanged"
    assert (again.rows_new, again.rows_updated, again.rows_rejected) == (0, 0, 0)
    assert "nothing changed" in cli.format_summary(again)
    assert wh.snapshot() == before
    # The same bytes under another name are the same export.
    copy = wh.write("oct-copy.csv", path.read_bytes())
    assert wh.load(copy).status == "unchanged"
    assert wh.snapshot() == before


def test_a_reload_through_the_cli_says_nothing_changed(wh: Loader, capsys: pytest.CaptureFixture[str]) -> None:
    path = wh.write("oct.csv", INC + incident_row("I1"))
    assert wh.cli("load", str(path)) == 0
    capsys.readouterr()
    assert wh.cli("load", str(path)) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert wh.one("SELECT count(*) FROM loads") == 1


def test_a_duplicate_id_keeps_the_later_row(wh: Loader) -> None:
    text = INC + incident_row("I1", severity="low") + incident_row("I2") + incident_row("I1", severity="high") \
        + incident_row("I1", severity="critical")
    result = wh.load_text(text, name="dup.csv")
    assert (result.rows_read, result.rows_new, result.rows_rejected) == (4, 2, 2)
    assert wh.one("SELECT severity, source_row FROM incidents WHERE incident_id = 'I1'") == ("critical", 5)
    assert wh.rejects() == [
        ("dup.csv", 2, "incident_id", "I1", "duplicate id in file: row 5 has the same incident_id and was kept"),
        ("dup.csv", 4, "incident_id", "I1", "duplicate id in file: row 5 has the same incident_id and was kept"),
    ]
    assert result.top_reasons == [("duplicate id in file", 2)]


def test_an_invalid_later_duplicate_leaves_the_earlier_valid_row_stored(wh: Loader) -> None:
    text = INC + incident_row("I1", severity="high") + incident_row("I1", reported_at="32/10/2025")
    result = wh.load_text(text, name="dup.csv")
    assert (result.rows_read, result.rows_new, result.rows_rejected) == (2, 1, 1)
    assert wh.one("SELECT severity, source_row FROM incidents") == ("high", 2)
    assert [r[1:4] for r in wh.rejects()] == [(3, "reported_at", "32/10/2025")]


# --- refused files ---------------------------------------------------------------------------------

REFUSED = [
    ("empty.csv", b"", "empty"),
    ("blank.csv", b"\n\n\n", "no header row"),
    ("header.csv", INC.encode(), "no data rows"),
    ("header-blank-rows.csv", (INC + "\n,,,,\n\n").encode(), "no data rows"),
    ("missing.csv", b"incident_id,reported_at,platform\nI1,2025-10-07,fb\n", "missing the required columns category, severity"),
    ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n", "is a PDF"),
    ("export.csv", b"%PDF-1.4\n" + bytes(range(256)), "is a PDF"),
    ("utf16.csv", ("\ufeff" + INC + incident_row()).encode("utf-16-le"), "UTF-16"),
    ("utf16be.csv", ("\ufeff" + INC + incident_row()).encode("utf-16-be"), "UTF-16"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "old-style Excel"),
    ("picture.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, "not a text file"),
    ("bad-bytes.csv", (INC + "I1,2025-10-07,fb,bullying,low\n").encode() + b"\x81\x8d\n", "neither UTF-8 nor Windows-1252"),
]


def _zip_bytes(tmp: Path) -> bytes:
    with zipfile.ZipFile(tmp, "w") as archive:
        archive.writestr("incidents.csv", INC + incident_row())
    return tmp.read_bytes()


@pytest.mark.parametrize(("name", "content", "problem"), REFUSED + [("exports.zip", None, "zip archive")])
def test_a_refused_file_leaves_the_warehouse_unchanged(
    wh: Loader, capsys: pytest.CaptureFixture[str], name: str, content: bytes | None, problem: str
) -> None:
    wh.load_text(INC + incident_row("I0") + incident_row("I9", severity="bad"), name="earlier.csv")
    before = wh.snapshot()
    if content is None:
        content = _zip_bytes(wh.folder / "tmp.zip")
    path = wh.write(name, content)
    assert wh.cli("load", str(path)) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("policy-analytics: ") and name in err and problem in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert err.count(". ") + err.rstrip().endswith(".") <= 2  # one or two sentences
    assert wh.snapshot() == before


def test_a_missing_file_and_a_folder_are_refused(wh: Loader, capsys: pytest.CaptureFixture[str]) -> None:
    wh.con.execute("SELECT 1")  # the warehouse exists
    assert wh.cli("load", str(wh.folder / "nope.csv")) == 1
    assert "nope.csv: there is no such file." in capsys.readouterr().err
    assert wh.cli("load", str(wh.folder)) == 1
    assert "is a folder" in capsys.readouterr().err


def test_a_refused_file_does_not_stop_the_others(wh: Loader, capsys: pytest.CaptureFixture[str]) -> None:
    empty = wh.write("empty.csv", b"")
    good = wh.write("good.csv", INC + incident_row("I1"))
    assert wh.cli("load", str(empty), str(good)) == 1
    captured = capsys.readouterr()
    assert "empty.csv is empty" in captured.err
    assert "good.csv (incidents): 1 row read, 1 stored (1 new, 0 updated), 0 rejected." in captured.out
    assert wh.one("SELECT count(*) FROM incidents") == 1


def test_a_csv_beginning_with_pk_is_not_taken_for_a_zip(wh: Loader) -> None:
    result = wh.load_text("PK,incident_id,reported_at,platform,category,severity\n1,I1,2025-10-07,fb,bullying,low\n")
    assert (result.rows_new, result.ignored_columns) == (1, ["PK"])


# --- options: --strict, --kind; the check and rejects commands ----------------------------------------


def test_strict_refuses_a_file_with_any_rejected_row(wh: Loader, capsys: pytest.CaptureFixture[str]) -> None:
    wh.load_text(INC + incident_row("I0"), name="earlier.csv")
    before = wh.snapshot()
    path = wh.write("strict.csv", INC + incident_row("I1") + incident_row("I2", category="gossip"))
    assert wh.cli("load", str(path), "--strict") == 1
    err = capsys.readouterr().err
    assert "strict.csv: 1 of 2 rows would be rejected" in err and "--strict nothing was loaded" in err
    assert "Traceback" not in err
    assert wh.snapshot() == before
    clean = wh.write("clean.csv", INC + incident_row("I3"))
    assert wh.cli("load", str(clean), "--strict") == 0
    assert wh.one("SELECT count(*) FROM incidents") == 2


def test_kind_overrides_detection(wh: Loader, capsys: pytest.CaptureFixture[str]) -> None:
    # The headers name an incident (incident_id, reported_at) and a roster row: detection says incidents.
    text = "incident_id,reported_at,platform,category,severity,staff_ref,staff_group,policy_version\n" \
           "I1,2025-10-07,fb,bullying,low,S1,teaching,2024-10\n"
    assert wh.load_text(text, name="detected.csv").kind == "incidents"
    path = wh.write("roster.csv", text)
    assert wh.cli("load", str(path), "--kind", "acknowledgements") == 0
    out = capsys.readouterr().out
    assert "roster.csv (acknowledgements): 1 row read, 1 stored" in out
    assert "ignored columns: incident_id, reported_at, platform, category, severity" in out
    assert wh.rows("SELECT staff_ref, staff_group, policy_version FROM acknowledgements") == [("S1", "teaching", "2024-10")]


def test_kind_that_does_not_fit_names_the_missing_columns(wh: Loader) -> None:
    message = wh.refused(wh.write("inc.csv", INC + incident_row()), kind="breaches")
    assert "missing the required columns breach_id, staff_ref, opened_at, rule for breaches" in message


def test_lineage_on_stored_rows(wh: Loader) -> None:
    path = wh.write("lineage.csv", BR + "B1,S1,01/10/2025,lewd\n\nB2,S2,02/10/2025,bullying\n")
    started = datetime.now().replace(microsecond=0)
    wh.load(path)
    finished = datetime.now()
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    rows = wh.rows("SELECT breach_id, source_file, source_sha256, source_row, load_id, loaded_at FROM breaches ORDER BY 1")
    assert [r[:5] for r in rows] == [("B1", "lineage.csv", sha, 2, 1), ("B2", "lineage.csv", sha, 4, 1)]
    assert all(started <= r[5] <= finished for r in rows)
    assert wh.one("SELECT file_sha256, loaded_at FROM loads") == (sha, rows[0][5])


def test_check_writes_nothing(wh: Loader, capsys: pytest.CaptureFixture[str]) -> None:
    path = wh.write("check.csv", INC + incident_row("I1") + incident_row("I2", severity="bad") + incident_row("I3"))
    assert wh.cli("check", str(path)) == 0
    out = capsys.readouterr().out
    assert "check.csv (incidents): 3 rows read, 2 would be stored (2 new, 0 updated), 1 rejected." in out
    assert not wh.db.exists()  # not even created
    wh.load_text(INC + incident_row("I1"), name="earlier.csv")
    before = wh.snapshot()
    wh.close()
    file_bytes = wh.db.read_bytes()
    assert wh.cli("check", str(path)) == 0
    # Against the warehouse: I1 is already stored with the same values, so it would be unchanged.
    assert "3 rows read, 2 would be stored (1 new, 0 updated, 1 unchanged), 1 rejected." in capsys.readouterr().out
    assert wh.db.read_bytes() == file_bytes
    assert wh.snapshot() == before


def test_check_json_lists_the_rejects(wh: Loader, capsys: pytest.CaptureFixture[str]) -> None:
    path = wh.write("check.csv", INC + incident_row("I1") + incident_row("I2", severity="bad"))
    assert wh.cli("check", str(path), "--json") == 0
    assert json.loads(capsys.readouterr().out) == [
        {"file": "check.csv", "row": 3, "column": "severity", "value": "bad",
         "reason": "severity is not a known severity (expected low, medium, high or critical)"}
    ]


def test_check_refuses_what_load_refuses(wh: Loader, capsys: pytest.CaptureFixture[str]) -> None:
    path = wh.write("header.csv", INC)
    assert wh.cli("check", str(path)) == 1
    assert "header.csv has a header row but no data rows" in capsys.readouterr().err


def test_rejects_json(wh: Loader, capsys: pytest.CaptureFixture[str]) -> None:
    wh.load_text(INC + incident_row("I1", reported_at="31/02/2025") + incident_row("I2"), name="a.csv")
    wh.load_text(BR + "B1,S1,,lewd\n", name="b.csv")
    assert wh.cli("rejects", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == [
        {"file": "a.csv", "row": 2, "column": "reported_at", "value": "31/02/2025",
         "reason": "reported_at is not a date this tool reads (use DD/MM/YYYY or YYYY-MM-DD, with HH:MM if needed)"},
        {"file": "b.csv", "row": 2, "column": "opened_at", "value": None, "reason": "opened_at is required but blank"},
    ]
    assert wh.cli("rejects", "--json", "--file", "b.csv") == 0
    assert [r["file"] for r in json.loads(capsys.readouterr().out)] == ["b.csv"]
    assert wh.cli("rejects") == 0
    assert "a.csv row 2, column reported_at: '31/02/2025': reported_at is not a date" in capsys.readouterr().out


# --- failures inside the transaction; database errors in the CLI -----------------------------------------


class FailingConnection:
    """A connection that fails on the statement starting with FAIL_AT (after the earlier writes ran)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, fail_at: str, error: BaseException) -> None:
        self._con, self._fail_at, self._error = con, fail_at, error

    def execute(self, sql: str, *args):
        if sql.lstrip().startswith(self._fail_at):
            raise self._error
        return self._con.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self._con, name)


@pytest.mark.parametrize("error", [duckdb.IOException("disk full"), KeyboardInterrupt()])
@pytest.mark.parametrize("fail_at", ["INSERT INTO rejects", "INSERT INTO loads", "COMMIT"])
def test_a_failure_inside_the_transaction_leaves_the_warehouse_as_it_was(
    wh: Loader, fail_at: str, error: BaseException
) -> None:
    wh.load_text(INC + incident_row("I1"), name="first.csv")
    before = wh.snapshot()
    path = wh.write("second.csv", INC + incident_row("I1", severity="high") + incident_row("I2", severity="x"))
    with pytest.raises(type(error)):
        load.load_file(FailingConnection(wh.con, fail_at, error), path, default_school=SCHOOL)
    assert wh.snapshot() == before
    assert wh.rows("SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name LIKE '\\_%' ESCAPE '\\'") == []
    assert wh.load(path).rows_updated == 1  # and the same file loads afterwards


def test_an_unexpected_database_error_is_one_plain_line(
    wh: Loader, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wh.load_text(INC + incident_row("I0"), name="earlier.csv")
    before = wh.snapshot()
    path = wh.write("oct.csv", INC + incident_row("I1"))

    def broken(*args, **kwargs):
        raise duckdb.IOException("IO Error: Could not write file \"x\": No space left on device")

    real_store = load._store
    monkeypatch.setattr(load, "_store", lambda con, source, *a, **k: (
        broken() if source.path.name == "oct.csv" else real_store(con, source, *a, **k)))
    with pytest.raises(duckdb.IOException):  # POLICY_ANALYTICS_DEBUG=1: the error shows itself
        wh.cli("load", str(path))
    monkeypatch.delenv(cli.DEBUG_ENV)
    assert wh.cli("load", str(path)) == 1
    err = capsys.readouterr().err
    assert err == (
        "policy-analytics: oct.csv could not be loaded because of a database error (Could not write file \"x\": "
        "No space left on device). Nothing from it was written: the warehouse is as it was before this file.\n"
    )
    assert wh.snapshot() == before
    # The files after it are still loaded, and the exit status still says one failed.
    nov = wh.write("nov.csv", INC + incident_row("I2"))
    assert wh.cli("load", str(path), str(nov)) == 1
    assert "oct.csv could not be loaded" in capsys.readouterr().err
    assert wh.rows("SELECT incident_id FROM incidents ORDER BY 1") == [("I0",), ("I2",)]


# --- property: row numbers and the row balance hold for any mix of rows ------------------------------

# Each kind of physical record: (the text, with {id}; stored?; a data row at all?)
RECORDS = {
    "good": ("{id},2025-10-07,fb,bullying,low,", True, True),
    "good_quoted": ('{id},"07/10/2025 14:30","X (Twitter)","bullying","low",""', True, True),
    "multi_line": ('{id},2025-10-07,fb,bullying,low,"line one\n\nline ""three"""', True, True),
    "trailing_empties": ("{id},2025-10-07,fb,bullying,low,,,,", True, True),
    "bad_value": ("{id},2025-10-07,fb,gossip,low,", False, True),
    "bad_date": ("{id},31/02/2025,fb,bullying,low,", False, True),
    "too_few": ("{id},2025-10-07", False, True),
    "too_many": ("{id},2025-10-07,fb,bullying,low,x,y", False, True),
    "blank": ("", False, False),
    "empty_fields": (",,,,", False, False),
    "spaces": ("   ", False, False),
}


@given(
    records=st.lists(st.tuples(st.sampled_from(sorted(RECORDS)), st.sampled_from(["\n", "\r\n"])), min_size=1, max_size=30),
    semicolons=st.booleans(),
    cp1252=st.booleans(),
)
@hypothesis_settings(max_examples=25, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_row_numbers_hold_for_any_mix_of_rows(
    wh: Loader, records: list[tuple[str, str]], semicolons: bool, cp1252: bool
) -> None:
    for table in ALL_TABLES:
        wh.con.execute(f"DELETE FROM {table}")
    header = "incident_id,reported_at,platform,category,severity,description"
    lines, stored, rejected = [header + "\n"], {}, set()
    for row, (kind, ending) in enumerate(records, start=2):  # the header is row 1
        text, keeps, is_data = RECORDS[kind]
        record_id = f"R{row}é" if cp1252 else f"R{row}"
        lines.append(text.format(id=record_id) + ending)
        if keeps:
            stored[record_id] = row
        elif is_data:
            rejected.add(row)
    content = "".join(lines)
    if semicolons:
        content = content.replace(",", ";")
    path = wh.write("mix.csv", content, encoding="cp1252" if cp1252 else "utf-8")
    if not stored and not rejected:
        assert "no data rows" in wh.refused(path)
        return
    result = wh.load(path)
    assert (result.rows_read, result.rows_stored, result.rows_rejected) == (len(stored) + len(rejected), len(stored), len(rejected))
    assert dict(wh.rows("SELECT incident_id, source_row FROM incidents")) == stored
    assert {row for (_, row, *_rest) in wh.rejects()} == rejected
    assert_balanced(wh.con)


# --- the one-pass route and the full validation agree ------------------------------------------------
# A CSV row whose every value is in a plain form is typed as DuckDB reads it (validation.fast_sql); any other
# row goes through the full validation (validation.typed_sql), as every XLSX row does. The two must store and
# reject exactly the same, whatever mix of plain and awkward values a file holds.

TRICKY = {
    "text": ["A", " A ", "\u00a0A", "a\tb", "", "  ", "Alder School"],
    "key": ["ID1", " ID1", "ID2", "ID2\u00a0", "", "ID3", "id3"],
    "datetime": ["13/06/2024 12:45", "13/06/2024", " 2024-06-13 ", "2024-06-13T12:45:00", "31/02/2025", "1/2/2024",
                 "06/13/2024", "13/06/1899", "13/06/0024", "", "  ", "2024-06-13 12:45:00.5", "\u00a013/06/2024",
                 "13/06/2024 12:45:30", "2024-06-14 08:00"],
    "flag": ["yes", "Yes", "YES", "Y", "n", "No ", "TRUE", "tRuE", "1", "0", " 1", "2", "", "maybe", "False"],
    "count": ["1", "0", "5", "+5", "-0", "5.0", "5.5", " 7", "1e3", "0001", "999999999999999", "9999999999999999",
              "-3", "", "\u00a05", "1"],
}
FAST_PATH_OFF = ("NULL", "NULL", "false")  # no row is typed in one pass: every row gets the full validation


def _vocab_spellings(domain: str) -> list[str]:
    values = list(vocab.DOMAINS[domain])
    aliases = [a for v in vocab.DOMAINS[domain].values() for a in v]
    odd = [v.upper() for v in values[:2]] + [v.replace("_", " ").title() for v in values[:2]]
    return [*values[:4], *aliases[:3], *odd, f" {values[0]} ", values[0].replace("_", "-"), "Mastodon", "", "other"]


def _tricky_values(column: Column) -> list[str]:
    if column.type == "vocab":
        return _vocab_spellings(column.domain)
    if column.type == "date":
        return TRICKY["datetime"]
    return TRICKY["key" if column.name in ("incident_id", "breach_id", "staff_ref") else column.type]


def _export_rows(kind: str) -> st.SearchStrategy[list[list[str]]]:
    """Rows of plain values (typed in one pass) with up to three columns given an awkward value each."""
    columns = load.KINDS[kind].columns
    plain = [_tricky_values(c)[0] for c in columns]  # a valid row, but for its id
    change = st.tuples(st.integers(0, len(columns) - 1), st.integers(0, 30))

    def awkward(changes: list[list[tuple[int, int]]]) -> list[list[str]]:
        rows = []
        for number, row_changes in enumerate(changes):
            row = [f"ID{number}" if c.name == load.KINDS[kind].key[0] else value for c, value in zip(columns, plain)]
            for at, pick in row_changes:
                choices = _tricky_values(columns[at])
                row[at] = choices[pick % len(choices)]
            rows.append(row)
        return rows

    return st.lists(st.lists(change, max_size=3), min_size=1, max_size=12).map(awkward)


def _stored_and_rejected(folder: Path, name: str, text: str, fast_path: bool, monkeypatch: pytest.MonkeyPatch) -> tuple:
    (folder / name).write_text(text, encoding="utf-8")
    target = folder / f"{name}.{'fast' if fast_path else 'full'}.duckdb"
    with monkeypatch.context() as patch:
        if not fast_path:
            patch.setattr(validation, "_fast_column_sql", lambda column, spellings, *_: FAST_PATH_OFF)
        con = db.connect(target, SETTINGS)
        try:
            result = load.load_file(con, folder / name, default_school=SCHOOL, accept_rejects=True)
            table = result.kind
            stored = con.execute(f"SELECT * EXCLUDE (load_id, loaded_at) FROM {table} ORDER BY ALL").fetchall()
            rejected = con.execute(
                "SELECT row_number, column_name, raw_value, reason FROM rejects ORDER BY ALL").fetchall()
        except UserError as refused:
            return ("refused", str(refused))
        finally:
            con.close()
    return (result.rows_read, result.rows_new, result.rows_rejected, stored, rejected)


@pytest.mark.parametrize("kind", sorted(load.KINDS))
def test_one_pass_route_agrees_with_the_full_validation_on_every_awkward_value(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One row per (column, awkward value), the rest of the row plain; and every pair of dates, for the rules."""
    columns = load.KINDS[kind].columns
    plain = [_tricky_values(c)[0] for c in columns]
    rows = [[*plain[:at], value, *plain[at + 1:]] for at, c in enumerate(columns) for value in _tricky_values(c)]
    dates = [at for at, c in enumerate(columns) if c.type in ("date", "datetime")]
    for first, second in zip(dates, dates[1:]):
        for a in TRICKY["datetime"][:6]:
            for b in TRICKY["datetime"][:6]:
                rows.append([a if at == first else b if at == second else value for at, value in enumerate(plain)])
    key = columns.index(load.KINDS[kind].column(load.KINDS[kind].key[0]))
    rows = [[f"ID{n}" if at == key and value == plain[key] else value for at, value in enumerate(row)]
            for n, row in enumerate(rows)]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([[c.name for c in columns], *rows])
    fast = _stored_and_rejected(tmp_path, "export.csv", buffer.getvalue(), True, monkeypatch)
    full = _stored_and_rejected(tmp_path, "export.csv", buffer.getvalue(), False, monkeypatch)
    assert fast[:3] == full[:3]
    assert fast[3] == full[3]
    assert fast[4] == full[4]
    assert fast[1] > len(rows) // 3  # most rows stored: the comparison is not between two empty tables


@given(kind=st.sampled_from(sorted(load.KINDS)), data=st.data())
@hypothesis_settings(max_examples=30, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_one_pass_route_agrees_with_the_full_validation(
    kind: str, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = data.draw(_export_rows(kind))
    names = [c.name for c in load.KINDS[kind].columns]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([names, *rows])
    folder = tmp_path_factory.mktemp("agree")
    fast = _stored_and_rejected(folder, "export.csv", buffer.getvalue(), True, monkeypatch)
    full = _stored_and_rejected(folder, "export.csv", buffer.getvalue(), False, monkeypatch)
    assert fast == full


def test_plain_rows_are_typed_in_one_pass_and_awkward_ones_get_the_full_validation(wh: Loader) -> None:
    path = wh.write("export.csv", INC + "I1,13/06/2024 12:45,Facebook,bullying,low\n"
                                        "I2,13/06/2024 12:45,fb, Bullying,High\n"  # a padded value: the full validation
                                        "I3,2024-06-13,Instagram,bullying,medium\n")
    with load._prepared(path, None) as source:
        load._check(wh.con, source)
        assert wh.rows("SELECT _row FROM _stage") == [(3,)]
        assert wh.rows("SELECT _row, incident_id, platform, severity, len(problems) FROM _checked ORDER BY _row") == [
            (2, "I1", "Facebook", "low", 0), (3, "I2", "Facebook", "high", 0), (4, "I3", "Instagram", "medium", 0)]
    load._drop_staging(wh.con)


@pytest.mark.parametrize("name", ["incidents [autumn].csv", "incidents*.csv", "incidents?.csv", "incidents {1}.csv"])
def test_a_file_named_like_a_pattern_is_read_as_that_one_file(wh: Loader, name: str) -> None:
    """DuckDB takes such a name for a pattern of names: the loader reads a copy under a plain name instead."""
    wh.write("incidents1.csv", INC + incident_row("OTHER"))  # what the pattern would also match
    result = wh.load_text(INC + incident_row("I1") + incident_row("I2"), name=name)
    assert (result.rows_read, result.rows_new) == (2, 2)
    assert wh.rows("SELECT incident_id, source_file FROM incidents ORDER BY 1") == [("I1", name), ("I2", name)]


def test_xlsx_version_cells_are_read_as_the_sheet_shows_them(wh: Loader) -> None:
    path = write_xlsx(wh.folder / "roster.xlsx", [
        ["Staff Ref", "Staff Group", "Policy Version", "Acknowledged At"],
        ["S1", "teaching", 2024.1, datetime(2024, 10, 14, 9, 0)],  # typed 2024.10 in a cell formatted 0.00
        ["S2", "support", 2024.1, None],  # no number format: shown as 2024.1
        ["S3", "teaching", "2024-10", None],
    ])
    book = openpyxl.load_workbook(path)
    book.active["C2"].number_format = "0.00"
    book.save(path)
    assert wh.load(path).rows_rejected == 0
    assert wh.rows("SELECT staff_ref, policy_version FROM acknowledgements ORDER BY 1") == [
        ("S1", "2024.10"), ("S2", "2024.1"), ("S3", "2024-10")]
