"""The publication plan: every protected count a year's reports print, how they are related, and one
decision per count (shown, `<N`, withheld or not shown), made before any report renders.

A family is an academic year's reports: the three termly reports and the annual one, for the
organisation and for every school (their "last term" and "year before" columns included). Its
figures come in as plain data (the indicator dictionaries, keyed by scope and period), so whatever
computes them can hand them over. The counts protected are the breach investigations (opened,
closed, open at the end, by outcome, by rule) and the staff in post and who have read the policy,
by staff group. Each count is a `Cell`; the `Relation`s are what any reader of all the reports
knows about them (schools add up to the organisation, terms to the year, staff groups to All
staff, outcomes to closed, rules to opened, open at the start + opened - closed = open at the end,
a group's readers are no more than its staff).

`decide` makes the one decision: what to publish at all (breaches for the organisation only, coarser
still where needed: `BREACH_LEVELS`, `STAFF_LEVELS`), primary suppression (`<N` for 1 to N-1; a total
below N not broken down; a small group's readers withheld), then secondary suppression driven by the
auditor (`audit.audit`): while a protected cell can be narrowed, the smallest shown count of N or more
(else a zero) in a relation through it is withheld (`[c]`), schools and terms before the organisation
and the year, parts before totals. `per_table_plan` is what the reports printed before, for comparison.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

SHOWN, SMALL, WITHHELD, NOT_SHOWN = "shown", "small", "withheld", "not shown"
ORGANISATION = ""  # the scope of the organisation's figures (a school's scope is its name)
TOTAL = ""  # the item of a total (All staff, or a breakdown's total)
BREACH_TOTALS = ("opened", "closed", "open_at_end")
BREAKDOWNS = {"by_outcome": "closed", "by_rule": "opened"}  # a breakdown and the total it adds up to
STAFF, READ = "staff", "read"
STORED, ROWS = "stored", "rows"  # the "About the data" table's rows stored: (ORGANISATION, STORED, ROWS, export)

NOT_PUBLISHED = "–"  # a count not shown (a part of a total below N)
Key = tuple[str, str, str, str]  # (scope, period label, measure, item)


@dataclass(frozen=True)
class Relation:
    """A linear fact every reader knows: sum(coefficient * cell) == 0, or <= 0 when `at_most`."""

    route: str
    terms: tuple[tuple[Key, int], ...]
    at_most: bool = False


@dataclass
class Plan:
    """The family's cells (true value and status), their relations, and the threshold N."""

    year: str
    threshold: int
    values: dict[Key, int]
    status: dict[Key, str]
    relations: list[Relation]
    periods: dict[str, str] = field(default_factory=dict)  # role (T1 T2 T3 Y PT3 PY) -> label
    previous: dict[str, str] = field(default_factory=dict)  # period label -> its comparison period's label
    schools: list[str] = field(default_factory=list)
    rounds: int = 0
    unsafe: list = field(default_factory=list)  # the auditor's unsafe findings for the decision made
    levels: dict[str, int] = field(default_factory=dict)  # breach_level and staff_level chosen

    def text(self, key: Key) -> str:
        """The printed text of one cell: the number, '<N', '[c]', or '' when it is not shown."""
        state = self.status.get(key, SHOWN)
        if state == SHOWN:
            return f"{self.values.get(key, 0):,}"
        if state == SMALL:
            return f"<{self.threshold}"
        return "[c]" if state == WITHHELD else ""

    def lower_bound(self, key: Key) -> int:
        """The least value a reader who knows the rules gives a cell from its symbol alone."""
        state = self.status.get(key, SHOWN)
        if state == SHOWN:
            return self.values.get(key, 0)
        if state == SMALL:
            return 1
        return 0  # '[c]' is 0 or N and more (the auditor knows the gap); a count not shown is 0 or more

    def upper_bound(self, key: Key) -> int | None:
        """The greatest value from the symbol alone (None: no bound)."""
        state = self.status.get(key, SHOWN)
        if state == SHOWN:
            return self.values.get(key, 0)
        if state == SMALL:
            return self.threshold - 1
        return None

    def withheld(self) -> list[Key]:
        """The cells not printed as a number, in order."""
        return [k for k in self.values if self.status.get(k, SHOWN) != SHOWN]


