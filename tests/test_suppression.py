"""Disclosure control, worked by hand: breach breakdowns and acknowledgement coverage by staff group."""

from __future__ import annotations

import pytest

from policy_analytics.reports import suppression

N = 3  # the default suppress_below


# --- primary and secondary suppression, worked by hand ------------------------------------------


@pytest.mark.parametrize(
    ("counts", "cells", "total"),
    [
        # nothing small: nothing hidden
        ({"a": 5, "b": 7}, {"a": "5", "b": "7"}, "12"),
        # one small cell could be worked out as 8 - 3 - 4 = 1, so the smallest other cell (b) is withheld too;
        # but a reader who knows the rule knows a withheld [c] is 3 or more: a + b = 4 with b >= 3 gives a = 1.
        # So c is withheld as well: a + b + c = 8 with a in 1..2, b and c >= 3: a is 1 or 2, b and c 3 or 4
        ({"a": 1, "b": 3, "c": 4}, {"a": "<3", "b": "[c]", "c": "[c]"}, "8"),
        # ties go to the first cell in order
        ({"a": 1, "b": 4, "c": 4}, {"a": "<3", "b": "[c]", "c": "4"}, "9"),
        # zeros stay: they identify nobody, and are never chosen as the second cell
        ({"a": 1, "b": 0, "c": 4}, {"a": "<3", "b": "0", "c": "[c]"}, "5"),
        # two small cells protect each other when their sum (3) has two splits (1+2, 2+1)
        ({"a": 1, "b": 2, "c": 5, "d": 6}, {"a": "<3", "b": "<3", "c": "5", "d": "6"}, "14"),
        # ... but not when the sum forces both: 1+1 = 2 (each must be 1) or 2+2 = 4 (each must be 2)
        ({"a": 1, "b": 1, "c": 9}, {"a": "<3", "b": "<3", "c": "[c]"}, "11"),
        ({"a": 2, "b": 2, "c": 5}, {"a": "<3", "b": "<3", "c": "[c]"}, "9"),
        # nothing left to withhold: 2 + 2 under a total of 4 gives both away, so the total is withheld
        ({"a": 2, "b": 2}, {"a": "<3", "b": "<3"}, "[c]"),
        ({"a": 1, "b": 1, "c": 1}, {"a": "<3", "b": "<3", "c": "<3"}, "[c]"),
        # all zero
        ({"a": 0, "b": 0}, {"a": "0", "b": "0"}, "0"),
        ({}, {}, "0"),
    ],
)
def test_suppress_table_hand_worked(counts, cells, total):
    result = suppression.suppress_table(counts, N)
    assert result.cells == cells
    assert result.total == total
    assert suppression.suppress_counts(counts, N) == cells


def test_a_total_below_the_threshold_is_not_broken_down():
    # 2 closed cases, both dismissals: listing the outcome would identify the colleagues.
    result = suppression.suppress_table({"dismissal": 2}, N)
    assert result.collapsed
    assert result.total == "<3"
    assert result.cells == {"dismissal": "[c]"}


def test_secondary_cells_are_recorded_and_threshold_one_disables_suppression():
    assert suppression.suppress_table({"a": 1, "b": 3, "c": 4}, N).secondary == ("b", "c")
    assert suppression.suppress_table({"a": 1, "b": 4, "c": 4}, N).secondary == ("b",)
    assert suppression.suppress_counts({"a": 1, "b": 2}, 1) == {"a": "1", "b": "2"}


def test_suppress_counts_with_a_higher_threshold():
    # N = 5: 1..4 are small. a + b = 7 with a, b in 1..4: a is 3 or 4, b is 3 or 4 -> protected.
    assert suppression.suppress_counts({"a": 3, "b": 4, "c": 10}, 5) == {"a": "<5", "b": "<5", "c": "10"}
    # a alone = 1 could be worked out; c (the smallest >= 5) is withheld with it.
    assert suppression.suppress_counts({"a": 1, "b": 10, "c": 6}, 5) == {"a": "<5", "b": "10", "c": "[c]"}


