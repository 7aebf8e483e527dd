"""The DuckDB warehouse: where it lives, opening it safely, its schema, versions and reference tables."""

from __future__ import annotations

import os
import re
import stat
import sys
from datetime import date
from importlib import resources
from pathlib import Path

import duckdb

from policy_analytics import vocab
from policy_analytics.errors import UserError
from policy_analytics.mapping import SCHOOL_KEY_SQL
from policy_analytics.settings import Settings

DB_ENV = "POLICY_ANALYTICS_DB"
DEFAULT_DB = Path("data") / "policy_analytics.duckdb"
SCHEMA_VERSION = 2
MEMORY_LIMIT = os.environ.get("POLICY_ANALYTICS_MEMORY_LIMIT", "1GB")


def sql_text(name: str) -> str:
    """The text of one of the package's SQL files (`schema.sql`, `views.sql`, `indicators.sql`)."""
    return resources.files("policy_analytics").joinpath(f"sql/{name}").read_text("utf-8")


def warehouse_path(path: str | Path | None = None) -> Path:
    """The warehouse file: the given path, else $POLICY_ANALYTICS_DB, else data/policy_analytics.duckdb."""
    return Path(path or os.environ.get(DB_ENV) or DEFAULT_DB)


def connect(
    path: str | Path | None = None, settings: Settings | None = None, *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, creating or migrating it when writing, with the settings' reference data."""
    settings = settings or Settings()
    target = warehouse_path(path)
    if read_only and not target.exists():
        raise UserError(
            f"There is no warehouse at {target} yet. Load the exports first with `policy-analytics load FILE...`."
        )
    creating = not target.exists()
    if creating:
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(target), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise UserError(
                f"The warehouse {target} is in use by another program (another policy-analytics command, "
                "or a notebook that has it open). Try again when it has finished."
            ) from None
        if "not a valid duckdb database" in str(exc).lower():
            raise UserError(
                f"The file {target} is not a policy-analytics warehouse (it is not a DuckDB database at all)."
            ) from None
        raise UserError(f"The warehouse {target} could not be opened ({_first_line(exc)}). {DAMAGED}") from None
    except duckdb.Error as exc:
        if "corrupt" in str(exc).lower():
            raise UserError(f"The warehouse {target} is damaged ({_first_line(exc)}). {RESTORE[0].upper() + RESTORE[1:]}") from None
        raise UserError(f"The file {target} is not a policy-analytics warehouse ({exc}).") from None
    try:
        if creating:
            os.chmod(target, stat.S_IRUSR | stat.S_IWUSR)  # personal data: readable by its owner only
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        if not read_only:
            _remove_stale_spill(target)
            con.execute(f"SET temp_directory = '{target.with_suffix('.tmp')}'")
            _ensure_schema(con, target)
            _write_reference(con, settings, schema="main")
        else:
            _check_version(con, target, writing=False)
            # A reader cannot rewrite the stored views, which are this version's only once a writer has opened
            # the warehouse since an upgrade: its own temp copies shadow them, so figures follow this version.
            con.execute(_temporary(sql_text("views.sql")))
        _write_reference(con, settings, schema="temp")
    except duckdb.Error as exc:
        con.close()
        raise UserError(f"The warehouse {target} could not be read ({_first_line(exc)}). {DAMAGED}") from None
    except BaseException:
        con.close()  # a refused file must not stay open (and locked) behind the message
        raise
    return con


RESTORE = "restore it from a backup or load the exports again into a new warehouse (--db NEW_FILE)."
DAMAGED = f"If it is damaged, {RESTORE}"


def _first_line(exc: BaseException) -> str:
    """The first line of a DuckDB error, without its "IO Error: " style prefix."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    head, sep, rest = text.partition(" Error: ")
    return rest if sep and " " not in head.strip() else text


def process_gone(pid: int) -> bool:
    """Whether no process has the id PID any more (POSIX only; elsewhere, and for this process, False)."""
    if os.name != "posix" or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it exists (another user's) or cannot be asked about: leave it alone
    return False


def _remove_stale_spill(target: Path) -> None:
    """Remove DuckDB's spill files (staged export rows) left beside the warehouse by a process that was killed.

    DuckDB names them `duckdb_temp_<pid>_...`; only files of processes that no longer exist are removed.
    """
    for folder in (target.with_suffix(".tmp"), Path(f"{target}.tmp")):
        if not folder.is_dir():
            continue
        for spill in folder.glob("duckdb_temp_*"):
            pid = spill.name.split("_")[2]
            if pid.isdigit() and process_gone(int(pid)):
                spill.unlink(missing_ok=True)
        try:
            folder.rmdir()  # only when empty
        except OSError:
            pass


def schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version recorded in the warehouse, or None for an empty file."""
    has_meta = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'meta'"
    ).fetchone()[0]
    if not has_meta:
        return None
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        return None
    try:
        return int(row[0])
    except ValueError:
        raise UserError(f"the schema version recorded in it, {row[0]!r}, is not a number") from None


