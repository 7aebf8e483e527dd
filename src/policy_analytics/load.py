"""Load one export into the warehouse: read it, validate every row in SQL, store or reject, in one transaction."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from policy_analytics.db import process_gone
from policy_analytics.errors import UserError
from policy_analytics.exports import KINDS, ExportKind, detect_kind, header_key
from policy_analytics.mapping import Profiles, SchoolNames
from policy_analytics.settings import Settings
from policy_analytics.validation import (
    PROBLEMS_TYPE, RAW_VALUE_CHARS, fast_columns, fast_sql, month_first_evidence_sql, plain_spellings, sql_text,
    trimmed, typed_sql,
)

if TYPE_CHECKING:
    import pyarrow as pa  # imported when an XLSX is read: it costs a CSV load a tenth of a second

MAX_FIELD_BYTES = 8 * 1024 * 1024

CSV_STRUCTURE_REASONS = {
    "TOO MANY COLUMNS": "the row has more fields than the header has columns (a stray comma or semicolon?)",
    "MISSING COLUMNS": "the row has fewer fields than the header has columns",
    "UNQUOTED VALUE": "a quoted field has text after its closing quote",
    "LINE SIZE OVER MAXIMUM": "the row is longer than this tool reads (8 MB)",
    "INVALID ENCODING": "the row has characters that are not valid text",
    "INVALID STATE": "the row could not be read as CSV (an unclosed quote?)",
    "CAST": "a value could not be read",
}
UNCLOSED_QUOTE_REASON = (
    "a quote mark in this row is never closed, so the rest of the file from here was read as this one row"
)
# File signatures refused or routed before any text is read.
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected workbooks
BLANK_MARK = "\x1f"  # written on each empty line of a CSV before DuckDB reads it (a control character no export holds)
_EMPTY_LINE = re.compile(r"\n(?=\n)")
_EMPTY_LINE_BYTES = re.compile(rb"\n\n")  # `re` finds it three times faster than `b"\n\n" in chunk`
GLOB_CHARACTERS = set("*?[]{}")  # read_csv takes a path holding any of these for a pattern of file names
SCRATCH_PREFIX = "policy-analytics-"  # + pid: the temporary folder holding a CSV's normalised copy
HEADER_SEARCH_ROWS = 20  # XLSX: how many non-empty rows at the top may precede the header (titles, notes)
MOJIBAKE_BOMS = ("\u00ef\u00bb\u00bf", "\ufeff")  # a UTF-8 byte-order mark read as Windows-1252, or kept as text


@dataclass
class LoadResult:
    """What happened to one file: the per-file summary the CLI prints."""

    file: str
    kind: str
    status: str  # loaded | unchanged | refused (with --strict) | checked (dry run)
    rows_read: int = 0
    rows_new: int = 0
    rows_updated: int = 0
    rows_rejected: int = 0
    rows_unchanged: int = 0  # rows stored before with the same values: not rewritten
    kept_columns: list[str] = field(default_factory=list)  # absent from the file: stored values kept
    mappings: list[str] = field(default_factory=list)  # the settings' mappings that applied, as `header -> column`
    school_notes: list[str] = field(default_factory=list)  # school names matching no listed school
    top_reasons: list[tuple[str, int]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    message: str = ""
    rejects: list[dict[str, object]] = field(default_factory=list)  # every problem, filled by a dry run only

    @property
    def rows_stored(self) -> int:
        """Rows stored: new, updated and unchanged (every row accepted is in the warehouse)."""
        return self.rows_new + self.rows_updated + self.rows_unchanged


@dataclass
class _Source:
    """A file made ready for DuckDB: its kind, header mapping and where to read the rows."""

    path: Path
    sha256: str
    kind: ExportKind
    names: list[str]  # one per column of the file, canonical or `_ignored_N`
    ignored: list[str]
    csv_path: Path | None = None
    delimiter: str = ","
    table: pa.Table | None = None  # XLSX rows as text, with `_row`
    marked: bool = True  # the CSV may hold BLANK_MARK (a normalised copy); False when read as it stands
    mapped: list[str] = field(default_factory=list)  # `header -> column` for each header the settings mapped
    reader: str = ""  # the CSV's read_csv, for a second look at its text (month-first dates)


def load_file(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    kind: str | None = None,
    strict: bool = False,
    dry_run: bool = False,
    default_school: str = "Unassigned",
    settings: Settings | None = None,
    accept_rejects: bool = False,
    again: str = "",
) -> LoadResult:
    """Load one export file; refuse it whole (UserError, warehouse unchanged) if it cannot be read.

    SETTINGS gives the school's mapping profiles and schools; AGAIN is the options a hint repeats (`--db X`).
    """
    path = Path(path)
    settings = settings or Settings(schools=(default_school,))
    profiles = settings.profiles
    with _prepared(path, kind, profiles) as source:
        if not dry_run:
            earlier = con.execute(
                "SELECT loaded_at FROM loads WHERE file_sha256 = ? AND kind = ? AND status = 'loaded' "
                "ORDER BY loaded_at LIMIT 1",
                [source.sha256, source.kind.name],
            ).fetchone()
            if earlier:
                return LoadResult(
                    file=path.name,
                    kind=source.kind.name,
                    status="unchanged",
                    ignored_columns=source.ignored,
                    message=f"identical to the file loaded at {earlier[0]:%d/%m/%Y %H:%M}; nothing changed",
                )
        try:
            month_first = profiles.date_order.get(source.kind.name) == "month_first"
            _check(con, source, month_first=month_first)
            if not month_first:
                _refuse_month_first(con, source, again)
            return _store(con, source, default_school, settings, strict=strict, dry_run=dry_run,
                          accept_rejects=accept_rejects, again=again)
        finally:
            _drop_staging(con)


def _rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass  # already rolled back


# --- reading the file ---------------------------------------------------------------------------


@contextmanager
def _prepared(path: Path, kind: str | None, profiles: Profiles = Profiles()) -> Iterator[_Source]:
    """Check the file is a readable CSV or spreadsheet and make it ready for DuckDB (a normalised UTF-8 copy for CSV)."""
    if not path.exists():
        raise UserError(f"{path}: there is no such file.")
    if path.is_dir():
        raise UserError(f"{path} is a folder, not an export file.")
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
        sha256, utf8, as_read = _scan(path)
    except OSError as exc:
        raise UserError(f"{path.name} could not be opened ({exc.strerror or exc}). Nothing was loaded.") from None
    if not head:
        raise UserError(f"{path.name} is empty: it has no header row and no data rows. Nothing was loaded.")
    if head.startswith((*ZIP_SIGNATURES, OLE2_SIGNATURE)):
        yield _prepare_workbook(path, head, sha256, kind, profiles)
        return
    _refuse_binary(path, head)
    _remove_stale_scratch()
    if as_read and not set(str(path)) & GLOB_CHARACTERS:
        # The normalised copy would be these very bytes: DuckDB reads the file itself (2.4 GB not copied at 10M).
        source = _prepare_csv(path, path.absolute(), sha256, kind, profiles)
        source.marked = False
        yield source
        return
    # The folder is named after this process, so a later load can tell it is stale if this one is killed.
    with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-") as scratch:
        target = Path(scratch) / "export.csv"
        if as_read:  # a name DuckDB would take for a pattern: the bytes are copied as they are, without decoding
            source = _prepare_csv(path, Path(shutil.copyfile(path, target)), sha256, kind, profiles)
            source.marked = False
        else:
            source = _prepare_csv(path, _normalised_copy(path, target, utf8=utf8), sha256, kind, profiles)
        yield source


def _remove_stale_scratch() -> None:
    """Remove the normalised copies (personal data) left in the temporary folder by loads that were killed."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        pid = folder.name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and process_gone(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _scan(path: Path) -> tuple[str, bool, bool]:
    """One read of the file: (SHA-256, whether it is UTF-8, whether DuckDB can read it as it stands).

    It can when `_normalised_copy` would write the same bytes: UTF-8 without a byte-order mark, and no
    carriage return, empty line or BLANK_MARK anywhere. The hash is computed in a second thread while
    this one checks the text (hashlib works without the GIL), so it costs about one read of the file.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(_sha256, path)
        decoder = codecs.getincrementaldecoder("utf-8")()
        utf8 = as_read = True
        previous = b""
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 22):
                if as_read and (
                    (not previous and chunk.startswith(codecs.BOM_UTF8))
                    or b"\r" in chunk
                    or _EMPTY_LINE_BYTES.search(chunk)
                    or BLANK_MARK.encode() in chunk
                    or (previous.endswith(b"\n") and chunk.startswith(b"\n"))
                ):
                    as_read = False
                # An ASCII chunk is UTF-8 as it stands, unless a character was cut at the end of the last one.
                if utf8 and not (chunk.isascii() and not decoder.getstate()[0]):
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        utf8 = as_read = False
                previous = chunk
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = as_read = False
        return digest.result(), utf8, as_read


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _refuse_binary(path: Path, head: bytes) -> None:
    if head.startswith(b"%PDF"):
        raise UserError(f"{path.name} is a PDF, not a CSV or XLSX export. Export the data as CSV or XLSX.")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_like_utf16(head[:400]):
        raise UserError(
            f"{path.name} is saved as UTF-16 (\"Unicode text\"), which this tool does not read. "
            "Save it as \"CSV UTF-8\" or XLSX."
        )
    if b"\x00" in head:
        raise UserError(f"{path.name} is not a text file (it holds binary data), so it is not a CSV export.")
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith((b"<!doctype html", b"<html")):
        raise UserError(
            f"{path.name} is a web page (HTML), not a CSV export: perhaps an error or sign-in page was saved "
            "instead of the export. Download the export again."
        )


def _looks_like_utf16(sample: bytes) -> bool:
    """UTF-16 without a byte-order mark: Latin text has a zero byte in every other place, and only there."""
    if len(sample) < 20:
        return False
    even, odd = sample[0::2], sample[1::2]
    zeros_even, zeros_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    return max(zeros_even, zeros_odd) > 0.7 and min(zeros_even, zeros_odd) < 0.05


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 22):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _normalised_copy(path: Path, target: Path, *, utf8: bool | None = None) -> Path:
    """The CSV as DuckDB reads it: UTF-8 without a BOM, every line ending (CRLF, CR or LF, even mixed) as LF,
    and every empty line holding BLANK_MARK.

    UTF-8 (with or without a BOM) is read as such; anything else as Windows-1252, as Excel writes "CSV".
    DuckDB refuses a file with mixed line endings, and skips empty lines without a trace, so the rows after
    one would be misnumbered: with the mark, an empty line is a row like any other (dropped later as blank),
    and inside a quoted value the mark is removed again when the value is staged.
    """
    encoding = "utf-8-sig" if (_is_utf8(path) if utf8 is None else utf8) else "cp1252"
    ended_line = False
    try:
        with path.open("r", encoding=encoding, newline=None) as src, target.open("w", encoding="utf-8", newline="") as out:
            while chunk := src.read(1 << 20):
                chunk = _EMPTY_LINE.sub("\n" + BLANK_MARK, chunk.replace(BLANK_MARK, ""))
                if ended_line and chunk.startswith("\n"):
                    chunk = BLANK_MARK + chunk
                ended_line = chunk.endswith("\n")
                out.write(chunk)
    except UnicodeDecodeError:
        raise UserError(
            f"{path.name} is neither UTF-8 nor Windows-1252 text, so its characters cannot be read. "
            "Save it as \"CSV UTF-8\" or XLSX."
        ) from None
    return target


def _prepare_csv(path: Path, csv_path: Path, sha256: str, kind: str | None, profiles: Profiles) -> _Source:
    with csv_path.open("r", encoding="utf-8", newline="") as fh:
        first_line = fh.readline()
    if not first_line.strip():
        raise UserError(f"{path.name} has no header row on row 1 (the first line is blank). Nothing was loaded.")
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    if "\t" in first_line and delimiter not in first_line:
        raise UserError(
            f"{path.name} is separated by tabs (\"Text (Tab delimited)\"), not commas or semicolons. "
            "Save it as \"CSV UTF-8\" or XLSX."
        )
    header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter))
    export, names, ignored, mapped = _match_headers(path, header, kind, profiles)
    return _Source(path, sha256, export, names, ignored, csv_path=csv_path, delimiter=delimiter, mapped=mapped)


def _open_workbook(path: Path, head: bytes) -> list[list[object]]:
    """The first sheet's rows from A1 (list positions are the sheet's row numbers), in any format calamine reads.

    calamine tells the format (XLSX, XLSM, XLSB, XLS, ODS) from the content, not the file's name.
    """
    from python_calamine import CalamineWorkbook

    try:
        with path.open("rb") as fh:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(fh.read()))
        return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own errors, ValueError and others: each means "cannot open"
        raise _not_a_workbook(path, head, exc) from None


def _not_a_workbook(path: Path, head: bytes, failure: Exception) -> UserError:
    """The refusal for a file that begins like a workbook but that the reader cannot open, naming what it is."""
    detail = (str(failure).splitlines() or [type(failure).__name__])[0]
    if head.startswith(OLE2_SIGNATURE):
        return UserError(
            f"{path.name} is an old-style Excel workbook (.xls) or a password-protected file that could not be "
            f"opened ({detail.rstrip('.')}), so nothing was loaded. Save it as XLSX or \"CSV UTF-8\" without a password."
        )
    if not zipfile.is_zipfile(path):
        return UserError(
            f"{path.name} is damaged or incomplete: it begins like a workbook (a zip file) but cannot be "
            "opened. Save or download it again. Nothing was loaded."
        )
    with zipfile.ZipFile(path) as archive:
        members = [n.replace("\\", "/") for n in archive.namelist()]
    found = ("a Word document" if any(n.startswith("word/") for n in members) else
             "a PowerPoint file" if any(n.startswith("ppt/") for n in members) else
             f"an archive holding {', '.join(members[:3]) or 'nothing'}{'...' if len(members) > 3 else ''}")
    return UserError(f"{path.name} is a zip archive, not a CSV or XLSX export: it is {found}, not a spreadsheet "
                     "(XLSX, XLSM, XLSB, XLS or ODS). Nothing was loaded.")


def _prepare_workbook(path: Path, head: bytes, sha256: str, kind: str | None, profiles: Profiles) -> _Source:
    import pyarrow as pa

    rows = _open_workbook(path, head)
    # A row with no text in any cell is not a data row (as a blank line in a CSV is not).
    numbered = [(i + 1, row) for i, row in enumerate(rows) if any(_cell_text(c) for c in row)]
    if not numbered:
        raise UserError(
            f"{path.name}: the first sheet is empty. The export must be on the workbook's first sheet. "
            "Nothing was loaded."
        )
    at = _header_position(numbered, kind, profiles)
    export, names, ignored, mapped = _match_headers(path, [_cell_text(c) or "" for c in numbered[at][1]], kind, profiles)
    body = numbered[at + 1 :]
    columns = {name: [_cell_text(row[i]) if i < len(row) else None for _, row in body] for i, name in enumerate(names)}
    if "policy_version" in names:
        columns["policy_version"] = _as_shown(path, names.index("policy_version"), body, columns["policy_version"])
    columns["_row"] = [n for n, _ in body]
    table = pa.table({k: pa.array(v, type=pa.int64() if k == "_row" else pa.string()) for k, v in columns.items()})
    return _Source(path, sha256, export, names, ignored, table=table, mapped=mapped)


def _as_shown(path: Path, index: int, body: list[tuple[int, list[object]]], texts: list[str | None]) -> list[str | None]:
    """A column's number cells as the sheet shows them: a version typed as 2024.10 in a cell formatted 0.00 is
    stored by Excel as the number 2024.1; its number format gives back the two decimal places."""
    numbers = {n: row[index] for n, row in body if index < len(row) and isinstance(row[index], float)}
    if not numbers:
        return texts
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True)
    except Exception:  # an XLS, XLSB, ODS or a layout openpyxl does not read: the cells as calamine gives them
        return texts
    try:
        sheet = book.worksheets[0]
        shown = {}
        first = min(numbers)
        cells = sheet.iter_rows(min_row=first, max_row=max(numbers), min_col=index + 1, max_col=index + 1)
        for number, (cell,) in enumerate(cells, start=first):
            places = re.search(r"\.([0#?]+)", str(getattr(cell, "number_format", "General")).split(";")[0])
            if number in numbers and places:
                shown[number] = f"{numbers[number]:.{len(places.group(1))}f}"
    finally:
        book.close()
    return [shown.get(n, text) for (n, _), text in zip(body, texts)]


def _header_position(numbered: list[tuple[int, list[object]]], kind: str | None, profiles: Profiles) -> int:
    """Which of the sheet's first non-empty rows is the header: the first naming an export's id columns.

    Rows above it (a title, a note on when the export was run) are not data. Without such a row the
    first non-empty row is taken, so the header message names what is missing from it.
    """
    for at, (_, row) in enumerate(numbered[:HEADER_SEARCH_ROWS]):
        header = [_cell_text(c) or "" for c in row]
        wanted = KINDS.get(kind) if kind else None
        if wanted:
            if all(k in _mapped_keys(header, profiles.headers(wanted.name)) for k in wanted.key):
                return at
        elif _detect(header, profiles, ids_only=True):
            return at
    return 0


def _cell_text(value: object) -> str | None:
    """An Excel cell as the text a CSV export would hold; native dates become ISO text, whole numbers lose `.0`."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    text = str(value)
    return text if text.strip() else None


