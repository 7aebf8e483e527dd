"""Benchmark a whole trust's termly pack: the organisation and every school's report in one run.

    python benchmarks/batch.py [--incidents 200000] [--schools 50] [--out benchmarks/out] [--keep] [--once]

Writes synthetic exports for a trust (`--schools` schools, `--incidents` incidents), loads them, then
measures, each in its own process:

- figures: the organisation's indicators alone, and the organisation's and every school's in one pass
  (`compute_indicators_all`), in one process, each the median of five runs after one warm-up;
- report termly: `policy-analytics report termly --term T` (the organisation's report alone);
- report termly --all-schools: the organisation's report and every school's, with the index page.

Peak memory is the largest resident set of any one process (as benchmarks/run.py measures it) and, for the
batch, the largest sum over the process and its forked workers, sampled every 50 ms. The results are
printed and written to `OUT/batch.md` and `OUT/batch.json`. Targets: the batch in at most 5 times the
organisation's report alone and at most 90 s; figures for every school in at most 2 times the
organisation's alone; peak memory under 2 GB.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import run  # benchmarks/run.py: measure, cli_command, machine_info

HERE = Path(__file__).resolve().parent
TERM = run.TERM
BATCH_VS_ONE, BATCH_SECONDS, FIGURES_VS_ORG, PEAK_MB = 5.0, 90.0, 2.0, 2048.0

_FIGURES = """
import statistics, sys, time
from policy_analytics import db, indicators, periods
from policy_analytics.settings import Settings
settings = Settings()
con = db.connect(sys.argv[1], settings, read_only=True)
period = periods.term(sys.argv[2], settings)
schools = indicators.school_names(con)
def timed(schools):
    indicators.compute_indicators_all(con, settings, period, schools)  # warm-up
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        indicators.compute_indicators_all(con, settings, period, schools)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)
print(timed([]), timed(schools), len(schools))
"""


def tree_rss_mb(pid: int) -> float:
    """The resident memory of PID and every process below it, in MB, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(l for l in status.splitlines() if l.startswith("VmRSS")).split()[1]) / 1024
        except (OSError, StopIteration, ValueError):
            continue
    return total


