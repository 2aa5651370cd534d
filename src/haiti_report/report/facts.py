"""facts.json: every number the report's text shows, typed, from the processed tables only.

:func:`build` turns a build's processed tables (report/tables.py) into :class:`Facts`; the
text templates, chart titles, alt texts and the claims summary read these facts and nothing
else, so no two places can disagree. :func:`write` validates the JSON against
``core/facts.schema.json`` (the design's keys, plus the ones added here) and writes it
deterministically.

Definitions (the methodology repeats them):

* **mission**: the MSS up to its last day (the mandates table's ``mss_end``), the GSF after.
* **personnel.deployed**: the whole-mission count on ``as_of`` from personnel_in_haiti (the
  strength model); ``deployed_total`` is its value (its upper bound while it is "up to").
* **personnel.pledged_total**: the pledges counted for the mission of the day.
* **personnel.deployed_peak**: the largest whole-mission count that is a count, not a bound.
* **displacement.baseline**: the count IOM had published when the Council authorised the
  mission; the lede, chart titles and notes all start from it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import polars as pl

from haiti_report.core import queries as q
from haiti_report.core.sources import IOM_DTM_CREDIT, split_ids
from haiti_report.core.vocab import CheckVerdict, ClaimVerdict, Mission
from haiti_report.report.tables import Processed

SCHEMA_PATH = Path(__file__).parents[1] / "core" / "facts.schema.json"
MISSION_NAMES = {
    Mission.MSS: "Multinational Security Support mission",
    Mission.GSF: "Gang Suppression Force",
}


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else value


@dataclass(frozen=True)
class Count:
    """A count of people: value, bounds and qualifier, what it rests on, since when."""

    value: int | None
    low: int
    high: int | None
    qualifier: str
    basis: str
    date: str  # the day the count took this value
    anchor_figure_id: str | None = None
    anchor_date: str | None = None
    source_ids: str | None = None
    anchor_outlet: str | None = None  # who reported the count it was last set by

    @staticmethod
    def of(row: dict | None, p: Processed) -> Count | None:
        if row is None:
            return None
        return Count(
            row["value"],
            row["low"],
            row["high"],
            row["qualifier"],
            row["basis"],
            _iso(row["date"]),
            row["anchor_figure_id"],
            _iso(row["anchor_date"]),
            row["source_ids"],
            p.outlet_of_figure(row["anchor_figure_id"]),
        )


@dataclass(frozen=True)
class Figure:
    """A reported figure as used: value with qualifier, as written, when, from whom."""

    value: float | int | None
    qualifier: str | None
    as_written: str | None
    date: str | None
    date_as_written: str | None
    figure_id: str | None
    source_id: str | None
    outlet: str | None = None
    high: float | int | None = None  # the upper end of a range ("$515m–$600m")


@dataclass(frozen=True)
class CountryFacts:
    iso3: str
    name: str
    pledged: int | None  # to the mission of the day; None: no number
    pledged_as_written: str | None
    pledged_qualifier: str | None
    pledge_status: str | None
    pledged_counted: bool
    not_counted_because: str | None
    mss_pledged: int | None
    mss_status: str | None
    deployed: int  # the schema's key: the count's value (its bound when only a bound is known)
    in_haiti: Count | None
    peak: int | None
    first_arrival: str | None


@dataclass(frozen=True)
class Personnel:
    mission: str
    pledged_total: int
    deployed_total: int
    deployed: Count | None
    sum_of_countries: dict[str, int | None]
    deployed_peak: dict[str, Any] | None
    planned_total: int | None
    planned: Figure | None
    planned_kind: str | None  # planning_figure or ceiling
    share_of_pledged: float | None
    share_of_planned: float | None
    first_arrival: str | None
    countries: list[CountryFacts]
    countries_pledging: int
    countries_pledging_with_number: int
    countries_pledging_unspecified: int
    pledges_not_counted: int
    countries_sent: int
    countries_in_haiti: int
    aggregate: Figure | None  # the newest pledge total a source published for this mission
    aggregate_countries: Figure | None


@dataclass(frozen=True)
class MssHistory:
    """The MSS as it ended (only once it had ended)."""

    last_day: str
    pledged_total: int
    countries_pledging: int
    in_haiti_last_day: Count | None
    sum_of_countries_last_day: dict[str, int | None]


@dataclass(frozen=True)
class GsfFacts:
    """What changed with the GSF (only once it existed)."""

    authorised: str | None
    first_day: str
    ceiling: Figure | None
    arrivals_since: int
    arrived_from_new_countries: int
    pledged_with_number: int
    pledged_without_number: int


def _figure(row: dict | None, p: Processed, value: str = "value") -> Figure | None:
    if row is None:
        return None
    return Figure(
        row[value],
        row.get("qualifier"),
        row.get("value_as_written"),
        _iso(row.get("date")),
        row.get("date_as_written"),
        row.get("figure_id"),
        row.get("source_id"),
        p.outlet(row.get("source_id")),
        row.get("high") if row.get("qualifier") == "range" else None,
    )


def _country(r: dict, count: dict | None, p: Processed) -> CountryFacts:
    c = Count.of(count, p)
    return CountryFacts(
        iso3=r["iso3"],
        name=r["country"],
        pledged=r["pledged"],
        pledged_as_written=r["pledged_as_written"],
        pledged_qualifier=r["pledged_qualifier"],
        pledge_status=r["status"],
        pledged_counted=bool(r["counted"]),
        not_counted_because=r["not_counted_because"],
        mss_pledged=r["mss_pledged"],
        mss_status=r["mss_status"],
        deployed=0 if c is None else (c.value if c.value is not None else c.low),
        in_haiti=c if c and (c.value or c.low or c.high) else None,
        peak=r["peak"],
        first_arrival=_iso(r["first_arrival"]),
    )


def personnel(p: Processed) -> Personnel:
    day = p.as_of
    mission = q.era(day, q.mss_end(p.mandates))
    countries_now = {r["iso3"]: r for r in q.countries_on(p.personnel, day).iter_rows(named=True)}
    countries = [_country(r, countries_now.get(r["iso3"]), p) for r in p.pvd.iter_rows(named=True)]
    counted = q.pledges_counted(p.pledges, mission)
    pledging = q.pledging(p.pledges, mission)
    pledged_total = int(counted["pledged"].sum() or 0)
    now = Count.of(q.count_on(p.personnel, day), p)
    deployed_total = 0 if now is None else (now.value if now.value is not None else now.low)
    level = q.level_in_force(p.mandates, day)
    top = q.peak(p.personnel, day)
    ever = {c.iso3 for c in countries if (c.peak or 0) > 0}
    aggregates = p.aggregates.filter((pl.col("mission") == mission) & (pl.col("date") <= day))

    def newest(measure: str) -> Figure | None:
        rows = aggregates.filter(pl.col("measure") == measure).sort("date", "figure_id")
        return _figure(rows.row(-1, named=True), p) if rows.height else None

    return Personnel(
        mission=mission.value,
        pledged_total=pledged_total,
        deployed_total=deployed_total,
        deployed=now,
        sum_of_countries=q.sum_of_countries(p.personnel, day),
        deployed_peak=None
        if top is None
        else {
            "value": top["value"],
            "date": _iso(top["date"]),
            "basis": top["basis"],
            "qualifier": top["qualifier"],
        },
        planned_total=None if level is None else level["value"],
        planned=_figure(level, p),
        planned_kind=None if level is None else level["measure"],
        share_of_pledged=round(deployed_total / pledged_total, 4) if pledged_total else None,
        share_of_planned=(
            round(deployed_total / level["value"], 4) if level and level["value"] else None
        ),
        first_arrival=_iso(p.movements.filter(pl.col("kind") == "arrival")["date"].min()),
        countries=countries,
        countries_pledging=pledging.height,
        countries_pledging_with_number=pledging.filter(pl.col("pledged").is_not_null()).height,
        countries_pledging_unspecified=pledging.filter(pl.col("pledged").is_null()).height,
        pledges_not_counted=pledging.filter(
            pl.col("pledged").is_not_null() & ~pl.col("counted")
        ).height,
        countries_sent=sum(1 for i in pledging["iso3"] if i in ever),
        countries_in_haiti=sum(1 for c in countries if c.deployed > 0),
        aggregate=newest("aggregate_personnel"),
        aggregate_countries=newest("aggregate_contributors"),
    )


def mss_history(p: Processed) -> MssHistory | None:
    end = q.mss_end(p.mandates)
    if end is None or p.as_of <= end:
        return None
    return MssHistory(
        last_day=end.isoformat(),
        pledged_total=int(
            q.pledges_counted(p.pledges, Mission.MSS, history=True)["pledged"].sum() or 0
        ),
        countries_pledging=q.pledging(p.pledges, Mission.MSS, history=True).height,
        in_haiti_last_day=Count.of(q.count_on(p.personnel, end), p),
        sum_of_countries_last_day=q.sum_of_countries(p.personnel, end),
    )


def gsf(p: Processed) -> GsfFacts | None:
    end = q.mss_end(p.mandates)
    if end is None or p.as_of <= end:
        return None
    first_day = end + dt.timedelta(days=1)
    ceilings = p.mandates.filter((pl.col("measure") == "ceiling") & (pl.col("date") <= p.as_of))
    ceiling = ceilings.sort("date", "figure_id").row(0, named=True) if ceilings.height else None
    auth = p.mandates.filter(
        (pl.col("measure") == q.AUTHORISATION)
        & (pl.col("date") <= end)
        & (pl.col("date") >= end - dt.timedelta(days=31))
    )
    arrivals = p.movements.filter((pl.col("kind") == "arrival") & (pl.col("date") >= first_day))
    before = set(
        p.movements.filter((pl.col("kind") == "arrival") & (pl.col("date") < first_day))["iso3"]
    )
    pledged = q.pledging(p.pledges, Mission.GSF)
    return GsfFacts(
        authorised=_iso(auth["date"].min()) if auth.height else None,
        first_day=first_day.isoformat(),
        ceiling=_figure(ceiling, p),
        arrivals_since=arrivals.height,
        arrived_from_new_countries=len(set(arrivals["iso3"]) - before),
        pledged_with_number=pledged.filter(pl.col("pledged").is_not_null()).height,
        pledged_without_number=pledged.filter(pl.col("pledged").is_null()).height,
    )


def _round(row: dict | None) -> dict[str, Any] | None:
    if row is None:
        return None
    keys = (
        "round",
        "idps",
        "idps_low",
        "idps_high",
        "qualifier",
        "idps_as_written",
        "reference_period_start",
        "reference_period_end",
        "api_reporting_date",
        "published",
        "coverage",
        "departments_covered",
        "figure_id",
        "source_id",
    )
    return {k: _iso(row.get(k)) for k in keys}


def displacement(p: Processed) -> dict[str, Any]:
    newest = _round(q.newest_round(p.idps, p.as_of))
    baseline = _round(q.round_at(p.idps, q.authorised(p.mandates)))
    full = p.idps.filter(pl.col("departments_covered") == 10).sort("reference_period_end")
    base = {
        "rounds": p.idps.height,
        "newest": newest,
        "baseline": baseline,
        "first_full_round": _round(full.row(0, named=True)) if full.height else None,
        "credit": IOM_DTM_CREDIT,
    }
    if newest is None:  # the schema needs these keys; before IOM's first round there are none
        return {
            "idps": 0,
            "reference_date": p.as_of.isoformat(),
            "published": p.as_of.isoformat(),
            "round": None,
            **base,
        }
    # The schema's reference_date: IOM's period end where IOM stated one, else the API's
    # reporting stamp, else the publication date; reference_date_is says which.
    which = next(
        k for k in ("reference_period_end", "api_reporting_date", "published") if newest.get(k)
    )
    return {
        "idps": newest["idps"],
        "reference_date": newest[which],
        "reference_date_is": which,
        "published": newest["published"],
        "round": newest["round"],
        **base,
    }


CONTEXT_SERIES = (
    "mission_personnel_deaths",
    "mission_personnel_missing",
    "police_strength",
    "gang_control_share_capital",
    "food_insecurity",
)


def _context_row(row: dict, p: Processed) -> dict[str, Any]:
    return {
        "value": row["value"],
        "qualifier": row["qualifier"],
        "unit": row["value_unit"],
        "period_start": _iso(row["period_start"]),
        "period_end": _iso(row["period_end"]),
        "published": _iso(row["published"]),
        "projected": row["projected"],
        "figure_id": row["figure_id"],
        "outlet": p.outlet(row["source_id"]),
    }


def context(p: Processed) -> dict[str, Any]:
    """What else a reader expects beside the mission: killings recorded by the UN per full
    year, mission personnel killed, police strength, the capital under gang control, hunger
    (the newest figure of each, for the whole country or its capital)."""
    c = p.context.filter(pl.col("geography").is_in(["Haiti", "Port-au-Prince"]))
    years = c.filter(
        (pl.col("series") == "killings")
        & pl.col("period_start").is_not_null()
        & (pl.col("period_start").dt.year() == pl.col("period_end").dt.year())
        & (pl.col("period_start").dt.month() == 1)
        & (pl.col("period_end").dt.month() == 12)
    ).sort("period_end")
    out: dict[str, Any] = {
        "killings_by_year": [
            {"year": r["period_end"].year, **_context_row(r, p)}
            for r in years.iter_rows(named=True)
        ]
    }
    for series in CONTEXT_SERIES:
        rows = c.filter(pl.col("series") == series).sort("published", "period_end", "figure_id")
        out[series] = _context_row(rows.row(-1, named=True), p) if rows.height else None
    return out


def funding(p: Processed) -> dict[str, Any]:
    pledged = q.latest_money(p.money, "trust_fund_pledged", p.as_of, trust_fund=True)
    received = q.latest_money(p.money, "trust_fund_received", p.as_of, trust_fund=True)
    cost = q.cost_estimate(p.money, p.as_of)
    return {
        "trust_fund_pledged_usd": None if pledged is None else float(pledged["value"]),
        "trust_fund_received_usd": None if received is None else float(received["value"]),
        "trust_fund_pledged": _figure(pledged, p),
        "trust_fund_received": _figure(received, p),
        "cost_estimate": _figure(cost, p),
    }


def data_age(p: Processed) -> dict[str, str | None]:
    """How old the newest figures are: the newest publication date behind any figure used,
    and the newest IOM round's."""
    used = p.figures.filter(pl.col("status") == "used")["published"].drop_nulls()
    dates = [
        d
        for d in [used.max(), p.idps["published"].max(), p.context["published"].max()]
        if d is not None
    ]
    newest = q.newest_round(p.idps, p.as_of)
    return {
        "newest_figure_published": _iso(max(dates)) if dates else None,
        "newest_iom_round_published": _iso(newest["published"]) if newest else None,
    }


