"""The `policy-analytics` command: parses arguments and calls the library; no logic of its own."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb

from policy_analytics import db, load
from policy_analytics.errors import UsageError, UserError
from policy_analytics.settings import load_settings


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a one-line message on a usage error (its default does too, with usage)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"policy-analytics: {message}\n")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH", help="warehouse file (default $POLICY_ANALYTICS_DB or data/policy_analytics.duckdb)")
    parser.add_argument("--config", metavar="PATH", help="settings TOML file (default $POLICY_ANALYTICS_CONFIG or the shipped defaults)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with every command and its help text."""
    parser = _Parser(prog="policy-analytics", description="Staff social media policy: load exports, compute review triggers, render governor reports.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = commands.add_parser("load", help="load exports into the warehouse and print a per-file summary")
    p.add_argument("files", nargs="+", metavar="FILE", help="CSV or XLSX exports (incidents, breaches, acknowledgements)")
    p.add_argument("--kind", choices=["incidents", "breaches", "acknowledgements"], help="which export the files are (default: detected from the headers)")
    p.add_argument("--strict", action="store_true", help="refuse a file whole if any row would be rejected (exit 1)")
    _common(p)

    p = commands.add_parser("check", help="validate exports and print what would be stored and rejected, writing nothing")
    p.add_argument("files", nargs="+", metavar="FILE", help="CSV or XLSX exports")
    p.add_argument("--kind", choices=["incidents", "breaches", "acknowledgements"], help="which export the files are")
    p.add_argument("--json", action="store_true", help="print the rejected rows as JSON")
    _common(p)

    p = commands.add_parser("rejects", help="list what was rejected, where and why")
    p.add_argument("--file", metavar="NAME", help="only rows from files with this name")
    p.add_argument("--json", action="store_true", help="print a JSON list of {file, row, column, value, reason}")
    _common(p)

    p = commands.add_parser("indicators", help="compute the indicators and review triggers for a period (default: the current term)")
    p.add_argument("--term", metavar="T", help="a term, as in 2025-26-autumn")
    p.add_argument("--year", metavar="Y", help="an academic year, as in 2025-26")
    p.add_argument("--from", dest="date_from", metavar="D", help="first day of a custom period (YYYY-MM-DD), with --to")
    p.add_argument("--to", dest="date_to", metavar="D", help="last day of a custom period (YYYY-MM-DD), included")
    p.add_argument("--school", metavar="S", help="restrict every figure to one school (default: the whole organisation)")
    p.add_argument("--json", action="store_true", help="print the indicators as one JSON object")
    _common(p)

    p = commands.add_parser("demo", help="generate synthetic exports, load them and render both reports")
    p.add_argument("--out", metavar="DIR", default="data/demo", help="where to write the synthetic exports (default data/demo)")
    _common(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; user mistakes print one or two plain sentences and exit 1 (2 for usage)."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
        return COMMANDS[args.command](args, settings)
    except UserError as exc:
        print(f"policy-analytics: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("policy-analytics: stopped; the warehouse is as it was before the file being loaded.", file=sys.stderr)
        return 130


def _cmd_load(args: argparse.Namespace, settings) -> int:
    con = db.connect(args.db, settings)
    _progress_on_terminal(con)
    status = 0
    try:
        for path in args.files:
            try:
                result = load.load_file(con, path, kind=args.kind, strict=args.strict, default_school=settings.default_school)
            except UserError as exc:
                print(f"policy-analytics: {exc}", file=sys.stderr)
                status = 1
                continue
            print(format_summary(result))
    finally:
        con.close()
    return status


def _cmd_check(args: argparse.Namespace, settings) -> int:
    con = duckdb.connect()  # an in-memory warehouse: checking writes nothing anywhere
    from policy_analytics.db import prepare_scratch

    prepare_scratch(con, settings)
    status = 0
    for path in args.files:
        try:
            result = load.load_file(con, path, kind=args.kind, dry_run=True, default_school=settings.default_school)
        except UserError as exc:
            print(f"policy-analytics: {exc}", file=sys.stderr)
            status = 1
            continue
        print(format_summary(result))
    return status


def format_summary(result: load.LoadResult) -> str:
    """The per-file summary: rows read, stored (new / updated), rejected with the commonest reasons."""
    if result.status == "unchanged":
        return f"{result.file} ({result.kind}): {result.message}."
    verb = "would be stored" if result.status == "checked" else "stored"
    lines = [
        f"{result.file} ({result.kind}): {result.rows_read} rows read, {result.rows_stored} {verb} "
        f"({result.rows_new} new, {result.rows_updated} updated), {result.rows_rejected} rejected."
    ]
    for reason, count in result.top_reasons:
        lines.append(f"  rejected {count} row{'s' if count != 1 else ''}: {reason}")
    if result.rows_rejected:
        lines.append(f"  see every rejected row with: policy-analytics rejects --file {result.file}")
    if result.ignored_columns:
        lines.append(f"  ignored columns: {', '.join(result.ignored_columns)}")
    return "\n".join(lines)


def _cmd_rejects(args: argparse.Namespace, settings) -> int:
    con = db.connect(args.db, settings, read_only=True)
    rows = db.list_rejects(con, args.file)
    con.close()
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    if not rows:
        print("No rows have been rejected." if not args.file else f"No rows from {args.file} have been rejected.")
        return 0
    for r in rows:
        value = "" if r["value"] is None else f" {r['value']!r}:"
        print(f"{r['file']} row {r['row']}, column {r['column'] or '-'}:{value} {r['reason']}")
    return 0


def _cmd_indicators(args: argparse.Namespace, settings) -> int:
    from policy_analytics import indicators, periods

    period = periods.resolve(settings, term=args.term, year=args.year, date_from=args.date_from, date_to=args.date_to)
    con = db.connect(args.db, settings, read_only=True)
    try:
        found = indicators.compute_indicators(con, settings, period, args.school)
        school = indicators.resolve_school(con, settings, args.school)
    finally:
        con.close()
    if args.json:
        print(indicators.to_json(found))
    else:
        print(indicators.to_text(found, heading=f"{settings.organisation_name}, {school or 'all schools'}"))
    return 0


def _cmd_demo(args: argparse.Namespace, settings) -> int:
    from policy_analytics import synthetic

    out = Path(args.out)
    files = synthetic.generate_demo_exports(out)
    paths = [p for group in files.values() for p in group]
    if not args.config:
        args.config = str(synthetic.write_demo_settings(out))
        settings = load_settings(args.config)
    # The demo never touches the real warehouse unless --db says so.
    args.db = args.db or str(out / "demo.duckdb")
    print(f"Synthetic exports written to {out}/ (settings: {args.config})")
    con = db.connect(args.db, settings)
    try:
        for path in paths:
            print(format_summary(load.load_file(con, path, default_school=settings.default_school)))
    finally:
        con.close()
    print(f"Warehouse: {db.warehouse_path(args.db)}")
    return 0


def _progress_on_terminal(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB's own progress bar for long statements, on a terminal only."""
    if sys.stderr.isatty():
        con.execute("SET enable_progress_bar = true")


COMMANDS = {
    "load": _cmd_load,
    "check": _cmd_check,
    "rejects": _cmd_rejects,
    "indicators": _cmd_indicators,
    "demo": _cmd_demo,
}