def _count(ind: Mapping[str, Any] | None, section: str, name: str) -> int:
    value = ((ind or {}).get(section) or {}).get(name)
    return int(value or 0)


@dataclass(frozen=True)
class Family:
    """A year's figures as plain data: for each (scope, period label), the indicator dictionary
    (only its `breaches` and `acknowledgements` parts are read)."""

    year: str
    periods: dict[str, str]  # role -> label: T1 T2 T3 (terms), Y (year), PT3 (term before T1), PY (year before)
    ends: dict[str, date]  # period label -> last day
    schools: list[str]
    figures: dict[tuple[str, str], Mapping[str, Any]]


BREACH_LEVELS = ("by term and for the year", "for the year", "for the year, opened and closed only", "not at all")
STAFF_LEVELS = ("by school and staff group", "by school, and by staff group for the organisation",
                "for the organisation only", "not at all")


def cells_of(family: Family, *, breaches_by_school: bool = False, breach_level: int = 0,
             staff_level: int = 0) -> dict[Key, int]:
    """Every protected count the family prints, with its true value (zeros included).

    Breach investigations are published for the organisation only, at BREACH_LEVEL (`BREACH_LEVELS`; breakdowns
    by outcome and rule for the year only): a school, or a term, has too few for a breakdown to be safe. Staff in
    post and who have read the policy at STAFF_LEVEL (`STAFF_LEVELS`). BREACHES_BY_SCHOOL: the breach counts
    the reports printed before the plan (every school, every breakdown by term)."""
    p = family.periods
    scopes = [ORGANISATION, *family.schools]
    current = [p["T1"], p["T2"], p["T3"], p["Y"]]
    outcomes, rules, groups = _items(family, "by_outcome"), _items(family, "by_rule"), _groups(family)
    values: dict[Key, int] = {}
    years = [*current, p["PT3"], p["PY"]] if breaches_by_school or breach_level == 0 else [p["Y"], p["PY"]]
    totals = BREACH_TOTALS if breach_level < 2 else ("opened", "closed")
    for scope in scopes if breaches_by_school else [ORGANISATION] * (breach_level < 3):
        for label in years:
            ind = family.figures.get((scope, label))
            for measure in totals:
                values[(scope, label, measure, TOTAL)] = _count(ind, "breaches", measure)
        for label in current if breaches_by_school else [p["Y"]] * (breach_level < 2):
            b = (family.figures.get((scope, label)) or {}).get("breaches") or {}
            for breakdown, items in (("by_outcome", outcomes), ("by_rule", rules)):
                for item in items:
                    values[(scope, label, breakdown, item)] = int((b.get(breakdown) or {}).get(item) or 0)
    for scope in [ORGANISATION] if staff_level >= 2 else scopes:
        for label in [*current, p["PT3"], p["PY"]] if staff_level < 3 else []:
            ack = (family.figures.get((scope, label)) or {}).get("acknowledgements") or {}
            values[(scope, label, STAFF, TOTAL)] = int(ack.get("active_staff") or 0)
            values[(scope, label, READ, TOTAL)] = int(ack.get("acknowledged") or 0)
            if label not in current:
                continue  # a comparison period: its coverage is printed beside this period's, its groups are not
            for g in groups if staff_level == 0 or (staff_level == 1 and scope == ORGANISATION) else []:
                fig = (ack.get("by_group") or {}).get(g) or {}
                values[(scope, label, STAFF, g)] = int(fig.get("active_staff") or 0)
                values[(scope, label, READ, g)] = int(fig.get("acknowledged") or 0)
    stored = (family.figures.get((ORGANISATION, p["Y"])) or {}).get("data") or {}
    for export, decided in (("breaches", breaches_by_school or breach_level < len(BREACH_LEVELS)),
                            ("acknowledgements", staff_level < len(STAFF_LEVELS))):
        if decided:  # every report prints the warehouse's rows (published or not): a count like any other
            values[(ORGANISATION, STORED, ROWS, export)] = int((stored.get(export) or {}).get("stored") or 0)
    return values


def _items(family: Family, breakdown: str) -> list[str]:
    found: set[str] = set()
    for ind in family.figures.values():
        found |= {str(k) for k in ((ind.get("breaches") or {}).get(breakdown) or {})}
    return sorted(found)


