"""How the reports word their figures: plain-English labels, numbers, dates and statuses.

Everything works on the indicator dictionaries of docs/reference/indicators.md (`value_at` reads a figure by its
metric key path), so tables, charts and sections all write a figure the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from policy_analytics import metrics

NO_VALUE = "–"
REVIEW = "▲ Review"
OK = "✔ OK"


# ---------------------------------------------------------------------------------------------
# Plain-English labels for the vocabularies
# ---------------------------------------------------------------------------------------------


CATEGORY_LABELS: dict[str, str] = {
    "confidential": "Confidential information",
    "bullying": "Bullying",
    "discrimination_harassment": "Discrimination or harassment",
    "disrepute": "Bringing the school into disrepute",
    "offensive": "Lewd, threatening or offensive",
    "reputation": "Undermining reputations",
    "defamatory": "Defamatory or knowingly false",
    "copyright": "Breach of copyright",
    "unlawful": "Otherwise unlawful",
    "grooming": "Grooming, exploitation or stalking",
    "inappropriate_material": "Inappropriate material or hateful language",
    "self_harm": "Encouraging violence, self-harm or risk taking",
    "sexting": "Sexting, fake profiles or live streaming",
    "cyberbullying_of_staff": "Online bullying of staff",
}
OUTCOME_LABELS: dict[str, str] = {
    "no_case_to_answer": "No case to answer",
    "informal_advice": "Informal advice",
    "written_warning": "Written warning",
    "final_warning": "Final warning",
    "dismissal": "Dismissal",
    "referred_to_police": "Referred to the police",
    "not_recorded": "Outcome not recorded",
}
GROUP_LABELS: dict[str, str] = {
    "teaching": "Teaching staff",
    "support": "Support staff",
    "leadership": "Leadership",
    "governor": "Governors",
    "volunteer": "Volunteers",
    "contractor": "Contractors",
}
SEVERITY_LABELS = {"low": "Low", "medium": "Medium", "high": "High", "critical": "Critical"}
KIND_LABELS = {"incidents": "Incidents", "breaches": "Breach investigations", "acknowledgements": "Acknowledgements roster"}
EVENT_KIND_LABELS = {"legislation": "Legislation", "guidance": "Guidance", "case_law": "Case law"}
# The metric dictionary's labels, so that the definitions appendix explains exactly the words shown.
TRIGGER_LABELS: dict[str, str] = dict(metrics.TRIGGER_LABELS)
LEGISLATION_STATUS_LABELS = {
    "in_force": "In force, same name",
    "amended": "In force, amended",
    "renamed_and_amended": "Renamed and amended",
    "partly_replaced": "Partly replaced",
    "repealed": "Repealed",
}


def label(domain: str, key: str | None) -> str:
    """The plain-English label of a vocabulary value (category, outcome, staff_group, ...)."""
    if key is None:
        return "Not recorded"
    tables = {
        "category": CATEGORY_LABELS,
        "rule": CATEGORY_LABELS,
        "outcome": OUTCOME_LABELS,
        "staff_group": GROUP_LABELS,
        "severity": SEVERITY_LABELS,
        "trigger": TRIGGER_LABELS,
        "kind": KIND_LABELS,
        "event_kind": EVENT_KIND_LABELS,
    }
    found = tables.get(domain, {}).get(key)
    return found if found else str(key).replace("_", " ").capitalize()


def trigger_label(trigger_id: str | None, settings: Any = None) -> str:
    """A review trigger's name worded with the settings' targets ('48-hour removal target')."""
    return metrics.trigger_labels(settings).get(str(trigger_id)) or label("trigger", trigger_id)


def staff_groups_in_order(groups: Iterable[str]) -> list[str]:
    """Staff groups in the reports' order: the vocabulary's first, then any others alphabetically."""
    present = set(groups)
    return [g for g in GROUP_LABELS if g in present] + sorted(present - set(GROUP_LABELS))


def metric_label(key: str, fallback: str | None = None) -> str:
    """The metric dictionary's short label for a key path ('response.within_target_pct')."""
    try:
        return metrics.metric(key).label
    except KeyError:
        return fallback or key


# ---------------------------------------------------------------------------------------------
# Reading figures
# ---------------------------------------------------------------------------------------------


def value_at(d: Mapping[str, Any] | None, path: str) -> Any:
    """The value at a dotted key path ('response.within_target_pct'), or None."""
    cur: Any = d
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


