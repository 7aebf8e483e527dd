"""Synthetic exports for demos, tests and benchmarks: fictional schools, pseudonymous staff, no real people.

Everything written here is made up. Staff references look like ``SYN-S0001``, incident ids like
``SYN-INC-000123``, breach ids like ``SYN-BR-0042``, every description starts with
"Synthetic example:" and the schools (Oakfield Primary School, Riverside Academy, Hillcrest High
School) are fictional. The files imitate the messy shapes real systems write (docs/hr/exports.md):
title-case headers, UK day-first dates, vocabulary aliases, mixed-case flags, an ignored extra
column, a Windows-1252 semicolon "CSV" and an XLSX with native date cells, plus a handful of
deliberately invalid rows so that the loader's rejects can be demonstrated.

``python -m policy_analytics.synthetic OUT_DIR [--scale N]`` writes them from the command line.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import io
import random
import re
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Sequence

__all__ = [
    "SCHOOLS",
    "SYNTHETIC_DESCRIPTIONS",
    "DESCRIPTION_PREFIX",
    "DeliberateError",
    "deliberate_errors",
    "generate_demo_exports",
    "generate_scale_exports",
    "main",
]

DESCRIPTION_PREFIX = "Synthetic example:"
INCIDENTS_FILE = "incidents.csv"
BREACHES_FILE = "breaches.xlsx"
ACKNOWLEDGEMENTS_FILE = "acknowledgements.csv"
CURRENT_POLICY_VERSION = "2024-10"
OLDER_POLICY_VERSION = "2021-09"
POLICY_LAUNCH = date(2024, 10, 7)  # staff asked to read the Oct 2024 policy from this Monday
OLDER_POLICY_LAUNCH = date(2021, 9, 13)

INCIDENT_HEADERS = (
    "Incident ID", "School", "Reported At", "Posted At", "Removal Requested At", "Removed At",
    "Platform", "Category", "Submitted By", "Severity", "Safeguarding", "Police Referral",
    "ISP Escalation", "Support Offered", "Shares", "Platforms Reached", "Description", "Logged By",
)
BREACH_HEADERS = (
    "Breach ID", "Incident ID", "School", "Staff Ref", "Opened At", "Closed At", "Rule",
    "Impact", "Outcome", "Case Officer",
)
ACKNOWLEDGEMENT_HEADERS = (
    "Staff Ref", "School", "Staff Group", "Employment", "Department", "Start Date", "Leave Date",
    "Policy Version", "Acknowledged At",
)


@dataclass(frozen=True)
class School:
    """A fictional school: its name, roster size and incidents reported in a typical year."""

    name: str
    headcount: int
    incidents_per_year: tuple[int, int]


SCHOOLS: tuple[School, ...] = (
    School("Oakfield Primary School", 48, (15, 24)),
    School("Riverside Academy", 86, (20, 32)),
    School("Hillcrest High School", 114, (24, 34)),
)

# What was reported, as the policy words it. Each canonical category has a few fictional
# one-line descriptions; none names or describes a real person.
SYNTHETIC_DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "cyberbullying_of_staff": (
        "an anonymous account posted abusive comments about a teacher.",
        "a parents' group chat shared insulting remarks about a member of staff.",
        "a video mocking a member of support staff was posted after a school event.",
    ),
    "bullying": (
        "repeated unkind comments between pupils continued on a class group chat.",
        "a pupil was excluded from and mocked in an online group.",
    ),
    "discrimination_harassment": (
        "comments about a member of staff referred to a protected characteristic.",
        "a member of staff received unwanted messages after a disagreement.",
    ),
    "disrepute": (
        "a post showed school uniform alongside offensive gestures.",
        "a staff night out photo was shared publicly with the school tagged.",
    ),
    "reputation": (
        "a review site post made unfounded claims about the school's leadership.",
        "a local community page post criticised the school in misleading terms.",
    ),
    "offensive": (
        "a meme with crude language about the school was shared widely.",
        "a threatening message about a member of staff was posted publicly.",
    ),
    "defamatory": (
        "a post falsely claimed that a member of staff had been suspended.",
        "a rumour about a staff disciplinary matter was presented as fact.",
    ),
    "confidential": (
        "a photo of a pupil list was visible in the background of a post.",
        "details of a school meeting were shared before they were agreed.",
    ),
    "inappropriate_material": (
        "hateful language appeared in replies under a school post.",
        "a link to unsuitable material was shared in a pupil group chat.",
    ),
    "sexting": (
        "a fake profile used the school logo to contact pupils.",
        "a pupil was asked to join a live stream by an unknown account.",
    ),
    "grooming": (
        "an unknown adult account repeatedly messaged a pupil.",
        "a pupil reported being followed across several apps by a stranger.",
    ),
    "self_harm": (
        "a viral challenge encouraging risk taking circulated among pupils.",
        "a pupil posted content suggesting they were at risk.",
    ),
    "copyright": (
        "school photographs were reused on a commercial page without permission.",
    ),
    "unlawful": (
        "a post appeared to offer prohibited items for sale near the school.",
    ),
}

# How each category is written in the exports (canonical and the aliases in docs/hr/exports.md), with weights.
_CATEGORY_SPELLINGS: dict[str, tuple[Sequence[str], int]] = {
    "cyberbullying_of_staff": (("Cyberbullying of staff", "cyberbullying_of_staff", "cyberbullying of staff"), 26),
    "bullying": (("bullying", "Bullying"), 10),
    "discrimination_harassment": (("harassment", "Harassment", "discrimination", "victimisation"), 9),
    "disrepute": (("Disrepute", "disrepute"), 8),
    "reputation": (("Reputation", "reputation"), 8),
    "offensive": (("offensive", "lewd", "threatening", "Sexually explicit"), 9),
    "defamatory": (("Defamatory", "knowingly false", "false"), 7),
    "confidential": (("Confidential", "confidential"), 5),
    "inappropriate_material": (("Inappropriate material", "hateful language"), 5),
    "sexting": (("fake profile", "Fake Profile", "catfishing", "live streaming", "sexting"), 6),
    "grooming": (("grooming", "exploitation", "stalking"), 2),
    "self_harm": (("Self-harm", "risk taking", "violence"), 2),
    "copyright": (("Copyright", "copyright"), 2),
    "unlawful": (("unlawful",), 1),
}
# Categories a member of staff could breach by posting (the "must not post" list).
_STAFF_CONDUCT = (
    "confidential", "bullying", "discrimination_harassment", "disrepute", "offensive",
    "reputation", "defamatory", "copyright", "unlawful",
)
_SAFEGUARDING_CATEGORIES = {"grooming", "sexting", "self_harm", "inappropriate_material"}

# Platforms as people type them; "Mastodon" is unknown to the policy and loads as Other.
_PLATFORM_SPELLINGS: tuple[tuple[str, int], ...] = (
    ("Facebook", 18), ("fb", 6), ("FB", 2), ("Instagram", 10), ("insta", 5), ("IG", 2),
    ("TikTok", 10), ("tik tok", 4), ("Twitter", 4), ("X.com", 3), ("X", 3), ("x (twitter)", 1),
    ("WhatsApp", 8), ("whats app", 2), ("YouTube", 3), ("you tube", 1), ("Snapchat", 6),
    ("snap", 2), ("LinkedIn", 1), ("Other", 1),
)
_SEVERITY_SPELLINGS = {
    "low": ("Low", "low", "LOW"),
    "medium": ("Medium", "medium", "MEDIUM"),
    "high": ("High", "high", "HIGH"),
    "critical": ("Critical", "critical"),
}
_SUBMITTERS: tuple[tuple[str, int], ...] = (
    ("Staff", 30), ("staff", 6), ("Parent", 18), ("parent", 4), ("Pupil", 16), ("pupil", 4),
    ("Public", 8), ("Unknown", 4), ("", 10),
)
_YES = ("Yes", "Yes", "Yes", "Y", "TRUE", "yes")
_NO = ("No", "No", "", "", "N", "FALSE", "no")
_LOGGED_BY = ("DSL", "DSL", "Deputy DSL", "School office", "Headteacher", "Trust HR")

_GROUP_SHARES: tuple[tuple[str, float], ...] = (
    ("teaching", 0.42), ("support", 0.30), ("leadership", 0.07), ("governor", 0.11),
    ("volunteer", 0.06), ("contractor", 0.04),
)
_GROUP_SPELLINGS = {
    "teaching": ("Teaching", "teaching"), "support": ("Support", "support"),
    "leadership": ("Leadership", "leadership"), "governor": ("Governor", "governor"),
    "volunteer": ("Volunteer", "volunteer"), "contractor": ("Contractor", "contractor"),
}
_LEAVE_RATE = {"teaching": 0.12, "support": 0.14, "leadership": 0.08, "governor": 0.15,
               "volunteer": 0.25, "contractor": 0.30}
_ACK_RATE = {"leadership": 0.99, "teaching": 0.97, "support": 0.93, "governor": 0.90,
             "volunteer": 0.88, "contractor": 0.85}
_DEPARTMENTS = {
    "teaching": ("Maths", "English", "Science", "Modern Languages – French", "Humanities",
                 "Early Years", "PE", "Art & Design"),
    "support": ("Office", "Site", "Café & catering", "SEND support", "IT", "Teaching assistants"),
    "leadership": ("Senior leadership",),
    "governor": ("Governing board",),
    "volunteer": ("Reading volunteers", "Café & catering", "Library"),
    "contractor": ("Cleaning", "Catering (café)", "IT support"),
}
_OUTCOMES: tuple[tuple[str, int], ...] = (
    ("no case to answer", 25), ("Informal Advice", 20), ("informal advice", 15),
    ("written warning", 14), ("Written Warning", 8), ("Final warning", 8), ("Dismissal", 4),
    ("referred to police", 6),
)
_CASE_OFFICERS = ("Trust HR", "Headteacher", "HR adviser")
# Incidents per month, September first: more in the autumn term, few in August.
_MONTH_WEIGHTS = {9: 1.2, 10: 1.4, 11: 1.4, 12: 1.0, 1: 0.9, 2: 0.8, 3: 0.9, 4: 0.6,
                  5: 0.8, 6: 0.8, 7: 0.6, 8: 0.2}


@dataclass(frozen=True)
class DeliberateError:
    """One deliberately invalid row in the demo exports, where a spreadsheet shows it (header = row 1)."""

    kind: str
    file: str
    row: int
    column: str
    value: str
    rule: str


@dataclass
class _StaffMember:
    ref: str
    school: str
    group: str
    employment: str
    department: str
    start: date | None
    leave: date | None = None


@dataclass
class _Incident:
    school: str
    category: str
    reported: datetime
    posted: datetime | None
    requested: datetime | None
    removed: datetime | None
    cells: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Date shapes
# ---------------------------------------------------------------------------------------------

def _uk_datetime(moment: datetime, style: str) -> str:
    """Write a datetime day-first, the way UK systems and people do."""
    if style == "short":  # no leading zeros on day and month
        return f"{moment.day}/{moment.month}/{moment.year} {moment:%H:%M}"
    if style == "seconds":
        return f"{moment:%d/%m/%Y %H:%M:%S}"
    if style == "date":
        return f"{moment:%d/%m/%Y}"
    return f"{moment:%d/%m/%Y %H:%M}"


def _uk_date(day: date | None, short: bool = False) -> str:
    """Write a date day-first, blank for None."""
    if day is None:
        return ""
    return f"{day.day}/{day.month}/{day.year}" if short else f"{day:%d/%m/%Y}"


def _academic_years(today: date) -> list[tuple[str, date, date]]:
    """The academic year holding today and the two before it, the last one cut at today."""
    first = today.year if today.month >= 9 else today.year - 1
    years = []
    for start_year in (first - 2, first - 1, first):
        start, end = date(start_year, 9, 1), date(start_year + 1, 8, 31)
        years.append((f"{start_year}-{str(start_year + 1)[-2:]}", start, min(end, today)))
    return years


def _weighted(rng: random.Random, options: Sequence[tuple[Any, float]]) -> Any:
    """Pick one value from (value, weight) pairs."""
    values = [value for value, _ in options]
    weights = [weight for _, weight in options]
    return rng.choices(values, weights=weights)[0]


def _report_day(rng: random.Random, start: date, last: date) -> date:
    """A day between start and last, weighted by month (busier in autumn) and mostly a weekday."""
    months: list[tuple[tuple[date, date], float]] = []
    cursor = date(start.year, start.month, 1)
    while cursor <= last:
        month_end = date(cursor.year, cursor.month, calendar.monthrange(cursor.year, cursor.month)[1])
        lo, hi = max(cursor, start), min(month_end, last)
        if lo <= hi:
            share = ((hi - lo).days + 1) / ((month_end - cursor).days + 1)
            months.append(((lo, hi), _MONTH_WEIGHTS[cursor.month] * share))
        cursor = month_end + timedelta(days=1)
    lo, hi = _weighted(rng, months)
    for _ in range(4):
        day = lo + timedelta(days=rng.randint(0, (hi - lo).days))
        if day.weekday() < 5 or rng.random() < 0.3:
            return day
    return day


def _year_weight(start: date, last: date) -> float:
    """The share of a year's usual incidents that falls between start and last."""
    total = sum(_MONTH_WEIGHTS.values())
    covered = 0.0
    cursor = start
    while cursor <= last:
        days_in_month = calendar.monthrange(cursor.year, cursor.month)[1]
        covered += _MONTH_WEIGHTS[cursor.month] / days_in_month
        cursor += timedelta(days=1)
    return covered / total


