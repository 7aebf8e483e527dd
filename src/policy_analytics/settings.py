"""Settings from one TOML file: the shipped defaults, overlaid by the school's own file."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from policy_analytics.errors import UserError
from policy_analytics.mapping import SECTIONS as MAPPING_SECTIONS, Profiles, parse_profiles

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
    """Everything configurable, with the defaults of SETTINGS_KEYS (docs/hr/settings-reference.md)."""

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
    profiles: Profiles = field(default_factory=Profiles)  # the school's own headers, words and schools (mapping.py)

    @property
    def default_school(self) -> str:
        """The school a blank `school` cell stands for."""
        return self.schools[0] if len(self.schools) == 1 else "Unassigned"


def _default_toml() -> dict[str, Any]:
    text = resources.files("policy_analytics").joinpath("data/default_settings.toml").read_text("utf-8")
    return tomllib.loads(text)


# ---------------------------------------------------------------------------------------------
# The settings keys: one declarative table (the settings reference in the docs is generated from it)
# ---------------------------------------------------------------------------------------------

TYPE_WORDS: dict[str, str] = {
    "text": "text in quotes",
    "texts": "a list of text in quotes, such as [\"a\", \"b\"]",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "date": "a date written YYYY-MM-DD",
    "term dates": "[start, end] dates",
}


@dataclass(frozen=True)
class SettingKey:
    """One key of the settings file: where it lives, its type, default, allowed range and meaning."""

    section: str
    key: str
    type: str  # one of TYPE_WORDS
    default: Any
    meaning: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    optional: bool = False  # an empty text "" stands for "none"

    @property
    def name(self) -> str:
        """The key as the settings file names it, e.g. 'targets.removal_hours'."""
        return f"{self.section}.{self.key}"

    def expected(self) -> str:
        """What the key takes, in words: its type and its range."""
        words = TYPE_WORDS[self.type]
        if self.minimum is not None and self.maximum is not None:
            words += f" from {self.minimum:g} to {self.maximum:g}"
        elif self.minimum is not None:
            words += f" of at least {self.minimum:g}"
        if self.choices:
            words += f", each one of {', '.join(self.choices)}"
        if self.optional:
            words += ", or \"\" for none"
        return words


SEVERITY_CHOICES = ("low", "medium", "high", "critical")

SETTINGS_KEYS: tuple[SettingKey, ...] = (
    SettingKey("organisation", "name", "text", "Example Academy Trust", "The organisation's name, as the reports head it."),
    SettingKey("organisation", "schools", "texts", ["Example Primary School"], "The schools, as the exports name them. A blank `school` cell is the only school listed, or `Unassigned` where several are listed."),
    SettingKey("policy", "version", "text", "2024-10", "The current policy version: acknowledgement coverage counts staff on the roster for this version only."),
    SettingKey("policy", "last_reviewed", "date", date(2024, 10, 1), "The date the policy was last reviewed: the next review is counted from it, and review events dated after it fire the `review_events` trigger."),
    SettingKey("policy", "review_due", "date", date(2026, 10, 1), "The review date printed on the policy, if any: the next review is the earlier of this and the last review plus the interval.", optional=True),
    SettingKey("policy", "document", "text", "", "The policy document (`.docx`, `.pdf`, `.md` or `.txt`), relative to the settings file: the annual report then checks it as `policy-check` does (see [the annual review](annual-review.md)). Empty: no check.", optional=True),
    SettingKey("policy", "review_interval_months", "integer", 12, "Calendar months between reviews; the `annual_review_due` trigger fires once the next review date has passed.", 1, 120),
    SettingKey("targets", "removal_hours", "number", 24, "Hours from report to confirmed removal within which a removal counts as within target (exactly on it counts).", 1, 8760),
    SettingKey("targets", "removal_within_target_pct", "number", 90, "The `removal_target` trigger fires when removals within target, as a percentage of incidents needing removal, fall below this.", 0, 100),
    SettingKey("targets", "acknowledgement_coverage_pct", "number", 95, "The `acknowledgement_coverage` trigger fires when coverage of staff in post falls below this percentage.", 0, 100),
    SettingKey("targets", "significant_incidents", "integer", 1, "The `significant_incidents` trigger fires when the period has at least this many significant incidents.", 1),
    SettingKey("targets", "incident_rise_ratio", "number", 1.5, "The `incident_rise` trigger fires when incidents are at least this many times the comparison period's (and at least `incident_rise_min`).", 1),
    SettingKey("targets", "incident_rise_min", "integer", 5, "The fewest incidents in a period for the `incident_rise` trigger to fire at all.", 1),
    SettingKey("targets", "wide_spread_shares", "integer", 20, "An incident with at least this many shares has spread widely (the `recirculation` trigger).", 1),
    SettingKey("targets", "wide_spread_platforms", "integer", 3, "An incident found on at least this many platforms has spread widely (the `recirculation` trigger).", 1),
    SettingKey("significant", "severities", "texts", ["high", "critical"], "Severities that make an incident significant.", choices=SEVERITY_CHOICES),
    SettingKey("significant", "police_referral", "boolean", True, "Whether a police referral makes an incident significant."),
    SettingKey("significant", "safeguarding", "boolean", True, "Whether a safeguarding concern makes an incident significant."),
    SettingKey("reporting", "suppress_below", "integer", 3, "Counts from 1 to this minus one show as `<N` in reports (and a second cell is withheld as `[c]` where needed), so no small number identifies a colleague.", 2, 1000),
    SettingKey("review_events", "extra_file", "text", "review_events.csv", "The school's own review-events CSV (`date, kind, title, source`), relative to the settings file; ignored if absent.", optional=True),
    SettingKey("terms", "YYYY-YY-term", "term dates", None, "A term's own dates as the school publishes them, `\"2025-26-autumn\" = [2025-09-03, 2025-12-19]`, one line per term. They move where spring and summer start; the terms still tile the year (autumn from 1 September, summer to 31 August), so a holiday counts with the term before it."),
)
FREE_SECTIONS = ("terms",)  # sections whose keys are the school's own (checked by their own rule)


def setting_key(name: str) -> SettingKey:
    """The SETTINGS_KEYS entry named 'section.key'."""
    for entry in SETTINGS_KEYS:
        if entry.name == name:
            return entry
    raise KeyError(name)


def toml_text(value: Any) -> str:
    """A value as the settings file would write it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_text(v) for v in value) + "]"
    return str(value)


