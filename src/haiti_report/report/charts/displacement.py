"""Displacement charts: IOM's national rounds, departments, and the two stories side by side.

One baseline everywhere: ``F.displacement.baseline``, IOM's count published when the mission
was authorised (the lede names it the same way). Rounds that did not cover the whole country
are hollow; labels name the round they show.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt
import polars as pl

from haiti_report.core import queries as q
from haiti_report.report.charts import series
from haiti_report.report.charts.style import (
    BLUE,
    GREY,
    INK,
    MIN_FONT,
    VERMILION,
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
from haiti_report.report.charts.timeline import YAxis, mission_layers
from haiti_report.report.charts.words import ChartText
from haiti_report.report.facts import Facts
from haiti_report.report.tables import Processed

TWO_STORIES = "two-stories"
BY_ROUND = "displacement-by-round"
BY_DEPARTMENT = "displacement-by-department"
RECENT_ROUNDS = 3
ROUND_COLOURS = (GREY, BLUE, VERMILION)  # oldest to newest of the rounds compared
IDPS_AXIS = 85  # px of a displaced-people axis: "1,500,000" and the axis title


def _rounds(p: Processed, F: Facts, t: ChartText) -> pl.DataFrame:
    rows = series.rounds(
        p,
        lambda c: t.shared(f"coverage.{c or 'unknown'}"),
        lambda r: t.shared(f"when.{r['dated_by_field']}", r=r),
    )
    marks = {}
    base, newest = F.displacement["baseline"], F.displacement["newest"]
    if newest:
        marks[newest["round"]] = "newest"
    if base:
        marks[base["round"]] = "baseline"  # one label when the baseline is the newest
    return rows.with_columns(
        pl.col("round").replace_strict(marks, default=None, return_dtype=pl.String).alias("role")
    )


def _round_layers(
    rounds: pl.DataFrame,
    domain: tuple[dt.date, dt.date],
    t: ChartText,
    layout: Layout,
    labels: bool,
) -> list[alt.Chart]:
    """IOM's rounds as a line with points; hollow where a round did not cover the country."""
    base = alt.Chart(for_vega(rounds))
    x = x_time(domain, layout)
    top = nice_top(max(rounds["idps"].to_list() or [1]))
    y = alt.Y(
        "idps:Q",
        title=t.shared("rounds.axis"),
        scale=alt.Scale(domain=[0, top], nice=False),
        axis=alt.Axis(format=",.0f", tickCount=4),
    )
    tooltip = tips(
        [
            ("round", t.shared("rounds.round")),
            ("period_text", t.shared("rounds.period")),
            ("idps_text", t.shared("rounds.idps")),
            ("coverage_text", t.shared("rounds.coverage")),
            ("published_text", t.shared("rounds.published")),
        ]
    )
    layers = [
        base.mark_line(color=VERMILION, strokeWidth=2).encode(x=x, y=y),
        base.mark_point(size=80, strokeWidth=2.5, color=VERMILION, opacity=1, filled=False).encode(
            x=x,
            y=y,
            fill=alt.condition("datum.full_coverage", alt.value(VERMILION), alt.value("white")),
            tooltip=tooltip,
        ),
    ]
    if labels:  # the baseline below-right of its point, the newest round above-left
        short = "_short" if layout.narrow else ""
        marked = rounds.filter(pl.col("role").is_not_null()).with_columns(
            pl.struct(pl.all())
            .map_elements(
                lambda r: t.shared(f"rounds.{r['role']}{short}", r=r), return_dtype=pl.String
            )
            .alias("text"),
        )
        for role, align, dx, dy in (("baseline", "left", 8, 18), ("newest", "right", -8, -14)):
            layers.append(
                alt.Chart(for_vega(marked))
                .transform_filter(alt.FieldEqualPredicate(field="role", equal=role))
                .mark_text(
                    align=align, dx=dx, dy=dy, fontSize=MIN_FONT + 1, color=INK, fontWeight="bold"
                )
                .encode(x=x, y=y, text="text:N", tooltip=tooltip)
            )
    return layers


