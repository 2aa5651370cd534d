"""Pledges, deployments and money for the MSS/GSF mission, as known on a given date.

The rules, in the order the cleaning applies them (the report's methodology repeats them):

1. **As of.** A figure counts only if its source was published on or before ``as_of`` (the end
   of a partial date such as "2024-10") and the event it reports had happened by then. Figures
   whose source date is unknown are never counted (they cannot be placed in time).
2. **Decisions.** Where reports conflict, ``data/raw/decisions.csv`` names the figure used and
   the ones set aside. A decision applies once its chosen figure is known; before that, the only
   figure known stands (and is marked as contested in the figures table).
3. **One event, one figure.** Several reports of the same arrival or departure (same country,
   same day) are one event. The figure kept is the decision's choice, else the most precise
   (exact before "about"), then the most confident source, then the earliest published.
4. **Pledges.** A country's pledge is its latest pledge *with a number*; a later offer without a
   number (e.g. "to double") does not erase it, and a country that never gave a number is shown
   as "unspecified", never 0. Pledges that only one low-confidence secondary source reported
   are listed but not counted in the total.
5. **Personnel in Haiti** on a day = arrivals minus departures up to that day, by country.
   Naval crews that served offshore are not counted in Haiti. A departure without a number
   cannot be subtracted: it is logged, and counts after it may overstate.
6. **Strength check.** Every reported strength snapshot is set beside the computed count for
   the same day and scope; gaps over 10% are flagged with the likely reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from haiti_report.countries import CountryNames, split_countries
from haiti_report.dates import parse_date_span
from haiti_report.rawfiles import LINE, fail_row, raise_on_duplicates, read_raw_csv
from haiti_report.sources import check_source_ids, split_ids
from haiti_report.tables import CleaningLog
from haiti_report.values import parse_optional

FIGURE_COLUMNS = (
    "figure_id", "fact_ref", "kind", "measure", "country", "event_date", "value_as_written",
    "unit", "personnel_type", "description", "source_id", "confidence", "note",
)
DECISION_COLUMNS = (
    "decision_id", "decided", "topic", "kind", "country", "event_date", "chosen", "rejected",
    "rule", "reasoning",
)
KINDS = ("pledge", "arrival", "departure", "strength", "mandate", "money")
DISPLACEMENT_KIND = "displacement"  # decisions.csv rows about IOM figures (see displacement.py)
CONFIDENCE = ("high", "medium", "low")
# Cells in the country column that name the mission or an institution, not a country.
MISSION_SCOPES = ("MSS total", "GSF total")
NON_COUNTRY_SCOPES = (*MISSION_SCOPES, "All contributors", "UN trust fund", "United Nations")
WHOLE_MISSION = "Whole mission"
# Reports of arrivals, departures and strength describe the past: they cannot predate the event.
PAST_TENSE_KINDS = ("arrival", "departure", "strength")
PRECISION_RANK = {"exact": 0, "about": 1, "nearly": 1, "at_least": 2, "more_than": 2,
                  "up_to": 2, "less_than": 2, "range": 3}


def figures_path(raw_dir: str | Path) -> Path:
    return Path(raw_dir) / "mss" / "figures.csv"


def decisions_path(raw_dir: str | Path) -> Path:
    return Path(raw_dir) / "decisions.csv"


def load_figures(raw_dir: str | Path, sources: pl.DataFrame,
                 countries: CountryNames) -> pl.DataFrame:
    """Read data/raw/mss/figures.csv, check every cell, parse values, dates and countries."""
    path = figures_path(raw_dir)
    frame = read_raw_csv(path, FIGURE_COLUMNS,
                         required=("figure_id", "kind", "measure", "source_id", "confidence"))
    raise_on_duplicates(frame, path, "figure_id")
    check_source_ids(frame, path, sources)
    published = dict(zip(sources["source_id"], sources["published_last"], strict=True))
    rows = []
    for i, row in enumerate(frame.iter_rows(named=True)):
        line = row[LINE]
        if row["kind"] not in KINDS:
            raise fail_row(path, frame, i, "kind", "unknown kind of figure",
                           f"Use one of: {', '.join(KINDS)}")
        if row["confidence"] not in CONFIDENCE:
            raise fail_row(path, frame, i, "confidence", "unknown confidence",
                           f"Use one of: {', '.join(CONFIDENCE)}")
        if row["value_as_written"] and not row["unit"]:
            raise fail_row(path, frame, i, "unit", "a figure needs a unit",
                           "Use people, usd, cad, eur, percent or countries")
        value = parse_optional(row["value_as_written"], unit=row["unit"] or None, file=path,
                               row=line, column="value_as_written")
        span = (parse_date_span(row["event_date"], file=path, row=line, column="event_date")
                if row["event_date"] else None)
        iso3 = _iso3_cell(row["country"], countries, path, line)
        source_day = published[split_ids(row["source_id"])[0]]
        if (span and source_day and row["kind"] in PAST_TENSE_KINDS
                and span.first > source_day):
            raise fail_row(path, frame, i, "event_date",
                           f"the event is dated after its source was published ({source_day})",
                           "Check the event date, or the source's published date in sources.csv")
        rows.append({
            **{k: row[k] for k in FIGURE_COLUMNS}, "line": line,
            "iso3": iso3,
            "value": None if value is None else float(value.value),
            "low": None if value is None or value.low is None else float(value.low),
            "high": None if value is None or value.high is None else float(value.high),
            "qualifier": None if value is None else value.qualifier,
            "unit": value.unit if value is not None else row["unit"],
            "event_first": span.first if span else None,
            "event_last": span.last if span else None,
            "published": source_day,
        })
    return pl.DataFrame(rows, schema_overrides={
        "event_first": pl.Date, "event_last": pl.Date, "published": pl.Date,
        "value": pl.Float64, "low": pl.Float64, "high": pl.Float64, "iso3": pl.String,
        "qualifier": pl.String,
    }, infer_schema_length=None)


def _iso3_cell(cell: str | None, countries: CountryNames, path: Path, line: int) -> str | None:
    if not cell or cell in NON_COUNTRY_SCOPES:
        return None
    return "; ".join(countries.to_iso3(name, file=path, row=line, column="country")
                     for name in split_countries(cell))


def load_decisions(raw_dir: str | Path, known_ids: set[str]) -> pl.DataFrame:
    """Read the decisions about mission figures (decisions.csv rows whose kind is one of
    KINDS); every figure they name must exist. Rows of kind "displacement" belong to the
    displacement cleaning and are checked there."""
    path = decisions_path(raw_dir)
    frame = read_raw_csv(path, DECISION_COLUMNS,
                         required=("decision_id", "decided", "topic", "kind", "chosen", "rule",
                                   "reasoning"))
    raise_on_duplicates(frame, path, "decision_id")
    for i, row in enumerate(frame.iter_rows(named=True)):
        if row["kind"] not in (*KINDS, DISPLACEMENT_KIND):
            raise fail_row(path, frame, i, "kind", "unknown kind of decision",
                           f"Use one of: {', '.join((*KINDS, DISPLACEMENT_KIND))}")
        parse_date_span(row["decided"], file=path, row=row[LINE], column="decided")
        if row["kind"] == DISPLACEMENT_KIND:
            continue
        for column in ("chosen", "rejected"):
            for figure_id in split_ids(row[column]):
                if figure_id not in known_ids:
                    raise fail_row(path, frame, i, column,
                                   f"decision names figure {figure_id!r}, which does not exist",
                                   "Use a figure_id from data/raw/mss/figures.csv")
    return frame.filter(pl.col("kind") != DISPLACEMENT_KIND)


def apply_as_of(figures: pl.DataFrame, decisions: pl.DataFrame, as_of: dt.date,
                log: CleaningLog) -> pl.DataFrame:
    """Mark each figure used / set_aside / not_yet_published / after_as_of / undated."""
    known = figures.with_columns(
        pl.when(pl.col("published").is_null()).then(pl.lit("undated"))
        .when(pl.col("published") > as_of).then(pl.lit("not_yet_published"))
        .when(pl.col("event_first") > as_of).then(pl.lit("after_as_of"))
        .otherwise(pl.lit("used")).alias("status"),
        pl.lit(None, dtype=pl.String).alias("decision_id"),
    )
    used = set(known.filter(pl.col("status") == "used")["figure_id"])
    set_aside: dict[str, str] = {}
    for row in decisions.iter_rows(named=True):
        chosen = split_ids(row["chosen"])
        if not any(c in used for c in chosen):
            continue  # the decision's figure is not known yet: it cannot apply
        for figure_id in split_ids(row["rejected"]):
            set_aside.setdefault(figure_id, row["decision_id"])
    known = known.with_columns(
        pl.col("figure_id").replace_strict(set_aside, default=None).alias("decision_id"),
    ).with_columns(
        pl.when(pl.col("decision_id").is_not_null() & (pl.col("status") == "used"))
        .then(pl.lit("set_aside")).otherwise(pl.col("status")).alias("status"),
    )
    for status, detail in (
        ("set_aside", "set aside by a decision on conflicting reports"),
        ("not_yet_published", "source published after as_of"),
        ("after_as_of", "event dated after as_of"),
        ("undated", "source has no publication date, so it cannot count in an as-of build"),
    ):
        ids = known.filter(pl.col("status") == status)["figure_id"].to_list()
        if ids:
            log.add("figures", f"not used: {detail}", len(ids), figure_ids=ids)
    return known


def _best_first(frame: pl.DataFrame) -> pl.DataFrame:
    """Order competing reports of one fact: most precise, most confident, earliest."""
    return frame.with_columns(
        pl.col("qualifier").replace_strict(PRECISION_RANK, default=9).alias("_precision"),
        pl.col("confidence").replace_strict({"high": 0, "medium": 1, "low": 2}).alias("_conf"),
    ).sort(["_precision", "_conf", "published", "figure_id"], nulls_last=True)


def personnel_events(known: pl.DataFrame, countries: CountryNames,
                     log: CleaningLog) -> pl.DataFrame:
    """Arrivals and departures in Haiti, one row per event (rule 3), with running counts."""
    moves = known.filter(pl.col("kind").is_in(["arrival", "departure"])
                         & (pl.col("status") == "used"))
    offshore = moves.filter(pl.col("measure") != "personnel")
    if offshore.height:
        log.add("personnel_timeline", "not counted in Haiti: served offshore or not personnel",
                offshore.height, figure_ids=offshore["figure_id"].to_list())
    moves = moves.filter(pl.col("measure") == "personnel")
    no_number = moves.filter(pl.col("value").is_null())
    if no_number.height:
        log.add("personnel_timeline", "reported without a number: cannot be counted",
                no_number.height, figure_ids=no_number["figure_id"].to_list(),
                detail="counts after these dates may be off by the unknown number")
    partial = moves.filter(pl.col("value").is_not_null()
                           & (pl.col("event_first") != pl.col("event_last")))
    if partial.height:
        log.add("personnel_timeline", "dated only to a month or year: placed on the last day",
                partial.height, figure_ids=partial["figure_id"].to_list())
    moves = _best_first(moves.filter(pl.col("value").is_not_null()))
    events = moves.group_by(["iso3", "kind", "event_last"], maintain_order=True).agg(
        pl.all().first(), pl.col("figure_id").alias("same_event_ids"))
    duplicates = [i for ids in events["same_event_ids"] for i in ids[1:]]
    if duplicates:
        log.add("personnel_timeline", "other reports of the same event (one figure kept)",
                len(duplicates), figure_ids=duplicates)
    timeline = events.select(
        pl.col("event_last").alias("date"), "iso3", "figure_id",
        pl.col("iso3").map_elements(countries.name, return_dtype=pl.String).alias("country"),
        pl.col("kind").alias("event"),
        pl.when(pl.col("kind") == "arrival").then(pl.col("value"))
        .otherwise(-pl.col("value")).cast(pl.Int64).alias("change"),
        "source_id",
    ).sort(["date", "iso3", "event", "figure_id"])
    return timeline.with_columns(pl.col("change").cum_sum().over("iso3").alias("in_haiti"))


def in_haiti_on(timeline: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    """Personnel in Haiti by country at the end of ``day``."""
    return (timeline.filter(pl.col("date") <= day)
            .group_by("iso3", "country").agg(pl.col("in_haiti").last())
            .sort("iso3"))


def total_in_haiti_on(timeline: pl.DataFrame, day: dt.date) -> int:
    return int(in_haiti_on(timeline, day)["in_haiti"].sum())


def pledges_by_country(known: pl.DataFrame, log: CleaningLog) -> pl.DataFrame:
    """The best pledge per country (rule 4)."""
    pledges = known.filter((pl.col("kind") == "pledge") & (pl.col("status") == "used")
                           & (pl.col("measure") == "personnel") & pl.col("iso3").is_not_null())
    combined = pledges.filter(pl.col("iso3").str.contains(";"))
    if combined.height:
        log.add("pledged_vs_deployed", "pledge shared by several countries: not split",
                combined.height, figure_ids=combined["figure_id"].to_list())
    pledges = pledges.filter(~pl.col("iso3").str.contains(";"))
    numbered = pledges.filter(pl.col("value").is_not_null()).sort(
        ["iso3", "event_last", "published", "figure_id"], nulls_last=False)
    best = numbered.group_by("iso3", maintain_order=True).last()
    unnumbered = (pledges.filter(~pl.col("iso3").is_in(best["iso3"].implode()))
                  .sort(["iso3", "event_last", "figure_id"])
                  .group_by("iso3", maintain_order=True).last())
    return pl.concat([best, unnumbered], how="vertical").select(
        "iso3",
        pl.col("value").cast(pl.Int64).alias("pledged"),
        pl.col("low").cast(pl.Int64).alias("pledged_low"),
        pl.col("high").cast(pl.Int64).alias("pledged_high"),
        pl.col("qualifier").alias("pledged_qualifier"),
        pl.col("value_as_written").alias("pledged_as_written"),
        pl.col("event_date").alias("pledge_date"),
        pl.col("figure_id").alias("pledge_figure_ids"),
        pl.col("confidence").alias("pledge_confidence"),
        pl.col("source_id").alias("pledge_source_id"),
    )


def pledged_vs_deployed(pledges: pl.DataFrame, timeline: pl.DataFrame, as_of: dt.date,
                        countries: CountryNames) -> pl.DataFrame:
    now = in_haiti_on(timeline, as_of).select("iso3", pl.col("in_haiti").alias("deployed"))
    history = timeline.filter(pl.col("date") <= as_of).group_by("iso3").agg(
        pl.col("in_haiti").max().alias("deployed_peak"),
        pl.col("date").filter(pl.col("event") == "arrival").min().alias("first_arrival"),
        pl.col("figure_id").sort().str.join("; ").alias("deployment_figure_ids"),
        pl.col("source_id").unique().sort().str.join("; ").alias("deployment_sources"),
    )
    table = (pledges.join(now, on="iso3", how="full", coalesce=True)
             .join(history, on="iso3", how="left"))
    return table.with_columns(
        pl.col("iso3").map_elements(countries.name, return_dtype=pl.String).alias("country"),
        pl.col("deployed").fill_null(0),
        pl.col("deployed_peak").fill_null(0),
        (pl.col("pledged").is_not_null() & (pl.col("pledge_confidence") != "low"))
        .fill_null(False).alias("counted_in_total"),
        pl.concat_str([pl.col("pledge_source_id"), pl.col("deployment_sources")],
                      separator="; ", ignore_nulls=True).alias("source_ids"),
    )


def strength_check(known: pl.DataFrame, timeline: pl.DataFrame, countries: CountryNames,
                   log: CleaningLog) -> pl.DataFrame:
    """Reported strength beside computed strength (rule 6)."""
    snapshots = known.filter((pl.col("kind") == "strength") & (pl.col("status") == "used")
                             & pl.col("value").is_not_null() & (pl.col("unit") == "people"))
    rows = []
    for snap in snapshots.iter_rows(named=True):
        scope_iso3 = snap["iso3"]
        if snap["country"] not in MISSION_SCOPES and (scope_iso3 is None or ";" in scope_iso3):
            continue  # combined countries (e.g. "Bahamas; Belize") are compared below as a sum
        # A snapshot dated only to a month is compared at whichever end of the month is closer.
        best = None
        for day in {snap["event_first"], snap["event_last"]}:
            computed = _computed(timeline, day, scope_iso3)
            if best is None or abs(computed - snap["value"]) < abs(best[1] - snap["value"]):
                best = (day, computed)
        assert best is not None
        day, computed = best
        reported = int(snap["value"])
        difference = computed - reported
        pct = None if reported == 0 else round(100 * difference / reported, 1)
        over = pct is not None and abs(pct) > 10
        rows.append({
            "figure_id": snap["figure_id"], "date": day,
            "scope": WHOLE_MISSION if scope_iso3 is None else countries.name(scope_iso3),
            "iso3": scope_iso3, "reported": reported,
            "reported_as_written": snap["value_as_written"], "computed": computed,
            "difference": difference, "difference_pct": pct, "over_10_pct": over,
            "explanation": _explain(timeline, day, scope_iso3, reported, computed, snap)
            if over else None,
            "source_id": snap["source_id"],
        })
    flagged = [r["figure_id"] for r in rows if r["over_10_pct"]]
    if flagged:
        log.add("strength_check", "reported and computed strength differ by more than 10%",
                len(flagged), figure_ids=flagged)
    schema = {"figure_id": pl.String, "date": pl.Date, "scope": pl.String, "iso3": pl.String,
              "reported": pl.Int64, "reported_as_written": pl.String, "computed": pl.Int64,
              "difference": pl.Int64, "difference_pct": pl.Float64, "over_10_pct": pl.Boolean,
              "explanation": pl.String, "source_id": pl.String}
    return pl.DataFrame(rows, schema=schema)


def _computed(timeline: pl.DataFrame, day: dt.date, iso3: str | None) -> int:
    current = in_haiti_on(timeline, day)
    if iso3 is not None:
        current = current.filter(pl.col("iso3") == iso3)
    return int(current["in_haiti"].sum())


def _explain(timeline: pl.DataFrame, day: dt.date, iso3: str | None, reported: int,
             computed: int, snap: dict) -> str:
    """Why the counts differ, from the data: a nearby arrival the snapshot may not include,
    else the qualifier and the figure's own note."""
    moves = timeline if iso3 is None else timeline.filter(pl.col("iso3") == iso3)
    window = moves.filter((pl.col("date") > day - dt.timedelta(days=10))
                          & (pl.col("date") <= day + dt.timedelta(days=10)))
    for move in window.iter_rows(named=True):
        without = computed - move["change"] if move["date"] <= day else computed + move["change"]
        if abs(without - reported) < abs(computed - reported) and \
                (reported == 0 or abs(without - reported) / reported <= 0.10):
            when = "before" if move["date"] > day else "after"
            return (f"The snapshot seems to leave out the {move['event']} of {abs(move['change'])} "
                    f"({move['country']}) on {move['date'].isoformat()}: it matches the count "
                    f"{'without' if move['date'] <= day else 'with'} it "
                    f"(reported {when} that movement).")
    parts = []
    if snap["qualifier"] not in (None, "exact"):
        parts.append(f"the source gave a {snap['qualifier'].replace('_', ' ')} figure "
                     f"({snap['value_as_written']})")
    if snap["note"]:
        parts.append(snap["note"])
    if computed > reported:
        parts.append("departures and rotations without reported numbers are not subtracted")
    return "; ".join(parts) or "no reported movement explains the gap"


