"""A year's reports read back as a reader of the whole pack reads them: from the rendered pages alone.

`render_year` renders the family with the real notebooks (a batch per term and one for the year: the
organisation's report and every school's, with their index pages). `read_year` finds in the pages every
protected count they print (each cell's text: a number, `<N`, `[c]` or `–`), every share and status drawn from
those counts, every review headline, and any percentage or "N of M staff" anywhere in a page's text, charts
included, that it cannot place: the tests hold all of it against the publication plan and hand-worked
figures, and audit the counts as read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from bs4 import BeautifulSoup

from policy_analytics.reports import batch, plan
from policy_analytics.reports.formats import CATEGORY_LABELS, GROUP_LABELS, KIND_LABELS, OUTCOME_LABELS

ORG = plan.ORGANISATION
GROUPS = {v: k for k, v in GROUP_LABELS.items()} | {"All staff": plan.TOTAL}
OUTCOMES = {v: k for k, v in OUTCOME_LABELS.items()}
RULES = {v: k for k, v in CATEGORY_LABELS.items()}
EXPORTS = {v: k for k, v in KIND_LABELS.items()}
BREACH_ROWS = {"Breach investigations opened": "opened", "Breach investigations closed": "closed",
               "Open at the end": "open_at_end"}
PROTECTED_WORDS = re.compile(r"breach|investigation|staff|read|acknowledg|roster", re.I)
PERCENT = re.compile(r"(?<![\w.])\d+(?:\.\d+)?%")
STAFF_SENTENCE = re.compile(r"(\d[\d,]*) of (\d[\d,]*) members of staff in post[^(]*\((\d+(?:\.\d+)?%)\)")
Key = plan.Key


@dataclass
class Reading:
    """What the pages print about the protected counts."""

    cells: dict[Key, set[str]] = field(default_factory=dict)  # each count's texts, over every page
    places: dict[Key, list[str]] = field(default_factory=dict)  # where each was read (for messages)
    shares: list[tuple[str, Key, str]] = field(default_factory=list)  # (page, the readers' cell, '60%')
    statuses: list[tuple[str, Key, str]] = field(default_factory=list)  # (page, readers' cell, against the target)
    reviews: list[tuple[str, str, str, str]] = field(default_factory=list)  # (page, scope, period, headline)
    loose: list[tuple[str, str]] = field(default_factory=list)  # (page, text) found in the words, not placed
    unread_tables: list[tuple[str, str]] = field(default_factory=list)  # (page, caption) of a table not known here
    pages: int = 0

    def count(self, page: str, key: Key, text: str) -> None:
        self.cells.setdefault(key, set()).add(text)
        self.places.setdefault(key, []).append(page)

    def shared(self) -> set[Key]:
        """The counts a printed share gives a reader (taken as shown: the share and either count give the other)."""
        return {(k[0], k[1], measure, k[3]) for _, k, _ in self.shares for measure in (plan.READ, plan.STAFF)}

    def status_of(self, key: Key, threshold: int) -> str | None:
        """The most revealing status a reader gives KEY over every page (None: never printed)."""
        found = [_status(t, threshold) for t in self.cells.get(key, ())]
        found += [plan.SHOWN] if key in self.shared() else []
        return max(found, key=plan.REVEALING.index) if found else None


def _status(text: str, threshold: int) -> str:
    if text == f"<{threshold}":
        return plan.SMALL
    if text == "[c]":
        return plan.WITHHELD
    if text in ("–", ""):
        return plan.NOT_SHOWN
    return plan.SHOWN


def render_year(db: Path, config: Path, out: Path, periods: dict[str, str]) -> list[batch.BatchFiles]:
    """Every report of the year of PERIODS (roles T1 T2 T3 Y), rendered by the batch into OUT."""
    return [batch.render_batch(kind, periods[role], db, config, out)
            for kind, role in (("termly", "T1"), ("termly", "T2"), ("termly", "T3"), ("annual", "Y"))]


def _tables(soup: BeautifulSoup):
    """Each table: its caption, its header cells and its body rows (cells as text)."""
    for table in soup.find_all("table"):
        caption = table.find("caption")
        rows = [[c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])] for tr in table.find_all("tr")]
        rows = [r for r in rows if len(r) > 1]
        if rows:
            yield (caption.get_text(" ", strip=True) if caption else ""), rows[0], rows[1:]


def _words(soup: BeautifulSoup) -> str:
    """Everything a reader can read on the page: its text, labels and titles, and the text inside its charts."""
    found = []
    for img in soup.find_all("img"):
        src = img.get("src", "")
        if src.startswith("data:image/svg+xml"):
            svg = BeautifulSoup(unquote(src.split(",", 1)[1]), "html.parser")
            found += [t.get_text(" ", strip=True) for t in svg.find_all("text")]
    for tag in soup.find_all(True):
        found += [tag[a] for a in ("aria-label", "title", "alt") if isinstance(tag.get(a), str)]
    for tag in soup(["style", "script"]):
        tag.decompose()
    for table in soup.find_all("table"):
        caption = table.find("caption")
        if caption is not None and caption.get_text(strip=True) == "What each figure in this report means":
            table.decompose()  # the definitions: the settings' targets and rules, no figures
    found.append(soup.get_text(" ", strip=True))
    return "\n".join(found)


def read_page(reading: Reading, path: Path, scope: str, label: str, roles: dict[str, str],
              previous: dict[str, str], items: dict[str, list[str]]) -> None:
    """Add what one report's page prints about the protected counts (SCOPE: the school, or ORG; GROUPS: the staff
    groups, outcomes and rules of the year's figures, by measure)."""
    page = f"{path.parent.name}/{path.name}"
    soup = BeautifulSoup(path.read_text("utf-8"), "html.parser")
    reading.pages += 1
    before = previous[label]
    placed: set[str] = set()  # the percentages placed: the words may repeat them
    terms = {"Autumn": roles["T1"], "Spring": roles["T2"], "Summer": roles["T3"]}

    def share(key: Key, text: str) -> None:
        if text not in ("–", "[c]", ""):
            reading.shares.append((page, key, text))
            placed.add(text)

    for caption, head, rows in _tables(soup):
        column = {name: i for i, name in enumerate(head)}
        if caption == "The headline figures against their targets and last period":
            for row in rows:
                if row[0] in BREACH_ROWS:
                    reading.count(page, (scope, label, BREACH_ROWS[row[0]], plan.TOTAL), row[1])
                    reading.count(page, (scope, before, BREACH_ROWS[row[0]], plan.TOTAL), row[2])
                elif row[0] == "Acknowledgement coverage (%)":
                    share((scope, label, plan.READ, plan.TOTAL), row[1])
                    share((scope, before, plan.READ, plan.TOTAL), row[2])
                    reading.statuses.append((page, (scope, label, plan.READ, plan.TOTAL), row[4]))
        elif caption == "The review checks, each with its status and why":
            for row in rows:
                if row[0] == "Acknowledgement coverage":
                    reading.statuses.append((page, (scope, label, plan.READ, plan.TOTAL), row[1]))
                    found = STAFF_SENTENCE.search(row[2])
                    if found:
                        reading.count(page, (scope, label, plan.READ, plan.TOTAL), found[1])
                        reading.count(page, (scope, label, plan.STAFF, plan.TOTAL), found[2])
                        placed.add(found[3])
        elif caption == "Breach investigations, this period and last":
            for row in rows:
                if row[0] in BREACH_ROWS:
                    reading.count(page, (scope, label, BREACH_ROWS[row[0]], plan.TOTAL), row[1])
                    reading.count(page, (scope, before, BREACH_ROWS[row[0]], plan.TOTAL), row[2])
        elif caption in ("Investigations closed, by outcome, with the total",
                         "Investigations opened, by rule, with the total"):
            outcome = "outcome" in caption
            measure = "by_outcome" if outcome else "by_rule"
            listed = {(OUTCOMES if outcome else RULES).get(row[0]) for row in rows}
            for item in set(items[measure]) - listed:  # an outcome or rule left out had none
                reading.count(page, (scope, label, measure, item), "0")
            for row in rows:
                if row[0] == "Total":
                    key = (scope, label, "closed" if outcome else "opened", plan.TOTAL)
                else:
                    key = (scope, label, "by_outcome" if outcome else "by_rule",
                           (OUTCOMES if outcome else RULES)[row[0]])
                reading.count(page, key, row[1])
        elif caption == "Staff who have read the current policy, by staff group":
            listed = {GROUPS[row[0]] for row in rows}
            if listed != {plan.TOTAL}:  # the groups are listed, and a group left out has no one in post (and
                for group in set(items[plan.STAFF]) - listed:  # so no readers: the auditor knows that already)
                    reading.count(page, (scope, label, plan.STAFF, group), "0")
            for row in rows:
                group = GROUPS[row[0]]
                reading.count(page, (scope, label, plan.STAFF, group), row[column["Staff in post"]])
                reading.count(page, (scope, label, plan.READ, group), row[column["Have read it"]])
                share((scope, label, plan.READ, group), row[column["Share"]])
                reading.statuses.append((page, (scope, label, plan.READ, group), row[column["Status"]]))
        elif caption == "Staff who have read the current policy":  # the chart's figures
            for row in rows:
                share((scope, label, plan.READ, GROUPS[row[0]]), row[1])
                reading.statuses.append((page, (scope, label, plan.READ, GROUPS[row[0]]), row[2]))
        elif caption == "Each school's figures and review status":
            for row in rows:
                who = ORG if row[0] == "All schools" else row[0]
                share((who, label, plan.READ, plan.TOTAL), row[column["Read the policy"]])
                if "Breaches opened" in column:
                    reading.count(page, (who, label, "opened", plan.TOTAL), row[column["Breaches opened"]])
                reading.reviews.append((page, who, label, row[column["Review"]]))
        elif caption == "Review checks by school":
            for row in rows:
                reading.statuses.append((page, (row[0], label, plan.READ, plan.TOTAL),
                                         row[column["Acknowledgement coverage"]]))
        elif caption == "Each term's figures, the year's and the year before's":
            for row in rows:
                period = terms.get(row[0]) or (roles["Y"] if row[0].startswith("Year ") else None)
                period = roles["PY"] if row[0].startswith("Year before") else period
                if period is None:
                    reading.unread_tables.append((page, f"{caption}: row {row[0]}"))
                    continue
                share((scope, period, plan.READ, plan.TOTAL), row[column["Read the policy (at end)"]])
                for name, measure in (("Breaches opened", "opened"), ("Breaches closed", "closed")):
                    if name in column:
                        reading.count(page, (scope, period, measure, plan.TOTAL), row[column[name]])
        elif caption == "Each export: rows stored and rejected, and when it was last loaded":
            for row in rows:
                if EXPORTS[row[0]] != "incidents":
                    reading.count(page, (ORG, plan.STORED, plan.ROWS, EXPORTS[row[0]]), row[column["Rows stored"]])
        elif PROTECTED_WORDS.search(caption) or any(PROTECTED_WORDS.search(h) for h in head[1:]):
            reading.unread_tables.append((page, caption))

    banner = soup.find("p", class_="report-banner")
    if banner is not None:
        classes = banner.get("class", [])
        headline = ("▲ Review" if "report-banner-review" in classes else "✔ OK" if "report-banner-ok" in classes
                    else "[c]")
        reading.reviews.append((page, scope, label, headline))
    words = _words(soup)
    for found in STAFF_SENTENCE.finditer(words):
        if found[3] not in placed:
            reading.loose.append((page, found[0]))
    for found in PERCENT.finditer(words):
        if found[0] not in placed:
            reading.loose.append((page, found[0]))


