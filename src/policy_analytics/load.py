"""Load one export into the warehouse: read it, validate every row in SQL, store or reject, in one transaction."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from policy_analytics import vocab
from policy_analytics.errors import UserError
from policy_analytics.exports import KINDS, Column, ExportKind, detect_kind, header_key

# Accepted date and time shapes: ISO 8601 and UK day-first. Never month-first.
DATE_FORMATS = [
    "%d/%m/%Y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
]
EARLIEST_YEAR, LATEST_YEAR = 1990, 2100
TRUE_WORDS = ("yes", "y", "true", "1")
FALSE_WORDS = ("no", "n", "false", "0")
MAX_FIELD_BYTES = 8 * 1024 * 1024
RAW_VALUE_CHARS = 200

CSV_STRUCTURE_REASONS = {
    "TOO MANY COLUMNS": "the row has more fields than the header",
    "MISSING COLUMNS": "the row has fewer fields than the header",
    "UNQUOTED VALUE": "a quoted field has text after its closing quote",
    "LINE SIZE OVER MAXIMUM": "the row is longer than this tool reads (8 MB)",
    "INVALID ENCODING": "the row has characters that are not valid text",
    "INVALID STATE": "the row could not be read as CSV (an unclosed quote?)",
    "CAST": "a value could not be read",
}


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
    top_reasons: list[tuple[str, int]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    message: str = ""

    @property
    def rows_stored(self) -> int:
        """Rows stored: new plus updated."""
        return self.rows_new + self.rows_updated


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


def load_file(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    kind: str | None = None,
    strict: bool = False,
    dry_run: bool = False,
    default_school: str = "Unassigned",
) -> LoadResult:
    """Load one export file; refuse it whole (UserError, warehouse unchanged) if it cannot be read."""
    path = Path(path)
    with _prepared(path, kind) as source:
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
            _stage(con, source)
            con.execute(_typed_sql(source.kind, source.names))
            return _store(con, source, default_school, strict=strict, dry_run=dry_run)
        finally:
            _drop_staging(con)


def _rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass  # already rolled back


# --- reading the file ---------------------------------------------------------------------------


@contextmanager
def _prepared(path: Path, kind: str | None) -> Iterator[_Source]:
    """Check the file is a readable CSV or XLSX and make it ready for DuckDB (transcoding when needed)."""
    if not path.exists():
        raise UserError(f"{path}: there is no such file.")
    if path.is_dir():
        raise UserError(f"{path} is a folder, not an export file.")
    with path.open("rb") as fh:
        head = fh.read(8192)
    if not head:
        raise UserError(f"{path.name} is empty: it has no header and no rows.")
    sha256 = _sha256(path)
    if head.startswith(b"PK"):
        if _is_xlsx(path):
            yield _prepare_xlsx(path, sha256, kind)
            return
        raise UserError(f"{path.name} is a zip archive, not a CSV or XLSX export.")
    _refuse_binary(path, head)
    with tempfile.TemporaryDirectory(prefix="policy-analytics-") as scratch:
        csv_path = path if _is_utf8(path) else _transcode_cp1252(path, Path(scratch) / "utf8.csv")
        yield _prepare_csv(path, csv_path, sha256, kind)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _is_xlsx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _refuse_binary(path: Path, head: bytes) -> None:
    if head.startswith(b"%PDF"):
        raise UserError(f"{path.name} is a PDF, not a CSV or XLSX export. Export the data as CSV or XLSX.")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:200].count(b"\x00") > 10:
        raise UserError(
            f"{path.name} is saved as UTF-16 (\"Unicode text\"), which this tool does not read. "
            "Save it as \"CSV UTF-8\" or XLSX."
        )
    if b"\x00" in head:
        raise UserError(f"{path.name} is not a text file (it holds binary data), so it is not a CSV export.")


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


def _transcode_cp1252(path: Path, target: Path) -> Path:
    """Excel's "CSV" in Windows-1252, rewritten as UTF-8 so DuckDB reads it without an extension."""
    try:
        with path.open("r", encoding="cp1252", newline="") as src, target.open("w", encoding="utf-8", newline="") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path.name} is neither UTF-8 nor Windows-1252 text (byte {exc.start} cannot be read). "
            "Save it as \"CSV UTF-8\" or XLSX."
        ) from None
    return target


