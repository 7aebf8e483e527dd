"""A school's own export: its headers and words mapped to the canonical ones, and its schools reconciled.

Read from the settings TOML:

    [columns.incidents]            # the school's header, as written -> the canonical column
    "Logged On" = "reported_at"
    [values.category]              # the school's word -> the canonical value
    "Name calling" = "bullying"
    [exports.breaches]
    date_order = "month_first"     # the export writes 10/29/2023
    [schools."Oakfield Primary School"]
    urn = "100001"
    aliases = ["Oakfield", "Oakfield Primary"]
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policy_analytics import vocab
from policy_analytics.errors import UserError
from policy_analytics.exports import KINDS, header_key

SECTIONS = ("columns", "values", "exports", "schools")
DATE_ORDERS = ("day_first", "month_first")


@dataclass(frozen=True)
class SchoolEntry:
    """One school listed in the settings: its name as reports show it, other spellings and its URN."""

    name: str
    aliases: tuple[str, ...] = ()
    urn: str | None = None


@dataclass(frozen=True)
class Profiles:
    """The school's mapping profiles: header and value mappings per export, and date order per export."""

    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> {header key: canonical column}
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # domain -> {school's word: canonical value}
    date_order: dict[str, str] = field(default_factory=dict)  # kind -> day_first | month_first
    schools: tuple[SchoolEntry, ...] = ()

    def headers(self, kind: str) -> dict[str, str]:
        """The header mapping of one export, keyed as headers are matched."""
        return self.columns.get(kind, {})


def parse_profiles(raw: dict[str, Any], source: Path | None) -> Profiles:
    """The mapping sections of a settings file, checked: every target must be a canonical column or value."""
    where = f"Settings file {source}"
    columns: dict[str, dict[str, str]] = {}
    for kind, mapping in _tables(raw, "columns", where).items():
        export = _kind(kind, "columns", where)
        known = {c.name for c in export.columns}
        columns[kind] = {}
        for header, target in _tables(mapping, f"columns.{kind}", where, leaf=True).items():
            if str(target) not in known:
                raise UserError(f"{where}: columns.{kind} maps {header!r} to {target!r}, which is not a column of "
                                f"{kind} (columns: {', '.join(sorted(known))}).")
            columns[kind][header_key(header)] = str(target)
    values: dict[str, dict[str, str]] = {}
    for domain, mapping in _tables(raw, "values", where).items():
        if domain not in vocab.DOMAINS:
            raise UserError(f"{where}: [values.{domain}] is not a vocabulary (vocabularies: {', '.join(vocab.DOMAINS)}).")
        canonical = {vocab.vocab_key(v): v for v in vocab.DOMAINS[domain]}
        values[domain] = {}
        for word, target in _tables(mapping, f"values.{domain}", where, leaf=True).items():
            value = canonical.get(vocab.vocab_key(str(target)))
            if value is None:
                raise UserError(f"{where}: values.{domain} maps {word!r} to {target!r}, which is not a {domain} value "
                                f"(expected {vocab.expected(domain)}).")
            values[domain][str(word)] = value
    date_order: dict[str, str] = {}
    for kind, options in _tables(raw, "exports", where).items():
        _kind(kind, "exports", where)
        for key, value in options.items():
            if key != "date_order" or value not in DATE_ORDERS:
                raise UserError(f"{where}: exports.{kind}.{key} = {value!r} is not a known setting "
                                f"(known: date_order = \"day_first\" or \"month_first\").")
            date_order[kind] = value
    schools = tuple(_school(name, entry, where) for name, entry in _tables(raw, "schools", where).items())
    return Profiles(columns=columns, values=values, date_order=date_order, schools=schools)


def _tables(raw: dict[str, Any], section: str, where: str, *, leaf: bool = False) -> dict[str, Any]:
    found = raw.get(section, {}) if not leaf else raw
    if not isinstance(found, dict):
        raise UserError(f"{where}: [{section}] must be a table.")
    for key, value in found.items():
        if leaf and not isinstance(value, str):
            raise UserError(f"{where}: {section}.{key} must be text, as in \"{key}\" = \"...\".")
    return found


