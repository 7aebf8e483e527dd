"""The SQL that types and checks an export's rows, run by DuckDB.

Two routes give the same answer (tests/test_load.py holds them to it): `fast_sql` types every row of a
CSV as DuckDB reads it, where each value is in a plain form; `typed_sql` is the full validation, with
each row's list of problems, for the rows the first route leaves (and for every XLSX row).
"""

from __future__ import annotations

import re

import duckdb

from policy_analytics import vocab
from policy_analytics.exports import Column, ExportKind

# Accepted date and time shapes: ISO 8601 and UK day-first (a two-digit year is 20yy). Month-first only where
# the settings say an export writes it (`date_order = "month_first"`), never guessed.
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
RAW_VALUE_CHARS = 200

PROBLEMS_TYPE = 'STRUCT("column" VARCHAR, "value" VARCHAR, reason VARCHAR)[]'
# The yes/no words as exports write them (yes, Yes, YES...): the trues first, as `_fast_column_sql` counts on.
FLAG_SPELLINGS = [
    spelling for words in (TRUE_WORDS, FALSE_WORDS) for word in words
    for spelling in dict.fromkeys((word, word.capitalize(), word.upper()))
]


def fast_sql(
    export: ExportKind, names: list[str], reader: str, spellings: dict[str, dict[str, str]], *, month_first: bool = False
) -> str:
    """A query over READER giving every value typed (`<name>__t`), and `_raw`, the row's text (a list in
    the order of NAMES), where the row needs the full validation; `fast_columns` reads it back.

    A row is typed here only where every value is in a plain form that `typed_sql` reads the same way
    (an exact vocabulary spelling, a whole number without sign or padding, a date DuckDB reads), and
    no rule is broken; anything else keeps its text for `typed_sql`, so the two never disagree.
    """
    present = set(names)
    absent = [f"CAST(NULL AS VARCHAR) AS {c.name}" for c in export.columns if c.name not in present]
    parsed, typed, ok = [], [], []
    for col in export.columns:
        value, stored, fine = _fast_column_sql(col, spellings.get(col.domain or "", {}), month_first)
        parsed.append(f"{value} AS {col.name}__v")
        typed.append(f"{stored} AS {col.name}__t")
        ok.append(fine)
    ok.extend(f"NOT coalesce({_over_values(rule.broken, export)}, false)" for rule in export.rules)
    # A list, not a struct: where it is NULL (almost every row) a list costs 16 bytes, a struct 16 per field.
    text = "[" + ", ".join(f'"{n}"' for n in names) + "]"
    return f"""
        SELECT {', '.join(typed)},
               CASE WHEN NOT ({' AND '.join(ok)}) THEN {text} END AS _raw
        FROM (SELECT * {_two_digit_years(export)} FROM
              (SELECT *, {', '.join(parsed)} FROM (SELECT *{''.join(', ' + a for a in absent)} FROM {reader})))"""


def fast_columns(export: ExportKind, names: list[str]) -> str:
    """The columns of `fast_sql`'s rows as `typed_sql` gives them: its names and types, and `platform__text`."""
    typed = [f"CAST({c.name}__t AS VARCHAR) AS {c.name}" if c.type == "vocab" else f"{c.name}__t AS {c.name}"
             for c in export.columns]
    if "platform" in names:
        # A row typed in one pass has a platform spelt as one of the list's: its text is never kept (platform_raw).
        typed.append("CAST(NULL AS VARCHAR) AS platform__text")
    return ", ".join(typed)


def _two_digit_years(export: ExportKind) -> str:
    """A `REPLACE` clause giving each date a year written with two digits (`01/09/23`) in 20yy, not in year 23.

    Only a parsed year below 100 is looked at again (no plausible date has one), so four-digit years cost a comparison.
    """
    fixes = [
        f"CASE WHEN year(CAST({c.name}__v AS TIMESTAMP)) < 100 "
        f"AND regexp_matches({c.name}, '^\\s*\\d{{1,2}}/\\d{{1,2}}/\\d{{2}}(\\s|T|$)') "
        f"THEN CAST({c.name}__v AS TIMESTAMP) + INTERVAL 2000 YEAR ELSE CAST({c.name}__v AS TIMESTAMP) END AS {c.name}__v"
        for c in export.columns if c.type in ("datetime", "date")
    ]
    return f"REPLACE ({', '.join(fixes)})" if fixes else ""


