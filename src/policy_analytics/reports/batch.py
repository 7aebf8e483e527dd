"""A whole trust's reports in one run: the organisation's and every school's, from one read of the warehouse.

`render_batch("termly", "2025-26-autumn", ...)` reads every figure once (`data.read_figures`), then
builds each report's notebook without starting a kernel: papermill injects the parameters as it does
for a single report, and the notebook's own cells run in an in-process IPython shell (in forked
workers, one per core), where `gather` hands out the batch's figures. Each report so keeps its executed
notebook for the record, and its HTML is exported from it exactly as a single report's is. The folder gets

- `<kind>_<period>_organisation.{ipynb,html}` and `<kind>_<period>_<school>.{ipynb,html}` for each school,
- `.pdf` beside each with `pdf=True`,
- `index.html`: every report with its headline status (▲ Review / ✔ OK) and when the figures were read.

Every file is written under a temporary name and renamed into place, so an interrupted batch leaves
each file complete or absent, and running the batch again replaces the files.
"""

from __future__ import annotations

import html
import multiprocessing
import os
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from policy_analytics import db
from policy_analytics.errors import UserError
from policy_analytics.reports import data as report_data
from policy_analytics.reports import render
from policy_analytics.reports.formats import OK, REVIEW, fmt_datetime
from policy_analytics.reports.suppression import SECONDARY
from policy_analytics.reports.tables import school_review
from policy_analytics.reports.markup import FONT, OK_FILL, OK_TEXT, REVIEW_FILL, REVIEW_TEXT

Progress = Callable[[int, int, str], None]
WORKERS_ENV = "POLICY_ANALYTICS_WORKERS"


@dataclass
class BatchFiles:
    """What one batch wrote: its folder, the index page, each report's files (organisation first) and its figures."""

    folder: Path
    index: Path
    reports: dict[str | None, render.ReportFiles]
    figures: report_data.Figures
    seconds: float = 0.0
    review: list[str | None] = field(default_factory=list)


def batch_folder(out_dir: str | Path, kind: str, period_label: str) -> Path:
    """The batch's folder inside OUT_DIR: `termly_2025-26-autumn`, `annual_2025-26`."""
    return Path(out_dir) / f"{kind}_{period_label}"


def notebook_for(kind: str, parameters: dict[str, object]):
    """The report notebook with its parameters injected as papermill injects them (not yet executed)."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    notebook = load_notebook_node(str(render.notebook_path(kind)))
    return parameterize_notebook(notebook, parameters, report_mode=True)


def execute_in_process(notebook, label: str):
    """Run the notebook's code cells in an in-process IPython shell, storing each cell's outputs in it.

    Used inside `report_data.batch(figures)`, so the notebook's `gather` call takes the batch's figures.
    """
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    fresh = set(shell.user_ns)  # the names a new shell holds; each report's own are removed afterwards
    try:
        _run_cells(shell, notebook, label)
    finally:
        for name in set(shell.user_ns) - fresh:
            del shell.user_ns[name]
    return notebook


def _run_cells(shell, notebook, label: str) -> None:
    """Run each code cell in SHELL, keeping its display outputs and printed text as the cell's outputs."""
    import nbformat
    from IPython.utils.capture import capture_output

    with warnings.catch_warnings():  # the notebook silences warnings; that stays inside the report
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            with capture_output() as captured:
                result = shell.run_cell(cell.source, store_history=False, silent=False)
            cell.outputs = [nbformat.v4.new_output("display_data", data=o.data, metadata=o.metadata)
                            for o in captured.outputs]
            if captured.stdout:
                cell.outputs.insert(0, nbformat.v4.new_output("stream", name="stdout", text=captured.stdout))
            cell.execution_count = result.execution_count
            error = result.error_in_exec or result.error_before_exec
            if error is not None:
                if isinstance(error, UserError):
                    raise error
                raise UserError(f"The {label} could not be built ({type(error).__name__}: {error}).")


