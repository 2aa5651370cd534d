"""House-style numbers, counts, money and dates for the text templates.

House style (design/editorial.md): thousands separators ("1,412,199"); the source's qualifier is
carried ("about 1,000", "at least 1,900", "up to 980"); dates in prose are "21 September 2024",
a month-dated figure is "October 2024"; shares are whole per cent unless tiny.

The module's functions are the English formats. Every other language gets the same functions
from :mod:`.babel_format` (Babel's numbers, dates and lists, and the words of
``<lang>/formats.yml``); :func:`formats` returns either, by language, and :func:`filters` and
:func:`globals_` hand them to the templates under the same names, so a template never formats
a number itself. Code that formats outside a template (the charts' rows, the appendix's tables)
asks :func:`formats` for its language, or :func:`active` for the one a caller set with
:func:`language`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from types import SimpleNamespace
from typing import Any

from haiti_report.core.vocab import QUALIFIER_PHRASES

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
CURRENCY_SYMBOL = {"usd": "$", "cad": "C$", "eur": "€"}
SMALL = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def number(value: int | float | None) -> str:
    """1412199 -> '1,412,199'; 0.5 -> '0.5'; None -> 'unknown'."""
    if value is None:
        return "unknown"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def words(n: int | float) -> str:
    """Counts under ten in words, as newsrooms write them: 3 -> 'three'."""
    return SMALL[int(n)] if float(n).is_integer() and 0 <= n < 10 else number(n)


def plural(n: int, one: str, many: str | None = None, *, spell: bool = False) -> str:
    """plural(1, 'country', 'countries') -> '1 country'."""
    return f"{words(n) if spell else number(n)} {one if n == 1 else (many or one + 's')}"


def money_words(value: int | float) -> str:
    """110_300_000 -> '110.3 million'; 100_000 -> '100,000'."""
    for factor, word in ((10**9, "billion"), (10**6, "million")):
        if value >= factor:
            return f"{f'{value / factor:.2f}'.rstrip('0').rstrip('.')} {word}"
    return number(value)


def _amount(value: int | float, unit: str, rounded: bool = False) -> str:
    if unit == "percent":
        return f"{value:g}%"
    if unit in CURRENCY_SYMBOL:
        return CURRENCY_SYMBOL[unit] + money_words(value)
    if rounded and value >= 10**6:  # "about 5.7 million", as the source rounded it
        return money_words(value)
    return number(value)


def reported(
    value: int | float | None,
    qualifier: str | None = "exact",
    *,
    high: int | float | None = None,
    unit: str = "people",
) -> str:
    """A figure with the source's qualifier: 'about 1,000', '1,500–2,000', '$110.3 million'."""
    if value is None:
        return "unknown"
    qualifier = qualifier or "exact"
    if qualifier == "range" and high is not None:
        return f"{_amount(value, unit)}–{_amount(high, unit).lstrip('$C€')}"
    if qualifier == "less_than":
        return (
            "under "
            if unit == "percent"
            else "less than "
            if unit in CURRENCY_SYMBOL
            else "fewer than "
        ) + _amount(value, unit)
    return QUALIFIER_PHRASES.get(qualifier, "") + _amount(value, unit, qualifier != "exact")


def first_upper(text: str) -> str:
    """Capitalise the first letter only ('nearly 5.7 million' -> 'Nearly 5.7 million')."""
    return text[:1].upper() + text[1:]


def count(c: Mapping[str, Any] | None) -> str:
    """A count of people as the strength model knows it: '980', 'about 700', 'up to 980',
    'at least 150', 'between 735 and 865'."""
    if c is None:
        return "none"
    q = c["qualifier"]
    if q == "range" or c["value"] is None:
        if c["high"] is None:
            return f"at least {number(c['low'])}"
        return f"between {number(c['low'])} and {number(c['high'])}"
    if q in ("up_to", "at_least", "more_than", "less_than"):
        return reported(c["value"], q)
    return reported(c["value"], q)


def figure(f: Mapping[str, Any] | None, unit: str = "people") -> str:
    """A reported Figure (facts.Figure as a dict) in house style."""
    if f is None:
        return "unknown"
    return reported(f["value"], f["qualifier"], high=f.get("high"), unit=unit)


