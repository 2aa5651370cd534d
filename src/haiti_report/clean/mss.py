"""The mission cleaning step: pledges, personnel in Haiti, mandates and money, as known on a date.

:func:`run` is the whole step (notebook 10 calls it and shows what it did). The rules, in the
order they apply (the report's methodology repeats them):

1. **As of.** A figure counts only if its source was published on or before ``as_of`` (the end
   of a partial date such as "2024-10") and the event it reports had happened by then. Figures
   whose source date is unknown are never counted (they cannot be placed in time).
2. **Decisions.** Where reports conflict, ``data/raw/decisions.csv`` names the figures used and
   those set aside. A decision applies once one of its chosen figures is known; before that,
   the only figures known stand. A decision that keeps two different figures of one movement
   says its size is disputed: the movement counts as the range between them.
3. **Personnel in Haiti**: the strength model of :mod:`haiti_report.clean.strength`.
4. **Pledges** by mission and status: :mod:`haiti_report.clean.pledges`.
5. **Money.** Trust-fund totals are the rows measured as ``trust_fund_pledged`` or
   ``trust_fund_received``; every figure stays in the currency its source used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import dataframely as dy
import polars as pl

from haiti_report.clean import pledges as pledge_rules
from haiti_report.clean import strength
from haiti_report.clean.tables import CleaningLog, write_run_record, write_sources, write_table
from haiti_report.core import schemas
from haiti_report.core.vocab import FigureKind, FigureStatus, Mission, values
from haiti_report.raw.countries import CountryNames
from haiti_report.raw.decisions import decisions_path, read_decisions
from haiti_report.raw.figures import load_figures
from haiti_report.raw.files import fail_row
from haiti_report.raw.sources import load_sources, split_ids

DISPLACEMENT_KIND = "displacement"  # decisions.csv rows about IOM figures (clean/displacement)
MSS_END = ("mss_end", "transition")  # mandate measures for the MSS's last day
TRUST_FUND_TOTALS = ("trust_fund_pledged", "trust_fund_received")


def load_decisions(raw_dir: str | Path, known_ids: set[str]) -> pl.DataFrame:
    """The decisions about mission figures; every figure they name must exist. Rows of kind
    "displacement" belong to the displacement cleaning and are checked there."""
    path = decisions_path(raw_dir)
    frame = read_decisions(path)
    kinds = [*values(FigureKind), DISPLACEMENT_KIND]
    for i, row in enumerate(frame.iter_rows(named=True)):
        if row["kind"] not in kinds:
            raise fail_row(
                path,
                frame,
                i,
                "kind",
                "unknown kind of decision",
                f"Use one of: {', '.join(kinds)}",
            )
        if row["kind"] == DISPLACEMENT_KIND:
            continue
        for column in ("chosen", "rejected"):
            for figure_id in split_ids(row[column]):
                if figure_id not in known_ids:
                    raise fail_row(
                        path,
                        frame,
                        i,
                        column,
                        f"decision names figure {figure_id!r}, which does not exist",
                        "Use a figure_id from data/raw/mss/figures.csv",
                    )
    return frame.filter(pl.col("kind") != DISPLACEMENT_KIND)


def apply_as_of(
    figures: pl.DataFrame, decisions: pl.DataFrame, as_of: dt.date, log: CleaningLog
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Mark each figure used / set_aside / not_yet_published / after_as_of / undated (rules 1
    and 2); return it and the decisions with whether each applies on ``as_of``."""
    known = figures.with_columns(
        pl.when(pl.col("published").is_null())
        .then(pl.lit(FigureStatus.UNDATED.value))
        .when(pl.col("published") > as_of)
        .then(pl.lit(FigureStatus.NOT_YET_PUBLISHED.value))
        .when(pl.col("event_first") > as_of)
        .then(pl.lit(FigureStatus.AFTER_AS_OF.value))
        .otherwise(pl.lit(FigureStatus.USED.value))
        .alias("status"),
        pl.lit(None, dtype=pl.String).alias("decision_id"),
    )
    used = set(known.filter(pl.col("status") == FigureStatus.USED)["figure_id"])
    set_aside: dict[str, str] = {}
    applies = []
    for row in decisions.iter_rows(named=True):
        on = any(c in used for c in split_ids(row["chosen"]))
        applies.append(on)
        if on:
            for figure_id in split_ids(row["rejected"]):
                set_aside.setdefault(figure_id, row["decision_id"])
    known = known.with_columns(
        pl.col("figure_id").replace_strict(set_aside, default=None).alias("decision_id"),
    ).with_columns(
        pl.when(pl.col("decision_id").is_not_null() & (pl.col("status") == FigureStatus.USED))
        .then(pl.lit(FigureStatus.SET_ASIDE.value))
        .otherwise(pl.col("status"))
        .alias("status"),
    )
    for status, detail in (
        (FigureStatus.SET_ASIDE, "set aside by a decision on conflicting reports"),
        (FigureStatus.NOT_YET_PUBLISHED, "source published after as_of"),
        (FigureStatus.AFTER_AS_OF, "event dated after as_of"),
        (
            FigureStatus.UNDATED,
            "source has no publication date, so it cannot count in an as-of build",
        ),
    ):
        ids = known.filter(pl.col("status") == status)["figure_id"].to_list()
        if ids:
            log.add("figures", f"not used: {detail}", len(ids), figure_ids=ids)
    return known, decisions.with_columns(pl.Series("applies", applies, dtype=pl.Boolean))


