"""Settings from one TOML file: the shipped defaults, overlaid by the school's own file."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from policy_analytics.errors import UserError

CONFIG_ENV = "POLICY_ANALYTICS_CONFIG"
_TERM_LABEL = re.compile(r"\d{4}-\d{2}-(autumn|spring|summer)")


@dataclass(frozen=True)
class Targets:
    """The thresholds the review triggers compare against."""

    removal_hours: float = 24
    removal_within_target_pct: float = 90
    acknowledgement_coverage_pct: float = 95
    significant_incidents: int = 1
    incident_rise_ratio: float = 1.5
    incident_rise_min: int = 5
    wide_spread_shares: int = 20
    wide_spread_platforms: int = 3


@dataclass(frozen=True)
class Significant:
    """Which incidents count as significant: any of these makes one so."""

    severities: tuple[str, ...] = ("high", "critical")
    police_referral: bool = True
    safeguarding: bool = True


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the defaults of docs/hr/settings-reference.md."""

    organisation_name: str = "Example Academy Trust"
    schools: tuple[str, ...] = ("Example Primary School",)
    policy_version: str = "2024-10"
    last_reviewed: date = date(2024, 10, 1)
    review_due: date | None = date(2026, 10, 1)
    review_interval_months: int = 12
    targets: Targets = field(default_factory=Targets)
    significant: Significant = field(default_factory=Significant)
    suppress_below: int = 3
    review_events_file: Path | None = None
    policy_document: Path | None = None
    terms: dict[str, tuple[date, date]] = field(default_factory=dict)
    source: Path | None = None

    @property
    def default_school(self) -> str:
        """The school a blank `school` cell stands for."""
        return self.schools[0] if len(self.schools) == 1 else "Unassigned"


def _default_toml() -> dict[str, Any]:
    text = resources.files("policy_analytics").joinpath("data/default_settings.toml").read_text("utf-8")
    return tomllib.loads(text)


def _as_date(value: Any, where: str, path: Path | None) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise UserError(f"Settings file {path}: {where} = {value!r} is not a date (write it as YYYY-MM-DD).") from None


def load_settings(path: str | Path | None = None) -> Settings:
    """Read the settings from PATH, else $POLICY_ANALYTICS_CONFIG, else the shipped defaults."""
    chosen = path or os.environ.get(CONFIG_ENV) or None
    merged = _default_toml()
    source: Path | None = None
    if chosen:
        source = Path(chosen)
        try:
            own = tomllib.loads(source.read_text("utf-8"))
        except FileNotFoundError:
            raise UserError(f"Settings file {source} does not exist.") from None
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"Settings file {source} is not valid TOML: {exc}.") from None
        _refuse_unknown_keys(own, merged, source)
        for section, values in own.items():
            if isinstance(values, dict):
                merged.setdefault(section, {}).update(values)
            else:
                merged[section] = values
    return _build(merged, source)


def _refuse_unknown_keys(own: dict[str, Any], defaults: dict[str, Any], source: Path) -> None:
    """A misspelt key would silently keep its default: name it instead."""
    for section, values in own.items():
        if section not in defaults or not isinstance(values, dict):
            raise UserError(f"Settings file {source}: [{section}] is not a settings section this tool knows.")
        if section == "terms":
            continue
        for key in values:
            if key not in defaults[section]:
                known = ", ".join(defaults[section])
                raise UserError(f"Settings file {source}: {section}.{key} is not a known setting (known: {known}).")


def _build(raw: dict[str, Any], source: Path | None) -> Settings:
    org, policy = raw.get("organisation", {}), raw.get("policy", {})
    targets = Targets(**{k: v for k, v in raw.get("targets", {}).items() if k in Targets.__dataclass_fields__})
    sig_raw = raw.get("significant", {})
    significant = Significant(
        severities=tuple(str(s).lower() for s in sig_raw.get("severities", Significant.severities)),
        police_referral=bool(sig_raw.get("police_referral", True)),
        safeguarding=bool(sig_raw.get("safeguarding", True)),
    )
    schools = tuple(str(s) for s in org.get("schools", ["Example Primary School"])) or ("Unassigned",)
    terms = {}
    for label, window in raw.get("terms", {}).items():
        if not _TERM_LABEL.fullmatch(str(label).strip().lower()):
            raise UserError(
                f"Settings file {source}: [terms] has {label!r}, which is not a term label "
                "like \"2025-26-autumn\" (autumn, spring or summer)."
            )
        if not (isinstance(window, list) and len(window) == 2):
            raise UserError(f"Settings file {source}: terms.{label} must be [start, end] dates.")
        start, end = (_as_date(d, f"terms.{label}", source) for d in window)
        if end < start:
            raise UserError(f"Settings file {source}: terms.{label} ends before it starts.")
        terms[str(label).strip().lower()] = (start, end)
    base = source.parent if source else Path.cwd()  # files named in the settings are relative to it
    extra = raw.get("review_events", {}).get("extra_file")
    extra_path = None
    if extra:
        extra_path = (base / extra) if not Path(extra).is_absolute() else Path(extra)
    review_due = policy.get("review_due")
    document = str(policy.get("document", "") or "")
    return Settings(
        organisation_name=str(org.get("name", "Example Academy Trust")),
        schools=schools,
        policy_version=str(policy.get("version", "2024-10")),
        last_reviewed=_as_date(policy.get("last_reviewed", date(2024, 10, 1)), "policy.last_reviewed", source),
        review_due=_as_date(review_due, "policy.review_due", source) if review_due else None,
        review_interval_months=int(policy.get("review_interval_months", 12)),
        targets=targets,
        significant=significant,
        suppress_below=int(raw.get("reporting", {}).get("suppress_below", 3)),
        review_events_file=extra_path,
        policy_document=(base / document) if document else None,
        terms=terms,
        source=source,
    )