def _clean_header(text: str) -> str:
    """A header cell without a byte-order mark, kept as text or read as Windows-1252 characters (`ï»¿`)."""
    text = str(text)
    for mark in MOJIBAKE_BOMS:
        if text.startswith(mark):
            return text[len(mark):]
    return text


def _mapped_keys(header: list[str], mapping: dict[str, str]) -> list[str]:
    """The header's keys, each header the settings map for this export replaced by its canonical column."""
    keys = [header_key(_clean_header(h)) for h in header]
    return [mapping.get(k, k) for k in keys]


def _detect(header: list[str], profiles: Profiles, *, ids_only: bool = False) -> ExportKind | None:
    """The export a header row belongs to, trying each export's own header mapping first.

    The one export whose required columns all appear under its own mapping wins; else the id columns decide.
    """
    complete = [export for name, export in KINDS.items()
                if set(export.required) <= set(_mapped_keys(header, profiles.headers(name)))]
    if len(complete) == 1:
        return complete[0]
    for name, export in KINDS.items():
        if profiles.headers(name) and detect_kind(_mapped_keys(header, profiles.headers(name)), ids_only=True) is export:
            return export
    return detect_kind(_mapped_keys(header, {}), ids_only=ids_only)


def _match_headers(
    path: Path, header: list[str], kind: str | None, profiles: Profiles
) -> tuple[ExportKind, list[str], list[str], list[str]]:
    """(export, a name per column, ignored headers, the mappings applied) for a header row."""
    header = [_clean_header(h) for h in header]
    if not any(header_key(h) for h in header):
        raise UserError(f"{path.name} has no column names on its header row. Nothing was loaded.")
    if kind:
        if kind not in KINDS:
            raise UserError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}.")
        export = KINDS[kind]
    else:
        detected = _detect(header, profiles)
        if detected is None:
            raise UserError(
                f"{path.name}: cannot tell which export this is from its header row "
                "(expected an incident_id, breach_id, or staff_ref and policy_version column). "
                "Give it with --kind."
            )
        export = detected
    mapping = profiles.headers(export.name)
    keys = _mapped_keys(header, mapping)
    mapped = [f"{h.strip()} -> {k}" for h, k in zip(header, keys) if header_key(h) in mapping]
    known = {c.name for c in export.columns}
    seen: dict[str, int] = {}
    names, ignored = [], []
    for position, (raw, key) in enumerate(zip(header, keys), start=1):
        if key in known:
            if key in seen:
                raise UserError(
                    f"{path.name}: the column {key} appears twice on the header row "
                    f"(columns {seen[key]} and {position}). Remove one and load it again."
                )
            seen[key] = position
            names.append(key)
        else:
            names.append(f"_ignored_{position}")
            label = str(raw).strip()
            if label and label not in ignored:
                ignored.append(label)
    missing = [c for c in export.required if c not in seen]
    if missing:
        found = ", ".join(repr(h.strip()) for h in header if h.strip())
        raise UserError(
            f"{path.name} is missing the required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} for {export.name}; its header row has {found}. Nothing was loaded: map the "
            f"school's own headers under [columns.{export.name}] in the settings "
            f"(`policy-analytics check --suggest {path}` suggests how)."
        )
    return export, names, ignored, mapped


