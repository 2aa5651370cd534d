"""Safe output of text from data: escaping, links and tables for both renderers.

Everything that came from data (outlets, titles, notes, claim texts, URLs) is untrusted: it is
escaped for HTML *and* for Markdown before it reaches the page, and links are made only from
``http``/``https`` addresses; anything else (``javascript:``, ``data:``, relative paths) is shown
as plain text. :class:`Html` marks a string as already safe; :func:`table` builds tables that
render the same in nbconvert (``text/html``) and Quarto/Typst (``text/markdown``).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from haiti_report.report.text.format import number

# The words values.ReportedValue.phrase uses, so prose and parsing agree.
_WEB_URL = re.compile(r"^https?://[^\s<>\"'`\\]+$", re.IGNORECASE)
# Characters with a meaning in Markdown as Quarto's Pandoc reads it (CommonMark + GFM tables,
# plus Pandoc's $math$, ^superscript^, ~subscript~, @citations, example lists (@),
# {attributes} and =raw blocks), escaped in text from data. (A % means something only at the
# very start of a document, where data never is.) Pandoc lets a backslash
# escape any ASCII punctuation, and its Typst writer then escapes whatever Typst needs itself.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>:$^@=])")
# Controls and invisible reordering characters never reach the page from data.
_MD_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Runs of breaking whitespace become one space; no-break spaces stay (a French "1 412 199").
_MD_SPACES = re.compile(r"[^\S\u00a0\u2007\u202f]+")


# --- safe output ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Html:
    """A string that is already safe HTML (built here from escaped parts)."""

    html: str
    markdown: str

    def __str__(self) -> str:
        return self.html

    def _repr_html_(self) -> str:  # shown by nbconvert
        return self.html

    def _repr_markdown_(self) -> str:  # used by Quarto
        return self.markdown


def escape(text: Any) -> str:
    """HTML-escape text from data (quotes too, so it is safe inside attributes)."""
    return html.escape("" if text is None else str(text), quote=True)


def escape_md(text: Any) -> str:
    """Escape text from data for Markdown (Quarto/Pandoc, and Typst through it): HTML specials
    become entities, Markdown and Pandoc specials get a backslash (so '[x](javascript:…)'
    cannot become a link, '$x$' math, '@key' a citation, '^x^' a superscript), line breaks
    become spaces and control characters U+FFFD."""
    plain = _MD_SPACES.sub(" ", _MD_INVISIBLE.sub("\ufffd", "" if text is None else str(text)))
    plain = plain.strip(" ")
    return _MD_SPECIAL.sub(r"\\\1", html.escape(plain, quote=True))


def is_web_url(url: Any) -> bool:
    return isinstance(url, str) and bool(_WEB_URL.match(url.strip()))


def link(text: Any, url: Any) -> Html:
    """A link only for http(s) addresses; anything else is plain (escaped) text."""
    label = text if text not in (None, "") else url
    if not is_web_url(url):
        return Html(escape(label), escape_md(label))
    href = url.strip()
    return Html(
        f'<a href="{escape(href)}" rel="noopener noreferrer">{escape(label)}</a>',
        f"[{escape_md(label)}](<{_md_url(href)}>)",
    )


def _md_url(url: str) -> str:
    # Inside <…> a Markdown destination may hold anything but '<', '>' and line breaks.
    return url.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")


def cell_html(value: Any) -> str:
    if isinstance(value, Html):
        return value.html
    return escape(_text(value))


def cell_md(value: Any) -> str:
    if isinstance(value, Html):
        return value.markdown
    return escape_md(_text(value))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return "yes" if value.lower() == "true" else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return number(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return number(value)
    return str(value)


class Table:
    """A table whose every cell is escaped; shows as HTML (nbconvert) or Markdown (Quarto)."""

    def __init__(
        self,
        rows: Iterable[Mapping[str, Any]],
        columns: Sequence[str] | Mapping[str, str],
        *,
        caption: str | None = None,
        numeric: Iterable[str] = (),
    ) -> None:
        self.columns = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}
        self.rows = [dict(r) for r in rows]
        self.caption = caption
        self.numeric = set(numeric)

    def _repr_html_(self) -> str:
        head = "".join(
            f'<th style="text-align:{"right" if key in self.numeric else "left"}">'
            f"{escape(label)}</th>"
            for key, label in self.columns.items()
        )
        body = []
        for row in self.rows:
            cells = []
            for key in self.columns:
                style = (
                    ' style="text-align:right"'
                    if key in self.numeric
                    else ' style="text-align:left"'
                )
                cells.append(f"<td{style}>{cell_html(row.get(key))}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        caption = f"<caption>{escape(self.caption)}</caption>" if self.caption else ""
        return (
            f'<table class="report-table">{caption}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>"
        )

    def _repr_markdown_(self) -> str:
        keys = list(self.columns)
        lines = [
            "| " + " | ".join(escape_md(self.columns[k]) for k in keys) + " |",
            "|" + "|".join("---:" if k in self.numeric else "---" for k in keys) + "|",
        ]
        for row in self.rows:
            lines.append("| " + " | ".join(cell_md(row.get(k)) for k in keys) + " |")
        if self.caption:
            lines = [escape_md(self.caption), "", *lines]
        return "\n".join(lines)

    def __len__(self) -> int:
        return len(self.rows)


class Text:
    """A paragraph built from safe pieces: shows as HTML and as Markdown."""

    def __init__(self, *parts: Any, tag: str = "p") -> None:
        self.parts = parts
        self.tag = tag

    def _repr_html_(self) -> str:
        inner = "".join(cell_html(p) if isinstance(p, Html) else escape(p) for p in self.parts)
        return f"<{self.tag}>{inner}</{self.tag}>"

    def _repr_markdown_(self) -> str:
        text = "".join(cell_md(p) if isinstance(p, Html) else escape_md(p) for p in self.parts)
        if self.tag.startswith("h") and self.tag[1:].isdigit():
            return "#" * int(self.tag[1:]) + " " + text
        return text


def bold(text: Any) -> Html:
    return Html(f"<strong>{escape(text)}</strong>", f"**{escape_md(text)}**")


def bullets(items: Iterable[Any]) -> Html:
    items = list(items)
    html_items = "".join(
        f"<li>{cell_html(i) if isinstance(i, Html) else escape(i)}</li>" for i in items
    )
    md_items = "\n".join(f"- {cell_md(i) if isinstance(i, Html) else escape_md(i)}" for i in items)
    return Html(f"<ul>{html_items}</ul>", md_items)


def frame_table(
    frame: Any,
    columns: Mapping[str, str],
    *,
    numeric: Iterable[str] = (),
    links: Mapping[str, str] | None = None,
) -> Table:
    """Any polars frame as an escaped table; ``links`` maps a column to the column holding
    its URL (links only for http/https)."""
    rows = []
    for r in frame.iter_rows(named=True):
        row = dict(r)
        for col, url_col in (links or {}).items():
            row[col] = link(r[col], r[url_col])
        rows.append(row)
    return Table(rows, columns, numeric=numeric)