def _kind(kind: str, section: str, where: str):
    if kind not in KINDS:
        raise UserError(f"{where}: [{section}.{kind}] is not an export (exports: {', '.join(KINDS)}).")
    return KINDS[kind]


def _school(name: str, entry: Any, where: str) -> SchoolEntry:
    if not isinstance(entry, dict) or set(entry) - {"urn", "aliases"}:
        raise UserError(f"{where}: schools.\"{name}\" must be a table with only urn and aliases, "
                        f"as in [schools.\"{name}\"] urn = \"100001\", aliases = [\"...\"].")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list):
        raise UserError(f"{where}: schools.\"{name}\".aliases must be a list of names.")
    urn = entry.get("urn")
    return SchoolEntry(name=name, aliases=tuple(str(a) for a in aliases), urn=None if urn is None else str(urn).strip())


# --- schools ---------------------------------------------------------------------------------------

_APOSTROPHES_AND_STOPS = re.compile(r"[.'\u2018\u2019\u02bc`\u00b4]")
_SPACES = re.compile(r"\s+")
SCHOOL_KEY_SQL = (  # the same key in SQL, for the migration of a warehouse loaded before names were reconciled
    "trim(regexp_replace(regexp_replace(lower({c}), '[.''\u2018\u2019\u02bc`\u00b4]', '', 'g'), '\\s+', ' ', 'g'))"
)


def school_key(name: str) -> str:
    """A school's name as names are matched: case, surrounding and repeated spaces, apostrophes and full stops ignored."""
    return _SPACES.sub(" ", _APOSTROPHES_AND_STOPS.sub("", str(name).lower())).strip()


@dataclass
class SchoolNames:
    """Turns the school names an export writes into one name per school."""

    listed: dict[str, str]  # school key of a listed name, alias or URN -> the listed name
    stored: dict[str, str]  # school key -> the name already stored for it

    @classmethod
    def build(cls, names: tuple[str, ...], entries: tuple[SchoolEntry, ...], stored: list[str]) -> SchoolNames:
        """From the settings' school names and entries and the names already in the warehouse."""
        listed: dict[str, str] = {}
        for entry in entries:
            for spelling in (entry.name, *entry.aliases, *([entry.urn] if entry.urn else [])):
                listed.setdefault(school_key(spelling), entry.name)
        for name in names:
            listed.setdefault(school_key(name), name)
        return cls(listed, {school_key(s): s for s in sorted(stored)})

    def canonical(self, texts: dict[str, int]) -> tuple[dict[str, str], dict[str, str]]:
        """For the texts of a file (with their row counts): ({text: canonical name}, {unmatched: closest listed}).

        A listed name, alias or URN wins; then a name already stored; then the file's commonest spelling.
        A name stored with the same school key as the winner is kept, so one school never has two stored names.
        """
        chosen: dict[str, str] = {}
        commonest: dict[str, str] = {}
        for text, count in sorted(texts.items(), key=lambda t: (-t[1], t[0])):
            commonest.setdefault(school_key(text), text)
        unmatched: dict[str, str] = {}
        for text in texts:
            key = school_key(text)
            if key in self.listed:
                chosen[text] = self.stored.get(school_key(self.listed[key]), self.listed[key])
                continue
            chosen[text] = self.stored.get(key) or commonest[key]
            closest = difflib.get_close_matches(key, list(self.listed), n=1, cutoff=0)
            unmatched[text] = self.listed[closest[0]] if closest else ""
        return chosen, unmatched

    def resolve(self, wanted: str) -> str | None:
        """The name a --school argument means (any spelling, alias or URN), or None."""
        key = school_key(wanted)
        name = self.listed.get(key) or self.stored.get(key)
        return None if name is None else self.stored.get(school_key(name), name)