def _groups(family: Family) -> list[str]:
    found: set[str] = set()
    for ind in family.figures.values():
        found |= {str(k) for k in ((ind.get("acknowledgements") or {}).get("by_group") or {})}
    return sorted(found)


def relations_of(family: Family, values: Mapping[Key, int]) -> list[Relation]:
    """What a reader of every report knows about the cells; only facts that hold for the figures are kept
    (with term dates that leave holidays out, terms need not add up to the year)."""
    p = family.periods
    terms, year = [p["T1"], p["T2"], p["T3"]], p["Y"]
    found: list[Relation] = []

    def add(route: str, whole: Key, parts: Iterable[Key], at_most: bool = False) -> None:
        parts = [k for k in parts if k in values]
        if whole not in values or not parts:
            return
        relation = Relation(route, ((whole, -1), *((k, 1) for k in parts)), at_most)
        total = sum(c * values[k] for k, c in relation.terms)
        if total == 0 or (at_most and total < 0):
            found.append(relation)

    measures = {(k[1], k[2], k[3]) for k in values}
    for label, measure, item in sorted(measures):
        add("schools add up to the organisation", (ORGANISATION, label, measure, item),
            [(s, label, measure, item) for s in family.schools])
    scopes = [ORGANISATION, *family.schools]
    for scope in scopes:
        for label, measure, item in sorted(measures):
            if label == year and measure in ("opened", "closed", "by_outcome", "by_rule"):
                add("terms add up to the year", (scope, year, measure, item), [(scope, t, measure, item) for t in terms])
        for label in [*terms, year, p["PT3"], p["PY"]]:
            for breakdown, whole in BREAKDOWNS.items():
                parts = [k for k in values if k[:3] == (scope, label, breakdown)]
                add(f"{'outcomes' if breakdown == 'by_outcome' else 'rules'} add up to {whole}",
                    (scope, label, whole, TOTAL), parts)
            for measure in (STAFF, READ):
                parts = [k for k in values if k[:3] == (scope, label, measure) and k[3] != TOTAL]
                add("staff groups add up to All staff", (scope, label, measure, TOTAL), parts)
            for k in [k for k in values if k[:3] == (scope, label, READ)]:
                add(AT_MOST, (scope, label, STAFF, k[3]), [k], at_most=True)
        chain = [p["PT3"], *terms]
        for before, after in zip(chain, chain[1:]):
            _flow(found, values, scope, before, after)
        _flow(found, values, scope, p["PY"], year)
        for a, b in ((year, p["T3"]), (p["PY"], p["PT3"])):
            if family.ends.get(a) == family.ends.get(b):
                for measure in ("open_at_end",):
                    add(SAME_COUNT, (scope, a, measure, TOTAL), [(scope, b, measure, TOTAL)])
        for a, b in ((year, p["T3"]), (p["PY"], p["PT3"])):
            if family.ends.get(a) == family.ends.get(b):
                for k in [k for k in values if k[:2] == (scope, a) and k[2] in (STAFF, READ)]:
                    add(SAME_COUNT, k, [(scope, b, k[2], k[3])])
    org = ORGANISATION
    rows = (org, STORED, ROWS, "breaches")
    for apart in (((p["PY"], "closed"), (p["PY"], "open_at_end"), (year, "opened")),  # investigations no two of
                  ((p["PY"], "opened"), (year, "opened")),                            # these can both count
                  ((p["PY"], "closed"), (year, "closed"), (year, "open_at_end"))):
        add(STORED_ROWS, rows, [(org, label, measure, TOTAL) for label, measure in apart], at_most=True)
    for k in [k for k in values if k[0] == org and k[2] == STAFF and k[3] == TOTAL]:
        add(STORED_ROWS, (org, STORED, ROWS, "acknowledgements"), [k], at_most=True)
    return found


def _flow(found: list[Relation], values: Mapping[Key, int], scope: str, before: str, after: str) -> None:
    """Open at the start (the end of BEFORE) + opened - closed = open at the end of AFTER, when it holds."""
    terms = (((scope, after, "open_at_end", TOTAL), -1), ((scope, before, "open_at_end", TOTAL), 1),
             ((scope, after, "opened", TOTAL), 1), ((scope, after, "closed", TOTAL), -1))
    if all(k in values for k, _ in terms) and sum(c * values[k] for k, c in terms) == 0:
        found.append(Relation(FLOW, terms))


