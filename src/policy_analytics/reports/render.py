"""Render governor reports: execute a parameterised notebook with papermill, then export self-contained HTML.

`render_report("termly", "2025-26-autumn", ...)` writes, in the output folder,

- `termly_2025-26-autumn_organisation.ipynb`: the executed notebook (kept for audit and analysts),
- `termly_2025-26-autumn_organisation.html`: one page with no code, every chart drawn from plotly.js
  embedded once, no request to any network (it opens from an email attachment),
- `termly_2025-26-autumn_organisation.pdf` with `pdf=True`, printed by a system Chromium.

The report notebooks ship inside the package (`policy_analytics/templates/notebooks/`), so an
installed package finds them without a checkout; the repository's `notebooks/` folder holds the
same files for analysts to open (a test keeps the two identical). `POLICY_ANALYTICS_NOTEBOOKS`
may point at a folder of edited copies to use instead.

The kernel talks to papermill over IPC (Unix domain sockets in a private temporary folder), not
TCP on localhost, so no other local user can connect to a kernel holding personal data.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from policy_analytics.errors import UsageError, UserError

NOTEBOOKS_ENV = "POLICY_ANALYTICS_NOTEBOOKS"
NOTEBOOKS = {"termly": "termly_governor_report.ipynb", "annual": "annual_review_report.ipynb"}
EXECUTION_TIMEOUT = int(os.environ.get("POLICY_ANALYTICS_REPORT_TIMEOUT", "600"))  # seconds per cell
START_TIMEOUT = 120
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
HIDDEN_CELL_TAGS = {"parameters", "injected-parameters", "remove-cell"}


@dataclass(frozen=True)
class ReportFiles:
    """Where one rendered report was written."""

    html: Path
    ipynb: Path
    pdf: Path | None = None


# --- locating the notebooks and the template ------------------------------------------------------


def notebook_path(kind: str) -> Path:
    """The report notebook for `kind`: from $POLICY_ANALYTICS_NOTEBOOKS if set, else the packaged copy."""
    if kind not in NOTEBOOKS:
        raise UsageError(f"Unknown report {kind!r}: choose termly or annual.")
    override = os.environ.get(NOTEBOOKS_ENV)
    if override:
        path = Path(override) / NOTEBOOKS[kind]
        if not path.is_file():
            raise UserError(f"{NOTEBOOKS_ENV} is set to {override}, but {path.name} is not there.")
        return path
    return Path(str(resources.files("policy_analytics").joinpath("templates", "notebooks", NOTEBOOKS[kind])))


def template_dir() -> Path:
    """The folder holding the `governor` nbconvert template."""
    return Path(str(resources.files("policy_analytics").joinpath("templates", "nbconvert")))


def report_stem(kind: str, period_label: str, school: str | None) -> str:
    """The file name without extension: `termly_2025-26-autumn_organisation` or `..._riverside-academy`."""
    who = "organisation" if not school else re.sub(r"[^a-z0-9]+", "-", school.lower()).strip("-") or "school"
    return f"{kind}_{period_label}_{who}"


# --- running the kernel over IPC ------------------------------------------------------------------


def ipc_supported() -> bool:
    """IPC transport needs Unix domain sockets (not on Windows)."""
    return os.name == "posix"


@contextmanager
def _kernel_manager_class() -> Iterator[type | None]:
    """A kernel manager class whose kernels listen on IPC sockets in a fresh private folder (0700).

    The folder is removed afterwards; jupyter_client also removes the socket files when the kernel
    stops. On a platform without Unix sockets this yields None (papermill's default TCP manager).
    """
    if not ipc_supported():
        yield None
        return
    from jupyter_client.manager import AsyncKernelManager

    folder = tempfile.mkdtemp(prefix="pa-kernel-")  # created 0700: only this user can reach the sockets

    class IPCKernelManager(AsyncKernelManager):
        """AsyncKernelManager on IPC transport with its sockets in a private folder."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.transport = "ipc"
            # An absolute path: the kernel runs in the report's working folder, papermill in ours.
            self.ip = os.path.join(folder, "kernel")

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts (SIGINT) a kernel before asking it to shut down; a report's kernel has
            # finished its cells by then, and the signal only makes it print "[IPKernelApp] ERROR |
            # KeyboardInterrupt caught in kernel", which reads as a failure. A cell over its time limit is
            # still interrupted.
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

    try:
        yield IPCKernelManager
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- the steps ------------------------------------------------------------------------------------


def execute(
    kind: str,
    period: str,
    school: str | None,
    db_path: str | Path | None,
    config_path: str | Path | None,
    output: Path,
    *,
    suppress_below: int | None = None,
    cwd: Path | None = None,
):
    """Execute the report notebook with its parameters into `output`; returns the executed notebook."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    parameters = {
        "period": period,
        "school": school or "",
        "warehouse": str(Path(db_path).resolve()) if db_path else "",
        "settings_path": str(Path(config_path).resolve()) if config_path else "",
        "suppress_below": int(suppress_below) if suppress_below is not None else 0,
    }
    with _kernel_manager_class() as manager:
        extra = {"kernel_manager_class": manager} if manager is not None else {}
        try:
            return pm.execute_notebook(
                str(notebook_path(kind)),
                str(output),
                parameters=parameters,
                kernel_name="python3",
                language="python",
                progress_bar=False,
                log_output=False,
                report_mode=True,
                # Written once when done (or when a cell fails), not before and after every cell: the first
                # cell's output holds plotly.js, so each of those ~25 saves re-wrote megabytes.
                request_save_on_cell_execute=False,
                cwd=str(cwd or Path.cwd()),
                start_timeout=START_TIMEOUT,
                execution_timeout=EXECUTION_TIMEOUT,
                **extra,
            )
        except PapermillExecutionError as exc:
            # A UserError raised inside the notebook (unknown school, no warehouse) keeps its own words.
            if exc.ename in ("UserError", "UsageError"):
                raise (UsageError if exc.ename == "UsageError" else UserError)(exc.evalue) from None
            raise UserError(
                f"The {kind} report notebook failed in cell {exc.exec_count} ({exc.ename}: {exc.evalue}). "
                f"The executed notebook with the full error is {output}."
            ) from None
        except TimeoutError as exc:  # nbclient raises CellTimeoutError, a TimeoutError
            raise UserError(
                f"The {kind} report notebook stopped: a cell ran longer than its time limit ({exc}). "
                f"Raise POLICY_ANALYTICS_REPORT_TIMEOUT (seconds) or report on a smaller period. "
                f"The partly executed notebook is {output}."
            ) from None


def to_html(notebook, title: str) -> str:
    """The executed notebook as one self-contained HTML page: outputs only, no network requests."""
    notebook.metadata["title"] = title
    body, _ = _html_exporter().from_notebook_node(notebook)
    return body


@functools.cache
def _html_exporter():
    """The nbconvert exporter with the `governor` template, made once per process (it is slow to set up)."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = HIDDEN_CELL_TAGS
    config.HTMLExporter.exclude_input = True
    config.HTMLExporter.exclude_input_prompt = True
    config.HTMLExporter.exclude_output_prompt = True
    config.HTMLExporter.exclude_markdown = False
    config.HTMLExporter.embed_images = True
    config.HTMLExporter.anchor_link_text = ""
    exporter = HTMLExporter(config=config, template_name="governor", extra_template_basedirs=[str(template_dir())])
    exporter.register_preprocessor(TagRemovePreprocessor(config=config), enabled=True)
    return exporter


def write_atomic(path: Path, text: str) -> Path:
    """Write TEXT to PATH complete or not at all: into a temporary file beside it, then renamed over it.

    The file is private to its owner (mkstemp's 0600), as the command line makes every file it writes.
    """
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def find_chromium() -> str | None:
    """A Chromium or Chrome on PATH (or $POLICY_ANALYTICS_CHROMIUM), or None."""
    explicit = os.environ.get("POLICY_ANALYTICS_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else shutil.which(explicit)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_command(browser: str, profile: str) -> list[str]:
    """Headless Chromium flags for reading a local report with every network request refused."""
    return [
        browser,
        "--headless",
        "--no-sandbox",  # needed when run as root (CI containers); the page is our own file
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--metrics-recording-only",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",
        f"--user-data-dir={profile}",
    ]


def require_chromium() -> str:
    """The Chromium to print with, or a UserError saying how to get one."""
    browser = find_chromium()
    if browser is None:
        raise UserError(
            "No Chromium or Chrome was found to print the PDF (looked for "
            f"{', '.join(CHROMIUM_NAMES)} on PATH). Install one (on Debian or Ubuntu: "
            "sudo apt-get install chromium), or open the HTML report in a browser and print it from there."
        )
    return browser


def print_pdf(html_path: Path, pdf_path: Path, *, timeout: int = 120) -> Path:
    """Print the HTML report to an A4 PDF with a system Chromium (headless, offline)."""
    browser = require_chromium()
    with tempfile.TemporaryDirectory(prefix="pa-chromium-") as profile:
        printing = pdf_path.with_name(f".{pdf_path.name}.partial")  # renamed into place once complete
        command = chromium_command(browser, profile) + [
            "--no-pdf-header-footer",
            "--virtual-time-budget=10000",
            "--run-all-compositor-stages-before-draw",
            f"--print-to-pdf={printing}",
            html_path.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
            if done.returncode == 0 and printing.is_file() and printing.stat().st_size > 0:
                os.replace(printing, pdf_path)
                return pdf_path
        except subprocess.TimeoutExpired:
            raise UserError(f"{browser} did not finish printing {html_path.name} within {timeout} seconds.") from None
        finally:
            printing.unlink(missing_ok=True)
    detail = (done.stderr or "").strip().splitlines()[-1:] or ["no message"]
    raise UserError(f"{browser} could not print {html_path.name} to PDF ({detail[0]}).")


def report_title(kind: str, data_title: str) -> str:
    """The HTML page title of a report."""
    return f"{'Termly governor report' if kind == 'termly' else 'Annual policy review report'}: {data_title}"


def render_report(
    kind: str,
    period: str,
    school: str | None = None,
    db_path: str | Path | None = None,
    config_path: str | Path | None = None,
    out_dir: str | Path = "reports",
    pdf: bool = False,
    *,
    suppress_below: int | None = None,
) -> ReportFiles:
    """Execute the `kind` report notebook for `period` and write the executed notebook, HTML and (optionally) PDF.

    `period` is a term label (`2025-26-autumn`) for a termly report and an academic year (`2025-26`)
    for an annual one; `school` None means the organisation with a section per school. The warehouse
    and settings are checked here first so that mistakes give the CLI's plain messages.
    """
    from policy_analytics import db, indicators
    from policy_analytics.reports.data import period_for
    from policy_analytics.settings import load_settings

    settings = load_settings(config_path)
    the_period = period_for(kind, period, settings)
    con = db.connect(db_path, settings, read_only=True)  # refuses a missing or foreign warehouse plainly
    try:
        school_name = indicators.resolve_school(con, settings, school)
    finally:
        con.close()
    if kind == "annual":
        from policy_analytics import policy_check

        policy_check.check_settings_document(settings, the_period.end)  # a missing policy document, said plainly
    if pdf:
        require_chromium()  # before the slow part: say at once that no PDF can be printed
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = report_stem(kind, the_period.label, school_name)
    ipynb, html_path = out / f"{stem}.ipynb", out / f"{stem}.html"
    # The kernel runs in the report's folder: give it the warehouse and settings the CLI chose (the default
    # warehouse, or one named by an environment variable, is a path relative to this folder, not that one).
    executed = execute(kind, the_period.label, school_name, db.warehouse_path(db_path), settings.source, ipynb,
                       suppress_below=suppress_below, cwd=out.resolve())
    scope = school_name or f"{settings.organisation_name}, all schools"
    html_text = to_html(executed, report_title(kind, f"{scope}, {the_period.title}"))
    write_atomic(html_path, html_text)
    pdf_path = print_pdf(html_path, out / f"{stem}.pdf") if pdf else None
    return ReportFiles(html=html_path, ipynb=ipynb, pdf=pdf_path)