def _prepare_csv(path: Path, csv_path: Path, sha256: str, kind: str | None) -> _Source:
    with csv_path.open("r", encoding="utf-8-sig", newline="") as fh:
        first_line = fh.readline()
    if not first_line.strip():
        raise UserError(f"{path.name} has no header row on row 1 (the first line is blank).")
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter))
    export, names, ignored = _match_headers(path, header, kind)
    return _Source(path, sha256, export, names, ignored, csv_path=csv_path, delimiter=delimiter)


def _prepare_xlsx(path: Path, sha256: str, kind: str | None) -> _Source:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError) as exc:
        raise UserError(f"{path.name} could not be read as an Excel workbook ({exc}).") from None
    numbered = [(i + 1, row) for i, row in enumerate(rows) if any(_cell_text(c) for c in row)]
    if not numbered:
        raise UserError(
            f"{path.name}: the first sheet is empty. The export must be on the workbook's first sheet."
        )
    header_row, header = numbered[0]
    export, names, ignored = _match_headers(path, [_cell_text(c) or "" for c in header], kind)
    body = numbered[1:]
    columns = {name: [_cell_text(row[i]) if i < len(row) else None for _, row in body] for i, name in enumerate(names)}
    columns["_row"] = [n for n, _ in body]
    table = pa.table({k: pa.array(v, type=pa.int64() if k == "_row" else pa.string()) for k, v in columns.items()})
    return _Source(path, sha256, export, names, ignored, table=table)


def _cell_text(value: object) -> str | None:
    """An Excel cell as the text a CSV export would hold; native dates become ISO text."""
    if value is None or value == "":
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
    return str(value)


def _match_headers(path: Path, header: list[str], kind: str | None) -> tuple[ExportKind, list[str], list[str]]:
    keys = [header_key(h) for h in header]
    if not any(keys):
        raise UserError(f"{path.name} has no column names on its header row.")
    if kind:
        if kind not in KINDS:
            raise UserError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}.")
        export = KINDS[kind]
    else:
        detected = detect_kind(keys)
        if detected is None:
            raise UserError(
                f"{path.name}: cannot tell which export this is from its header row "
                "(expected an incident_id, breach_id, or staff_ref and policy_version column). "
                "Give it with --kind."
            )
        export = detected
    known = {c.name for c in export.columns}
    seen: dict[str, int] = {}
    names, ignored = [], []
    for position, (raw, key) in enumerate(zip(header, keys), start=1):
        if key in known:
            if key in seen:
                raise UserError(
                    f"{path.name}: the column {key!r} appears twice on the header row "
                    f"(columns {seen[key]} and {position}). Remove one and load it again."
                )
            seen[key] = position
            names.append(key)
        else:
            names.append(f"_ignored_{position}")
            if str(raw).strip():
                ignored.append(str(raw).strip())
    missing = [c for c in export.required if c not in seen]
    if missing:
        raise UserError(
            f"{path.name} is missing the required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} for {export.name}. Nothing was loaded."
        )
    return export, names, ignored


# --- validating and storing, all in SQL ----------------------------------------------------------


