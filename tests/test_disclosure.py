"""Disclosure control across a year's reports read together: the publication plan and its auditor.

Each route by which a reader of all of a year's reports could work out a withheld count is rebuilt on a
hand-made warehouse: the reports as they printed before the plan (each table deciding alone) expose the
count, and the plan keeps it safe. A property test checks the plans of random small trusts, and a brute-force
search agrees with the auditor's integer programming on small cases. Last, the year's every page is rendered with
the real notebooks, for a hand-made trust and for random small ones, and read back from its HTML alone
(`rendered_family`): what the pages print must be the plan, right by hand, and safe under the auditor.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings as hsettings, strategies as st

from policy_analytics import cli
from policy_analytics.errors import UserError, hint_options
from policy_analytics.reports import audit, data, plan
from policy_analytics.settings import Settings, load_settings

import rendered_family
from conftest import Warehouse

YEAR = "2025-26"
AUTUMN, SPRING, SUMMER, LAST_SUMMER = "2025-26-autumn", "2025-26-spring", "2025-26-summer", "2024-25-summer"
N = 3
THREE_SCHOOLS = Settings(schools=("Alder School", "Birch School", "Cedar School"))
WITH_CENTRAL_TEAM = Settings(schools=("Alder School", "Birch School", "Central team"))
ORG = plan.ORGANISATION


def before_and_after(w) -> tuple[plan.Plan, audit.Audit, plan.Plan, audit.Audit]:
    """The year's plan as the tables printed it alone, and as the publication plan decides it, each audited."""
    family = data.family_figures(w.con, w.settings, YEAR)
    old, new = plan.per_table_plan(family, N), plan.decide(family, N)
    return old, audit.audit(old), new, audit.audit(new)


def finding(result: audit.Audit, key: plan.Key) -> audit.Finding:
    return next(f for f in result.findings if f.key == key)


def staff(w, school: str, group: str, count: int, read: int, prefix: str) -> None:
    """COUNT staff of GROUP in post at SCHOOL since 2020, READ of whom read the policy in 2024."""
    for i in range(count):
        w.staff(f"{prefix}{i}", staff_group=group, school=school, start_date=date(2020, 1, 1),
                acknowledged_at=datetime(2024, 9, 2, 9) if i < read else None)


def test_schools_adding_up_to_the_organisation_no_longer_give_away_each_school(make_warehouse):
    # The organisation shows 6 contractors and every school <3: before, each school had to have 2.
    w = make_warehouse(THREE_SCHOOLS)
    for n, school in enumerate(THREE_SCHOOLS.schools):
        staff(w, school, "contractor", 2, 1, f"C{n}-")
        staff(w, school, "teaching", 10, 9, f"T{n}-")
    old, old_audit, new, new_audit = before_and_after(w)
    key = ("Alder School", AUTUMN, plan.STAFF, "contractor")
    assert old.text((ORG, AUTUMN, plan.STAFF, "contractor")) == "6" and old.text(key) == "<3"
    assert (finding(old_audit, key).low, finding(old_audit, key).high) == (2, 2)
    assert not finding(old_audit, key).safe
    assert "schools add up to the organisation" in finding(old_audit, key).routes
    assert new.text(key) == "<3"
    assert (finding(new_audit, key).low, finding(new_audit, key).high) == (1, 2)
    assert new_audit.safe and new.unsafe == []


def test_terms_adding_up_to_the_year_no_longer_give_away_a_term(make_warehouse):
    # Opened: autumn 3, spring 0, summer 2, year 5. Before, the autumn report printed 3 and the year 5, so the
    # annual term table's summer <3 was 2.
    w = make_warehouse()
    for i, day in enumerate([date(2025, 10, 1), date(2025, 10, 2), date(2025, 10, 3), date(2026, 5, 1),
                             date(2026, 5, 2)]):
        w.breach(f"B{i}", day)
    old, old_audit, new, new_audit = before_and_after(w)
    key = (ORG, SUMMER, "opened", plan.TOTAL)
    assert old.text((ORG, AUTUMN, "opened", plan.TOTAL)) == "3" and old.text((ORG, YEAR, "opened", "")) == "5"
    assert (finding(old_audit, key).low, finding(old_audit, key).high) == (2, 2)
    assert new.text(key) == "<3"
    assert finding(new_audit, key).low == 1 and finding(new_audit, key).high >= 2
    assert new_audit.safe