SAME_COUNT, FLOW, AT_MOST = ("the same count at the same date", "open at the start + opened - closed = open at the end",
                             "readers are no more than the staff in post")
STORED_ROWS = "the rows stored are no fewer than the counts drawn from them"


def primary(values: Mapping[Key, int], threshold: int, relations: Iterable[Relation] = ()) -> dict[Key, str]:
    """The first decision: '<N' for 1 to N-1; a small group's (or small school's) readers withheld; and a total
    below N not broken down (when two or more of its parts are not zero, its parts are not shown: each would be
    at least 1 and together less than N)."""
    status = {k: SHOWN for k in values}
    if threshold <= 1:
        return status
    for key, v in values.items():
        if key[2] != READ and 0 < v < threshold:
            status[key] = SMALL
        if key[2] == READ and 0 < values.get((key[0], key[1], STAFF, key[3]), 0) < threshold:
            status[key] = WITHHELD
    sums = [r for r in relations if r.route not in (SAME_COUNT, FLOW) and not r.at_most]
    changed = True
    while changed:
        changed = False
        for rel in sums:
            whole = next(k for k, c in rel.terms if c < 0)
            parts = [k for k, c in rel.terms if c > 0]
            split = 0 < values[whole] < threshold and sum(1 for k in parts if values[k]) >= 2
            if split or status[whole] == NOT_SHOWN:  # the parts of a count not shown are not shown either
                for k in parts:
                    if status[k] != NOT_SHOWN:
                        status[k], changed = NOT_SHOWN, True
                        if k[2] == STAFF:
                            read = (k[0], k[1], READ, k[3])
                            status[read] = NOT_SHOWN if read in status else status.get(read)
    return status


def _preference(plan: Plan, key: Key) -> tuple:
    """The order in which shown cells are withheld to protect others: small counts first; a school's
    before the organisation's; a term's before the year's; a part before a total."""
    scope, label, measure, item = key
    return (plan.values[key], scope == ORGANISATION, label in (plan.periods.get("Y"), plan.periods.get("PY")),
            item == TOTAL, key)


def candidates_for(plan: Plan, key: Key, by_cell: Mapping[Key, list[Relation]]) -> list[Key]:
    """The shown cells that could be withheld to protect KEY: those of N or more (else zeros) in a relation
    through it, or else (step by step outwards) through a cell withheld in such a relation."""
    seen, frontier = {key}, [key]
    while frontier:
        near: set[Key] = set()
        for k in frontier:
            for rel in by_cell.get(k, []):
                near |= {c for c, _ in rel.terms if c not in seen}
        shown = [c for c in near if plan.status[c] == SHOWN]
        large = [c for c in shown if plan.values[c] >= plan.threshold]
        chosen = large or [c for c in shown if not plan.values[c]]
        if chosen:
            return sorted(chosen, key=lambda c: _preference(plan, c))
        seen |= near
        frontier = [c for c in near if plan.status[c] != SHOWN]
    return []


def withhold(plan: Plan, key: Key) -> None:
    """Withhold one shown cell to protect others; a staff group's staff and readers go together."""
    plan.status[key] = WITHHELD
    scope, label, measure, item = key
    if measure in (STAFF, READ):
        for m in (STAFF, READ):
            other = (scope, label, m, item)
            if other in plan.status and plan.status[other] == SHOWN:
                plan.status[other] = WITHHELD


def decide(family: Family, threshold: int, *, max_rounds: int = 200) -> Plan:
    """The one suppression decision for the whole family: breaches and staff (which share no relation) each at
    the finest level (`BREACH_LEVELS`, `STAFF_LEVELS`) that primary and secondary suppression make safe; at the
    coarsest, what is left unsafe is kept in `unsafe` (reports refuse the plan)."""
    parts = []
    for option, levels in (("breach_level", BREACH_LEVELS), ("staff_level", STAFF_LEVELS)):
        for level in range(len(levels)):
            other = "staff_level" if option == "breach_level" else "breach_level"
            values = cells_of(family, **{option: level, other: len(levels)})  # the other part: none of it
            part = _decide(family, values, threshold, max_rounds)
            part.levels = {option: level}
            if not part.unsafe or max_rounds == 0:
                break
        parts.append(part)
    first, second = parts
    first.values.update(second.values)
    first.status.update(second.status)
    first.relations += second.relations
    first.unsafe += second.unsafe
    first.rounds += second.rounds
    first.levels.update(second.levels)
    return first


