"""Read the policy document itself (DOCX, PDF, Markdown or text) and find what HR should update: acts and
platforms named by an old name, guidance cited by an old edition, review statements that disagree with the
printed review date, and register changes since the last review that bear on a section the policy has.
The rules are reference data in data/policy_check.toml, not code."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from policy_analytics import register
from policy_analytics.errors import UserError

READABLE = (".docx", ".pdf", ".md", ".markdown", ".txt", ".text")
KIND_LABELS = {
    "outdated_name": "Outdated name",
    "old_guidance": "Old edition of guidance",
    "review_date": "Review date",
    "register_event": "Change since the last review",
}
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATE = (rf"(?:(\d{{1,2}})(?:st|nd|rd|th)?\s+)?({_MONTHS}|sept?|jan|feb|mar|apr|jun|jul|aug|oct|nov|dec)\.?,?\s+(\d{{4}})"
         r"|(\d{4})-(\d{2})-(\d{2})|(\d{1,2})/(\d{1,2})/(\d{4})")
_LEADING_WORDS = {"the", "under", "see", "by", "in", "of", "and", "this", "our", "with", "per", "both", "as"}


@dataclass(frozen=True)
class Block:
    """One paragraph, table row or line of the document, and whether it is a heading."""

    text: str
    heading: bool = False


@dataclass(frozen=True)
class Finding:
    """One thing in the policy to update: what kind, what the policy says, where, what it is now and the source."""

    kind: str
    found: str
    section: str
    now: str
    detail: str
    source: str
    date: str = ""


@dataclass
class PolicyCheck:
    """What the check found in one policy document."""

    document: str
    last_reviewed: str
    next_review: str
    register_as_of: str
    changes_since: str = ""  # the date register changes are counted from ('' when there is none)
    changes_since_from: str = ""  # "the policy" (its printed last review) or "the settings"
    named: dict[str, list[str]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    """The reference data: data/policy_check.toml."""
    return tomllib.loads(resources.files("policy_analytics").joinpath("data/policy_check.toml").read_text("utf-8"))


# --- reading the document --------------------------------------------------------------------------


def read_blocks(path: Path) -> list[Block]:
    """The document's text as blocks in reading order; a plain UserError if it cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise UserError(f"The policy document {path} does not exist.")
    if suffix == ".doc":
        raise UserError(f"The policy document {path} is an old Word .doc file: save it as .docx (Word: File, Save As) and check that.")
    if suffix not in READABLE:
        raise UserError(f"The policy document {path} is not a kind this tool reads: give a .docx, .pdf, .md or .txt file.")
    if suffix == ".docx":
        return _docx_blocks(path)
    if suffix == ".pdf":
        return _text_blocks(_pdf_text(path))
    text = register._decode(path.read_bytes())
    return _markdown_blocks(text) if suffix in (".md", ".markdown") else _text_blocks(text)


def _docx_blocks(path: Path) -> list[Block]:
    """Paragraphs (Heading and Title styles as headings) and table rows, in document order."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several kinds for a file that is not a Word document
        raise UserError(f"The policy document {path} could not be read as a Word .docx file ({type(exc).__name__}).") from None
    blocks: list[Block] = []
    for child in document.element.body.iterchildren():
        if child.tag.endswith("}p"):
            para = Paragraph(child, document)
            style = (para.style.name if para.style is not None else "") or ""
            if para.text.strip():
                blocks.append(Block(para.text.strip(), style.startswith(("Heading", "Title"))))
        elif child.tag.endswith("}tbl"):
            for row in Table(child, document).rows:
                cells = [c.text.strip() for c in row.cells if c.text.strip()]
                if cells:
                    blocks.append(Block(": ".join(dict.fromkeys(cells))))  # merged cells repeat their text
    return blocks


def _pdf_text(path: Path) -> str:
    """The text layer of every page of a PDF."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UserError(f"The policy document {path} is a password-protected PDF: save an unprotected copy and check that.")
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise UserError(f"The policy document {path} could not be read as a PDF ({type(exc).__name__}).") from None
    if not text.strip():
        raise UserError(f"The policy document {path} has no text to read (a scanned PDF?): check the Word or text version.")
    return text


def _markdown_blocks(text: str) -> list[Block]:
    """Markdown lines: '#' lines are headings, table rows become 'cell: cell', emphasis marks are dropped."""
    blocks = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or re.fullmatch(r"\|?[\s:|-]+\|?", stripped):
            continue  # blank, or a table's |---|---| rule
        heading = stripped.startswith("#")
        stripped = stripped.lstrip("#").strip()
        if stripped.startswith("|"):
            stripped = ": ".join(c.strip() for c in stripped.strip("|").split("|") if c.strip())
        blocks.append(Block(re.sub(r"[*_`]+", "", stripped), heading))
    return blocks


