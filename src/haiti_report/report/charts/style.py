"""The house style of every chart: theme, palette, layouts, and the pieces every chart shares.

* **Palette**: the Okabe–Ito hues (colour-blind safe), darkened where needed so that every
  mark has a contrast of at least 3:1 against the white background (WCAG 2.1, 1.4.11);
  :func:`contrast` is the WCAG formula the tests check the palette with.
* **Layouts**: each chart is drawn twice, for a desktop column (:data:`WIDE`, also the saved
  SVG/PNG) and for a phone (:data:`NARROW`); the page picks the one that fits (report/offline.py).
  Chart text is never smaller than 11 px.
* **Text**: titles, subtitles, notes and alt texts come from charts.yml (charts/words.py); the
  tooltips show text made here from the data (house-style dates and counts), so no browser can
  print a date as "NaN".
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import polars as pl

from haiti_report.core.sources import split_ids
from haiti_report.report.sourcelines import iom_credit, source_line, source_words
from haiti_report.report.text import format as fmt

THEME = "haiti_report"
FONT = "Liberation Sans, DejaVu Sans, Arial, Helvetica, sans-serif"
BACKGROUND = "#ffffff"
INK = "#222222"
MUTED = "#444444"  # subtitles, footers
GREY = "#767676"  # the lightest grey with 4.5:1 on white
RULE = "#888888"  # axis lines and rules between marks (3.5:1)
BLUE = "#0072B2"  # Okabe-Ito blue: personnel in Haiti
ORANGE = "#B26B00"  # Okabe-Ito orange, darkened from #E69F00 (2.25:1) to 4.2:1: pledges
GREEN = "#008060"  # Okabe-Ito bluish green, darkened (4.9:1)
PURPLE = "#A8518A"  # Okabe-Ito reddish purple, darkened (5.0:1)
VERMILION = "#D55E00"  # Okabe-Ito vermilion (3.9:1): displaced people
SERIES = (BLUE, ORANGE, GREEN, PURPLE, VERMILION)  # categorical series, in this order
MIN_FONT = 11  # px: no chart text is smaller
DASH = [5, 3]  # uncertain counts ("up to", "at least", a range) are dashed
BOUNDS = ("up_to", "at_least", "more_than", "less_than", "range")


def contrast(colour: str, background: str = BACKGROUND) -> float:
    """WCAG 2.1 contrast ratio of two sRGB colours ('#rrggbb')."""

    def luminance(hex_colour: str) -> float:
        h = hex_colour.lstrip("#")
        channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    a, b = sorted((luminance(colour), luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


@dataclass(frozen=True)
class Layout:
    """How wide a chart is drawn and how its text wraps."""

    name: str
    width: int  # wide: the plotting area; narrow: everything, axes included (px)
    title_chars: int  # characters per title line (17 px bold)
    text_chars: int  # characters per subtitle line (13 px)
    label_limit: int  # px for category labels (country names)

    @property
    def narrow(self) -> bool:
        return self.name == "narrow"

    def plot(self, axis: int) -> int:
        """The plotting area's width beside a left axis ``axis`` px wide: on a phone the
        whole chart must fit, on a desktop the plots keep one width."""
        return self.width - axis if self.narrow else self.width


WIDE = Layout("wide", 620, 66, 96, 200)
# A 390 px phone leaves about 358 px for the chart: the narrow layout stays within 350 px.
NARROW = Layout("narrow", 330, 31, 46, 105)
FOOTER_PX_PER_CHAR = 6.6  # 12 px Liberation Sans, on average


def _theme() -> alt.theme.ThemeConfig:
    axis = {
        "labelFont": FONT,
        "titleFont": FONT,
        "labelFontSize": 12,
        "titleFontSize": 12,
        "titleFontWeight": "normal",
        "titleColor": INK,
        "labelColor": INK,
        "gridColor": "#e6e6e6",
        "domainColor": RULE,
        "tickColor": RULE,
    }
    return {
        "config": {
            "font": FONT,
            "background": BACKGROUND,
            "padding": {"left": 4, "right": 12, "top": 8, "bottom": 8},
            "view": {"stroke": None, "continuousWidth": WIDE.width, "continuousHeight": 300},
            "title": {
                "font": FONT,
                "fontSize": 17,
                "fontWeight": "bold",
                "color": INK,
                "anchor": "start",
                "subtitleFont": FONT,
                "subtitleFontSize": 13,
                "subtitleColor": MUTED,
                "offset": 12,
                "subtitlePadding": 6,
            },
            "axis": axis,
            "axisX": {"grid": False},
            "axisQuantitative": {"format": ",.0f"},
            "legend": {
                "labelFont": FONT,
                "titleFont": FONT,
                "labelFontSize": 12,
                "titleFontSize": 12,
                "titleFontWeight": "normal",
                "orient": "top",
                "labelLimit": 260,
                "symbolType": "square",
            },
            "header": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 12},
            "text": {"font": FONT, "fontSize": 12, "color": INK},
            "range": {"category": list(SERIES)},
            "numberFormat": ",.0f",
            "concat": {"spacing": 16},
        }
    }


def use_house_style() -> None:
    """Register the house theme once and switch it on (idempotent)."""
    if alt.theme.active == THEME:
        return
    if THEME not in alt.theme.names():
        alt.theme.register(THEME, enable=False)(_theme)
    alt.theme.enable(THEME)


use_house_style()


# --- data for Vega ---------------------------------------------------------------------------


def for_vega(frame: pl.DataFrame) -> pl.DataFrame:
    """Data for a chart: dates as ISO strings ('2024-06-25'), which Vega reads as UTC
    midnight. Altair stores each frame once in the spec's datasets, named by its content."""
    return frame.with_columns(
        pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date
    )