def disputed_movements(decisions: pl.DataFrame, known: pl.DataFrame) -> dict[str, str]:
    """Figure id -> decision id, for movements a decision kept together (rule 2)."""
    moves = set(
        known.filter(pl.col("kind").is_in([FigureKind.ARRIVAL, FigureKind.DEPARTURE]))["figure_id"]
    )
    found: dict[str, str] = {}
    for row in decisions.filter(pl.col("applies")).iter_rows(named=True):
        chosen = [c for c in split_ids(row["chosen"]) if c in moves]
        if len(chosen) > 1:
            found.update({c: row["decision_id"] for c in chosen})
    return found


def mandates(known: pl.DataFrame) -> pl.DataFrame:
    rows = known.filter(
        (pl.col("kind") == FigureKind.MANDATE)
        & (pl.col("status") == FigureStatus.USED)
        & pl.col("event_first").is_not_null()
    )
    return rows.select(
        "figure_id",
        pl.col("event_first").alias("date"),
        "measure",
        pl.col("description").fill_null(pl.col("measure")).alias("label"),
        pl.col("value").cast(pl.Int64),
        "value_as_written",
        "source_id",
    )


def mss_end(known: pl.DataFrame) -> dt.date | None:
    """The MSS's last day, once a source had reported it (None before)."""
    days = known.filter(
        (pl.col("kind") == FigureKind.MANDATE)
        & (pl.col("status") == FigureStatus.USED)
        & pl.col("measure").is_in(list(MSS_END))
    )["event_last"].drop_nulls()
    return min(days) if days.len() else None


def money(known: pl.DataFrame) -> pl.DataFrame:
    """Money figures in their own currency. ``order_date`` places a month-dated figure at the
    start of its month, so it never displaces a day-dated figure of the same month as the
    latest (rule 5 and the dates rule of the methodology)."""
    rows = known.filter(
        (pl.col("kind") == FigureKind.MONEY)
        & (pl.col("status") == FigureStatus.USED)
        & pl.col("value").is_not_null()
        & pl.col("event_first").is_not_null()
    )
    return rows.select(
        "figure_id",
        pl.col("event_last").alias("date"),
        pl.col("event_date").alias("date_as_written"),
        pl.when(pl.col("event_first") == pl.col("event_last"))
        .then(pl.col("event_last"))
        .otherwise(pl.col("event_first"))
        .alias("order_date"),
        "measure",
        pl.col("measure").is_in(list(TRUST_FUND_TOTALS)).alias("trust_fund_total"),
        pl.col("country").fill_null("unknown").alias("donor"),
        pl.col("unit").alias("currency"),
        "value",
        "low",
        "high",
        "qualifier",
        "value_as_written",
        "source_id",
    )