def render_batch(
    kind: str,
    period: str,
    db_path: str | Path | None = None,
    config_path: str | Path | None = None,
    out_dir: str | Path = "reports",
    pdf: bool = False,
    *,
    suppress_below: int | None = None,
    progress: Progress | None = None,
) -> BatchFiles:
    """The organisation's report and every school's for one period, with an index page, into one folder."""
    started = time.perf_counter()
    if pdf:
        render.require_chromium()  # before the slow part: say at once that no PDF can be printed
    figures = report_data.read_figures(kind, period, None, db_path, config_path, suppress_below)
    folder = batch_folder(out_dir, kind, figures.period.label)
    folder.mkdir(parents=True, exist_ok=True)
    settings = figures.reports[None].settings
    parameters_base = {  # as a single report's kernel is given them (the notebook record names them)
        "period": figures.period.label,
        "warehouse": str(db.warehouse_path(db_path).resolve()),
        "settings_path": str(settings.source.resolve()) if settings.source else "",
        "suppress_below": int(suppress_below) if suppress_below is not None else 0,
    }
    everyone: list[str | None] = [None, *figures.schools]
    files: dict[str | None, render.ReportFiles] = {}
    try:
        with report_data.batch(figures):
            for done, (who, found) in enumerate(_render_all(kind, figures, everyone, parameters_base, folder)):
                files[who] = found
                if progress:
                    progress(done, len(everyone), who or f"{settings.organisation_name} (all schools)")
    finally:
        for left in folder.glob(".*.partial"):  # a worker stopped mid-write leaves only these, never a report's name
            left.unlink(missing_ok=True)
    files = {who: files[who] for who in everyone}
    if pdf:
        files = _print_all(files, progress)
    index = folder / "index.html"
    render.write_atomic(index, index_page(figures, files))
    if progress:
        progress(len(everyone), len(everyone), "")
    review = [who for who in everyone if headline(figures.reports[who]) == REVIEW]
    return BatchFiles(folder=folder, index=index, reports=files, figures=figures,
                      seconds=time.perf_counter() - started, review=review)


def workers(reports: int) -> int:
    """How many processes render at once: the cores this process may use ($POLICY_ANALYTICS_WORKERS to set it)."""
    wanted = os.environ.get(WORKERS_ENV, "")
    try:
        cores = int(wanted) if wanted.strip() else len(os.sched_getaffinity(0))
    except (AttributeError, ValueError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, reports))


# What the forked workers render: set in the parent just before they start, inherited by them.
_JOB: dict[str, object] = {}


def _render_all(kind: str, figures: report_data.Figures, everyone: list[str | None], parameters: dict, folder: Path
                ) -> Iterator[tuple[str | None, render.ReportFiles]]:
    """Each report as it is done: in this process, or in forked workers (one per core) that inherit the figures."""
    count = workers(len(everyone))
    if count == 1 or "fork" not in multiprocessing.get_all_start_methods():
        for who in everyone:
            yield who, _render_one(kind, figures, who, parameters, folder)
        return
    _warm_up(kind)
    _JOB.update(kind=kind, figures=figures, parameters=parameters, folder=folder)
    try:
        with multiprocessing.get_context("fork").Pool(count) as pool:
            yield from pool.imap_unordered(_render_in_worker, everyone)
    finally:
        _JOB.clear()


def _warm_up(kind: str) -> None:
    """Import and set up, once in this process, what every report needs, so the forked workers share it."""
    from IPython.core.interactiveshell import InteractiveShell

    from policy_analytics.reports import charts, sections, tables  # noqa: F401  (the notebooks' imports)

    InteractiveShell.instance()
    render._html_exporter()
    notebook_for(kind, {})


def _render_in_worker(who: str | None) -> tuple[str | None, render.ReportFiles]:
    """One report, in a forked worker, from the figures it inherited."""
    return who, _render_one(_JOB["kind"], _JOB["figures"], who, _JOB["parameters"], _JOB["folder"])


