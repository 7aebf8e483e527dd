"""Each chart in words: its main finding with numbers (the text alternative) and the rows of the table that
carries its data, both made from the very figures the chart draws."""

from __future__ import annotations

from collections.abc import Sequence

from policy_analytics.reports.formats import and_list, fmt_count, fmt_pct

BELOW, MEETS = "Below the target", "Meets the target"
WITHIN, OVER = "Within the target", "Over the target"


def counted(n: int, noun: str) -> str:
    """'1 incident', '3 incidents'."""
    return f"{fmt_count(n)} {noun}{'' if n == 1 else 's'}"


def ranking_finding(items: Sequence[tuple[str, int]], noun: str) -> str:
    """The total and the largest (ties named together), then the next two: `items` largest first."""
    total = sum(n for _, n in items)
    if len(items) == 1:
        return f"{counted(total, noun)} in all: {items[0][0]} ({fmt_count(total)})."
    top = [name for name, n in items if n == items[0][1]]
    each = " each" if len(top) > 1 else ""
    text = f"{counted(total, noun)} in all. The most: {and_list(top)} ({fmt_count(items[0][1])}{each})"
    rest = items[len(top):len(top) + 2]
    if rest:
        text += ", then " + and_list([f"{name} ({fmt_count(n)})" for name, n in rest])
    return text + "."


def month_finding(months: Sequence[tuple[str, int]], noun: str = "incident") -> str:
    """The total over the months, and the months with the most and the fewest."""
    counts = [n for _, n in months]
    if len(months) == 1:
        return f"{counted(counts[0], noun)} in {months[0][0]}."
    text = f"{counted(sum(counts), noun)} over {counted(len(months), 'month')}, {months[0][0]} to {months[-1][0]}."
    if max(counts) == min(counts):
        return text + f" {fmt_count(counts[0])} in each month."
    most = [m for m, n in months if n == max(counts)]
    fewest = [m for m, n in months if n == min(counts)]
    return text + (f" The most in {and_list(most)} ({fmt_count(max(counts))}), "
                   f"the fewest in {and_list(fewest)} ({fmt_count(min(counts))}).")


def response_finding(removal: Sequence[tuple[int, bool]], visible: Sequence[tuple[int, bool]], still_visible: int,
                     target_hours: float) -> str:
    """How many were removed within the target and how many took longer; how long material stayed visible.
    `removal` and `visible` are (count, within target) per band."""
    within = sum(n for n, ok in removal if ok)
    over = sum(n for n, ok in removal if not ok)
    if within + over:
        text = (f"Of {counted(within + over, 'removal')}, {fmt_count(within)} within the {target_hours:g}-hour "
                f"target and {fmt_count(over)} over it")
        text += f"; {fmt_count(still_visible)} not yet removed." if still_visible else "."
    else:
        text = f"None removed yet: {counted(still_visible, 'incident')} not yet removed."
    seen = sum(n for n, _ in visible) + still_visible
    seen_over = sum(n for n, ok in visible if not ok) + still_visible
    if seen:
        text += f" Visible online for longer than {target_hours:g} hours in all: {fmt_count(seen_over)} of {fmt_count(seen)}."
    return text


def coverage_finding(groups: Sequence[tuple[str, float]], target_pct: float) -> str:
    """Each staff group's share against the target."""
    parts = [f"{name} {fmt_pct(pct, target_pct)} ({'below' if pct < target_pct else 'meets'} it)" for name, pct in groups]
    return f"Against the {target_pct:g}% target: {and_list(parts)}."


def years_finding(years: Sequence[tuple[str, Sequence[tuple[str, int]]]], noun: str = "incident") -> str:
    """Each year's total and its terms: '2025-26: 12 incidents (Autumn 5, Spring 4, Summer 3).'"""
    return " ".join(f"{year}: {counted(sum(n for _, n in terms), noun)} "
                    f"({', '.join(f'{t} {fmt_count(n)}' for t, n in terms)})." for year, terms in years)