def day_text(value: dt.date | str | None) -> str | None:
    """A date as the prose writes it, for tooltips and tables ('21 September 2024')."""
    return None if value is None else fmt.active().date(value)


def count_text(row: dict[str, Any], prefix: str = "") -> str | None:
    """A count from a table row (value, low, high, qualifier) in house style ('up to 980')."""
    keys = ("value", "low", "high", "qualifier")
    c = {k: row.get(prefix + k) for k in keys}
    if c["value"] is None and c["low"] is None:
        return None
    if c["low"] is None:
        c["low"] = c["value"]
    c["qualifier"] = c["qualifier"] or "exact"
    return fmt.active().count(c)


def is_bound(qualifier: str | None) -> bool:
    return qualifier in BOUNDS


def sources_of(frame: pl.DataFrame, *columns: str) -> list[str]:
    """Every source id in the given columns of the plotted rows."""
    return [
        i
        for column in columns
        if column in frame.columns
        for cell in frame[column].drop_nulls().to_list()
        for i in split_ids(cell)
    ]


# --- encodings -------------------------------------------------------------------------------


def x_time(domain: Sequence[dt.date], layout: Layout, field: str = "date", **axis: Any) -> alt.X:
    """A time axis in UTC (a reader's time zone cannot move a day), months or years as ticks."""
    start, end = domain
    months = (end.year - start.year) * 12 + end.month - start.month
    per_tick = layout.plot(60) / max(1, months)
    if per_tick >= 40:
        spec = {"format": "%b %Y", "tickCount": {"interval": "month", "step": 3}}
    elif per_tick * 12 >= 70:
        spec = {"format": "%Y", "tickCount": {"interval": "year", "step": 1}}
    else:
        spec = {"format": "%Y", "tickCount": {"interval": "year", "step": 2}}
    if layout.narrow or months > 30:
        spec = {"format": "%Y", "tickCount": {"interval": "year", "step": 1}}
    return alt.X(
        f"{field}:T",
        title=None,
        scale=alt.Scale(type="utc", domain=[start.isoformat(), end.isoformat()], nice=False),
        axis=alt.Axis(labelAngle=0, grid=False, labelOverlap=True, **spec, **axis),
    )


def tips(pairs: Iterable[tuple[str, str]]) -> list[alt.Tooltip]:
    """Tooltips that show text fields made in Python (field, title)."""
    return [alt.Tooltip(f"{field}:N", title=title) for field, title in pairs]


# --- title, subtitle, source line, notes -----------------------------------------------------


def wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width, break_long_words=False) or [""]