def month_first_evidence_sql(column: str, source: str) -> str:
    """SQL over SOURCE's text in COLUMN: (values only month-first can read, the first such row and value,
    values only day-first can read). `_row` numbers the rows where SOURCE has it."""
    first = f"TRY_CAST(regexp_extract({column}, '^\\s*(\\d{{1,2}})/(\\d{{1,2}})/\\d', 1) AS INTEGER)"
    second = f"TRY_CAST(regexp_extract({column}, '^\\s*(\\d{{1,2}})/(\\d{{1,2}})/\\d', 2) AS INTEGER)"
    month_only = f"{first} BETWEEN 1 AND 12 AND {second} BETWEEN 13 AND 31"
    day_only = f"{second} BETWEEN 1 AND 12 AND {first} BETWEEN 13 AND 31"
    return (f"SELECT count(*) FILTER (WHERE {month_only}), min(_row) FILTER (WHERE {month_only}), "
            f"arg_min({column}, _row) FILTER (WHERE {month_only}), count(*) FILTER (WHERE {day_only}) FROM {source}")


def _fast_column_sql(col: Column, spellings: dict[str, str], month_first: bool = False) -> tuple[str, str, str]:
    """(parsed expression, stored expression, condition for the row to be typed here) for one column."""
    c = col.name
    blank = "false" if col.required else "true"  # whether an empty value may be typed here
    if col.type == "text":
        return f"nullif({trimmed(c)}, '')", f"{c}__v", f"{c}__v IS NOT NULL" if col.required else "true"
    if col.type in ("datetime", "date"):
        plausible = f"year({c}__v) BETWEEN {EARLIEST_YEAR} AND {LATEST_YEAR}"
        stored = f"CAST({c}__v AS DATE)" if col.type == "date" else f"{c}__v"
        return _parse_date_sql(c, month_first), stored, f"CASE WHEN {c} IS NULL THEN {blank} ELSE coalesce({plausible}, false) END"
    if col.type == "flag":
        words = f"ENUM({', '.join(sql_text(w) for w in FLAG_SPELLINGS)})"
        trues = sum(1 for w in FLAG_SPELLINGS if w.lower() in TRUE_WORDS)  # listed first
        parsed = f"enum_code(TRY_CAST({c} AS {words})) < {trues}"
        return parsed, f"coalesce({c}__v, false)", f"CASE WHEN {c} IS NULL THEN {blank} ELSE {c}__v IS NOT NULL END"
    if col.type == "count":
        parsed = f"CASE WHEN regexp_full_match({c}, '[0-9]{{1,15}}') THEN CAST({c} AS BIGINT) END"
        within = f"{c}__v >= {col.minimum}" + (f" AND {c}__v <= {col.maximum}" if col.maximum is not None else "")
        return parsed, f"{c}__v", f"CASE WHEN {c} IS NULL THEN {blank} ELSE coalesce({within}, false) END"
    if col.type == "vocab":
        if not spellings:
            return "CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)", "false"
        # Held as an ENUM of the values (1 byte, not 16): 10 million rows spill less.
        known = f"ENUM({', '.join(sql_text(s) for s in spellings)})"
        values = f"ENUM({', '.join(sql_text(v) for v in sorted({*spellings.values(), 'unknown'}))})"
        parsed = (f"CAST([{', '.join(sql_text(v) for v in spellings.values())}] AS {values}[])"
                  f"[enum_code(TRY_CAST({c} AS {known})) + 1]")
        stored = (f"CASE WHEN {c} IS NULL THEN CAST('unknown' AS {values}) ELSE {c}__v END"
                  if col.domain == "submitted_by" else f"{c}__v")
        return parsed, stored, f"CASE WHEN {c} IS NULL THEN {blank} ELSE {c}__v IS NOT NULL END"
    raise ValueError(f"unknown column type {col.type}")


def plain_spellings(con: duckdb.DuckDBPyConnection, export: ExportKind) -> dict[str, dict[str, str]]:
    """Per vocabulary of the export: the plain spellings of its values (canonical, key, in lower, upper,
    title case...) with the value each means, as `_vocab_join` reads them (checked by the same SQL)."""
    domains = sorted({c.domain for c in export.columns if c.type == "vocab" and c.domain})
    entries = con.execute(
        f"SELECT domain, key, value FROM ref_vocab WHERE domain IN ({', '.join('?' * len(domains))})", domains
    ).fetchall()
    candidates = {
        (domain, spelling)
        for domain, key, value in entries
        for base in (value, key, key.replace("_", " "), key.replace("_", "-"), value.replace("_", " "))
        for spelling in (base, base.lower(), base.upper(), base.capitalize(), base.title())
        if spelling == spelling.strip()  # a padded value goes to the full validation, which trims it
    }
    found: dict[str, dict[str, str]] = {d: {} for d in domains}
    for domain, spelling, value in con.execute(
        f"""SELECT c.domain, c.spelling, v.value
            FROM (SELECT unnest(?::VARCHAR[]) AS domain, unnest(?::VARCHAR[]) AS spelling) c
            JOIN ref_vocab v ON v.domain = c.domain AND v.key = {_vocab_key_sql('c.spelling')}
            ORDER BY c.domain, c.spelling""",
        [[d for d, _ in candidates], [s for _, s in candidates]],
    ).fetchall():
        found[domain][spelling] = value
    return found