def _check_version(con: duckdb.DuckDBPyConnection, target: Path, *, writing: bool) -> int | None:
    """The warehouse's schema version, refusing a file this release would misread."""
    try:
        version = schema_version(con)
    except UserError as exc:
        raise UserError(f"The file {target} is not a warehouse this release can read ({exc}).") from None
    has_tables = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main'").fetchone()[0]
    if version is None and has_tables:
        raise UserError(f"The file {target} is a DuckDB database but not a policy-analytics warehouse.")
    if version is not None and version > SCHEMA_VERSION:
        raise UserError(
            f"The warehouse {target} was made by a newer release of policy-analytics (schema {version}; "
            f"this release reads up to {SCHEMA_VERSION}). Upgrade policy-analytics to use it."
        )
    if version is not None and version < SCHEMA_VERSION:
        if not all(step in MIGRATIONS for step in range(version, SCHEMA_VERSION)):
            raise UserError(
                f"The warehouse {target} uses schema {version}, which this release cannot upgrade. "
                "Load the exports again into a new warehouse (--db NEW_FILE)."
            )
        if not writing:
            raise UserError(
                f"The warehouse {target} uses an older schema ({version}). "
                "Load any export once with `policy-analytics load FILE` to upgrade it."
            )
    return version


# Migrations from version N to N+1 (SQL), run in order inside one transaction when a warehouse is opened for
# writing; a failure leaves it as it was (tests/test_reliability.py also runs the path with a made-up next version).
MIGRATIONS: dict[int, str] = {
    # 1 -> 2: school names reconciled (the raw text kept beside one name per school key), and the rejects of
    # earlier loads of a file kept apart from the current ones.
    1: "\n".join(
        f"""ALTER TABLE {table} ADD COLUMN school_raw VARCHAR;
            UPDATE {table} SET school_raw = school, school = c.name
            FROM (SELECT {SCHOOL_KEY_SQL.format(c='school')} AS key, arg_max(school, n) AS name
                  FROM (SELECT school, count(*) AS n FROM (SELECT school FROM incidents UNION ALL
                        SELECT school FROM breaches UNION ALL SELECT school FROM acknowledgements) GROUP BY school)
                  GROUP BY key) c
            WHERE {SCHOOL_KEY_SQL.format(c=f'{table}.school')} = c.key AND {table}.school <> c.name;"""
        for table in ("incidents", "breaches", "acknowledgements")
    ) + "CREATE TABLE rejects_history AS SELECT * FROM rejects LIMIT 0;"
        "ALTER TABLE loads ADD COLUMN rows_unchanged BIGINT NOT NULL DEFAULT 0;",
}


def _ensure_schema(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    version = _check_version(con, target, writing=True)
    con.execute("BEGIN TRANSACTION")
    try:
        if version is None:
            con.execute(sql_text("schema.sql"))
            con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
            con.execute("INSERT INTO meta VALUES ('created_at', CAST(current_localtimestamp() AS VARCHAR))")
        else:
            for step in range(version, SCHEMA_VERSION):
                try:
                    con.execute(MIGRATIONS[step])
                except duckdb.Error as exc:
                    raise UserError(
                        f"The warehouse {target} could not be upgraded from schema {step} to {step + 1} "
                        f"({str(exc).splitlines()[0]}). It is unchanged."
                    ) from None
            con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)])
        con.execute(sql_text("views.sql"))
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    if version is not None and version < SCHEMA_VERSION:
        print(f"policy-analytics: upgraded the warehouse {target} from schema {version} to {SCHEMA_VERSION}.",
              file=sys.stderr)


