"""What the three exports hold: their columns, types, keys and row rules (docs/hr/exports.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One column of an export: its canonical name, type and whether a value is required."""

    name: str
    type: str  # text | datetime | date | flag | count | vocab
    required: bool = False
    domain: str | None = None  # the vocabulary, for type "vocab"
    minimum: int | None = None  # the smallest allowed value, for type "count"
    maximum: int | None = None  # the largest, for a "count" stored in a narrower column than the 15 digits read


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row: the row is rejected where `broken` (SQL over typed values) holds."""

    column: str
    broken: str
    reason: str


@dataclass(frozen=True)
class ExportKind:
    """One of the three exports, as the loader and the warehouse know it."""

    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    rules: tuple[RowRule, ...] = field(default=())

    @property
    def required(self) -> list[str]:
        """Columns that must be present in the file's header."""
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        """The column called NAME."""
        return next(c for c in self.columns if c.name == name)


INCIDENTS = ExportKind(
    name="incidents",
    key=("incident_id",),
    columns=(
        Column("incident_id", "text", required=True),
        Column("school", "text"),
        Column("reported_at", "datetime", required=True),
        Column("posted_at", "datetime"),
        Column("removal_requested_at", "datetime"),
        Column("removed_at", "datetime"),
        Column("platform", "vocab", required=True, domain="platform"),
        Column("category", "vocab", required=True, domain="category"),
        Column("submitted_by", "vocab", domain="submitted_by"),
        Column("severity", "vocab", required=True, domain="severity"),
        Column("safeguarding", "flag"),
        Column("police_referral", "flag"),
        Column("isp_escalation", "flag"),
        Column("support_offered", "flag"),
        Column("shares", "count", minimum=0),
        Column("platforms_reached", "count", minimum=1, maximum=1000),
        Column("description", "text"),
    ),
    rules=(RowRule("removed_at", "removed_at < posted_at", "removed_at is earlier than posted_at"),),
)

BREACHES = ExportKind(
    name="breaches",
    key=("breach_id",),
    columns=(
        Column("breach_id", "text", required=True),
        Column("incident_id", "text"),
        Column("school", "text"),
        Column("staff_ref", "text", required=True),
        Column("opened_at", "date", required=True),
        Column("closed_at", "date"),
        Column("rule", "vocab", required=True, domain="category"),
        Column("impact", "vocab", domain="impact"),
        Column("outcome", "vocab", domain="outcome"),
    ),
    rules=(RowRule("closed_at", "closed_at < opened_at", "closed_at is earlier than opened_at"),),
)

ACKNOWLEDGEMENTS = ExportKind(
    name="acknowledgements",
    key=("staff_ref", "policy_version"),
    columns=(
        Column("staff_ref", "text", required=True),
        Column("school", "text"),
        Column("staff_group", "vocab", required=True, domain="staff_group"),
        Column("employment", "vocab", domain="employment"),
        Column("start_date", "date"),
        Column("leave_date", "date"),
        Column("policy_version", "text", required=True),
        Column("acknowledged_at", "datetime"),
    ),
)

KINDS: dict[str, ExportKind] = {k.name: k for k in (INCIDENTS, BREACHES, ACKNOWLEDGEMENTS)}

_HEADER_SEPARATORS = re.compile(r"[\s\-.]+")


def header_key(text: str) -> str:
    """A header as the loader matches it: trimmed, lower case, spaces, hyphens and dots as `_`."""
    return _HEADER_SEPARATORS.sub("_", str(text).strip().lower()).strip("_")


def detect_kind(headers: list[str], *, ids_only: bool = False) -> ExportKind | None:
    """The export a set of normalised headers belongs to, or None if it matches none.

    The id columns decide (docs/hr/loading.md). When they do not, and not `ids_only`, the export sharing the most
    column names with the header is taken, so that a file missing an id column is refused with a
    message naming that column rather than "cannot tell which export this is".
    """
    present = set(headers)
    if "incident_id" in present and "breach_id" not in present and "reported_at" in present:
        return INCIDENTS
    if "breach_id" in present:
        return BREACHES
    if "staff_ref" in present and "policy_version" in present:
        return ACKNOWLEDGEMENTS
    if "incident_id" in present:
        return INCIDENTS
    if ids_only:
        return None
    overlap = {kind: len(present & {c.name for c in kind.columns} - {"school"}) for kind in KINDS.values()}
    best = max(overlap, key=overlap.__getitem__)
    if overlap[best] >= 2 and sorted(overlap.values())[-2] < overlap[best]:
        return best
    return None
