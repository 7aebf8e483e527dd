"""The disclosure auditor: for every count a year's reports do not print as a number, the interval it
could lie in given everything they print and the published rules, by integer linear programming
(SciPy's `milp`, the HiGHS solver).

A reader knows each shown count; that `<N` is 1 to N-1; that `[c]` on a count of breaches or staff
is 0 or N and more (counts of 1 to N-1 show `<N`), on readers any number; and every
`plan.Relation`. A `<N` cell is safe when its interval still holds all of 1 to N-1; a count not
shown whose true value is 1 to N-1 when its interval holds all of 1 to N-1, or 0 and more than 0
(whether anyone is involved cannot be told); a small group's readers when they cannot be worked out
exactly (a group of N or more is shown whole). A `[c]` withheld to protect others is 0 or N or more, so working it out names nobody: its
interval is reported but it is not itself unsafe.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from policy_analytics.reports.plan import BREACH_LEVELS, STAFF_LEVELS, NOT_SHOWN, READ, SHOWN, SMALL, STAFF, TOTAL, WITHHELD, Key, Plan

NO_BOUND = 10**6  # a withheld count with nothing above it is bounded here; reaching it means "no upper bound"


@dataclass(frozen=True)
class Finding:
    """One withheld cell: the interval a reader can narrow it to, whether that is safe, and the routes used."""

    key: Key
    status: str
    low: int
    high: int | None
    safe: bool
    routes: tuple[str, ...] = ()

    def describe(self, threshold: int) -> str:
        """One line: where the cell is, what it shows, and what a reader can work out."""
        scope, period, measure, item = self.key
        where = f"{scope or 'All schools'}, {period}, {_measure_words(measure, item)}"
        shown = {SMALL: f"<{threshold}", NOT_SHOWN: "not shown"}.get(self.status, "[c]")
        high = "no upper bound" if self.high is None else str(self.high)
        interval = f"exactly {self.low}" if self.high == self.low else f"between {self.low} and {high}"
        route = f" (by: {'; '.join(self.routes)})" if self.routes else ""
        return f"{where}: shown {shown}, but it is {interval}{route}"


def _measure_words(measure: str, item: str) -> str:
    words = {"opened": "breaches opened", "closed": "breaches closed", "open_at_end": "breaches open at the end",
             "by_outcome": "breaches closed with outcome", "by_rule": "breaches opened under rule",
             "staff": "staff in post", "read": "staff who have read it"}.get(measure, measure)
    if measure in ("staff", "read"):
        return f"{words}, {item or 'All staff'}"
    if measure == "rows":
        return f"rows stored, {'breach investigations' if item == 'breaches' else 'acknowledgements roster'}"
    return f"{words} {item}" if item != TOTAL else words


@dataclass(frozen=True)
class Audit:
    """Every withheld cell's finding."""

    findings: tuple[Finding, ...]
    threshold: int

    @property
    def unsafe(self) -> list[Finding]:
        return [f for f in self.findings if not f.safe]

    @property
    def safe(self) -> bool:
        return not self.unsafe


def bounds_of(plan: Plan, keys: list[Key]) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's bounds from its symbol alone."""
    low = np.array([plan.lower_bound(k) for k in keys], dtype=float)
    high = np.array([NO_BOUND if plan.upper_bound(k) is None else plan.upper_bound(k) for k in keys], dtype=float)
    return low, high


def _component(plan: Plan, key: Key, by_cell: dict[Key, list[int]]) -> tuple[list[Key], list[int]]:
    """The cells and relations connected to KEY through cells not shown (shown cells are constants)."""
    cells, rels, todo = {key}, set(), [key]
    while todo:
        k = todo.pop()
        for r in by_cell.get(k, []):
            if r in rels:
                continue
            rels.add(r)
            for c, _ in plan.relations[r].terms:
                if c not in cells and plan.status.get(c) != SHOWN:
                    cells.add(c)
                    todo.append(c)
    return sorted(cells), sorted(rels)