@dataclass(frozen=True)
class MssTables:
    figures: pl.DataFrame
    decisions: pl.DataFrame
    personnel: pl.DataFrame  # personnel_in_haiti.csv: the strength model
    strength_check: pl.DataFrame
    movements: pl.DataFrame
    pledges: pl.DataFrame
    pledge_aggregates: pl.DataFrame
    pledged_vs_deployed: pl.DataFrame
    mandates: pl.DataFrame
    money: pl.DataFrame


STEP = "clean_mss"
OUT_SUBDIR = Path("data") / "mss"
# name in data/mss -> (MssTables attribute, schema, sort order)
WRITTEN: dict[str, tuple[str, type[dy.Schema], list[str] | None]] = {
    "figures": ("figures", schemas.Figures, None),
    "decisions": ("decisions", schemas.Decisions, None),
    "personnel_in_haiti": ("personnel", schemas.PersonnelInHaiti, ["date", "scope", "iso3"]),
    "movements": ("movements", schemas.Movements, ["date", "iso3", "kind"]),
    "strength_check": ("strength_check", schemas.StrengthCheck, ["date", "scope", "figure_id"]),
    "pledges": ("pledges", schemas.Pledges, None),
    "pledge_aggregates": ("pledge_aggregates", schemas.PledgeAggregates, ["date", "figure_id"]),
    "pledged_vs_deployed": ("pledged_vs_deployed", schemas.PledgedVsDeployed, None),
    "mandates": ("mandates", schemas.Mandates, ["date", "figure_id"]),
    "money": ("money", schemas.Money, ["date", "figure_id"]),
}


def compute(raw_dir: str | Path, as_of: dt.date, log: CleaningLog) -> MssTables:
    """Read the raw files and apply the rules as of ``as_of`` (nothing is written)."""
    sources = load_sources(raw_dir)
    countries = CountryNames.from_csv(Path(raw_dir) / "country_aliases.csv")
    figures = load_figures(raw_dir, sources, countries)
    decisions = load_decisions(raw_dir, set(figures["figure_id"]))
    return build_tables(figures, decisions, as_of, countries, log)


def run(as_of: dt.date, raw_dir: str | Path, out_dir: str | Path) -> tuple[MssTables, CleaningLog]:
    """Everything notebook 10 does: read, clean at ``as_of``, validate and write every table
    (and the sources registry the report cites) to ``<out_dir>/data``. Returns the written
    tables and the cleaning log."""
    log = CleaningLog(STEP)
    tables = compute(raw_dir, as_of, log)
    out = Path(out_dir) / OUT_SUBDIR
    written = {
        attr: write_table(getattr(tables, attr), schema, out, name, log, sort_by=sort)
        for name, (attr, schema, sort) in WRITTEN.items()
    }
    write_sources(load_sources(raw_dir), Path(out_dir) / "data")
    log.write(out)
    write_run_record(out, STEP, as_of)
    return MssTables(**written), log


def build_tables(
    figures: pl.DataFrame,
    decisions: pl.DataFrame,
    as_of: dt.date,
    countries: CountryNames,
    log: CleaningLog,
) -> MssTables:
    known, decisions = apply_as_of(figures, decisions, as_of, log)
    moves = strength.movements(known, disputed_movements(decisions, known), log)
    counts = strength.reports(known, log)
    names = {
        i: countries.name(i)
        for i in {m.iso3 for m in moves} | {p.iso3 for r in counts for p in (r, *r.parts) if p.iso3}
    }
    personnel = strength.personnel_in_haiti(moves, counts, names, as_of)
    used = set(personnel["anchor_figure_id"].drop_nulls())
    end = mss_end(known)
    pledges = pledge_rules.pledges(known, as_of, end, log)
    movement_table = movements_frame(moves, names)
    return MssTables(
        figures=known,
        decisions=decisions,
        personnel=personnel,
        strength_check=strength.check(known, personnel, used),
        movements=movement_table,
        pledges=pledges.with_columns(
            pl.col("iso3")
            .replace_strict(_all_names(pledges, names, countries), default=None)
            .alias("country")
        ),
        pledge_aggregates=pledge_rules.aggregates(known, end),
        pledged_vs_deployed=pledged_vs_deployed(
            pledges, personnel, movement_table, as_of, end, countries
        ),
        mandates=mandates(known),
        money=money(known),
    )


