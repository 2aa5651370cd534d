"""The count over time: personnel in Haiti by country (stacked blocks) and for the whole
mission (a step line), with the planning figure or ceiling and the mission's key dates.

The line is the ``mission`` rows of personnel_in_haiti (the strength model), the blocks its
``country`` rows; where the two differ, both are drawn and a note says so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt
import polars as pl

from haiti_report.report.charts import series
from haiti_report.report.charts.style import (
    DASH,
    GREY,
    INK,
    MIN_FONT,
    RULE,
    SERIES,
    Drawn,
    Layout,
    Table,
    count_text,
    day_text,
    empty_panel,
    finish,
    footer,
    for_vega,
    nice_top,
    right_half,
    sources_of,
    tips,
    x_time,
)
from haiti_report.report.charts.words import ChartText
from haiti_report.report.facts import Facts
from haiti_report.report.tables import Processed

OVER_TIME = "personnel-over-time"
COUNT_AXIS = 60  # px of a personnel axis: labels up to "6,000" and the axis title


def _domain(p: Processed, F: Facts) -> tuple[dt.date, dt.date]:
    firsts = [series.day(F.mission["authorised"]), series.day(F.personnel.first_arrival)]
    starts = [d for d in firsts if d is not None and d <= p.as_of]
    return (min(starts) if starts else p.as_of - dt.timedelta(days=365), p.as_of)


def _events(F: Facts, t: ChartText, domain: tuple[dt.date, dt.date]) -> pl.DataFrame:
    """Dates a reader needs on the axis, all from facts (a GSF mark only once it existed)."""
    found = [
        ("authorised", F.mission["authorised"]),
        ("first_arrival", F.personnel.first_arrival),
        ("gsf", F.gsf.first_day if F.gsf else None),
    ]
    rows = []
    for key, day in found:
        when = series.day(day)
        if when is None or not domain[0] <= when <= domain[1]:
            continue
        rows.append(
            {
                "layer": "event",
                "event": key,
                "date": when,
                "label_text": t.label(f"events.{key}"),
                "date_text": day_text(when),
                "right": right_half(when, domain),
                "slot": len(rows),
            }
        )
    schema = {
        "layer": pl.String,
        "event": pl.String,
        "date": pl.Date,
        "label_text": pl.String,
        "date_text": pl.String,
        "right": pl.Boolean,
        "slot": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)


def over_time_data(p: Processed, F: Facts, t: ChartText) -> dict[str, Any]:
    """Every series of the personnel-over-time chart, and the values its words use."""
    steps = series.mission_steps(p, lambda b: t.shared(f"basis.{b}"))
    blocks, order = series.country_blocks(p, t.label("other"))
    levels = series.level_steps(p, F, lambda r: t.label(f"levels.{r['measure']}", r=r))
    domain = _domain(p, F)
    events = _events(F, t, domain)
    countries = series.countries_by_day(p, steps["date"].to_list())
    by_day = {
        r["day"]: r
        for r in countries.with_columns(
            pl.coalesce("value", "low").alias("drawn"),
            pl.struct(pl.all())
            .map_elements(lambda r: f"{r['name']} {count_text(r)}", return_dtype=pl.String)
            .alias("text"),
        )
        .sort("day", "drawn", descending=[False, True])
        .group_by("day", maintain_order=True)
        .agg(pl.col("text").str.join("; "), pl.col("drawn").sum())
        .iter_rows(named=True)
    }
    missing = t.shared("missing")
    steps = steps.with_columns(
        pl.col("date")
        .map_elements(
            lambda d: by_day[d]["text"] if d in by_day else missing, return_dtype=pl.String
        )
        .alias("countries_text")
    )
    differs = sum(
        1
        for r in steps.iter_rows(named=True)
        if r["date"] in by_day and by_day[r["date"]]["drawn"] != r["value"]
    )
    planned = F.personnel.planned
    drawn_ids = {i for cell in levels["figure_ids"].to_list() for i in cell.split("; ")}
    d = {
        "level_drawn": planned is not None and planned.figure_id in drawn_ids,
        "differs": differs,
        "uncertain": steps.filter(pl.col("uncertain")).to_dicts() if steps.height else [],
        "levels": levels.to_dicts(),
        "planning": "planning_figure" in set(levels["measure"]),
        "ceiling": next((r for r in levels.to_dicts() if r["measure"] == "ceiling"), None),
        "events": events.to_dicts(),
        "start": domain[0].isoformat(),
    }
    return {
        "steps": steps,
        "blocks": blocks,
        "order": order,
        "levels": levels,
        "events": events,
        "domain": domain,
        "d": d,
    }


def personnel_over_time(p: Processed, F: Facts, layout: Layout) -> Drawn:
    f = F.to_json()
    parts = over_time_data(p, F, ChartText(OVER_TIME, f, {}))
    t = ChartText(OVER_TIME, f, parts["d"])
    words = t.words()
    data = pl.concat(
        [parts["blocks"], parts["steps"], parts["levels"], parts["events"]], how="diagonal"
    )
    lines = footer(
        sources_of(data, "source_ids"), p.sources, words.notes, none_text=t.shared("source_none")
    )
    table = _steps_table(parts["steps"], t)
    if parts["steps"].is_empty():
        return Drawn(
            finish(empty_panel(t.shared("empty"), layout), words, lines, layout, layout.plot(0)),
            data,
            words,
            table,
        )
    top = max(
        [
            int(v)
            for v in [
                *parts["blocks"]["y1"],
                *parts["steps"]["value"],
                *parts["steps"]["band_high"].drop_nulls(),
                *parts["levels"]["value"],
            ]
        ]
        or [1]
    )
    y = YAxis(t.label("axis"), nice_top(top))
    layers = [
        *_block_layers(parts, t, layout, y),
        *mission_layers(parts["steps"], parts["domain"], t, layout, F, y),
        *_level_layers(parts["levels"], parts["domain"], t, layout, y),
        *event_layers(parts["events"], parts["domain"], t, layout),
    ]
    plot = layout.plot(COUNT_AXIS)
    core = alt.layer(*layers).properties(width=plot, height=260 if layout.narrow else 320)
    return Drawn(finish(core, words, lines, layout, plot, COUNT_AXIS), data, words, table)


class YAxis:
    """One count axis shared by every layer (same title and domain, so Vega merges them)."""

    def __init__(self, title: str, top: float):
        self.title, self.scale = title, alt.Scale(domain=[0, top], nice=False)

    def __call__(self, field: str) -> alt.Y:
        return alt.Y(
            f"{field}:Q",
            title=self.title,
            scale=self.scale,
            axis=alt.Axis(format=",.0f", tickCount=5),
        )


def _block_layers(parts: dict[str, Any], t: ChartText, layout: Layout, y: YAxis) -> list[alt.Chart]:
    blocks, order = parts["blocks"], parts["order"]
    if blocks.is_empty():
        return []
    colours = [
        GREY if s == t.label("other") else SERIES[i % len(SERIES)] for i, s in enumerate(order)
    ]
    x = x_time(parts["domain"], layout)
    return [
        alt.Chart(for_vega(blocks))
        .mark_rect(opacity=1)
        .encode(
            x=x,
            x2="date_end:T",
            y=y("y0"),
            y2="y1:Q",
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(domain=order, range=colours),
                legend=alt.Legend(
                    orient="top", columns=2 if layout.narrow else 5, symbolType="square"
                ),
            ),
            tooltip=tips(
                [
                    ("series", t.label("tooltip.series")),
                    ("period_text", t.label("tooltip.period")),
                    ("count_text", t.label("tooltip.count")),
                    ("members_text", t.label("tooltip.members")),
                ]
            ),
        )
    ]


def mission_layers(
    steps: pl.DataFrame,
    domain: tuple[dt.date, dt.date],
    t: ChartText,
    layout: Layout,
    F: Facts,
    y: YAxis,
) -> list[alt.Chart]:
    """The whole-mission count as a step line: solid where it is a count, dashed over a
    band where only bounds are known; a point on each change, carrying the tooltip."""
    base = alt.Chart(for_vega(steps))
    x = x_time(domain, layout)
    fields = [
        ("date_text", t.shared("mission.date")),
        ("count_text", t.shared("mission.count")),
        ("basis_text", t.shared("mission.basis")),
    ]
    if "countries_text" in steps.columns:
        fields.append(("countries_text", t.shared("mission.countries")))
    tooltip = tips(fields)
    band = (
        base.transform_filter("datum.uncertain")
        .mark_rect(fill=GREY, fillOpacity=0.15, stroke=GREY, strokeDash=[2, 2], strokeWidth=1)
        .encode(x=x, x2="date_end:T", y=y("band_low"), y2="band_high:Q", tooltip=tooltip)
    )
    flat = base.mark_rule(color=INK, strokeWidth=2.5).encode(
        x=x,
        x2="date_end:T",
        y=y("value"),
        strokeDash=alt.condition("datum.uncertain", alt.value(DASH), alt.value([1, 0])),
    )
    rise = (
        base.transform_window(next="lead(value)", sort=[alt.SortField("date")])
        .transform_filter("datum.next != null")
        .mark_rule(color=INK, strokeWidth=2.5)
        .encode(x=alt.X("date_end:T"), y=y("value"), y2="next:Q")
    )
    points = base.mark_point(filled=True, size=45, color=INK, opacity=1).encode(
        x=x, y=y("value"), tooltip=tooltip
    )
    layers = [band, flat, rise, points]
    peak = F.personnel.deployed_peak
    if peak is not None:
        frame = pl.DataFrame(
            {
                "date": [series.day(peak["date"])],
                "value": [peak["value"]],
                "text": [t.shared("mission.peak", value=peak["value"])],
            }
        )
        layers.append(
            alt.Chart(for_vega(frame))
            .mark_text(
                dy=-10,
                fontSize=MIN_FONT + 1,
                fontWeight="bold",
                color=INK,
                align="right" if right_half(frame["date"][0], domain) else "left",
            )
            .encode(x=x, y=y("value"), text="text:N")
        )
    return layers


def _level_layers(
    levels: pl.DataFrame, domain: tuple[dt.date, dt.date], t: ChartText, layout: Layout, y: YAxis
) -> list[alt.Chart]:
    if levels.is_empty():
        return []
    base = alt.Chart(for_vega(levels))
    x = x_time(domain, layout)
    tooltip = tips(
        [("label_text", t.shared("level.level")), ("since_text", t.shared("level.since"))]
    )
    return [
        base.mark_rule(color=INK, strokeDash=[6, 4], strokeWidth=1.5).encode(
            x=x, x2="date_end:T", y=y("value"), tooltip=tooltip
        ),
        base.mark_text(align="right", dy=-8, fontSize=MIN_FONT + 1, color=INK).encode(
            x=alt.X("date_end:T"), y=y("value"), text="label_text:N", tooltip=tooltip
        ),
    ]


def event_layers(
    events: pl.DataFrame, domain: tuple[dt.date, dt.date], t: ChartText, layout: Layout
) -> list[alt.Chart]:
    """Vertical marks for the mission's key dates, labelled at the top of the plot."""
    if events.is_empty():
        return []
    base = alt.Chart(for_vega(events))
    x = x_time(domain, layout)
    tooltip = tips([("label_text", t.shared("event.event")), ("date_text", t.shared("event.date"))])
    layers = [
        base.mark_rule(color=RULE, strokeDash=[2, 3], strokeWidth=1).encode(x=x, tooltip=tooltip)
    ]
    for right in (False, True):
        layers.append(
            base.transform_filter(f"{'' if right else '!'}datum.right")
            .mark_text(
                align="right" if right else "left",
                dx=-4 if right else 4,
                baseline="top",
                fontSize=MIN_FONT,
                color=GREY,
            )
            .encode(x=x, y=alt.Y("y:Q", scale=None), text="label_text:N", tooltip=tooltip)
            .transform_calculate(y="4 + 15 * datum.slot")
        )
    return layers


def _steps_table(steps: pl.DataFrame, t: ChartText) -> Table:
    columns = tuple(t.label(f"table.{c}") for c in ("from", "count", "basis", "countries"))
    rows = tuple(
        (r["date_text"], r["count_text"], r["basis_text"], r["countries_text"])
        for r in steps.iter_rows(named=True)
    )
    return Table(t.label("table.caption"), columns, rows)
