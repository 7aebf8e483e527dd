"""The Python API for analysts: a warehouse and its settings, asked questions through short-lived connections.

Each question opens the warehouse read-only, answers and closes it again, so a notebook left open never
holds the file: `policy-analytics load` (or `Warehouse.load`) can write at any time in between.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from policy_analytics import db, indicators as _indicators, periods
from policy_analytics.errors import UserError
from policy_analytics.settings import CONFIG_ENV, Settings, load_settings

if TYPE_CHECKING:
    import pandas as pd

    from policy_analytics.load import LoadResult

DEMO_DB = Path("data") / "demo" / "demo.duckdb"  # where `policy-analytics demo` (and `make demo`) put it
DEMO_CONFIG = DEMO_DB.with_name("settings.toml")
BUSY_WAIT_SECONDS = 10.0  # how long a question waits for a load that holds the warehouse


def _upwards(relative: Path, start: Path) -> Path | None:
    """RELATIVE under START or the nearest folder above it that has it (a notebook runs in notebooks/)."""
    for folder in (start, *start.parents):
        if (folder / relative).exists():
            return folder / relative
    return None


def find_warehouse(db_path: str | Path | None = None, config: str | Path | None = None) -> tuple[Path, Path | None]:
    """The warehouse and settings file to use: those given, else $POLICY_ANALYTICS_DB and
    $POLICY_ANALYTICS_CONFIG as the CLI reads them, else data/policy_analytics.duckdb, else the demo's warehouse
    and settings (each looked for in the working folder and the folders above it)."""
    config = config or os.environ.get(CONFIG_ENV) or None
    if db_path or os.environ.get(db.DB_ENV):
        return db.warehouse_path(db_path), Path(config) if config else None
    here = Path.cwd()
    found = _upwards(db.DEFAULT_DB, here)
    if found is None and (demo := _upwards(DEMO_DB, here)) is not None:
        demo_config = demo.with_name(DEMO_CONFIG.name)
        return demo, Path(config) if config else (demo_config if demo_config.exists() else None)
    return found or db.warehouse_path(None), Path(config) if config else None


# Units of the tidy frame, by the last part of a figure's key path (else by its group).
_UNITS = {"pct": "%", "hours": "hours", "days_to_close": "days", "days_overdue": "days", "shares": "shares",
          "stored": "rows", "rejected": "rows", "fired": "fired (1) or not (0)", "overdue": "yes (1) or no (0)",
          "review_recommended": "yes (1) or no (0)"}
_GROUP_UNITS = {"incidents": "incidents", "response": "incidents", "recirculation": "incidents",
                "breaches": "investigations", "acknowledgements": "staff"}


def _unit(key: str) -> str:
    last = key.rsplit(".", 1)[-1]
    for ending, unit in _UNITS.items():
        if last == ending or last.endswith("_" + ending):
            return unit
    return _GROUP_UNITS.get(key.split(".")[0], "")


def _figures(node: Any, key: str = "") -> Iterator[tuple[str, float]]:
    """Every number of an indicators object as (key path, value); breakdowns by their item
    ('incidents.by_platform.Facebook'), triggers as 'triggers.<id>.fired'; dates and words left out."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name != "period":
                yield from _figures(value, f"{key}.{name}" if key else name)
    elif key == "triggers":
        for trigger in node:
            yield f"triggers.{trigger['id']}.fired", float(trigger["fired"])
    elif isinstance(node, (bool, int, float)):
        yield key, float(node)
    elif node is None and not key.endswith("last_loaded"):
        yield key, math.nan


@dataclass(frozen=True)
class Warehouse:
    """A warehouse file and the settings its figures follow. Nothing stays open between calls."""

    path: Path
    settings: Settings
    config: Path | None = None

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection for one question, closed after it (waits up to BUSY_WAIT_SECONDS for a load)."""
        deadline = time.monotonic() + BUSY_WAIT_SECONDS
        while True:
            try:
                con = db.connect(self.path, self.settings, read_only=True)
                break
            except UserError as exc:
                if "in use" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        try:
            yield con
        finally:
            con.close()

    def period(self, term: str | None = None, year: str | None = None, start: str | date | None = None,
               end: str | date | None = None) -> periods.Period:
        """The period named by one of term='2025-26-autumn', year='2025-26' or start= with end= (ISO dates)."""
        as_text = [d.isoformat() if isinstance(d, date) else d for d in (start, end)]
        return periods.resolve(self.settings, term=term, year=year, date_from=as_text[0], date_to=as_text[1])

    def indicators(self, term: str | None = None, year: str | None = None, start: str | date | None = None,
                   end: str | date | None = None, school: str | None = None) -> dict[str, Any]:
        """The indicators object of `policy-analytics indicators --json` (default: the current term)."""
        chosen = self.period(term, year, start, end)
        with self.connection() as con:
            return _indicators.compute_indicators(con, self.settings, chosen, school)

    def indicators_frame(self, term: str | None = None, year: str | None = None, start: str | date | None = None,
                         end: str | date | None = None, school: str | None = None) -> pd.DataFrame:
        """The indicators as a tidy DataFrame: one row per figure with columns period, school, metric, value, unit."""
        import pandas as pd

        found = self.indicators(term, year, start, end, school)
        rows = [{"period": found["period"]["label"], "school": school or "All schools", "metric": key,
                 "value": value, "unit": _unit(key)} for key, value in _figures(found)]
        return pd.DataFrame(rows, columns=["period", "school", "metric", "value", "unit"])

    def schools(self) -> list[str]:
        """Every school named in the stored rows of any export."""
        with self.connection() as con:
            return _indicators.school_names(con)

    def terms(self, year: str | None = None) -> pd.DataFrame:
        """The terms of an academic year (default: the current one): the dates each counts and the school's own."""
        import pandas as pd

        label = year or periods.academic_year_of(date.today())
        rows = [{"term": t.label, "start": t.start, "end": t.end,
                 "school_start": t.school_dates[0] if t.school_dates else None,
                 "school_end": t.school_dates[1] if t.school_dates else None}
                for t in periods.terms_of_year(label, self.settings)]
        return pd.DataFrame(rows, columns=["term", "start", "end", "school_start", "school_end"])

    def latest_term(self) -> str:
        """The label of the latest term that had ended by the last incident reported (else the current term)."""
        with self.connection() as con:
            last = con.execute("SELECT max(CAST(reported_at AS DATE)) FROM incident_facts").fetchone()[0]
        day = last or date.today()
        found = periods.current_term(day, self.settings)
        return (periods.previous(found, self.settings) if found.end > day else found).label

    def sql(self, query: str, **params: Any) -> pd.DataFrame:
        """A read-only SQL query on the views (incident_facts, breach_facts, ...) as a DataFrame; $name parameters."""
        with self.connection() as con:
            return con.execute(query, params).df() if params else con.execute(query).df()

    def load(self, paths: str | Path | Iterable[str | Path], kind: str | None = None) -> list[LoadResult]:
        """Load exports as `policy-analytics load` does, one transaction per file; a refused file raises UserError."""
        from policy_analytics.load import load_file

        chosen = [paths] if isinstance(paths, (str, Path)) else list(paths)
        con = db.connect(self.path, self.settings)
        try:
            return [load_file(con, p, kind=kind, default_school=self.settings.default_school) for p in chosen]
        finally:
            con.close()


def connect(db: str | Path | None = None, config: str | Path | None = None) -> Warehouse:
    """The warehouse to ask (see `find_warehouse` for where it is looked for) with its settings."""
    path, settings_file = find_warehouse(db, config)
    return Warehouse(path, load_settings(settings_file), settings_file)