def peak_sum_mb(command: list[str], log: Path, env: dict[str, str]) -> tuple[float, float]:
    """Run COMMAND, sampling its process tree's total resident memory: (wall seconds, peak MB of the sum)."""
    peak, started = 0.0, time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss_mb(process.pid))
                done.wait(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        code = process.wait()
        done.set()
        sampler.join()
    if code != 0:
        raise SystemExit(f"benchmark step failed (exit {code}): {' '.join(command)}")
    return time.perf_counter() - started, peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/batch.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=200_000, help="incidents in the trust's exports (default 200000)")
    parser.add_argument("--schools", type=int, default=50, help="schools in the trust (default 50)")
    parser.add_argument("--out", type=Path, default=HERE / "out", help="folder for data, logs and results (default benchmarks/out)")
    parser.add_argument("--keep", action="store_true", help="keep the generated exports, warehouse and reports")
    parser.add_argument("--once", action="store_true", help="run every step once, even short ones (a smoke run)")
    args = parser.parse_args(argv)
    if args.incidents < 1 or args.schools < 1:
        parser.error("--incidents and --schools must be at least 1")
    run.REPEAT = not args.once
    out = args.out.resolve()
    work = out / f"batch_n{args.incidents}_s{args.schools}"
    if work.exists():
        shutil.rmtree(work)
    data, logs, warehouse = work / "data", work / "logs", work / "warehouse.duckdb"
    data.mkdir(parents=True)
    logs.mkdir()
    env = {k: v for k, v in run.os.environ.items() if k not in ("POLICY_ANALYTICS_DB", "POLICY_ANALYTICS_CONFIG",
                                                                  "POLICY_ANALYTICS_NOTEBOOKS")}
    cli, python, scale = run.cli_command(), sys.executable, args.incidents
    command = f"python benchmarks/batch.py --incidents {args.incidents} --schools {args.schools}" + (" --once" if args.once else "")
    print(f"\n{args.schools} schools, {args.incidents:,} incidents", flush=True)
    started = time.perf_counter()
    subprocess.run([python, "-m", "policy_analytics.synthetic", str(data), "--scale", str(scale), "--schools", str(args.schools)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run([*cli, "load", "--db", str(warehouse), *(str(data / f) for f in ("incidents.csv", "breaches.csv", "acknowledgements.csv"))],
                   check=True, env=env, stdout=subprocess.DEVNULL)

    figures = subprocess.run([python, "-c", _FIGURES, str(warehouse), TERM], check=True, env=env,
                             capture_output=True, text=True).stdout.split()
    org_figures, all_figures, found_schools = float(figures[0]), float(figures[1]), int(figures[2])
    print(f"  figures: organisation alone {org_figures:.3f} s, with every school ({found_schools}) {all_figures:.3f} s", flush=True)
    one = run.measure("report termly", scale, [*cli, "report", "termly", "--term", TERM, "--db", str(warehouse),
                                               "--out", str(work / "one")], logs / "one", env=env)
    batch_command = [*cli, "report", "termly", "--term", TERM, "--all-schools", "--db", str(warehouse), "--out", str(work / "all")]
    many = run.measure("report termly --all-schools", scale, batch_command, logs / "all", env=env, repeat=False)
    _, tree_peak = peak_sum_mb(batch_command, logs / "all_memory.log", env)
    reports = len(list((work / "all" / f"termly_{TERM}").glob("*.html"))) - 1

    ratio, figures_ratio = many.seconds / one.seconds, all_figures / org_figures
    targets = [
        (f"{reports} reports in at most {BATCH_VS_ONE:g}x the organisation's report alone", f"{ratio:.2f}x", ratio <= BATCH_VS_ONE),
        (f"{reports} reports in at most {BATCH_SECONDS:g} s", f"{many.seconds:.1f} s", many.seconds <= BATCH_SECONDS),
        (f"figures for every school in at most {FIGURES_VS_ORG:g}x the organisation's alone", f"{figures_ratio:.2f}x",
         figures_ratio <= FIGURES_VS_ORG),
        (f"peak memory under {PEAK_MB:g} MB (the batch and its workers together)", f"{tree_peak:.0f} MB", tree_peak < PEAK_MB),
    ]
    rows = [
        ("figures: organisation alone", f"{org_figures:.3f}", "", ""),
        (f"figures: organisation and {found_schools} schools", f"{all_figures:.3f}", "", ""),
        ("report termly (organisation alone)", f"{one.seconds:.2f}", f"{one.cpu_seconds:.2f}", f"{one.peak_mb:.0f}"),
        (f"report termly --all-schools ({reports} reports)", f"{many.seconds:.2f}", f"{many.cpu_seconds:.2f}",
         f"{many.peak_mb:.0f} (all processes: {tree_peak:.0f})"),
    ]
    machine = run.machine_info()
    text = "\n".join([
        f"`{command}` on {machine.get('CPU', '?')}, {datetime.now():%Y-%m-%d %H:%M}",
        "",
        "| step | seconds | CPU seconds | peak MB |",
        "|---|---:|---:|---:|",
        *[f"| {' | '.join(r)} |" for r in rows],
        "",
        "| target | measured | met? |",
        "|---|---:|---|",
        *[f"| {t} | {m} | {'yes' if ok else 'NO'} |" for t, m, ok in targets],
        "",
    ])
    (out / "batch.md").write_text(text, encoding="utf-8")
    (out / "batch.json").write_text(json.dumps({
        "when": datetime.now().isoformat(timespec="seconds"), "command": command, "machine": machine,
        "schools": found_schools, "incidents": args.incidents,
        "figures_seconds": {"organisation": org_figures, "every_school": all_figures},
        "report_seconds": {"organisation": one.seconds, "batch": many.seconds},
        "runs": {"organisation": one.runs, "batch": many.runs},
        "peak_mb": {"organisation": one.peak_mb, "batch_largest_process": many.peak_mb, "batch_all_processes": tree_peak},
        "targets": [{"target": t, "measured": m, "met": ok} for t, m, ok in targets],
    }, indent=2), encoding="utf-8")
    print("\n" + text)
    print(f"written to {out / 'batch.md'} and {out / 'batch.json'} in {time.perf_counter() - started:.0f} s")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
