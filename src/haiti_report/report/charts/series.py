"""The plotted series, built from the processed tables (never from a second model).

* :func:`mission_steps`: the whole-mission count (``scope == "mission"`` rows of
  personnel_in_haiti, the strength model), one row per step with its bounds and basis;
* :func:`country_blocks`: the country counts (``scope == "country"`` rows) on every step,
  stacked, the smaller contributors summed as "Other countries";
* :func:`level_steps`: planning figures and ceilings from the mandates table, each drawn for
  the mission it belongs to (no GSF ceiling before the GSF existed);
* :func:`rounds`: IOM's national rounds with their coverage.

Each frame carries the text its tooltips show (house-style dates and counts) and the source
ids of its rows, so the chart's CSV and source line are exactly what is drawn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl

from haiti_report.core import queries as q
from haiti_report.core.sources import split_ids
from haiti_report.report.charts.style import count_text, day_text, is_bound
from haiti_report.report.facts import Facts
from haiti_report.report.tables import Processed
from haiti_report.report.text import format as fmt

MAX_NAMED = 4  # countries drawn by name; the others are summed as one series
FULL_COVERAGE = 10  # Haiti's departments: a round that covered all of them


def day(value: str | None) -> dt.date | None:
    """An ISO date from facts as a date (None stays None)."""
    return None if value is None else dt.date.fromisoformat(value)


def _ids(cells: list[str | None]) -> str | None:
    return "; ".join(sorted({i for c in cells for i in split_ids(c)})) or None


def mission_steps(p: Processed, basis_words: Callable[[str], str]) -> pl.DataFrame:
    """The whole-mission count, one row per day it changed, to the next change (or as_of)."""
    rows = p.personnel.filter((pl.col("scope") == "mission") & (pl.col("date") <= p.as_of))
    rows = rows.sort("date").with_columns(
        pl.col("date").shift(-1).fill_null(p.as_of).alias("date_end")
    )
    if rows.height > 1:  # the closing row on as_of repeats the last change
        rows = rows.filter(pl.col("date") < pl.col("date_end"))
    out = []
    for r in rows.iter_rows(named=True):
        drawn = r["value"] if r["value"] is not None else r["low"]
        uncertain = is_bound(r["qualifier"]) or r["value"] is None
        out.append(
            {
                "layer": "mission",
                "date": r["date"],
                "date_end": r["date_end"],
                "value": drawn,
                "low": r["low"],
                "high": r["high"],
                "qualifier": r["qualifier"],
                "basis": r["basis"],
                "anchor_figure_id": r["anchor_figure_id"],
                "anchor_date": r["anchor_date"],
                "uncertain": uncertain,
                "band_low": r["low"] if uncertain else None,
                "band_high": (r["high"] if r["high"] is not None else drawn) if uncertain else None,
                "date_text": day_text(r["date"]),
                "count_text": count_text(r),
                "basis_text": basis_words(r["basis"]),
                "source_ids": r["source_ids"],
            }
        )
    schema = {
        "layer": pl.String,
        "date": pl.Date,
        "date_end": pl.Date,
        "value": pl.Int64,
        "low": pl.Int64,
        "high": pl.Int64,
        "qualifier": pl.String,
        "basis": pl.String,
        "anchor_figure_id": pl.String,
        "anchor_date": pl.Date,
        "uncertain": pl.Boolean,
        "band_low": pl.Int64,
        "band_high": pl.Int64,
        "date_text": pl.String,
        "count_text": pl.String,
        "basis_text": pl.String,
        "source_ids": pl.String,
    }
    return pl.DataFrame(out, schema=schema)


def countries_by_day(p: Processed, days: list[dt.date]) -> pl.DataFrame:
    """Each country's row in force at the end of each day (one row per day and country)."""
    countries = p.personnel.filter(
        (pl.col("scope") == "country") & (pl.col("date") <= p.as_of)
    ).sort("date")
    if countries.is_empty() or not days:
        return countries.clear().with_columns(pl.lit(None, pl.Date).alias("day"))
    grid = (
        pl.DataFrame({"day": days}).join(countries.select("iso3").unique(), how="cross").sort("day")
    )
    return (
        grid.join_asof(
            countries.rename({"date": "since"}),
            left_on="day",
            right_on="since",
            by="iso3",
            strategy="backward",
            check_sortedness=False,  # sorted by day above; polars cannot check within groups
        )
        .filter(pl.col("since").is_not_null())
        .sort("day", "iso3")
    )


