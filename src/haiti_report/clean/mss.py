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

from haiti_report.clean.tables import CleaningLog
from haiti_report.raw.countries import CountryNames, split_countries
from haiti_report.raw.dates import parse_date_span
from haiti_report.raw.decisions import decisions_path, read_decisions
from haiti_report.raw.files import LINE, fail_row, raise_on_duplicates, read_raw_csv
from haiti_report.raw.sources import check_source_ids, split_ids
from haiti_report.raw.values import parse_optional

FIGURE_COLUMNS = (
    "figure_id",
    "fact_ref",
    "kind",
    "measure",
    "country",
    "event_date",
    "value_as_written",
    "unit",
    "personnel_type",
    "description",
    "source_id",
    "confidence",
    "note",
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
PRECISION_RANK = {
    "exact": 0,
    "about": 1,
    "nearly": 1,
    "at_least": 2,
    "more_than": 2,
    "up_to": 2,
    "less_than": 2,
    "range": 3,
}


def figures_path(raw_dir: str | Path) -> Path:
    return Path(raw_dir) / "mss" / "figures.csv"


def load_figures(
    raw_dir: str | Path, sources: pl.DataFrame, countries: CountryNames
) -> pl.DataFrame:
    """Read data/raw/mss/figures.csv, check every cell, parse values, dates and countries."""
    path = figures_path(raw_dir)
    frame = read_raw_csv(
        path, FIGURE_COLUMNS, required=("figure_id", "kind", "measure", "source_id", "confidence")
    )
    raise_on_duplicates(frame, path, "figure_id")
    check_source_ids(frame, path, sources)
    published = dict(zip(sources["source_id"], sources["published_last"], strict=True))
    rows = []
    for i, row in enumerate(frame.iter_rows(named=True)):
        line = row[LINE]
        if row["kind"] not in KINDS:
            raise fail_row(
                path, frame, i, "kind", "unknown kind of figure", f"Use one of: {', '.join(KINDS)}"
            )
        if row["confidence"] not in CONFIDENCE:
            raise fail_row(
                path,
                frame,
                i,
                "confidence",
                "unknown confidence",
                f"Use one of: {', '.join(CONFIDENCE)}",
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
        iso3 = _iso3_cell(row["country"], countries, path, line)
        source_day = published[split_ids(row["source_id"])[0]]
        if span and source_day and row["kind"] in PAST_TENSE_KINDS and span.first > source_day:
            raise fail_row(
                path,
                frame,
                i,
                "event_date",
                f"the event is dated after its source was published ({source_day})",
                "Check the event date, or the source's published date in sources.csv",
            )
        rows.append(
            {
                **{k: row[k] for k in FIGURE_COLUMNS},
                "line": line,
                "iso3": iso3,
                "value": None if value is None else float(value.value),
                "low": None if value is None or value.low is None else float(value.low),
                "high": None if value is None or value.high is None else float(value.high),
                "qualifier": None if value is None else value.qualifier,
                "unit": value.unit if value is not None else row["unit"],
                "event_first": span.first if span else None,
                "event_last": span.last if span else None,
                "published": source_day,
            }
        )
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
        },
        infer_schema_length=None,
    )


def _iso3_cell(cell: str | None, countries: CountryNames, path: Path, line: int) -> str | None:
    if not cell or cell in NON_COUNTRY_SCOPES:
        return None
    return "; ".join(
        countries.to_iso3(name, file=path, row=line, column="country")
        for name in split_countries(cell)
    )