def money(f: Mapping[str, Any] | None, currency: str = "usd") -> str:
    return figure(f, currency)


def pct(fraction: float | None) -> str:
    """A share from facts (0.1469) as a reader sees it: '15%'; 'less than 1%'; 'n/a'."""
    if fraction is None:
        return "n/a"
    return "less than 1%" if 0 < fraction < 0.01 else f"{100 * fraction:.0f}%"


def date(value: dt.date | str | None) -> str:
    """'2024-09-21' -> '21 September 2024'; '2024-06' -> 'June 2024'; '2024' -> '2024'."""
    if value is None:
        return "an unknown date"
    if isinstance(value, dt.date):
        return f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    match = _ISO.match(str(value).strip())
    if not match:
        return str(value)
    year, month, day = match.groups()
    if day:
        return f"{int(day)} {MONTHS[int(month) - 1]} {year}"
    return f"{MONTHS[int(month) - 1]} {year}" if month else year


def on_date(value: dt.date | str | None) -> str:
    """'on 21 September 2024', 'in October 2024', 'in 2023'."""
    text = date(value)
    return f"on {text}" if text[:1].isdigit() and " " in text else f"in {text}"


def month(value: dt.date | str | None) -> str:
    """'2024-09-21' -> 'September 2024'."""
    if value is None:
        return "an unknown month"
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return date(text[:7])


def join(items: Sequence[str]) -> str:
    """['a', 'b', 'c'] -> 'a, b and c'."""
    items = list(items)
    return "".join(items) if len(items) <= 1 else ", ".join(items[:-1]) + " and " + items[-1]


def days_between(a: str | dt.date, b: str | dt.date) -> int:
    a = a if isinstance(a, dt.date) else dt.date.fromisoformat(str(a))
    b = b if isinstance(b, dt.date) else dt.date.fromisoformat(str(b))
    return (b - a).days


def exact(value: int | float) -> str:
    """A value in full, with separators (a changes table compares values exactly)."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"


def with_noun(amount: str, noun: str) -> str:
    """'5.7 million' + 'people' -> '5.7 million people' (French needs "de" here; English not)."""
    return f"{amount} {noun}"


def finish(text: str) -> str:
    """English needs no typographic pass (French puts no-break spaces before ; : ! ?)."""
    return text


# What every language provides, under the names the templates use (filters) and code calls.
FILTERS = {
    "n": "number",
    "words": "words",
    "count": "count",
    "figure": "figure",
    "money": "money",
    "date": "date",
    "on_date": "on_date",
    "month": "month",
    "join": "join",
    "reported": "reported",
    "pct": "pct",
    "first_upper": "first_upper",
    "with_noun": "with_noun",
    "exact": "exact",
}
GLOBALS = ("plural", "days_between")
FUNCTIONS = (*FILTERS.values(), *GLOBALS, "finish")


@cache
def formats(lang: str = "en") -> Any:
    """The formats of ``lang``: this module's functions for English, Babel's for the rest."""
    if lang == "en":
        here = globals()
        return SimpleNamespace(lang="en", **{name: here[name] for name in FUNCTIONS})
    from haiti_report.report.text.babel_format import BabelFormats

    return BabelFormats(lang)


# The language :func:`language` set. A plain module value, not a ContextVar: polars runs a
# chart's map_elements callbacks on its own threads, which a ContextVar would not reach. One
# process words one edition at a time (a notebook run is one language).
_ACTIVE: list[str] = ["en"]


@contextmanager
def language(lang: str) -> Iterator[Any]:
    """Format in ``lang`` inside the block (charts.make_all sets it for every row it words)."""
    found = formats(lang)
    _ACTIVE.append(lang)
    try:
        yield found
    finally:
        _ACTIVE.pop()


def active() -> Any:
    """The formats of the language set by :func:`language` (English outside it)."""
    return formats(_ACTIVE[-1])


def active_language() -> str:
    return _ACTIVE[-1]


def filters(lang: str = "en") -> dict[str, Callable[..., Any]]:
    found = formats(lang)
    return {name: getattr(found, function) for name, function in FILTERS.items()}


def globals_(lang: str = "en") -> dict[str, Callable[..., Any]]:
    found = formats(lang)
    return {name: getattr(found, name) for name in GLOBALS}