def _decide(family: Family, values: dict[Key, int], threshold: int, max_rounds: int) -> Plan:
    """Primary suppression of VALUES, then secondary until the auditor finds every protected cell safe (or nothing
    is left to withhold)."""
    from policy_analytics.reports.audit import audit

    relations = relations_of(family, values)
    plan = Plan(family.year, int(threshold), values, primary(values, threshold, relations), relations,
                dict(family.periods), _previous_of(family.periods), list(family.schools))
    by_cell: dict[Key, list[Relation]] = {}
    for rel in plan.relations:
        for k, _ in rel.terms:
            by_cell.setdefault(k, []).append(rel)
    memo: dict = {}
    for plan.rounds in range(1, max_rounds + 1):
        unsafe = audit(plan, memo, verdicts_only=True).unsafe
        if not unsafe:
            break
        touched: set[Relation] = set()  # one cell per relation a round: one often protects several
        for finding in unsafe:
            if touched & set(by_cell.get(finding.key, [])):
                continue
            found = candidates_for(plan, finding.key, by_cell)
            if found:
                withhold(plan, found[0])
                touched |= set(by_cell.get(finding.key, [])) | set(by_cell.get(found[0], []))
        if not touched:
            break
    plan.unsafe = audit(plan, memo, verdicts_only=True).unsafe
    return plan


def _previous_of(roles: Mapping[str, str]) -> dict[str, str]:
    return {roles["T1"]: roles["PT3"], roles["T2"]: roles["T1"], roles["T3"]: roles["T2"], roles["Y"]: roles["PY"]}