@dataclass(frozen=True)
class Words:
    """A chart's rendered words (from charts.yml)."""

    title: str
    subtitle: str
    alt: str
    notes: tuple[str, ...] = ()


def footer(
    source_ids: Sequence[str],
    sources: pl.DataFrame,
    notes: Sequence[str],
    *,
    none_text: str,
    dtm_files: bool = False,
) -> list[str]:
    """The source line (generated from the plotted rows' source ids), then the notes.

    ``dtm_files``: some plotted rows came from IOM DTM files a user dropped in (no source id);
    IOM's credit is then part of the source line."""
    lang = fmt.active_language()
    credit = iom_credit(lang)
    if source_ids:
        line = source_line(source_ids, sources, lang=lang)
        if dtm_files and credit not in line:
            line += f"; {credit}"
    elif dtm_files:
        line = source_words("one", lang, names=credit)
    else:
        line = none_text
    return [line, *notes]


@dataclass(frozen=True)
class Table:
    """The chart's data as a table for screen readers and keyboards (cells already text)."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "caption": self.caption,
            "columns": list(self.columns),
            "rows": [list(r) for r in self.rows],
        }


def finish(
    core: alt.TopLevelMixin | alt.Chart,
    words: Words,
    lines: Sequence[str],
    layout: Layout,
    plot_width: int,
    axis: int = 0,
) -> alt.VConcatChart:
    """A chart with its title (the finding), subtitle (what is measured), description (the
    alt text) and footer (source line, notes) under it, wrapped for the layout.

    The footer starts where the plot does (``plot_width`` wide); on a phone it reaches back
    under the left axis (``axis`` px), so its lines are as long as the chart is wide."""
    back = axis if layout.narrow else 0
    wrapped: list[str] = []
    for line in lines:
        wrapped += wrap(line, int((plot_width + back) / FOOTER_PX_PER_CHAR))
    foot = (
        alt.Chart(alt.Data(values=[{"footer": 1}]))
        .mark_text(
            text=wrapped,
            align="left",
            baseline="top",
            x=-back,
            y=0,
            fontSize=MIN_FONT + 1,
            color=MUTED,
            lineHeight=16,
        )
        .properties(width=plot_width, height=16 * len(wrapped))
    )
    return alt.vconcat(
        core,
        foot,
        spacing=12,
        title=alt.Title(
            wrap(words.title, layout.title_chars),
            subtitle=wrap(words.subtitle, layout.text_chars),
            anchor="start",
        ),
        description=words.alt,
    )


# A footer line's first words, in English and French ("Source: ", "Note\u00a0: ").
FOOTER_START = re.compile(r"^(Sources?|Note)[\u00a0\u202f]?: ")


def footer_lines(chart: alt.TopLevelMixin) -> list[str]:
    """The footer text of a chart made by :func:`finish` (source line first), unwrapped."""
    spec = chart.to_dict()
    lines: list[str] = []
    for line in spec["vconcat"][-1]["mark"]["text"]:
        starts = bool(FOOTER_START.match(line))
        if lines and not starts:
            lines[-1] += " " + line
        else:
            lines.append(line)
    return lines


def empty_panel(text: str, layout: Layout) -> alt.Chart:
    """What a chart shows when nothing had been published by the as-of date."""
    return (
        alt.Chart(alt.Data(values=[{"text": text}]))
        .mark_text(align="left", baseline="top", x=0, y=10, color=MUTED, fontSize=13)
        .encode(text="text:N")
        .properties(width=layout.plot(0), height=60)
    )


@dataclass(frozen=True)
class Drawn:
    """One chart in one layout: the chart, every row it draws, its words and data table."""

    chart: alt.TopLevelMixin
    data: pl.DataFrame
    words: Words
    table: Table


def right_half(day: dt.date, domain: Sequence[dt.date]) -> bool:
    """Is ``day`` in the right half of a time axis (its label then reads leftwards)?"""
    start, end = domain
    return (day - start) * 2 > (end - start)


def nice_top(top: float) -> float:
    """An axis maximum a little above ``top``, on a round number."""
    if top <= 0:
        return 1
    step = 10 ** max(0, len(str(int(top))) - 2)
    return (int(top * 1.08 / step) + 1) * step