def claims_summary(p: Processed) -> dict[str, int]:
    counts = {v.value: 0 for v in ClaimVerdict}
    for verdict in p.claims["verdict"].to_list():
        counts[verdict] += 1
    return {"claims": p.claims.height, **counts}


def strength_summary(p: Processed) -> dict[str, int]:
    counts = {v.value: 0 for v in CheckVerdict}
    for verdict in p.strength["verdict"].to_list():
        counts[verdict] += 1
    return {"figures": p.strength.height, **counts}


def sources_used(p: Processed) -> list[str]:
    """Distinct source ids behind the figures this build used."""
    ids: set[str] = set()
    cells = [
        *p.figures.filter(pl.col("status") == "used")["source_id"].to_list(),
        *p.idps["source_id"].to_list(),
        *p.departments["source_id"].to_list(),
        *p.context["source_id"].to_list(),
    ]
    for cell in cells:
        ids.update(split_ids(cell))
    return sorted(ids)


@dataclass(frozen=True)
class Facts:
    as_of: str
    mission: dict[str, str | None]
    data_age: dict[str, str | None]
    sources_count: int
    personnel: Personnel
    mss_history: MssHistory | None
    gsf: GsfFacts | None
    displacement: dict[str, Any]
    funding: dict[str, Any]
    context: dict[str, Any]
    claims: dict[str, int]
    strength_check: dict[str, int]
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def build(p: Processed) -> Facts:
    end = q.mss_end(p.mandates)
    mission = q.era(p.as_of, end)
    return Facts(
        as_of=p.as_of.isoformat(),
        mission={
            "short": mission.value,
            "name": MISSION_NAMES[mission],
            "mss_last_day": _iso(end) if end and p.as_of > end else None,
            "authorised": _iso(q.authorised(p.mandates)),
        },
        data_age=data_age(p),
        sources_count=max(1, len(sources_used(p))),
        personnel=personnel(p),
        mss_history=mss_history(p),
        gsf=gsf(p),
        displacement=displacement(p),
        funding=funding(p),
        context=context(p),
        claims=claims_summary(p),
        strength_check=strength_summary(p),
    )


@cache
def facts_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate(facts: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError if ``facts`` breaks the published schema."""
    validator = jsonschema.Draft202012Validator(
        facts_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(facts)


def dumps(facts: dict[str, Any]) -> str:
    return json.dumps(facts, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write(facts: Facts, path: str | Path) -> Path:
    """Validate, then write deterministically (atomic rename)."""
    data = facts.to_json()
    validate(data)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(data), encoding="utf-8")
    tmp.replace(path)
    return path