def test_stock_and_flow_no_longer_gives_away_the_opened(make_warehouse):
    # Open at the end of last summer 4; this autumn opened 2 (<3), closed 3, open at the end 3: before, 4 + x - 3 = 3
    # made the opened exactly 2, from the breaches table's two columns alone.
    w = make_warehouse()
    for i in range(4):
        w.breach(f"P{i}", date(2025, 5, 1), date(2025, 10, 10) if i < 3 else None, outcome="informal_advice")
    w.breach("A0", date(2025, 11, 1))
    w.breach("A1", date(2025, 11, 2))
    old, old_audit, new, new_audit = before_and_after(w)
    key = (ORG, AUTUMN, "opened", plan.TOTAL)
    assert [old.text((ORG, AUTUMN, m, "")) for m in ("opened", "closed", "open_at_end")] == ["<3", "3", "3"]
    assert old.text((ORG, LAST_SUMMER, "open_at_end", "")) == "4"
    assert (finding(old_audit, key).low, finding(old_audit, key).high) == (2, 2)
    assert "open at the start + opened - closed = open at the end" in finding(old_audit, key).routes
    assert finding(new_audit, key).low <= 1 and finding(new_audit, key).high >= 2
    assert new_audit.safe


def test_a_two_person_central_team_is_not_given_away_by_its_own_report(make_warehouse):
    # The central team's own report printed All staff 2, 1 read, and its groups <3 <3, so each group had 1; the
    # organisation's and the other schools' leadership figures then said whether its leader had read the policy.
    w = make_warehouse(WITH_CENTRAL_TEAM)
    for n, school in enumerate(("Alder School", "Birch School")):
        staff(w, school, "leadership", 5, 5, f"L{n}-")
        staff(w, school, "support", 10, 8, f"S{n}-")
        staff(w, school, "teaching", 20, 18, f"T{n}-")
    staff(w, "Central team", "leadership", 1, 1, "CL")
    staff(w, "Central team", "support", 1, 0, "CS")
    old, old_audit, new, new_audit = before_and_after(w)
    key = ("Central team", AUTUMN, plan.READ, "leadership")
    assert old.text(("Central team", AUTUMN, plan.STAFF, "")) == "2"
    assert old.text(("Central team", AUTUMN, plan.READ, "")) == "1"
    assert (finding(old_audit, key).low, finding(old_audit, key).high) == (1, 1)
    assert new.text(("Central team", AUTUMN, plan.STAFF, "")) == "<3"
    assert new.text(("Central team", AUTUMN, plan.READ, "")) == "[c]"
    assert finding(new_audit, key).high > finding(new_audit, key).low
    assert new_audit.safe


def test_a_withheld_count_is_withheld_in_every_report_of_the_year(make_warehouse):
    # One decision per count: the termly and the annual views of the same plan print the same text.
    w = make_warehouse()
    for i, day in enumerate([date(2025, 10, 1), date(2025, 10, 2), date(2025, 10, 3), date(2026, 5, 1)]):
        w.breach(f"B{i}", day)
    new = plan.decide(data.family_figures(w.con, w.settings, YEAR), N)
    autumn, annual = plan.ReportView(new, ORG, AUTUMN), plan.ReportView(new, ORG, YEAR)
    spring = plan.ReportView(new, ORG, SPRING)
    assert autumn.breach_totals()["opened"] == annual.breach_totals(AUTUMN)["opened"]
    assert spring.breach_totals(AUTUMN) == autumn.breach_totals()  # spring's "last term" column
    assert plan.ReportView(new, "Alder School", AUTUMN).breach_totals() is None  # organisation only


def test_the_auditor_command_lists_unsafe_counts_and_exits_1(make_warehouse, capsys):
    w = make_warehouse()
    for i, day in enumerate([date(2025, 10, 1), date(2025, 10, 2), date(2025, 10, 3), date(2026, 5, 1),
                             date(2026, 5, 2)]):
        w.breach(f"B{i}", day)
    w.close()
    common = ["--year", YEAR, "--db", str(w.path)]
    assert cli.main(["audit", *common, "--per-table"]) == 1
    out = capsys.readouterr().out
    assert "UNSAFE All schools, 2025-26-summer, breaches opened: shown <3, but it is exactly 2" in out
    assert "terms add up to the year" in out
    assert cli.main(["audit", *common]) == 0
    assert "Unsafe: 0 of the" in capsys.readouterr().out


