"""Reporting periods (docs/reference/periods.md): academic years, terms and custom date ranges.

An academic year `2025-26` runs 1 Sep 2025 to 31 Aug 2026, and its three terms tile it: autumn from
1 Sep, spring from 1 Jan, summer from Easter Monday, each running until the day before the next
starts and summer to 31 Aug. A school's own term dates (`[terms]` in the settings) move where
spring and summer start; holidays belong to the term before them, so the terms always add up to
the year. The school's own dates are kept beside the reporting dates (`Period.school_dates`).
Every period includes both its first and its last day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from policy_analytics.errors import UsageError, UserError
from policy_analytics.settings import Settings

TERM_NAMES: tuple[str, ...] = ("autumn", "spring", "summer")
KINDS: tuple[str, ...] = ("term", "year", "custom")

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_YEAR_RE = re.compile(r"(\d{4})-(\d{2})")
_TERM_RE = re.compile(r"(\d{4}-\d{2})-([a-z]+)")
_ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")

_YEAR_EXAMPLE = "as in 2025-26 (September 2025 to August 2026)"
_TERM_EXAMPLE = "the academic year and autumn, spring or summer, as in 2025-26-autumn"


@dataclass(frozen=True)
class Period:
    """A reporting period: `start` to `end`, both days included."""

    start: date
    end: date
    label: str
    kind: str
    title: str
    school_dates: tuple[date, date] | None = None  # a term's own dates from the settings, if given

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Period kind must be one of {KINDS}, not {self.kind!r}.")
        if self.end < self.start:
            raise ValueError(f"Period {self.label} ends ({self.end}) before it starts ({self.start}).")

    @property
    def days(self) -> int:
        """Number of days in the period, both ends included."""
        return (self.end - self.start).days + 1

    def contains(self, d: date) -> bool:
        """Whether day `d` (or the day of a datetime) falls in the period."""
        return self.start <= _day(d) <= self.end


def _day(d: date) -> date:
    """The calendar day of a date or datetime (a datetime does not compare with a date)."""
    return d.date() if isinstance(d, datetime) else d


def format_day(d: date) -> str:
    """A date as governors read it, e.g. '1 Sep 2025' (independent of the locale)."""
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def easter_sunday(year: int) -> date:
    """Easter Sunday of `year` in the Gregorian calendar (the anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _year_start(label: str) -> int:
    """The calendar year an academic-year label such as '2025-26' starts in."""
    text = label.strip() if isinstance(label, str) else ""
    match = _YEAR_RE.fullmatch(text)
    if not match:
        raise UsageError(f"Academic year {label!r} is not in the form YYYY-YY: write it {_YEAR_EXAMPLE}.")
    first, second = int(match.group(1)), int(match.group(2))
    if second != (first + 1) % 100:
        raise UsageError(
            f"Academic year {label!r} is not valid: the second part must be the year after the first, "
            f"{_YEAR_EXAMPLE}."
        )
    if not 1 <= first <= 9998:
        raise UsageError(f"Academic year {label!r} is out of range: write it {_YEAR_EXAMPLE}.")
    return first


def _year_label(first: int) -> str:
    """The academic-year label for the year starting in September of `first`."""
    return f"{first:04d}-{(first + 1) % 100:02d}"


def academic_year(label: str) -> Period:
    """The academic year `YYYY-YY`: 1 Sep of YYYY to 31 Aug of the next year."""
    first = _year_start(label)
    canonical = _year_label(first)
    return Period(
        start=date(first, 9, 1),
        end=date(first + 1, 8, 31),
        label=canonical,
        kind="year",
        title=f"Academic year {canonical}",
    )


def _split_term(label: str) -> tuple[int, str]:
    """The academic year's first calendar year and the term name of a label like '2025-26-autumn'."""
    text = label.strip().lower() if isinstance(label, str) else ""
    match = _TERM_RE.fullmatch(text)
    if not match:
        raise UsageError(f"Term {label!r} is not in the form YYYY-YY-term: write {_TERM_EXAMPLE}.")
    year_text, name = match.groups()
    if name not in TERM_NAMES:
        raise UsageError(f"Term {label!r} is not a term: '{name}' must be autumn, spring or summer, as in 2025-26-autumn.")
    return _year_start(year_text), name


def _overrides(settings: Settings) -> dict[str, tuple[date, date]]:
    """The settings' term dates keyed by normalised label (trimmed, lower case)."""
    return {str(key).strip().lower(): (start, end) for key, (start, end) in (settings.terms or {}).items()}


def _term_start(first: int, name: str, overrides: dict[str, tuple[date, date]]) -> date:
    """The day term `name` of the academic year starting in `first` begins to count: autumn on 1 Sep, spring and
    summer on the school's own first day if the settings give one, else 1 Jan and Easter Monday."""
    label = f"{_year_label(first)}-{name}"
    if name == "autumn":
        return date(first, 9, 1)
    if label in overrides:
        return overrides[label][0]
    return date(first + 1, 1, 1) if name == "spring" else easter_sunday(first + 1) + timedelta(days=1)


def _make_term(first: int, name: str, overrides: dict[str, tuple[date, date]]) -> Period:
    """The term `name` of the academic year starting in `first`: from its start to the day before the next term's
    (summer to 31 Aug), with the school's own dates of it kept beside."""
    label = f"{_year_label(first)}-{name}"
    index = TERM_NAMES.index(name)
    start = _term_start(first, name, overrides)
    if index + 1 < len(TERM_NAMES):
        end = _term_start(first, TERM_NAMES[index + 1], overrides) - timedelta(days=1)
    else:
        end = date(first + 1, 8, 31)
    if not date(first, 9, 1) <= start <= end <= date(first + 1, 8, 31):
        raise UserError(
            f"The settings' term dates for {_year_label(first)} are out of order: the {name} term would run from "
            f"{start.isoformat()} to {end.isoformat()}. Each term must start after the one before, within "
            f"1 Sep {first} to 31 Aug {first + 1}."
        )
    return Period(
        start=start,
        end=end,
        label=label,
        kind="term",
        title=f"{name.capitalize()} term {_year_label(first)}",
        school_dates=overrides.get(label),
    )


def term(label: str, settings: Settings) -> Period:
    """The term `YYYY-YY-autumn|spring|summer`, dated by the settings' override if there is one."""
    first, name = _split_term(label)
    return _make_term(first, name, _overrides(settings))


def terms_of_year(year_label: str, settings: Settings) -> list[Period]:
    """The autumn, spring and summer terms of academic year `year_label`, in that order."""
    first = _year_start(year_label)
    overrides = _overrides(settings)
    return [_make_term(first, name, overrides) for name in TERM_NAMES]


def custom(start: date, end: date) -> Period:
    """A custom period from `start` to `end`, both days included."""
    start, end = _day(start), _day(end)
    if end < start:
        raise UsageError(
            f"The period ends on {end.isoformat()}, before it starts on {start.isoformat()}: "
            "give the earlier date first."
        )
    return Period(
        start=start,
        end=end,
        label=f"{start.isoformat()}..{end.isoformat()}",
        kind="custom",
        title=f"{format_day(start)} to {format_day(end)}",
    )


def previous(period: Period, settings: Settings) -> Period:
    """The comparison period: the term before, the year before, or the same number of days just before."""
    if period.kind == "term":
        first, name = _split_term(period.label)
        index = TERM_NAMES.index(name)
        if index == 0:
            return term(f"{_year_label(first - 1)}-{TERM_NAMES[-1]}", settings)
        return term(f"{_year_label(first)}-{TERM_NAMES[index - 1]}", settings)
    if period.kind == "year":
        return academic_year(_year_label(_year_start(period.label) - 1))
    end = period.start - timedelta(days=1)
    return custom(end - timedelta(days=period.days - 1), end)


def academic_year_of(d: date) -> str:
    """The label of the academic year holding day `d`, e.g. '2025-26' for 7 Oct 2025."""
    return _year_label(d.year if d.month >= 9 else d.year - 1)


def _nearby_terms(d: date, settings: Settings) -> list[Period]:
    """Terms of the academic years around `d` (overrides may move a term across a year boundary)."""
    first = _year_start(academic_year_of(d))
    overrides = _overrides(settings)
    return [
        _make_term(year, name, overrides)
        for year in range(max(first - 1, 1), min(first + 1, 9998) + 1)
        for name in TERM_NAMES
    ]


def _term_containing(d: date, settings: Settings) -> Period | None:
    """The term holding day `d` (the latest-starting one if overrides overlap), or None in a gap."""
    holding = [p for p in _nearby_terms(d, settings) if p.contains(d)]
    return max(holding, key=lambda p: p.start) if holding else None


def term_of(d: date, settings: Settings) -> str | None:
    """The label of the term holding day `d`, or None if `d` falls between overridden terms."""
    found = _term_containing(d, settings)
    return found.label if found else None


def current_term(today: date, settings: Settings) -> Period:
    """The term holding `today`, or in a gap between terms the most recent one that has ended."""
    today = _day(today)
    found = _term_containing(today, settings)
    if found:
        return found
    ended = [p for p in _nearby_terms(today, settings) if p.end < today]
    if ended:
        return max(ended, key=lambda p: p.end)
    # Only reachable with overrides that leave more than a year without a term.
    raise UsageError(
        f"No term holds or ends before {today.isoformat()} in the settings' term dates: "
        "give the period with --term, --year or --from and --to."
    )


def current_year(today: date) -> Period:
    """The academic year holding `today`."""
    return academic_year(academic_year_of(_day(today)))


def _parse_option_date(option: str, value: str) -> date:
    """An ISO date (YYYY-MM-DD) given to a command-line option."""
    text = value.strip() if isinstance(value, str) else ""
    if _ISO_DATE_RE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise UsageError(f"{option} {value} is not a date in the form YYYY-MM-DD, such as 2025-10-07.")


def resolve(
    settings: Settings,
    *,
    term: str | None = None,
    year: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    default: str = "term",
    today: date | None = None,
) -> Period:
    """The period the options `--term T | --year Y | --from D --to D` ask for (default: the current term or year)."""
    if default not in ("term", "year"):
        raise ValueError(f"default must be 'term' or 'year', not {default!r}.")
    given = [
        option
        for option, present in (
            ("--term", term is not None),
            ("--year", year is not None),
            ("--from/--to", date_from is not None or date_to is not None),
        )
        if present
    ]
    if len(given) > 1:
        raise UsageError(
            f"Give only one period: {' and '.join(given)} were given together. "
            "Use --term, --year, or --from with --to."
        )
    if term is not None:
        return _term_period(term, settings)
    if year is not None:
        return academic_year(year)
    if date_from is not None or date_to is not None:
        if date_from is None or date_to is None:
            missing, present = ("--to", "--from") if date_to is None else ("--from", "--to")
            raise UsageError(
                f"{present} needs {missing} as well: give both dates, as in --from 2025-09-01 --to 2025-11-30."
            )
        start = _parse_option_date("--from", date_from)
        end = _parse_option_date("--to", date_to)
        if end < start:
            raise UsageError(
                f"--to {end.isoformat()} is before --from {start.isoformat()}: the period must end on or after its start."
            )
        return custom(start, end)
    day = today if today is not None else date.today()
    return current_year(day) if default == "year" else current_term(day, settings)


# `resolve` takes a keyword named `term`, which hides the function of that name inside it.
_term_period = term


def from_label(label: str | Period, settings: Settings) -> Period:
    """The period a label names: a term ('2025-26-autumn'), an academic year ('2025-26') or a date range
    ('2025-09-01..2025-11-30'); a Period is returned as it is."""
    if isinstance(label, Period):
        return label
    text = label.strip() if isinstance(label, str) else ""
    if ".." in text:
        first, _, last = text.partition("..")
        return resolve(settings, date_from=first, date_to=last)
    if _YEAR_RE.fullmatch(text):
        return academic_year(text)
    if _TERM_RE.fullmatch(text.lower()):
        return term(text, settings)
    raise UsageError(
        f"Period {label!r} is not a term, a year or a date range: write it as 2025-26-autumn, 2025-26 "
        "or 2025-09-01..2025-11-30."
    )


def term_windows(
    settings: Settings, first_year: int = 2010, last_year: int = 2040
) -> list[tuple[str, str, str, date, date]]:
    """(label, academic_year, term_name, start, end) for every term of the academic years starting first_year..last_year."""
    overrides = _overrides(settings)
    rows: list[tuple[str, str, str, date, date]] = []
    for first in range(first_year, last_year + 1):
        for name in TERM_NAMES:
            p = _make_term(first, name, overrides)
            rows.append((p.label, _year_label(first), name, p.start, p.end))
    return rows