_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "true or false"), (str, "text"), (int, "a whole number"), (float, "a number with a fraction"),
    (list, "a list"), (date, "a date"), (dict, "a table"),
)


def _kind(value: Any) -> str:
    """What a TOML value is, in words."""
    return next((words for kind, words in _KINDS if isinstance(value, kind)), type(value).__name__)


def check_value(entry: SettingKey, value: Any, source: Path | None) -> Any:
    """The value of one key, type- and range-checked; a plain UserError naming key, value and what is expected."""

    def refuse(why: str) -> UserError:
        where = f"Settings file {source}" if source else "Settings"
        return UserError(f"{where}: {entry.name} = {toml_text(value)} {why}, but it must be {entry.expected()}.")

    if entry.optional and value == "":
        return None
    if entry.type == "text":
        if not isinstance(value, str):
            return _refuse_hint(refuse(f"is {_kind(value)}"), entry, value)
        if not value.strip():
            raise refuse("is empty")
        return value.strip()
    if entry.type == "texts":
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise refuse(f"is {_kind(value)}" if not isinstance(value, list) else "holds something other than text")
        items = [v.strip() for v in value]
        if entry.choices:
            bad = [v for v in items if v.lower() not in entry.choices]
            if bad:
                raise refuse(f"holds {toml_text(bad[0])}")
            items = [v.lower() for v in items]
        return tuple(items)
    if entry.type == "boolean":
        if not isinstance(value, bool):
            raise refuse(f"is {_kind(value)}")
        return value
    if entry.type == "date":
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise refuse("is not a date")
    # integer or number
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _refuse_hint(refuse(f"is {_kind(value)}"), entry, value)
    if entry.type == "integer" and not float(value).is_integer():
        raise refuse("is not a whole number")
    number = int(value) if entry.type == "integer" else value
    if (entry.minimum is not None and number < entry.minimum) or (entry.maximum is not None and number > entry.maximum):
        raise refuse("is out of range")
    return number


def _refuse_hint(error: UserError, entry: SettingKey, value: Any) -> Any:
    """Add how to write the value where the fix is obvious (a number in quotes, a version without them)."""
    if entry.type in ("integer", "number") and isinstance(value, str):
        raise UserError(f"{error} Write it without quotes.")
    if entry.type == "text" and isinstance(value, (int, float)) and not isinstance(value, bool):
        raise UserError(f"{error} Write it in quotes, exactly as it should read (a number loses its trailing zeros).")
    raise error


