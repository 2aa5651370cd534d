"""Chart source lines, generated from the sources registry of the build (never typed)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import polars as pl

from haiti_report.core.errors import InputError
from haiti_report.core.sources import IOM_DTM_CREDIT, is_iom, split_ids
from haiti_report.report import text
from haiti_report.report.text import format as fmt


def iom_credit(lang: str = "en") -> str:
    """IOM's required credit line in ``lang`` (its French one is in fr/labels.yml)."""
    return str(text.labels(lang).get("iom_credit") or IOM_DTM_CREDIT)


def source_words(kind: str, lang: str = "en", **values: object) -> str:
    """One of ``labels.yml``'s ``source_line`` patterns, filled in, in the language's type."""
    pattern = str(text.labels(lang)["source_line"][kind])
    return fmt.formats(lang).finish(pattern.format(**values))


def source_line(
    source_ids: Iterable[str], sources: pl.DataFrame, *, limit: int = 4, lang: str | None = None
) -> str:
    """A chart's source line, built from the registry: the outlets behind the plotted rows,
    most used first, with IOM's required credit wording where DTM data is used. Outlets are
    never translated; the words around them are ``lang``'s (the active one by default)."""
    lang = lang or fmt.active_language()
    counts = Counter(i for cell in source_ids for i in split_ids(cell))
    if not counts:
        raise InputError("chart data", "a chart has no sources", "Pass the source ids it plots")
    lookup = dict(zip(sources["source_id"], sources["outlet"], strict=True))
    outlets: Counter[str] = Counter()
    for sid, n in counts.items():
        outlet = lookup.get(sid)
        if outlet is None:
            raise InputError("chart data", f"unknown source id {sid!r}")
        name = iom_credit(lang) if is_iom(outlet) else outlet
        outlets[name] += n
    names = [name for name, _ in sorted(outlets.items(), key=lambda kv: (-kv[1], kv[0]))]
    shown = "; ".join(names[:limit])
    more = len(names) - limit
    if more > 0:
        shown = source_words("more", lang, names=shown, n=more)
    return source_words("many" if len(names) > 1 else "one", lang, names=shown)