def _stage(con: duckdb.DuckDBPyConnection, source: _Source) -> None:
    """Copy every row as text into `_stage` with its spreadsheet row number; CSV faults go to `_csv_faults`."""
    if source.table is not None:
        con.register("_xlsx_rows", source.table)
        con.execute("CREATE TEMP TABLE _stage AS SELECT * FROM _xlsx_rows")
        con.unregister("_xlsx_rows")
        con.execute("CREATE TEMP TABLE _csv_faults (line BIGINT, column_name VARCHAR, csv_line VARCHAR, error_type VARCHAR)")
        return
    columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in source.names) + "}"
    con.execute(
        f"""CREATE TEMP TABLE _read AS SELECT * FROM read_csv(?, header = true, delim = ?, quote = '"', escape = '"',
            auto_detect = false, columns = {columns}, all_varchar = true, max_line_size = {MAX_FIELD_BYTES},
            store_rejects = true, rejects_table = '_csv_reject_errors', rejects_scan = '_csv_reject_scans')""",
        [str(source.csv_path), source.delimiter],
    )
    con.execute(
        """CREATE TEMP TABLE _csv_faults AS
           SELECT line, arg_min(column_name, column_idx) AS column_name, arg_min(csv_line, column_idx) AS csv_line,
                  arg_min(CAST(error_type AS VARCHAR), column_idx) AS error_type
           FROM _csv_reject_errors GROUP BY line"""
    )
    faults = con.execute("SELECT count(*) FROM _csv_faults").fetchone()[0]
    if faults == 0:
        con.execute("CREATE TEMP TABLE _stage AS SELECT *, rowid + 2 AS _row FROM _read")
    else:
        # Good rows keep file order; their spreadsheet rows are the row numbers no fault took.
        con.execute(
            """CREATE TEMP TABLE _stage AS
               WITH numbered AS (
                   SELECT r AS _row, row_number() OVER (ORDER BY r) - 1 AS ord
                   FROM range(2, (SELECT count(*) FROM _read) + (SELECT count(*) FROM _csv_faults) + 2) t(r)
                   ANTI JOIN _csv_faults f ON f.line = t.r)
               SELECT _read.*, numbered._row FROM _read JOIN numbered ON numbered.ord = _read.rowid"""
        )
    read, staged = con.execute("SELECT (SELECT count(*) FROM _read), (SELECT count(*) FROM _stage)").fetchone()
    if read != staged:
        raise RuntimeError(f"internal check failed for {source.path.name}: {read} rows read but {staged} numbered")


def _typed_sql(export: ExportKind, names: list[str]) -> str:
    """SQL turning `_stage` into `_checked`: typed values and, per row, the list of its problems."""
    present = set(names)
    clean, parsed, typed, problems = [], [], [], []
    for col in export.columns:
        c = col.name
        clean.append(f"nullif(trim(\"{c}\"), '') AS {c}" if c in present else f"CAST(NULL AS VARCHAR) AS {c}")
        parsed_expr, typed_expr, col_problems = _column_sql(col)
        parsed.append(f"{parsed_expr} AS {c}__v")
        typed.append(f"{typed_expr} AS {c}")
        problems.extend(col_problems)
    for rule in export.rules:
        raw = f"{rule.column}"
        problems.append(
            f"CASE WHEN {_over_values(rule.broken, export)} THEN "
            f"{_problem(rule.column, raw, repr(rule.reason))} END"
        )
    return f"""
        CREATE TEMP TABLE _checked AS
        WITH cleaned AS (SELECT _row, {', '.join(clean)} FROM _stage),
        parsed AS (SELECT *, {', '.join(parsed)} FROM cleaned)
        SELECT _row, {', '.join(typed)},{' platform AS platform__text,' if 'platform' in present else ''}
               list_filter([{', '.join(problems)}], lambda p: p IS NOT NULL) AS problems
        FROM parsed"""


def _over_values(condition: str, export: ExportKind) -> str:
    """A row rule written over column names, rewritten over the parsed values."""
    for col in export.columns:
        condition = condition.replace(col.name, f"{col.name}__v")
    return condition


def _problem(column: str, raw: str, reason_sql: str) -> str:
    return f"{{'column': '{column}', 'value': left({raw}, {RAW_VALUE_CHARS}), 'reason': {reason_sql}}}"