def triggers_by_id(ind: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The review triggers of an indicators object, by id."""
    return {t["id"]: t for t in ind.get("triggers", [])}


def attr_or_key(obj: Any, *names: str) -> Any:
    """The first of `names` that `obj` has, as a key of a mapping or an attribute; else None."""
    for name in names:
        if isinstance(obj, Mapping) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return None


# ---------------------------------------------------------------------------------------------
# Number and date formats
# ---------------------------------------------------------------------------------------------


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def is_missing(value: Any) -> bool:
    """Whether there is nothing to show: None or NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_count(value: Any) -> str:
    """A whole number, with thousands separators; '–' when there is nothing to measure."""
    if is_missing(value):
        return NO_VALUE
    return f"{int(value):,}"


def fmt_number(value: Any) -> str:
    """A count-like figure that may be fractional (a median of shares): whole, else one decimal."""
    if is_missing(value):
        return NO_VALUE
    value = float(value)
    return f"{value:,.0f}" if abs(value - round(value)) < 1e-9 else f"{value:,.1f}"


def fmt_pct(value: Any, target: float | None = None) -> str:
    """A percentage (0-100): whole when it is whole, else one decimal place, or more where rounding would make it
    look whole or put it on the other side of `target` (94.96 is '94.96%', never '95.0%')."""
    if is_missing(value):
        return NO_VALUE
    value = float(value)
    if abs(value - round(value)) < 1e-9:
        return f"{value:.0f}%"
    for places in (1, 2, 3):
        shown = round(value, places)
        if not shown.is_integer() and (target is None or (value < target) == (shown < target)):
            return f"{value:.{places}f}%"
    towards = math.floor if target is None or value < target else math.ceil
    return f"{towards(value * 1000) / 1000:.3f}%"


def fmt_hours(value: Any) -> str:
    """Hours to one decimal place ('5.2 hours')."""
    if is_missing(value):
        return NO_VALUE
    value = float(value)
    return "1 hour" if value == 1 else f"{value:,.1f} hours"


def fmt_days(value: Any) -> str:
    """Days: whole when whole, else one decimal ('12 days')."""
    if is_missing(value):
        return NO_VALUE
    value = float(value)
    text = f"{value:,.0f}" if abs(value - round(value)) < 1e-9 else f"{value:,.1f}"
    return f"{text} day" if text == "1" else f"{text} days"


def to_date(value: Any) -> date | None:
    """A date from a date, datetime or ISO string (as the JSON holds them)."""
    if is_missing(value) or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return date.fromisoformat(text[:10])


def to_datetime(value: Any) -> datetime | None:
    """A datetime from a datetime, date or ISO string."""
    if is_missing(value) or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(str(value))


def fmt_date(value: Any) -> str:
    """A date as governors read it: '1 Sep 2025'."""
    d = to_date(value)
    return NO_VALUE if d is None else f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def fmt_datetime(value: Any) -> str:
    """A date and time: '1 Sep 2025 14:30'."""
    d = to_datetime(value)
    return NO_VALUE if d is None else f"{d.day} {_MONTHS[d.month - 1]} {d.year} {d:%H:%M}"


def fmt_month(value: Any) -> str:
    """A month: 'Sep 2025'."""
    d = to_date(value)
    return NO_VALUE if d is None else f"{_MONTHS[d.month - 1]} {d.year}"


def and_list(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


# ---------------------------------------------------------------------------------------------
# Statuses
# ---------------------------------------------------------------------------------------------


MEASURED_TRIGGERS = ("removal_target", "acknowledgement_coverage")  # they measure a share; None: nothing to measure


def trigger_status(trigger: Mapping[str, Any] | None) -> str:
    """A trigger's traffic light: '–' where a share could not be measured (no roster row for the version, nothing
    needing removal), else '▲ Review' or '✔ OK'."""
    if trigger is None:
        return NO_VALUE
    if trigger.get("id") in MEASURED_TRIGGERS and is_missing(trigger.get("value")):
        return NO_VALUE
    return status_text(bool(trigger.get("fired")))


def status_text(fired: bool | None) -> str:
    """The traffic-light word with its symbol: '▲ Review', '✔ OK', or '–' when there is no target."""
    if fired is None:
        return NO_VALUE
    return REVIEW if fired else OK
