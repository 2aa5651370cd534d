"""The claims check step: what officials and outlets said, set against the data of their day.

For each claim in ``data/raw/claims.csv`` the mission and displacement cleaning is run again as
of the day the claim was published (its source's date; the claim's own date when that is
later), so only what had been reported by then counts, and the claimed number is compared with
the data's figure for the claim's date, at the claim's own precision:

* **consistent**: the claim's range (its qualifier: "about 400" is 350–450, "at least 1,900"
  is 1,900 or more) overlaps the data's range;
* **matched later**: it does not, but the first figure published in the ``LATER_DAYS`` days
  after the claim does (IOM's next round, say): the claim anticipated data published later;
* **off**: neither; ``difference`` is the claimed value minus the data's;
* **not checkable**: no figure for the metric had been published by then (``reason``).

Metrics, each read with the same query the report's facts use (core/queries.py):

=========================  =================================================================
deployed_total             whole-mission personnel in Haiti on the claim's date
deployed_kenya             Kenya's personnel in Haiti
pledged_total              pledges counted for the mission of that date (MSS, then GSF)
pledged_kenya              Kenya's pledge to that mission
pledged_other_countries    pledged_total minus Kenya's pledge
planned_total              the planning figure or ceiling in force
deployed_share_of_planned  deployed_total as a % of planned_total
idps_national              IOM's newest national count of internally displaced people
trust_fund_pledged         the latest trust-fund pledge total in US dollars
trust_fund_received        the latest trust-fund received total in US dollars
share_received             trust fund received as a % of the newest yearly cost estimate
=========================  =================================================================
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from haiti_report.clean import displacement, mss
from haiti_report.clean.tables import CleaningLog, write_run_record, write_table
from haiti_report.core import queries as q
from haiti_report.core import schemas
from haiti_report.core.errors import InputError
from haiti_report.core.sources import split_ids
from haiti_report.core.vocab import ClaimVerdict
from haiti_report.raw.claims import KENYA, METRICS, claims_path, load_claims
from haiti_report.raw.sources import load_sources
from haiti_report.raw.values import ReportedValue, parse_reported_value

STEP = "check_claims"
OUT_SUBDIR = Path("data") / "claims"
LATER_DAYS = 31  # "shortly after": within about a month of the claim


@dataclass(frozen=True)
class Snapshot:
    """The tables as the cleaning would have built them as of one day."""

    known_on: dt.date
    personnel: pl.DataFrame
    pledges: pl.DataFrame
    mandates: pl.DataFrame
    money: pl.DataFrame
    idps: pl.DataFrame


@dataclass(frozen=True)
class Said:
    """What the data gave for a metric: value and range, the day of the figure, its sources."""

    value: float | None
    low: float | None = None
    high: float | None = None
    date: dt.date | None = None
    sources: tuple[str, ...] = ()
    reason: str | None = None  # why there is no value


def _count(row: dict | None, what: str) -> Said:
    if row is None or (row["value"] is None and row["high"] is None):
        return Said(None, reason=f"no {what} reported by then")
    value = row["value"] if row["value"] is not None else row["high"]
    return Said(
        value,
        row["low"],
        row["high"],
        row["anchor_date"] or row["date"],
        tuple(split_ids(row["source_ids"])),
    )


def data_said(snap: Snapshot, metric: str, day: dt.date) -> Said:
    """What the tables of ``snap`` give for ``metric`` on ``day``."""
    mission = q.era(day, q.mss_end(snap.mandates))
    counted = q.pledges_counted(snap.pledges, mission)
    if metric == "deployed_total":
        return _count(q.count_on(snap.personnel, day), "deployment")
    if metric == "deployed_kenya":
        return _count(q.count_on(snap.personnel, day, KENYA), "Kenyan deployment")
    if metric in ("pledged_total", "pledged_other_countries", "pledged_kenya"):
        rows = {
            "pledged_total": counted,
            "pledged_kenya": counted.filter(pl.col("iso3") == KENYA),
            "pledged_other_countries": counted.filter(pl.col("iso3") != KENYA),
        }[metric]
        if rows.is_empty():
            return Said(None, reason="no pledge with a number reported by then")
        total = float(rows["pledged"].sum())
        return Said(
            total,
            float(rows["pledged_low"].fill_null(rows["pledged"]).sum()),
            None if rows["pledged_high"].null_count() else float(rows["pledged_high"].sum()),
            None,
            _ids(rows["source_ids"]),
        )
    if metric in ("planned_total", "deployed_share_of_planned"):
        level = q.level_in_force(snap.mandates, day)
        if level is None:
            return Said(None, reason="no planning figure reported by then")
        if metric == "planned_total":
            return Said(
                level["value"], level["value"], level["value"], level["date"], (level["source_id"],)
            )
        n = _count(q.count_on(snap.personnel, day), "deployment")
        if n.value is None:
            return n
        pct = lambda v: None if v is None else round(100 * v / level["value"], 1)  # noqa: E731
        return Said(pct(n.value), pct(n.low), pct(n.high), n.date, (*n.sources, level["source_id"]))
    if metric == "idps_national":
        r = q.newest_round(snap.idps, day)
        if r is None:
            return Said(None, reason="no IOM count published by then")
        return Said(
            r["idps"],
            r["idps_low"],
            r["idps_high"],
            r["published"],
            tuple(split_ids(r["source_id"])),
        )
    if metric in ("trust_fund_pledged", "trust_fund_received"):
        r = q.latest_money(snap.money, metric, day, trust_fund=True)
        if r is None:
            return Said(None, reason="no trust-fund total in US dollars reported by then")
        return Said(r["value"], r["low"], r["high"], r["date"], (r["source_id"],))
    if metric == "share_received":
        got = q.latest_money(snap.money, "trust_fund_received", day, trust_fund=True)
        cost = q.cost_estimate(snap.money, day)
        if got is None or cost is None:
            return Said(None, reason="no received total and cost estimate by then")
        pct = round(100 * got["value"] / cost["value"], 1)
        return Said(pct, pct, pct, got["date"], (got["source_id"], cost["source_id"]))
    raise ValueError(f"unknown metric {metric!r}")


def _ids(cells: pl.Series) -> tuple[str, ...]:
    return tuple(sorted({i for cell in cells.drop_nulls() for i in split_ids(cell)}))


def _overlaps(claimed: ReportedValue, said: Said) -> bool:
    inf = float("inf")
    c_low = claimed.low if claimed.low is not None else 0
    c_high = claimed.high if claimed.high is not None else inf
    s_low = said.low if said.low is not None else said.value
    s_high = said.high if said.high is not None else (inf if said.low is not None else said.value)
    return c_low <= s_high and s_low <= c_high


# Snapshots made in this process, by the content of the raw files and the day: a kernel that
# checks the claims of edition after edition (make editions lends it on) cleans each claim's day
# once, since most claims are older than most editions. Bounded, so memory stays flat.
_SNAPSHOTS: OrderedDict[tuple[str, dt.date], Snapshot] = OrderedDict()
_SNAPSHOTS_KEPT = 256


def inputs_digest(raw_dir: str | Path, dtm_files: Sequence[str | Path]) -> str:
    """sha256 over every file under ``raw_dir`` (name and bytes) and the extra DTM files."""
    digest = hashlib.sha256()
    root = Path(raw_dir)
    paths = sorted(p for p in root.rglob("*") if p.is_file())
    for path, name in [(p, str(p.relative_to(root))) for p in paths] + [
        (Path(f), f"extra:{i}") for i, f in enumerate(dtm_files)
    ]:
        digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def snapshots(
    raw_dir: str | Path, dtm_files: Sequence[str | Path]
) -> Callable[[dt.date], Snapshot]:
    """day -> Snapshot, re-running both cleanings as of that day (raw files read once; a day
    already cleaned from the same files in this process is not cleaned again)."""
    from haiti_report.raw.countries import CountryNames
    from haiti_report.raw.figures import load_figures

    key = inputs_digest(raw_dir, dtm_files)

    @cache
    def loaded() -> tuple[Any, ...]:
        sources = load_sources(raw_dir)
        countries = CountryNames.from_csv(Path(raw_dir) / "country_aliases.csv")
        figures = load_figures(raw_dir, sources, countries)
        decisions = mss.load_decisions(raw_dir, set(figures["figure_id"]))
        return figures, decisions, countries, displacement.load_raw(raw_dir)

    def make(day: dt.date) -> Snapshot:
        if (key, day) in _SNAPSHOTS:
            _SNAPSHOTS.move_to_end((key, day))
            return _SNAPSHOTS[(key, day)]
        figures, decisions, countries, raw = loaded()
        log = CleaningLog(STEP)
        t = mss.build_tables(figures, decisions, day, countries, log)
        d = displacement.build_tables(raw, day, dtm_files, log)
        made = Snapshot(day, t.personnel, t.pledges, t.mandates, t.money, d.national)
        _SNAPSHOTS[(key, day)] = made
        while len(_SNAPSHOTS) > _SNAPSHOTS_KEPT:
            _SNAPSHOTS.popitem(last=False)
        return made

    return make


def check(
    claims: pl.DataFrame,
    snapshot: Callable[[dt.date], Snapshot],
    as_of: dt.date,
    published: dict[str, dt.date | None],
) -> pl.DataFrame:
    rows = []
    for c in (
        claims.filter(pl.col("claim_day") <= as_of)
        .sort("claim_day", "claim_id")
        .iter_rows(named=True)
    ):
        source_day = max(
            [d for d in (published.get(i) for i in split_ids(c["source_id"])) if d]
            or [c["claim_day"]]
        )
        known_on = min(max(c["claim_day"], source_day), as_of)
        said = data_said(snapshot(known_on), c["metric"], c["claim_day"])
        claimed = parse_reported_value(c["value_as_written"], unit=METRICS[c["metric"]])
        later = None
        if said.value is None:
            verdict = ClaimVerdict.NOT_CHECKABLE
        elif _overlaps(claimed, said):
            verdict = ClaimVerdict.CONSISTENT
        else:
            verdict = ClaimVerdict.OFF
            soon = min(c["claim_day"] + dt.timedelta(days=LATER_DAYS), as_of)
            if soon > known_on:
                candidate = data_said(snapshot(soon), c["metric"], soon)
                if (
                    candidate.value is not None
                    and candidate.date is not None
                    and candidate.date > known_on
                    and _overlaps(claimed, candidate)
                ):
                    verdict, later = ClaimVerdict.MATCHED_LATER, candidate
        diff = None if said.value is None else float(claimed.value) - float(said.value)
        rows.append(
            {
                "claim_id": c["claim_id"],
                "claim_date": c["claim_date"],
                "claim_day": c["claim_day"],
                "known_on": known_on,
                "claimant": c["claimant"],
                "claim_text": c["claim_text"],
                "metric": c["metric"],
                "unit": METRICS[c["metric"]],
                "claimed_as_written": c["value_as_written"],
                "claimed_value": float(claimed.value),
                "claimed_qualifier": claimed.qualifier,
                "data_value": said.value,
                "data_low": said.low,
                "data_high": said.high,
                "data_date": said.date,
                "verdict": verdict.value,
                "difference": diff,
                "difference_pct": (
                    round(100 * abs(diff) / said.value, 1)
                    if diff is not None and said.value
                    else None
                ),
                "later_value": None if later is None else later.value,
                "later_date": None if later is None else later.date,
                "later_days": None if later is None else (later.date - c["claim_day"]).days,
                "later_source_ids": None if later is None else "; ".join(later.sources),
                "reason": said.reason,
                "claim_source_id": c["source_id"],
                "data_source_ids": "; ".join(said.sources) or None,
            }
        )
    types = {name: col.dtype for name, col in schemas.ClaimsChecked.columns().items()}
    types = {k: (pl.String if isinstance(v, pl.Enum) else v) for k, v in types.items()}
    return pl.DataFrame(rows, schema=types)


def run(
    as_of: dt.date, raw_dir: str | Path, out_dir: str | Path, dtm_files: Sequence[str | Path] = ()
) -> tuple[pl.DataFrame, CleaningLog]:
    """Everything notebook 12 does: check every claim made by ``as_of`` and write the table."""
    log = CleaningLog(STEP)
    sources = load_sources(raw_dir)
    claims = load_claims(raw_dir, sources)
    if claims.is_empty():
        raise InputError(claims_path(raw_dir), "no claims")
    published = dict(zip(sources["source_id"], sources["published_last"], strict=True))
    checked = check(claims, snapshots(raw_dir, dtm_files), as_of, published)
    out = Path(out_dir) / OUT_SUBDIR
    table = write_table(
        checked,
        schemas.ClaimsChecked,
        out,
        "claims_checked",
        log,
        sort_by=["claim_day", "claim_id"],
    )
    log.write(out)
    write_run_record(out, STEP, as_of)
    return table, log