# ---------------------------------------------------------------------------------------------
# The demo trust
# ---------------------------------------------------------------------------------------------

def _historic_start(rng: random.Random, before: date) -> date | None:
    """A start date for someone already on the roster: blank for long-serving staff."""
    if rng.random() < 0.25:
        return None
    year = rng.randint(2004, before.year - 1)
    if rng.random() < 0.7:
        return date(year, 9, 1)
    day = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
    return min(day, before - timedelta(days=1))


def _employment(rng: random.Random, group: str) -> str:
    """An employment type as HR systems spell it; blank where the idea does not apply."""
    if group in ("governor", "volunteer"):
        return ""
    if group == "contractor":
        return rng.choice(("", "Fixed term"))
    return _weighted(rng, (("Full time", 40), ("full-time", 8), ("Part time", 22), ("part_time", 5),
                           ("Fixed term", 8), ("FIXED-TERM", 2)))


def _leave_day(rng: random.Random, start: date, end: date) -> date:
    """A leaving date in an academic year: mostly the end of August or of a term."""
    pick = rng.random()
    if pick < 0.6:
        return date(start.year + 1, 8, 31)
    if pick < 0.75:
        return date(start.year, 12, 31)
    if pick < 0.85:
        return date(start.year + 1, 4, 12)
    return start + timedelta(days=rng.randint(30, (end - start).days))