def interval(plan: Plan, key: Key, by_cell: dict[Key, list[int]]) -> tuple[int, int | None, tuple[str, ...]]:
    """The least and greatest integer value of KEY given every relation and symbol (None: no upper bound)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    cells, rels = _component(plan, key, by_cell)
    if not rels:
        return plan.lower_bound(key), plan.upper_bound(key), ()
    index = {k: i for i, k in enumerate(cells)}
    either = [k for k in cells if plan.status[k] == WITHHELD and k[2] != READ]  # [c]: 0, or N and more
    width = len(cells) + len(either)
    a = np.zeros((len(rels) + 2 * len(either), width))
    lower_rhs, upper_rhs = np.zeros(len(a)), np.zeros(len(a))
    for r, rel_index in enumerate(rels):
        rel = plan.relations[rel_index]
        for k, c in rel.terms:
            if k in index:
                a[r, index[k]] += c
            else:
                upper_rhs[r] -= c * plan.values[k]
        lower_rhs[r] = -np.inf if rel.at_most else upper_rhs[r]
    for j, k in enumerate(either):
        row, z = len(rels) + 2 * j, len(cells) + j
        a[row, index[k]], a[row, z], lower_rhs[row], upper_rhs[row] = 1, -plan.threshold, 0, np.inf  # x >= N z
        a[row + 1, index[k]], a[row + 1, z], lower_rhs[row + 1], upper_rhs[row + 1] = 1, -NO_BOUND, -np.inf, 0
    low, high = bounds_of(plan, cells)
    for k in either:
        low[index[k]] = 0
    low, high = np.concatenate([low, np.zeros(len(either))]), np.concatenate([high, np.ones(len(either))])
    objective = np.zeros(width)
    objective[index[key]] = 1
    found = []
    for sign in (1, -1):
        result = milp(sign * objective, constraints=LinearConstraint(a, lower_rhs, upper_rhs),
                      bounds=Bounds(low, high), integrality=np.ones(width), options={"disp": False})
        if result.status != 0:  # cannot happen for true figures; keep the symbol's own bounds
            found.append(low[index[key]] if sign == 1 else high[index[key]])
        else:
            found.append(round(sign * result.fun))
    # the solver's tolerance on x <= NO_BOUND z leaves 999,998 and the like: no count in a school's reports is near it
    top = None if found[1] >= NO_BOUND // 2 else int(found[1])
    return int(found[0]), top, _routes(plan, key, rels)


def _routes(plan: Plan, key: Key, rels: list[int]) -> tuple[str, ...]:
    """The kinds of relation a reader combines, those through KEY itself first."""
    direct = [plan.relations[r].route for r in rels if any(k == key for k, _ in plan.relations[r].terms)]
    others = [plan.relations[r].route for r in rels]
    return tuple(dict.fromkeys(direct + others))


def is_safe(plan: Plan, key: Key, low: int, high: int | None) -> bool:
    """Whether a reader's interval for KEY still protects a colleague (see the module docstring)."""
    n, state, value = plan.threshold, plan.status[key], plan.values[key]
    holds_small = low <= 1 and (high is None or high >= n - 1)
    if state == SMALL:
        return holds_small
    if state == NOT_SHOWN:
        return not 0 < value < n or holds_small or (low == 0 and (high is None or high > 0))
    if key[2] == READ and 0 < plan.values.get((key[0], key[1], STAFF, key[3]), 0) < n:
        return high is None or high > low  # a small group's readers
    return True  # '[c]' withheld to protect others is 0 or N or more: working it out names nobody


def needs_interval(plan: Plan, key: Key) -> bool:
    """Whether KEY's safety depends on its interval: `is_safe` judges a '[c]' withheld to protect others safe
    whatever a reader narrows it to."""
    state = plan.status[key]
    if state in (SMALL, NOT_SHOWN):
        return True
    return key[2] == READ and 0 < plan.values.get((key[0], key[1], STAFF, key[3]), 0) < plan.threshold


def audit(plan: Plan, memo: dict | None = None, *, verdicts_only: bool = False) -> Audit:
    """Every cell the plan does not print as a number, with its interval and whether it is safe
    (MEMO keeps intervals between calls on a plan whose statuses change: a cell's interval depends
    only on the statuses of its component). VERDICTS_ONLY skips the solver where the verdict does not need
    it (`needs_interval`); those cells keep their symbol's own bounds: the plan's rounds use it."""
    by_cell: dict[Key, list[int]] = {}
    for r, rel in enumerate(plan.relations):
        for k, _ in rel.terms:
            by_cell.setdefault(k, []).append(r)
    memo = {} if memo is None else memo
    findings = []
    for key in plan.withheld():
        if verdicts_only and not needs_interval(plan, key):
            findings.append(Finding(key, plan.status[key], plan.lower_bound(key), plan.upper_bound(key), True, ()))
            continue
        cells, rels = _component(plan, key, by_cell)
        signature = (key, tuple((c, plan.status[c]) for c in cells), tuple(rels))
        if signature not in memo:
            memo[signature] = interval(plan, key, by_cell)
        low, high, routes = memo[signature]
        findings.append(Finding(key, plan.status[key], low, high, is_safe(plan, key, low, high), routes))
    return Audit(tuple(findings), plan.threshold)


def summary(plan: Plan, result: Audit, *, every_cell: bool = False) -> str:
    """The auditor's report: what is printed and withheld, then each unsafe cell with the routes that expose it
    (with EVERY_CELL, every withheld cell and its interval)."""
    counts = Counter(plan.status.values())
    levels = plan.levels
    published = (f"Breaches published {BREACH_LEVELS[levels['breach_level']]}; staff figures "
                 f"{STAFF_LEVELS[levels['staff_level']]}." if len(levels) == 2 else "Each table deciding alone.")
    lines = [
        published,
        f"Academic year {plan.year}: {len(plan.values)} protected counts in the year's reports (threshold "
        f"{plan.threshold}): {counts[SHOWN]} shown, {counts[SMALL]} shown as <{plan.threshold}, {counts[WITHHELD]} "
        f"withheld as [c], {counts[NOT_SHOWN]} not shown (a breakdown of fewer than {plan.threshold}).",
        f"Unsafe: {len(result.unsafe)} of the {len(result.findings)} counts not printed as a number"
        + (": no reader of all the year's reports can work any of them out." if result.safe else "."),
    ]
    lines += [f"UNSAFE {f.describe(plan.threshold)}" for f in result.unsafe]
    if every_cell:
        lines += [f"{'safe  ' if f.safe else 'UNSAFE'} {f.describe(plan.threshold)}" for f in result.findings]
    return "\n".join(lines)