def _text_blocks(text: str) -> list[Block]:
    """Plain text lines; a short line with no closing punctuation or date that starts with a capital or a number
    is a heading."""
    blocks = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped:
            heading = (len(stripped.split()) <= 8 and not re.search(r"[.,;:)]$", stripped)
                       and re.match(r"(\d+(\.\d+)*\.?\s+)?[A-Z]", stripped) is not None and ":" not in stripped
                       and parse_date(stripped) is None)
            blocks.append(Block(stripped, heading))
    return blocks


# --- finding ---------------------------------------------------------------------------------------


class _Text:
    """The document joined into one string, with the heading each character falls under."""

    def __init__(self, blocks: Sequence[Block]) -> None:
        parts, self._starts, self._headings, offset = [], [], [], 0
        current = ""
        for block in blocks:
            text = unicodedata.normalize("NFKC", block.text)  # PDF ligatures and non-breaking spaces read plainly
            if block.heading:
                current = text
            parts.append(text)
            self._starts.append(offset)
            self._headings.append(current)
            offset += len(text) + 1
        self.text = "\n".join(parts)
        self.headings = [h for h, b in zip(self._headings, blocks) if b.heading]

    def section_at(self, offset: int) -> str:
        """The heading above this character ('' before the first heading)."""
        index = 0
        for i, start in enumerate(self._starts):
            if start > offset:
                break
            index = i
        return self._headings[index] if self._headings else ""

    def finditer(self, pattern: str) -> Iterable[re.Match[str]]:
        return re.finditer(pattern, self.text, re.IGNORECASE)


def _cited(cited_as: str) -> dict[str, str]:
    return next((row for row in register.load_cited_legislation() if row["cited_as"] == cited_as), {})


def _outdated(doc: _Text) -> list[Finding]:
    findings, seen = [], set()
    for rule in rules()["outdated"]:
        row = _cited(rule["cited_as"]) if "cited_as" in rule else rule
        for match in doc.finditer(rule["pattern"]):
            found = " ".join(match.group(0).split())
            if (found.casefold(), rule["pattern"]) in seen:
                continue  # one finding per name, where it first appears
            seen.add((found.casefold(), rule["pattern"]))
            now = row.get("now") or row.get("current_name", "")
            detail = f"The policy names \u201c{found}\u201d; now: {now}. {row.get('note', '')}".strip()
            findings.append(Finding("outdated_name", found, doc.section_at(match.start()), now, detail, row.get("source", "")))
    return findings


def _old_guidance(doc: _Text) -> list[Finding]:
    findings, seen = [], set()
    for rule in rules()["guidance"]:
        in_force = dt.date.fromisoformat(rule["in_force"])
        for match in doc.finditer(rule["pattern"]):
            year = int(match.group(1))
            if year >= rule["current"] or (rule["name"], year) in seen:
                continue
            seen.add((rule["name"], year))
            now = f"{rule['name']} {rule['current']}"
            detail = (f"The policy cites {rule['name']} {year}; the edition in force is {now} "
                      f"(since {in_force.day} {in_force:%B %Y}).")
            findings.append(Finding("old_guidance", " ".join(match.group(0).split()), doc.section_at(match.start()),
                                    now, detail, rule["source"]))
    return findings


def parse_date(text: str) -> dt.date | None:
    """A date as policies print it: '1 October 2024', 'October 2024' (the 1st), '2024-10-01' or '01/10/2024'."""
    match = re.search(_DATE, text, re.IGNORECASE)
    if not match:
        return None
    g = match.groups()
    try:
        if g[1]:
            month = next(i for i, name in enumerate(_MONTHS.split("|"), 1) if name.startswith(g[1].lower()[:3]))
            return dt.date(int(g[2]), month, int(g[0] or 1))
        if g[3]:
            return dt.date(int(g[3]), int(g[4]), int(g[5]))
        return dt.date(int(g[8]), int(g[7]), int(g[6]))
    except ValueError:
        return None


def printed_dates(doc: _Text) -> tuple[dt.date | None, dt.date | None]:
    """The last-review and next-review dates printed on the policy, where it prints them."""
    found = []
    for key in ("last_review", "next_review"):
        match = re.search(rules()["dates"][key] + r"\s*(?:date)?\s*[:\-\u2013]?\s*(?:on\s+|by\s+)?(" + _DATE + ")",
                          doc.text, re.IGNORECASE)
        found.append(parse_date(match.group(1)) if match else None)
    return found[0], found[1]


def _review_statement(doc: _Text, last: dt.date | None, due: dt.date | None) -> list[Finding]:
    if last is None or due is None:
        return []
    for rule in rules()["interval"]:
        match = next(iter(doc.finditer(rule["pattern"])), None)
        if match is None:
            continue
        gap = (due.year - last.year) * 12 + due.month - last.month
        if gap == rule["months"]:
            return []
        said = " ".join(match.group(0).split())
        detail = (f"The policy says it is \u201c{said}\u201d (every {rule['months']} months), but its printed review date "
                  f"({_day(due)}) is {gap} months after its last review ({_day(last)}): make them agree.")
        return [Finding("review_date", said, doc.section_at(match.start()), f"every {rule['months']} months",
                        detail, "")]
    return []


