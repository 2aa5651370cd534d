"""Pledges by mission and status: who promised how many personnel to the MSS and to the GSF.

The rules (the methodology repeats them):

1. A pledge belongs to the mission it was made to (``mission`` in figures.csv). Before the MSS
   ended, the headline counts MSS pledges; after, only GSF pledges. MSS pledges stay in the
   table as history.
2. A country's pledge to a mission is its latest pledge *with a number*; a later report
   without a number (an offer "to double") does not erase it, and a country that never gave a
   number is "unspecified", never 0. Tranches of a pledge ("300 in October") are schedule, not
   a new pledge.
3. Status over time: the latest dated status wins (made, confirmed, on hold, withdrawn); an MSS
   pledge not on hold or withdrawn has *lapsed* once the MSS ended (the mission it was made
   to no longer existed).
4. Counted in the total: a number, status made or confirmed, and not resting on a single
   low-confidence source. Everything else is listed with the reason it is not counted.
5. Totals that sources published ("nearly 3,100 from 10 countries") are kept apart as
   aggregates, to be shown beside the project's own sum.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from haiti_report.clean.tables import CleaningLog
from haiti_report.core.vocab import (
    COUNTED_PLEDGE_STATUSES,
    Confidence,
    FigureKind,
    FigureStatus,
    Mission,
    PledgeStatus,
)

PLEDGE = "personnel"  # the measure of a country's pledge of personnel
TRANCHE = "personnel_tranche"  # part of a pledge sent on a schedule
SUSPENSION = "suspension"  # older rows: a pledge put on hold
AGGREGATES = ("aggregate_personnel", "aggregate_contributors")

SCHEMA = {
    "mission": pl.String,
    "iso3": pl.String,
    "pledged": pl.Int64,
    "pledged_low": pl.Int64,
    "pledged_high": pl.Int64,
    "pledged_qualifier": pl.String,
    "pledged_as_written": pl.String,
    "pledge_date": pl.String,
    "status": pl.String,
    "status_date": pl.String,
    "counted": pl.Boolean,
    "counted_until_lapse": pl.Boolean,
    "not_counted_because": pl.String,
    "confidence": pl.String,
    "figure_ids": pl.String,
    "source_ids": pl.String,
}


def mission_of(row: dict, mss_end: dt.date | None) -> Mission:
    """The mission a figure concerns: as recorded, else by its date (logged by the caller)."""
    if row["mission"]:
        return Mission(row["mission"])
    day = row["event_last"] or row["published"]
    return Mission.GSF if mss_end is not None and day is not None and day > mss_end else Mission.MSS


def pledges(
    known: pl.DataFrame, as_of: dt.date, mss_end: dt.date | None, log: CleaningLog
) -> pl.DataFrame:
    """One row per (mission, country) that pledged personnel, as known on ``as_of``."""
    rows = known.filter(
        (pl.col("kind") == FigureKind.PLEDGE)
        & (pl.col("status") == FigureStatus.USED)
        & pl.col("measure").is_in([PLEDGE, SUSPENSION])
        & pl.col("iso3").is_not_null()
    )
    shared = rows.filter(pl.col("iso3").str.contains(";"))
    if shared.height:
        log.add(
            "pledges",
            "pledge shared by several countries: not split",
            shared.height,
            figure_ids=shared["figure_id"].to_list(),
        )
    rows = rows.filter(~pl.col("iso3").str.contains(";"))
    undated_mission = [r["figure_id"] for r in rows.iter_rows(named=True) if not r["mission"]]
    if undated_mission:
        log.add(
            "pledges",
            "mission not recorded: taken from the pledge's date",
            len(undated_mission),
            figure_ids=undated_mission,
        )
    groups: dict[tuple[Mission, str], list[dict]] = {}
    for row in rows.iter_rows(named=True):
        groups.setdefault((mission_of(row, mss_end), row["iso3"]), []).append(row)
    out = [
        _one(mission, iso3, reports, as_of, mss_end)
        for (mission, iso3), reports in sorted(groups.items())
    ]
    table = pl.DataFrame(out, schema=SCHEMA)
    for reason in sorted({r["not_counted_because"] for r in out if r["not_counted_because"]}):
        ids = [r["figure_ids"] for r in out if r["not_counted_because"] == reason]
        log.add("pledges", f"listed, not counted: {reason}", len(ids), figure_ids=ids)
    return table


def _order(row: dict) -> tuple:
    return (row["event_last"] or dt.date.min, row["published"] or dt.date.min, row["figure_id"])


def _one(
    mission: Mission, iso3: str, reports: list[dict], as_of: dt.date, mss_end: dt.date | None
) -> dict:
    reports = sorted(reports, key=_order)
    numbered = [
        r
        for r in reports
        if r["measure"] == PLEDGE
        and r["value"] is not None
        and r["pledge_status"] in (None, *COUNTED_PLEDGE_STATUSES)
    ]
    best = numbered[-1] if numbered else reports[-1]
    status, status_date = PledgeStatus.MADE, best["event_date"]
    for r in reports:  # the latest dated status wins
        if r["measure"] == SUSPENSION:
            status, status_date = PledgeStatus.ON_HOLD, r["event_date"]
        elif r["pledge_status"]:
            status, status_date = PledgeStatus(r["pledge_status"]), r["event_date"]
    lapsed = (
        mission == Mission.MSS
        and mss_end is not None
        and as_of > mss_end
        and status in COUNTED_PLEDGE_STATUSES
    )
    had_number = bool(numbered)
    low_only = had_number and best["confidence"] == Confidence.LOW
    countable = had_number and status in COUNTED_PLEDGE_STATUSES and not low_only
    because = None
    if not had_number:
        because = "pledged without a number"
    elif status not in COUNTED_PLEDGE_STATUSES:
        because = f"pledge {status.value.replace('_', ' ')}"
    elif low_only:
        because = "single low-confidence report"
    elif lapsed:
        because = "the MSS, to which it was made, had ended"
    return {
        "mission": mission.value,
        "iso3": iso3,
        "pledged": int(best["value"]) if had_number else None,
        "pledged_low": _int(best["low"]) if had_number else None,
        "pledged_high": _int(best["high"]) if had_number else None,
        "pledged_qualifier": best["qualifier"] if had_number else None,
        "pledged_as_written": best["value_as_written"] if had_number else None,
        "pledge_date": best["event_date"],
        "status": (PledgeStatus.LAPSED if lapsed else status).value,
        "status_date": mss_end.isoformat() if lapsed and mss_end else status_date,
        "counted": countable and not lapsed,
        "counted_until_lapse": countable,
        "not_counted_because": because,
        "confidence": best["confidence"],
        "figure_ids": "; ".join(r["figure_id"] for r in reports),
        "source_ids": "; ".join(sorted({r["source_id"] for r in reports})),
    }


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def aggregates(known: pl.DataFrame, mss_end: dt.date | None) -> pl.DataFrame:
    """Pledge totals as sources published them, to set beside the project's own sum."""
    rows = known.filter(
        (pl.col("kind") == FigureKind.PLEDGE)
        & (pl.col("status") == FigureStatus.USED)
        & pl.col("measure").is_in(list(AGGREGATES))
        & pl.col("value").is_not_null()
        & pl.col("event_last").is_not_null()
    )
    out = [
        {
            "figure_id": r["figure_id"],
            "date": r["event_last"],
            "mission": mission_of(r, mss_end).value,
            "measure": r["measure"],
            "value": int(r["value"]),
            "qualifier": r["qualifier"],
            "value_as_written": r["value_as_written"],
            "description": r["description"],
            "confidence": r["confidence"],
            "source_id": r["source_id"],
        }
        for r in rows.iter_rows(named=True)
    ]
    schema = {
        "figure_id": pl.String,
        "date": pl.Date,
        "mission": pl.String,
        "measure": pl.String,
        "value": pl.Int64,
        "qualifier": pl.String,
        "value_as_written": pl.String,
        "description": pl.String,
        "confidence": pl.String,
        "source_id": pl.String,
    }
    return pl.DataFrame(out, schema=schema).sort("date", "figure_id")