def _column_sql(col: Column) -> tuple[str, str, list[str]]:
    """(parsed expression, typed expression, problem expressions) for one column."""
    c = col.name
    problems = []
    if col.required:
        problems.append(f"CASE WHEN {c} IS NULL THEN {_problem(c, c, repr(f'{c} is required but blank'))} END")
    if col.type == "text":
        return c, f"{c}__v", problems
    if col.type in ("datetime", "date"):
        formats = "[" + ", ".join(f"'{f}'" for f in DATE_FORMATS) + "]"
        parsed = f"try_strptime({c}, {formats})"
        plausible = f"year({c}__v) BETWEEN {EARLIEST_YEAR} AND {LATEST_YEAR}"
        problems.append(
            f"CASE WHEN {c} IS NOT NULL AND {c}__v IS NULL THEN "
            f"{_problem(c, c, repr(f'{c} is not a date this tool reads (use DD/MM/YYYY or YYYY-MM-DD, with HH:MM if needed)'))} "
            f"WHEN {c}__v IS NOT NULL AND NOT ({plausible}) THEN "
            f"{_problem(c, c, repr(f'{c} has an implausible year (expected {EARLIEST_YEAR}-{LATEST_YEAR})'))} END"
        )
        value = f"CASE WHEN {plausible} THEN {c}__v END"
        return parsed, (f"CAST({value} AS DATE)" if col.type == "date" else value), problems
    if col.type == "flag":
        parsed = (
            f"CASE WHEN {c} IS NULL THEN false WHEN lower({c}) IN {TRUE_WORDS} THEN true "
            f"WHEN lower({c}) IN {FALSE_WORDS} THEN false END"
        )
        problems.append(
            f"CASE WHEN {c}__v IS NULL THEN {_problem(c, c, repr(f'{c} is not a yes/no value (use yes, no, y, n, true, false, 1 or 0)'))} END"
        )
        return parsed, f"{c}__v", problems
    if col.type == "count":
        parsed = f"CASE WHEN regexp_full_match({c}, '[+-]?[0-9]{{1,15}}(\\.0*)?') THEN CAST(CAST({c} AS DOUBLE) AS BIGINT) END"
        problems.append(
            f"CASE WHEN {c} IS NOT NULL AND {c}__v IS NULL THEN {_problem(c, c, repr(f'{c} is not a whole number'))} "
            f"WHEN {c}__v < {col.minimum} THEN {_problem(c, c, repr(f'{c} must be at least {col.minimum}'))} END"
        )
        return parsed, f"{c}__v", problems
    if col.type == "vocab":
        lookup = (
            f"(SELECT v.value FROM ref_vocab v WHERE v.domain = '{col.domain}' "
            f"AND v.key = regexp_replace(lower({c}), '[\\s\\-]+', '_', 'g'))"
        )
        if col.domain == "platform":
            problems_out = problems
            return lookup, f"CASE WHEN {c} IS NULL THEN NULL ELSE coalesce({c}__v, 'Other') END", problems_out
        if col.domain == "submitted_by":
            parsed = f"CASE WHEN {c} IS NULL THEN 'unknown' ELSE {lookup} END"
        else:
            parsed = lookup
        problems.append(
            f"CASE WHEN {c} IS NOT NULL AND {c}__v IS NULL THEN "
            f"{_problem(c, c, repr(f'{c} is not a known {col.domain} (expected {vocab.expected(col.domain)})'))} END"
        )
        return parsed, f"{c}__v", problems
    raise ValueError(f"unknown column type {col.type}")


