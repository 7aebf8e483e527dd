"""Shared fixtures: a throw-away warehouse on disk, with helpers to put hand-made rows straight into it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from policy_analytics import db
from policy_analytics.indicators import compute_indicators
from policy_analytics.periods import Period
from policy_analytics.settings import Settings

LOADED_AT = datetime(2026, 1, 5, 9, 30)


class Warehouse:
    """A warehouse file in a temporary folder, open for writing, with row builders for each export."""

    def __init__(self, path: Path, settings: Settings) -> None:
        self.path = path
        self.settings = settings
        self.con: duckdb.DuckDBPyConnection = db.connect(path, settings)
        self._rows = 0

    def _lineage(self) -> dict[str, Any]:
        self._rows += 1
        return {"load_id": 1, "source_file": "fixture.csv", "source_sha256": "0" * 64,
                "source_row": self._rows + 1, "loaded_at": LOADED_AT}

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self.con.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))

    def incident(self, incident_id: str, reported_at: datetime, *, school: str = "Alder School",
                 posted_at: datetime | None = None, removal_requested_at: datetime | None = None,
                 removed_at: datetime | None = None, platform: str = "Facebook", category: str = "bullying",
                 submitted_by: str = "staff", severity: str = "low", safeguarding: bool = False,
                 police_referral: bool = False, shares: int | None = None,
                 platforms_reached: int | None = None) -> None:
        """Store one incident row as the loader would have stored it."""
        self._insert("incidents", {
            "incident_id": incident_id, "school": school, "reported_at": reported_at, "posted_at": posted_at,
            "removal_requested_at": removal_requested_at, "removed_at": removed_at, "platform": platform,
            "category": category, "submitted_by": submitted_by, "severity": severity,
            "safeguarding": safeguarding, "police_referral": police_referral, "isp_escalation": False,
            "support_offered": False, "shares": shares, "platforms_reached": platforms_reached,
            **self._lineage(),
        })

    def breach(self, breach_id: str, opened_at: date, closed_at: date | None = None, *,
               school: str = "Alder School", rule: str = "disrepute", outcome: str | None = None) -> None:
        """Store one breach investigation row."""
        self._insert("breaches", {
            "breach_id": breach_id, "school": school, "staff_ref": f"S-{breach_id}", "opened_at": opened_at,
            "closed_at": closed_at, "rule": rule, "outcome": outcome, **self._lineage(),
        })

    def staff(self, staff_ref: str, *, staff_group: str = "teaching", school: str = "Alder School",
              start_date: date | None = None, leave_date: date | None = None,
              acknowledged_at: datetime | None = None, policy_version: str | None = None) -> None:
        """Store one acknowledgement roster row (the current policy version unless given)."""
        self._insert("acknowledgements", {
            "staff_ref": staff_ref, "policy_version": policy_version or self.settings.policy_version,
            "school": school, "staff_group": staff_group, "start_date": start_date, "leave_date": leave_date,
            "acknowledged_at": acknowledged_at, **self._lineage(),
        })

    def clear(self) -> None:
        """Empty the export tables, the rejects and the load log."""
        for table in ("incidents", "breaches", "acknowledgements", "rejects", "loads"):
            self.con.execute(f"DELETE FROM {table}")

    def indicators(self, period: Period, school: str | None = None, settings: Settings | None = None) -> dict:
        """compute_indicators on this warehouse."""
        return compute_indicators(self.con, settings or self.settings, period, school)

    def close(self) -> None:
        """Close the connection (before another opens the file, e.g. the CLI)."""
        self.con.close()


# Two schools, and a review-events register that only holds the shipped rows.
TWO_SCHOOLS = Settings(schools=("Alder School", "Birch School"))


@pytest.fixture
def make_warehouse(tmp_path: Path) -> Iterator[Callable[..., Warehouse]]:
    """Build empty warehouses in tmp_path: make_warehouse(settings=TWO_SCHOOLS, name='w.duckdb')."""
    made: list[Warehouse] = []

    def make(settings: Settings = TWO_SCHOOLS, name: str = "warehouse.duckdb") -> Warehouse:
        w = Warehouse(tmp_path / name, settings)
        made.append(w)
        return w

    yield make
    for w in made:
        try:
            w.close()
        except duckdb.Error:
            pass


@pytest.fixture
def warehouse(make_warehouse: Callable[..., Warehouse]) -> Warehouse:
    """An empty warehouse with the two-school settings."""
    return make_warehouse()


@pytest.fixture(scope="module")
def module_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """One warehouse for a whole test module (hypothesis examples `clear()` it between runs)."""
    w = Warehouse(tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb", TWO_SCHOOLS)
    yield w
    w.close()


@pytest.fixture(autouse=True)
def _database_errors_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    """In tests an unexpected DuckDB error is a bug: the CLI re-raises it (POLICY_ANALYTICS_DEBUG=1) rather
    than printing its one-line message. A test of that message deletes the variable itself."""
    monkeypatch.setenv("POLICY_ANALYTICS_DEBUG", "1")
