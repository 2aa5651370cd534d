"""Numbers, dates and sentences for the report's text, and safe output of text from data.

House style (design/editorial.md): thousands separators ("1,412,199"); the source's qualifier is
carried ("about 1,000", "at least 1,900"); dates in prose are "21 September 2024" (ISO in
tables); shares are whole per cent unless tiny.

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

from haiti_report.raw.dates import parse_date_span
from haiti_report.raw.values import PHRASE_WORDS

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# The words values.ReportedValue.phrase uses, so prose and parsing agree.
QUALIFIER_WORDS = {**PHRASE_WORDS, "less_than": "fewer than "}
_CURRENCY_SYMBOL = {"usd": "$", "cad": "C$", "eur": "€"}
_WEB_URL = re.compile(r"^https?://[^\s<>\"'`\\]+$", re.IGNORECASE)
# Characters with a meaning in Markdown as Quarto's Pandoc reads it (CommonMark + GFM tables,
# plus Pandoc's $math$, ^superscript^, ~subscript~, @citations, example lists (@),
# {attributes} and =raw blocks), escaped in text from data. (A % means something only at the
# very start of a document, where data never is.) Pandoc lets a backslash
# escape any ASCII punctuation, and its Typst writer then escapes whatever Typst needs itself.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>:$^@=])")
# Controls and invisible reordering characters never reach the page from data.
_MD_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# --- numbers -------------------------------------------------------------------------------


def number(value: int | float | None) -> str:
    """1412199 -> '1,412,199'; 0.5 -> '0.5'; None -> 'unspecified'."""
    if value is None:
        return "unspecified"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def reported(
    value: int | float | None,
    qualifier: str | None = "exact",
    *,
    high: int | float | None = None,
    unit: str = "people",
) -> str:
    """A figure in house style with the source's qualifier: 'about 1,000', 'at least 1,900',
    '1,500–2,000', '$110.3 million'."""
    if value is None:
        return "unspecified"
    qualifier = qualifier or "exact"
    if qualifier == "range" and high is not None:
        return f"{_amount(value, unit)}–{_amount(high, unit, symbol=False)}"
    words = QUALIFIER_WORDS.get(qualifier, "")
    if qualifier == "less_than" and unit in _CURRENCY_SYMBOL:
        words = "less than "
    return words + _amount(value, unit)


def _amount(value: int | float, unit: str, *, symbol: bool = True) -> str:
    if unit == "percent":
        return f"{value:g}%"
    sign = _CURRENCY_SYMBOL.get(unit, "") if symbol else ""
    if unit in _CURRENCY_SYMBOL:
        return sign + money_words(value)
    return number(value)


def money_words(value: int | float) -> str:
    """110_300_000 -> '110.3 million'; 100_000 -> '100,000'."""
    for factor, word in ((10**9, "billion"), (10**6, "million")):
        if value >= factor:
            text = f"{value / factor:.2f}".rstrip("0").rstrip(".")
            return f"{text} {word}"
    return number(value)


def money(value: int | float | None, currency: str = "usd", qualifier: str | None = "exact") -> str:
    """'$110.3 million', 'about C$80.5 million'."""
    return reported(value, qualifier, unit=currency)


def share(part: int | float | None, whole: int | float | None) -> str:
    """'39%' ('less than 1%' for a tiny non-zero share; 'n/a' when undefined)."""
    if part is None or not whole:
        return "n/a"
    pct = 100 * part / whole
    if 0 < pct < 1:
        return "less than 1%"
    return f"{pct:.0f}%"


def plural(n: int, one: str, many: str | None = None) -> str:
    """plural(1, 'country', 'countries') -> '1 country'."""
    return f"{number(n)} {one if n == 1 else (many or one + 's')}"


def count_word(n: int) -> str:
    """Counts under ten in words, as newsrooms write them: 3 -> 'three'."""
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    return words[n] if 0 <= n < 10 else number(n)


def join_words(items: Sequence[str]) -> str:
    """['a', 'b', 'c'] -> 'a, b and c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# --- dates ---------------------------------------------------------------------------------


def date(value: dt.date | str | None) -> str:
    """'2024-09-21' -> '21 September 2024'; '2024-06' -> 'June 2024'; '2024' -> '2024'."""
    if value is None:
        return "an unknown date"
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    span = parse_date_span(str(value))
    if span.is_day:
        return date(span.first)
    if span.first.month == span.last.month:
        return f"{MONTHS[span.first.month - 1]} {span.first.year}"
    return str(span.first.year)


def month(value: dt.date | str) -> str:
    """'2024-09-21' -> 'September 2024'."""
    d = value if isinstance(value, dt.date) else parse_date_span(str(value)).first
    return f"{MONTHS[d.month - 1]} {d.year}"


def iso(value: dt.date | str | None) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, dt.date) else str(value)


# --- safe output ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Html:
    """A string that is already safe HTML (built here from escaped parts)."""

    html: str
    markdown: str

    def __str__(self) -> str:
        return self.html


def escape(text: Any) -> str:
    """HTML-escape text from data (quotes too, so it is safe inside attributes)."""
    return html.escape("" if text is None else str(text), quote=True)