def _register_events(doc: _Text, events: Sequence[register.ReviewEvent], since: dt.date, until: dt.date) -> list[Finding]:
    findings = []
    for topic in rules()["topics"]:
        section = next((h for h in doc.headings if re.search(topic["section"], h, re.IGNORECASE)), None)
        if section is None:
            continue
        for event in register.events_between(events, since, until):
            if re.search(topic["events"], event.title, re.IGNORECASE):
                detail = (f"Since the last review ({_day(since)}): {event.title} ({_day(event.date)}). "
                          f"Check the policy's section \u201c{section}\u201d against it.")
                findings.append(Finding("register_event", section, section, event.title, detail, event.source,
                                        event.date.isoformat()))
    return findings


def _named(doc: _Text) -> dict[str, list[str]]:
    """The acts, guidance and platforms the policy names (outdated ones included), in order of first mention."""
    named = rules()["named"]
    acts = []
    for match in re.finditer(named["acts_pattern"], doc.text):
        words = re.split(r"\s+and\s+the\s+", match.group(0))[-1].split()  # "UK GDPR and the Data Protection Act 2018"
        while words and (words[0].lower() in _LEADING_WORDS or words[0][0].islower()):
            words.pop(0)
        acts.append(" ".join(words))
    guidance = [f"{rule['name']} {m.group(1)}" for rule in rules()["guidance"] for m in doc.finditer(rule["pattern"])]
    platforms = [p for p in named["platforms"] if re.search(rf"\b{re.escape(p)}\b", doc.text)]
    if re.search(named["x_pattern"], doc.text):
        platforms.append("X")
    platforms += [" ".join(m.group(0).split()) for rule in rules()["outdated"] if rule["kind"] == "platform"
                  for m in doc.finditer(rule["pattern"])]
    return {key: list(dict.fromkeys(values)) for key, values in
            (("acts", acts), ("guidance", guidance), ("platforms", platforms))}


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def check_policy(path: str | Path, events: Sequence[register.ReviewEvent] | None = None,
                 last_reviewed: dt.date | None = None, until: dt.date | None = None) -> PolicyCheck:
    """Check one policy document. Register events count from the review date printed on it (else
    `last_reviewed`) up to `until` (default today)."""
    path = Path(path)
    doc = _Text(read_blocks(path))
    last, due = printed_dates(doc)
    since = last or last_reviewed
    found = PolicyCheck(str(path), last.isoformat() if last else "", due.isoformat() if due else "",
                        register.register_as_of().isoformat(), since.isoformat() if since else "",
                        ("the policy" if last else "the settings") if since else "", _named(doc))
    found.findings = _outdated(doc) + _old_guidance(doc) + _review_statement(doc, last, due)
    if since is not None:
        chosen = register.load_review_events() if events is None else events
        found.findings += _register_events(doc, chosen, since, until or dt.date.today())
    return found


def check_settings_document(settings: Any, until: dt.date) -> PolicyCheck | None:
    """The annual report's check of the file `[policy] document` names (None when it names none)."""
    if settings.policy_document is None:
        return None
    try:
        return check_policy(settings.policy_document, register.load_review_events(settings.review_events_file),
                            last_reviewed=settings.last_reviewed, until=until)
    except UserError as exc:
        raise UserError(f"{exc} It is named by [policy] document in {settings.source}.") from None


# --- output ----------------------------------------------------------------------------------------


def to_json(found: PolicyCheck) -> str:
    """The check as one JSON object."""
    return json.dumps(asdict(found), indent=2, ensure_ascii=False)


def to_text(found: PolicyCheck) -> str:
    """The check as plain text for the terminal."""
    lines = [f"Policy document: {found.document}",
             f"Last reviewed: {found.last_reviewed or 'not printed on it'}; next review: {found.next_review or 'not printed on it'}",
             f"Register as of {found.register_as_of}."]
    if found.changes_since:
        lines.append(f"Register changes counted from {found.changes_since} (the last review, from {found.changes_since_from}).")
    else:
        lines.append("Register changes are not listed: no last-review date is printed on the policy and no settings "
                     "file was given (pass --config with [policy] last_reviewed).")
    for key, values in found.named.items():
        lines.append(f"Named {key}: {', '.join(values) if values else 'none'}")
    if not found.findings:
        lines.append("Nothing to update found.")
    else:
        lines.append(f"{len(found.findings)} thing{'s' if len(found.findings) != 1 else ''} to update:")
        for f in found.findings:
            where = f" [section: {f.section}]" if f.section else ""
            source = f" Source: {f.source}" if f.source else ""
            lines.append(f"- {KIND_LABELS[f.kind]}{where}: {f.detail}{source}")
    return "\n".join(lines)