# --- validating and storing, all in SQL ----------------------------------------------------------


def _check(con: duckdb.DuckDBPyConnection, source: _Source, *, month_first: bool = False) -> None:
    """Build `_checked`: one row per data row, with its row number, typed values and list of problems."""
    if source.table is None:
        _check_csv(con, source, month_first=month_first)
        return
    # XLSX: every row as text into `_stage`, then the full validation (workbooks are small).
    con.register("_xlsx_rows", source.table)
    con.execute("CREATE TEMP TABLE _stage AS SELECT * FROM _xlsx_rows")
    con.unregister("_xlsx_rows")
    con.execute("CREATE TEMP TABLE _csv_faults (line BIGINT, column_name VARCHAR, csv_line VARCHAR, error_type VARCHAR)")
    _drop_blank_rows(con, source.names)
    con.execute(typed_sql(source.kind, source.names, target="_checked", month_first=month_first))


def _drop_blank_rows(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    """Rows of `_stage` whose every field is blank are not data rows, as a blank line is not."""
    blank = " AND ".join(f"coalesce({trimmed(n)}, '') = ''" for n in names)
    con.execute(f"DELETE FROM _stage WHERE {blank}")


def _check_csv(con: duckdb.DuckDBPyConnection, source: _Source, *, month_first: bool = False) -> None:
    """Read and type the CSV in one pass (`_fast`); rows not plainly valid get the full validation.

    `fast_sql` types every row as DuckDB reads it and keeps the row's text (`_raw`) only where a value
    is not in one of the plain forms it knows (a padded value, an alias in odd capitals, a problem).
    Those rows, few in a real export, are numbered into `_stage` and validated by `typed_sql` as XLSX
    rows are; `_checked` is the union of both. No table ever holds the whole file as text.

    Rows are numbered as a spreadsheet does: DuckDB gives each row it rejects its row number (header =
    row 1, a quoted value over several lines is one row). No line is empty in the file DuckDB reads (the
    normalised copy, or a file `_scan` found none in), so DuckDB skips none, and the rows it read are,
    in file order, the row numbers from 2 up that its rejects did not take.
    """
    export, names = source.kind, source.names
    columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
    mark = f"chr({ord(BLANK_MARK)})"
    # A CSV copied byte for byte holds no BLANK_MARK (see _scan): nothing to remove then.
    text = ", ".join(f"replace(\"{n}\", {mark}, '') AS \"{n}\"" if source.marked else f'"{n}"' for n in names)
    reader = f"""(SELECT {text} FROM read_csv(?, header = true, delim = ?, quote = '"', escape = '"',
                auto_detect = false, columns = {columns}, all_varchar = true, max_line_size = {MAX_FIELD_BYTES},
                ERRORS))"""
    source.reader = reader.replace("ERRORS", "ignore_errors = true")  # a second look at the text, keeping no rejects
    reader = reader.replace(
        "ERRORS", "store_rejects = true, rejects_table = '_csv_reject_errors', rejects_scan = '_csv_reject_scans'"
    )
    create, table = _scratch_table(con)
    fast = f"{table} AS _fast"
    try:
        query = fast_sql(export, names, reader, plain_spellings(con, export), month_first=month_first)
        con.execute(f"CREATE {create} AS {query}", [str(source.csv_path), source.delimiter])
    except duckdb.Error as exc:
        detail = str(exc).splitlines()[0]
        raise UserError(f"{source.path.name} could not be read as a CSV file ({detail}). Nothing was loaded.") from None
    # A fault of the whole line (one over the size limit) has no column_idx, and arg_min skips NULL keys: -1.
    con.execute(
        f"""CREATE TEMP TABLE _csv_faults AS
            SELECT line, arg_min(column_name, coalesce(column_idx, -1)) AS column_name,
                   replace(ltrim(arg_min(csv_line, coalesce(column_idx, -1)), chr(10)), {mark}, '') AS csv_line,
                   arg_min(CAST(error_type AS VARCHAR), coalesce(column_idx, -1)) AS error_type
            FROM _csv_reject_errors GROUP BY line"""
    )
    if not con.execute("SELECT count(*) FROM _csv_faults").fetchone()[0]:
        rows, row = fast, "_fast.rowid + 2"  # every row was read, so its place in the file numbers it
    else:
        con.execute(
            f"""CREATE TEMP TABLE _numbering AS
               SELECT r AS _row, row_number() OVER (ORDER BY r) - 1 AS ord
               FROM range(2, (SELECT count(*) FROM {fast}) + (SELECT count(*) FROM _csv_faults) + 2) t(r)
               ANTI JOIN _csv_faults f ON f.line = t.r"""
        )
        rows, row = f"{fast} JOIN _numbering ON _numbering.ord = _fast.rowid", "_numbering._row"
        read, numbered = con.execute(f"SELECT (SELECT count(*) FROM {fast}), (SELECT count(*) FROM {rows})").fetchone()
        if read != numbered:
            raise RuntimeError(f"internal check failed for {source.path.name}: {read} rows read but {numbered} numbered")
        # A faulty row with nothing in it (an empty line, spaces, a lone delimiter) is a blank row, not a data row.
        con.execute(f"""DELETE FROM _csv_faults WHERE regexp_full_match(csv_line, '[\\s"{source.delimiter}]*')""")
    raw = ", ".join(f'_raw[{i}] AS "{n}"' for i, n in enumerate(names, start=1))
    con.execute(f"CREATE TEMP TABLE _stage AS SELECT {raw}, {row} AS _row FROM {rows} WHERE _raw IS NOT NULL")
    _drop_blank_rows(con, names)
    con.execute(typed_sql(export, names, target="_slow_checked", month_first=month_first))
    con.execute(
        f"""CREATE TEMP VIEW _checked AS
            SELECT {row} AS _row, {fast_columns(export, names)}, CAST([] AS {PROBLEMS_TYPE}) AS problems
            FROM {rows} WHERE _raw IS NULL
            UNION ALL SELECT * FROM _slow_checked"""
    )


def _refuse_month_first(con: duckdb.DuckDBPyConnection, source: _Source, again: str) -> None:
    """Refuse a file whose date column can only be month-first (10/29/2023) and is nowhere only day-first.

    Such a value fails the day-first reading, so it is among the rows given the full validation (`_stage`, a
    few): a file with none costs one count of them. Only then is the whole column's text read again.
    """
    for col in source.kind.columns:
        if col.type not in ("datetime", "date") or col.name not in source.names:
            continue
        month_only, row, value, _ = con.execute(month_first_evidence_sql(col.name, "_stage")).fetchone()
        if not month_only:
            continue
        if source.table is None:
            whole = f'(SELECT "{col.name}", 0 AS _row FROM {source.reader})'
            day_only = con.execute(month_first_evidence_sql(col.name, whole),
                                   [str(source.csv_path), source.delimiter]).fetchone()[3]
        else:
            day_only = con.execute(month_first_evidence_sql(col.name, "_stage")).fetchone()[3]
        if day_only:
            continue  # both orders in one column: each unreadable value is rejected with its row
        raise UserError(
            f"{source.path.name} writes {col.name} month first (row {row} has {value!r}, and no row is day first), "
            "so a date such as 07/06/2026 would be read as 7 June when it means 6 July, and nothing was loaded. "
            f"Save the file again with UK dates (DD/MM/YYYY), or add date_order = \"month_first\" under "
            f"[exports.{source.kind.name}] in the settings{' (' + again.strip() + ')' if again.strip() else ''}."
        )


SCRATCH = "_load_scratch"  # an in-memory database for `_fast`, detached after each load


def _scratch_table(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """(what to CREATE, the name to read) for `_fast`: a table in a database of its own, as beside a temp table
    of millions of rows DuckDB took seconds to write each small temp table after it (4 s for 118,000 rows at
    10 million). A read-only connection (`check` against a warehouse) cannot attach one: its temp schema."""
    try:
        con.execute(f"ATTACH ':memory:' AS {SCRATCH}")
    except duckdb.CatalogException:
        return "TEMP TABLE _fast", "temp._fast"
    return f"TABLE {SCRATCH}._fast", f"{SCRATCH}._fast"


def _store(
    con: duckdb.DuckDBPyConnection, source: _Source, default_school: str, settings: Settings, *,
    strict: bool, dry_run: bool, accept_rejects: bool = False, again: str = "",
) -> LoadResult:
    """Decide every row's fate in temp tables, then write rows, rejects and the load log in one transaction."""
    export = source.kind
    load_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchone()[0]
    loaded_at = datetime.now().replace(microsecond=0)
    name = source.path.name
    key_match = " AND ".join(f't."{k}" = s."{k}"' for k in export.key)

    # `_checked` has one row for each data row DuckDB could read; the rows it could not are in `_csv_faults`
    rows_read = con.execute("SELECT (SELECT count(*) FROM _checked) + (SELECT count(*) FROM _csv_faults)").fetchone()[0]
    if rows_read == 0:
        raise UserError(f"{name} has a header row but no data rows. Nothing was loaded.")

    present = set(source.names)
    school, school_raw, school_notes = _school_sql(con, source, settings, default_school)
    values = [school if c.name == "school" else c.name for c in export.columns] + [school_raw]
    if export is KINDS["incidents"]:
        # An unrecognised platform is stored as Other, keeping the export's own text.
        values.append("CASE WHEN platform = 'Other' AND lower(platform__text) <> 'other' THEN platform__text END AS platform_raw")
    keys = ", ".join(export.key)
    # Equal ids have equal hashes: grouping the hashes (integers) is cheaper than the ids, and only where two
    # hashes meet are the ids themselves compared.
    repeats = "SELECT count(*) FROM (SELECT {} FROM _checked WHERE len(problems) = 0 GROUP BY ALL HAVING count(*) > 1)"
    repeated = bool(con.execute(repeats.format(f"hash({keys})")).fetchone()[0]) and bool(
        con.execute(repeats.format(keys)).fetchone()[0]
    )
    # With no id repeated the window (a sort of every row) would keep every row: a view over `_checked` does.
    con.execute(
        f"""CREATE TEMP {'TABLE' if repeated else 'VIEW'} _accepted AS
            SELECT {', '.join(values)}, CAST({load_id} AS INTEGER) AS load_id, {sql_text(name)} AS source_file,
                   {sql_text(source.sha256)} AS source_sha256, _row AS source_row,
                   CAST({sql_text(loaded_at.isoformat(sep=' '))} AS TIMESTAMP) AS loaded_at
            FROM _checked WHERE len(problems) = 0
            {f'QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY _row DESC) = 1' if repeated else ''}"""
    )
    structure = " ".join(f"WHEN '{k}' THEN {sql_text(v)}" for k, v in CSV_STRUCTURE_REASONS.items())
    same_key = " AND ".join(f"a.{k} = c.{k}" for k in export.key)
    key_value = " || ' / ' || ".join(f"c.{k}" for k in export.key)
    key_words = " and ".join(export.key)
    con.execute(
        f"""CREATE TEMP TABLE _problems AS
            SELECT line AS row_number,
                   CASE WHEN error_type = 'UNQUOTED VALUE' AND NOT starts_with(column_name, '_')
                        THEN column_name END AS column_name,
                   left(csv_line, {RAW_VALUE_CHARS}) AS raw_value,
                   CASE WHEN error_type = 'UNQUOTED VALUE' AND (length(csv_line) - length(replace(csv_line, '"', ''))) % 2 = 1
                        THEN {sql_text(UNCLOSED_QUOTE_REASON)}
                        ELSE CASE error_type {structure} ELSE 'the row could not be read' END END AS reason
            FROM _csv_faults
            UNION ALL
            SELECT _row, p.column, p.value, p.reason
            FROM (SELECT _row, unnest(problems) AS p FROM _checked WHERE len(problems) > 0)
            UNION ALL
            SELECT c._row, ?, {key_value},
                   'duplicate id in file: row ' || a.source_row || ' has the same {key_words} and was kept'
            FROM _checked c JOIN _accepted a ON {same_key}
            WHERE {'len(c.problems) = 0 AND c._row <> a.source_row' if repeated else 'false'}""",
        [" + ".join(export.key)],
    )

    table_columns = [d[0] for d in con.execute(f"SELECT * FROM {export.name} LIMIT 0").description]
    # A column the file does not have keeps its stored value; the columns derived from one it has go with it.
    derived = {"school_raw": "school", "platform_raw": "platform"}
    lineage = ("load_id", "source_file", "source_sha256", "source_row", "loaded_at")
    updating = [c for c in table_columns if c not in lineage and derived.get(c, c) in present]
    kept = [c.name for c in export.columns if c.name not in present]
    empty = not con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {export.name} LIMIT 1)").fetchone()[0]
    stored = con.execute("SELECT count(*) FROM _accepted").fetchone()[0]
    matched = unchanged = 0
    rows = "_accepted"  # the rows to write: all of them into an empty table, else only the new and changed
    if not empty:
        matched, unchanged = _changed_rows(con, export, updating, key_match)
        rows = "_changed"
    rejected = con.execute("SELECT count(DISTINCT row_number) FROM _problems").fetchone()[0]
    if rows_read != stored + rejected:
        raise RuntimeError(
            f"internal check failed for {name}: {rows_read} rows read but {stored} stored and {rejected} rejected"
        )
    top = con.execute(
        """SELECT CASE WHEN reason LIKE 'duplicate id in file%' THEN 'duplicate id in file' ELSE reason END AS r,
                  count(DISTINCT row_number) AS n
           FROM _problems GROUP BY r ORDER BY n DESC, r LIMIT 3"""
    ).fetchall()
    result = LoadResult(
        file=name,
        kind=export.name,
        status="checked" if dry_run else "loaded",
        rows_read=rows_read,
        rows_new=stored - matched,
        rows_updated=matched - unchanged,
        rows_rejected=rejected,
        rows_unchanged=unchanged,
        kept_columns=kept if matched else [],
        mappings=source.mapped,
        school_notes=school_notes,
        top_reasons=[(r, n) for r, n in top],
        ignored_columns=source.ignored,
    )
    most_rejected = rejected * 2 > rows_read and not accept_rejects
    if dry_run:
        problems = con.execute(
            "SELECT row_number, column_name, raw_value, reason FROM _problems ORDER BY row_number, column_name"
        ).fetchall()
        result.rejects = [dict(file=name, row=r, column=c, value=v, reason=why) for r, c, v, why in problems]
        if most_rejected:
            result.message = "more than half of the rows would be rejected, so load would refuse the file"
        return result
    see = f"See every problem with `policy-analytics check --json {source.path}{again}`."
    if strict and rejected:
        raise UserError(
            f"{name}: {rejected} of {rows_read} rows would be rejected (commonest: {top[0][0]}), "
            f"so with --strict nothing was loaded. {see}"
        )
    if most_rejected:
        reasons = "; ".join(f"{reason} ({_rows(n)})" for reason, n in top)
        raise UserError(
            f"{name}: {rejected} of {rows_read} rows would be rejected, more than half, so nothing was loaded "
            f"(commonest: {reasons}). {see[:-1]}, or store the other rows anyway with --accept-rejects."
        )
    columns = [d[0] for d in con.execute("SELECT * FROM _accepted LIMIT 0").description]
    listed = ", ".join(f'"{c}"' for c in columns)
    in_order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = false")
    con.execute("BEGIN TRANSACTION")
    try:
        if kept and not empty:
            # Only the file's own columns update a stored row; a new row takes blanks for the others.
            assignments = ", ".join(f'"{c}" = s."{c}"' for c in [*updating, *lineage] if c not in export.key)
            con.execute(
                f"""MERGE INTO {export.name} t USING {rows} s ON {key_match}
                    WHEN MATCHED THEN UPDATE SET {assignments}
                    WHEN NOT MATCHED THEN INSERT ({listed}) VALUES ({', '.join(f's."{c}"' for c in columns)})"""
            )
        else:
            if not empty:
                # Every column is replaced, so an upsert is the old rows deleted and the new ones inserted: unlike
                # MERGE's UPDATE of millions of rows (out of memory at 10 million), both stay within the memory limit.
                con.execute(f"DELETE FROM {export.name} t USING {rows} s WHERE {key_match}")
            con.execute(f"INSERT INTO {export.name} ({listed}) SELECT {listed} FROM {rows}")
        # The file's earlier rejects are history now: `rejects` holds what is wrong with each file as last loaded.
        con.execute("INSERT INTO rejects_history SELECT * FROM rejects WHERE file_name = ?", [name])
        con.execute("DELETE FROM rejects WHERE file_name = ?", [name])
        con.execute(
            "INSERT INTO rejects SELECT ?, ?, ?, row_number, column_name, raw_value, reason FROM _problems "
            "ORDER BY row_number, column_name",
            [load_id, export.name, name],
        )
        con.execute(
            "INSERT INTO loads VALUES (?, ?, ?, ?, ?, 'loaded', ?, ?, ?, ?, ?, ?)",
            [load_id, export.name, name, source.sha256, loaded_at, rows_read, result.rows_new, result.rows_updated,
             rejected, source.ignored, unchanged],
        )
        con.execute("COMMIT")
    except BaseException:
        _rollback_quietly(con)
        raise
    finally:
        con.execute(f"SET preserve_insertion_order = {bool(in_order)}")
    return result


def _changed_rows(
    con: duckdb.DuckDBPyConnection, export: ExportKind, compared: list[str], key_match: str
) -> tuple[int, int]:
    """Build `_changed`, the accepted rows that are new or differ from the stored row in a COMPARED column;
    return (rows already stored, of those unchanged). Unchanged rows are not rewritten: they keep their lineage.

    The stored rows are read as their key and a hash of the compared values (each side cast to the table's
    types), so the join holds 8 bytes a row beside the key, not every column: a reload of a million rows
    stays within the memory limit. Two different rows share a 64-bit hash once in 10^19.
    """
    types = dict(con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ?", [export.name]
    ).fetchall())
    values = [c for c in compared if c not in export.key]
    def digest(alias: str) -> str:
        return "hash(" + (", ".join(f'CAST({alias}."{c}" AS {types[c]})' for c in values) or "NULL") + ")"
    keys = ", ".join(f't."{k}"' for k in export.key)
    con.execute(
        f"""CREATE TEMP TABLE _changed AS
            SELECT s.*, t._digest IS NULL AS _new
            FROM _accepted s LEFT JOIN (SELECT {keys}, {digest('t')} AS _digest FROM {export.name} t) t ON {key_match}
            WHERE t._digest IS NULL OR t._digest <> {digest('s')}"""
    )
    changed, new = con.execute("SELECT count(*), count(*) FILTER (WHERE _new) FROM _changed").fetchone()
    stored = con.execute("SELECT count(*) FROM _accepted").fetchone()[0]
    return stored - new, stored - changed