def _round_context(rounds: pl.DataFrame) -> dict[str, Any]:
    partial = rounds.filter(~pl.col("full_coverage"))
    return {
        "partial": partial["round"].to_list(),
        "n_rounds": rounds.height,
        "rows": rounds.to_dicts(),
    }


def _round_table(rounds: pl.DataFrame, t: ChartText) -> Table:
    columns = tuple(
        t.shared(f"rounds.{c}") for c in ("round", "period", "idps", "coverage", "published")
    )
    rows = tuple(
        (r["round"], r["period_text"], r["idps_text"], r["coverage_text"], r["published_text"])
        for r in rounds.iter_rows(named=True)
    )
    return Table(t.label("table"), columns, rows)


def by_round(p: Processed, F: Facts, layout: Layout) -> Drawn:
    f = F.to_json()
    rounds = _rounds(p, F, ChartText(BY_ROUND, f, {}))
    t = ChartText(BY_ROUND, f, _round_context(rounds))
    words = t.words()
    lines = footer(
        sources_of(rounds, "source_id"),
        p.sources,
        words.notes,
        none_text=t.shared("source_none"),
        dtm_files=bool(rounds["source_id"].null_count()),
    )
    table = _round_table(rounds, t)
    if rounds.is_empty():
        return Drawn(
            finish(empty_panel(t.shared("empty"), layout), words, lines, layout, layout.plot(0)),
            rounds,
            words,
            table,
        )
    domain = (min(rounds["date"].min(), p.as_of), p.as_of)
    plot = layout.plot(IDPS_AXIS)
    core = alt.layer(*_round_layers(rounds, domain, t, layout, labels=True)).properties(
        width=plot, height=240 if layout.narrow else 300
    )
    return Drawn(finish(core, words, lines, layout, plot, IDPS_AXIS), rounds, words, table)


# --- both stories on one time axis -----------------------------------------------------------


def two_stories(p: Processed, F: Facts, layout: Layout) -> Drawn:
    """Personnel in Haiti (top) and people displaced (bottom) on one time axis, from the
    mission's authorisation (or IOM's baseline round, if earlier) to the as-of date."""
    f = F.to_json()
    t = ChartText(TWO_STORIES, f, {})
    steps = series.mission_steps(p, lambda b: t.shared(f"basis.{b}"))
    rounds = _rounds(p, F, t)
    base = F.displacement["baseline"]
    if base:  # the story starts from the baseline
        start = rounds.filter(pl.col("round") == base["round"])["date"].min()
        rounds = rounds.filter(pl.col("date") >= start) if start else rounds
    t = ChartText(TWO_STORIES, f, _round_context(rounds))
    words = t.words()
    data = pl.concat([steps, rounds], how="diagonal")
    lines = footer(
        sources_of(data, "source_ids", "source_id"),
        p.sources,
        words.notes,
        none_text=t.shared("source_none"),
        dtm_files=bool(rounds["source_id"].null_count()),
    )
    table = _two_table(steps, rounds, t)
    if steps.is_empty() and rounds.is_empty():
        return Drawn(
            finish(empty_panel(t.shared("empty"), layout), words, lines, layout, layout.plot(0)),
            data,
            words,
            table,
        )
    starts = [
        d
        for d in [series.day(F.mission["authorised"]), rounds["date"].min(), steps["date"].min()]
        if d is not None
    ]
    domain = (min(starts), p.as_of)
    height = 130 if layout.narrow else 150
    plot = layout.plot(IDPS_AXIS)
    panels = []
    if steps.height:
        top = max([*steps["value"].to_list(), *steps["band_high"].drop_nulls().to_list(), 1])
        y = YAxis(t.shared("mission.axis"), nice_top(top))
        panels.append(
            alt.layer(*mission_layers(steps, domain, t, layout, F, y)).properties(
                width=plot,
                height=height,
                title=alt.Title(t.label("top"), anchor="start", fontSize=13),
            )
        )
    if rounds.height:
        panels.append(
            alt.layer(*_round_layers(rounds, domain, t, layout, labels=False)).properties(
                width=plot,
                height=height,
                title=alt.Title(t.label("bottom"), anchor="start", fontSize=13),
            )
        )
    core = alt.vconcat(*panels, spacing=10).resolve_scale(x="shared")
    return Drawn(finish(core, words, lines, layout, plot, IDPS_AXIS), data, words, table)


