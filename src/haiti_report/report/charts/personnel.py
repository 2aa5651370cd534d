"""Personnel charts: pledged vs in Haiti by country, and the count over time.

Every number in their titles and notes is a fact (facts.json); the series are the processed
tables: pledged_vs_deployed and pledges for the pledges, personnel_in_haiti (the strength
model) for who was in Haiti — its ``mission`` rows for the whole mission, its ``country`` rows
for the countries.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from haiti_report.core import queries as q
from haiti_report.report.charts.style import (
    BLUE,
    DASH,
    GREY,
    INK,
    MIN_FONT,
    ORANGE,
    RULE,
    Drawn,
    Layout,
    Table,
    count_text,
    day_text,
    empty_panel,
    finish,
    footer,
    for_vega,
    is_bound,
    sources_of,
    tips,
)
from haiti_report.report.charts.words import ChartText
from haiti_report.report.facts import Facts
from haiti_report.report.tables import Processed

PLEDGED_VS_DEPLOYED = "pledged-vs-deployed"
KINDS = ("counted", "not_counted", "unspecified", "history", "history_unspecified", "none")
WITH_MARKER = ("counted", "not_counted", "history")  # pledges drawn as a point


def _kind(r: dict[str, Any], mission: str) -> str:
    if r["status"] is not None:  # a pledge to the mission of the as-of date
        if r["pledged"] is None:
            return "unspecified"
        return "counted" if r["counted"] else "not_counted"
    if mission == "GSF" and r["mss_status"] is not None:  # the MSS's pledges are history
        return "history" if r["mss_pledged"] is not None else "history_unspecified"
    return "none"


def pledge_rows(p: Processed, F: Facts, t: ChartText) -> pl.DataFrame:
    """One row per country: its pledge as drawn and its count in Haiti on as_of."""
    now = {r["iso3"]: r for r in q.countries_on(p.personnel, p.as_of).iter_rows(named=True)}
    missing = t.shared("missing")
    rows = []
    for r in p.pvd.iter_rows(named=True):
        kind = _kind(r, F.personnel.mission)
        mss = kind.startswith("history")
        pre = "mss_" if mss else ""
        pledged, high, qual = (
            r[pre + "pledged"],
            r[pre + "pledged_high"],
            r[pre + "pledged_qualifier"],
        )
        c = now.get(r["iso3"]) or {}
        drawn = c.get("value") if c.get("value") is not None else c.get("low")
        uncertain = bool(c) and (is_bound(c["qualifier"]) or c["value"] is None)
        row = {
            "layer": "country",
            "iso3": r["iso3"],
            "country": r["country"],
            "pledge_kind": kind,
            "pledge_mission": "MSS" if mss else (None if kind == "none" else r["mission"]),
            "pledged": pledged,
            "pledged_high": high,
            "pledged_qualifier": qual,
            "pledged_as_written": r[pre + "pledged_as_written"],
            "pledge_status": r[pre + "status"],
            "not_counted_because": r[pre + "not_counted_because"],
            "in_haiti": drawn or 0,
            "in_haiti_low": c.get("low"),
            "in_haiti_high": c.get("high"),
            "in_haiti_qualifier": c.get("qualifier"),
            "in_haiti_uncertain": uncertain,
            "band_high": (c["high"] if c.get("high") is not None else drawn) if uncertain else None,
            "in_haiti_since": c.get("date"),
            "peak": r["peak"],
            "first_arrival": r["first_arrival"],
            "pledged_text": t.fmt.reported(pledged, qual, high=high)
            if pledged is not None
            else None,
            "in_haiti_text": count_text(c) if c else t.fmt.number(0),
            "first_arrival_text": day_text(r["first_arrival"]) or missing,
            "source_ids": "; ".join(
                sorted({*_split(r[pre + "source_ids"]), *_split(c.get("source_ids"))})
            )
            or None,
        }
        row["label_text"] = t.row(f"kinds.{kind}", row)
        row["short_text"] = t.row(f"short.{kind}", row)
        row["pledge_tip"] = t.row(f"tips.{kind}", row)
        row["as_written_tip"] = row["pledged_as_written"] or missing
        rows.append(row)
    frame = pl.DataFrame(rows, infer_schema_length=None) if rows else _empty_pledges()
    rank = {k: i for i, k in enumerate(KINDS)}
    return frame.with_columns(
        pl.col("pledge_kind").replace_strict(rank, return_dtype=pl.Int64).alias("kind_rank")
    ).sort(
        ["kind_rank", "pledged", "in_haiti", "country"],
        descending=[False, True, True, False],
        nulls_last=True,
    )


def _split(cell: str | None) -> list[str]:
    return [i.strip() for i in (cell or "").split(";") if i.strip()]


def _empty_pledges() -> pl.DataFrame:
    return pl.DataFrame(schema={"layer": pl.String, "country": pl.String, "pledge_kind": pl.String})


def pledged_vs_deployed(p: Processed, F: Facts, layout: Layout) -> Drawn:
    """Dot chart per country: pledged (hollow) and in Haiti (filled) on the as-of date."""
    f = F.to_json()
    probe = ChartText(PLEDGED_VS_DEPLOYED, f, {})
    data = pledge_rows(p, F, probe)
    d = {
        "rows": data.to_dicts(),
        "n_countries": data.height,
        "n_not_counted": data.filter(pl.col("pledge_kind") == "not_counted").height,
        "n_history": data.filter(pl.col("pledge_kind").str.starts_with("history")).height,
        "uncertain": data.filter(pl.col("in_haiti_uncertain")).to_dicts() if data.height else [],
        "reasons": sorted(
            set(
                data.filter(pl.col("pledge_kind") == "not_counted")["not_counted_because"]
                .drop_nulls()
                .to_list()
            )
        )
        if data.height
        else [],
    }
    t = ChartText(PLEDGED_VS_DEPLOYED, f, d)
    words = t.words()
    lines = footer(
        sources_of(data, "source_ids"), p.sources, words.notes, none_text=t.shared("source_none")
    )
    if data.is_empty():
        return Drawn(
            finish(empty_panel(t.shared("empty"), layout), words, lines, layout, layout.plot(0)),
            data,
            words,
            _pledge_table(data, t),
        )
    core = _dumbbells(data, t, layout)
    return Drawn(
        finish(core, words, lines, layout, _dumbbell_width(layout), layout.label_limit + 10),
        data,
        words,
        _pledge_table(data, t),
    )


def _dumbbell_width(layout: Layout) -> int:
    """Room for the country names and, on a desktop, the labels right of the marks."""
    return layout.plot(layout.label_limit + 10) if layout.narrow else layout.width - 160


def _dumbbells(data: pl.DataFrame, t: ChartText, layout: Layout) -> alt.LayerChart:
    order = data["country"].to_list()
    top = max(int(data["pledged"].max() or 0), int(data["in_haiti"].max() or 0), 1)
    scale = alt.Scale(domain=[0, top * (1.6 if layout.narrow else 1.35)], nice=False)
    y = alt.Y("country:N", sort=order, title=None, axis=alt.Axis(labelLimit=layout.label_limit))
    x = alt.X(
        "x:Q",
        title=t.label("axis"),
        scale=scale,
        axis=alt.Axis(orient="top", tickCount=3 if layout.narrow else 5, format=",.0f"),
    )
    tooltip = tips(
        [
            ("country", t.label("tooltip.country")),
            ("pledge_tip", t.label("tooltip.pledged")),
            ("as_written_tip", t.label("tooltip.as_written")),
            ("in_haiti_text", t.label("tooltip.in_haiti")),
            ("first_arrival_text", t.label("tooltip.first_arrival")),
        ]
    )
    base = alt.Chart(for_vega(data))
    marker = alt.FieldOneOfPredicate(field="pledge_kind", oneOf=list(WITH_MARKER))
    gap = (
        base.transform_filter(marker)
        .mark_rule(color=RULE, strokeWidth=2)
        .encode(y=y, x=alt.X("in_haiti:Q", scale=scale), x2="pledged:Q")
    )
    band = (  # a count known only within bounds: dashed from its low to its high
        base.transform_filter("datum.in_haiti_uncertain")
        .mark_rule(color=BLUE, strokeWidth=2, strokeDash=DASH)
        .encode(y=y, x=alt.X("in_haiti_low:Q", scale=scale), x2="band_high:Q", tooltip=tooltip)
    )
    here = (  # hollow where uncertain
        base.transform_calculate(x="datum.in_haiti")
        .mark_point(size=110, strokeWidth=2.5, filled=False, opacity=1, color=BLUE)
        .encode(
            y=y,
            x=x,
            fill=alt.condition("datum.in_haiti_uncertain", alt.value("white"), alt.value(BLUE)),
            tooltip=tooltip,
        )
    )
    layers = [gap, band, _pledge_points(base, marker, x, y, tooltip), here]
    layers.append(_pledge_labels(base, x, y, tooltip, layout))
    return alt.layer(*layers).properties(
        width=_dumbbell_width(layout), height=22 * max(1, len(order))
    )


def _pledge_points(base: alt.Chart, marker: Any, x: alt.X, y: alt.Y, tooltip: list) -> alt.Chart:
    """Hollow pledge markers: orange if counted, grey if not; squares for the MSS's."""
    return (
        base.transform_filter(marker)
        .transform_calculate(x="datum.pledged")
        .mark_point(size=120, strokeWidth=2.5, filled=False, opacity=1)
        .encode(
            y=y,
            x=x,
            color=alt.condition(
                alt.FieldEqualPredicate(field="pledge_kind", equal="counted"),
                alt.value(ORANGE),
                alt.value(GREY),
            ),
            shape=alt.condition(
                alt.FieldOneOfPredicate(field="pledge_kind", oneOf=["history"]),
                alt.value("square"),
                alt.value("circle"),
            ),
            tooltip=tooltip,
        )
    )


def _pledge_labels(base: alt.Chart, x: alt.X, y: alt.Y, tooltip: list, layout: Layout) -> alt.Chart:
    """Each country's pledge in words, right of its marks (shorter on a phone)."""
    return (
        base.transform_calculate(x="max(datum.pledged || 0, datum.band_high || 0, datum.in_haiti)")
        .mark_text(align="left", dx=10, fontSize=MIN_FONT + 1)
        .encode(
            y=y,
            x=x,
            text=f"{'short_text' if layout.narrow else 'label_text'}:N",
            color=alt.condition(
                alt.FieldEqualPredicate(field="pledge_kind", equal="counted"),
                alt.value(INK),
                alt.value(GREY),
            ),
            tooltip=tooltip,
        )
    )


def _pledge_table(data: pl.DataFrame, t: ChartText) -> Table:
    columns = tuple(t.label(f"table.{c}") for c in ("country", "pledged", "in_haiti", "arrival"))
    rows = (
        tuple(
            (r["country"], r["pledge_tip"], r["in_haiti_text"], r["first_arrival_text"])
            for r in data.iter_rows(named=True)
        )
        if data.height
        else ()
    )
    return Table(t.label("table.caption"), columns, rows)