def typed_sql(export: ExportKind, names: list[str], *, target: str, month_first: bool = False) -> str:
    """SQL turning `_stage` into TARGET: typed values and, per row, the list of its problems.

    `cleaned` holds each column's trimmed text under its own name, `parsed` adds the parsed value as
    `<name>__v`, `judged` the list of problems; the final select gives the typed values their names.
    """
    present = set(names)
    clean, parsed, typed, problems = [], [], [], []
    for col in export.columns:
        c = col.name
        clean.append(f"nullif({trimmed(c)}, '') AS {c}" if c in present else f"CAST(NULL AS VARCHAR) AS {c}")
        parsed_expr, typed_expr, col_problems = _column_sql(col, month_first)
        parsed.append(f"{parsed_expr} AS {c}__v")
        typed.append(f"{typed_expr} AS {c}")
        problems.extend(col_problems)
    for rule in export.rules:
        problems.append(
            f"CASE WHEN {_over_values(rule.broken, export)} THEN "
            f"{_problem(rule.column, rule.column, sql_text(rule.reason))} END"
        )
    joins = [_vocab_join(col) for col in export.columns if col.type == "vocab"]
    return f"""
        CREATE TEMP TABLE {target} AS
        WITH cleaned AS (SELECT _row, {', '.join(clean)} FROM _stage),
        parsed AS (SELECT cleaned.*, {', '.join(parsed)} FROM cleaned {' '.join(joins)}),
        dated AS (SELECT * {_two_digit_years(export)} FROM parsed),
        judged AS (SELECT *, list_filter([{', '.join(problems)}], lambda p: p IS NOT NULL) AS problems FROM dated)
        SELECT _row, {', '.join(typed)},{' judged.platform AS platform__text,' if 'platform' in present else ''} problems
        FROM judged"""


def _vocab_join(col: Column) -> str:
    """A LEFT JOIN giving `_vocab_<column>.value`, the canonical value of the column's text (NULL if unknown).

    The vocabulary is looked up once for each distinct text in the column (a few dozen spellings, however
    many rows), and joined back: as a subquery per row, DuckDB carried every column of every row through
    the lookup, five times over.
    """
    c = col.name
    key = _vocab_key_sql("raw")
    return (
        f"LEFT JOIN (SELECT raw, (SELECT v.value FROM ref_vocab v WHERE v.domain = '{col.domain}' AND v.key = {key}) "
        f"AS value FROM (SELECT DISTINCT {c} AS raw FROM cleaned)) _vocab_{c} ON _vocab_{c}.raw = cleaned.{c}"
    )


def _vocab_key_sql(text: str) -> str:
    """SQL for the vocabulary key of TEXT (already trimmed): lower case, runs of spaces and hyphens as `_`."""
    return f"regexp_replace(lower({text}), '[\\s\\x{{00A0}}\\-]+', '_', 'g')"


def trimmed(column: str) -> str:
    """SQL for COLUMN without leading and trailing white space, tabs, line breaks and no-break spaces included.

    Replacing only where an end holds white space is a third of the cost: each end's test is anchored,
    which RE2 answers without scanning the text, where the replacement alone searches every position.
    """
    space, c = "[\\s\\x{00A0}]", f'"{column}"'
    return (f"CASE WHEN regexp_matches({c}, '^{space}') OR regexp_matches({c}, '{space}$') "
            f"THEN regexp_replace({c}, '^{space}+|{space}+$', '', 'g') ELSE {c} END")


