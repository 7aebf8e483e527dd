"""Disclosure control (docs/governors/symbols.md): no small number that identifies a colleague.

- a breach count from 1 to N-1 (N = `suppress_below`) is shown as ``<N``;
- in a breakdown (by outcome, rule, school or term) whose total is published, further cells are
  withheld, shown as ``[c]``, until no suppressed cell can be worked out from the total and the
  cells still shown (see `suppress_table`);
- a breakdown whose total is itself below N is not broken down at all: listing which outcomes
  or rules occurred among one or two cases would identify the colleagues involved;
- in acknowledgement coverage by staff group, a group with 1 to N-1 staff in post shows ``<N``
  and its other figures are withheld, with the next-smallest group (or more) withheld so that the
  small groups' figures cannot be worked out from All staff (see `withhold_groups`);
- in the organisation report, a school with 1 to N-1 staff in post (a trust's central team, say)
  has its coverage withheld the same way, against All schools (see `withhold_schools`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policy_analytics.reports.formats import NO_VALUE, fmt_count, fmt_days, is_missing, staff_groups_in_order, value_at
from policy_analytics.reports.plan import ReportView

SECONDARY = "[c]"


def suppress_value(value: Any, threshold: int) -> str:
    """One published count: '<N' from 1 to N-1 (N = threshold), else the number."""
    if is_missing(value):
        return NO_VALUE
    n = int(value)
    if threshold > 1 and 0 < n < threshold:
        return f"<{threshold}"
    return fmt_count(n)


@dataclass(frozen=True)
class Suppressed:
    """A breakdown ready to publish: each cell's text and the total's text.

    `collapsed`: the total is below the threshold, so the breakdown must not be shown at all
    (only the total, as '<N'). `secondary`: the cells withheld only to protect others.
    """

    cells: dict[str, str]
    total: str
    collapsed: bool = False
    secondary: tuple[str, ...] = ()
    total_withheld: bool = False


def _intervals_protected(
    primary: Sequence[int], secondary: Sequence[int], hidden_sum: tuple[int, float], threshold: int
) -> bool:
    """Whether every withheld cell keeps at least two possible values for a reader who knows the rule.

    A reader knows each primary cell is between 1 and N-1, each secondary cell is at least N (only
    cells of N or more are chosen for secondary suppression, and the rule is published), and
    the withheld cells add up to between hidden_sum[0] and hidden_sum[1]. The possible values of
    one cell form the interval [max(lo, S_lo - others_hi), min(hi, S_hi - others_lo)].
    """
    bounds = [(1, threshold - 1)] * len(primary) + [(threshold, math.inf)] * len(secondary)
    s_lo, s_hi = hidden_sum
    for i, (lo, hi) in enumerate(bounds):
        others_lo = sum(b[0] for j, b in enumerate(bounds) if j != i)
        others_hi = sum(b[1] for j, b in enumerate(bounds) if j != i)
        low = max(lo, s_lo - others_hi)
        high = min(hi, s_hi - others_lo)
        if high - low < 1:
            return False
    return True


def suppress_table(counts: Mapping[str, Any], threshold: int) -> Suppressed:
    """Primary and secondary suppression of one breakdown whose total (the sum) is published.

    - total 0: every cell 0;
    - total from 1 to N-1: collapsed (show the total as '<N' and no breakdown);
    - otherwise cells from 1 to N-1 show '<N'; then, while a withheld cell could be worked out
      from the total and the cells shown, the smallest shown non-zero cell (ties: the first in
      order) is withheld as '[c]'; if none is left to withhold, the total is withheld too.
    Zero cells are shown as 0: a zero identifies nobody.
    """
    values = {str(k): int(v or 0) for k, v in counts.items()}
    total = sum(values.values())
    if threshold <= 1 or total == 0:
        return Suppressed({k: fmt_count(v) for k, v in values.items()}, fmt_count(total))
    if total < threshold:
        return Suppressed({k: SECONDARY for k in values}, f"<{threshold}", collapsed=True)
    primary = [k for k, v in values.items() if 0 < v < threshold]
    secondary: list[str] = []
    total_withheld = False

    def protected() -> bool:
        if not primary:
            return True
        hidden = primary + secondary
        shown = total - sum(values[k] for k in hidden)
        if total_withheld:
            bounds: tuple[int, float] = (max(threshold - shown, 0), math.inf)
        else:
            bounds = (total - shown, total - shown)
        return _intervals_protected([values[k] for k in primary], [values[k] for k in secondary], bounds, threshold)

    order = {k: i for i, k in enumerate(values)}
    while not protected():
        candidates = [k for k, v in values.items() if v >= threshold and k not in secondary]
        if not candidates:
            total_withheld = True
            break
        secondary.append(min(candidates, key=lambda k: (values[k], order[k])))
    cells = {}
    for k, v in values.items():
        if k in primary:
            cells[k] = f"<{threshold}"
        elif k in secondary:
            cells[k] = SECONDARY
        else:
            cells[k] = fmt_count(v)
    return Suppressed(cells, SECONDARY if total_withheld else fmt_count(total), False, tuple(secondary), total_withheld)


def suppress_counts(counts: Mapping[str, Any], threshold: int) -> dict[str, str]:
    """The published text of each cell of a breakdown (see `suppress_table`); '[c]' means withheld."""
    return suppress_table(counts, threshold).cells


SUPPRESSION_NOTE = (
    "To protect the colleagues involved, numbers from 1 to {m} are shown as <{n}, and [c] marks a number "
    "withheld so that a small number cannot be worked out from the total."
)


def suppression_note(threshold: int) -> str:
    """The footnote explaining '<N' and '[c]'."""
    return SUPPRESSION_NOTE.format(m=threshold - 1, n=threshold)


# ---------------------------------------------------------------------------------------------
# Breach figures
# ---------------------------------------------------------------------------------------------


def breach_totals(ind: Mapping[str, Any], threshold: int) -> dict[str, str]:
    """Published breach totals: opened and closed as their breakdowns publish them, open at end as one count."""
    breaches = ind.get("breaches", {}) or {}
    by_rule = suppress_table(breaches.get("by_rule", {}) or {}, threshold)
    by_outcome = suppress_table(breaches.get("by_outcome", {}) or {}, threshold)
    opened, closed = breaches.get("opened"), breaches.get("closed")
    return {
        # the breakdown's own total decides: if the breakdown withheld it, so does the headline
        "opened": by_rule.total if by_rule.total_withheld else suppress_value(opened, threshold),
        "closed": by_outcome.total if by_outcome.total_withheld else suppress_value(closed, threshold),
        "open_at_end": suppress_value(breaches.get("open_at_end"), threshold),
    }


def days_to_close(ind: Mapping[str, Any] | None, threshold: int) -> str:
    """Median days to close, withheld when fewer than N cases closed (a median of 1 or 2 cases is theirs)."""
    closed = value_at(ind, "breaches.closed") or 0
    if 0 < closed < threshold:
        return SECONDARY
    return fmt_days(value_at(ind, "breaches.median_days_to_close"))


# ---------------------------------------------------------------------------------------------
# Acknowledgement coverage by staff group
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WithheldGroups:
    """The staff groups whose coverage is not published.

    `small`: 1 to N-1 staff in post, shown as '<N'. `secondary`: withheld only so that the small
    groups' figures cannot be worked out from All staff and the groups still shown.
    """

    small: tuple[str, ...] = ()
    secondary: tuple[str, ...] = ()

    def __contains__(self, group: object) -> bool:
        return group in self.small or group in self.secondary


def withhold_groups(
    by_group: Mapping[str, Mapping[str, Any]], threshold: int, order: Sequence[str] | None = None
) -> WithheldGroups:
    """The staff groups to withhold from coverage by staff group (`acknowledgements.by_group`), in ORDER
    (ties go to the first; the reports' order of staff groups by default).

    A group with 1 to N-1 staff in post is withheld. All staff minus the groups shown gives the withheld
    groups' staff and acknowledgements together, so the next-smallest group (ties: the first in the
    reports' order) is withheld too, and then the next while all or none of the staff withheld have read
    the policy. What can be worked out is then the figures of at least N+1 staff together, some but not
    all of whom have read it (unless every group is withheld: then they are All staff's), which leave
    every small group more than one possible share.
    """
    order = list(order) if order is not None else staff_groups_in_order(by_group)
    staff = {g: int(by_group[g].get("active_staff") or 0) for g in order}
    read = {g: int(by_group[g].get("acknowledged") or 0) for g in order}
    small = [g for g in order if 0 < staff[g] < threshold] if threshold > 1 else []
    secondary: list[str] = []

    def all_or_none() -> bool:
        withheld = small + secondary
        return sum(read[g] for g in withheld) in (0, sum(staff[g] for g in withheld))

    while small and (not secondary or all_or_none()):
        candidates = [g for g in order if staff[g] >= threshold and g not in secondary]
        if not candidates:
            break  # every group with anyone in post is withheld: what is left is All staff, shown anyway
        secondary.append(min(candidates, key=lambda g: (staff[g], order.index(g))))
    return WithheldGroups(tuple(small), tuple(secondary))


def withhold_schools(per_school: Mapping[str, Mapping[str, Any]], threshold: int) -> WithheldGroups:
    """The schools whose acknowledgement coverage the organisation report withholds: a school is to All
    schools as a staff group is to All staff, so the same rule (`withhold_groups`) applies."""
    return withhold_groups({name: ind.get("acknowledgements", {}) for name, ind in per_school.items()}, threshold,
                           order=list(per_school))


SCHOOL_SUPPRESSION_NOTE = (
    "To protect colleagues in a school with 1 to {m} staff in post, its acknowledgement figures are withheld "
    "([c]), with the next-smallest school's (and more while all or none of those withheld have read the policy), "
    "so that they cannot be worked out from All schools."
)


def school_suppression_note(threshold: int) -> str:
    """The footnote explaining how small schools' acknowledgement figures are withheld."""
    return SCHOOL_SUPPRESSION_NOTE.format(m=threshold - 1)


GROUP_SUPPRESSION_NOTE = (
    "To protect colleagues in small staff groups, a group with 1 to {m} staff in post shows <{n} and its other "
    "figures are withheld ([c]). So that these cannot be worked out from All staff, the next-smallest group is "
    "withheld too ([c]), and then the next while all or none of the staff withheld have read the policy."
)


def group_suppression_note(threshold: int) -> str:
    """The footnote explaining how small staff groups are withheld."""
    return GROUP_SUPPRESSION_NOTE.format(m=threshold - 1, n=threshold)


def withheld_groups(ind: Mapping[str, Any], threshold: int, view: ReportView | None = None) -> WithheldGroups:
    """The staff groups a report withholds: as the publication plan's VIEW decides, else `withhold_groups`."""
    groups = value_at(ind, "acknowledgements.by_group") or {}
    if view is not None:
        small, withheld = view.groups()
        unpublished = tuple(g for g in groups if g not in small + withheld and not view.share_shown(g))
        return WithheldGroups(small, withheld + unpublished)
    return withhold_groups(groups, threshold)


def withheld_schools(per_school: Mapping[str, Mapping[str, Any]], threshold: int,
                     view: ReportView | None = None) -> WithheldGroups:
    """The schools whose coverage the organisation report withholds: as the plan's VIEW decides, else
    `withhold_schools`."""
    if view is not None:
        return WithheldGroups(*view.schools_withheld())
    return withhold_schools(per_school, threshold)


def published_breaches(ind: Mapping[str, Any], prev: Mapping[str, Any] | None, threshold: int,
                       view: ReportView | None) -> tuple[dict[str, str], dict[str, str]]:
    """Breach totals this period and the one before as printed: from the plan's VIEW when there is one
    (empty for a school: breaches are published for the organisation only), else table by table."""
    if view is not None:
        return view.breach_totals() or {}, (view.breach_totals(view.previous) or {}) if prev else {}
    return breach_totals(ind, threshold), (breach_totals(prev, threshold) if prev else {})
