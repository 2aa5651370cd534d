"""Public claims set against what the data said on the claim's date.

``data/raw/claims.csv`` lists what officials and outlets said (claim_id, claim_date, claimant,
claim_text, metric, value_as_written, source_id, note). For each claim the cleaning is run again
AS OF THE CLAIM'S DATE (the end of a partial date such as "2025-06"), with the same code the
report uses (:func:`haiti_report.clean.mss.build_tables`,
:func:`haiti_report.clean.displacement.build_tables`), so the comparison uses only what had been
reported by then. Then a plain verdict:

* **consistent**: the number the data gave lies within the claim's own stated precision (the
  bounds :func:`haiti_report.raw.values.parse_reported_value` gives its qualifier: "about 400" →
  350–450; "at least 1,900" → 1,900 or more; "1,000" → exactly 1,000);
* **off by N (X%)**: outside those bounds; N is the distance from the claim's figure to the data's,
  X is N as a share of the data's figure;
* **not checkable**: with the reason (no figure published by then, metric not in the data).

Claims dated after the report's ``as_of`` are left out (the as-of rule).

Metrics (what "the data said" means for each):

=========================  =================================================================
deployed_total             personnel in Haiti on the date (arrivals minus departures)
deployed_kenya             the same, Kenya only
pledged_total              sum of the pledges the cleaning counts (each country's latest
                           pledge with a number; single low-confidence reports not counted)
pledged_kenya              Kenya's pledge
pledged_other_countries    pledged_total minus Kenya's pledge
planned_total              the planning figure or ceiling in force on the date
deployed_share_of_planned  deployed_total as a % of planned_total
idps_national              IOM's newest national count of internally displaced people
trust_fund_pledged         the latest trust-fund pledge total reported in US dollars
trust_fund_received        the latest trust-fund received total reported in US dollars
share_received             trust fund received as a % of the latest yearly cost estimate
=========================  =================================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from haiti_report.core.errors import InputError
from haiti_report.raw.dates import parse_date_span
from haiti_report.raw.files import LINE, fail_row, raise_on_duplicates, read_raw_csv
from haiti_report.raw.sources import check_source_ids
from haiti_report.raw.values import parse_reported_value
from haiti_report.report import prose
from haiti_report.report.facts import level_in_force, plain

COLUMNS = (
    "claim_id",
    "claim_date",
    "claimant",
    "claim_text",
    "metric",
    "value_as_written",
    "source_id",
    "note",
)
METRICS = {
    "deployed_total": "people",
    "deployed_kenya": "people",
    "pledged_total": "people",
    "pledged_kenya": "people",
    "pledged_other_countries": "people",
    "planned_total": "people",
    "deployed_share_of_planned": "percent",
    "idps_national": "people",
    "trust_fund_pledged": "usd",
    "trust_fund_received": "usd",
    "share_received": "percent",
}
KENYA = "KEN"


def claims_path(raw_dir: str | Path) -> Path:
    return Path(raw_dir) / "claims.csv"


def load_claims(raw_dir: str | Path, sources: pl.DataFrame) -> pl.DataFrame:
    """Read and check claims.csv: known source ids and metrics, readable values and dates.
    Adds ``claim_day`` (the last day of the claim's date span)."""
    path = claims_path(raw_dir)
    frame = read_raw_csv(
        path,
        COLUMNS,
        required=(
            "claim_id",
            "claim_date",
            "claimant",
            "claim_text",
            "metric",
            "value_as_written",
            "source_id",
        ),
    )
    raise_on_duplicates(frame, path, "claim_id")
    check_source_ids(frame, path, sources)
    days = []
    for i, row in enumerate(frame.iter_rows(named=True)):
        if row["metric"] not in METRICS:
            raise fail_row(
                path, frame, i, "metric", "unknown metric", f"Use one of: {', '.join(METRICS)}"
            )
        days.append(
            parse_date_span(row["claim_date"], file=path, row=row[LINE], column="claim_date").last
        )
        parse_reported_value(
            row["value_as_written"],
            unit=METRICS[row["metric"]],
            file=path,
            row=row[LINE],
            column="value_as_written",
        )
    return frame.with_columns(pl.Series("claim_day", days, dtype=pl.Date))


# --- what the data said ---------------------------------------------------------------------


@dataclass
class DataSaid:
    """One figure the data gave for a metric on a date (or why there is none)."""

    value: float | None
    text: str  # in house style, e.g. "744" or "$68 million (11 October 2024)"
    sources: list[str] = field(default_factory=list)
    reason: str = ""  # why there is no value
    as_written: str | None = None  # the data figure as its source wrote it, when qualified


@dataclass
class Snapshot:
    """The processed tables as they would have been built on one date."""

    day: dt.date
    pvd: pl.DataFrame
    mandates: pl.DataFrame
    money: pl.DataFrame
    idps: pl.DataFrame


def _latest_money(money: pl.DataFrame, measure: str) -> dict[str, Any] | None:
    m = plain(money).filter((pl.col("measure") == measure) & (pl.col("currency") == "usd"))
    totals = m.filter(pl.col("donor").str.contains("(?i)trust fund|all donors|total"))
    m = totals if totals.height or measure == "cost_estimate" else m
    return m.sort("date", "figure_id").row(-1, named=True) if m.height else None


def data_said(snap: Snapshot, metric: str) -> DataSaid:
    """What the tables of ``snap`` give for ``metric``."""
    pvd = plain(snap.pvd)
    if "counted_in_total" not in pvd.columns:
        pvd = pvd.with_columns(pl.col("pledged").is_not_null().alias("counted_in_total"))
    kenya = pvd.filter(pl.col("iso3") == KENYA)
    counted = pvd.filter(pl.col("counted_in_total"))

    def ids(frame: pl.DataFrame, column: str = "source_ids") -> list[str]:
        return sorted(
            {i.strip() for cell in frame[column].drop_nulls() for i in cell.split(";") if i.strip()}
        )

    if metric in ("deployed_total", "deployed_kenya"):
        rows = pvd if metric == "deployed_total" else kenya
        deployed = rows.filter(pl.col("deployed") > 0)
        if deployed.is_empty() and metric == "deployed_kenya" and kenya.is_empty():
            return DataSaid(None, "", reason="no Kenyan deployment reported by then")
        n = int(rows["deployed"].sum() or 0)
        return DataSaid(n, prose.number(n), ids(deployed) if deployed.height else [])
    if metric == "pledged_kenya":
        if kenya.is_empty() or kenya["pledged"][0] is None:
            return DataSaid(None, "", reason="no Kenyan pledge with a number by then")
        r = kenya.row(0, named=True)
        return DataSaid(
            r["pledged"],
            prose.reported(r["pledged"], r["pledged_qualifier"], high=r["pledged_high"]),
            ids(kenya),
        )
    if metric in ("pledged_total", "pledged_other_countries"):
        rows = counted if metric == "pledged_total" else counted.filter(pl.col("iso3") != KENYA)
        if rows.is_empty():
            return DataSaid(None, "", reason="no pledge with a number reported by then")
        n = int(rows["pledged"].sum())
        who = prose.plural(rows.height, "country", "countries")
        return DataSaid(n, f"{prose.number(n)} ({who})", ids(rows))
    if metric in ("planned_total", "deployed_share_of_planned"):
        level = level_in_force(snap.mandates, snap.day)
        if level is None:
            return DataSaid(None, "", reason="no planning figure reported by then")
        if metric == "planned_total":
            return DataSaid(level["value"], prose.number(level["value"]), [level["source_id"]])
        n = int(pvd["deployed"].sum() or 0)
        pct = round(100 * n / level["value"], 1)
        return DataSaid(
            pct,
            f"{pct:g}% ({prose.number(n)} of {prose.number(level['value'])})",
            sorted({level["source_id"], *ids(pvd.filter(pl.col("deployed") > 0))}),
        )
    if metric == "idps_national":
        idps = plain(snap.idps).sort("reference_period_end", "round")
        if idps.is_empty():
            return DataSaid(None, "", reason="no IOM count published by then")
        r = idps.row(-1, named=True)
        return DataSaid(
            r["idps"],
            f"{prose.reported(r['idps'], r['qualifier'])} (IOM "
            f"{r['round']}, {prose.month(r['reference_period_end'])})",
            [r["source_id"]] if r["source_id"] else [],
            as_written=r["idps_as_written"] if r["qualifier"] != "exact" else None,
        )
    if metric in ("trust_fund_pledged", "trust_fund_received"):
        r = _latest_money(snap.money, metric)
        if r is None:
            return DataSaid(None, "", reason="no trust-fund total in US dollars reported by then")
        return DataSaid(
            r["value"],
            f"{prose.reported(r['value'], r['qualifier'], unit='usd')} ({prose.date(r['date'])})",
            [r["source_id"]],
            as_written=r["value_as_written"] if r["qualifier"] != "exact" else None,
        )
    if metric == "share_received":
        got, cost = (
            _latest_money(snap.money, "trust_fund_received"),
            _latest_money(snap.money, "cost_estimate"),
        )
        if got is None or cost is None:
            return DataSaid(None, "", reason="no received total and cost estimate by then")
        pct = round(100 * got["value"] / cost["value"], 1)
        return DataSaid(
            pct,
            f"{pct:g}% ({prose.money(got['value'])} received of a cost put at "
            f"{prose.money(cost['value'], qualifier=cost['qualifier'])})",
            sorted({got["source_id"], cost["source_id"]}),
        )
    raise ValueError(f"unknown metric {metric!r}")


def verdict(claimed_text: str, metric: str, said: DataSaid) -> tuple[str, float | None]:
    """('consistent' | 'off by N (X%)' | 'not checkable: reason', signed difference)."""
    if said.value is None:
        return f"not checkable: {said.reason}", None
    claimed = parse_reported_value(claimed_text, unit=METRICS[metric])
    data = said.value
    if claimed.contains(data):
        return "consistent", 0.0
    if said.as_written:  # the data figure is itself qualified: do the two ranges overlap?
        other = parse_reported_value(said.as_written, unit=METRICS[metric])
        if _overlap(claimed, other):
            return "consistent", 0.0
    diff = claimed.value - data
    unit = METRICS[metric]
    if unit == "percent":
        amount = f"{abs(diff):g} points"
    elif unit == "usd":
        amount = prose.money(abs(diff))
    else:
        amount = prose.number(abs(diff))
    pct = "" if not data else f" ({abs(diff) / data:.0%})"
    return f"off by {amount}{pct}", float(diff)


def _overlap(a: Any, b: Any) -> bool:
    inf = float("inf")
    a_low, a_high = (a.low if a.low is not None else 0), (a.high if a.high is not None else inf)
    b_low, b_high = (b.low if b.low is not None else 0), (b.high if b.high is not None else inf)
    return a_low <= b_high and b_low <= a_high


# --- the cleaning, re-run as of a date ------------------------------------------------------


def snapshot_maker(raw_dir: str | Path) -> Callable[[dt.date], Snapshot]:
    """A function date -> Snapshot that re-runs the MSS and displacement cleaning as of that
    date (raw files read once; each date computed once)."""
    from haiti_report.clean import displacement, mss
    from haiti_report.clean.tables import CleaningLog
    from haiti_report.raw.countries import CountryNames
    from haiti_report.raw.sources import load_sources

    sources = load_sources(raw_dir)
    countries = CountryNames.from_csv(Path(raw_dir) / "country_aliases.csv")
    figures = mss.load_figures(raw_dir, sources, countries)
    decisions = mss.load_decisions(raw_dir, set(figures["figure_id"]))
    raw = displacement.load_raw(raw_dir)

    @cache
    def make(day: dt.date) -> Snapshot:
        log = CleaningLog("claims")
        t = mss.build_tables(figures, decisions, day, countries, log)
        d = displacement.build_tables(raw, day, (), log)
        return Snapshot(day, t.pledged_vs_deployed, t.mandates, t.money, d.national)

    return make


def check_claims(
    claims: pl.DataFrame, snapshot: Callable[[dt.date], Snapshot], as_of: str | dt.date
) -> pl.DataFrame:
    """One row per claim made on or before ``as_of``: claim, date, who, claimed, data said,
    verdict, difference, sources."""
    day = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of))
    rows = []
    for c in (
        claims.filter(pl.col("claim_day") <= day)
        .sort("claim_day", "claim_id")
        .iter_rows(named=True)
    ):
        said = data_said(snapshot(c["claim_day"]), c["metric"])
        text, diff = verdict(c["value_as_written"], c["metric"], said)
        claimed = parse_reported_value(c["value_as_written"], unit=METRICS[c["metric"]])
        rows.append(
            {
                "claim_id": c["claim_id"],
                "date": c["claim_date"],
                "claimant": c["claimant"],
                "claim": c["claim_text"],
                "metric": c["metric"],
                "claimed": claimed.phrase(),
                "data_said": said.text or "—",
                "verdict": text,
                "status": (
                    "consistent"
                    if text == "consistent"
                    else "off"
                    if text.startswith("off by")
                    else "not checkable"
                ),
                "difference": diff,
                "claim_source": c["source_id"],
                "data_sources": "; ".join(said.sources),
            }
        )
    schema = {
        "claim_id": pl.String,
        "date": pl.String,
        "claimant": pl.String,
        "claim": pl.String,
        "metric": pl.String,
        "claimed": pl.String,
        "data_said": pl.String,
        "verdict": pl.String,
        "status": pl.String,
        "difference": pl.Float64,
        "claim_source": pl.String,
        "data_sources": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def run(raw_dir: str | Path, sources: pl.DataFrame, as_of: str | dt.date) -> pl.DataFrame:
    """Load claims.csv and check every claim made by ``as_of``."""
    claims = load_claims(raw_dir, sources)
    if claims.is_empty():
        raise InputError(claims_path(raw_dir), "no claims")
    return check_claims(claims, snapshot_maker(raw_dir), as_of)