def _school_sql(
    con: duckdb.DuckDBPyConnection, source: _Source, settings: Settings, default_school: str
) -> tuple[str, str, list[str]]:
    """(SQL for `school`, SQL for `school_raw`, notes): each spelling of a school stored as one name.

    A name listed in the settings (or an alias or URN of one) wins, then a name already stored with the
    same school key, then the file's commonest spelling. Only where a spelling is not its name is there
    any CASE: a canonical file is stored as read.
    """
    blank = sql_text(default_school)
    if "school" not in source.names:
        return f"{blank} AS school", "CAST(NULL AS VARCHAR) AS school_raw", []
    texts = dict(con.execute("SELECT school, count(*) FROM _checked WHERE school IS NOT NULL GROUP BY school").fetchall())
    stored = [s for (s,) in con.execute(
        "SELECT school FROM incidents UNION SELECT school FROM breaches UNION SELECT school FROM acknowledgements"
    ).fetchall()]
    chosen, unmatched = SchoolNames.build(settings.schools, settings.profiles.schools, stored).canonical(texts)
    notes = []
    if settings.profiles.schools or settings.schools not in (Settings().schools, ("Unassigned",)):
        notes = [f"school {text!r} ({_rows(texts[text])}) is not a school in the settings"
                 + (f"; the closest listed is {closest!r}" if closest else "") for text, closest in sorted(unmatched.items())]
    renamed = {text: name for text, name in chosen.items() if text != name}
    if not renamed:
        return f"coalesce(school, {blank}) AS school", "CAST(NULL AS VARCHAR) AS school_raw", notes
    cases = " ".join(f"WHEN {sql_text(text)} THEN {sql_text(name)}" for text, name in sorted(renamed.items()))
    spellings = ", ".join(sql_text(text) for text in sorted(renamed))
    return (f"coalesce(CASE school {cases} ELSE school END, {blank}) AS school",
            f"CASE WHEN school IN ({spellings}) THEN school END AS school_raw", notes)


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _drop_staging(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute(f"DETACH DATABASE IF EXISTS {SCRATCH}")
    except duckdb.Error:
        pass  # a connection that failed mid-statement: closing it drops the database anyway
    for table in ("_fast", "_numbering", "_stage", "_csv_faults", "_checked", "_slow_checked", "_problems", "_accepted", "_changed",
                  "_csv_reject_errors", "_csv_reject_scans", "_csv_line_errors", "_csv_line_scans"):
        for kind in ("VIEW", "TABLE"):  # `_stage` and `_accepted` are views when a file needs no copy of them
            try:
                con.execute(f"DROP {kind} IF EXISTS temp.{table}")
            except duckdb.Error:
                pass
