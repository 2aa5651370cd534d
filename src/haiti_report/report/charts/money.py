"""The money chart: the UN trust fund's totals as reported, and the mission's yearly cost.

The title cites only what the chart draws: the trust fund's newest totals and the newest cost
estimate (facts.funding), each the last point of its series. Points sit at ``order_date``,
the day a figure counts from (a month-dated figure from the start of its month), so the
series end on the same figures the facts choose (core/queries.latest_money).
"""

from __future__ import annotations

import datetime as dt
import json

import altair as alt
import polars as pl

from haiti_report.core import queries as q
from haiti_report.report.charts.style import (
    BLUE,
    BOUNDS,
    ORANGE,
    PURPLE,
    Drawn,
    Layout,
    Table,
    empty_panel,
    finish,
    footer,
    for_vega,
    nice_top,
    sources_of,
    tips,
    x_time,
)
from haiti_report.report.charts.words import ChartText
from haiti_report.report.facts import Facts
from haiti_report.report.tables import Processed

TRUST_FUND = "trust-fund"
MEASURES = ("trust_fund_pledged", "trust_fund_received", q.COST_ESTIMATE)
COLOURS = (ORANGE, BLUE, PURPLE)  # pledged (as every pledge), received, cost
MONEY_AXIS = 60  # px of the dollar axis: "$800m" and the axis title


def money_rows(p: Processed, t: ChartText) -> pl.DataFrame:
    """Trust-fund totals and whole-mission cost estimates in US dollars, one point per
    measure, day and amount (several reports of one figure are one point)."""
    m = p.money.filter((pl.col("currency") == "usd") & (pl.col("order_date") <= p.as_of))
    fund = m.filter(pl.col("measure").is_in(list(MEASURES[:2])) & pl.col("trust_fund_total"))
    cost = m.filter(
        (pl.col("measure") == q.COST_ESTIMATE) & pl.col("donor").is_in(list(q.MISSION_SCOPES))
    )
    rows = (
        pl.concat([fund, cost])
        .sort("order_date", "figure_id")
        .group_by("measure", "order_date", "value", "qualifier", maintain_order=True)
        .agg(
            pl.col("figure_id").str.join("; ").alias("figure_ids"),
            pl.col("date_as_written").first(),
            pl.col("low").first(),
            pl.col("high").first(),
            pl.col("value_as_written").first(),
            pl.col("source_id").unique(maintain_order=True).str.join("; ").alias("source_id"),
        )
    )
    order = {m: i for i, m in enumerate(MEASURES)}
    return (
        rows.with_columns(
            pl.lit("money").alias("layer"),
            pl.col("order_date").alias("date"),
            pl.col("measure")
            .replace_strict({k: t.label(f"series.{k}") for k in MEASURES}, return_dtype=pl.String)
            .alias("series"),
            pl.col("measure").replace_strict(order, return_dtype=pl.Int64).alias("series_order"),
            pl.col("date_as_written")
            .map_elements(t.fmt.date, return_dtype=pl.String)
            .alias("date_text"),
            pl.struct("value", "qualifier", "high")
            .map_elements(
                lambda s: t.fmt.reported(s["value"], s["qualifier"], high=s["high"], unit="usd"),
                return_dtype=pl.String,
            )
            .alias("value_text"),
            (pl.col("qualifier").is_in(list(BOUNDS)) & (pl.col("qualifier") != "range")).alias(
                "bound"
            ),
            (pl.col("date_as_written").str.len_chars() < 10).alias("month_dated"),
        )
        .sort("series_order", "date", "figure_ids")
        .select(
            "layer",
            "series",
            "measure",
            "series_order",
            "date",
            "date_as_written",
            "date_text",
            "value",
            "low",
            "high",
            "qualifier",
            "bound",
            "month_dated",
            "value_text",
            "value_as_written",
            "figure_ids",
            "source_id",
        )
    )