def test_reports_refuse_a_plan_the_auditor_finds_unsafe(make_warehouse):
    w = make_warehouse(THREE_SCHOOLS)
    for n, school in enumerate(THREE_SCHOOLS.schools):
        staff(w, school, "contractor", 2, 1, f"C{n}-")
        staff(w, school, "teaching", 10, 9, f"T{n}-")
    primary_only = plan.decide(data.family_figures(w.con, w.settings, YEAR), N, max_rounds=0)
    assert primary_only.unsafe
    with pytest.raises(UserError, match="not rendered"):
        data.refuse_unsafe(primary_only)
    # the hint's command names the warehouse and settings the report was read from, as every hint does
    with pytest.raises(UserError, match=r"Run policy-analytics audit --year 2025-26 --db '/tmp/my trust.duckdb' "
                                        r"--config trust.toml to list them\."):
        data.refuse_unsafe(primary_only, hint_options("/tmp/my trust.duckdb", "trust.toml"))


# ---------------------------------------------------------------------------------------------
# Random small trusts
# ---------------------------------------------------------------------------------------------

GROUPS = ("teaching", "support", "contractor")
RULES = ("disrepute", "unlawful")
OUTCOMES = ("informal_advice", "written_warning")
ROLES = ("PT3", "T1", "T2", "T3")  # the term before the year, then its three terms


def _family(schools: list[str], breaches: list[tuple], roster: list[tuple]) -> plan.Family:
    """A year's figures worked out by hand from records: breaches (school, opened term 0-3, closed term or None,
    rule, outcome) and staff (school, group, term read 1-3 or None), everyone in post all year."""
    labels = {"PT3": LAST_SUMMER, "T1": AUTUMN, "T2": SPRING, "T3": SUMMER, "Y": YEAR, "PY": "2024-25"}
    ends = {LAST_SUMMER: date(2025, 8, 31), AUTUMN: date(2025, 12, 31), SPRING: date(2026, 4, 5),
            SUMMER: date(2026, 8, 31), YEAR: date(2026, 8, 31), "2024-25": date(2025, 8, 31)}
    span = {"PT3": (0, 0), "T1": (1, 1), "T2": (2, 2), "T3": (3, 3), "Y": (1, 3), "PY": (0, 0)}
    figures = {}
    for scope in [ORG, *schools]:
        mine = [b for b in breaches if scope in (ORG, b[0])]
        people = [r for r in roster if scope in (ORG, r[0])]
        for role, (first, last) in span.items():
            opened = [b for b in mine if first <= b[1] <= last]
            closed = [b for b in mine if b[2] is not None and first <= b[2] <= last]
            by_group = {}
            for g in GROUPS:
                in_group = [r for r in people if r[1] == g]
                if in_group:
                    by_group[g] = {"active_staff": len(in_group),
                                   "acknowledged": sum(1 for r in in_group if r[2] is not None and r[2] <= last)}
            figures[(scope, labels[role])] = {
                "breaches": {"opened": len(opened), "closed": len(closed),
                             "open_at_end": sum(1 for b in mine if b[1] <= last and (b[2] is None or b[2] > last)),
                             "by_rule": {r: n for r in RULES if (n := sum(1 for b in opened if b[3] == r))},
                             "by_outcome": {o: n for o in OUTCOMES if (n := sum(1 for b in closed if b[4] == o))}},
                "acknowledgements": {"active_staff": len(people),
                                     "acknowledged": sum(v["acknowledged"] for v in by_group.values()),
                                     "by_group": by_group},
            }
            figures[(scope, labels[role])]["data"] = {"breaches": {"stored": len(breaches)},
                                                      "acknowledgements": {"stored": len(roster)}}
    return plan.Family(YEAR, labels, ends, schools, figures)


@st.composite
def small_trusts(draw) -> plan.Family:
    schools = [f"School {i}" for i in range(draw(st.integers(2, 4)))]
    school = st.sampled_from(schools)
    breaches = []
    for _ in range(draw(st.integers(0, 6))):
        opened = draw(st.integers(0, 3))
        closed = draw(st.one_of(st.none(), st.integers(opened, 3)))
        breaches.append((draw(school), opened, closed, draw(st.sampled_from(RULES)), draw(st.sampled_from(OUTCOMES))))
    roster = [(draw(school), draw(st.sampled_from(GROUPS)), draw(st.one_of(st.none(), st.integers(1, 3))))
              for _ in range(draw(st.integers(1, 14)))]
    return _family(schools, breaches, roster)


@hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_trusts())
def test_the_plans_quick_verdicts_are_the_full_audits(family):
    # the plan's rounds skip the solver for '[c]' cells whose safety does not depend on their interval; on the
    # tables as they printed alone (often unsafe) the quick audit must call exactly the same cells unsafe
    old = plan.per_table_plan(family, N)
    full, quick = audit.audit(old), audit.audit(old, verdicts_only=True)
    assert [f.key for f in quick.unsafe] == [f.key for f in full.unsafe]


@hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_trusts())
def test_random_small_trusts_leave_no_withheld_count_to_be_worked_out(family):
    decided = plan.decide(family, N)
    result = audit.audit(decided)
    assert result.safe, [f.describe(N) for f in result.unsafe]
    for key, value in decided.values.items():  # every count printed as a number is the true count
        if decided.status[key] == plan.SHOWN:
            assert decided.text(key) == f"{value:,}"
        elif decided.status[key] == plan.SMALL:
            assert 0 < value < N


def brute_force(p: plan.Plan, cap: int) -> dict[plan.Key, tuple[int, int]]:
    """Every assignment of 0..CAP to the cells not shown that fits the symbols and the relations: each cell's least
    and greatest value. Written without the auditor's solver: a depth-first search over the cells, checking each
    relation as soon as all its cells have a value."""
    unknown = p.withheld()
    allowed = {}
    for k in unknown:
        state = p.status[k]
        if state == plan.SMALL:
            allowed[k] = range(1, N)
        elif state == plan.WITHHELD and k[2] != plan.READ:
            allowed[k] = [0, *range(N, cap + 1)]
        else:
            allowed[k] = range(0, cap + 1)
    position = {k: i for i, k in enumerate(unknown)}
    due: dict[int, list[plan.Relation]] = {}  # each relation, checked when its last unknown cell is assigned
    for r in p.relations:
        last = max((position[k] for k, _ in r.terms if k in position), default=None)
        if last is not None:
            due.setdefault(last, []).append(r)
    value = dict(p.values)
    seen: dict[plan.Key, tuple[int, int]] = {}

    def holds(r: plan.Relation) -> bool:
        total = sum(c * value[k] for k, c in r.terms)
        return total <= 0 if r.at_most else total == 0

    def search(i: int) -> None:
        if i == len(unknown):
            for k in unknown:
                low, high = seen.get(k, (value[k], value[k]))
                seen[k] = (min(low, value[k]), max(high, value[k]))
            return
        for v in allowed[unknown[i]]:
            value[unknown[i]] = v
            if all(holds(r) for r in due.get(i, [])):
                search(i + 1)

    search(0)
    return seen


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_brute_force_agrees_with_the_auditor_on_small_cases(draw):
    # One term's staff figures of two or three schools (everything else zero), before any secondary suppression
    # and after: few enough withheld counts to try every assignment.
    schools = [f"School {i}" for i in range(draw.draw(st.integers(2, 3)))]
    roster = [(draw.draw(st.sampled_from(schools)), draw.draw(st.sampled_from(GROUPS[:2])),
               draw.draw(st.one_of(st.none(), st.just(1)))) for _ in range(draw.draw(st.integers(1, 7)))]
    family = _family(schools, [], roster)
    family.figures.update({k: {} for k in family.figures if k[1] != AUTUMN})  # the autumn term only
    decided = plan.decide(family, N, max_rounds=draw.draw(st.sampled_from([0, 200])))
    unknown = decided.withheld()
    assume(0 < len(unknown) <= 14)  # something withheld, and few enough to try every assignment
    cap = 8
    found = brute_force(decided, cap)
    for f in audit.audit(decided).findings:
        low, high = found[f.key]
        assert f.low == low
        if f.high is None:  # no upper bound: a chain of sums can carry it past the search's cap, so the capped
            assert high >= N  # search finds it at least as large as the threshold, not necessarily at the cap
        else:
            assert min(f.high, cap) == high


# ---------------------------------------------------------------------------------------------
# The year's reports as rendered: every page of the family, read back from its HTML
# ---------------------------------------------------------------------------------------------

TERM_DAYS = {0: date(2025, 6, 2), 1: date(2025, 10, 1), 2: date(2026, 2, 2), 3: date(2026, 6, 1)}
TARGET = 95  # the settings' coverage target: no other review check can fire in these trusts (below)