def _build_roster(rng: random.Random, today: date) -> list[_StaffMember]:
    """Staff of the three schools with starters and leavers over the three academic years."""
    years = _academic_years(today)
    first_day = years[0][1]
    staff: list[_StaffMember] = []

    def hire(school: str, group: str, start: date | None) -> None:
        department = rng.choice(_DEPARTMENTS[group])
        staff.append(_StaffMember(f"SYN-S{len(staff) + 1:04d}", school, group,
                                  _employment(rng, group), department, start))

    for school in SCHOOLS:
        for _ in range(school.headcount):
            hire(school.name, _weighted(rng, _GROUP_SHARES), _historic_start(rng, first_day))
    for _, year_start, _ in years:
        year_end = date(year_start.year + 1, 8, 31)
        on_roster = [m for m in staff if m.leave is None and (m.start is None or m.start < year_end)]
        for member in on_roster:
            if rng.random() >= _LEAVE_RATE[member.group]:
                continue
            leave = _leave_day(rng, max(year_start, member.start or year_start), year_end)
            if leave > today + timedelta(days=42):  # not known yet
                continue
            member.leave = leave
            start = leave + timedelta(days=1) if leave.month == 8 else leave + timedelta(days=rng.randint(14, 60))
            if start <= today:
                hire(member.school, member.group, start)
    return staff


def _acknowledged_at(rng: random.Random, launch: date, member: _StaffMember, will_acknowledge: bool,
                     last_allowed: date) -> datetime | None:
    """When a member of staff confirmed reading a policy version, or None if they have not."""
    if not will_acknowledge:
        return None
    base = max(launch, member.start or launch)
    pick = rng.random()
    delay = rng.randint(0, 14) if pick < 0.6 else rng.randint(15, 60) if pick < 0.9 else rng.randint(61, 200)
    moment = datetime.combine(base + timedelta(days=delay), datetime.min.time()) + timedelta(
        minutes=rng.randint(7 * 60 + 30, 18 * 60))
    if moment.date() > last_allowed or (member.leave is not None and moment.date() > member.leave):
        return None
    return moment


def _acknowledgement_rows(rng: random.Random, staff: list[_StaffMember], today: date,
                          errors: list[DeliberateError]) -> list[list[str]]:
    """Roster rows: every member of staff due the current version, and the older version's roster."""
    rows: list[tuple[str, str, list[str]]] = []

    def row(member: _StaffMember, version: str, acknowledged: datetime | None) -> list[str]:
        short = rng.random() < 0.15
        return [member.ref, member.school, rng.choice(_GROUP_SPELLINGS.get(member.group, (member.group,))),
                member.employment, member.department, _uk_date(member.start, short),
                _uk_date(member.leave, short), version,
                _uk_datetime(acknowledged, "short" if short else "plain") if acknowledged else ""]

    older_roster_day = date(2023, 9, 1)
    due = [m for m in staff if (m.start is None or m.start <= today)
           and (m.leave is None or m.leave >= POLICY_LAUNCH - timedelta(days=6))]
    due_refs = {m.ref for m in due}
    # Each staff group misses about its own share: a fixed quota, so small groups differ as intended.
    never: set[str] = set()
    for group, rate in _ACK_RATE.items():
        members = [m.ref for m in due if m.group == group]
        never.update(rng.sample(members, round(len(members) * (1 - rate))))
    for member in staff:
        if member.start is not None and member.start > today:
            continue
        if member.ref in due_refs:
            acknowledged = _acknowledged_at(rng, POLICY_LAUNCH, member, member.ref not in never, today)
            rows.append((member.ref, CURRENT_POLICY_VERSION, row(member, CURRENT_POLICY_VERSION, acknowledged)))
        on_older_roster = (member.start is None or member.start <= older_roster_day) and (
            member.leave is None or member.leave >= older_roster_day)
        if on_older_roster:
            acknowledged = _acknowledged_at(rng, OLDER_POLICY_LAUNCH, member, rng.random() < 0.9,
                                            min(today, POLICY_LAUNCH - timedelta(days=7)))
            rows.append((member.ref, OLDER_POLICY_VERSION, row(member, OLDER_POLICY_VERSION, acknowledged)))

    # A work-experience placement keyed with a staff group the policy does not know.
    intern = _StaffMember(f"SYN-S{len(staff) + 1:04d}", SCHOOLS[1].name, "intern", "",
                          "Café & catering", date(2025, 6, 2), date(2025, 7, 11))
    intern_row = row(intern, CURRENT_POLICY_VERSION, datetime(2025, 6, 2, 9, 40))
    intern_row[2] = "Intern"
    rows.append((intern.ref, CURRENT_POLICY_VERSION, intern_row))

    rows.sort(key=lambda item: (item[0], item[1] != CURRENT_POLICY_VERSION))
    ordered = [cells for _, _, cells in rows]
    errors.append(DeliberateError(
        "acknowledgements", ACKNOWLEDGEMENTS_FILE, ordered.index(intern_row) + 2, "Staff Group",
        "Intern", "unknown staff group (not teaching, support, leadership, governor, volunteer, contractor)"))
    return ordered


