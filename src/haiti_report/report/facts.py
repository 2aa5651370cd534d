"""facts.json: the headline numbers of one build, the same ones the report's prose shows.

:func:`read_processed` loads the processed tables the cleaning notebooks wrote (typed by
:mod:`haiti_report.core.schemas`); :func:`build_facts` turns them into the facts dict;
:func:`write_facts` validates it against ``schemas/facts.schema.json`` and writes it
deterministically (sorted keys, 2-space indent, trailing newline).

Definitions (the methodology section repeats them):

* ``personnel.pledged_total``: the sum of each country's pledge that the cleaning counts
  (``counted_in_total``: a number, and not a single low-confidence report); pledges without a
  number are listed with ``pledged: null``.
* ``personnel.deployed_total``: personnel in Haiti on ``as_of`` (arrivals minus departures).
* ``personnel.deployed_peak``: the largest whole-mission count on any day, and the first day it
  was reached.
* ``personnel.planned_total``: the planning figure or authorised ceiling in force on ``as_of``
  (the latest one dated on or before it).
* ``displacement``: the newest IOM DTM national round (by end of reference period) and the first
  round, and the last round before the mission was authorised (for "rose from … to …").
* ``funding``: the latest trust-fund totals reported in US dollars (only where the source gave
  dollars), with their dates.
* ``sources_count``: distinct sources behind the figures the build used (every figure with
  status "used" in the MSS figures table, and every displacement row published).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import dataframely as dy
import jsonschema
import polars as pl

from haiti_report.core import schemas
from haiti_report.raw.sources import split_ids

SCHEMA_PATH = Path(__file__).parents[1] / "core" / "facts.schema.json"
TRANSITION_MEASURE = "transition"  # the mandate row for the day the GSF took over
MISSION_START_MEASURE = "authorisation"

TABLES: dict[str, tuple[str, type[dy.Schema]]] = {
    "figures": ("mss/figures.csv", schemas.Figures),
    "pvd": ("mss/pledged_vs_deployed.csv", schemas.PledgedVsDeployed),
    "timeline": ("mss/personnel_timeline.csv", schemas.PersonnelTimeline),
    "strength": ("mss/strength_check.csv", schemas.StrengthCheck),
    "mandates": ("mss/mandates.csv", schemas.Mandates),
    "money": ("mss/money.csv", schemas.Money),
    "idps": ("displacement/idps_national.csv", schemas.IdpsNational),
    "departments": ("displacement/idps_departments.csv", schemas.IdpsDepartments),
    "context": ("displacement/context.csv", schemas.Context),
}
EXTRA = {  # not in schemas.py: read as text
    "mss_log": "mss/cleaning_log.csv",
    "displacement_log": "displacement/cleaning_log.csv",
    "decisions": "mss/decisions.csv",
}


@dataclass
class Processed:
    """The processed tables of one build (empty frames where a file is missing)."""

    tables: dict[str, pl.DataFrame]

    def __getattr__(self, name: str) -> pl.DataFrame:
        try:
            return self.tables[name]
        except KeyError:
            raise AttributeError(name) from None


def _polars_type(col: Any) -> pl.DataType:
    dtype = col.dtype
    return pl.String() if isinstance(dtype, (pl.Enum, pl.Categorical)) else dtype


def read_processed(out_dir: str | Path) -> Processed:
    """Read <out_dir>/data/{mss,displacement}/*.csv with the schema's column types."""
    data = Path(out_dir) / "data"
    tables: dict[str, pl.DataFrame] = {}
    for key, (rel, schema) in TABLES.items():
        types = {name: _polars_type(col) for name, col in schema.columns().items()}
        path = data / rel
        if path.is_file():
            frame = pl.read_csv(path, schema_overrides=types, infer_schema_length=None)
            keep = [c for c in types if c in frame.columns]
            tables[key] = frame.select(keep)
        else:
            tables[key] = pl.DataFrame(schema=types)
    for key, rel in EXTRA.items():
        path = data / rel
        tables[key] = pl.read_csv(path, infer_schema_length=0) if path.is_file() else pl.DataFrame()
    return Processed(tables)


def plain(frame: pl.DataFrame) -> pl.DataFrame:
    """Enum/categorical columns (as schema validation makes them) as plain strings, so tables
    validated in memory and tables read back from CSV behave the same."""
    return frame.with_columns(
        pl.col(c).cast(pl.String)
        for c, t in frame.schema.items()
        if isinstance(t, (pl.Enum, pl.Categorical))
    )


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def gsf_start(mandates: pl.DataFrame) -> dt.date | None:
    """The day the Gang Suppression Force took over from the MSS (from the mandates table;
    None while no such row is known)."""
    m = plain(mandates)
    if m.is_empty():
        return None
    days = m.filter(pl.col("measure") == TRANSITION_MEASURE)["date"].to_list()
    return min(days) if days else None


def mission_name(as_of: dt.date, gsf_from: dt.date | None) -> dict[str, str]:
    """MSS until the GSF took over, GSF from that day (editorial style)."""
    if gsf_from is not None and as_of >= gsf_from:
        return {"short": "GSF", "name": "Gang Suppression Force", "since": gsf_from.isoformat()}
    return {"short": "MSS", "name": "Multinational Security Support mission"}


def country_counts(
    timeline: pl.DataFrame, as_of: dt.date, *, extra_dates: Iterable[dt.date] = ()
) -> pl.DataFrame:
    """End-of-day personnel in Haiti by country on every date anything moved up to ``as_of``
    (and on ``extra_dates``): one row per (date, iso3) with country, in_haiti and uncertain
    (a departure without a number not yet settled by a reported count)."""
    tl = plain(timeline).filter(pl.col("date") <= as_of)
    if "uncertain" not in tl.columns:
        tl = tl.with_columns(pl.lit(False).alias("uncertain"))
    if tl.is_empty():
        return pl.DataFrame(
            schema={
                "date": pl.Date,
                "iso3": pl.String,
                "country": pl.String,
                "in_haiti": pl.Int64,
                "uncertain": pl.Boolean,
            }
        )
    # The timeline keeps each day's events in the order they were applied: keep that order.
    daily = (
        tl.sort("date", maintain_order=True)
        .group_by("date", "iso3", maintain_order=True)
        .agg(pl.col("country").last(), pl.col("in_haiti").last(), pl.col("uncertain").last())
    )
    dates = pl.DataFrame(
        {"date": sorted(set(daily["date"].to_list()) | set(extra_dates))}, schema={"date": pl.Date}
    )
    return (
        dates.join(daily.select("iso3", "country").unique(), how="cross")
        .join(daily.drop("country"), on=["date", "iso3"], how="left")
        .sort("iso3", "date")
        .with_columns(
            pl.col("in_haiti").forward_fill().over("iso3").fill_null(0),
            pl.col("uncertain").forward_fill().over("iso3").fill_null(False),
        )
        .sort("date", "iso3")
    )


def mission_totals(timeline: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Whole-mission personnel in Haiti after each day with a movement (date, in_haiti), and
    whether any country's count was uncertain that day."""
    return (
        country_counts(timeline, as_of)
        .group_by("date")
        .agg(pl.col("in_haiti").sum(), pl.col("uncertain").any())
        .sort("date")
    )


def level_in_force(mandates: pl.DataFrame, as_of: dt.date) -> dict[str, Any] | None:
    """The planning figure or authorised ceiling in force on ``as_of``."""
    m = plain(mandates).filter(
        (pl.col("date") <= as_of)
        & pl.col("value").is_not_null()
        & pl.col("measure").str.contains("(?i)plan|ceiling|target")
    )
    if m.is_empty():
        return None
    row = m.sort("date", "figure_id").row(-1, named=True)
    kind = "ceiling" if "ceiling" in row["measure"].lower() else "planning"
    return {
        "value": int(row["value"]),
        "kind": kind,
        "date": _iso(row["date"]),
        "as_written": row["value_as_written"],
        "figure_id": row["figure_id"],
        "source_id": row["source_id"],
    }


def mission_start(mandates: pl.DataFrame) -> dt.date | None:
    """The day the Security Council authorised the mission (None before it is known)."""
    m = plain(mandates).filter(pl.col("measure") == MISSION_START_MEASURE)
    un = m.filter(pl.col("label").str.contains("(?i)council|resolution"))
    dates = (un if un.height else m)["date"].to_list()
    return min(dates) if dates else None


def _round(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "idps": int(row["idps"]),
        "round": row["round"],
        "reference_date": _iso(row["reference_period_end"]),
        "published": _iso(row["published"]),
        "qualifier": row["qualifier"],
        "as_written": row["idps_as_written"],
        "coverage": row.get("coverage"),
        "departments_covered": _int(row.get("departments_covered")),
        "figure_id": row["figure_id"],
        "source_id": row["source_id"],
    }


def _money_latest(money: pl.DataFrame, measure: str, as_of: dt.date) -> dict[str, Any] | None:
    m = plain(money).filter(
        (pl.col("measure") == measure) & (pl.col("currency") == "usd") & (pl.col("date") <= as_of)
    )
    totals = m.filter(pl.col("donor").str.contains("(?i)trust fund|all donors|total"))
    m = totals if totals.height else m
    if m.is_empty():
        return None
    row = m.sort("date", "figure_id").row(-1, named=True)
    return {
        "value": float(row["value"]),
        "date": _iso(row["date"]),
        "qualifier": row["qualifier"],
        "as_written": row["value_as_written"],
        "figure_id": row["figure_id"],
        "source_id": row["source_id"],
    }


def sources_used(p: Processed) -> list[str]:
    """Distinct source ids behind the figures this build used."""
    ids: set[str] = set()
    figures = plain(p.figures)
    if figures.height:
        ids.update(
            i
            for cell in figures.filter(pl.col("status") == "used")["source_id"]
            for i in split_ids(cell)
        )
    for key in ("idps", "departments", "context"):
        frame = p.tables.get(key)
        if frame is not None and frame.height:
            ids.update(i for cell in frame["source_id"].drop_nulls() for i in split_ids(cell))
    return sorted(ids)


def build_facts(p: Processed, as_of: str | dt.date) -> dict[str, Any]:
    """The facts dict for facts.json (see the module docstring for every definition)."""
    day = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of))
    pvd = plain(p.pvd)
    if "counted_in_total" not in pvd.columns:
        pvd = pvd.with_columns(pl.col("pledged").is_not_null().alias("counted_in_total"))
    pvd = pvd.sort("iso3")
    totals = mission_totals(p.timeline, day)
    peak = None
    settled = totals.filter(~pl.col("uncertain"))  # an overstated count is not a peak
    if settled.height:
        top = settled.sort(["in_haiti", "date"], descending=[True, False]).row(0, named=True)
        peak = {"value": int(top["in_haiti"]), "date": _iso(top["date"])}
    countries = [
        {
            "iso3": r["iso3"],
            "name": r["country"],
            "pledged": _int(r["pledged"]),
            "pledged_as_written": r["pledged_as_written"],
            "pledged_qualifier": r["pledged_qualifier"],
            "pledged_counted": bool(r["counted_in_total"]),
            "pledge_date": r["pledge_date"],
            "deployed": int(r["deployed"]),
            "deployed_peak": int(r["deployed_peak"]),
            "first_arrival": _iso(r["first_arrival"]),
        }
        for r in pvd.iter_rows(named=True)
    ]
    pledging = [
        c
        for c in countries
        if c["pledged"] is not None
        or pvd.filter(pl.col("iso3") == c["iso3"])["pledge_figure_ids"][0] is not None
    ]
    level = level_in_force(p.mandates, day)
    deployed_total = int(pvd["deployed"].sum() or 0)
    pledged_total = int(pvd.filter(pl.col("counted_in_total"))["pledged"].sum() or 0)
    personnel = {
        "planned_total": level["value"] if level else None,
        "planned": level,
        "pledged_total": pledged_total,
        "deployed_total": deployed_total,
        "deployed_share_of_pledged": (
            round(deployed_total / pledged_total, 4) if pledged_total else None
        ),
        "deployed_share_of_planned": (
            round(deployed_total / level["value"], 4) if level and level["value"] else None
        ),
        "deployed_peak": peak,
        "countries": countries,
        "countries_pledging": len(pledging),
        "countries_pledging_with_number": sum(c["pledged"] is not None for c in pledging),
        "countries_pledging_unspecified": sum(c["pledged"] is None for c in pledging),
        "pledges_not_counted": sum(
            c["pledged"] is not None and not c["pledged_counted"] for c in pledging
        ),
        "countries_sent": sum(c["deployed_peak"] > 0 for c in pledging),
        "countries_in_haiti": sum(c["deployed"] > 0 for c in countries),
    }
    idps = plain(p.idps).filter(pl.col("published") <= day).sort("reference_period_end", "round")
    displacement: dict[str, Any]
    if idps.height:
        newest = _round(idps.row(-1, named=True))
        start = mission_start(p.mandates)
        # The count IOM had published when the Council authorised the mission.
        before = idps.filter(pl.col("published") <= start) if start else idps.clear()
        displacement = {
            **{k: newest[k] for k in ("idps", "reference_date", "published", "round")},
            "newest": newest,
            "first": _round(idps.row(0, named=True)),
            "at_mission_start": _round(before.row(-1, named=True)) if before.height else None,
            "rounds": idps.height,
            "coverage_widened": bool(idps["coverage"].n_unique() > 1),
            "credit": "International Organization for Migration (IOM), Displacement Tracking "
            "Matrix (DTM)",
        }
    else:
        # The schema needs these keys; an as-of before IOM's first round has none to give.
        displacement = {
            "idps": 0,
            "reference_date": day.isoformat(),
            "published": day.isoformat(),
            "round": None,
            "rounds": 0,
            "newest": None,
            "first": None,
            "at_mission_start": None,
        }
    pledged = _money_latest(p.money, "trust_fund_pledged", day)
    received = _money_latest(p.money, "trust_fund_received", day)
    funding = {
        "trust_fund_pledged_usd": pledged["value"] if pledged else None,
        "trust_fund_pledged_date": pledged["date"] if pledged else None,
        "trust_fund_pledged": pledged,
        "trust_fund_received_usd": received["value"] if received else None,
        "trust_fund_received_date": received["date"] if received else None,
        "trust_fund_received": received,
    }
    used = sources_used(p)
    return {
        "as_of": day.isoformat(),
        "mission": mission_name(day, gsf_start(p.mandates)),
        "sources_count": max(1, len(used)),
        "personnel": personnel,
        "displacement": displacement,
        "funding": funding,
    }


@cache
def facts_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_facts(facts: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError if ``facts`` breaks the published schema."""
    validator = jsonschema.Draft202012Validator(
        facts_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(facts)


def dumps(facts: dict[str, Any]) -> str:
    return json.dumps(facts, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_facts(facts: dict[str, Any], path: str | Path) -> Path:
    """Validate, then write deterministically (atomic rename)."""
    validate_facts(facts)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(facts), encoding="utf-8")
    tmp.replace(path)
    return path
