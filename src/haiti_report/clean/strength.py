"""Personnel in Haiti, by country and for the whole mission: the one strength model.

Every personnel number the report prints about who was in Haiti comes from the table this
module builds (``personnel_in_haiti.csv``). The rules, in the words the methodology uses:

1. **Reported counts first.** A country's count is set by each count reported for it ("735
   Kenyan officers"), and moved between reports by its arrivals and departures. A reported
   mission total set out country by country (a *breakdown*) sets every country at once; a
   country the breakdown does not list had nobody there.
2. **Precision.** An exact reported count always sets the count. A rounded one ("about 700")
   sets it only when the count we have is less precise than the report or falls outside what
   the report allows (about 700: 650–750); otherwise the more precise count stands. A bound
   ("more than 700", "fewer than 1,000") is checked against the count; only where the count
   breaks it does the count become the bound ("fewer than 1,000").
3. **Which reports.** Only counts dated to a day, published by the as-of date, not set aside
   by a decision and not from a low-confidence source. Several reports of one scope on one
   day are one report: the decision's choice, else the one whose source is dated to the day
   (a month-dated source never displaces a day-dated one), then the most precise figure, the
   most confident source, the earliest published.
4. **Movements.** Several reports of one arrival or departure count once (same country, kind
   and day, or the same ``event`` label). A departure within ``ROTATION_DAYS`` after an arrival
   of the same country is a handover, counted on the arrival's day: a rotation replaces, never
   adds. A movement whose size is disputed (a decision keeps both figures) moves the count by
   a range; a departure without a number leaves an upper bound ("up to"), an arrival without
   one a lower bound ("at least"). A ``rotation`` row without a separate departure changes
   nothing.
5. **The whole mission.** A reported mission total sets the whole-mission count, which moves
   with every country's arrivals and departures. When a country's count is set by a report,
   the whole-mission count becomes the sum of the country counts if that sum is at least as
   precise as the count it replaces. So the mission count is always the most recent, most
   precise information; where it differs from the sum of the countries, both are kept and the
   report says so.

Each row of the table is one scope (a country, or the whole mission) on a day its count
changed, with the value, its bounds and qualifier, what it rests on (``basis``), the reported
figure it was last set by, and the sources behind it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import polars as pl

from haiti_report.clean.tables import CleaningLog
from haiti_report.core.vocab import (
    COUNT_QUALIFIERS,
    LOWER_BOUNDS,
    ROUNDED_QUALIFIERS,
    UPPER_BOUNDS,
    Basis,
    CheckVerdict,
    Confidence,
    FigureKind,
    FigureStatus,
    Precision,
    Qualifier,
)

ROTATION_DAYS = 3  # a departure this soon after the same country's arrival is a handover
MISSION = "mission"  # the scope of whole-mission rows (iso3 is null)
MISSION_SCOPES = ("MSS total", "GSF total")  # how figures.csv names the whole mission
IN_COUNTRY = "in_country"  # the strength measure that counts people in Haiti
_PRECISION_RANK = {Qualifier.EXACT: 0, Qualifier.ABOUT: 1, Qualifier.NEARLY: 1}
_CONFIDENCE_RANK = {Confidence.HIGH: 0, Confidence.MEDIUM: 1, Confidence.LOW: 2}


@dataclass(frozen=True)
class Count:
    """A number of people with what is known about it: ``low``..``high`` (``high`` None:
    no upper bound) and the qualifier a reader sees ("about", "up to", "between")."""

    value: int | None
    low: int
    high: int | None
    qualifier: Qualifier = Qualifier.EXACT

    @staticmethod
    def exact(n: int) -> Count:
        return Count(n, n, n)

    @property
    def width(self) -> float:
        return float("inf") if self.high is None else self.high - self.low

    def overlaps(self, other: Count) -> bool:
        return (other.high is None or self.low <= other.high) and (
            self.high is None or other.low <= self.high
        )

    def __add__(self, other: Count) -> Count:
        value = None if self.value is None or other.value is None else self.value + other.value
        high = None if self.high is None or other.high is None else self.high + other.high
        low = max(0, self.low + other.low)
        return Count(
            None if value is None else max(0, value),
            low,
            high if high is None else max(low, high),
            _combine(self.qualifier, other.qualifier),
        )


ZERO = Count.exact(0)


def _combine(a: Qualifier, b: Qualifier) -> Qualifier:
    """The qualifier of a sum: the least certain part decides."""
    kinds = {a, b}
    if Qualifier.RANGE in kinds or (kinds & UPPER_BOUNDS and kinds & LOWER_BOUNDS):
        return Qualifier.RANGE
    for bound in (Qualifier.UP_TO, Qualifier.AT_LEAST):
        if bound in kinds:
            return bound
    if kinds & ROUNDED_QUALIFIERS:
        return Qualifier.ABOUT
    return Qualifier.EXACT


@dataclass(frozen=True)
class Movement:
    day: dt.date
    iso3: str
    kind: FigureKind
    figure_ids: tuple[str, ...]  # every report of this one movement
    source_ids: tuple[str, ...]
    size: Count | None  # None: reported without a number

    def delta(self, current: Count) -> Count:
        if self.kind == FigureKind.ROTATION:
            return ZERO
        if self.size is None:  # a bound, not a number
            if self.kind == FigureKind.ARRIVAL:
                return Count(0, 0, None, Qualifier.AT_LEAST)
            return Count(
                0, -(current.high if current.high is not None else current.low), 0, Qualifier.UP_TO
            )
        if self.kind == FigureKind.ARRIVAL:
            return self.size
        s = self.size
        return Count(
            None if s.value is None else -s.value,
            -(s.high if s.high is not None else s.low),
            -s.low,
            s.qualifier,
        )


@dataclass(frozen=True)
class Report:
    """A reported count for one scope on one day (rule 3 picked it among that day's)."""

    day: dt.date
    iso3: str | None  # None: the whole mission
    figure_id: str
    source_id: str
    count: Count
    parts: tuple[Report, ...] = ()  # a breakdown: its country counts


@dataclass
class _State:
    count: Count = ZERO
    basis: Basis = Basis.MOVEMENTS
    anchor: str | None = None  # the figure the count was last set by
    anchor_day: dt.date | None = None
    sources: list[str] = field(default_factory=list)  # behind the count since it was set


# --- inputs ----------------------------------------------------------------------------------


def figure_count(row: dict) -> Count | None:
    """A figure's number as a Count (bounds from the value parser), None without a number."""
    if row["value"] is None:
        return None
    value, qualifier = int(row["value"]), Qualifier(row["qualifier"])
    low = int(row["low"]) if row["low"] is not None else 0
    high = int(row["high"]) if row["high"] is not None else None
    return Count(value, low, high, qualifier)


def movements(known: pl.DataFrame, disputed: dict[str, str], log: CleaningLog) -> list[Movement]:
    """Arrivals, departures and rotations in Haiti, one per movement (rule 4).

    ``disputed``: figure id -> decision id, for figures a decision kept together as the range
    of one disputed movement."""
    rows = known.filter(
        pl.col("kind").is_in(
            [k.value for k in (FigureKind.ARRIVAL, FigureKind.DEPARTURE, FigureKind.ROTATION)]
        )
        & (pl.col("status") == FigureStatus.USED)
    )
    skipped = rows.filter((pl.col("measure") != "personnel") | pl.col("event_last").is_null())
    if skipped.height:
        log.add(
            "personnel_in_haiti",
            "not counted in Haiti: offshore, not personnel or undated",
            skipped.height,
            figure_ids=skipped["figure_id"].to_list(),
        )
    rows = rows.filter((pl.col("measure") == "personnel") & pl.col("event_last").is_not_null())
    groups: dict[tuple, list[dict]] = {}
    for row in rows.iter_rows(named=True):
        key = (row["iso3"], row["kind"], row["event"] or row["event_last"])
        groups.setdefault(key, []).append(row)
    found = []
    for reports in groups.values():
        found.append(_one_movement(reports, disputed, log))
    return _handovers(sorted(found, key=lambda m: (m.day, m.iso3, m.kind)), log)


def _one_movement(reports: list[dict], disputed: dict[str, str], log: CleaningLog) -> Movement:
    ranked = sorted(reports, key=_rank)
    numbered = [r for r in ranked if r["value"] is not None]
    kept = [r for r in numbered if r["figure_id"] in disputed]
    if len({int(r["value"]) for r in kept}) > 1:
        low, high = min(int(r["value"]) for r in kept), max(int(r["value"]) for r in kept)
        size: Count | None = Count(None, low, high, Qualifier.RANGE)
        log.add(
            "personnel_in_haiti",
            "disputed movement: counted as the range of the reports a decision kept",
            len(kept),
            figure_ids=[r["figure_id"] for r in kept],
        )
    elif numbered:
        size = figure_count(numbered[0])
    else:
        size = None
    best = (numbered or ranked)[0]
    if len(reports) > 1:
        log.add(
            "personnel_in_haiti",
            "other reports of the same movement (counted once)",
            len(reports) - 1,
            figure_ids=[r["figure_id"] for r in reports if r is not best],
        )
    return Movement(
        day=min(r["event_last"] for r in reports),
        iso3=best["iso3"],
        kind=FigureKind(best["kind"]),
        figure_ids=tuple(sorted(r["figure_id"] for r in reports)),
        source_ids=tuple(sorted({r["source_id"] for r in reports})),
        size=size,
    )


def _rank(row: dict) -> tuple:
    """Best report first: day-dated source, precise figure, confident source, earliest."""
    return (
        row["published_precision"] != Precision.DAY,
        _PRECISION_RANK.get(row["qualifier"], 9) if row["qualifier"] else 10,
        _CONFIDENCE_RANK[row["confidence"]],
        row["published"] or dt.date.max,
        row["figure_id"],
    )


def _handovers(found: list[Movement], log: CleaningLog) -> list[Movement]:
    arrivals = [m for m in found if m.kind == FigureKind.ARRIVAL]
    out, moved = [], []
    for m in found:
        if m.kind == FigureKind.DEPARTURE:
            match = [
                a
                for a in arrivals
                if a.iso3 == m.iso3
                and dt.timedelta(0) < m.day - a.day <= dt.timedelta(days=ROTATION_DAYS)
            ]
            if match:
                m = replace(m, day=match[-1].day)
                moved += m.figure_ids
        out.append(m)
    if moved:
        log.add(
            "personnel_in_haiti",
            "handover: a departure days after an arrival of the same "
            "country is counted on the arrival day",
            len(moved),
            figure_ids=moved,
        )
    return sorted(out, key=lambda m: (m.day, m.iso3, m.kind))


def reports(known: pl.DataFrame, log: CleaningLog) -> list[Report]:
    """The reported counts that may set a count (rule 3), one per scope and day, with each
    breakdown's country counts attached to its total."""
    rows = known.filter((pl.col("kind") == FigureKind.STRENGTH) & (pl.col("measure") == IN_COUNTRY))
    usable = rows.filter(
        (pl.col("status") == FigureStatus.USED)
        & pl.col("qualifier").is_in(
            [q.value for q in COUNT_QUALIFIERS | LOWER_BOUNDS | UPPER_BOUNDS]
        )
        & (pl.col("confidence") != Confidence.LOW)
        & (pl.col("event_first") == pl.col("event_last"))
        & (
            pl.col("country").is_in(MISSION_SCOPES)
            | ~pl.col("iso3").fill_null(";").str.contains(";")
        )
    )
    by_scope: dict[tuple, list[dict]] = {}
    for row in usable.iter_rows(named=True):
        scope = None if row["country"] in MISSION_SCOPES else row["iso3"]
        by_scope.setdefault((scope, row["event_last"]), []).append(row)
    parts: dict[str, list[Report]] = {}
    chosen: list[Report] = []
    for (scope, day), candidates in sorted(
        by_scope.items(), key=lambda kv: (kv[0][1], kv[0][0] or "")
    ):
        best = sorted(candidates, key=_rank)[0]
        report = Report(day, scope, best["figure_id"], best["source_id"], figure_count(best))
        if best.get("part_of"):
            parts.setdefault(best["part_of"], []).append(report)
        else:
            chosen.append(report)
        if len(candidates) > 1:
            log.add(
                "personnel_in_haiti",
                "several counts of one scope on one day: one used",
                len(candidates) - 1,
                figure_ids=[c["figure_id"] for c in candidates if c is not best],
            )
    return [replace(r, parts=tuple(parts.get(r.figure_id, ()))) for r in chosen] + [
        p for total, ps in parts.items() if total not in {r.figure_id for r in chosen} for p in ps
    ]


# --- the walk --------------------------------------------------------------------------------


def _sets(report: Count, current: Count) -> bool:
    """Rule 2: does a reported count set the count we have?"""
    if report.qualifier == Qualifier.EXACT:
        return True
    if report.qualifier in LOWER_BOUNDS | UPPER_BOUNDS:  # a bound only when the count breaks it
        return not current.overlaps(report)
    return current.width > report.width or not current.overlaps(report)


def personnel_in_haiti(
    moves: Iterable[Movement],
    counts: Iterable[Report],
    names: dict[str, str],
    as_of: dt.date,
) -> pl.DataFrame:
    """Walk every day something moved or was reported, in date order; one row per scope and
    day whose count changed (and a closing row per scope on ``as_of``)."""
    moves = [m for m in moves if m.day <= as_of]
    counts = [r for r in counts if r.day <= as_of]
    days = sorted({m.day for m in moves} | {r.day for r in counts})
    countries: dict[str, _State] = {}
    mission = _State()
    rows: list[dict] = []
    for day in days:
        todays = [m for m in moves if m.day == day]
        for m in todays:  # movements first: a count reported on a day includes its movements
            state = countries.setdefault(m.iso3, _State())
            delta = m.delta(state.count)
            _move(state, delta, m.source_ids)
            _move(mission, delta, m.source_ids)
        set_today = {m.iso3 for m in todays}
        reported = [r for r in counts if r.day == day]
        for r in reported:
            for part in [r, *r.parts] if r.iso3 else r.parts:
                if part.iso3 is None:
                    continue
                state = countries.setdefault(part.iso3, _State())
                if _sets(part.count, state.count):
                    _anchor(state, part)
                    set_today.add(part.iso3)
            if r.parts:  # a full breakdown: countries it does not list had nobody there
                listed = {p.iso3 for p in r.parts}
                for iso3, state in countries.items():
                    if iso3 not in listed and state.count != ZERO:
                        _anchor(state, Report(day, iso3, r.figure_id, r.source_id, ZERO))
                        set_today.add(iso3)
        if any(
            countries[i].basis == Basis.REPORTED and countries[i].anchor_day == day
            for i in set_today
            if i in countries
        ):
            total = _sum(countries.values())
            if total.width <= mission.count.width:
                mission.count, mission.basis = total, Basis.SUM_OF_COUNTRIES
                mission.anchor, mission.anchor_day = None, day
                mission.sources = sorted({s for st in countries.values() for s in st.sources})
        for r in reported:
            if r.iso3 is None and _sets(r.count, mission.count):
                _anchor(mission, r)
        for iso3 in sorted(set_today | {m.iso3 for m in todays}):
            rows.append(_row(day, iso3, names.get(iso3, iso3), countries[iso3]))
        rows.append(_row(day, None, "Whole mission", mission))
    for iso3, state in sorted(countries.items()):
        rows.append(_row(as_of, iso3, names.get(iso3, iso3), state))
    if days:
        rows.append(_row(as_of, None, "Whole mission", mission))
    return _frame(rows)


def _move(state: _State, delta: Count, sources: Iterable[str]) -> None:
    state.count = state.count + delta
    if state.basis == Basis.REPORTED:
        state.basis = Basis.REPORTED_PLUS_MOVEMENTS
    state.sources = sorted({*state.sources, *sources})


def _anchor(state: _State, report: Report) -> None:
    state.count, state.basis = report.count, Basis.REPORTED
    state.anchor, state.anchor_day, state.sources = report.figure_id, report.day, [report.source_id]


def _sum(states: Iterable[_State]) -> Count:
    total = ZERO
    for s in states:
        total = total + s.count
    return total


SCHEMA = {
    "date": pl.Date,
    "scope": pl.String,
    "iso3": pl.String,
    "name": pl.String,
    "value": pl.Int64,
    "low": pl.Int64,
    "high": pl.Int64,
    "qualifier": pl.String,
    "basis": pl.String,
    "anchor_figure_id": pl.String,
    "anchor_date": pl.Date,
    "source_ids": pl.String,
}


def _row(day: dt.date, iso3: str | None, name: str, state: _State) -> dict:
    c = state.count
    return {
        "date": day,
        "scope": MISSION if iso3 is None else "country",
        "iso3": iso3,
        "name": name,
        "value": c.value,
        "low": c.low,
        "high": c.high,
        "qualifier": c.qualifier.value,
        "basis": state.basis.value,
        "anchor_figure_id": state.anchor,
        "anchor_date": state.anchor_day,
        "source_ids": "; ".join(state.sources) or None,
    }


def _frame(rows: list[dict]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=SCHEMA)
    # One row per scope and day: the end-of-day state (a closing row on as_of may repeat it).
    return frame.unique(["date", "scope", "iso3"], keep="last", maintain_order=True).sort(
        "date", "scope", "iso3", nulls_last=True
    )


def on(series: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    """Each scope's row in force at the end of ``day`` (the last change on or before it)."""
    return (
        series.filter(pl.col("date") <= day)
        .sort("date")
        .group_by("scope", "iso3", maintain_order=True)
        .last()
        .sort("scope", "iso3", nulls_last=True)
    )


# --- the check -------------------------------------------------------------------------------


def check(known: pl.DataFrame, series: pl.DataFrame, used: set[str]) -> pl.DataFrame:
    """Every reported strength figure set beside the count on its day (or over its month):
    whether it set the count, agrees within its own precision, differs, or was not used."""
    rows = known.filter(
        (pl.col("kind") == FigureKind.STRENGTH)
        & (pl.col("measure") == IN_COUNTRY)
        & pl.col("value").is_not_null()
        & pl.col("event_last").is_not_null()
        & (
            pl.col("country").is_in(MISSION_SCOPES)
            | ~pl.col("iso3").fill_null(";").str.contains(";")
        )
    )
    out = []
    for row in rows.iter_rows(named=True):
        mission = row["country"] in MISSION_SCOPES
        scope = (
            series.filter(pl.col("scope") == MISSION)
            if mission
            else series.filter(pl.col("iso3") == row["iso3"])
        )
        window = scope.filter(pl.col("date").is_between(row["event_first"], row["event_last"]))
        before = on(scope, row["event_first"])
        values = pl.concat([before.select(window.columns), window]) if before.height else window
        reported = figure_count(row)
        verdict = _verdict(row, reported, values, used)
        nearest = _nearest(values, reported)
        out.append(
            {
                "figure_id": row["figure_id"],
                "date": row["event_last"],
                "event_date": row["event_date"],
                "scope": MISSION if mission else "country",
                "iso3": None if mission else row["iso3"],
                "reported": reported.value,
                "reported_as_written": row["value_as_written"],
                "qualifier": row["qualifier"],
                "count_value": nearest.get("value"),
                "count_low": nearest.get("low"),
                "count_high": nearest.get("high"),
                "count_qualifier": nearest.get("qualifier"),
                "verdict": verdict.value,
                "reason": _reason(row, verdict),
                "confidence": row["confidence"],
                "source_id": row["source_id"],
            }
        )
    schema = {
        "figure_id": pl.String,
        "date": pl.Date,
        "event_date": pl.String,
        "scope": pl.String,
        "iso3": pl.String,
        "reported": pl.Int64,
        "reported_as_written": pl.String,
        "qualifier": pl.String,
        "count_value": pl.Int64,
        "count_low": pl.Int64,
        "count_high": pl.Int64,
        "count_qualifier": pl.String,
        "verdict": pl.String,
        "reason": pl.String,
        "confidence": pl.String,
        "source_id": pl.String,
    }
    return pl.DataFrame(out, schema=schema).sort(
        "date", "scope", "iso3", "figure_id", nulls_last=True
    )


def _as_count(row: dict) -> Count:
    return Count(row["value"], row["low"], row["high"], Qualifier(row["qualifier"]))


def _nearest(values: pl.DataFrame, reported: Count) -> dict:
    """The count on the day (or the day in the month) that comes closest to the report."""
    if values.is_empty():
        return {}
    best = min(
        values.iter_rows(named=True),
        key=lambda r: (
            0 if _as_count(r).overlaps(reported) else 1,
            abs((r["value"] if r["value"] is not None else r["low"]) - (reported.value or 0)),
        ),
    )
    return best


def _verdict(row: dict, reported: Count, values: pl.DataFrame, used: set[str]) -> CheckVerdict:
    if row["figure_id"] in used:
        return CheckVerdict.ANCHOR
    if row["status"] != FigureStatus.USED or row["confidence"] == Confidence.LOW:
        return CheckVerdict.NOT_USED
    counts = [_as_count(r) for r in values.iter_rows(named=True)]
    if not counts:
        return CheckVerdict.DIFFERS if reported.value else CheckVerdict.AGREES
    agrees = any(c.overlaps(reported) for c in counts)
    if reported.qualifier in LOWER_BOUNDS | UPPER_BOUNDS:
        return CheckVerdict.BOUND_HOLDS if agrees else CheckVerdict.BOUND_BROKEN
    return CheckVerdict.AGREES if agrees else CheckVerdict.DIFFERS


def _reason(row: dict, verdict: CheckVerdict) -> str | None:
    """Why a figure was not used or did not set the count, from the data."""
    if verdict == CheckVerdict.NOT_USED:
        if row["status"] == FigureStatus.SET_ASIDE:
            return f"set aside by decision {row['decision_id']}"
        if row["status"] != FigureStatus.USED:
            return row["status"].replace("_", " ")
        return "single low-confidence source"
    if (
        verdict in (CheckVerdict.DIFFERS, CheckVerdict.AGREES)
        and row["event_first"] != row["event_last"]
    ):
        return "dated only to a month: compared, not used as a count"
    if verdict == CheckVerdict.AGREES:
        if row["qualifier"] == Qualifier.EXACT:
            return "the same count, reported by another source"
        return "a rounder figure consistent with the count: the more precise count stands"
    return None