def render_trust(folder: Path, schools: list[str], breaches: list[tuple], roster: list[tuple]):
    """Store the records (as `_family` reads them) in a warehouse, render every report of the year with the real
    notebooks, and read the pages back: (the plan, what the pages print, the hand-worked figures). The policy was
    reviewed at the year's end and no incident is stored, so the only review check that can fire is coverage."""
    config = folder / "settings.toml"
    config.write_text(f"""[organisation]
name = "Synthetic Trust"
schools = [{", ".join(f'"{s}"' for s in schools)}]
[policy]
last_reviewed = 2026-08-31
review_due = 2027-08-31
[targets]
acknowledgement_coverage_pct = {TARGET}
[review_events]
extra_file = "none.csv"
""", encoding="utf-8")
    settings = load_settings(config)
    w = Warehouse(folder / "trust.duckdb", settings)
    for i, (school, opened, closed, rule, outcome) in enumerate(breaches):
        w.breach(f"B{i}", TERM_DAYS[opened], None if closed is None else TERM_DAYS[closed] + timedelta(days=10),
                 school=school, rule=rule, outcome=None if closed is None else outcome)
    for i, (school, group, read) in enumerate(roster):
        w.staff(f"S{i}", staff_group=group, school=school, start_date=date(2020, 1, 1),
                acknowledged_at=None if read is None else datetime.combine(TERM_DAYS[read], time(9)))
    w.close()
    the_plan, _ = data.audit_year(w.path, settings, YEAR)
    done = rendered_family.render_year(w.path, config, folder / "reports", the_plan.periods)
    targets = {f"{t:g}%" for t in (settings.targets.acknowledgement_coverage_pct, settings.targets.removal_within_target_pct)}
    reading = rendered_family.read_year(done, the_plan, targets)
    return the_plan, reading, _family(schools, breaches, roster)


def hand_count(hand: plan.Family, key: plan.Key) -> int:
    """A count of the hand-worked figures."""
    scope, label, measure, item = key
    figures = hand.figures[(scope, hand.periods["Y"] if label == plan.STORED else label)]
    if measure == plan.ROWS:
        return figures["data"][item]["stored"]
    if measure in (plan.STAFF, plan.READ):
        part = figures["acknowledgements"]
        part = part if item == plan.TOTAL else part["by_group"].get(item, {})
        return part.get("active_staff" if measure == plan.STAFF else "acknowledged", 0)
    part = figures["breaches"]
    return part[measure] if item == plan.TOTAL else part[measure].get(item, 0)


def under_target(hand: plan.Family, key: plan.Key) -> bool | None:
    """Whether the readers of KEY are below the coverage target (None: no one in post)."""
    staff = hand_count(hand, (key[0], key[1], plan.STAFF, key[3]))
    return None if not staff else 100 * hand_count(hand, key) / staff < TARGET