def load_decisions(raw_dir: str | Path, known_ids: set[str]) -> pl.DataFrame:
    """Read the decisions about mission figures (decisions.csv rows whose kind is one of
    KINDS); every figure they name must exist. Rows of kind "displacement" belong to the
    displacement cleaning and are checked there."""
    path = decisions_path(raw_dir)
    frame = read_decisions(path)
    for i, row in enumerate(frame.iter_rows(named=True)):
        if row["kind"] not in (*KINDS, DISPLACEMENT_KIND):
            raise fail_row(
                path,
                frame,
                i,
                "kind",
                "unknown kind of decision",
                f"Use one of: {', '.join((*KINDS, DISPLACEMENT_KIND))}",
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
) -> pl.DataFrame:
    """Mark each figure used / set_aside / not_yet_published / after_as_of / undated."""
    known = figures.with_columns(
        pl.when(pl.col("published").is_null())
        .then(pl.lit("undated"))
        .when(pl.col("published") > as_of)
        .then(pl.lit("not_yet_published"))
        .when(pl.col("event_first") > as_of)
        .then(pl.lit("after_as_of"))
        .otherwise(pl.lit("used"))
        .alias("status"),
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
        .then(pl.lit("set_aside"))
        .otherwise(pl.col("status"))
        .alias("status"),
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


ROTATION_DAYS = 3  # a departure this soon after the same country's arrival is a handover
ANCHOR_QUALIFIERS = ("exact", "about")  # snapshots precise enough to re-anchor a count


def personnel_events(
    known: pl.DataFrame, countries: CountryNames, log: CleaningLog
) -> pl.DataFrame:
    """Arrivals and departures in Haiti, one row per event (rule 3), with running counts.

    Two refinements keep the running count honest:

    * **Handover.** A departure reported within ROTATION_DAYS after an arrival of the same
      country is a rotation: it is placed on the arrival's day, so the overlap of outgoing
      and incoming groups never shows as a peak.
    * **Re-anchoring.** A departure without a number cannot be subtracted. From its date the
      country's count is marked ``uncertain``, until the next reported count for that country
      (exact or "about", dated to the day) re-anchors it: a ``reported_count`` row sets the
      running count to the reported figure.
    """
    moves = known.filter(
        pl.col("kind").is_in(["arrival", "departure"]) & (pl.col("status") == "used")
    )
    offshore = moves.filter(pl.col("measure") != "personnel")
    if offshore.height:
        log.add(
            "personnel_timeline",
            "not counted in Haiti: served offshore or not personnel",
            offshore.height,
            figure_ids=offshore["figure_id"].to_list(),
        )
    moves = moves.filter(pl.col("measure") == "personnel")
    no_number = moves.filter(
        pl.col("value").is_null()
        & (pl.col("kind") == "departure")
        & pl.col("event_last").is_not_null()
    )
    if no_number.height:
        log.add(
            "personnel_timeline",
            "departure reported without a number: not subtracted; "
            "the count is uncertain until a reported count re-anchors it",
            no_number.height,
            figure_ids=no_number["figure_id"].to_list(),
        )
    partial = moves.filter(
        pl.col("value").is_not_null() & (pl.col("event_first") != pl.col("event_last"))
    )
    if partial.height:
        log.add(
            "personnel_timeline",
            "dated only to a month or year: placed on the last day",
            partial.height,
            figure_ids=partial["figure_id"].to_list(),
        )
    moves = _best_first(moves.filter(pl.col("value").is_not_null()))
    events = moves.group_by(["iso3", "kind", "event_last"], maintain_order=True).agg(
        pl.all().first(), pl.col("figure_id").alias("same_event_ids")
    )
    duplicates = [i for ids in events["same_event_ids"] for i in ids[1:]]
    if duplicates:
        log.add(
            "personnel_timeline",
            "other reports of the same event (one figure kept)",
            len(duplicates),
            figure_ids=duplicates,
        )
    timeline = events.select(
        pl.col("event_last").alias("date"),
        "iso3",
        "figure_id",
        pl.col("kind").alias("event"),
        pl.when(pl.col("kind") == "arrival")
        .then(pl.col("value"))
        .otherwise(-pl.col("value"))
        .cast(pl.Int64)
        .alias("change"),
        "source_id",
    )
    timeline = _handover(timeline, log)
    anchors = _anchor_snapshots(known)
    rows: list[dict] = []
    for iso3 in sorted(set(timeline["iso3"]) | set(no_number["iso3"])):
        rows += _running_count(
            timeline.filter(pl.col("iso3") == iso3).sort(["date", "event", "figure_id"]),
            no_number.filter(pl.col("iso3") == iso3),
            anchors.filter(pl.col("iso3") == iso3),
            log,
        )
    result = pl.DataFrame(
        rows,
        schema={
            "date": pl.Date,
            "iso3": pl.String,
            "figure_id": pl.String,
            "event": pl.String,
            "change": pl.Int64,
            "in_haiti": pl.Int64,
            "uncertain": pl.Boolean,
            "source_id": pl.String,
        },
    )
    return result.with_columns(
        pl.col("iso3").map_elements(countries.name, return_dtype=pl.String).alias("country"),
    ).sort(["date", "iso3"], maintain_order=True)  # keeps each day's events in walk order


def _handover(timeline: pl.DataFrame, log: CleaningLog) -> pl.DataFrame:
    arrivals = timeline.filter(pl.col("event") == "arrival").select(
        "iso3", pl.col("date").alias("arrival_date")
    )
    departures = (
        timeline.filter(pl.col("event") == "departure")
        .join(arrivals, on="iso3", how="left")
        .filter(
            (pl.col("arrival_date") <= pl.col("date"))
            & (pl.col("date") - pl.col("arrival_date") <= pl.duration(days=ROTATION_DAYS))
            & (pl.col("arrival_date") < pl.col("date"))
        )
    )
    if not departures.height:
        return timeline
    moved = dict(zip(departures["figure_id"], departures["arrival_date"], strict=True))
    log.add(
        "personnel_timeline",
        f"departure within {ROTATION_DAYS} days of the same "
        "country's arrival: a rotation, placed on the arrival day",
        len(moved),
        figure_ids=list(moved),
    )
    return timeline.with_columns(
        pl.col("figure_id")
        .replace_strict(moved, default=None, return_dtype=pl.Date)
        .fill_null(pl.col("date"))
        .alias("date")
    )


def _anchor_snapshots(known: pl.DataFrame) -> pl.DataFrame:
    return known.filter(
        (pl.col("kind") == "strength")
        & (pl.col("status") == "used")
        & (pl.col("unit") == "people")
        & pl.col("iso3").is_not_null()
        & ~pl.col("iso3").str.contains(";")
        & pl.col("qualifier").is_in(ANCHOR_QUALIFIERS)
        & (pl.col("event_first") == pl.col("event_last"))
    ).select("iso3", pl.col("event_first").alias("date"), "figure_id", "value", "source_id")


def _running_count(
    events: pl.DataFrame, unknown: pl.DataFrame, anchors: pl.DataFrame, log: CleaningLog
) -> list[dict]:
    """Walk one country's movements in date order. Within a day: movements first, then
    departures without a number, then reported counts (a count reported on a day includes
    that day's movements)."""
    stream = (
        [(r["date"], 0, r["figure_id"], "move", r) for r in events.iter_rows(named=True)]
        + [
            (r["event_last"], 1, r["figure_id"], "unknown", r)
            for r in unknown.iter_rows(named=True)
        ]
        + [(r["date"], 2, r["figure_id"], "anchor", r) for r in anchors.iter_rows(named=True)]
    )
    rows: list[dict] = []
    count, uncertain = 0, False
    for day, _, figure_id, what, item in sorted(stream, key=lambda t: t[:3]):
        if what == "move":
            count += item["change"]
            event, change = item["event"], item["change"]
        elif what == "unknown":
            uncertain = True
            event, change = "departure_unknown", 0
        elif uncertain:  # a reported count settles what the unknown departure left
            event, change = "reported_count", int(item["value"]) - count
            count, uncertain = int(item["value"]), False
            log.add(
                "personnel_timeline",
                "count re-anchored to a reported count after a departure without a number",
                1,
                figure_ids=[figure_id],
            )
        else:
            continue
        rows.append(
            {
                "date": day,
                "iso3": item["iso3"],
                "figure_id": figure_id,
                "event": event,
                "change": change,
                "in_haiti": count,
                "uncertain": uncertain,
                "source_id": item["source_id"],
            }
        )
    return rows


def in_haiti_on(timeline: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    """Personnel in Haiti by country at the end of ``day``."""
    return (
        timeline.filter(pl.col("date") <= day)
        .group_by("iso3", "country", maintain_order=True)
        .agg(pl.col("in_haiti").last())
        .sort("iso3")
    )


def total_in_haiti_on(timeline: pl.DataFrame, day: dt.date) -> int:
    return int(in_haiti_on(timeline, day)["in_haiti"].sum())


def pledges_by_country(known: pl.DataFrame, log: CleaningLog) -> pl.DataFrame:
    """The best pledge per country (rule 4)."""
    pledges = known.filter(
        (pl.col("kind") == "pledge")
        & (pl.col("status") == "used")
        & (pl.col("measure") == "personnel")
        & pl.col("iso3").is_not_null()
    )
    combined = pledges.filter(pl.col("iso3").str.contains(";"))
    if combined.height:
        log.add(
            "pledged_vs_deployed",
            "pledge shared by several countries: not split",
            combined.height,
            figure_ids=combined["figure_id"].to_list(),
        )
    pledges = pledges.filter(~pl.col("iso3").str.contains(";"))
    numbered = pledges.filter(pl.col("value").is_not_null()).sort(
        ["iso3", "event_last", "published", "figure_id"], nulls_last=False
    )
    best = numbered.group_by("iso3", maintain_order=True).last()
    unnumbered = (
        pledges.filter(~pl.col("iso3").is_in(best["iso3"].implode()))
        .sort(["iso3", "event_last", "figure_id"])
        .group_by("iso3", maintain_order=True)
        .last()
    )
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


def pledged_vs_deployed(
    pledges: pl.DataFrame, timeline: pl.DataFrame, as_of: dt.date, countries: CountryNames
) -> pl.DataFrame:
    now = in_haiti_on(timeline, as_of).select("iso3", pl.col("in_haiti").alias("deployed"))
    past = timeline.filter(pl.col("date") <= as_of)
    # Peaks use end-of-day counts that are not uncertain: a handover day's overlap and a count
    # a departure without a number has left too high are not peaks.
    end_of_day = past.group_by("iso3", "date", maintain_order=True).agg(
        pl.col("in_haiti").last(), pl.col("uncertain").last()
    )
    peaks = (
        end_of_day.filter(~pl.col("uncertain"))
        .group_by("iso3")
        .agg(pl.col("in_haiti").max().alias("deployed_peak"))
    )
    history = (
        past.group_by("iso3")
        .agg(
            pl.col("date").filter(pl.col("event") == "arrival").min().alias("first_arrival"),
            pl.col("figure_id").sort().str.join("; ").alias("deployment_figure_ids"),
            pl.col("source_id").unique().sort().str.join("; ").alias("deployment_sources"),
        )
        .join(peaks, on="iso3", how="left")
    )
    table = pledges.join(now, on="iso3", how="full", coalesce=True).join(
        history, on="iso3", how="left"
    )
    return table.with_columns(
        pl.col("iso3").map_elements(countries.name, return_dtype=pl.String).alias("country"),
        pl.col("deployed").fill_null(0),
        pl.col("deployed_peak").fill_null(0),
        (pl.col("pledged").is_not_null() & (pl.col("pledge_confidence") != "low"))
        .fill_null(False)
        .alias("counted_in_total"),
        pl.concat_str(
            [pl.col("pledge_source_id"), pl.col("deployment_sources")],
            separator="; ",
            ignore_nulls=True,
        ).alias("source_ids"),
    )


def strength_check(
    known: pl.DataFrame, timeline: pl.DataFrame, countries: CountryNames, log: CleaningLog
) -> pl.DataFrame:
    """Reported strength beside computed strength (rule 6)."""
    snapshots = known.filter(
        (pl.col("kind") == "strength")
        & (pl.col("status") == "used")
        & pl.col("value").is_not_null()
        & (pl.col("unit") == "people")
    )
    anchors = set(timeline.filter(pl.col("event") == "reported_count")["figure_id"])
    if anchors:
        log.add(
            "strength_check",
            "not compared: used to re-anchor the count",
            len(anchors),
            figure_ids=sorted(anchors),
        )
    rows = []
    for snap in snapshots.filter(~pl.col("figure_id").is_in(sorted(anchors))).iter_rows(named=True):
        scope_iso3 = snap["iso3"]
        if snap["country"] not in MISSION_SCOPES and (scope_iso3 is None or ";" in scope_iso3):
            continue  # a combined figure for several countries ("Bahamas; Belize")
        # A snapshot dated only to a month is compared on the day in that month (an end, or a
        # day something moved) where the computed count comes closest.
        days = {snap["event_first"], snap["event_last"]} | set(
            timeline.filter(pl.col("date").is_between(snap["event_first"], snap["event_last"]))[
                "date"
            ]
        )
        day, computed = min(
            ((d, _computed(timeline, d, scope_iso3)) for d in sorted(days)),
            key=lambda dc: abs(dc[1] - snap["value"]),
        )
        reported = int(snap["value"])
        difference = computed - reported
        pct = None if reported == 0 else round(100 * difference / reported, 1)
        over = pct is not None and abs(pct) > 10
        rows.append(
            {
                "figure_id": snap["figure_id"],
                "date": day,
                "scope": WHOLE_MISSION if scope_iso3 is None else countries.name(scope_iso3),
                "iso3": scope_iso3,
                "reported": reported,
                "reported_as_written": snap["value_as_written"],
                "computed": computed,
                "difference": difference,
                "difference_pct": pct,
                "over_10_pct": over,
                "explanation": _explain(timeline, day, scope_iso3, reported, computed, snap)
                if over
                else None,
                "source_id": snap["source_id"],
            }
        )
    flagged = [r["figure_id"] for r in rows if r["over_10_pct"]]
    if flagged:
        log.add(
            "strength_check",
            "reported and computed strength differ by more than 10%",
            len(flagged),
            figure_ids=flagged,
        )
    schema = {
        "figure_id": pl.String,
        "date": pl.Date,
        "scope": pl.String,
        "iso3": pl.String,
        "reported": pl.Int64,
        "reported_as_written": pl.String,
        "computed": pl.Int64,
        "difference": pl.Int64,
        "difference_pct": pl.Float64,
        "over_10_pct": pl.Boolean,
        "explanation": pl.String,
        "source_id": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def _computed(timeline: pl.DataFrame, day: dt.date, iso3: str | None) -> int:
    current = in_haiti_on(timeline, day)
    if iso3 is not None:
        current = current.filter(pl.col("iso3") == iso3)
    return int(current["in_haiti"].sum())


def _explain(
    timeline: pl.DataFrame, day: dt.date, iso3: str | None, reported: int, computed: int, snap: dict
) -> str:
    """Why the counts differ, from the data: a nearby movement the snapshot may not include,
    a departure without a number, else the qualifier and the figure's own note."""
    moves = timeline if iso3 is None else timeline.filter(pl.col("iso3") == iso3)
    unsettled = moves.filter(
        (pl.col("date") <= day) & pl.col("uncertain") & (pl.col("event") == "departure_unknown")
    )
    current = in_haiti_on(moves, day)
    if unsettled.height and current["iso3"].is_in(unsettled["iso3"].implode()).any():
        gap = unsettled.row(-1, named=True)
        return (
            f"A departure reported without a number ({gap['country']}, "
            f"{gap['date'].isoformat()}, {gap['figure_id']}) could not be subtracted, so "
            "the computed count overstates until a later reported count."
        )
    window = moves.filter(
        (pl.col("date") > day - dt.timedelta(days=10))
        & (pl.col("date") <= day + dt.timedelta(days=10))
    )
    for move in window.iter_rows(named=True):
        if move["event"] not in ("arrival", "departure"):
            continue
        before = move["date"] <= day  # the movement happened by the snapshot's day
        alternative = computed - move["change"] if before else computed + move["change"]
        if abs(alternative - reported) < abs(computed - reported) and (
            reported == 0 or abs(alternative - reported) / reported <= 0.10
        ):
            what = (
                f"the {move['event']} of {abs(move['change'])} ({move['country']}) on "
                f"{move['date'].isoformat()}"
            )
            return (
                f"The reported figure matches the count without {what}, which it seems "
                "not to include yet."
                if before
                else f"The reported figure matches the count including {what}, which it seems "
                "to count already."
            )
    parts = []
    if snap["qualifier"] not in (None, "exact"):
        parts.append(
            f"the source gave a {snap['qualifier'].replace('_', ' ')} figure "
            f"({snap['value_as_written']})"
        )
    if snap["note"]:
        parts.append(snap["note"])
    if computed > reported:
        parts.append("departures and rotations without reported numbers are not subtracted")
    return "; ".join(parts) or "no reported movement explains the gap"


def mandates(known: pl.DataFrame) -> pl.DataFrame:
    rows = known.filter(
        (pl.col("kind") == "mandate")
        & (pl.col("status") == "used")
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


def money(known: pl.DataFrame) -> pl.DataFrame:
    rows = known.filter(
        (pl.col("kind") == "money")
        & (pl.col("status") == "used")
        & pl.col("value").is_not_null()
        & pl.col("event_first").is_not_null()
    )
    return rows.select(
        "figure_id",
        pl.col("event_last").alias("date"),
        "measure",
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
    pledged_vs_deployed: pl.DataFrame
    timeline: pl.DataFrame
    strength: pl.DataFrame
    mandates: pl.DataFrame
    money: pl.DataFrame


def build_tables(
    figures: pl.DataFrame,
    decisions: pl.DataFrame,
    as_of: dt.date,
    countries: CountryNames,
    log: CleaningLog,
) -> MssTables:
    """Everything the report needs about the mission, as known on ``as_of``."""
    known = apply_as_of(figures, decisions, as_of, log)
    timeline = personnel_events(known, countries, log).filter(pl.col("date") <= as_of)
    pledges = pledges_by_country(known, log)
    table = pledged_vs_deployed(pledges, timeline, as_of, countries)
    low = table.filter(pl.col("pledged").is_not_null() & (pl.col("pledge_confidence") == "low"))
    if low.height:
        log.add(
            "pledged_vs_deployed",
            "pledge from a single low-confidence report: listed, not counted in the total",
            low.height,
            figure_ids=low["pledge_figure_ids"].to_list(),
        )
    return MssTables(
        figures=known,
        pledged_vs_deployed=table,
        timeline=timeline,
        strength=strength_check(known, timeline, countries, log),
        mandates=mandates(known),
        money=money(known),
    )
