"""The report's charts: one registry, one way to make and save them.

``make_all(p, F)`` draws every chart of the registry from the build's processed tables ``p``
(report/tables.py) and its facts ``F`` (report/facts.py), and returns a :class:`Made` per
chart; ``save_all(made, folder)`` writes each chart's ``.svg``, ``.png``, ``.vl.json`` (the
spec) and ``.csv`` (exactly the rows drawn), deterministically.

Each chart is drawn twice, for a desktop column and for a phone (charts/style.py); the phone
layout, the CSV, the data table and the download labels travel in the desktop spec's
``usermeta``, which the offline renderer (report/offline.py) turns into the page's HTML and
which is left out of the saved spec and the static images.

Words live in ``report/text/<lang>/charts.yml`` (charts/words.py); every number in a title,
subtitle, note or alt text is a fact or a value the chart draws.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl
import vl_convert as vlc

from haiti_report.report import offline
from haiti_report.report.charts import displacement, money, personnel, timeline
from haiti_report.report.charts.style import (
    NARROW,
    THEME,
    WIDE,
    Drawn,
    Layout,
    Table,
    Words,
    contrast,
    footer_lines,
    use_house_style,
)
from haiti_report.report.charts.words import ChartText
from haiti_report.report.facts import Facts
from haiti_report.report.tables import Processed
from haiti_report.report.text import format as fmt

Builder = Callable[[Processed, Facts, Layout], Drawn]

# name -> how it is drawn, in the order the report shows them
CHARTS: dict[str, Builder] = {
    personnel.PLEDGED_VS_DEPLOYED: personnel.pledged_vs_deployed,
    timeline.OVER_TIME: timeline.personnel_over_time,
    displacement.TWO_STORIES: displacement.two_stories,
    money.TRUST_FUND: money.trust_fund,
    displacement.BY_ROUND: displacement.by_round,
    displacement.BY_DEPARTMENT: displacement.by_department,
}
META = offline.META_KEY


@dataclass(frozen=True)
class Made:
    """One chart of the report."""

    name: str
    chart: alt.TopLevelMixin  # the desktop chart; its usermeta carries the rest for the page
    data: pl.DataFrame  # every row drawn: the chart's CSV
    alt_text: str
    words: Words
    table: Table
    narrow: alt.TopLevelMixin  # the phone layout
    saved: dict[str, Any]  # the desktop spec as drawn: what save_figure writes and converts

    @property
    def csv(self) -> str:
        return data_csv(self.data)

    def spec(self) -> dict[str, Any]:
        """The chart's Vega-Lite spec as saved (without the page's usermeta)."""
        return self.saved


def data_csv(data: pl.DataFrame) -> str:
    return data.write_csv(line_terminator="\n", date_format="%Y-%m-%d", null_value="")


def chart_spec(chart: alt.TopLevelMixin, *, validate: bool = False) -> dict[str, Any]:
    """The Vega-Lite spec with the house theme applied (a deterministic dict). Validation
    against the Vega-Lite schema costs most of a second per chart; the tests validate every
    chart, and displaying one in a notebook validates it again."""
    use_house_style()
    return chart.to_dict(validate=validate)


def vega_locale(lang: str) -> dict[str, Any] | None:
    """Vega's number and time locale for ``lang`` (axis ticks, "janv. 2025", "1 000"): d3's
    locale as vl-convert ships it, with the digit grouping of Babel, which the text uses.
    None for English, Vega's own default."""
    if lang == "en":
        return None
    formats = fmt.formats(lang)
    d3_name = formats.w["d3_locale"]
    symbols = formats.locale.number_symbols["latn"]
    number = {
        **vlc.get_format_locale(d3_name),
        "thousands": symbols["group"],
        "decimal": symbols["decimal"],
    }
    return {"number": number, "time": vlc.get_time_format_locale(d3_name)}


def make(name: str, p: Processed, F: Facts, lang: str = "en") -> Made:
    """One chart in ``lang``: its words from ``text/<lang>/charts.yml``, its rows worded in
    the language's formats, its axes in the language's locale."""
    with fmt.language(lang):
        return _make(name, p, F, lang)


def _make(name: str, p: Processed, F: Facts, lang: str) -> Made:
    build = CHARTS[name]
    wide, phone = build(p, F, WIDE), build(p, F, NARROW)
    locale = vega_locale(lang)
    if locale:
        wide = replace(wide, chart=wide.chart.configure(locale=locale))
        phone = replace(phone, chart=phone.chart.configure(locale=locale))
    common = ChartText(name, F.to_json(), {})
    page = {
        "name": name,
        "figures": figures_folder(lang),
        "csv": data_csv(wide.data),
        "table": wide.table.to_dict(),
        "labels": {
            "summary": common.shared("table.summary"),
            **{k: common.shared(f"downloads.{k}") for k in ("lead", "csv", "svg", "png")},
        },
    }
    wide_spec, phone_spec = chart_spec(wide.chart), chart_spec(phone.chart)
    # Both layouts keep the columns either draws, so their datasets are the same rows and
    # the page carries them once (offline.share_data).
    keep = sorted(offline.referenced_fields(wide_spec) | offline.referenced_fields(phone_spec))
    # Strings, not nested dicts: Altair deep-copies a chart's dicts at every step.
    meta = {
        "page": json.dumps(page, sort_keys=True, ensure_ascii=False),
        "narrow_vega": offline.compile_vega({**phone_spec, "usermeta": {META: {"keep": keep}}}),
        "keep": keep,
    }
    chart = wide.chart.properties(usermeta={META: meta})
    saved = offline.drawn_spec({**wide_spec, "usermeta": {META: meta}})
    return Made(name, chart, wide.data, wide.words.alt, wide.words, wide.table, phone.chart, saved)


def make_all(p: Processed, F: Facts, lang: str = "en") -> dict[str, Made]:
    """Every chart of the report in ``lang``, by name, in the order the report shows them."""
    return {name: make(name, p, F, lang) for name in CHARTS}


def figures_folder(lang: str = "en") -> str:
    """Where an edition's chart files are, relative to the build: ``figures/`` for English,
    ``figures/<lang>/`` for the others (so every language's charts and CSVs are kept)."""
    return "figures" if lang == "en" else f"figures/{lang}"


def save_figure(made: Made, figures_dir: str | Path) -> dict[str, Path]:
    """Write <name>.svg, .png, .csv (exactly the rows drawn) and .vl.json (the spec)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", made.name):
        raise ValueError(f"figure name {made.name!r}: use lowercase letters, digits, - and _")
    out = Path(figures_dir)
    out.mkdir(parents=True, exist_ok=True)
    spec = made.spec()
    paths = {ext: out / f"{made.name}.{ext}" for ext in ("svg", "png", "csv", "vl.json")}
    text = json.dumps(spec, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    _atomic(paths["vl.json"], text.encode())
    _atomic(paths["svg"], offline.static_svg(spec).encode())
    _atomic(paths["png"], offline.static_png(spec))
    _atomic(paths["csv"], made.csv.encode())
    return paths


def save_all(made: dict[str, Made], figures_dir: str | Path) -> dict[str, dict[str, Path]]:
    return {name: save_figure(m, figures_dir) for name, m in made.items()}


def _atomic(path: Path, content: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(content)
    tmp.replace(path)


__all__ = [
    "CHARTS",
    "NARROW",
    "THEME",
    "WIDE",
    "Made",
    "chart_spec",
    "contrast",
    "footer_lines",
    "make",
    "figures_folder",
    "make_all",
    "save_all",
    "save_figure",
    "use_house_style",
]
