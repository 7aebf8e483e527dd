"""The report page's shared look and its plain HTML pieces: a `Block`, and notes, lists and headings."""

from __future__ import annotations

import html
from collections.abc import Iterable

# Colours chosen to stay distinguishable with the common colour-vision deficiencies (blue and
# orange, never red against green); every status also carries its symbol and word.
BLUE = "#1f5f8b"
LIGHT_BLUE = "#9ecae1"
ORANGE = "#c2410c"
REVIEW_FILL, REVIEW_TEXT = "#fde7d4", "#8a2c02"
OK_FILL, OK_TEXT = "#dbeafe", "#1e3a8a"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


class Block:
    """A piece of report HTML; notebooks display it (it has `_repr_html_`)."""

    def __init__(self, html_text: str) -> None:
        self.html = html_text

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


def note(text: str, kind: str = "note") -> Block:
    """A short paragraph (escaped): kind 'note', 'empty' or 'warning' styles it."""
    return Block(f'<p class="report-{kind}">{html.escape(text)}</p>')


def bullet_list(items: Iterable[str], css_class: str = "report-points") -> Block:
    """An escaped bullet list."""
    inner = "".join(f"<li>{html.escape(item)}</li>" for item in items)
    return Block(f'<ul class="{css_class}">{inner}</ul>')


def heading(text: str, level: int = 2, anchor: str | None = None, intro: str | None = None) -> Block:
    """A section heading (with an anchor the contents list links to) and its introduction, kept on the
    same printed page as what follows."""
    ident = f' id="section-{html.escape(anchor)}"' if anchor else ""
    lead = f'<p class="report-note">{html.escape(intro)}</p>' if intro else ""
    return Block(f'<div class="report-keep-with-next"><h{level}{ident}>{html.escape(text)}</h{level}>{lead}</div>')