def _severity(rng: random.Random, category: str, written_category: str) -> str:
    """A severity for an incident, higher for safeguarding risks and threats."""
    if category in _SAFEGUARDING_CATEGORIES or written_category == "threatening":
        level = _weighted(rng, (("low", 5), ("medium", 30), ("high", 45), ("critical", 20)))
    else:
        level = _weighted(rng, (("low", 50), ("medium", 35), ("high", 12), ("critical", 3)))
    return rng.choice(_SEVERITY_SPELLINGS[level])


def _flag(rng: random.Random, probability: float) -> str:
    """A yes/no flag written in one of the shapes people use."""
    return rng.choice(_YES) if rng.random() < probability else rng.choice(_NO)


def _posted_style(rng: random.Random, posted: datetime, reported: datetime, style: str) -> str:
    """Often only the day something was posted is known; keep it within 96 hours of the report."""
    midnight = datetime.combine(posted.date(), datetime.min.time())
    return "date" if rng.random() < 0.3 and reported - midnight <= timedelta(hours=96) else style


def _make_incident(rng: random.Random, school: str, day: date, now: datetime,
                   category: str | None = None, platform: str | None = None) -> _Incident:
    """One incident with a realistic timeline: posted, reported, removal asked for, removed."""
    if category is None:
        category = _weighted(rng, [(name, weight) for name, (_, weight) in _CATEGORY_SPELLINGS.items()])
    written_category = rng.choice(_CATEGORY_SPELLINGS[category][0])
    hour = rng.randint(7, 17) if rng.random() < 0.8 else rng.choice((6, 18, 19, 20, 21))
    reported = datetime.combine(day, datetime.min.time()) + timedelta(hours=hour, minutes=rng.randrange(60))
    posted = None if rng.random() < 0.12 else reported - timedelta(minutes=round(96 * 60 * rng.random() ** 2))

    needs_removal = rng.random() < (0.5 if category == "grooming" else 0.88)
    requested = removed = None
    slow = False
    if needs_removal:
        pick = rng.random()
        if pick < 0.78:
            hours_to_removal = 0.5 + 23.4 * rng.random() ** 1.5
        elif pick < 0.93:
            hours_to_removal, slow = rng.uniform(25, 72), True
        else:
            hours_to_removal, slow = None, True
        limit = hours_to_removal if hours_to_removal is not None else 6.0
        if rng.random() < 0.85:
            requested = reported + timedelta(minutes=round(60 * min(rng.uniform(0.1, 6), limit * 0.5)))
        if hours_to_removal is not None:
            removed = reported + timedelta(minutes=round(60 * hours_to_removal))
            if removed >= now:
                removed = None
        if requested is not None and requested >= now:
            requested = None

    severity = _severity(rng, category, written_category)
    serious = severity.lower() == "critical" or written_category == "threatening" or category == "grooming"
    shares = "" if rng.random() < 0.1 else str(min(int(rng.paretovariate(1.0)) - 1, 2500))
    reached = "" if rng.random() < 0.08 else str(_weighted(rng, ((1, 68), (2, 20), (3, 8), (4, 4))))
    style = _weighted(rng, (("plain", 80), ("short", 15), ("seconds", 5)))
    cells = {
        "School": school,
        "Reported At": _uk_datetime(reported, style),
        "Posted At": _uk_datetime(posted, _posted_style(rng, posted, reported, style)) if posted else "",
        "Removal Requested At": _uk_datetime(requested, style) if requested else "",
        "Removed At": _uk_datetime(removed, style) if removed else "",
        "Platform": platform or _weighted(rng, _PLATFORM_SPELLINGS),
        "Category": written_category,
        "Submitted By": _weighted(rng, _SUBMITTERS),
        "Severity": severity,
        "Safeguarding": _flag(rng, 0.85 if category in _SAFEGUARDING_CATEGORIES else 0.08),
        "Police Referral": _flag(rng, 0.6 if serious else 0.02),
        "ISP Escalation": _flag(rng, 0.55 if slow else 0.03),
        "Support Offered": _flag(rng, 0.75 if category in ("cyberbullying_of_staff", "discrimination_harassment",
                                                           "defamatory", "offensive") else 0.2),
        "Shares": shares,
        "Platforms Reached": reached,
        "Description": f"{DESCRIPTION_PREFIX} {rng.choice(SYNTHETIC_DESCRIPTIONS[category])}",
        "Logged By": rng.choice(_LOGGED_BY),
    }
    return _Incident(school, category, reported, posted, requested, removed, cells)


def _build_incidents(rng: random.Random, today: date) -> list[_Incident]:
    """Incidents for each school and academic year, in the order they were reported."""
    now = datetime.combine(today, datetime.min.time())
    last_day = today - timedelta(days=1)
    growth = (0.9, 1.0, 1.1)
    incidents: list[_Incident] = []
    for (label, start, end), trend in zip(_academic_years(today), growth):
        last = min(end, last_day)
        share = _year_weight(start, last)
        for school in SCHOOLS:
            lo, hi = school.incidents_per_year
            count = round(rng.randint(lo, hi) * trend * share)
            for _ in range(count):
                incidents.append(_make_incident(rng, school.name, _report_day(rng, start, last), now))
            if school is SCHOOLS[2] and start.year == today.year - (0 if today.month >= 9 else 1) and last >= date(
                    start.year, 11, 30):
                # An autumn campaign by a fake profile at the high school: a rise worth reviewing.
                for _ in range(8):
                    day = _report_day(rng, date(start.year, 10, 6), date(start.year, 11, 28))
                    incidents.append(_make_incident(rng, school.name, day, now, "cyberbullying_of_staff",
                                                    rng.choice(("TikTok", "tik tok"))))
    incidents.sort(key=lambda incident: (incident.reported, incident.school))
    for number, incident in enumerate(incidents, start=1):
        incident.cells["Incident ID"] = f"SYN-INC-{number:06d}"
    return incidents


def _nearest(incidents: list[_Incident], moment: datetime, taken: set[int],
             usable: Callable[[_Incident], bool] = lambda incident: True) -> int:
    """The index of the usable incident reported nearest to a moment and not already taken."""
    candidates = [i for i, incident in enumerate(incidents) if i not in taken and usable(incident)]
    return min(candidates, key=lambda i: (abs((incidents[i].reported - moment).total_seconds()), i))


