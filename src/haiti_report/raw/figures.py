"""data/raw/mss/figures.csv: every pledge, movement, strength, mandate and money figure, as
reported. Reading checks every cell and parses values, dates and country names; nothing here
decides which figure is used (that is clean/)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from haiti_report.core.dates import parse_date_span
from haiti_report.core.vocab import Confidence, FigureKind, Mission, PledgeStatus, values
from haiti_report.raw.countries import CountryNames, split_countries
from haiti_report.raw.files import LINE, fail_row, raise_on_duplicates, read_raw_csv
from haiti_report.raw.sources import check_source_ids, split_ids
from haiti_report.raw.values import parse_optional

# mission/status: pledges by mission and status; part_of: a country's share of a reported
# mission total broken down in full; event: groups reports of one movement on different days.
COLUMNS = (
    "figure_id", "fact_ref", "kind", "measure", "country", "event_date", "value_as_written",
    "unit", "personnel_type", "description", "source_id", "confidence", "note", "mission",
    "status", "part_of", "event",
)  # fmt: skip
# Cells in the country column that name the mission or an institution, not a country.
MISSION_SCOPES = ("MSS total", "GSF total")
NON_COUNTRY_SCOPES = (*MISSION_SCOPES, "All contributors", "UN trust fund", "United Nations")
# Reports of arrivals, departures and strength describe the past: they cannot predate the event.
PAST_TENSE = {FigureKind.ARRIVAL, FigureKind.DEPARTURE, FigureKind.ROTATION, FigureKind.STRENGTH}


def figures_path(raw_dir: str | Path) -> Path:
    return Path(raw_dir) / "mss" / "figures.csv"


def load_figures(
    raw_dir: str | Path, sources: pl.DataFrame, countries: CountryNames
) -> pl.DataFrame:
    """Read figures.csv, check every cell, parse values, dates and countries."""
    path = figures_path(raw_dir)
    frame = read_raw_csv(
        path, COLUMNS, required=("figure_id", "kind", "measure", "source_id", "confidence")
    )
    raise_on_duplicates(frame, path, "figure_id")
    check_source_ids(frame, path, sources)
    published = dict(zip(sources["source_id"], sources["published_last"], strict=True))
    precision = dict(zip(sources["source_id"], sources["published_precision"], strict=True))
    ids = set(frame["figure_id"])
    rows = [
        _parse_row(row, i, frame, path, countries, published, precision, ids)
        for i, row in enumerate(frame.iter_rows(named=True))
    ]
    return pl.DataFrame(
        rows,
        schema_overrides={
            "event_first": pl.Date,
            "event_last": pl.Date,
            "published": pl.Date,
            "value": pl.Float64,
            "low": pl.Float64,
            "high": pl.Float64,
            "iso3": pl.String,
            "qualifier": pl.String,
            "published_precision": pl.String,
            **{c: pl.String for c in ("mission", "part_of", "event")},
            "pledge_status": pl.String,
        },
        infer_schema_length=None,
    )


def _check_vocab(path, frame, i, row, column, allowed) -> None:
    if row[column] is not None and row[column] not in allowed:
        raise fail_row(
            path, frame, i, column, f"unknown {column}", f"Use one of: {', '.join(allowed)}"
        )


def _parse_row(row, i, frame, path, countries, published, precision, ids) -> dict:
    line = row[LINE]
    _check_vocab(path, frame, i, row, "kind", values(FigureKind))
    _check_vocab(path, frame, i, row, "confidence", values(Confidence))
    _check_vocab(path, frame, i, row, "mission", values(Mission))
    _check_vocab(
        path, frame, i, row, "status", [s for s in values(PledgeStatus) if s != PledgeStatus.LAPSED]
    )
    kind = FigureKind(row["kind"])
    if row["status"] and kind != FigureKind.PLEDGE:
        raise fail_row(
            path,
            frame,
            i,
            "status",
            "only pledges have a status",
            "Leave status empty for rows that are not pledges",
        )
    if row["part_of"] and (kind != FigureKind.STRENGTH or row["part_of"] not in ids):
        raise fail_row(
            path,
            frame,
            i,
            "part_of",
            "part_of must name the figure_id of a reported mission total",
            "Use a strength row's figure_id, or leave it empty",
            found=row["part_of"],
        )
    if row["value_as_written"] and not row["unit"]:
        raise fail_row(
            path,
            frame,
            i,
            "unit",
            "a figure needs a unit",
            "Use people, usd, cad, eur, percent or countries",
        )
    value = parse_optional(
        row["value_as_written"],
        unit=row["unit"] or None,
        file=path,
        row=line,
        column="value_as_written",
    )
    span = (
        parse_date_span(row["event_date"], file=path, row=line, column="event_date")
        if row["event_date"]
        else None
    )
    first_source = split_ids(row["source_id"])[0]
    source_day = published[first_source]
    if span and source_day and kind in PAST_TENSE and span.first > source_day:
        raise fail_row(
            path,
            frame,
            i,
            "event_date",
            f"the event is dated after its source was published ({source_day})",
            "Check the event date, or the source's published date in sources.csv",
        )
    return {
        **{k: row[k] for k in COLUMNS if k != "status"},
        "pledge_status": row["status"],  # "status" is what cleaning makes of the figure
        "line": line,
        "iso3": _iso3_cell(row["country"], countries, path, line),
        "value": None if value is None else float(value.value),
        "low": None if value is None or value.low is None else float(value.low),
        "high": None if value is None or value.high is None else float(value.high),
        "qualifier": None if value is None else value.qualifier,
        "unit": value.unit if value is not None else row["unit"],
        "event_first": span.first if span else None,
        "event_last": span.last if span else None,
        "published": source_day,
        "published_precision": precision[first_source],
    }


def _iso3_cell(cell: str | None, countries: CountryNames, path: Path, line: int) -> str | None:
    if not cell or cell in NON_COUNTRY_SCOPES:
        return None
    return "; ".join(
        countries.to_iso3(name, file=path, row=line, column="country")
        for name in split_countries(cell)
    )