def _millions(t: ChartText) -> str:
    """The axis's ticks in millions, as the language writes them ("$800m", "800 M$"): the
    words around the number are in charts.yml, the number is Vega's (in the chart's locale)."""
    before, after = (json.dumps(t.label(f"labels_millions.{k}")) for k in ("before", "after"))
    return f"{before} + format(datum.value / 1e6, ',.0f') + {after}"


def trust_fund(p: Processed, F: Facts, layout: Layout) -> Drawn:
    f = F.to_json()
    data = money_rows(p, ChartText(TRUST_FUND, f, {}))
    d = {
        "cost_drawn": bool(data.filter(pl.col("measure") == q.COST_ESTIMATE).height),
        "bounds": data.filter(pl.col("bound")).to_dicts(),
        "ranges": data.filter(pl.col("qualifier") == "range").to_dicts(),
        "month_dated": bool(data.filter(pl.col("month_dated")).height),
        "rows": data.to_dicts(),
    }
    t = ChartText(TRUST_FUND, f, d)
    words = t.words()
    lines = footer(
        sources_of(data, "source_id"), p.sources, words.notes, none_text=t.shared("source_none")
    )
    table = Table(
        t.label("table.caption"),
        tuple(t.label(f"table.{c}") for c in ("date", "series", "amount", "as_written")),
        tuple(
            (r["date_text"], r["series"], r["value_text"], r["value_as_written"])
            for r in data.iter_rows(named=True)
        ),
    )
    if data.is_empty():
        return Drawn(
            finish(empty_panel(t.shared("empty"), layout), words, lines, layout, layout.plot(0)),
            data,
            words,
            table,
        )
    plot = layout.plot(MONEY_AXIS)
    core = _lines(data, t, layout, p.as_of, plot)
    return Drawn(finish(core, words, lines, layout, plot, MONEY_AXIS), data, words, table)


def _lines(
    data: pl.DataFrame, t: ChartText, layout: Layout, as_of: dt.date, plot: int
) -> alt.LayerChart:
    names = [t.label(f"series.{k}") for k in MEASURES]
    present = [n for n in names if n in set(data["series"])]
    colour = alt.Color(
        "series:N",
        title=None,
        sort=present,
        scale=alt.Scale(domain=present, range=[COLOURS[names.index(n)] for n in present]),
        legend=alt.Legend(orient="top", columns=1 if layout.narrow else 3, symbolType="circle"),
    )
    top = max([*data["value"].to_list(), *data["high"].drop_nulls().to_list(), 1])
    y = alt.Y(
        "value:Q",
        title=t.label("axis"),
        scale=alt.Scale(domain=[0, nice_top(top)], nice=False),
        axis=alt.Axis(tickCount=5, labelExpr=_millions(t)),
    )
    x = x_time((data["date"].min(), as_of), layout)
    tooltip = tips(
        [
            ("date_text", t.label("tooltip.date")),
            ("series", t.label("tooltip.series")),
            ("value_text", t.label("tooltip.amount")),
            ("value_as_written", t.label("tooltip.as_written")),
        ]
    )
    base = alt.Chart(for_vega(data))
    steps = (
        base.transform_filter(f"datum.measure != '{q.COST_ESTIMATE}'")
        .mark_line(interpolate="step-after", strokeWidth=2)
        .encode(x=x, y=y, color=colour, detail="series:N")
    )
    spread = (
        base.transform_filter("datum.qualifier == 'range'")
        .mark_rule(strokeWidth=2)
        .encode(x=x, y="low:Q", y2="high:Q", color=colour)
    )
    points = base.mark_point(size=80, strokeWidth=2.5, filled=False, opacity=1).encode(
        x=x,
        y=y,
        color=colour,
        fill=alt.condition("datum.bound", alt.value("white"), colour),
        tooltip=tooltip,
    )
    return alt.layer(steps, spread, points).properties(
        width=plot, height=240 if layout.narrow else 300
    )
