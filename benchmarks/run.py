"""Benchmark policy-analytics at 10 thousand, 1 million and 10 million incidents, each step against a baseline.

    python benchmarks/run.py [--scales 10000,1000000,10000000] [--out benchmarks/out] [--quick]

For each scale it writes synthetic exports (incidents, with breaches and a roster to match, from
`policy_analytics.synthetic.generate_scale_exports`), then measures, each step in its own process:

- load: `policy-analytics load incidents.csv` into a new warehouse, against DuckDB's bare `read_csv` of
  the same file into a table (`bare_duckdb.py`, the floor) and a pandas read-and-validate script
  (`pandas_baseline.py`, what an analyst would otherwise write); then the breaches and roster, and a
  later export of the same incidents with one new row (every stored row updated: the termly upsert);
- indicators: `policy-analytics indicators --term T --json`, compared across scales;
- report: `policy-analytics report termly --term T`, compared across scales and against the same command
  executing a notebook that only makes the report's imports (the floor of papermill, the kernel and
  nbconvert); the HTML's size.

Peak memory is the operating system's count for each step's process: the largest resident set of the
process or any process it started and waited for (the report's kernel), from `wait4`. Steps shorter
than 5 seconds run three times and report the median. The table is printed and written, with the
machine, to `OUT/results.md` and `OUT/results.json`. Generated files are deleted after each scale
unless `--keep`.

Performance is measured here, not asserted in tests: `tests/test_benchmarks.py` only runs this script
at two tiny scales to prove it works.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from policy_analytics.synthetic import SCALE_SCHOOLS

HERE = Path(__file__).resolve().parent
DEFAULT_SCALES = (10_000, 1_000_000, 10_000_000)
QUICK_SCALES = (10_000, 100_000)
TERM = "2025-26-autumn"  # a term the synthetic exports fill (they cover Sept 2023 to July 2026)
REPEAT_BELOW_SECONDS = 5.0  # a step faster than this runs three times; the median is reported
REPEAT = True  # --once: every step runs once (the smoke test)

# The targets of issue 5. Ratios across scales compare with the smallest scale of the run.
LOAD_VS_BARE = 1.5  # our load at most this many times DuckDB's bare read_csv
LOAD_VS_PANDAS = 5.0  # our load at least this many times faster than the pandas baseline
INDICATORS_GROWTH = 2.0  # indicators at 1M at most this many times their cost at 10k
REPORT_GROWTH = 1.5  # a report at 1M at most this many times its cost at 10k
HTML_MB = 10.0  # a report's HTML under this size
PEAK_MB = 2048.0  # every step of ours under this peak at 10M
TARGET_SCALE, MEMORY_SCALE = 1_000_000, 10_000_000
PANDAS_MB_PER_MILLION = 1_700  # the pandas baseline's peak, measured: it holds the whole file, several times over
LOAD_TARGET_FROM = 1_000_000  # load ratios are judged from this scale up (below it, process start-up dominates)


@dataclass
class Step:
    """One measured step at one scale."""

    step: str
    scale: int
    seconds: float
    peak_mb: float
    cpu_seconds: float
    rows: int | None = None
    runs: list[float] = field(default_factory=list)
    detail: str = ""
    html_mb: float | None = None

    @property
    def rows_per_s(self) -> float | None:
        return self.rows / self.seconds if self.rows and self.seconds else None


@dataclass
class Check:
    """One target, judged on this run."""

    target: str
    scale: int
    measured: str
    met: bool | None  # None: not measured in this run


# --- running one step in its own process ---------------------------------------------------------------


# A fresh, small process starts each step and waits for it, so that the peak it reports is the step's own:
# on Linux a child's ru_maxrss starts from the resident size of the process that forked it, which for
# this script (with pandas and DuckDB imported) would hide a small step's peak.
_WAITER = """
import os, sys, time
result, command = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.posix_spawn(command[0], command, os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
with open(result, "w") as fh:
    fh.write(f"{seconds} {peak} {usage.ru_utime + usage.ru_stime} {os.waitstatus_to_exitcode(status)}")
"""


def run_once(command: list[str], log: Path, env: dict[str, str] | None = None) -> tuple[float, float, float, str]:
    """Run COMMAND to completion: (wall seconds, peak MB, CPU seconds, output), of it and the children it waited for."""
    log.parent.mkdir(parents=True, exist_ok=True)
    result = log.with_suffix(".result")
    program = shutil.which(command[0]) or command[0]
    with log.open("wb") as out:
        subprocess.run([sys.executable, "-I", "-S", "-c", _WAITER, str(result), program, *command[1:]],
                       stdout=out, stderr=subprocess.STDOUT, env=env, check=False)
    text = log.read_text("utf-8", errors="replace")
    try:
        seconds, peak, cpu, code = result.read_text().split()
    except (OSError, ValueError):
        raise SystemExit(f"benchmark step did not run: {' '.join(command)}\n{text[-2000:]}") from None
    result.unlink()
    if int(code) != 0:
        tail = "\n".join(text.strip().splitlines()[-15:])
        raise SystemExit(f"benchmark step failed (exit {code}): {' '.join(command)}\n{tail}")
    return float(seconds), float(peak), float(cpu), text


def measure(name: str, scale: int, command: list[str], log: Path, *, env: dict[str, str] | None = None,
            before=None, repeat: bool = True, rows: int | None = None) -> Step:
    """Run a step (three times if it is short and repeatable; `before` runs ahead of each, untimed)."""
    runs, peaks, cpus, text = [], [], [], ""
    for attempt in range(3 if repeat and REPEAT else 1):
        if before:
            before()
        seconds, peak, cpu, text = run_once(command, log.with_suffix(f".{attempt + 1}.log"), env)
        runs.append(seconds)
        peaks.append(peak)
        cpus.append(cpu)
        if seconds >= REPEAT_BELOW_SECONDS:
            break
    middle = runs.index(statistics.median_low(runs))
    step = Step(name, scale, runs[middle], max(peaks), cpus[middle], rows, [round(r, 3) for r in runs])
    step.detail = text.strip().splitlines()[0][:160] if text.strip() else ""
    print(f"  {name:<32} {step.seconds:8.2f} s  cpu {step.cpu_seconds:7.2f} s  peak {step.peak_mb:7.0f} MB"
          + (f"  ({len(runs)} runs)" if len(runs) > 1 else ""), flush=True)
    return step


def _counts(summary: str) -> tuple[str, ...] | None:
    """(read, stored, rejected) from a load summary line, to check the baselines agree with the loader."""
    found = re.search(r"(\d+) rows read, (\d+) stored.*?(\d+) rejected", summary)
    return found.groups() if found else None


def _available_mb() -> float | None:
    """Memory available to a new process (MemAvailable), in MB, where the system says."""
    try:
        line = next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemAvailable"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration, ValueError):
        return None


def _remove(*paths: Path) -> None:
    for path in paths:
        for p in (path, Path(f"{path}.wal"), path.with_suffix(".tmp")):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            elif p.exists():
                p.unlink()


# --- the steps of one scale -------------------------------------------------------------------------------


def cli_command() -> list[str]:
    """The real `policy-analytics` command of this environment."""
    script = Path(sys.executable).with_name("policy-analytics")
    return [str(script)] if script.exists() else [sys.executable, "-m", "policy_analytics"]


def floor_notebooks(folder: Path) -> Path:
    """A copy of the termly report notebook that only makes its imports: the floor of executing a report."""
    import nbformat

    from policy_analytics.reports import render

    notebook = nbformat.read(str(render.notebook_path("termly")), as_version=4)
    cells, imports_done = [], False
    for cell in notebook.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            cells.append(cell)
        elif cell.cell_type == "code" and not imports_done:
            keep = [line for line in cell.source.splitlines() if line.startswith(("import ", "from ", "warnings."))]
            cell.source = "\n".join(keep)
            cells.append(cell)
            imports_done = True
    notebook.cells = cells
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(folder / render.NOTEBOOKS["termly"]))
    return folder


def later_export(source: Path, target: Path) -> int:
    """The same export with one new incident appended (a later export: every row is upserted). Returns rows."""
    shutil.copyfile(source, target)
    with source.open("r", encoding="utf-8", newline="") as fh:
        fh.readline()
        first = fh.readline()
    _, rest = first.split(",", 1)
    with target.open("a", encoding="utf-8", newline="") as fh:
        fh.write(f"SYN-INC-LATER-1,{rest}")
    return 1


def run_scale(scale: int, out: Path, env: dict[str, str], *, keep: bool, pandas_max: int, schools: int) -> list[Step]:
    """Every step at one scale; the generated files are removed afterwards unless `keep`."""
    cli, python = cli_command(), sys.executable
    work = out / f"n{scale}"
    data, logs = work / "data", work / "logs"
    if work.exists():
        shutil.rmtree(work)
    data.mkdir(parents=True)
    print(f"\n{scale:,} incidents", flush=True)
    steps: list[Step] = []
    generate = measure("generate exports", scale,
                       [python, "-m", "policy_analytics.synthetic", str(data), "--scale", str(scale), "--schools", str(schools)],
                       logs / "generate", env=env, repeat=False)
    incidents, breaches, roster = data / "incidents.csv", data / "breaches.csv", data / "acknowledgements.csv"
    generate.detail = f"{incidents.stat().st_size / 1e6:,.0f} MB of incidents CSV, {schools} schools"
    steps.append(generate)

    bare_db, pandas_db, warehouse = work / "bare.duckdb", work / "pandas.duckdb", work / "warehouse.duckdb"
    steps.append(measure("load: bare DuckDB read_csv", scale, [python, str(HERE / "bare_duckdb.py"), str(incidents), str(bare_db)],
                         logs / "bare", env=env, before=lambda: _remove(bare_db), rows=scale))
    _remove(bare_db)
    needed, available = PANDAS_MB_PER_MILLION * scale / 1e6, _available_mb()
    if scale <= pandas_max and (available is None or needed < 0.85 * available):
        steps.append(measure("load: pandas read and validate", scale,
                             [python, str(HERE / "pandas_baseline.py"), str(incidents), str(pandas_db)],
                             logs / "pandas", env=env, before=lambda: _remove(pandas_db), rows=scale))
        _remove(pandas_db)
    else:
        print(f"  {'load: pandas read and validate':<32} not run (needs about {needed:,.0f} MB; "
              f"{available or 0:,.0f} MB available, or above --pandas-max)", flush=True)
    steps.append(measure("load: policy-analytics", scale, [*cli, "load", "--db", str(warehouse), str(incidents)],
                         logs / "load", env=env, before=lambda: _remove(warehouse), rows=scale))
    pandas = _get(steps, "load: pandas read and validate", scale)
    if pandas and _counts(pandas.detail) != _counts(steps[-1].detail):
        pandas.detail += " — DISAGREES with policy-analytics on this file"
        print(f"  warning: pandas baseline and policy-analytics disagree: {pandas.detail}", flush=True)
    n_other = sum(1 for path in (breaches, roster) for _ in path.open("rb")) - 2
    steps.append(measure("load: breaches and roster", scale, [*cli, "load", "--db", str(warehouse), str(breaches), str(roster)],
                         logs / "load_others", env=env, repeat=False, rows=n_other))
    later = data / "incidents_later.csv"
    later_export(incidents, later)
    steps.append(measure("load: later export (upsert)", scale, [*cli, "load", "--db", str(warehouse), str(later)],
                         logs / "upsert", env=env, repeat=False, rows=scale + 1))
    later.unlink()

    steps.append(measure("indicators", scale,
                         [*cli, "indicators", "--db", str(warehouse), "--term", TERM, "--json"],
                         logs / "indicators", env=env))
    steps[-1].detail = ""

    reports_dir = work / "reports"
    report = measure("report termly", scale,
                     [*cli, "report", "termly", "--term", TERM, "--db", str(warehouse), "--out", str(reports_dir)],
                     logs / "report", env=env)
    html = reports_dir / f"termly_{TERM}_organisation.html"
    report.html_mb = html.stat().st_size / 1e6
    report.detail = f"HTML {report.html_mb:.2f} MB"
    steps.append(report)
    floor_env = {**env, "POLICY_ANALYTICS_NOTEBOOKS": str(floor_notebooks(work / "floor_notebooks"))}
    floor = measure("report: imports-only notebook", scale,
                    [*cli, "report", "termly", "--term", TERM, "--db", str(warehouse), "--out", str(work / "floor")],
                    logs / "report_floor", env=floor_env)
    floor.detail = ""
    steps.append(floor)

    if not keep:
        shutil.rmtree(data, ignore_errors=True)
        _remove(warehouse)
    return steps


# --- judging and printing ---------------------------------------------------------------------------------


def _get(steps: list[Step], name: str, scale: int) -> Step | None:
    return next((s for s in steps if s.step == name and s.scale == scale), None)


def ratios(steps: list[Step]) -> dict[tuple[str, int], tuple[str, float, str]]:
    """Per (step, scale): (baseline described, ratio, how to read it)."""
    found: dict[tuple[str, int], tuple[str, float, str]] = {}
    scales = sorted({s.scale for s in steps})
    smallest = scales[0]
    for scale in scales:
        ours, bare, pandas = (_get(steps, n, scale) for n in
                              ("load: policy-analytics", "load: bare DuckDB read_csv", "load: pandas read and validate"))
        if ours and bare:
            found[("load: policy-analytics", scale)] = ("bare read_csv", ours.seconds / bare.seconds, "× bare")
        if ours and pandas:
            found[("load: pandas read and validate", scale)] = ("ours", pandas.seconds / ours.seconds, "× ours")
        upsert = _get(steps, "load: later export (upsert)", scale)
        if upsert and bare:
            found[("load: later export (upsert)", scale)] = ("bare read_csv", upsert.seconds / bare.seconds, "× bare")
        for name in ("indicators", "report termly", "report: imports-only notebook"):
            this, base = _get(steps, name, scale), _get(steps, name, smallest)
            if this and base and scale != smallest:
                found[(name, scale)] = (f"same at {smallest:,}", this.seconds / base.seconds, f"× {_short(smallest)}")
        report, floor = _get(steps, "report termly", scale), _get(steps, "report: imports-only notebook", scale)
        if report and floor and scale == smallest:
            found[("report termly", scale)] = ("imports-only notebook", report.seconds / floor.seconds, "× floor")
    return found


def _short(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else (f"{n // 1000}k" if n % 1000 == 0 else str(n))


def checks(steps: list[Step]) -> list[Check]:
    """Every target of issue 5 that this run can judge (and those it cannot, as not measured)."""
    out: list[Check] = []
    scales = sorted({s.scale for s in steps})
    smallest = scales[0]
    for scale in [s for s in scales if s >= LOAD_TARGET_FROM] or [None]:
        if scale is None:
            out.append(Check(f"load ≤ {LOAD_VS_BARE}× bare read_csv; ≥ {LOAD_VS_PANDAS:g}× faster than pandas",
                             LOAD_TARGET_FROM, "not measured (no scale of 1M or more in this run)", None))
            break
        ours, bare, pandas = (_get(steps, n, scale) for n in
                              ("load: policy-analytics", "load: bare DuckDB read_csv", "load: pandas read and validate"))
        r = ours.seconds / bare.seconds
        out.append(Check(f"load ≤ {LOAD_VS_BARE}× DuckDB's bare read_csv", scale,
                         f"{r:.2f}× ({ours.seconds:.1f} s vs {bare.seconds:.1f} s)", r <= LOAD_VS_BARE))
        if pandas:
            r = pandas.seconds / ours.seconds
            out.append(Check(f"load ≥ {LOAD_VS_PANDAS:g}× faster than pandas", scale,
                             f"{r:.1f}× ({pandas.seconds:.1f} s vs {ours.seconds:.1f} s)", r >= LOAD_VS_PANDAS))
        else:
            out.append(Check(f"load ≥ {LOAD_VS_PANDAS:g}× faster than pandas", scale, "pandas not run at this scale", None))
    for name, limit, label in (("indicators", INDICATORS_GROWTH, "indicators"), ("report termly", REPORT_GROWTH, "termly report")):
        this, base = _get(steps, name, TARGET_SCALE), _get(steps, name, smallest)
        if this and base and smallest < TARGET_SCALE:
            r = this.seconds / base.seconds
            out.append(Check(f"{label} at 1M ≤ {limit:g}× at {_short(smallest)}", TARGET_SCALE,
                             f"{r:.2f}× ({this.seconds:.2f} s vs {base.seconds:.2f} s)", r <= limit))
        else:
            out.append(Check(f"{label} at 1M ≤ {limit:g}× at 10k", TARGET_SCALE, "not measured in this run", None))
    report = _get(steps, "report termly", TARGET_SCALE)
    out.append(Check(f"termly report HTML < {HTML_MB:g} MB at 1M", TARGET_SCALE,
                     f"{report.html_mb:.2f} MB" if report else "not measured in this run",
                     report.html_mb < HTML_MB if report else None))
    ours = [s for s in steps if s.scale == MEMORY_SCALE and not s.step.startswith(("load: bare", "load: pandas", "generate"))]
    if ours:
        worst = max(ours, key=lambda s: s.peak_mb)
        out.append(Check(f"peak memory < {PEAK_MB / 1024:g} GB at 10M (every step of ours)", MEMORY_SCALE,
                         f"{worst.peak_mb:,.0f} MB at most ({worst.step})", worst.peak_mb < PEAK_MB))
    else:
        out.append(Check(f"peak memory < {PEAK_MB / 1024:g} GB at 10M", MEMORY_SCALE, "not measured in this run", None))
    return out


def markdown(steps: list[Step], judged: list[Check], machine: dict[str, str], command: str) -> str:
    found = ratios(steps)
    lines = [
        "| step | incidents | seconds | CPU s | rows/s | peak MB | baseline | ratio | note |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    for s in steps:
        base, ratio, unit = found.get((s.step, s.scale), ("", None, ""))
        lines.append(
            f"| {s.step} | {s.scale:,} | {s.seconds:.2f} | {s.cpu_seconds:.2f} | {f'{s.rows_per_s:,.0f}' if s.rows_per_s else ''} | "
            f"{s.peak_mb:,.0f} | {base} | {f'{ratio:.2f}{unit}' if ratio is not None else ''} | {s.detail} |"
        )
    lines += ["", "| target | incidents | measured | met? |", "| --- | ---: | --- | --- |"]
    for c in judged:
        met = "yes" if c.met else ("**no**" if c.met is False else "n/a")
        lines.append(f"| {c.target} | {c.scale:,} | {c.measured} | {met} |")
    lines += ["", "Machine: " + "; ".join(f"{k} {v}" for k, v in machine.items()) + ".", "", f"Command: `{command}`"]
    return "\n".join(lines) + "\n"


def machine_info() -> dict[str, str]:
    import duckdb
    import pandas
    import papermill

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    memory = "unknown"
    try:
        kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "memory": memory,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "DuckDB": duckdb.__version__,
        "pandas": pandas.__version__,
        "papermill": papermill.__version__,
        "warehouse memory_limit": os.environ.get("POLICY_ANALYTICS_MEMORY_LIMIT", "1GB (default)"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", help="comma-separated incident counts (default 10000,1000000,10000000)")
    parser.add_argument("--quick", action="store_true", help="a smoke run at 10,000 and 100,000 incidents")
    parser.add_argument("--out", type=Path, default=HERE / "out", help="folder for data, logs and results (default benchmarks/out)")
    parser.add_argument("--keep", action="store_true", help="keep the generated exports and warehouses")
    parser.add_argument("--once", action="store_true", help="run every step once, even short ones (a smoke run)")
    parser.add_argument("--schools", type=int, default=SCALE_SCHOOLS,
                        help=f"schools the incidents are spread over, the same at every scale (default {SCALE_SCHOOLS})")
    parser.add_argument("--pandas-max", type=int, default=10_000_000,
                        help="skip the pandas baseline above this many incidents (it holds the whole file in memory)")
    args = parser.parse_args(argv)
    if args.schools < 1:
        parser.error("--schools must be at least 1")
    global REPEAT
    REPEAT = not args.once
    if args.scales:
        try:
            scales = sorted({int(s.replace("_", "")) for s in args.scales.split(",") if s.strip()})
        except ValueError:
            parser.error("--scales takes whole numbers separated by commas, as in 10000,1000000")
        if not scales or scales[0] < 1:
            parser.error("--scales needs at least one number of incidents, each 1 or more")
    else:
        scales = list(QUICK_SCALES if args.quick else DEFAULT_SCALES)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("POLICY_ANALYTICS_DB", "POLICY_ANALYTICS_CONFIG",
                                                              "POLICY_ANALYTICS_NOTEBOOKS")}
    command = "python benchmarks/run.py" + (f" --scales {','.join(map(str, scales))}" if args.scales else
                                            (" --quick" if args.quick else "")) + (" --once" if args.once else "") + (
        f" --schools {args.schools}" if args.schools != SCALE_SCHOOLS else "")
    machine = machine_info()
    started = time.perf_counter()
    steps: list[Step] = []
    for scale in scales:
        steps += run_scale(scale, out, env, keep=args.keep, pandas_max=args.pandas_max, schools=args.schools)
    judged = checks(steps)
    text = markdown(steps, judged, machine, command)
    (out / "results.md").write_text(text, encoding="utf-8")
    (out / "results.json").write_text(json.dumps({
        "when": datetime.now().isoformat(timespec="seconds"),
        "command": command,
        "machine": machine,
        "total_seconds": round(time.perf_counter() - started, 1),
        "steps": [{**asdict(s), "rows_per_s": s.rows_per_s} for s in steps],
        "ratios": [{"step": k[0], "scale": k[1], "baseline": v[0], "ratio": v[1]} for k, v in ratios(steps).items()],
        "targets": [asdict(c) for c in judged],
    }, indent=2), encoding="utf-8")
    print("\n" + text)
    print(f"written to {out / 'results.md'} and {out / 'results.json'} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