@pytest.mark.parametrize(("value", "text"), [(0, "0"), (1, "<3"), (2, "<3"), (3, "3"), (1234, "1,234"), (None, "–")])
def test_suppress_value(value, text):
    assert suppression.suppress_value(value, N) == text


def test_every_protected_table_leaves_each_hidden_cell_two_possible_values():
    """Brute force over small tables: no withheld cell can be pinned down from what is published.

    The reader knows the rule: a '<3' cell is 1 or 2 and a '[c]' cell is 3 or more (only such cells are withheld).
    """
    import itertools

    for values in itertools.product(range(0, 8), repeat=3):
        counts = dict(zip("abc", values))
        result = suppression.suppress_table(counts, N)
        if result.collapsed or result.total_withheld or sum(values) == 0:
            continue
        shown = {k: int(v.replace(",", "")) for k, v in result.cells.items() if v not in ("<3", "[c]")}
        hidden = [k for k in counts if k not in shown]
        published_total = sum(values)
        # every assignment of the hidden cells consistent with what a reader sees
        options = {k: (range(1, N) if result.cells[k] == "<3" else range(N, published_total + 1)) for k in hidden}
        feasible = [
            combo for combo in itertools.product(*(options[k] for k in hidden))
            if sum(combo) + sum(shown.values()) == published_total
        ]
        for i, k in enumerate(hidden):
            assert len({combo[i] for combo in feasible}) >= 2, (counts, result)


# --- acknowledgement coverage by staff group, worked by hand -------------------------------------


def groups(**figures: tuple[int, int]) -> dict[str, dict]:
    """`acknowledgements.by_group` from (staff in post, acknowledged) per group."""
    return {g: {"active_staff": n, "acknowledged": a, "coverage_pct": 100.0 * a / n if n else None}
            for g, (n, a) in figures.items()}


@pytest.mark.parametrize(
    ("by_group", "small", "secondary"),
    [
        # nothing small: nothing withheld
        (groups(teaching=(10, 9), support=(5, 4)), (), ()),
        # one small group would be All staff minus the rest, so the next-smallest group (support, 5) goes too;
        # together 6 staff, 4 read: the governor read it (support 3 of 5) or not (support 4 of 5)
        (groups(teaching=(10, 9), support=(5, 4), governor=(1, 0)), ("governor",), ("support",)),
        # the report fixture: leadership 1 and governors 2, with support (5): 8 staff, 6 read between them
        (groups(teaching=(6, 5), support=(5, 4), leadership=(1, 1), governor=(2, 1)),
         ("leadership", "governor"), ("support",)),
        # ties go to the first group in the reports' order (teaching before support)
        (groups(teaching=(5, 4), support=(5, 3), governor=(1, 1)), ("governor",), ("teaching",)),
        # 0% points at a person: the governor and 3 volunteers, none of whom has read it, would show the
        # governor has not; so support (5, 4 read) is withheld as well: 9 staff, 4 read
        (groups(teaching=(10, 10), support=(5, 4), governor=(1, 0), volunteer=(3, 0)),
         ("governor",), ("volunteer", "support")),
        # likewise 100%: everyone has read it, so every group is withheld (All staff says as much anyway)
        (groups(teaching=(6, 6), support=(4, 4), governor=(2, 2)), ("governor",), ("support", "teaching")),
        # every group small: nothing else to withhold; 2 + 2 staff, 3 read: either group may be the one short
        (groups(teaching=(2, 2), support=(2, 1)), ("teaching", "support"), ()),
        # a group with no one in post identifies nobody and is never withheld to protect another
        (groups(teaching=(5, 2), governor=(1, 0), volunteer=(0, 0)), ("governor",), ("teaching",)),
    ],
)
def test_withhold_groups_hand_worked(by_group, small, secondary):
    withheld = suppression.withhold_groups(by_group, N)
    assert (withheld.small, withheld.secondary) == (small, secondary)
    assert all(g in withheld for g in small + secondary)
    assert not any(g in withheld for g in by_group if g not in small + secondary)


