"""The review-events register: dated changes in law, guidance and case law that may call for a policy review."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from policy_analytics.errors import UserError

KINDS: tuple[str, ...] = ("legislation", "guidance", "case_law")
COLUMNS: tuple[str, ...] = ("date", "kind", "title", "source")
SHIPPED = "shipped"

STALE_AFTER_MONTHS = 6  # a register older than this at the end of a period is flagged as possibly out of date

_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_AS_OF = re.compile(r"#\s*as of\s+(\d{4}-\d{2}-\d{2})", re.IGNORECASE)
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


@dataclass(frozen=True)
class ReviewEvent:
    """One dated change that bears on the policy, and where the row came from."""

    date: dt.date
    kind: str
    title: str
    source: str
    origin: str  # "shipped", or the file name of the school's own register


def _header_key(name: str) -> str:
    """Normalise a header cell: case-insensitive, spaces, hyphens and dots read as underscores."""
    return re.sub(r"[\s.\-]+", "_", name.strip().lstrip("\ufeff").strip()).lower()


def _parse_date(text: str) -> dt.date | None:
    """Read an ISO (YYYY-MM-DD) or UK day-first (D/M/YYYY) date; None if it is neither."""
    for pattern, order in ((_ISO_DATE, (0, 1, 2)), (_UK_DATE, (2, 1, 0))):
        match = pattern.fullmatch(text)
        if match:
            parts = [int(p) for p in match.groups()]
            try:
                return dt.date(parts[order[0]], parts[order[1]], parts[order[2]])
            except ValueError:
                return None
    return None


def _decode(raw: bytes) -> str:
    """Decode UTF-8 (with or without BOM), falling back to Windows-1252 as Excel writes it."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def _strip_comments(text: str) -> tuple[str, int]:
    """The text without its leading '#' lines (the as-of note), and how many lines were dropped."""
    lines = text.split("\n")
    skipped = 0
    while skipped < len(lines) and lines[skipped].lstrip("\ufeff").startswith("#"):
        skipped += 1
    return "\n".join(lines[skipped:]), skipped


def _read_rows(text: str, where: str, origin: str) -> list[ReviewEvent]:
    """Parse register CSV text into events; any problem raises a UserError naming where it is."""
    text, skipped = _strip_comments(text)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise UserError(f"The review-events file {where} is empty: it needs a header row with {', '.join(COLUMNS)}.")
    keys = [_header_key(cell) for cell in header]
    missing = [col for col in COLUMNS if col not in keys]
    if missing:
        raise UserError(f"The review-events file {where} has no {', '.join(missing)} column (it needs {', '.join(COLUMNS)}).")
    index = {col: keys.index(col) for col in COLUMNS}
    events: list[ReviewEvent] = []
    for row_number, row in enumerate(reader, start=2 + skipped):
        if not any(cell.strip() for cell in row):
            continue  # a blank line, as spreadsheets often leave at the end
        cells = {col: (row[i].strip() if i < len(row) else "") for col, i in index.items()}

        def bad(column: str, reason: str) -> UserError:
            shown = repr(cells[column]) if cells[column] else "the cell is blank and"
            return UserError(f"In the review-events file {where}, row {row_number}, column {column}: {shown} {reason}.")

        when = _parse_date(cells["date"])
        if when is None:
            raise bad("date", "is not a date (write it as YYYY-MM-DD or DD/MM/YYYY)")
        kind = re.sub(r"[\s\-]+", "_", cells["kind"].lower())
        if kind not in KINDS:
            raise bad("kind", f"is not a kind of event (use one of {', '.join(KINDS)})")
        if not cells["title"]:
            raise bad("title", "needs a title saying what changed")
        events.append(ReviewEvent(when, kind, cells["title"], cells["source"], origin))
    return events


def _shipped_text() -> str:
    return resources.files("policy_analytics").joinpath("data/review_events.csv").read_text("utf-8")


def register_as_of() -> dt.date:
    """The date the shipped register was last brought up to date (its '# as of' first line)."""
    match = _AS_OF.match(_shipped_text())
    if match is None:
        raise RuntimeError("the shipped review-events register has no '# as of YYYY-MM-DD' first line")
    return dt.date.fromisoformat(match.group(1))


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day where it is shorter)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def register_is_stale(as_of: dt.date, period_end: dt.date) -> bool:
    """True when the register is more than six months old at the end of the period."""
    return _add_months(as_of, STALE_AFTER_MONTHS) < period_end


def register_note(as_of: dt.date, period_end: dt.date) -> str:
    """'Register as of D.', and a plain warning when it is more than six months old at the period's end."""
    note = f"Register as of {as_of.day} {as_of:%B %Y}."
    if register_is_stale(as_of, period_end):
        note += (f" It is more than {STALE_AFTER_MONTHS} months old at the end of this period, so later changes in "
                 "law, guidance or case law may be missing: update policy-analytics, or add them to the school's own "
                 "review-events file.")
    return note


def load_review_events(extra_file: Path | None = None) -> list[ReviewEvent]:
    """The shipped register plus the school's own file (if given and present), sorted by date."""
    events = _read_rows(_shipped_text(), "shipped with policy-analytics", SHIPPED)
    if extra_file is not None:
        path = Path(extra_file)
        if path.is_file():
            try:
                raw = path.read_bytes()
            except OSError as exc:
                raise UserError(f"The review-events file {path} could not be read: {exc.strerror}.") from None
            seen = {(e.date, e.title.casefold()) for e in events}
            for event in _read_rows(_decode(raw), str(path), path.name):
                if (event.date, event.title.casefold()) not in seen:  # a row repeating the shipped one adds nothing
                    seen.add((event.date, event.title.casefold()))
                    events.append(event)
    return sorted(events, key=lambda e: (e.date, e.origin != SHIPPED, e.title.casefold()))


def events_between(events: Iterable[ReviewEvent], after: dt.date, on_or_before: dt.date) -> list[ReviewEvent]:
    """Events dated strictly after `after` and up to and including `on_or_before`, in date order."""
    chosen = [e for e in events if after < e.date <= on_or_before]
    return sorted(chosen, key=lambda e: (e.date, e.origin != SHIPPED, e.title.casefold()))


def load_cited_legislation() -> list[dict[str, str]]:
    """The acts the policy cites, each with its current name, status and a plain-English note."""
    text = resources.files("policy_analytics").joinpath("data/cited_legislation.csv").read_text("utf-8")
    return [dict(row) for row in csv.DictReader(io.StringIO(text))]