def load_settings(path: str | Path | None = None) -> Settings:
    """Read the settings from PATH, else $POLICY_ANALYTICS_CONFIG, else the shipped defaults."""
    chosen = path or os.environ.get(CONFIG_ENV) or None
    merged = _default_toml()
    source: Path | None = None
    profiles = Profiles()
    if chosen:
        source = Path(chosen)
        try:
            own = tomllib.loads(source.read_text("utf-8"))
        except FileNotFoundError:
            raise UserError(f"Settings file {source} does not exist.") from None
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"Settings file {source} is not valid TOML: {exc}.") from None
        profiles = parse_profiles({k: own.pop(k) for k in MAPPING_SECTIONS if k in own}, source)
        _refuse_unknown_keys(own, source)
        if profiles.schools and "schools" not in own.get("organisation", {}):
            merged["organisation"]["schools"] = []  # the [schools] tables list them
        for section, values in own.items():
            if isinstance(values, dict):
                merged.setdefault(section, {}).update(values)
            else:
                merged[section] = values
    settings = _build(merged, source, profiles)
    _check_terms_tile(settings)
    return settings


def _check_terms_tile(settings: Settings) -> None:
    """Refuse term dates that leave a term ending before it starts (they must follow each other in the year)."""
    from policy_analytics.periods import terms_of_year  # periods reads Settings, so imported here

    for year in sorted({label[:7] for label in settings.terms}):
        try:
            terms_of_year(year, settings)
        except UserError as exc:
            raise UserError(f"Settings file {settings.source}: {exc}") from None


def _refuse_unknown_keys(own: dict[str, Any], source: Path) -> None:
    """A misspelt key would silently keep its default: name it instead."""
    known: dict[str, list[str]] = {}
    for entry in SETTINGS_KEYS:
        known.setdefault(entry.section, []).append(entry.key)
    for section, values in own.items():
        if section not in known or not isinstance(values, dict):
            raise UserError(f"Settings file {source}: [{section}] is not a settings section this tool knows.")
        if section in FREE_SECTIONS:
            continue
        for key in values:
            if key not in known[section]:
                raise UserError(f"Settings file {source}: {section}.{key} is not a known setting "
                                f"(known: {', '.join(known[section])}).")


def _checked(raw: dict[str, Any], source: Path | None) -> dict[str, Any]:
    """Every key of SETTINGS_KEYS (outside the free sections), checked, by its name 'section.key'."""
    values = {}
    for entry in SETTINGS_KEYS:
        if entry.section in FREE_SECTIONS:
            continue
        given = raw.get(entry.section, {}).get(entry.key, entry.default)
        values[entry.name] = check_value(entry, given, source)
    return values


def _as_date(value: Any, where: str, path: Path | None) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise UserError(f"Settings file {path}: {where} = {value!r} is not a date (write it as YYYY-MM-DD).") from None


def _term_dates(raw: dict[str, Any], source: Path | None) -> dict[str, tuple[date, date]]:
    """The [terms] section: the school's own dates of each term it names."""
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
    return terms


def _build(raw: dict[str, Any], source: Path | None, profiles: Profiles = Profiles()) -> Settings:
    v = _checked(raw, source)
    targets = Targets(**{k: v[f"targets.{k}"] for k in Targets.__dataclass_fields__})
    significant = Significant(
        severities=v["significant.severities"],
        police_referral=v["significant.police_referral"],
        safeguarding=v["significant.safeguarding"],
    )
    base = source.parent if source else Path.cwd()  # files named in the settings are relative to it
    extra, document = v["review_events.extra_file"], v["policy.document"]
    extra_path = None
    if extra:
        extra_path = (base / extra) if not Path(extra).is_absolute() else Path(extra)
    return Settings(
        organisation_name=v["organisation.name"],
        schools=tuple(dict.fromkeys([*v["organisation.schools"], *(e.name for e in profiles.schools)])) or ("Unassigned",),
        policy_version=v["policy.version"],
        last_reviewed=v["policy.last_reviewed"],
        review_due=v["policy.review_due"],
        review_interval_months=v["policy.review_interval_months"],
        targets=targets,
        significant=significant,
        suppress_below=v["reporting.suppress_below"],
        review_events_file=extra_path,
        policy_document=(base / document) if document else None,
        terms=_term_dates(raw, source),
        source=source,
        profiles=profiles,
    )