def assert_the_pages_print_the_plan_and_give_nothing_away(the_plan: plan.Plan, reading, hand: plan.Family) -> None:
    """Every count, share and status the year's pages print, held against the plan and the hand-worked figures; then
    the auditor on the counts as the pages print them."""
    n = the_plan.threshold
    assert not reading.unread_tables, reading.unread_tables  # every table about breaches or staff is read here
    assert not reading.loose, reading.loose  # no percentage or staff count in the words that the tables withhold
    for key, texts in reading.cells.items():
        expected = (the_plan.text(key) or plan.NOT_PUBLISHED) if key in the_plan.values else plan.NOT_PUBLISHED
        assert texts == {expected}, (key, texts, expected, reading.places[key][:3])
    shared = reading.shared()
    comparison = (the_plan.periods["PT3"], the_plan.periods["PY"])  # their staff are printed only within a share
    # a page lists staff groups only when it can list them all (one not shown, left out, would read as 0; listed,
    # as at least 1): else it gives All staff alone, printing less than the plan allows
    by_group = {k[:2] for k in reading.cells if k[2] == plan.STAFF and k[3] != plan.TOTAL}
    for key, state in the_plan.status.items():
        if key[2] in (plan.STAFF, plan.READ) and (key[1] in comparison or
                                                  (key[3] != plan.TOTAL and key[:2] not in by_group)):
            continue
        if state != plan.NOT_SHOWN and the_plan.values[key]:
            assert key in reading.cells or key in shared, f"{key} is published by the plan but no page prints it"
        if state == plan.SHOWN:
            assert the_plan.values[key] == hand_count(hand, key), key
        elif state == plan.SMALL:
            assert 0 < hand_count(hand, key) < n, key
    for page, key, text in reading.shares:  # a share is printed only beside its two counts, and is right
        assert the_plan.status[key] == plan.SHOWN, (page, key, text)
        assert the_plan.status[(key[0], key[1], plan.STAFF, key[3])] == plan.SHOWN, (page, key, text)
        staff = hand_count(hand, (key[0], key[1], plan.STAFF, key[3]))
        assert abs(float(text.rstrip("%")) - 100 * hand_count(hand, key) / staff) <= 0.05 + 1e-9, (page, key, text)
    for page, key, text in reading.statuses:  # against the target: withheld with the counts, else right
        if the_plan.status.get(key) != plan.SHOWN:
            assert text in ("[c]", plan.NOT_PUBLISHED), (page, key, text)
        else:
            below = under_target(hand, key)
            expected = {None: {"–"}, True: {"▲ Review", "Below the target"}, False: {"✔ OK", "Meets the target"}}
            assert text in expected[below], (page, key, text)
    for page, scope, label, text in reading.reviews:  # each report's headline: only the coverage check can fire
        key = (scope, label, plan.READ, plan.TOTAL)
        if the_plan.status.get(key) != plan.SHOWN:
            assert text == "[c]", (page, scope, label, text)
        else:
            assert text == ("▲ Review" if under_target(hand, key) else "✔ OK"), (page, scope, label, text)
    as_read = rendered_family.as_plan(reading, the_plan)
    printed = {k for k in the_plan.values if k in reading.cells or k in shared}
    assert {k: as_read.status[k] for k in printed} == {k: the_plan.status[k] for k in printed}  # the plan, as decided
    result = audit.audit(as_read)
    assert result.safe, [f.describe(n) for f in result.unsafe]


def test_the_rendered_year_of_a_small_trust_prints_the_plan_and_gives_nothing_away(tmp_path):
    # Two schools and a two-person central team, half of whose staff have read the policy; one breach investigation
    # in the whole warehouse. Before: the central team's annual report gave its coverage as "Only 50% of staff...",
    # the index pages said "▲ Review" for it while every page withheld its coverage, and every page's "rows stored"
    # said 1 breach investigation where the figures said "<3".
    schools = ["Alder School", "Birch School", "Central team"]
    roster = [("Central team", "contractor", 1), ("Central team", "support", None)]
    for school in schools[:2]:
        roster += [(school, "teaching", 1)] * 9 + [(school, "teaching", 2)] * 3 + [(school, "support", None)] * 2
        roster += [(school, "support", 3)] * 4 + [(school, "contractor", 1)] * 3
    the_plan, reading, hand = render_trust(tmp_path, schools, [("Alder School", 1, 2, "disrepute", "informal_advice")],
                                           roster)
    assert reading.pages == 16  # three termly reports and the annual, for the organisation and each school
    assert the_plan.text((ORG, plan.STORED, plan.ROWS, "breaches")) == "<3"
    assert_the_pages_print_the_plan_and_give_nothing_away(the_plan, reading, hand)


@hsettings(max_examples=3, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],  # no shrinking:
           suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # each try renders 16
@given(st.data())
def test_random_small_trusts_rendered_whole_give_nothing_away(tmp_path_factory, draw):
    # The year's every page (12 to 20 of them), rendered with the real notebooks and read back from the HTML.
    schools = [f"School {i}" for i in range(draw.draw(st.integers(2, 4)))]
    school = st.sampled_from(schools)
    breaches = []
    for _ in range(draw.draw(st.integers(0, 6))):
        opened = draw.draw(st.integers(0, 3))
        closed = draw.draw(st.one_of(st.none(), st.integers(opened, 3)))
        breaches.append((draw.draw(school), opened, closed, draw.draw(st.sampled_from(RULES)),
                         draw.draw(st.sampled_from(OUTCOMES))))
    roster = [(draw.draw(school), draw.draw(st.sampled_from(GROUPS)), draw.draw(st.one_of(st.none(), st.integers(1, 3))))
              for _ in range(draw.draw(st.integers(1, 30)))]
    the_plan, reading, hand = render_trust(tmp_path_factory.mktemp("trust"), schools, breaches, roster)
    stored = {record[0] for record in [*breaches, *roster]}  # a batch reports on the schools the warehouse holds
    assert reading.pages == 4 * (len(stored) + 1)
    assert_the_pages_print_the_plan_and_give_nothing_away(the_plan, reading, hand)
