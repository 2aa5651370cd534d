"""What the processed tables say on a given day: the one definition of each headline quantity.

The report's facts (report/facts.py) and the claims check (clean/claims.py) both ask these
questions, so a claim is always graded against the same number the report prints. Every
function takes processed tables (see core/schemas.py) and returns plain values or rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from haiti_report.core.vocab import Mission, Qualifier

MSS_END = ("mss_end", "transition")  # mandate measures for the MSS's last day
AUTHORISATION = "authorisation"
LEVELS = ("planning_figure", "ceiling")  # mandate measures that are personnel levels
COST_ESTIMATE = "cost_estimate"
MISSION_SCOPES = ("MSS total", "GSF total")


def mss_end(mandates: pl.DataFrame) -> dt.date | None:
    """The MSS's last day, once reported."""
    days = mandates.filter(pl.col("measure").is_in(list(MSS_END)))["date"].drop_nulls()
    return min(days) if days.len() else None


def era(day: dt.date, end: dt.date | None) -> Mission:
    """The mission in force on ``day``: the MSS up to its last day, the GSF after."""
    return Mission.GSF if end is not None and day > end else Mission.MSS


def authorised(mandates: pl.DataFrame) -> dt.date | None:
    """The day the Security Council first authorised the mission."""
    days = mandates.filter(pl.col("measure") == AUTHORISATION)["date"].drop_nulls()
    return min(days) if days.len() else None


def count_on(personnel: pl.DataFrame, day: dt.date, iso3: str | None = None) -> dict | None:
    """The count in force at the end of ``day`` for a country (or the whole mission)."""
    scope = (
        personnel.filter(pl.col("scope") == "mission")
        if iso3 is None
        else personnel.filter((pl.col("scope") == "country") & (pl.col("iso3") == iso3))
    )
    rows = scope.filter(pl.col("date") <= day).sort("date")
    return rows.row(-1, named=True) if rows.height else None


def countries_on(personnel: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    """Every country's count in force at the end of ``day``."""
    return (
        personnel.filter((pl.col("scope") == "country") & (pl.col("date") <= day))
        .sort("date")
        .group_by("iso3", maintain_order=True)
        .last()
        .sort("iso3")
    )


def sum_of_countries(personnel: pl.DataFrame, day: dt.date) -> dict[str, Any]:
    """The country counts added up (value empty if any is only a range)."""
    rows = countries_on(personnel, day)
    values = rows["value"].to_list()
    highs = rows["high"].to_list()
    return {
        "value": None if any(v is None for v in values) else int(sum(values)),
        "low": int(rows["low"].sum() or 0),
        "high": None if any(h is None for h in highs) else int(sum(highs)),
    }


def peak(personnel: pl.DataFrame, day: dt.date) -> dict | None:
    """The largest whole-mission count on any day up to ``day`` that is a count (exact or
    rounded), not a bound: "up to 1,025" is not a peak. Ties: the first day."""
    rows = personnel.filter(
        (pl.col("scope") == "mission")
        & (pl.col("date") <= day)
        & pl.col("value").is_not_null()
        & pl.col("qualifier").is_in([Qualifier.EXACT, Qualifier.ABOUT, Qualifier.NEARLY])
    ).sort(["value", "date"], descending=[True, False])
    return rows.row(0, named=True) if rows.height else None


def pledges_counted(
    pledges: pl.DataFrame, mission: Mission, *, history: bool = False
) -> pl.DataFrame:
    """Pledges counted in a mission's total (``history``: as counted until it lapsed)."""
    column = "counted_until_lapse" if history else "counted"
    return pledges.filter((pl.col("mission") == mission) & pl.col(column))


def pledging(pledges: pl.DataFrame, mission: Mission, *, history: bool = False) -> pl.DataFrame:
    """Countries with a live pledge to a mission (with or without a number)."""
    live = ["made", "confirmed"] + (["lapsed"] if history else [])
    return pledges.filter((pl.col("mission") == mission) & pl.col("status").is_in(live))


def level_in_force(mandates: pl.DataFrame, day: dt.date) -> dict | None:
    """The personnel level the mission of ``day`` was measured against: the MSS's planning
    figure (resolution 2699 set no ceiling), the GSF's authorised ceiling once the GSF existed.
    The latest dated one; among reports of the same day, the first listed."""
    measures = ["planning_figure"] if era(day, mss_end(mandates)) == Mission.MSS else ["ceiling"]
    rows = mandates.filter(
        (pl.col("date") <= day) & pl.col("value").is_not_null() & pl.col("measure").is_in(measures)
    ).sort(["date", "figure_id"], descending=[True, False])
    return rows.row(0, named=True) if rows.height else None


def latest_money(
    money: pl.DataFrame,
    measure: str,
    day: dt.date,
    *,
    currency: str = "usd",
    trust_fund: bool | None = None,
) -> dict | None:
    """The newest figure of a money measure by ``order_date`` (a month-dated figure counts from
    the start of its month, so it never displaces a day-dated one of that month)."""
    rows = money.filter(
        (pl.col("measure") == measure)
        & (pl.col("currency") == currency)
        & (pl.col("order_date") <= day)
    )
    if trust_fund is not None:
        rows = rows.filter(pl.col("trust_fund_total") == trust_fund)
    rows = rows.sort(["order_date", "figure_id"])
    return rows.row(-1, named=True) if rows.height else None


def cost_estimate(money: pl.DataFrame, day: dt.date) -> dict | None:
    """The newest yearly cost estimate for the whole mission."""
    rows = money.filter(
        (pl.col("measure") == COST_ESTIMATE)
        & (pl.col("currency") == "usd")
        & pl.col("donor").is_in(list(MISSION_SCOPES))
        & (pl.col("order_date") <= day)
    ).sort(["order_date", "figure_id"])
    return rows.row(-1, named=True) if rows.height else None


def round_number() -> pl.Expr:
    """IOM's rounds in order ("R5.1" after "R5", "R10" after "R9"): by number, not by date,
    since not every round states its reference period."""
    return pl.col("round").str.strip_prefix("R").cast(pl.Float64, strict=False)


def newest_round(idps: pl.DataFrame, day: dt.date) -> dict | None:
    """IOM's newest national round published by ``day``."""
    rows = idps.filter(pl.col("published") <= day).sort(round_number())
    return rows.row(-1, named=True) if rows.height else None


def round_at(idps: pl.DataFrame, day: dt.date | None) -> dict | None:
    """The newest round IOM had published by ``day`` (e.g. when the mission was authorised)."""
    return None if day is None else newest_round(idps, day)