def country_blocks(p: Processed, other: str) -> tuple[pl.DataFrame, list[str]]:
    """The country counts on every step, stacked (largest contributor at the bottom); returns
    the blocks and the series in stacking order."""
    days = sorted(set(p.personnel.filter(pl.col("date") <= p.as_of)["date"].to_list()))
    by_day = countries_by_day(p, days)
    if by_day.is_empty():
        return _blocks_frame([]), []
    by_day = by_day.with_columns(pl.coalesce("value", "low").alias("drawn"))
    peaks = (
        by_day.group_by("name")
        .agg(pl.col("drawn").max())
        .sort(["drawn", "name"], descending=[True, False])
    )
    named = peaks["name"].head(MAX_NAMED if peaks.height > MAX_NAMED + 1 else peaks.height)
    order = named.to_list() + ([other] if peaks.height > named.len() else [])
    ends = {d: e for d, e in zip(days, [*days[1:], p.as_of], strict=True)}
    blocks = []
    for day in days:
        if ends[day] <= day:
            continue
        today = by_day.filter(pl.col("day") == day)
        base = 0
        for series in order:
            members = today.filter(
                ~pl.col("name").is_in(named.to_list())
                if series == other
                else (pl.col("name") == series)
            )
            total = int(members["drawn"].sum() or 0)
            if total <= 0:
                continue
            rows = members.sort("drawn", descending=True).to_dicts()
            blocks.append(
                {
                    "layer": "country",
                    "series": series,
                    "date": day,
                    "date_end": ends[day],
                    "value": total,
                    "y0": base,
                    "y1": base + total,
                    "uncertain": any(is_bound(r["qualifier"]) for r in rows),
                    "period_text": f"{day_text(day)} – {day_text(ends[day])}",
                    "count_text": count_text(rows[0])
                    if series != other
                    else fmt.active().number(total),
                    "members_text": "; ".join(f"{r['name']} {count_text(r)}" for r in rows),
                    "source_ids": _ids([r["source_ids"] for r in rows]),
                }
            )
            base += total
    return _blocks_frame(_merge(blocks)), order


