"""The policy's vocabularies and the aliases real exports use for them (docs/hr/exports.md)."""

from __future__ import annotations

import re

PLATFORMS: dict[str, list[str]] = {
    "Facebook": ["fb"],
    "Instagram": ["insta", "ig"],
    "TikTok": ["tik tok"],
    "X": ["twitter", "x.com", "x (twitter)"],
    "WhatsApp": ["whats app"],
    "YouTube": ["you tube"],
    "Snapchat": ["snap"],
    "LinkedIn": [],
    "Other": [],
}

CATEGORIES: dict[str, list[str]] = {
    "confidential": [],
    "bullying": [],
    "discrimination_harassment": ["harassment", "discrimination", "victimisation"],
    "disrepute": [],
    "offensive": ["lewd", "sexually explicit", "threatening"],
    "reputation": [],
    "defamatory": ["false", "knowingly false"],
    "copyright": [],
    "unlawful": [],
    "grooming": ["exploitation", "stalking"],
    "inappropriate_material": ["hateful language"],
    "self_harm": ["violence", "risk taking"],
    "sexting": ["fake profile", "catfishing", "live streaming"],
    "cyberbullying_of_staff": [],
}

SEVERITIES = ["low", "medium", "high", "critical"]
IMPACTS = ["low", "medium", "high"]
OUTCOMES = [
    "no_case_to_answer",
    "informal_advice",
    "written_warning",
    "final_warning",
    "dismissal",
    "referred_to_police",
]
SUBMITTERS = ["staff", "pupil", "parent", "public", "unknown"]
STAFF_GROUPS = ["teaching", "support", "leadership", "governor", "volunteer", "contractor"]
EMPLOYMENT = ["full_time", "part_time", "fixed_term"]

# domain -> {canonical value: aliases}
DOMAINS: dict[str, dict[str, list[str]]] = {
    "platform": PLATFORMS,
    "category": CATEGORIES,
    "severity": {v: [] for v in SEVERITIES},
    "impact": {v: [] for v in IMPACTS},
    "outcome": {v: [] for v in OUTCOMES},
    "submitted_by": {v: [] for v in SUBMITTERS},
    "staff_group": {v: [] for v in STAFF_GROUPS},
    "employment": {v: [] for v in EMPLOYMENT},
}

_SEPARATORS = re.compile(r"[\s\-]+")


def vocab_key(text: str) -> str:
    """Normalise a vocabulary value as the loader's SQL does: trimmed, lower case, spaces and hyphens as `_`."""
    return _SEPARATORS.sub("_", text.strip().lower())


def vocab_rows(own: dict[str, dict[str, str]] | None = None) -> list[tuple[str, str, str]]:
    """Every (domain, key, canonical value) pair, for the warehouse's `ref_vocab` table; OWN adds the school's
    words ({domain: {word: canonical value}}, from the settings' [values] tables)."""
    rows: dict[tuple[str, str], str] = {}
    for domain, values in DOMAINS.items():
        for canonical, aliases in values.items():
            for spelling in [canonical, *aliases]:
                rows[(domain, vocab_key(spelling))] = canonical
    for domain, words in (own or {}).items():
        for word, canonical in words.items():
            rows[(domain, vocab_key(word))] = canonical
    return [(domain, key, value) for (domain, key), value in sorted(rows.items())]


def expected(domain: str) -> str:
    """The accepted values of a domain, as a phrase for an error message."""
    values = list(DOMAINS[domain])
    return ", ".join(values[:-1]) + " or " + values[-1]