def read_year(done: list[batch.BatchFiles], the_plan: plan.Plan, targets: set[str]) -> Reading:
    """Read every page of the year's batches DONE, and their index pages (TARGETS: the percentages the settings'
    targets print, which the words may give)."""
    reading = Reading()
    items = {m: sorted({k[3] for k in the_plan.values if k[2] == m and k[3] != plan.TOTAL})
             for m in (plan.STAFF, "by_outcome", "by_rule")}
    for found in done:
        label = found.figures.period.label
        for who, files in found.reports.items():
            read_page(reading, files.html, who or ORG, label, the_plan.periods, the_plan.previous, items)
        index = BeautifulSoup(found.index.read_text("utf-8"), "html.parser")
        for tr in index.select("tbody tr"):
            cells = tr.find_all("td")
            name = cells[0].find("a").get_text()
            who = ORG if name.startswith("All schools") else name
            reading.reviews.append((f"{found.folder.name}/index.html", who, label, cells[1].get_text(strip=True)))
    reading.loose = [(page, text) for page, text in reading.loose if text not in targets]
    return reading


def as_plan(reading: Reading, the_plan: plan.Plan) -> plan.Plan:
    """The plan a reader rebuilds from the pages: the true counts, with each cell's status as the pages print it
    (a cell never printed is not shown), and the relations every reader knows."""
    status = {k: reading.status_of(k, the_plan.threshold) or plan.NOT_SHOWN for k in the_plan.values}
    return plan.Plan(the_plan.year, the_plan.threshold, dict(the_plan.values), status, list(the_plan.relations),
                     dict(the_plan.periods), dict(the_plan.previous), list(the_plan.schools))
