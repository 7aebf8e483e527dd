"""The report page's shared look and its plain HTML pieces: a `Block`, and notes, lists, headings and small tables."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

# Colours chosen to stay distinguishable with the common colour-vision deficiencies (blue and
# orange, never red against green); every status also carries its symbol and word.
BLUE = "#1f5f8b"
LIGHT_BLUE = "#9ecae1"
ORANGE = "#c2410c"
TEXT = "#222222"  # chart text, bar labels included: always on white, never on a bar (15.9:1)
HATCH_LIGHT, HATCH_DARK = "#ffffff", "#1f2328"  # hatching stripes on dark bars and on light ones (3:1 or more)
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


def visually_hidden(text: str) -> str:
    """Escaped text that screen readers read and the page does not show (a table's corner label, say)."""
    return f'<span class="report-visually-hidden">{html.escape(text)}</span>'


def plain_table(caption: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A small accessible table (escaped): a caption, a header for each column and for each row (its first
    cell); the columns after the first are figures, aligned right."""
    head = "".join(f'<th scope="col"{_num(i)}>{html.escape(c)}</th>' for i, c in enumerate(columns))
    body = "".join(
        "<tr>" + "".join(f'<th scope="row">{html.escape(str(v))}</th>' if i == 0 else
                         f"<td{_num(i)}>{html.escape(str(v))}</td>" for i, v in enumerate(row)) + "</tr>"
        for row in rows)
    return (f'<table class="report-plain-table"><caption>{html.escape(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _num(column: int) -> str:
    return ' class="report-num"' if column else ""