def test_withhold_groups_threshold_one_disables_it_and_a_higher_threshold_withholds_more():
    by_group = groups(teaching=(10, 9), support=(4, 3), governor=(1, 0))
    assert suppression.withhold_groups(by_group, 1) == suppression.WithheldGroups()
    # N = 5: support (4) is small too, and teaching goes with them: 15 staff, 12 read
    assert suppression.withhold_groups(by_group, 5) == suppression.WithheldGroups(("support", "governor"), ("teaching",))


def small_rosters(names=("teaching", "support", "governor"), largest=5):
    """Every roster of these groups with 1 to `largest` staff each and any number of them having read the policy."""
    import itertools

    options = [(n, a) for n in range(1, largest + 1) for a in range(n + 1)]
    for figures in itertools.product(options, repeat=len(names)):
        yield groups(**dict(zip(names, figures)))


def possible_shares(by_group: dict, withheld, *, knows_the_rule: bool) -> dict[str, set[float]]:
    """Each small group's possible shares, for a reader of the table: the groups shown, '<3' (1 or 2 staff),
    '[c]' (3 or more) and All staff; a reader who knows the rule also keeps only the rosters it would treat
    the same way."""
    import itertools

    hidden = [g for g in by_group if g in withheld]
    staff = sum(by_group[g]["active_staff"] for g in hidden)
    read = sum(by_group[g]["acknowledged"] for g in hidden)
    sizes = [range(1, N) if g in withheld.small else range(N, staff + 1) for g in hidden]
    shares: dict[str, set[float]] = {g: set() for g in withheld.small}
    for ns in itertools.product(*sizes):
        if sum(ns) != staff:
            continue
        for reads in itertools.product(*(range(n + 1) for n in ns)):
            if sum(reads) != read:
                continue
            other = {**by_group, **groups(**{g: (n, a) for g, n, a in zip(hidden, ns, reads)})}
            if knows_the_rule and suppression.withhold_groups(other, N) != withheld:
                continue
            for g, n, a in zip(hidden, ns, reads):
                if g in shares:
                    shares[g].add(a / n)
    return shares


def all_or_none(by_group: dict, names) -> bool:
    return sum(by_group[g]["acknowledged"] for g in names) in (0, sum(by_group[g]["active_staff"] for g in names))


def test_no_small_groups_share_can_be_worked_out_from_all_staff_and_the_groups_shown():
    """Brute force: from the figures published, every small group has at least two possible shares, unless every
    group is withheld and all or none of the staff have read it (All staff, in the headline too, says so)."""
    for by_group in small_rosters():
        withheld = suppression.withhold_groups(by_group, N)
        if not withheld.small or (len(withheld.small + withheld.secondary) == 3 and all_or_none(by_group, by_group)):
            continue
        for g, shares in possible_shares(by_group, withheld, knows_the_rule=False).items():
            assert len(shares) >= 2, (by_group, withheld, g, shares)


@pytest.mark.parametrize("rosters", [(("teaching", "support", "governor"), 5),
                                     (("teaching", "support", "leadership", "governor"), 3)])
def test_a_reader_who_knows_the_rule_learns_no_more_than_the_first_group_withheld_with_them_would_show(rosters):
    """Brute force, for a reader who also reasons about which groups the rule withheld: where a small group's share
    can be pinned down, the small groups and the next-smallest group together had all or none read it, so that
    withholding just them (the simplest rule) would have shown as much. The rule never does worse than that."""
    names, largest = rosters
    for by_group in small_rosters(names, largest):
        withheld = suppression.withhold_groups(by_group, N)
        if not withheld.small or (len(withheld.small + withheld.secondary) == len(names)
                                  and all_or_none(by_group, by_group)):
            continue
        shares = possible_shares(by_group, withheld, knows_the_rule=True)
        if any(len(s) < 2 for s in shares.values()):
            assert all_or_none(by_group, withheld.small + withheld.secondary[:1]), (by_group, withheld, shares)