def _two_table(steps: pl.DataFrame, rounds: pl.DataFrame, t: ChartText) -> Table:
    rows = [
        (r["date_text"], t.label("top"), r["count_text"]) for r in steps.iter_rows(named=True)
    ] + [
        (f"{r['period_text']} ({r['round']})", t.label("bottom"), r["idps_text"])
        for r in rounds.iter_rows(named=True)
    ]
    columns = tuple(t.shared(f"two.{c}") for c in ("when", "what", "count"))
    return Table(t.label("table"), columns, tuple(rows))


# --- departments -----------------------------------------------------------------------------


def department_rows(p: Processed, t: ChartText) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """The departments of IOM's most recent rounds with figures for every department, and
    the newer rounds left out because they have only part of the breakdown."""
    deps = p.departments.filter(pl.col("published") <= p.as_of).with_columns(
        *series.round_dates(), q.round_number().alias("round_number")
    )
    per_round = (
        deps.group_by("round", "round_number")
        .agg(
            pl.col("pcode").n_unique().alias("n"),
            pl.col("date").max(),
            pl.col("dated_by_field").first(),
            *[pl.col(c).max() for c in series.DATED_BY],
        )
        .sort("round_number", "round")
    )
    full = int(per_round["n"].max() or 0)
    recent = per_round.filter(pl.col("n") == full).tail(RECENT_ROUNDS)
    newest = recent["round_number"].max() if recent.height else None
    partial = (
        per_round.filter((pl.col("n") < full) & (pl.col("round_number") > newest)).to_dicts()
        if newest is not None
        else []
    )
    when = {r["round"]: t.shared(f"when.{r['dated_by_field']}", r=r) for r in per_round.to_dicts()}
    for r in partial:
        r["when"] = when[r["round"]]
    shown = recent["round"].to_list()
    label = {r: t.label("round", r={"round": r, "when": when[r]}) for r in shown}
    rows = deps.filter(pl.col("round").is_in(shown)).join(
        deps.group_by("round").agg(pl.col("idps").sum().alias("round_total")), on="round"
    )
    rows = rows.with_columns(
        pl.col("round").replace_strict(label, return_dtype=pl.String).alias("round_label"),
        pl.col("round").replace_strict(when, return_dtype=pl.String).alias("round_when"),
        pl.col("round")
        .replace_strict({r: i for i, r in enumerate(shown)}, return_dtype=pl.Int64)
        .alias("round_order"),
        (100 * pl.col("idps") / pl.col("round_total")).round(0).cast(pl.Int64).alias("share_pct"),
        pl.struct("idps", "qualifier")
        .map_elements(lambda s: t.fmt.reported(s["idps"], s["qualifier"]), return_dtype=pl.String)
        .alias("idps_text"),
    ).sort("round_order", "idps", descending=[False, True])
    data = rows.select(
        pl.lit("department").alias("layer"),
        "round",
        "round_label",
        "round_when",
        "round_order",
        "date",
        "pcode",
        "department",
        "idps",
        "qualifier",
        "idps_text",
        "round_total",
        "share_pct",
        "source_id",
        "figure_id",
    )
    return data, partial


