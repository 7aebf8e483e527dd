"""The baseline an analyst would otherwise write: read an incidents export with pandas, validate it, store it.

    python benchmarks/pandas_baseline.py incidents.csv warehouse.duckdb

It applies the incident rules of docs/hr/exports.md the way a careful analyst would in pandas: headers
normalised, blanks as missing, dates tried format by format (day-first and ISO, never month-first),
vocabularies and their aliases mapped case-insensitively, yes/no flags, whole-number counts with their
minimums, `removed_at` not before `posted_at`, one row kept per incident id (the later one), and a list
of rejected rows with the row number, column, value and reason. The kept rows and the rejects go into a
DuckDB file with `CREATE TABLE ... AS SELECT * FROM frame` (DuckDB reads the frame directly; `to_sql`
through SQLAlchemy would be slower). It prints `rows read, stored, rejected` so the benchmark can check
it agrees with `policy-analytics load` on the same file.

It is not a product: no encodings other than UTF-8, no XLSX, no lineage, no load log, no upsert, no
transaction. Those make the comparison kinder to pandas, not harder.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from policy_analytics import vocab  # the vocabularies and aliases (an analyst would paste the same dicts)

DATE_FORMATS = [
    "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f",
]
DATES = ["reported_at", "posted_at", "removal_requested_at", "removed_at"]
VOCABS = {"platform": "platform", "category": "category", "submitted_by": "submitted_by", "severity": "severity"}
FLAGS = ["safeguarding", "police_referral", "isp_escalation", "support_offered"]
COUNTS = {"shares": 0, "platforms_reached": 1}
REQUIRED = ["incident_id", "reported_at", "platform", "category", "severity"]
KEEP = ["incident_id", "school", *DATES, "platform", "platform_raw", "category", "submitted_by", "severity",
        *FLAGS, *COUNTS, "description"]
FLAG_WORDS = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False}


def header(name: str) -> str:
    return re.sub(r"[\s\-.]+", "_", name.strip().lower()).strip("_")


def parse_dates(text: pd.Series) -> pd.Series:
    """Each value in the first format that reads it; NaT where none does."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    for fmt in DATE_FORMATS:
        todo = out.isna() & text.notna()
        if not todo.any():
            break
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    return out


def main(source: str, target: str) -> int:
    df = pd.read_csv(source, dtype=str, keep_default_na=False)
    df.columns = [header(c) for c in df.columns]
    row = pd.Series(np.arange(len(df)) + 2, index=df.index)  # as a spreadsheet numbers them: header = row 1
    for column in df.columns:
        df[column] = df[column].str.strip().replace("", None)
    for column in KEEP:
        if column not in df.columns and column != "platform_raw":
            df[column] = None
    raw = df.copy()  # the text as read, for the rejects list

    problems: list[pd.DataFrame] = []

    def reject(mask: pd.Series, column: str, reason: str) -> None:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            problems.append(pd.DataFrame({"row": row[mask], "column": column,
                                          "value": raw.loc[mask, column].str.slice(0, 200),
                                          "reason": reason}))

    for column in REQUIRED:
        reject(df[column].isna(), column, f"{column} is required but blank")
    for column in DATES:
        parsed = parse_dates(df[column])
        reject(df[column].notna() & parsed.isna(), column, f"{column} is not a date this tool reads")
        bad_year = parsed.notna() & ~parsed.dt.year.between(1990, 2100)
        reject(bad_year, column, f"{column} has a year that cannot be right")
        df[column] = parsed.where(~bad_year)
    for column, domain in VOCABS.items():
        lookup = {key: value for d, key, value in vocab.vocab_rows() if d == domain}
        key = df[column].str.lower().str.replace(r"[\s\-]+", "_", regex=True)
        mapped = key.map(lookup)
        if column == "platform":
            df["platform_raw"] = df[column].where(mapped.isna() & (key != "other"))
            mapped = mapped.where(mapped.notna() | df[column].isna(), "Other")
        elif column == "submitted_by":
            reject(df[column].notna() & mapped.isna(), column, "submitted_by is not a known submitter")
            mapped = mapped.where(df[column].notna(), "unknown")
        else:
            reject(df[column].notna() & mapped.isna(), column, f"{column} is not a known {domain}")
        df[column] = mapped
    for column in FLAGS:
        mapped = df[column].str.lower().map(FLAG_WORDS)
        reject(df[column].notna() & mapped.isna(), column, f"{column} is not a yes/no value")
        df[column] = mapped.where(df[column].notna(), False).astype("boolean")
    for column, minimum in COUNTS.items():
        number = pd.to_numeric(df[column], errors="coerce")
        whole = number.notna() & (number % 1 == 0)
        reject(df[column].notna() & ~whole, column, f"{column} is not a whole number")
        reject(whole & (number < minimum), column, f"{column} is below {minimum}")
        df[column] = number.where(whole).astype("Int64")
    reject(df["removed_at"] < df["posted_at"], "removed_at", "removed_at is earlier than posted_at")

    bad_rows = set(pd.concat([p["row"] for p in problems]).tolist()) if problems else set()
    good = df[~row.isin(bad_rows)].assign(source_row=row)
    duplicate = good.duplicated("incident_id", keep="last")
    if duplicate.any():
        problems.append(pd.DataFrame({"row": good.loc[duplicate, "source_row"], "column": "incident_id",
                                      "value": good.loc[duplicate, "incident_id"],
                                      "reason": "duplicate id in file"}))
    accepted = good[~duplicate][[*KEEP, "source_row"]]
    rejects = (pd.concat(problems, ignore_index=True) if problems
               else pd.DataFrame(columns=["row", "column", "value", "reason"]))

    con = duckdb.connect(target)
    con.execute("CREATE OR REPLACE TABLE incidents AS SELECT * FROM accepted")
    con.execute("CREATE OR REPLACE TABLE rejects AS SELECT * FROM rejects")
    con.close()
    rejected = rejects["row"].nunique()
    print(f"{len(df)} rows read, {len(accepted)} stored, {rejected} rejected")
    return 0 if len(df) == len(accepted) + rejected else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(f"usage: python {Path(__file__).name} INCIDENTS.csv WAREHOUSE.duckdb")
    sys.exit(main(sys.argv[1], sys.argv[2]))