def _all_names(frame: pl.DataFrame, names: dict[str, str], countries: CountryNames) -> dict:
    return {i: names.get(i) or countries.name(i) for i in frame["iso3"].unique().to_list()}


def movements_frame(moves: list[strength.Movement], names: dict[str, str]) -> pl.DataFrame:
    """Arrivals, departures and rotations as counted (one row per movement)."""
    rows = [
        {
            "date": m.day,
            "iso3": m.iso3,
            "country": names.get(m.iso3, m.iso3),
            "kind": m.kind.value,
            "size": None if m.size is None else m.size.value,
            "size_low": None if m.size is None else m.size.low,
            "size_high": None if m.size is None else m.size.high,
            "qualifier": None if m.size is None else m.size.qualifier.value,
            "figure_ids": "; ".join(m.figure_ids),
            "source_ids": "; ".join(m.source_ids),
        }
        for m in moves
    ]
    schema = {
        "date": pl.Date,
        "iso3": pl.String,
        "country": pl.String,
        "kind": pl.String,
        "size": pl.Int64,
        "size_low": pl.Int64,
        "size_high": pl.Int64,
        "qualifier": pl.String,
        "figure_ids": pl.String,
        "source_ids": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def pledged_vs_deployed(
    pledges: pl.DataFrame,
    personnel: pl.DataFrame,
    moves: pl.DataFrame,
    as_of: dt.date,
    end: dt.date | None,
    countries: CountryNames,
) -> pl.DataFrame:
    """One row per country: its pledge to the mission of the day (MSS until it ended, GSF
    after), its MSS pledge, and its personnel in Haiti on ``as_of`` (from the strength model)."""
    era = Mission.GSF if end is not None and as_of > end else Mission.MSS
    country_rows = personnel.filter(pl.col("scope") == "country")
    now = strength.on(country_rows, as_of).select(
        "iso3",
        pl.col("value").alias("in_haiti"),
        pl.col("low").alias("in_haiti_low"),
        pl.col("high").alias("in_haiti_high"),
        pl.col("qualifier").alias("in_haiti_qualifier"),
        pl.col("basis").alias("in_haiti_basis"),
        pl.col("date").alias("in_haiti_since"),
        pl.col("source_ids").alias("in_haiti_source_ids"),
    )
    peaks = (
        country_rows.filter(pl.col("value").is_not_null())
        .sort("value", "date", descending=[True, False])
        .group_by("iso3", maintain_order=True)
        .first()
        .select("iso3", pl.col("value").alias("peak"), pl.col("date").alias("peak_date"))
    )
    first = (
        moves.filter(pl.col("kind") == FigureKind.ARRIVAL)
        .group_by("iso3")
        .agg(pl.col("date").min().alias("first_arrival"))
    )

    def side(mission: Mission, prefix: str) -> pl.DataFrame:
        return pledges.filter(pl.col("mission") == mission).select(
            "iso3",
            *[
                pl.col(c).alias(f"{prefix}{c}")
                for c in (
                    "pledged",
                    "pledged_high",
                    "pledged_qualifier",
                    "pledged_as_written",
                    "pledge_date",
                    "status",
                    "counted",
                    "counted_until_lapse",
                    "not_counted_because",
                    "source_ids",
                )
            ],
        )

    table = (
        side(era, "")
        .join(side(Mission.MSS, "mss_"), on="iso3", how="full", coalesce=True)
        .join(now, on="iso3", how="full", coalesce=True)
        .join(peaks, on="iso3", how="left")
        .join(first, on="iso3", how="left")
    )
    return table.with_columns(
        pl.lit(era.value).alias("mission"),
        pl.col("iso3").map_elements(countries.name, return_dtype=pl.String).alias("country"),
        pl.col("counted").fill_null(False),
        # Never present: nobody. A count known only as a range keeps its value empty.
        pl.when(pl.col("in_haiti_low").is_null())
        .then(0)
        .otherwise(pl.col("in_haiti"))
        .alias("in_haiti"),
    ).sort("iso3")
