"""The floor for loading: DuckDB's own `read_csv` of the file into a table, with no validation at all.

    python benchmarks/bare_duckdb.py incidents.csv bare.duckdb

DuckDB's defaults throughout (type sniffing, all threads, its default memory limit): what anyone would
write to get a CSV into DuckDB. Prints the number of rows stored.
"""

from __future__ import annotations

import sys

import duckdb


def main(source: str, target: str) -> int:
    con = duckdb.connect(target)
    con.execute("CREATE TABLE incidents AS SELECT * FROM read_csv(?)", [source])
    rows = con.execute("SELECT count(*) FROM incidents").fetchone()[0]
    con.close()
    print(f"{rows} rows stored")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python bare_duckdb.py FILE.csv TARGET.duckdb")
    sys.exit(main(sys.argv[1], sys.argv[2]))