def sql_text(text: str) -> str:
    """TEXT as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _over_values(condition: str, export: ExportKind) -> str:
    """A row rule written over column names, rewritten over the parsed values (whole words only)."""
    names = "|".join(sorted((re.escape(c.name) for c in export.columns), key=len, reverse=True))
    return re.sub(rf"\b({names})\b", r"\1__v", condition)


def _problem(column: str, raw: str, reason_sql: str) -> str:
    return f"{{'column': '{column}', 'value': left({raw}, {RAW_VALUE_CHARS}), 'reason': {reason_sql}}}"


def _parse_date_sql(c: str, month_first: bool = False) -> str:
    """`try_strptime` over every one of DATE_FORMATS, the format the value's shape suggests tried first.

    No text reads in two of the formats, so the order changes the speed only: a format that fails costs
    several times one that reads. A `/` means day-first; the length tells a date from a date and time.
    """

    def attempt(first: str) -> str:
        formats = [f for f in DATE_FORMATS if f == first] + [f for f in DATE_FORMATS if f != first]
        if month_first:
            formats = [f.replace("%d/%m/", "%m/%d/") for f in formats]
        return f"try_strptime({c}, [{', '.join(sql_text(f) for f in formats)}])"

    return (
        f"CASE WHEN contains({c}, '/') THEN CASE WHEN length({c}) <= 10 THEN {attempt('%d/%m/%Y')} "
        f"WHEN length({c}) <= 16 THEN {attempt('%d/%m/%Y %H:%M')} ELSE {attempt('%d/%m/%Y %H:%M:%S')} END "
        f"WHEN length({c}) <= 10 THEN {attempt('%Y-%m-%d')} WHEN length({c}) <= 16 THEN {attempt('%Y-%m-%d %H:%M')} "
        f"ELSE {attempt('%Y-%m-%d %H:%M:%S')} END"
    )


def _column_sql(col: Column, month_first: bool = False) -> tuple[str, str, list[str]]:
    """(parsed expression, typed expression, problem expressions) for one column."""
    c = col.name
    problems = []
    if col.required:
        problems.append(f"CASE WHEN {c} IS NULL THEN {_problem(c, c, sql_text(f'{c} is required but blank'))} END")
    if col.type == "text":
        return c, f"{c}__v", problems
    if col.type in ("datetime", "date"):
        parsed = _parse_date_sql(c, month_first)
        plausible = f"year({c}__v) BETWEEN {EARLIEST_YEAR} AND {LATEST_YEAR}"
        unreadable = (f"{c} is not a date this tool reads (use "
                      f"{'MM/DD/YYYY' if month_first else 'DD/MM/YYYY'} or YYYY-MM-DD, with HH:MM if needed)")
        implausible = (
            f"{sql_text(f'{c} has the year ')} || year({c}__v) || "
            f"{sql_text(f', which cannot be right (expected {EARLIEST_YEAR} to {LATEST_YEAR}, written with four digits)')}"
        )
        problems.append(
            f"CASE WHEN {c} IS NOT NULL AND {c}__v IS NULL THEN {_problem(c, c, sql_text(unreadable))} "
            f"WHEN {c}__v IS NOT NULL AND NOT ({plausible}) THEN {_problem(c, c, implausible)} END"
        )
        value = f"CASE WHEN {plausible} THEN {c}__v END"
        return parsed, (f"CAST({value} AS DATE)" if col.type == "date" else value), problems
    if col.type == "flag":
        parsed = (
            f"CASE WHEN {c} IS NULL THEN false WHEN lower({c}) IN {TRUE_WORDS} THEN true "
            f"WHEN lower({c}) IN {FALSE_WORDS} THEN false END"
        )
        reason = f"{c} is not a yes/no value (use yes, no, y, n, true, false, 1 or 0)"
        problems.append(f"CASE WHEN {c}__v IS NULL THEN {_problem(c, c, sql_text(reason))} END")
        return parsed, f"{c}__v", problems
    if col.type == "count":
        parsed = f"CASE WHEN regexp_full_match({c}, '[+-]?[0-9]{{1,15}}(\\.0*)?') THEN CAST(CAST({c} AS DOUBLE) AS BIGINT) END"
        too_small = f"{c} cannot be negative" if col.minimum == 0 else f"{c} must be at least {col.minimum}"
        problems.append(
            f"CASE WHEN {c} IS NOT NULL AND {c}__v IS NULL THEN {_problem(c, c, sql_text(f'{c} is not a whole number'))} "
            f"WHEN {c}__v < {col.minimum} THEN {_problem(c, c, sql_text(too_small))} "
            + (f"WHEN {c}__v > {col.maximum} THEN {_problem(c, c, sql_text(f'{c} must be at most {col.maximum:,}'))} "
               if col.maximum is not None else "")
            + "END"
        )
        return parsed, f"{c}__v", problems
    if col.type == "vocab":
        lookup = f"_vocab_{c}.value"  # joined in by _typed_sql: see _vocab_join
        if col.domain == "platform":
            # An unrecognised platform is kept as Other (its text goes to platform_raw): never a problem.
            return lookup, f"CASE WHEN {c} IS NULL THEN NULL ELSE coalesce({c}__v, 'Other') END", problems
        if col.domain == "submitted_by":
            parsed = f"CASE WHEN {c} IS NULL THEN 'unknown' ELSE {lookup} END"
        else:
            parsed = lookup
        reason = f"{c} is not a known {col.domain.replace('_', ' ')} (expected {vocab.expected(col.domain)})"
        problems.append(
            f"CASE WHEN {c} IS NOT NULL AND {c}__v IS NULL THEN {_problem(c, c, sql_text(reason))} END"
        )
        return parsed, f"{c}__v", problems
    raise ValueError(f"unknown column type {col.type}")