def _render_one(kind: str, figures: report_data.Figures, who: str | None, parameters: dict, folder: Path
                ) -> render.ReportFiles:
    """One report of the batch: its notebook built in process from the batch's figures, then its HTML."""
    import nbformat

    data = figures.reports[who]
    stem = render.report_stem(kind, figures.period.label, who)
    label = f"{kind} report for {who or 'the organisation'}"
    notebook = execute_in_process(notebook_for(kind, {**parameters, "school": who or ""}), label)
    notebook.metadata["policy_analytics"] = {"executed": "in process, in a batch",
                                             "figures_read_at": figures.taken_at.isoformat()}
    ipynb, html_path = folder / f"{stem}.ipynb", folder / f"{stem}.html"
    scope = who or f"{data.settings.organisation_name}, all schools"
    page = render.to_html(notebook, render.report_title(kind, f"{scope}, {figures.period.title}"))
    render.write_atomic(ipynb, nbformat.writes(notebook))
    render.write_atomic(html_path, page)
    return render.ReportFiles(html=html_path, ipynb=ipynb)


def _print_all(files: dict[str | None, render.ReportFiles], progress: Progress | None
               ) -> dict[str | None, render.ReportFiles]:
    """Print every report to PDF, as many Chromiums at once as there are cores."""
    def one(item: tuple[str | None, render.ReportFiles]) -> tuple[str | None, render.ReportFiles]:
        who, found = item
        return who, render.ReportFiles(html=found.html, ipynb=found.ipynb,
                                       pdf=render.print_pdf(found.html, found.html.with_suffix(".pdf")))

    printed: dict[str | None, render.ReportFiles] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        for done, (who, found) in enumerate(pool.map(one, files.items())):
            printed[who] = found
            if progress:
                progress(done, len(files), f"PDF of {found.html.name}")
    return printed


def headline(report: report_data.ReportData) -> str:
    """A report's headline status for the index: '[c]' where only its withheld coverage check could have fired
    (as the organisation's table of schools shows it)."""
    return school_review(report.ind, report.coverage_withheld)


def index_page(figures: report_data.Figures, files: dict[str | None, render.ReportFiles]) -> str:
    """The batch's index: each report with its headline status, and when the figures were read."""
    org = figures.reports[None]
    what = "Termly governor reports" if figures.kind == "termly" else "Annual policy review reports"
    rows = []
    for who, found in files.items():
        status = headline(figures.reports[who])
        name = who or "All schools (the organisation)"
        links = f'<a href="{html.escape(found.html.name)}">{html.escape(name)}</a>'
        if found.pdf is not None:
            links += f' (<a href="{html.escape(found.pdf.name)}">PDF</a>)'
        css = {REVIEW: "review", OK: "ok"}.get(status, "withheld")
        rows.append(f'<tr><td>{links}</td><td class="status {css}">{html.escape(status)}</td></tr>')
    title = f"{what}: {org.settings.organisation_name}, {figures.period.title}"
    withheld_note = (f" {SECONDARY}: withheld, because only the acknowledgement coverage check, withheld to protect "
                     "colleagues in a small school, could say ▲ Review." if any('"status withheld"' in r for r in rows)
                     else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: {FONT}; margin: 2rem auto; max-width: 48rem; padding: 0 1rem; color: #111; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ccc; }}
td.review {{ background: {REVIEW_FILL}; color: {REVIEW_TEXT}; font-weight: 600; }}
td.ok {{ background: {OK_FILL}; color: {OK_TEXT}; }}
td.withheld {{ color: #111; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{len(files)} reports: the organisation and {len(files) - 1} school{'s' if len(files) != 2 else ''}.
Every figure in them was read from the warehouse at {html.escape(fmt_datetime(figures.taken_at))}.</p>
<table><thead><tr><th scope="col">Report</th><th scope="col">Headline</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
<p>▲ Review: at least one check recommends reviewing the policy. ✔ OK: none does.{withheld_note}</p>
</body></html>
"""


def summary_line(kind: str, found: BatchFiles) -> str:
    """The one plain line a batch ends with."""
    schools = len(found.reports) - 1
    return (f"Wrote {len(found.reports)} {kind} reports for {found.figures.period.title} (the organisation and "
            f"{schools} school{'s' if schools != 1 else ''}; {len(found.review)} say ▲ Review) in "
            f"{found.seconds:.1f} s: {found.index}")