def _temporary(views_sql: str) -> str:
    """VIEWS_SQL with its views and macros created in the connection's temp schema, which shadows main."""
    return re.sub(r"\bCREATE OR REPLACE (VIEW|MACRO)\b", r"CREATE OR REPLACE TEMP \1", views_sql)


def _write_reference(con: duckdb.DuckDBPyConnection, settings: Settings, *, schema: str) -> None:
    """Fill the vocabulary, term and settings tables the views join to (temp copies shadow main's)."""
    from policy_analytics.periods import term_windows  # periods imports settings only; kept local for clarity

    terms = term_windows(settings)
    prefix = "TEMP " if schema == "temp" else ""
    if schema == "temp":
        con.execute("CREATE OR REPLACE TEMP TABLE ref_vocab (domain VARCHAR, key VARCHAR, value VARCHAR)")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE settings_terms "
            "(label VARCHAR, academic_year VARCHAR, term VARCHAR, start_date DATE, end_date DATE)"
        )
        con.execute(
            f"CREATE OR REPLACE {prefix}TABLE settings_current AS SELECT * FROM main.settings_current LIMIT 0"
        )
    else:
        con.execute("BEGIN TRANSACTION")
        for table in ("ref_vocab", "settings_terms", "settings_current"):
            con.execute(f"DELETE FROM main.{table}")
    _insert_rows(con, f"{schema}.ref_vocab", vocab.vocab_rows(settings.profiles.values))
    _insert_rows(con, f"{schema}.settings_terms", terms)
    con.execute(f"INSERT INTO {schema}.settings_current VALUES (?, ?, ?, ?, ?, ?, ?)", _settings_row(settings))
    if schema == "main":
        con.execute("COMMIT")
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE settings_fingerprint AS SELECT ? AS value", [_fingerprint(settings)])


def _settings_row(settings: Settings) -> list[object]:
    """The one row of `settings_current`: what the views need from the settings."""
    return [
        settings.policy_version,
        float(settings.targets.removal_hours),
        list(settings.significant.severities),
        settings.significant.police_referral,
        settings.significant.safeguarding,
        int(settings.targets.wide_spread_shares),
        int(settings.targets.wide_spread_platforms),
    ]


def _fingerprint(settings: Settings) -> str:
    from policy_analytics.periods import term_windows

    return repr((_settings_row(settings), term_windows(settings)))


def use_settings(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Make this connection's views derive their columns from SETTINGS; the warehouse itself is untouched."""
    try:
        in_use = con.execute("SELECT value FROM temp.settings_fingerprint").fetchone()
    except duckdb.CatalogException:
        in_use = None
    if in_use is None or in_use[0] != _fingerprint(settings):
        _write_reference(con, settings, schema="temp")


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """Insert ROWS in one statement (one list per column, unnested together): executemany takes ~1 ms a row."""
    if rows:
        columns = [list(column) for column in zip(*rows)]
        con.execute(f"INSERT INTO {table} SELECT {', '.join('unnest(?)' for _ in columns)}", columns)

def prepare_scratch(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Give an in-memory connection the warehouse's schema, for checking files without writing anything."""
    con.execute(sql_text("schema.sql"))
    con.execute(sql_text("views.sql"))
    _write_reference(con, settings, schema="main")


def list_rejects(
    con: duckdb.DuckDBPyConnection, file_name: str | None = None, *, history: bool = False
) -> list[dict[str, object]]:
    """Every rejected row's problem: {file, row, column, value, reason}, oldest load first.

    The rejects of each file's latest load only, unless HISTORY: then those of its earlier loads too.
    """
    source = "(SELECT * FROM rejects UNION ALL SELECT * FROM rejects_history)" if history else "rejects"
    rows = con.execute(
        f"""SELECT file_name, row_number, column_name, raw_value, reason FROM {source}
           WHERE ? IS NULL OR file_name = ? ORDER BY load_id, row_number, column_name""",
        [file_name, file_name],
    ).fetchall()
    return [dict(zip(("file", "row", "column", "value", "reason"), r)) for r in rows]
