"""Chart source lines, generated from the sources registry of the build (never typed)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import polars as pl

from haiti_report.core.errors import InputError
from haiti_report.core.sources import IOM_DTM_CREDIT, is_iom, split_ids


def source_line(source_ids: Iterable[str], sources: pl.DataFrame, *, limit: int = 4) -> str:
    """A chart's source line, built from the registry: the outlets behind the plotted rows,
    most used first, with IOM's required credit wording where DTM data is used."""
    counts = Counter(i for cell in source_ids for i in split_ids(cell))
    if not counts:
        raise InputError("chart data", "a chart has no sources", "Pass the source ids it plots")
    lookup = dict(zip(sources["source_id"], sources["outlet"], strict=True))
    outlets: Counter[str] = Counter()
    for sid, n in counts.items():
        outlet = lookup.get(sid)
        if outlet is None:
            raise InputError("chart data", f"unknown source id {sid!r}")
        name = IOM_DTM_CREDIT if is_iom(outlet) else outlet
        outlets[name] += n
    names = [name for name, _ in sorted(outlets.items(), key=lambda kv: (-kv[1], kv[0]))]
    shown = names[:limit]
    more = len(names) - len(shown)
    text = "; ".join(shown) + (f"; and {more} more (see Sources)" if more else "")
    return f"Source{'s' if len(names) > 1 else ''}: {text}"