def by_department(p: Processed, F: Facts, layout: Layout) -> Drawn:
    f = F.to_json()
    data, partial = department_rows(p, ChartText(BY_DEPARTMENT, f, {}))
    rounds = data.unique("round", maintain_order=True).sort("round_order")
    newest = (
        data.filter(pl.col("round_order") == data["round_order"].max()) if data.height else data
    )
    d = {
        "rounds": rounds.to_dicts(),
        "top": newest.row(0, named=True) if newest.height else None,
        "partial": partial,
        "n_departments": newest.height,
        "newest": newest.to_dicts(),
    }
    t = ChartText(BY_DEPARTMENT, f, d)
    words = t.words()
    lines = footer(
        sources_of(data, "source_id"),
        p.sources,
        words.notes,
        none_text=t.shared("source_none"),
        dtm_files=bool(data["source_id"].null_count()),
    )
    table = _department_table(data, rounds, t)
    if data.is_empty():
        return Drawn(
            finish(empty_panel(t.shared("empty"), layout), words, lines, layout, layout.plot(0)),
            data,
            words,
            table,
        )
    core = _dots(data, rounds, newest, t, layout)
    return Drawn(
        finish(core, words, lines, layout, _dots_width(layout), layout.label_limit + 10),
        data,
        words,
        table,
    )


def _dots_width(layout: Layout) -> int:
    return layout.plot(layout.label_limit + 10) if layout.narrow else layout.width - 120


def _dots(
    data: pl.DataFrame, rounds: pl.DataFrame, newest: pl.DataFrame, t: ChartText, layout: Layout
) -> alt.LayerChart:
    order = newest["department"].to_list() + sorted(
        set(data["department"]) - set(newest["department"])
    )
    labels = rounds["round_label"].to_list()
    colours = list(ROUND_COLOURS[-len(labels) :])
    top = int(data["idps"].max() or 1)
    scale = alt.Scale(domain=[0, top * (1.05 if layout.narrow else 1.25)], nice=False)
    y = alt.Y("department:N", sort=order, title=None, axis=alt.Axis(labelLimit=layout.label_limit))
    x = alt.X(
        "idps:Q",
        title=t.label("axis"),
        scale=scale,
        axis=alt.Axis(format=",.0f", tickCount=3 if layout.narrow else 5, orient="top"),
    )
    tooltip = tips(
        [
            ("department", t.label("tooltip.department")),
            ("round_label", t.label("tooltip.round")),
            ("idps_text", t.label("tooltip.idps")),
        ]
    )
    base = alt.Chart(for_vega(data))
    span = base.mark_rule(color=GREY, strokeWidth=1.5).encode(
        y=y, x=alt.X("min(idps):Q", scale=scale), x2="max(idps):Q"
    )
    dots = base.mark_point(size=90, strokeWidth=2.5, filled=True, opacity=1).encode(
        y=y,
        x=x,
        color=alt.Color(
            "round_label:N",
            title=None,
            sort=labels,
            scale=alt.Scale(domain=labels, range=colours),
            legend=alt.Legend(orient="top", columns=1 if layout.narrow else len(labels)),
        ),
        shape=alt.Shape(
            "round_label:N",
            sort=labels,
            scale=alt.Scale(domain=labels, range=["circle", "diamond", "square"][: len(labels)]),
            legend=None,
        ),
        tooltip=tooltip,
    )
    layers = [span, dots]
    if not layout.narrow:
        layers.append(
            alt.Chart(for_vega(newest))
            .mark_text(align="left", dx=9, fontSize=MIN_FONT + 1, color=INK)
            .encode(y=y, x=alt.X("idps:Q", scale=scale), text="idps_text:N", tooltip=tooltip)
        )
    return alt.layer(*layers).properties(width=_dots_width(layout), height=24 * max(1, len(order)))


def _department_table(data: pl.DataFrame, rounds: pl.DataFrame, t: ChartText) -> Table:
    labels = rounds["round_label"].to_list()
    columns = (t.label("tooltip.department"), *labels)
    cells: dict[str, dict[str, str]] = {}
    for r in data.iter_rows(named=True):
        cells.setdefault(r["department"], {})[r["round_label"]] = r["idps_text"]
    missing = t.shared("missing")
    rows = tuple((dep, *(v.get(lab, missing) for lab in labels)) for dep, v in cells.items())
    return Table(t.label("table"), columns, rows)


__all__ = [
    "BY_DEPARTMENT",
    "BY_ROUND",
    "TWO_STORIES",
    "by_department",
    "by_round",
    "two_stories",
]