def _merge(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One block while a series stays the same (fewer marks, no seams between them)."""
    out: list[dict[str, Any]] = []
    last: dict[tuple, dict[str, Any]] = {}
    for b in sorted(blocks, key=lambda b: (b["series"], b["date"])):
        key = (b["series"], b["y0"], b["y1"], b["count_text"], b["members_text"])
        prev = last.get(b["series"])
        if prev is not None and prev["key"] == key and prev["row"]["date_end"] == b["date"]:
            row = prev["row"]
            row["date_end"] = b["date_end"]
            row["period_text"] = f"{day_text(row['date'])} – {day_text(row['date_end'])}"
            row["source_ids"] = _ids([row["source_ids"], b["source_ids"]])
            continue
        out.append(b)
        last[b["series"]] = {"key": key, "row": b}
    return sorted(out, key=lambda b: (b["date"], b["y0"]))


def _blocks_frame(blocks: list[dict[str, Any]]) -> pl.DataFrame:
    schema = {
        "layer": pl.String,
        "series": pl.String,
        "date": pl.Date,
        "date_end": pl.Date,
        "value": pl.Int64,
        "y0": pl.Int64,
        "y1": pl.Int64,
        "uncertain": pl.Boolean,
        "period_text": pl.String,
        "count_text": pl.String,
        "members_text": pl.String,
        "source_ids": pl.String,
    }
    return pl.DataFrame(blocks, schema=schema)


def level_steps(p: Processed, F: Facts, label: Callable[[dict], str]) -> pl.DataFrame:
    """Planning figures and ceilings, each from its date to the next one of its kind or the
    end of its mission. An edition before the GSF draws no ceiling: the only ceiling the
    Security Council set is the GSF's."""
    levels = p.mandates.filter(
        pl.col("measure").is_in(list(q.LEVELS))
        & pl.col("value").is_not_null()
        & (pl.col("date") <= p.as_of)
    ).sort("date", "figure_id")
    if F.gsf is None:
        levels = levels.filter(pl.col("measure") != "ceiling")
    mss_end = day(F.mission["mss_last_day"])
    gsf_start = day(F.gsf.first_day) if F.gsf else None
    segments: list[dict[str, Any]] = []
    for r in levels.iter_rows(named=True):
        start = max(r["date"], gsf_start) if r["measure"] == "ceiling" and gsf_start else r["date"]
        last = segments[-1] if segments and segments[-1]["measure"] == r["measure"] else None
        if last and last["value"] == r["value"]:  # another report of the same level
            last["source_ids"] = _ids([last["source_ids"], r["source_id"]])
            last["figure_ids"] += "; " + r["figure_id"]
            continue
        segments.append(
            {
                "layer": "level",
                "measure": r["measure"],
                "date": start,
                "value": int(r["value"]),
                "value_as_written": r["value_as_written"],
                "set_on": r["date"],
                "figure_ids": r["figure_id"],
                "source_ids": r["source_id"],
            }
        )
    for i, seg in enumerate(segments):
        later = [s["date"] for s in segments[i + 1 :] if s["measure"] == seg["measure"]]
        end = later[0] if later else p.as_of
        if mss_end and seg["date"] <= mss_end:
            end = min(end, mss_end)
        seg["date_end"] = end
        seg["label_text"] = label(seg)
        seg["since_text"] = day_text(seg["set_on"])
    schema = {
        "layer": pl.String,
        "measure": pl.String,
        "date": pl.Date,
        "date_end": pl.Date,
        "value": pl.Int64,
        "value_as_written": pl.String,
        "set_on": pl.Date,
        "figure_ids": pl.String,
        "source_ids": pl.String,
        "label_text": pl.String,
        "since_text": pl.String,
    }
    return pl.DataFrame(segments, schema=schema).select(list(schema))


DATED_BY = ("reference_period_end", "api_reporting_date", "published")  # in this order


def round_dates() -> list[pl.Expr]:
    """Where a round sits on a time axis: the end of IOM's reference period where IOM gave
    one, else the DTM API's month-end stamp, else the publication date (and which it is)."""
    present = [pl.when(pl.col(c).is_not_null()).then(pl.lit(c)) for c in DATED_BY]
    return [
        pl.coalesce(*DATED_BY).alias("date"),
        pl.coalesce(*present).alias("dated_by_field"),
    ]


def rounds(
    p: Processed,
    coverage_words: Callable[[str | None], str],
    when_words: Callable[[dict[str, Any]], str],
) -> pl.DataFrame:
    """IOM's national rounds (as known on as_of), in round order, with their coverage."""
    rows = (
        p.idps.filter(pl.col("published") <= p.as_of)
        .with_columns(*round_dates(), q.round_number().alias("round_number"))
        .sort("round_number", "round")
    )
    out = []
    for r in rows.iter_rows(named=True):
        full = r["departments_covered"] == FULL_COVERAGE or r["coverage"] == "all_departments"
        out.append(
            {
                "layer": "round",
                "round": r["round"],
                "date": r["date"],
                "dated_by_field": r["dated_by_field"],
                "reference_period_end": r["reference_period_end"],
                "published": r["published"],
                "idps": r["idps"],
                "idps_low": r["idps_low"],
                "idps_high": r["idps_high"],
                "qualifier": r["qualifier"],
                "idps_as_written": r["idps_as_written"],
                "departments_covered": r["departments_covered"],
                "coverage": r["coverage"],
                "full_coverage": bool(full),
                "coverage_changed": r["coverage_changed"],
                "idps_text": fmt.active().reported(r["idps"], r["qualifier"], high=r["idps_high"]),
                "period_text": when_words(r),
                "published_text": day_text(r["published"]),
                "coverage_text": coverage_words(r["coverage"]),
                "source_id": r["source_id"],
                "figure_id": r["figure_id"],
            }
        )
    schema = {
        "layer": pl.String,
        "round": pl.String,
        "date": pl.Date,
        "dated_by_field": pl.String,
        "reference_period_end": pl.Date,
        "published": pl.Date,
        "idps": pl.Int64,
        "idps_low": pl.Int64,
        "idps_high": pl.Int64,
        "qualifier": pl.String,
        "idps_as_written": pl.String,
        "departments_covered": pl.Int64,
        "coverage": pl.String,
        "full_coverage": pl.Boolean,
        "coverage_changed": pl.Boolean,
        "idps_text": pl.String,
        "period_text": pl.String,
        "published_text": pl.String,
        "coverage_text": pl.String,
        "source_id": pl.String,
        "figure_id": pl.String,
    }
    return pl.DataFrame(out, schema=schema)