def _incident_rows(incidents: list[_Incident],
                   errors: list[DeliberateError]) -> list[list[str]]:
    """Incident rows with the deliberate errors and one re-exported incident appended at the end."""
    taken: set[int] = set()
    # An incident from an unfamiliar platform: kept as Other with the raw text.
    mastodon = _nearest(incidents, incidents[len(incidents) // 3].reported, taken)
    incidents[mastodon].cells["Platform"] = "Mastodon"
    taken.add(mastodon)

    def spoil(index: int, column: str, value: str, rule: str) -> None:
        incidents[index].cells[column] = value
        taken.add(index)
        errors.append(DeliberateError("incidents", INCIDENTS_FILE, index + 2, column, value, rule))

    span = incidents[-1].reported - incidents[0].reported
    at = [incidents[0].reported + span * fraction for fraction in (0.12, 0.3, 0.45, 0.58, 0.7, 0.82, 0.9)]
    spoil(_nearest(incidents, at[0], taken), "Reported At", "", "missing reported_at (required)")
    spoil(_nearest(incidents, datetime(2025, 3, 3, 9), taken, lambda i: i.posted is not None),
          "Posted At", "31/02/2025", "unparseable date (there is no 31 February)")
    index = _nearest(incidents, at[2], taken, lambda i: i.posted is not None and i.removed is not None)
    too_early = incidents[index].posted - timedelta(days=2)
    spoil(index, "Removed At", _uk_datetime(too_early, "plain"), "removed_at earlier than posted_at")
    spoil(_nearest(incidents, at[3], taken), "Shares", "-3", "negative shares")
    spoil(_nearest(incidents, at[4], taken), "Severity", "urgent",
          "unknown severity (not low, medium, high, critical)")
    spoil(_nearest(incidents, at[5], taken), "Platforms Reached", "0", "platforms_reached below 1")
    spoil(_nearest(incidents, at[6], taken), "Shares", "approx 40", "non-integer count")

    # An incident exported while still visible and again, complete, in a later export.
    updated = _nearest(incidents, at[1], taken, lambda i: i.removed is not None and i.requested is not None)
    taken.add(updated)
    later_row = [incidents[updated].cells[header] for header in INCIDENT_HEADERS]
    incidents[updated].cells["Removed At"] = ""
    rows = [[incident.cells[header] for header in INCIDENT_HEADERS] for incident in incidents]
    rows.append(later_row)
    errors.append(DeliberateError(
        "incidents", INCIDENTS_FILE, updated + 2, "Incident ID", later_row[0],
        f"duplicate id in file: row {len(rows) + 1} repeats it with Removed At filled in, and the later row wins"))
    return rows


def _breach_rows(rng: random.Random, incidents: list[_Incident], staff: list[_StaffMember], today: date,
                 errors: list[DeliberateError]) -> list[list[Any]]:
    """Breach investigations: a handful a year, most arising from an incident about staff conduct."""
    cases: list[dict[str, Any]] = []
    linked: set[int] = set()
    for _, start, end in _academic_years(today):
        for school in SCHOOLS:
            for _ in range(rng.randint(1, 3) + (1 if school.headcount > 100 else 0)):
                candidates = [i for i, incident in enumerate(incidents)
                              if incident.school == school.name and incident.category in _STAFF_CONDUCT
                              and start <= incident.reported.date() <= end and i not in linked]
                if candidates and rng.random() < 0.65:
                    source = rng.choice(candidates)
                    linked.add(source)
                    incident = incidents[source]
                    opened = incident.reported.date() + timedelta(days=rng.randint(0, 7))
                    rule, incident_id = incident.cells["Category"], incident.cells["Incident ID"]
                else:
                    opened = _report_day(rng, start, end - timedelta(days=1))
                    category = rng.choice(_STAFF_CONDUCT)
                    rule, incident_id = rng.choice(_CATEGORY_SPELLINGS[category][0]), ""
                if opened > today:
                    continue
                on_roster = [m for m in staff if m.school == school.name and m.group in (
                    "teaching", "support", "leadership", "contractor", "volunteer")
                    and (m.start is None or m.start <= opened) and (m.leave is None or m.leave >= opened)]
                member = rng.choice(on_roster)
                closed: date | None = opened + timedelta(days=rng.randint(7, 90))
                outcome = _weighted(rng, _OUTCOMES)
                if closed > today:
                    closed, outcome = None, ""
                impact = _weighted(rng, (("Low", 30), ("medium", 25), ("Medium", 10), ("High", 10), ("", 15)))
                cases.append({"Incident ID": incident_id, "School": school.name, "Staff Ref": member.ref,
                              "Opened At": opened, "Closed At": closed, "Rule": rule, "Impact": impact,
                              "Outcome": outcome, "Case Officer": rng.choice(_CASE_OFFICERS)})
    cases.sort(key=lambda case: (case["Opened At"], case["School"], case["Staff Ref"]))
    for number, case in enumerate(cases, start=1):
        case["Breach ID"] = f"SYN-BR-{number:04d}"

    closed_cases = [i for i, case in enumerate(cases) if case["Closed At"] is not None]
    # Closed date keyed with last year's year: closed before it was opened.
    wrong = closed_cases[len(closed_cases) // 2]
    intended = cases[wrong]["Closed At"]
    typo = intended.replace(year=intended.year - 1, day=min(intended.day, 28))
    cases[wrong]["Closed At"] = typo
    errors.append(DeliberateError("breaches", BREACHES_FILE, wrong + 2, "Closed At", f"{typo:%d/%m/%Y}",
                                  "closed_at earlier than opened_at"))
    # A closed date typed as text rather than entered as an Excel date: valid, read day-first.
    typed = closed_cases[len(closed_cases) // 4]
    cases[typed]["Closed At"] = f"{cases[typed]['Closed At']:%d/%m/%Y}"
    return [[case[header] for header in BREACH_HEADERS] for case in cases]


@dataclass
class _DemoTrust:
    incidents: list[list[str]]
    breaches: list[list[Any]]
    acknowledgements: list[list[str]]
    errors: list[DeliberateError]


def _build_demo(seed: int, today: date) -> _DemoTrust:
    """Build every demo row in memory; separate random streams keep each export stable."""
    errors: list[DeliberateError] = []
    staff = _build_roster(random.Random(f"{seed}:roster"), today)
    incidents = _build_incidents(random.Random(f"{seed}:incidents"), today)
    acknowledgements = _acknowledgement_rows(random.Random(f"{seed}:acknowledgements"), staff, today, errors)
    breaches = _breach_rows(random.Random(f"{seed}:breaches"), incidents, staff, today, errors)
    incident_rows = _incident_rows(incidents, errors)
    return _DemoTrust(incident_rows, breaches, acknowledgements, errors)


def deliberate_errors(seed: int = 2024, today: date = date(2026, 7, 20)) -> list[DeliberateError]:
    """The rows `generate_demo_exports` breaks on purpose, with the rule each one breaks."""
    return sorted(_build_demo(seed, today).errors, key=lambda error: (error.kind, error.row))


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------

def _write_csv(path: Path, headers: Sequence[str], rows: list[list[str]], encoding: str, delimiter: str) -> None:
    """Write a CSV with Windows line endings, as Excel and most school systems do."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerows(rows)


_FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def _write_xlsx(path: Path, headers: Sequence[str], rows: list[list[Any]], stamp: datetime) -> None:
    """Write the breaches workbook with native Excel dates, byte-identical for identical rows."""
    from openpyxl import Workbook  # a dependency of the plain install, so that `demo` needs no extra

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Breaches"
    sheet.append(list(headers))
    for values in rows:
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, date):
                cell.number_format = "DD/MM/YYYY"
    for letter, width in zip("ABCDEFGHIJ", (14, 16, 24, 12, 12, 12, 22, 10, 20, 14)):
        sheet.column_dimensions[letter].width = width
    # A second sheet, as HR workbooks often have, holding the drop-down lists: not data.
    lists = workbook.create_sheet("Lists")
    lists.append(["Outcome"])
    for outcome in ("No case to answer", "Informal advice", "Written warning", "Final warning",
                    "Dismissal", "Referred to police"):
        lists.append([outcome])
    workbook.properties.creator = "policy-analytics synthetic generator"
    workbook.properties.created = stamp

    buffer = io.BytesIO()
    workbook.save(buffer)
    # openpyxl stamps the save time into docProps/core.xml and every zip entry: pin both.
    iso = f"{stamp:%Y-%m-%dT%H:%M:%SZ}"
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(
            path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + iso.encode() + rb"\g<2>", data)
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, data)


def generate_demo_exports(out_dir: Path, seed: int = 2024, today: date = date(2026, 7, 20)) -> dict[str, list[Path]]:
    """Write synthetic incidents, breaches and acknowledgements exports for a three-school trust."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    trust = _build_demo(seed, today)
    incidents = out_dir / INCIDENTS_FILE
    breaches = out_dir / BREACHES_FILE
    acknowledgements = out_dir / ACKNOWLEDGEMENTS_FILE
    # A case-management system's export: UTF-8 with a byte-order mark, comma separated.
    _write_csv(incidents, INCIDENT_HEADERS, trust.incidents, "utf-8-sig", ",")
    _write_xlsx(breaches, BREACH_HEADERS, trust.breaches, datetime.combine(today, datetime.min.time()))
    # The HR roster saved from Excel as "CSV" in a European locale: Windows-1252, semicolons.
    _write_csv(acknowledgements, ACKNOWLEDGEMENT_HEADERS, trust.acknowledgements, "cp1252", ";")
    return {"incidents": [incidents], "breaches": [breaches], "acknowledgements": [acknowledgements]}


DEMO_SETTINGS_FILE = "settings.toml"


def write_demo_settings(out_dir: Path, organisation: str = "Synthetic Academy Trust") -> Path:
    """Write the settings TOML that goes with the demo exports: the synthetic trust and its schools."""
    schools = ", ".join(f'"{school.name}"' for school in SCHOOLS)
    path = Path(out_dir) / DEMO_SETTINGS_FILE
    path.write_text(
        "# Settings for the SYNTHETIC demo trust (policy-analytics demo). Every other key takes its default.\n"
        f'[organisation]\nname = "{organisation}"\nschools = [{schools}]\n\n'
        f'[policy]\nversion = "{CURRENT_POLICY_VERSION}"\n',
        encoding="utf-8",
    )
    return path


# ---------------------------------------------------------------------------------------------
# Benchmark-scale exports, generated inside DuckDB
# ---------------------------------------------------------------------------------------------

def _sql_list(values: Sequence[str]) -> str:
    """A DuckDB list literal of strings."""
    return "[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]"


def _expand(weighted: Sequence[tuple[str, int]]) -> list[str]:
    """Repeat each value by its weight so a uniform pick from the list follows the weights."""
    return [value for value, weight in weighted for _ in range(weight)]


def _uk_sql(column: str, style: str) -> str:
    """SQL writing a timestamp column day-first in one of three shapes chosen by a uniform `style`."""
    return (f"CASE WHEN {column} IS NULL THEN NULL "
            f"WHEN {style} < 0.80 THEN strftime({column}, '%d/%m/%Y %H:%M') "
            f"WHEN {style} < 0.95 THEN strftime({column}, '%-d/%-m/%Y %H:%M') "
            f"ELSE strftime({column}, '%d/%m/%Y %H:%M:%S') END")


def _scale_sql(n_incidents: int, n_breaches: int, n_staff: int, n_schools: int, seed: int) -> dict[str, str]:
    """The three SELECT statements that produce the scale exports."""
    names = list(_CATEGORY_SPELLINGS)
    category_pick = "[" + ", ".join(str(index + 1) for index, name in enumerate(names)
                                    for _ in range(_CATEGORY_SPELLINGS[name][1])) + "]"
    spellings = "[" + ", ".join(_sql_list(_CATEGORY_SPELLINGS[name][0]) for name in names) + "]"
    descriptions = "[" + ", ".join(_sql_list([f"{DESCRIPTION_PREFIX} {text}" for text in SYNTHETIC_DESCRIPTIONS[name]])
                                   for name in names) + "]"
    platforms = _sql_list(_expand(_PLATFORM_SPELLINGS) + ["Mastodon"])
    severities = _sql_list(["Low"] * 6 + ["low"] * 3 + ["Medium"] * 5 + ["medium"] * 2 + ["High"] * 3 + ["Critical"])
    submitters = _sql_list(_expand(_SUBMITTERS))
    yes, no = _sql_list(list(_YES)), _sql_list(list(_NO))
    id_width = max(6, len(str(n_incidents)))
    breach_width = max(4, len(str(n_breaches)))
    staff_width = max(4, len(str(n_staff)))
    named = _sql_list([school.name for school in SCHOOLS])
    school = (f"CASE WHEN {{s}} < 3 THEN {named}[{{s}} + 1] "
              f"ELSE 'Synthetic School ' || lpad(({{s}} + 1)::VARCHAR, 5, '0') END")
    pick = "{list}[1 + floor(u({i}, {k}) * len({list}))::BIGINT]"
    flag = "nullif(CASE WHEN u(i, {k}) < {p} THEN {yes}[1 + floor(u(i, {k2}) * 6)::BIGINT] " \
           "ELSE {no}[1 + floor(u(i, {k2}) * 7)::BIGINT] END, '')"

    incidents = f"""
    WITH base AS (
        SELECT i,
            floor(u(i, 1) * 3)::INTEGER AS year_index,
            u(i, 2) AS season, u(i, 3) AS day_pick, u(i, 4) AS minute_pick,
            u(i, 5) AS response, u(i, 6) AS style, u(i, 7) AS posted_pick,
            {category_pick}[1 + floor(u(i, 15) * {len(category_pick.split(","))})::BIGINT] AS c
        FROM range({n_incidents}) AS t(i)
    ), timeline AS (
        SELECT *,
            DATE '2023-09-01' + INTERVAL (year_index) YEAR AS year_start,
            CASE WHEN year_index = 2 THEN 321 ELSE 365 END AS year_days
        FROM base
    ), reported AS (
        SELECT *,
            year_start
              + to_days(CASE WHEN season < 0.47 THEN floor(day_pick * 122)::INTEGER
                             ELSE 122 + floor(day_pick * (year_days - 122))::INTEGER END)
              + to_minutes(420 + floor(minute_pick * 720)::BIGINT) AS reported_at
        FROM timeline
    ), timed AS (
        SELECT *,
            CASE WHEN posted_pick < 0.12 THEN NULL
                 ELSE reported_at - to_minutes(floor(5760 * u(i, 8) * u(i, 8))::BIGINT) END AS posted_at,
            CASE WHEN response < 0.88 * 0.78 THEN 30 + floor(1404 * pow(u(i, 9), 1.5))::BIGINT
                 WHEN response < 0.88 * 0.93 THEN 1500 + floor(2820 * u(i, 9))::BIGINT
                 ELSE NULL END AS minutes_to_removal
        FROM reported
    ), shaped AS (
        SELECT *,
            CASE WHEN response < 0.88 AND u(i, 10) < 0.85
                 THEN reported_at + to_minutes(6 + floor(least(360 * u(i, 11),
                                                         coalesce(minutes_to_removal, 360) / 2))::BIGINT)
            END AS removal_requested_at,
            reported_at + to_minutes(minutes_to_removal) AS removed_at,
            i % 1000 = 499 AS spoilt, (i // 1000) % 5 AS spoil_rule
        FROM timed
    )
    SELECT
        'SYN-INC-' || lpad((i + 1)::VARCHAR, {id_width}, '0') AS "Incident ID",
        {school.format(s=f"(hash(i, 12, {seed}) % {n_schools})::BIGINT")} AS "School",
        CASE WHEN spoilt AND spoil_rule = 0 THEN NULL ELSE {_uk_sql('reported_at', 'style')} END AS "Reported At",
        CASE WHEN spoilt AND spoil_rule = 1 THEN '31/02/2025'
             WHEN spoilt AND spoil_rule = 2 THEN strftime(reported_at - INTERVAL 1 DAY, '%d/%m/%Y %H:%M')
             WHEN u(i, 13) < 0.3 THEN strftime(posted_at, '%d/%m/%Y')
             ELSE {_uk_sql('posted_at', 'style')} END AS "Posted At",
        {_uk_sql('removal_requested_at', 'style')} AS "Removal Requested At",
        CASE WHEN spoilt AND spoil_rule = 2 THEN strftime(reported_at - INTERVAL 5 DAY, '%d/%m/%Y %H:%M')
             ELSE {_uk_sql('removed_at', 'style')} END AS "Removed At",
        {pick.format(list=platforms, i='i', k=14)} AS "Platform",
        {pick.format(list=f"{spellings}[c]", i='i', k=32)} AS "Category",
        nullif({pick.format(list=submitters, i='i', k=16)}, '') AS "Submitted By",
        CASE WHEN spoilt AND spoil_rule = 4 THEN 'urgent'
             ELSE {pick.format(list=severities, i='i', k=17)} END AS "Severity",
        {flag.format(k=18, k2=19, p=0.15, yes=yes, no=no)} AS "Safeguarding",
        {flag.format(k=20, k2=21, p=0.04, yes=yes, no=no)} AS "Police Referral",
        {flag.format(k=22, k2=23, p=0.06, yes=yes, no=no)} AS "ISP Escalation",
        {flag.format(k=24, k2=25, p=0.45, yes=yes, no=no)} AS "Support Offered",
        CASE WHEN spoilt AND spoil_rule = 3 THEN -3
             WHEN u(i, 26) < 0.1 THEN NULL
             ELSE least(floor(1 / (1 - u(i, 27) * 0.999999))::BIGINT - 1, 2500) END AS "Shares",
        CASE WHEN u(i, 28) < 0.08 THEN NULL
             ELSE [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 4][1 + floor(u(i, 29) * 20)::BIGINT]
        END AS "Platforms Reached",
        {pick.format(list=f"{descriptions}[c]", i='i', k=30)} AS "Description",
        {pick.format(list=_sql_list(_LOGGED_BY), i='i', k=31)} AS "Logged By"
    FROM shaped
    """

    groups = _sql_list(_expand([(group, round(share * 100)) for group, share in _GROUP_SHARES]))
    staff_school = f"(k % {n_schools})"
    ack_rate = "CASE grp " + " ".join(f"WHEN '{group}' THEN {rate}" for group, rate in _ACK_RATE.items()) + " END"
    acknowledgements = f"""
    WITH staff AS (
        SELECT k,
            {groups}[1 + floor(u(k, 41) * len({groups}))::BIGINT] AS grp,
            CASE WHEN u(k, 42) < 0.25 THEN NULL
                 ELSE DATE '2004-09-01' + to_days(floor(u(k, 43) * 8000)::INTEGER) END AS start_date,
            u(k, 44) AS leave_pick, u(k, 45) AS ack_pick
        FROM range({n_staff}) AS t(k)
    ), dated AS (
        SELECT *,
            CASE WHEN leave_pick < 0.15
                 THEN greatest(coalesce(start_date, DATE '2023-09-01'), DATE '2023-09-01')
                      + to_days(30 + floor(u(k, 46) * 900)::INTEGER) END AS leave_date,
            greatest(DATE '2024-10-07', coalesce(start_date, DATE '2024-10-07'))
              + to_days(floor(60 * u(k, 47) * u(k, 47))::INTEGER) + to_minutes(450 + floor(u(k, 48) * 630)::BIGINT)
              AS ack_at
        FROM staff
    )
    SELECT
        'SYN-S' || lpad((k + 1)::VARCHAR, {staff_width}, '0') AS "Staff Ref",
        {school.format(s=staff_school)} AS "School",
        CASE WHEN u(k, 49) < 0.7 THEN upper(grp[1]) || grp[2:] ELSE grp END AS "Staff Group",
        CASE WHEN grp IN ('governor', 'volunteer') THEN NULL
             ELSE ['Full time', 'Full time', 'full-time', 'Part time', 'part_time', 'Fixed term'][1 + floor(u(k, 50) * 6)::BIGINT]
        END AS "Employment",
        strftime(start_date, '%d/%m/%Y') AS "Start Date",
        strftime(leave_date, '%d/%m/%Y') AS "Leave Date",
        '{CURRENT_POLICY_VERSION}' AS "Policy Version",
        CASE WHEN ack_pick < {ack_rate} AND ack_at < TIMESTAMP '2026-07-20'
                  AND (leave_date IS NULL OR ack_at::DATE <= leave_date)
             THEN {_uk_sql('ack_at', f'u(k, 51)')} END AS "Acknowledged At"
    FROM dated
    """

    outcomes = _sql_list(_expand(_OUTCOMES))
    conduct = _sql_list([spelling for name in _STAFF_CONDUCT for spelling in _CATEGORY_SPELLINGS[name][0]])
    per_school = max(1, n_staff // n_schools)
    breaches = f"""
    WITH base AS (
        SELECT b,
            floor(u(b, 61) * {n_incidents})::BIGINT AS source,
            u(b, 62) < 0.65 AS linked,
            DATE '2023-09-01' + to_days(floor(u(b, 63) * 1050)::INTEGER) AS opened_at,
            u(b, 64) AS close_pick
        FROM range({n_breaches}) AS t(b)
    ), placed AS (
        SELECT *,
            CASE WHEN linked THEN (hash(source, 12, {seed}) % {n_schools})::BIGINT
                 ELSE floor(u(b, 65) * {n_schools})::BIGINT END AS s,
            CASE WHEN close_pick < 0.85 THEN opened_at + to_days(7 + floor(u(b, 66) * 84)::INTEGER) END AS closed_at
        FROM base
    )
    SELECT
        'SYN-BR-' || lpad((b + 1)::VARCHAR, {breach_width}, '0') AS "Breach ID",
        CASE WHEN linked THEN 'SYN-INC-' || lpad((source + 1)::VARCHAR, {id_width}, '0') END AS "Incident ID",
        {school.format(s='s')} AS "School",
        'SYN-S' || lpad((least(s + {n_schools} * floor(u(b, 67) * {per_school})::BIGINT, {n_staff - 1}) + 1)::VARCHAR,
                        {staff_width}, '0') AS "Staff Ref",
        strftime(opened_at, '%d/%m/%Y') AS "Opened At",
        CASE WHEN u(b, 68) < 0.85 THEN strftime(closed_at, '%d/%m/%Y')
             ELSE strftime(closed_at, '%-d/%-m/%Y') END AS "Closed At",
        {pick.format(list=conduct, i='b', k=69)} AS "Rule",
        ['Low', 'Low', 'medium', 'Medium', 'High', NULL][1 + floor(u(b, 70) * 6)::BIGINT] AS "Impact",
        CASE WHEN closed_at IS NOT NULL THEN {pick.format(list=outcomes, i='b', k=71)} END AS "Outcome"
    FROM placed
    """
    return {"incidents": incidents, "breaches": breaches, "acknowledgements": acknowledgements}


SCALE_SCHOOLS = 50  # a large trust; the same at every scale, so that a benchmark's growth is the data's


def generate_scale_exports(out_dir: Path, n_incidents: int, seed: int = 7, schools: int = SCALE_SCHOOLS) -> dict[str, Path]:
    """Write large synthetic CSV exports (n incidents, n/50 breaches, n/20 roster rows) with DuckDB."""
    import duckdb

    if n_incidents < 1:
        raise ValueError("n_incidents must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    n_breaches, n_staff = n_incidents // 50, max(1, n_incidents // 20)
    if schools < 1:
        raise ValueError("schools must be at least 1")
    n_schools = min(schools, n_staff)  # every school has staff on the roster
    spill = out_dir / ".duckdb_spill"
    connection = duckdb.connect(config={"memory_limit": "1GB", "temp_directory": str(spill)})
    paths = {kind: out_dir / f"{kind}.csv" for kind in ("incidents", "breaches", "acknowledgements")}
    try:
        # A uniform number in [0, 1) from the row number: hash-based, so parallel runs agree.
        connection.execute(f"CREATE MACRO u(i, k) AS (hash(i, k, {int(seed)}) % 1000003) / 1000003.0")
        for kind, query in _scale_sql(n_incidents, n_breaches, n_staff, n_schools, int(seed)).items():
            target = str(paths[kind]).replace("'", "''")
            connection.execute(f"COPY ({query}) TO '{target}' (HEADER, DELIMITER ',')")
    finally:
        connection.close()
        shutil.rmtree(spill, ignore_errors=True)
    return paths


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    """Write synthetic exports: the demo trust, or benchmark files with --scale N."""
    parser = argparse.ArgumentParser(
        prog="python -m policy_analytics.synthetic",
        description="Write synthetic (made-up) policy exports: a demo trust, or benchmark-scale files.")
    parser.add_argument("out_dir", type=Path, help="directory to write the exports into")
    parser.add_argument("--scale", type=int, metavar="N",
                        help="write benchmark CSVs with N incidents (N/50 breaches, N/20 roster rows)")
    parser.add_argument("--seed", type=int, help="random seed (default 2024 for the demo, 7 for --scale)")
    parser.add_argument("--schools", type=int, default=SCALE_SCHOOLS, metavar="S",
                        help=f"with --scale: how many schools the incidents are spread over (default {SCALE_SCHOOLS})")
    options = parser.parse_args(argv)
    started = time.perf_counter()
    if options.scale is not None:
        if options.scale < 1:
            parser.error("--scale must be at least 1")
        if options.schools < 1:
            parser.error("--schools must be at least 1")
        written = generate_scale_exports(options.out_dir, options.scale,
                                         seed=7 if options.seed is None else options.seed, schools=options.schools)
        files = list(written.values())
    else:
        demo = generate_demo_exports(options.out_dir, seed=2024 if options.seed is None else options.seed)
        files = [path for paths in demo.values() for path in paths]
    for path in files:
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    print(f"synthetic exports written in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