def _store(
    con: duckdb.DuckDBPyConnection, source: _Source, default_school: str, *, strict: bool, dry_run: bool
) -> LoadResult:
    """Decide every row's fate in temp tables, then write rows, rejects and the load log in one transaction."""
    export = source.kind
    load_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchone()[0]
    loaded_at = datetime.now().replace(microsecond=0)
    name = source.path.name
    key_match = " AND ".join(f"t.{k} = s.{k}" for k in export.key)

    rows_read = con.execute("SELECT (SELECT count(*) FROM _stage) + (SELECT count(*) FROM _csv_faults)").fetchone()[0]
    if rows_read == 0:
        raise UserError(f"{name} has a header row but no data rows. Nothing was loaded.")

    school = default_school.replace("'", "''")
    values = [f"coalesce(school, '{school}') AS school" if c.name == "school" else c.name for c in export.columns]
    if export is KINDS["incidents"]:
        # An unrecognised platform is stored as Other, keeping the export's own text.
        values.append("CASE WHEN platform = 'Other' AND lower(platform__text) <> 'other' THEN platform__text END AS platform_raw")
    con.execute(
        f"""CREATE TEMP TABLE _accepted AS
            SELECT {', '.join(values)}, ? AS load_id, ? AS source_file, ? AS source_sha256,
                   _row AS source_row, CAST(? AS TIMESTAMP) AS loaded_at
            FROM _checked WHERE len(problems) = 0
            QUALIFY row_number() OVER (PARTITION BY {', '.join(export.key)} ORDER BY _row DESC) = 1""",
        [load_id, name, source.sha256, loaded_at],
    )
    structure = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in CSV_STRUCTURE_REASONS.items())
    same_key = " AND ".join(f"a.{k} = c.{k}" for k in export.key)
    con.execute(
        f"""CREATE TEMP TABLE _problems AS
            SELECT line AS row_number, NULL AS column_name, left(csv_line, {RAW_VALUE_CHARS}) AS raw_value,
                   CASE error_type {structure} ELSE 'the row could not be read' END AS reason
            FROM _csv_faults
            UNION ALL
            SELECT _row, p.column, p.value, p.reason FROM (SELECT _row, unnest(problems) AS p FROM _checked)
            UNION ALL
            SELECT c._row, ?, NULL, 'duplicate id in file: row ' || a.source_row || ' has the same id and was kept'
            FROM _checked c JOIN _accepted a ON {same_key}
            WHERE len(c.problems) = 0 AND c._row <> a.source_row""",
        [" + ".join(export.key)],
    )

    updated = con.execute(f"SELECT count(*) FROM _accepted s SEMI JOIN {export.name} t ON {key_match}").fetchone()[0]
    stored = con.execute("SELECT count(*) FROM _accepted").fetchone()[0]
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
        rows_new=stored - updated,
        rows_updated=updated,
        rows_rejected=rejected,
        top_reasons=[(r, n) for r, n in top],
        ignored_columns=source.ignored,
    )
    if dry_run:
        return result
    if strict and rejected:
        raise UserError(
            f"{name}: {rejected} of {rows_read} rows would be rejected (commonest: {top[0][0]}), "
            f"so with --strict nothing was loaded. Run `policy-analytics check {source.path}` to see every problem."
        )
    con.execute("BEGIN TRANSACTION")
    try:
        if updated:
            con.execute(
                f"""MERGE INTO {export.name} t USING _accepted s ON {key_match}
                    WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *"""
            )
        else:
            con.execute(f"INSERT INTO {export.name} BY NAME SELECT * FROM _accepted")
        con.execute(
            "INSERT INTO rejects SELECT ?, ?, ?, row_number, column_name, raw_value, reason FROM _problems ORDER BY row_number",
            [load_id, export.name, name],
        )
        con.execute(
            "INSERT INTO loads VALUES (?, ?, ?, ?, ?, 'loaded', ?, ?, ?, ?, ?)",
            [load_id, export.name, name, source.sha256, loaded_at, rows_read, stored - updated, updated, rejected, source.ignored],
        )
        con.execute("COMMIT")
    except BaseException:
        _rollback_quietly(con)
        raise
    return result


def _drop_staging(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("_read", "_stage", "_csv_faults", "_checked", "_problems", "_accepted",
                  "_csv_reject_errors", "_csv_reject_scans"):
        try:
            con.execute(f"DROP TABLE IF EXISTS temp.{table}")
        except duckdb.Error:
            pass