@dataclass(frozen=True)
class ReportView:
    """What one report of the family prints from the plan: SCOPE (a school, or the organisation) and
    PERIOD (a term or the year; `previous` its comparison period)."""

    plan: Plan
    scope: str
    period: str

    @property
    def previous(self) -> str:
        return self.plan.previous.get(self.period, "")

    def text(self, measure: str, item: str = TOTAL, *, label: str | None = None, scope: str | None = None) -> str | None:
        """A cell's printed text, or None when the plan does not publish that count here."""
        key = (self.scope if scope is None else scope, label or self.period, measure, item)
        return self.plan.text(key) if key in self.plan.values else None

    def shown(self, measure: str, item: str = TOTAL, *, label: str | None = None, scope: str | None = None) -> bool:
        """Whether a cell is printed as a number."""
        key = (self.scope if scope is None else scope, label or self.period, measure, item)
        return self.plan.status.get(key, NOT_SHOWN) == SHOWN

    def share_shown(self, item: str = TOTAL, *, label: str | None = None, scope: str | None = None) -> bool:
        """Whether a share of staff who have read the policy may be printed: both its counts are shown."""
        return self.shown(READ, item, label=label, scope=scope) and self.shown(STAFF, item, label=label, scope=scope)

    def breach_totals(self, label: str | None = None) -> dict[str, str] | None:
        """Opened, closed and open at the end, as printed; None where breaches are not published (a school)."""
        found = {m: self.text(m, label=label, scope=ORGANISATION) for m in BREACH_TOTALS}
        if self.scope != ORGANISATION or found["opened"] is None:
            return None
        return {m: v or NOT_PUBLISHED for m, v in found.items()}

    def breakdown(self, measure: str) -> tuple[dict[str, str], str, bool] | None:
        """A breakdown's printed items (zeros shown are left out), its total and whether it is not shown at all."""
        items = sorted(k[3] for k in self.plan.values if k[:3] == (self.scope, self.period, measure))
        total = self.text(BREAKDOWNS[measure])
        if total is None or not items:
            return None
        status = {i: self.plan.status[(self.scope, self.period, measure, i)] for i in items}
        if all(s == NOT_SHOWN for s in status.values()):
            return {}, total, True
        cells = {i: self.plan.text((self.scope, self.period, measure, i)) for i in items
                 if status[i] != SHOWN or self.plan.values[(self.scope, self.period, measure, i)]}
        return cells, total, False

    def groups(self, label: str | None = None, scope: str | None = None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The staff groups shown '<N', and those withheld ('[c]', or not shown at all), in a report's
        acknowledgement table."""
        scope = self.scope if scope is None else scope
        keys = [k for k in self.plan.values if k[:3] == (scope, label or self.period, STAFF) and k[3] != TOTAL]
        small = tuple(k[3] for k in keys if self.plan.status[k] == SMALL)
        withheld = tuple(k[3] for k in keys if self.plan.status[k] in (WITHHELD, NOT_SHOWN))
        return small, withheld

    def schools_withheld(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The schools whose coverage (All staff who have read it) is withheld: small ones, and others."""
        small = tuple(s for s in self.plan.schools
                      if self.plan.status.get((s, self.period, STAFF, TOTAL)) == SMALL)
        other = tuple(s for s in self.plan.schools if s not in small and
                      self.plan.status.get((s, self.period, READ, TOTAL), NOT_SHOWN) != SHOWN)
        return small, other


REVEALING = (NOT_SHOWN, WITHHELD, SMALL, SHOWN)  # a count printed two ways tells the reader the most revealing


def per_table_plan(family: Family, threshold: int) -> Plan:
    """What the reports printed before the plan, each table deciding alone (`suppression`): kept so that the
    auditor can measure what the plan changes (`policy-analytics audit --per-table`)."""
    from policy_analytics.reports import suppression as rule

    values = cells_of(family, breaches_by_school=True)
    status: dict[Key, str] = {}

    def mark(key: Key, state: str) -> None:
        if key in values:
            old = status.get(key, NOT_SHOWN)
            status[key] = max(old, state, key=REVEALING.index)

    def text_state(key: Key, text: str) -> None:
        mark(key, SMALL if text.startswith("<") else WITHHELD if text == rule.SECONDARY else SHOWN)

    def table(keys: Mapping[str, Key], result: Any) -> None:
        for name, key in keys.items():
            if result.collapsed:
                mark(key, NOT_SHOWN)
            elif name in result.cells:
                text_state(key, result.cells[name])

    p, n = family.periods, threshold
    for (scope, label), ind in family.figures.items():
        totals = rule.breach_totals(ind, n)
        for m in BREACH_TOTALS:
            text_state((scope, label, m, TOTAL), totals[m])
        for breakdown in BREAKDOWNS:
            counts = {k[3]: values[k] for k in values if k[:3] == (scope, label, breakdown)}
            table({i: (scope, label, breakdown, i) for i in counts}, rule.suppress_table({i: v for i, v in counts.items()
                                                                                      if v}, n))
            for i, v in counts.items():
                if not v:
                    mark((scope, label, breakdown, i), SHOWN)
        groups = ((ind.get("acknowledgements") or {}).get("by_group") or {})
        withheld = rule.withhold_groups(groups, n)
        for g in groups:
            mark((scope, label, STAFF, g), SMALL if g in withheld.small else WITHHELD if g in withheld else SHOWN)
            mark((scope, label, READ, g), WITHHELD if g in withheld else SHOWN)
        for k in [k for k in values if k[:2] == (scope, label) and k[2] in (STAFF, READ)]:
            mark(k, SHOWN if k[3] == TOTAL or k[3] not in groups else NOT_SHOWN)
    for label in (p["T1"], p["T2"], p["T3"], p["Y"]):
        per_school = {s: family.figures.get((s, label)) or {} for s in family.schools}
        opened = rule.suppress_table({s: _count(per_school[s], "breaches", "opened") for s in family.schools}, n)
        table({s: (s, label, "opened", TOTAL) for s in family.schools}, opened)
    for scope in [ORGANISATION, *family.schools]:
        terms = {t: family.figures.get((scope, p[t])) or {} for t in ("T1", "T2", "T3")}
        for m in ("opened", "closed"):
            table({t: (scope, p[t], m, TOTAL) for t in terms},
                  rule.suppress_table({t: _count(ind, "breaches", m) for t, ind in terms.items()}, n))
    for key in values:
        status.setdefault(key, SHOWN if key[1] == STORED else NOT_SHOWN)
    return Plan(family.year, n, values, status, relations_of(family, values), dict(family.periods),
                _previous_of(family.periods), list(family.schools))