def escape_md(text: Any) -> str:
    """Escape text from data for Markdown (Quarto/Pandoc, and Typst through it): HTML specials
    become entities, Markdown and Pandoc specials get a backslash (so '[x](javascript:…)'
    cannot become a link, '$x$' math, '@key' a citation, '^x^' a superscript), line breaks
    become spaces and control characters U+FFFD."""
    plain = " ".join(_MD_INVISIBLE.sub("\ufffd", "" if text is None else str(text)).split())
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


class Bullets:
    def __init__(self, items: Iterable[Any]) -> None:
        self.value = bullets(items)

    def _repr_html_(self) -> str:
        return self.value.html

    def _repr_markdown_(self) -> str:
        return self.value.markdown


# --- the report's sentences and tables -------------------------------------------------------


def fact(text: str, path: str) -> Html:
    """A number in the text, tagged with the facts.json path it shows (``data-fact``), so a
    test can check the page against facts.json."""
    return Html(
        f'<span class="fact" data-fact="{escape(path)}">{escape(text)}</span>', escape_md(text)
    )


def headline(facts: Mapping[str, Any]) -> tuple[Any, ...]:
    """The summary paragraph: the gap, the count of countries, the human cost (all numbers
    from facts.json, with the sources' qualifiers). Returns parts for :class:`Text`; every
    number is a :func:`fact`. ``str(Text(*headline(f)))`` gives the plain sentence."""
    p, d = facts["personnel"], facts["displacement"]
    when = date(facts["as_of"])
    mission = facts.get("mission", {}).get("short", "mission")
    parts: list[Any] = [
        f"By {when}, ",
        fact(number(p["deployed_total"]), "personnel.deployed_total"),
        " of the ",
        fact(number(p["pledged_total"]), "personnel.pledged_total"),
        f" police and soldiers pledged to Haiti's security mission ({mission}) were in the "
        "country (",
        fact(share(p["deployed_total"], p["pledged_total"]), "personnel.deployed_share_of_pledged"),
        ").",
    ]
    if p.get("countries_pledging"):
        parts += [
            " ",
            fact(count_word(p["countries_sent"]).capitalize(), "personnel.countries_sent"),
            " of the ",
            fact(number(p["countries_pledging"]), "personnel.countries_pledging"),
            " countries that had pledged personnel had sent anyone",
        ]
        if p.get("countries_pledging_unspecified"):
            parts += [
                "; ",
                fact(
                    count_word(p["countries_pledging_unspecified"]),
                    "personnel.countries_pledging_unspecified",
                ),
                " had pledged without giving a number",
            ]
        parts.append(".")
    start_key = "at_mission_start" if d.get("at_mission_start") else "first"
    start, newest = d.get(start_key), d.get("newest")
    if start and newest and start["round"] != newest["round"]:
        cov = (
            ""
            if start.get("coverage") == newest.get("coverage")
            else f" (when IOM's count covered {_coverage_words(start.get('coverage'))})"
        )
        verb = "rose" if newest["idps"] > start["idps"] else "went"
        parts += [
            f" Meanwhile the number of people displaced inside Haiti, as counted by IOM, "
            f"{verb} from ",
            fact(reported(start["idps"], start["qualifier"]), f"displacement.{start_key}.idps"),
            f" in {month(start['reference_date'])}{cov} to ",
            fact(reported(newest["idps"], newest["qualifier"]), "displacement.newest.idps"),
            f" in {month(newest['reference_date'])}.",
        ]
    elif newest:
        parts += [
            " IOM counted ",
            fact(reported(newest["idps"], newest["qualifier"]), "displacement.newest.idps"),
            f" people displaced inside Haiti ({month(newest['reference_date'])}).",
        ]
    return tuple(parts)


def _coverage_words(code: str | None) -> str:
    return {
        "capital_only": "only the Port-au-Prince area",
        "capital_and_grand_sud": "only the Port-au-Prince area and the Grand Sud",
        "three_departments": "three departments",
        "seven_departments": "seven departments",
        "all_departments": "all 10 departments",
    }.get(code or "", "part of the country")


def mission_phrase(as_of: str | dt.date, gsf_from: str | dt.date | None) -> str:
    """The mission's name on ``as_of``: the MSS until the Gang Suppression Force took over
    (``gsf_from``, from the mandates table), the GSF from then on."""
    d = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of))
    start = (
        gsf_from
        if isinstance(gsf_from, dt.date) or gsf_from is None
        else dt.date.fromisoformat(str(gsf_from))
    )
    if start is not None and d >= start:
        return (
            "the Gang Suppression Force (GSF), which replaced the Multinational Security "
            f"Support mission (MSS) on {date(start)}"
        )
    return "the Multinational Security Support mission (MSS)"


def sources_table(sources: Any, supports: Mapping[str, Sequence[str]]) -> Table:
    """Sources appendix: every source used, with the figure ids it supports. ``sources`` is
    the registry frame (sources.load_sources)."""
    rows = []
    for r in sources.sort("outlet", "source_id").iter_rows(named=True):
        ids = supports.get(r["source_id"])
        if not ids:
            continue
        rows.append(
            {
                "source": link(r["outlet"], r["url"]),
                "title": r.get("title") or "",
                "published": r["published"] or "undated",
                "source_id": r["source_id"],
                "figures": "; ".join(sorted(ids)),
            }
        )
    return Table(
        rows,
        {
            "source": "Outlet (link)",
            "title": "Title",
            "published": "Published",
            "source_id": "Source id",
            "figures": "Figures it supports",
        },
    )


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
