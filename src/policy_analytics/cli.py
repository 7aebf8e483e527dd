"""The `policy-analytics` command: parses arguments and calls the library; no logic of its own."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb

from policy_analytics import db, load
from policy_analytics.errors import UserError, hint_options
from policy_analytics.settings import load_settings


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a one-line message on a usage error (its default does too, with usage)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"policy-analytics: {message}\n")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH", help="warehouse file (default $POLICY_ANALYTICS_DB or data/policy_analytics.duckdb)")
    parser.add_argument("--config", metavar="PATH", help="settings TOML file (default $POLICY_ANALYTICS_CONFIG or the shipped defaults)")


def _report_options(parser: argparse.ArgumentParser) -> None:
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--school", metavar="S", help="one school's report (default: the organisation, with a section per school)")
    who.add_argument("--all-schools", action="store_true",
                     help="the organisation's report and every school's, from one read of the warehouse, "
                          "into one folder with an index.html")
    parser.add_argument("--out", metavar="DIR", default="reports", help="folder for the report files (default reports)")
    parser.add_argument("--pdf", action="store_true", help="also print the report to PDF with a system Chromium")
    _common(parser)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with every command and its help text."""
    parser = _Parser(prog="policy-analytics", description="Staff social media policy: load exports, compute review triggers, render governor reports.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = commands.add_parser("load", help="load exports into the warehouse and print a per-file summary")
    p.add_argument("files", nargs="+", metavar="FILE", help="CSV or XLSX exports (incidents, breaches, acknowledgements)")
    p.add_argument("--kind", choices=["incidents", "breaches", "acknowledgements"], help="which export the files are (default: detected from the headers)")
    p.add_argument("--strict", action="store_true", help="refuse a file whole if any row would be rejected (exit 1)")
    p.add_argument("--accept-rejects", action="store_true",
                   help="store the good rows of a file even when more than half of its rows are rejected")
    _common(p)

    p = commands.add_parser("check", help="validate exports and print what would be stored and rejected, writing nothing")
    p.add_argument("files", nargs="+", metavar="FILE", help="CSV or XLSX exports")
    p.add_argument("--kind", choices=["incidents", "breaches", "acknowledgements"], help="which export the files are")
    p.add_argument("--json", action="store_true", help="print the rejected rows as JSON")
    p.add_argument("--suggest", action="store_true",
                   help="print a settings snippet mapping the file's own headers and values (never applied by itself)")
    _common(p)

    p = commands.add_parser("rejects", help="list what was rejected, where and why")
    p.add_argument("--file", metavar="NAME", help="only rows from files with this name")
    p.add_argument("--all", action="store_true", help="also the rejects of earlier loads of each file (by default, its latest load's)")
    p.add_argument("--json", action="store_true", help="print a JSON list of {file, row, column, value, reason}")
    p.add_argument("--csv", metavar="PATH", help="write the list as a CSV file for Excel (formulas neutralised)")
    _common(p)

    p = commands.add_parser("indicators", help="compute the indicators and review triggers for a period (default: the current term)")
    p.add_argument("--term", metavar="T", help="a term, as in 2025-26-autumn")
    p.add_argument("--year", metavar="Y", help="an academic year, as in 2025-26")
    p.add_argument("--from", dest="date_from", metavar="D", help="first day of a custom period (YYYY-MM-DD), with --to")
    p.add_argument("--to", dest="date_to", metavar="D", help="last day of a custom period (YYYY-MM-DD), included")
    p.add_argument("--school", metavar="S", help="restrict every figure to one school (default: the whole organisation)")
    p.add_argument("--json", action="store_true", help="print the indicators as one JSON object")
    _common(p)

    p = commands.add_parser("report", help="render a governor report: one self-contained HTML page, the executed notebook and, with --pdf, a PDF")
    kinds = p.add_subparsers(dest="report_kind", required=True, metavar="KIND", parser_class=_Parser)
    r = kinds.add_parser("termly", help="the termly governor report")
    r.add_argument("--term", metavar="T", help="the term, as in 2025-26-autumn (default: the current term)")
    _report_options(r)
    r = kinds.add_parser("annual", help="the annual policy review report")
    r.add_argument("--year", metavar="Y", help="the academic year, as in 2025-26 (default: the current year)")
    _report_options(r)

    p = commands.add_parser("audit", help="check that a year's reports, read together, let no withheld count be worked out (exit 1 if any can)")
    p.add_argument("--year", metavar="Y", help="the academic year, as in 2025-26 (default: the current year)")
    p.add_argument("--cells", action="store_true", help="list every withheld count with the interval a reader can narrow it to")
    p.add_argument("--per-table", action="store_true", help="audit what the reports printed before the plan, each table deciding alone")
    _common(p)

    p = commands.add_parser("policy-check", help="read the policy document (DOCX, PDF, Markdown or text) and list what to update")
    p.add_argument("policy", metavar="POLICY", help="the policy document: .docx, .pdf, .md or .txt")
    p.add_argument("--json", action="store_true", help="print the findings as one JSON object")
    p.add_argument("--config", metavar="PATH", help="settings TOML file (its review-events file and last review date are used)")

    p = commands.add_parser("demo", help="generate synthetic exports, load them and render both reports")
    p.add_argument("--out", metavar="DIR", default="data/demo", help="where to write the synthetic exports (default data/demo)")
    _common(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; user mistakes print one or two plain sentences and exit 1 (2 for usage)."""
    args = build_parser().parse_args(argv)
    # Everything the command creates (the warehouse, its WAL and spill files, reports, rejects CSV, demo
    # exports) is readable by its owner only: the warehouse holds personal data. Restored on return.
    previous_umask = os.umask(0o077)
    try:
        settings = load_settings(args.config)
        return COMMANDS[args.command](args, settings)
    except UserError as exc:
        print(f"policy-analytics: {exc}", file=sys.stderr)
        return exc.exit_code
    except (KeyboardInterrupt, duckdb.InterruptException):
        print("policy-analytics: stopped; the warehouse is as it was before the file being loaded.", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        # Ctrl-C while DuckDB runs a query surfaces as RuntimeError("Query interrupted"), not KeyboardInterrupt.
        if "interrupted" not in str(exc).lower():
            raise
        print("policy-analytics: stopped; the warehouse is as it was before the file being loaded.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`policy-analytics rejects | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit-time flush is quiet
        return 0
    except duckdb.Error as exc:
        if os.environ.get(DEBUG_ENV) == "1":
            raise
        print(
            f"policy-analytics: a database error stopped the command ({_first_line(exc)}). "
            "The warehouse is unchanged.",
            file=sys.stderr,
        )
        return 1
    finally:
        os.umask(previous_umask)


DEBUG_ENV = "POLICY_ANALYTICS_DEBUG"  # =1: let unexpected database errors show their traceback


def _first_line(exc: BaseException) -> str:
    """The first line of an error's message, without DuckDB's "X Error: " prefix."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    head, sep, rest = text.partition(" Error: ")
    return rest if sep and " " not in head.strip() else text


def _again(args: argparse.Namespace) -> str:
    """The --db and --config the user gave, for a hint naming another command: " --db X --config Y"."""
    return hint_options(getattr(args, "db", None), getattr(args, "config", None))


def _cmd_load(args: argparse.Namespace, settings) -> int:
    con = db.connect(args.db, settings)
    _progress_on_terminal(con)
    status = 0
    try:
        for path in args.files:
            try:
                result = load.load_file(con, path, kind=args.kind, strict=args.strict, default_school=settings.default_school,
                                        settings=settings, accept_rejects=args.accept_rejects, again=_again(args))
            except UserError as exc:
                print(f"policy-analytics: {exc}", file=sys.stderr)
                status = 1
                continue
            except duckdb.Error as exc:
                if os.environ.get(DEBUG_ENV) == "1":
                    raise
                # The file's transaction was rolled back; files loaded before it stay loaded.
                print(
                    f"policy-analytics: {Path(path).name} could not be loaded because of a database error "
                    f"({_first_line(exc)}). Nothing from it was written: the warehouse is as it was before this file.",
                    file=sys.stderr,
                )
                status = 1
                continue
            print(format_summary(result, _again(args)))
    finally:
        con.close()
    return status


def _cmd_check(args: argparse.Namespace, settings) -> int:
    # Checking writes nothing anywhere: against the warehouse opened read-only when there is one (so rows
    # already stored count as updated), else against an empty in-memory one.
    if db.warehouse_path(args.db).exists():
        con = db.connect(args.db, settings, read_only=True)
    else:
        con = duckdb.connect()
        db.prepare_scratch(con, settings)
    status = 0
    rejects: list[dict[str, object]] = []
    try:
        for path in args.files:
            if args.suggest:
                from policy_analytics import suggest

                print(suggest.suggest(con, Path(path), settings, kind=args.kind))
                continue
            try:
                result = load.load_file(con, path, kind=args.kind, dry_run=True, default_school=settings.default_school,
                                        settings=settings, again=_again(args))
            except UserError as exc:
                print(f"policy-analytics: {exc}", file=sys.stderr)
                status = 1
                continue
            if args.json:
                rejects.extend(result.rejects)
            else:
                print(format_summary(result, _again(args), path=path))
    finally:
        con.close()
    if args.json:
        print(json.dumps(rejects, indent=2, default=str))
    return status


def format_summary(result: load.LoadResult, again: str = "", *, path: str | Path | None = None) -> str:
    """The per-file summary: rows read, stored (new / updated / unchanged), rejected with the commonest reasons.

    AGAIN (the user's --db/--config) is repeated in every hint naming a command; PATH is the file as the user named it.
    """
    if result.status == "unchanged":
        return f"{result.file} ({result.kind}): {result.message}."
    checking = result.status == "checked"
    verb = "would be stored" if checking else "stored"
    unchanged = f", {result.rows_unchanged} unchanged" if result.rows_unchanged else ""
    lines = [
        f"{result.file} ({result.kind}): {_rows(result.rows_read)} read, {result.rows_stored} {verb} "
        f"({result.rows_new} new, {result.rows_updated} updated{unchanged}), {result.rows_rejected} rejected."
    ]
    for reason, count in result.top_reasons:
        lines.append(f"  rejected {_rows(count)}: {reason}")
    if result.rows_rejected:
        # `check` writes nothing, so `rejects` would have nothing from it: its own --json lists every problem.
        lines.append(f"  see every rejected row with: policy-analytics check --json {shlex.quote(str(path or result.file))}{again}"
                     if checking else f"  see every rejected row with: policy-analytics rejects --file {shlex.quote(result.file)}{again}")
    if result.message:
        lines.append(f"  note: {result.message}")
    if result.mappings:
        lines.append(f"  mapped from the settings: {', '.join(result.mappings)}")
    if result.kept_columns:
        lines.append(f"  not in this file, so kept as stored: {', '.join(result.kept_columns)}")
    for note in result.school_notes:
        lines.append(f"  {note}")
    if result.ignored_columns:
        lines.append(f"  ignored columns: {', '.join(result.ignored_columns)}")
    return "\n".join(lines)


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _cmd_rejects(args: argparse.Namespace, settings) -> int:
    con = db.connect(args.db, settings, read_only=True)
    try:
        rows = db.list_rejects(con, args.file, history=args.all)
    finally:
        con.close()
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    if args.csv:
        _write_excel_csv(Path(args.csv), ["file", "row", "column", "value", "reason"], [list(r.values()) for r in rows])
        print(f"{_rows(len(rows))} written to {args.csv}")
        return 0
    if not rows:
        print("No rows have been rejected." if not args.file else f"No rows from {args.file} have been rejected.")
        return 0
    for r in rows:
        value = "" if r["value"] is None else f" {r['value']!r}:"
        print(f"{r['file']} row {r['row']}, column {r['column'] or '-'}:{value} {r['reason']}")
    return 0


# A cell Excel or LibreOffice would read as a formula (or DDE) starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def excel_safe(value: object) -> object:
    """VALUE for a CSV cell that Excel will show as text: a leading `'` stops formula injection."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _write_excel_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    """A CSV Excel opens as UTF-8 (with a BOM), every text cell made formula-safe."""
    import csv

    try:
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows([excel_safe(v) for v in row] for row in rows)
    except OSError as exc:
        raise UserError(f"{path} could not be written ({exc.strerror or exc}).") from None


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
        print(indicators.to_text(found, heading=f"{settings.organisation_name}, {school or 'all schools'}",
                                 settings=settings))
    return 0


def _cmd_policy_check(args: argparse.Namespace, settings) -> int:
    from policy_analytics import policy_check, register

    events = register.load_review_events(settings.review_events_file)
    # the shipped default last_reviewed is an example: only a school's own settings file says when it reviewed
    since = settings.last_reviewed if settings.source is not None else None
    found = policy_check.check_policy(args.policy, events, last_reviewed=since)
    print(policy_check.to_json(found) if args.json else policy_check.to_text(found))
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
            print(format_summary(load.load_file(con, path, default_school=settings.default_school, settings=settings),
                                 _again(args)))
    finally:
        con.close()
    print(f"Warehouse: {db.warehouse_path(args.db)}")
    from policy_analytics.reports import render

    con = db.connect(args.db, settings, read_only=True)
    try:
        term, year = _demo_periods(con, settings)
    finally:
        con.close()
    for kind, period in (("termly", term), ("annual", year)):
        if period is None:
            continue
        if sys.stderr.isatty():
            print(f"Rendering the {kind} report for {period.title}...", file=sys.stderr)
        _print_report_files(render.render_report(kind, period.label, None, args.db, args.config, "reports"))
    return 0


def _cmd_report(args: argparse.Namespace, settings) -> int:
    from policy_analytics import periods
    from policy_analytics.reports import render

    kind = args.report_kind
    if kind == "termly":
        period = periods.resolve(settings, term=args.term, default="term")
    else:
        period = periods.resolve(settings, year=args.year, default="year")
    if args.all_schools:
        from policy_analytics.reports import batch

        done = batch.render_batch(kind, period.label, args.db, args.config, args.out, pdf=args.pdf,
                                  progress=_progress if sys.stderr.isatty() else None)
        print(batch.summary_line(kind, done))
        return 0
    if sys.stderr.isatty():
        print(f"Rendering the {kind} report for {period.title}...", file=sys.stderr)
    files = render.render_report(kind, period.label, args.school, args.db, args.config, args.out, pdf=args.pdf)
    _print_report_files(files)
    return 0


def _progress(done: int, total: int, what: str) -> None:
    """One line on the terminal, rewritten in place: which report, and how many are left."""
    line = f"[{done + 1}/{total}] {what} ({total - done - 1} left)" if done < total else ""
    print(f"\r\033[K{line}", end="", file=sys.stderr, flush=True)  # the last call clears the line


def _cmd_audit(args: argparse.Namespace, settings) -> int:
    from policy_analytics import periods
    from policy_analytics.reports import audit, data

    year = periods.resolve(settings, year=args.year, default="year")
    plan, result = data.audit_year(args.db, settings, year.label, per_table=args.per_table)
    print(audit.summary(plan, result, every_cell=args.cells))
    return 0 if result.safe else 1


def _print_report_files(files) -> None:
    print(f"Report: {files.html}")
    if files.pdf:
        print(f"PDF: {files.pdf}")
    print(f"Executed notebook: {files.ipynb}")


def _demo_periods(con: duckdb.DuckDBPyConnection, settings):
    """The demo's reports: the latest term that ended by the last day of the demo data, and that day's academic year."""
    from policy_analytics import periods

    last = con.execute("SELECT max(CAST(reported_at AS DATE)) FROM incident_facts").fetchone()[0]
    if last is None:
        return None, None
    term = periods.current_term(last, settings)
    if term.end > last:
        term = periods.previous(term, settings)
    return term, periods.current_year(last)


def _progress_on_terminal(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB's own progress bar for long statements, on a terminal only."""
    if sys.stderr.isatty():
        con.execute("SET enable_progress_bar = true")


COMMANDS = {
    "load": _cmd_load,
    "check": _cmd_check,
    "rejects": _cmd_rejects,
    "indicators": _cmd_indicators,
    "report": _cmd_report,
    "audit": _cmd_audit,
    "demo": _cmd_demo,
    "policy-check": _cmd_policy_check,
}