def mandates(known: pl.DataFrame) -> pl.DataFrame:
    rows = known.filter((pl.col("kind") == "mandate") & (pl.col("status") == "used")
                        & pl.col("event_first").is_not_null())
    return rows.select(
        "figure_id", pl.col("event_first").alias("date"), "measure",
        pl.col("description").fill_null(pl.col("measure")).alias("label"),
        pl.col("value").cast(pl.Int64), "value_as_written", "source_id",
    )


def money(known: pl.DataFrame) -> pl.DataFrame:
    rows = known.filter((pl.col("kind") == "money") & (pl.col("status") == "used")
                        & pl.col("value").is_not_null() & pl.col("event_first").is_not_null())
    return rows.select(
        "figure_id", pl.col("event_last").alias("date"), "measure",
        pl.col("country").fill_null("unknown").alias("donor"),
        pl.col("unit").alias("currency"), "value", "low", "high", "qualifier",
        "value_as_written", "source_id",
    )


@dataclass(frozen=True)
class MssTables:
    figures: pl.DataFrame
    pledged_vs_deployed: pl.DataFrame
    timeline: pl.DataFrame
    strength: pl.DataFrame
    mandates: pl.DataFrame
    money: pl.DataFrame


def build_tables(figures: pl.DataFrame, decisions: pl.DataFrame, as_of: dt.date,
                 countries: CountryNames, log: CleaningLog) -> MssTables:
    """Everything the report needs about the mission, as known on ``as_of``."""
    known = apply_as_of(figures, decisions, as_of, log)
    timeline = personnel_events(known, countries, log).filter(pl.col("date") <= as_of)
    pledges = pledges_by_country(known, log)
    table = pledged_vs_deployed(pledges, timeline, as_of, countries)
    low = table.filter(pl.col("pledged").is_not_null() & (pl.col("pledge_confidence") == "low"))
    if low.height:
        log.add("pledged_vs_deployed", "pledge from a single low-confidence report: listed, "
                "not counted in the total", low.height,
                figure_ids=low["pledge_figure_ids"].to_list())
    return MssTables(
        figures=known,
        pledged_vs_deployed=table,
        timeline=timeline,
        strength=strength_check(known, timeline, countries, log),
        mandates=mandates(known),
        money=money(known),
    )
