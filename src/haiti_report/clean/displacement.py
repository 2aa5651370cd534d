"""Internal displacement in Haiti (IOM DTM rounds) and its context, as known on a given date.

The rules, in the order the cleaning applies them (the report's methodology repeats them):

1. **As of.** A figure counts only if its source was published on or before ``as_of`` (the END
   of a partial date: "2024-10" counts from 31 October 2024) and the period it counts had ended
   by then. Context series (killings, food insecurity) only need the publication date: an IPC
   projection published by ``as_of`` was known then, and is marked ``projected``.
2. **Dates.** A figure's date is its ``published`` cell, else its source's date in sources.csv.
   Exact IOM figures with neither (the HDX metadata mirror, the saved API snapshot) are dated by
   the earliest dated publication of any figure of the SAME round, national or department: IOM
   publishes a round's numbers together. Each such dating is logged. A figure with no date at
   all (and no dated IOM figure in its round) is never counted: unknown stays unknown.
3. **Decisions.** decisions.csv rows that name displacement figures apply once their chosen
   figure is known by ``as_of``: the rejected figures of the same round (or department, or
   context period) are set aside and the chosen one wins. A decision whose chosen and rejected
   figures belong to different rounds (e.g. "the UN expert's 700,000 is round 8, not round 7")
   compares rounds for a claim; it chooses nothing in the series and is logged as not applied.
4. **One figure per round** (national), per round and department, and per context period: the
   decision's choice, else the most precise figure known by ``as_of`` - exact before qualified
   ("about", "more than"), then the finest rounding (1,041,229 before 1,041,000), then the
   earliest published, the most confident source. So the series shows IOM's rounded press
   figure, with its qualifier, until the exact count is known. Figures with no round (an IOM
   situation report) are not part of the round series.
5. **DTM files** (:mod:`haiti_report.clean.dtm_files`): the files ``make update`` keeps in
   ``data/raw/displacement/dtm/`` (read by every build, each with its sources.csv row) and any
   passed with ``dtm_files``; only the "Countrywide monitoring" operation and baseline (BA) rows;
   DTM round "10" is "R10". Each file figure (national only from a complete national baseline)
   is one more candidate under rule 4, where the fact base wins a tie: a round known from a dated
   source keeps that source's date, figure and credit; a file adds rounds and departments the
   fact base lacks, or the exact count where only a rounded one is known. A file figure counts
   from its round's first dated publication in the fact base, never later than the day the file
   was retrieved; a round the fact base lacks counts from the retrieval day (a file with no
   retrieval date: from its reporting month's end). Where a file's number differs from the
   figure used, both go to the cleaning log. A file record whose national figure contradicts
   IOM's own published wording for the round counts something narrower and is not used at any
   level (the API's round 1 is 24,212 people in sites, IOM said "more than 113,000"); nor is a
   file number that a decision rejected. Both are logged.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from haiti_report.clean import dtm_files
from haiti_report.clean.dtm_files import DtmInput, dtm_round, round_from_name  # noqa: F401  (re-exported)
from haiti_report.clean.tables import CleaningLog, write_run_record, write_table
from haiti_report.core.dates import parse_date_span
from haiti_report.core.errors import InputError
from haiti_report.core.queries import round_number
from haiti_report.core.schemas import COVERAGES, Context, IdpsDepartments, IdpsNational
from haiti_report.raw.decisions import read_decisions
from haiti_report.raw.files import LINE, fail_row, raise_on_duplicates, read_raw_csv
from haiti_report.raw.sources import IOM_DTM_CREDIT, check_source_ids, load_sources, split_ids
from haiti_report.raw.values import ReportedValue, parse_optional, parse_reported_value

NATIONAL_COLUMNS = (
    "figure_id",
    "fact_ref",
    "round",
    "reference_period_start",
    "reference_period_end",
    "api_reporting_date",  # the DTM API's month-end stamp: not the period, not the publication
    "published",
    "coverage",
    "departments_covered",
    "value_as_written",
    "households",
    "sites",
    "source_id",
    "confidence",
    "note",
)
DEPARTMENT_COLUMNS = (
    "figure_id",
    "fact_ref",
    "round",
    "department",
    "pcode",
    "reference_period_start",
    "reference_period_end",
    "api_reporting_date",
    "published",
    "value_as_written",
    "source_id",
    "confidence",
    "note",
)
CONTEXT_COLUMNS = (
    "figure_id",
    "fact_ref",
    "series",
    "geography",
    "period_start",
    "period_end",
    "published",
    "value_as_written",
    "unit",
    "source_id",
    "confidence",
    "note",
)
CONFIDENCE = ("high", "medium", "low")
DEPARTMENTS = 10  # Haiti's departments, P-codes HT01..HT10
STEP = "clean_displacement"
OUT_SUBDIR = Path("data") / "displacement"
NATIONAL_KEYS = ("round",)
DEPARTMENT_KEYS = ("round", "pcode")
CONTEXT_KEYS = ("series", "geography", "period_start", "period_end")
_ROUND = re.compile(r"^R\d+(\.\d+)?$")
_PCODE = re.compile(r"^HT\d{2}$")
UNDATED = "undated: no publication date, never counted"
_IOM = re.compile(r"\b(iom|oim|dtm)\b|displacement tracking matrix", re.IGNORECASE)
_CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2}


def raw_paths(raw_dir: str | Path) -> dict[str, Path]:
    base = Path(raw_dir)
    return {
        "national": base / "displacement" / "idps_national.csv",
        "departments": base / "displacement" / "idps_departments.csv",
        "context": base / "displacement" / "context.csv",
        "decisions": base / "decisions.csv",
    }


@dataclass(frozen=True)
class RawDisplacement:
    """The raw files, checked and parsed: every figure, whatever its date."""

    national: pl.DataFrame
    departments: pl.DataFrame
    context: pl.DataFrame
    decisions: pl.DataFrame  # decisions naming displacement figures; chosen/rejected are lists
    dtm_inputs: tuple[DtmInput, ...] = ()  # files in data/raw/displacement/dtm/ (rule 5)


@dataclass(frozen=True)
class Tables:
    """The processed tables at one as-of date."""

    national: pl.DataFrame
    departments: pl.DataFrame
    context: pl.DataFrame


# ------------------------------------------------------------------------------------------
# Reading and parsing the raw files
# ------------------------------------------------------------------------------------------


def precision_of(value: ReportedValue) -> int | None:
    """The place value of the last non-zero digit: 1,041,229 -> 1; 1,041,000 -> 1,000.

    Prefers the finer of two figures that are both written without a qualifier."""
    number = value.value
    if not isinstance(number, int):
        return None  # percentages: not compared by rounding
    step = 1
    while number and number % 10 == 0:
        number //= 10
        step *= 10
    return step


def _span(path: Path, row: dict[str, Any], column: str) -> Any:
    text = row[column]
    return None if text is None else parse_date_span(text, file=path, row=row[LINE], column=column)


def _check_choice(
    frame: pl.DataFrame, path: Path, index: int, column: str, allowed: Sequence[str]
) -> None:
    if frame[column][index] not in allowed:
        raise fail_row(
            path, frame, index, column, f"unknown {column}", f"Use one of: {', '.join(allowed)}"
        )


def _read(
    path: Path, columns: Sequence[str], required: Sequence[str], sources: pl.DataFrame
) -> pl.DataFrame:
    frame = read_raw_csv(path, columns, required=required)
    raise_on_duplicates(frame, path, "figure_id")
    check_source_ids(frame, path, sources)
    return frame


def _common(frame: pl.DataFrame, path: Path, index: int, row: dict[str, Any]) -> dict[str, Any]:
    """Value, publication date and confidence: the cells every figure file shares."""
    _check_choice(frame, path, index, "confidence", CONFIDENCE)
    # No default unit: the text says whether it is a percentage ("54%"); otherwise people.
    value = parse_reported_value(
        row["value_as_written"], file=path, row=row[LINE], column="value_as_written"
    )
    published = _span(path, row, "published")
    return {
        "figure_id": row["figure_id"],
        "fact_ref": row["fact_ref"],
        "value_as_written": row["value_as_written"],
        "source_id": row["source_id"],
        "confidence": row["confidence"],
        "note": row["note"],
        "line": row[LINE],
        "published_given": published.last if published else None,
        "value": value.value,
        "low": value.low,
        "high": value.high,
        "qualifier": value.qualifier,
        "value_unit": value.unit,
        "precision": precision_of(value),
    }


def _check_round(frame: pl.DataFrame, path: Path, index: int) -> None:
    text = frame["round"][index]
    if text is not None and not _ROUND.match(text):
        raise fail_row(
            path,
            frame,
            index,
            "round",
            "not a round name",
            "Write the round as R<number>, e.g. R10 or R5.1",
        )


_FIGURE_SCHEMA = {
    "value": pl.Float64,
    "low": pl.Float64,
    "high": pl.Float64,
    "precision": pl.Int64,
    "published_given": pl.Date,
    "qualifier": pl.String,
    "value_unit": pl.String,
    "fact_ref": pl.String,
    "note": pl.String,
    "round": pl.String,
}


def _frame(rows: list[dict[str, Any]], extra: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema_overrides={**_FIGURE_SCHEMA, **extra}, infer_schema_length=None
    )


def load_national(path: Path, sources: pl.DataFrame) -> pl.DataFrame:
    frame = _read(
        path,
        NATIONAL_COLUMNS,
        ("figure_id", "value_as_written", "source_id", "confidence"),
        sources,
    )
    rows = []
    for i, row in enumerate(frame.iter_rows(named=True)):
        _check_round(frame, path, i)
        if row["round"] is not None or row["coverage"] is not None:
            # the report says when growth is only wider coverage: a round needs its coverage
            _check_choice(frame, path, i, "coverage", COVERAGES)
        covered = row["departments_covered"]
        if covered is not None and (not covered.isdigit() or not 1 <= int(covered) <= DEPARTMENTS):
            raise fail_row(
                path,
                frame,
                i,
                "departments_covered",
                "not a number of departments from 1 to 10",
                "Write how many of Haiti's 10 departments the round covered",
            )
        start, end, stamp = (
            _span(path, row, "reference_period_start"),
            _span(path, row, "reference_period_end"),
            _span(path, row, "api_reporting_date"),
        )
        counts = {
            c: parse_optional(row[c], unit=c, file=path, row=row[LINE], column=c)
            for c in ("households", "sites")
        }
        rows.append(
            {
                **_common(frame, path, i, row),
                "round": row["round"],
                "reference_period_start": start.first if start else None,
                "reference_period_end": end.last if end else None,  # None: IOM gave no period
                "api_reporting_date": stamp.last if stamp else None,
                "coverage": row["coverage"],
                "departments_covered": int(covered) if covered else None,
                **{c: v.value if v else None for c, v in counts.items()},
            }
        )
    return _frame(
        rows,
        {
            "reference_period_start": pl.Date,
            "reference_period_end": pl.Date,
            "api_reporting_date": pl.Date,
            "departments_covered": pl.Int64,
            "households": pl.Int64,
            "sites": pl.Int64,
            "coverage": pl.String,
        },
    )


def load_departments(path: Path, sources: pl.DataFrame) -> pl.DataFrame:
    frame = _read(
        path,
        DEPARTMENT_COLUMNS,
        (
            "figure_id",
            "round",
            "department",
            "pcode",
            "value_as_written",
            "source_id",
            "confidence",
        ),
        sources,
    )
    rows = []
    for i, row in enumerate(frame.iter_rows(named=True)):
        _check_round(frame, path, i)
        if not _PCODE.match(row["pcode"]):
            raise fail_row(
                path,
                frame,
                i,
                "pcode",
                "not a department P-code",
                "Use HT01 (Ouest) ... HT10 (Nippes)",
            )
        rows.append(
            {
                **_common(frame, path, i, row),
                "round": row["round"],
                "department": row["department"],
                "pcode": row["pcode"],
                **_periods(path, row),
            }
        )
    return _frame(rows, dict.fromkeys(_PERIODS, pl.Date))


_PERIODS = ("reference_period_start", "reference_period_end", "api_reporting_date")


def _periods(path: Path, row: dict[str, Any]) -> dict[str, dt.date | None]:
    """IOM's reference period (first and last day) and the API's reporting stamp."""
    spans = {c: _span(path, row, c) for c in _PERIODS}
    return {
        c: (None if s is None else s.first if c == _PERIODS[0] else s.last)
        for c, s in spans.items()
    }


def load_context(path: Path, sources: pl.DataFrame) -> pl.DataFrame:
    frame = _read(
        path,
        CONTEXT_COLUMNS,
        (
            "figure_id",
            "series",
            "geography",
            "period_end",
            "value_as_written",
            "unit",
            "source_id",
            "confidence",
        ),
        sources,
    )
    rows = []
    for i, row in enumerate(frame.iter_rows(named=True)):
        start, end = _span(path, row, "period_start"), _span(path, row, "period_end")
        rows.append(
            {
                **_common(frame, path, i, row),
                "round": None,
                "series": row["series"],
                "geography": row["geography"],
                "unit": row["unit"],
                "period_start": start.first if start else None,
                "period_end": end.last,
            }
        )
    return _frame(rows, {"period_start": pl.Date, "period_end": pl.Date})


def load_decisions(path: Path, known_ids: set[str]) -> pl.DataFrame:
    """The decisions that name displacement figures (any kind: "idps_national", "killings",
    ...). A decision that names one must name only figures that exist."""
    frame = read_decisions(path)
    keep = []
    for i, row in enumerate(frame.iter_rows(named=True)):
        named = split_ids(row["chosen"]) + split_ids(row["rejected"])
        if not any(n in known_ids for n in named):
            continue  # a decision about mission figures (notebook 10)
        for column in ("chosen", "rejected"):
            for figure_id in split_ids(row[column]):
                if figure_id not in known_ids:
                    raise fail_row(
                        path,
                        frame,
                        i,
                        column,
                        f"decision names figure {figure_id!r}, which is in none of "
                        "the displacement files",
                        "Use a figure_id from data/raw/displacement/*.csv",
                    )
        keep.append(i)
    return frame[keep].with_columns(
        pl.col(c).map_elements(split_ids, return_dtype=pl.List(pl.String))
        if keep
        else pl.col(c).cast(pl.List(pl.String))
        for c in ("chosen", "rejected")
    )


def load_raw(raw_dir: str | Path) -> RawDisplacement:
    """Read and check the displacement files, the sources registry and the decisions."""
    paths = raw_paths(raw_dir)
    sources = load_sources(raw_dir)
    national = load_national(paths["national"], sources)
    departments = load_departments(paths["departments"], sources)
    context = load_context(paths["context"], sources)
    ids = [*national["figure_id"], *departments["figure_id"], *context["figure_id"]]
    if len(set(ids)) != len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})[0]
        raise InputError(
            paths["national"].parent,
            f"figure_id {twice!r} is used in two of the displacement files",
            "Give each figure its own id",
        )
    iom = {
        sid
        for sid, *words in sources.select("source_id", "outlet", "title", "via").iter_rows()
        if _IOM.search(" ".join(w or "" for w in words))
    }
    days = dict(zip(sources["source_id"], sources["published_last"], strict=True))
    return RawDisplacement(
        national=_mark_sources(national, iom, days),
        departments=_mark_sources(departments, iom, days),
        context=_mark_sources(context, iom, days),
        decisions=load_decisions(paths["decisions"], set(ids)),
        dtm_inputs=dtm_files.folder_inputs(raw_dir, sources),
    )


def _mark_sources(
    frame: pl.DataFrame, iom: set[str], days: dict[str, dt.date | None]
) -> pl.DataFrame:
    """Add ``is_iom`` (IOM's own publication or data) and ``source_published`` (the earliest
    date among the figure's sources, from sources.csv)."""
    ids = [split_ids(cell) for cell in frame["source_id"]]
    return frame.with_columns(
        pl.Series("is_iom", [any(s in iom for s in sids) for sids in ids], dtype=pl.Boolean),
        pl.Series(
            "source_published",
            [min((d for s in sids if (d := days.get(s))), default=None) for sids in ids],
            dtype=pl.Date,
        ),
    )


# ------------------------------------------------------------------------------------------
# Dating (rule 2)
# ------------------------------------------------------------------------------------------


def _own_date() -> pl.Expr:
    """The figure's own date: its cell, else its source's (the last day of a partial date)."""
    return pl.coalesce("published_given", "source_published")


def round_first_published(raw: RawDisplacement) -> pl.DataFrame:
    """Per round: the earliest own date of any of its figures, and which figure has it.
    Figures a decision set aside (e.g. for their date) do not date their round."""
    set_aside = [i for ids in raw.decisions["rejected"] for i in ids]
    dated = (
        pl.concat(
            [
                f.select(
                    "round", "figure_id", _own_date().alias("round_published")
                )
                for f in (raw.national, raw.departments)
            ]
        )
        .drop_nulls()
        .filter(~pl.col("figure_id").is_in(set_aside))
    )
    return (
        dated.sort("round_published", "figure_id")
        .group_by("round", maintain_order=True)
        .first()
        .rename({"figure_id": "round_dated_by"})
    )


def date_figures(
    frame: pl.DataFrame,
    first: pl.DataFrame | None,
    table: str,
    log: CleaningLog,
) -> pl.DataFrame:
    """Add ``published`` (the day a figure counts from) and ``dated_by`` (why that day)."""
    if first is None:
        first = pl.DataFrame(
            schema={"round": pl.String, "round_published": pl.Date, "round_dated_by": pl.String}
        )
    own = _own_date()
    by_round = (
        own.is_null()
        & pl.col("is_iom")
        & (pl.col("qualifier") == "exact")
        & pl.col("round_published").is_not_null()
    )
    out = (
        frame.join(first, on="round", how="left")
        .with_columns(
            published=pl.when(own.is_not_null())
            .then(own)
            .when(by_round)
            .then(pl.col("round_published"))
            .otherwise(pl.lit(None, dtype=pl.Date)),  # unknown stays unknown: never counted
            dated_by=pl.when(pl.col("published_given").is_not_null())
            .then(pl.lit("published"))
            .when(pl.col("source_published").is_not_null())
            .then(pl.lit("sources.csv"))
            .when(by_round)
            .then(pl.lit("round ") + pl.col("round_dated_by"))
            .otherwise(pl.lit(UNDATED)),
        )
        .drop("round_published", "round_dated_by")
    )
    for row in out.filter(pl.col("dated_by").str.starts_with("round ")).iter_rows(named=True):
        log.add(
            table,
            "dated by the first report of its round",
            1,
            f"{row['round']}: undated IOM figure {row['value_as_written']} counts from "
            f"{row['published']}, the date of {row['dated_by'].split()[-1]}",
            [row["figure_id"]],
        )
    undated = out.filter(pl.col("dated_by") == UNDATED)
    if undated.height:
        log.add(
            table,
            "undated: never counted",
            undated.height,
            "no publication date and no dated IOM figure of the same round",
            undated["figure_id"].to_list(),
        )
    return out


# ------------------------------------------------------------------------------------------
# As of, decisions, one figure per key (rules 1, 3, 4)
# ------------------------------------------------------------------------------------------


def known_by(
    frame: pl.DataFrame, as_of: dt.date, table: str, log: CleaningLog, period_end: str | None
) -> pl.DataFrame:
    """Figures published by ``as_of`` and, if ``period_end`` is given, whose period had ended
    (a partial period end such as "2024-09" is its last day)."""
    late = frame.filter(pl.col("published").is_null() | (pl.col("published") > as_of))
    if late.height:
        log.add(
            table,
            "left out: published after as_of",
            late.height,
            f"as_of {as_of}",
            late["figure_id"].to_list(),
        )
    known = frame.filter(pl.col("published") <= as_of)
    if period_end is None:
        return known
    running = known.filter(pl.col(period_end).is_not_null() & (pl.col(period_end) > as_of))
    if running.height:
        log.add(
            table,
            "left out: period not over at as_of",
            running.height,
            f"as_of {as_of}",
            running["figure_id"].to_list(),
        )
    return known.filter(pl.col(period_end).is_null() | (pl.col(period_end) <= as_of))


def apply_decisions(
    frame: pl.DataFrame, decisions: pl.DataFrame, keys: Sequence[str], table: str, log: CleaningLog
) -> pl.DataFrame:
    """Rule 3: set aside rejected figures of the same round/period as a known chosen figure;
    mark chosen figures with their ``decision_id``."""
    group_of = {r[0]: tuple(r[1:]) for r in frame.select("figure_id", *keys).iter_rows()}
    chosen: dict[str, str] = {}
    rejected: dict[str, str] = {}
    for row in decisions.iter_rows(named=True):
        picked = [c for c in row["chosen"] if c in group_of]
        if not picked:
            continue  # its chosen figure is not known yet (or is in another table)
        groups = {group_of[c] for c in picked}
        chosen.update({c: row["decision_id"] for c in picked})
        same = [r for r in row["rejected"] if group_of.get(r) in groups]
        other = [r for r in row["rejected"] if r in group_of and group_of[r] not in groups]
        rejected.update({r: row["decision_id"] for r in same})
        if same:
            log.add(
                table,
                "set aside by a decision",
                len(same),
                f"decision {row['decision_id']}: {row['topic'] or ''}".strip(),
                same,
            )
        if other:
            log.add(
                table,
                "decision not applied: compares different rounds or periods",
                len(other),
                f"decision {row['decision_id']}: {row['topic'] or ''}".strip(),
                other,
            )
    return frame.filter(~pl.col("figure_id").is_in(list(rejected))).with_columns(
        decision_id=pl.col("figure_id").replace_strict(chosen, default=None, return_dtype=pl.String)
    )


def pick_best(
    frame: pl.DataFrame, keys: Sequence[str], table: str, log: CleaningLog
) -> pl.DataFrame:
    """Rule 4: one figure per ``keys``; the others are logged as not used."""
    if "from_file" not in frame.columns:
        frame = frame.with_columns(from_file=pl.lit(False))
    ranked = frame.with_columns(
        _undecided=pl.col("decision_id").is_null(),
        _inexact=pl.col("qualifier") != "exact",
        _conf=pl.col("confidence").replace_strict(_CONFIDENCE_RANK, return_dtype=pl.Int8),
    ).sort(
        ["_undecided", "_inexact", "precision", "from_file", "published", "_conf", "figure_id"],
        nulls_last=True,
    )
    best = (
        ranked.group_by(keys, maintain_order=True).first().drop("_undecided", "_inexact", "_conf")
    )
    others = sorted(set(frame["figure_id"]) - set(best["figure_id"]))
    if others:
        log.add(
            table,
            "not used: another figure for the same round or period is preferred",
            len(others),
            "a decision's choice, else exact before qualified, the finest "
            "rounding, the fact base before a DTM file, the earliest published",
            others,
        )
    return best


# ------------------------------------------------------------------------------------------
# The three tables (rule 5, DTM files, lives in clean/dtm_files.py)
# ------------------------------------------------------------------------------------------


def _decided(
    frame: pl.DataFrame,
    raw: RawDisplacement,
    as_of: dt.date,
    keys: Sequence[str],
    table: str,
    log: CleaningLog,
    period_end: str | None,
    first: pl.DataFrame | None,
) -> tuple[pl.DataFrame, set[tuple[Any, ...]]]:
    """Rules 1-4 on one raw table; also (key..., value) of figures a decision set aside."""
    dated = date_figures(frame, first, table, log)
    known = known_by(dated, as_of, table, log, period_end)
    decided = apply_decisions(known, raw.decisions, keys, table, log)

    # Numbers a decision rejected (not merely a rejected report of the chosen number).
    def numbers(f: pl.DataFrame) -> set[tuple[Any, ...]]:
        return {(*(r[k] for k in keys), int(r["value"])) for r in f.iter_rows(named=True)}

    gone = known.join(decided.select("figure_id"), on="figure_id", how="anti")
    return decided, numbers(gone) - numbers(decided)


def _pick(
    decided: pl.DataFrame,
    candidates: pl.DataFrame | None,
    as_of: dt.date,
    keys: Sequence[str],
    table: str,
    log: CleaningLog,
) -> pl.DataFrame:
    """Rule 4 over the fact base's figures and, where given, the DTM files' candidates."""
    pool = decided.with_columns(from_file=pl.lit(False))
    if candidates is not None and candidates.height:
        files = known_by(candidates, as_of, dtm_files.TABLE, log, "reference_period_end")
        pool = pl.concat([pool, files], how="diagonal_relaxed")
    best = pick_best(pool, keys, table, log)
    dtm_files.log_conflicts(pool, best, keys, table, log)
    return best.with_columns(
        basis=pl.when(pl.col("from_file"))
        .then(pl.col("basis"))
        .when(pl.col("decision_id").is_not_null())
        .then(pl.lit("decision ") + pl.col("decision_id"))
        .otherwise(pl.lit("fact base: most precise figure known"))
    )


def national_series(
    raw: RawDisplacement,
    as_of: dt.date,
    files: pl.DataFrame,
    log: CleaningLog,
    contradicting: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per round known by ``as_of`` (rules 1-5)."""
    no_round = raw.national.filter(pl.col("round").is_null())
    if no_round.height:
        log.add(
            "idps_national",
            "not a DTM round: not in the round series",
            no_round.height,
            "e.g. an IOM situation report",
            no_round["figure_id"].to_list(),
        )
    rounds = raw.national.filter(pl.col("round").is_not_null())
    keys = ["round"]
    decided, rejected = _decided(
        rounds.with_columns(basis=pl.lit(None, dtype=pl.String)),
        raw,
        as_of,
        keys,
        "idps_national",
        log,
        "reference_period_end",
        round_first_published(raw),
    )
    if contradicting is None:
        contradicting = dtm_files.contradicting_records(files, raw.national)
    from_files = dtm_files.file_figures(files, 0, contradicting, rejected, log)
    # Coverage and reference period belong to the round, not to the file: from any fact-base
    # figure of the round (the latest period), else all ten departments if the file has them.
    meta_cols = [
        "round",
        "coverage",
        "departments_covered",
        "reference_period_start",
        "reference_period_end",
    ]
    meta = rounds.sort("reference_period_end", descending=True).unique("round", keep="first")
    everywhere = pl.col("n_departments").fill_null(0) >= DEPARTMENTS
    candidates = dtm_files.as_candidates(
        from_files, meta.select(meta_cols), keys, pl.col("source_file") + "#" + pl.col("round")
    ).with_columns(
        coverage=pl.coalesce("coverage", pl.when(everywhere).then(pl.lit("all_departments"))),
        departments_covered=pl.coalesce(
            "departments_covered", pl.when(everywhere).then(DEPARTMENTS)
        ).cast(pl.Int64),
        sites=pl.lit(None, dtype=pl.Int64),
    )
    best = _pick(decided, candidates, as_of, keys, "idps_national", log)
    # Households and sites: from any report of the round that gives the same count (the API
    # record and IOM's dashboard of R2 agree on 155,166; only the dashboard has households).
    extra = rounds.group_by("round", "value").agg(
        pl.col("households").drop_nulls().first().alias("_hh"),
        pl.col("sites").drop_nulls().first().alias("_sites"),
    )
    best = (
        best.join(extra, on=["round", "value"], how="left")
        .with_columns(
            households=pl.coalesce("households", "_hh"),
            sites=pl.coalesce("sites", "_sites"),
        )
        .drop("_hh", "_sites")
    )
    return _finish_national(best)


def _finish_national(frame: pl.DataFrame) -> pl.DataFrame:
    ordered = frame.sort(round_number())
    # an unstated number of departments is not a change; a different stated number is
    changed = pl.col("coverage").shift(1).ne_missing(pl.col("coverage")) | (
        pl.col("departments_covered").shift(1) != pl.col("departments_covered")
    ).fill_null(False)
    return ordered.with_columns(
        coverage_changed=(pl.int_range(pl.len()) > 0) & changed,
        idps=pl.col("value").cast(pl.Int64),
        idps_low=pl.col("low").cast(pl.Int64),
        idps_high=pl.col("high").cast(pl.Int64),
        idps_as_written=pl.col("value_as_written"),
    )


def department_series(
    raw: RawDisplacement,
    as_of: dt.date,
    files: pl.DataFrame,
    log: CleaningLog,
    contradicting: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Rounds x departments known by ``as_of``; DTM files compete under the same rules."""
    keys = list(DEPARTMENT_KEYS)
    decided, rejected = _decided(
        raw.departments.with_columns(basis=pl.lit(None, dtype=pl.String)),
        raw,
        as_of,
        keys,
        "idps_departments",
        log,
        "reference_period_end",
        round_first_published(raw),
    )
    if contradicting is None:
        contradicting = dtm_files.contradicting_records(files, raw.national)
    from_files = dtm_files.file_figures(files, 1, contradicting, rejected, log).rename(
        {"admin1_pcode": "pcode"}
    )
    names = raw.departments.group_by("pcode").agg(pl.col("department").first())
    meta = (
        raw.departments.sort("reference_period_end", descending=True)
        .unique(keys, keep="first")
        .select(*keys, "reference_period_end")
    )
    candidates = dtm_files.as_candidates(
        from_files.join(names, on="pcode", how="left"),
        meta,
        keys,
        pl.col("source_file") + "#" + pl.col("round") + "/" + pl.col("pcode"),
    ).with_columns(department=pl.coalesce("department", "admin1_name"))
    best = _pick(decided, candidates, as_of, keys, "idps_departments", log)
    return best.with_columns(
        idps=pl.col("value").cast(pl.Int64), idps_as_written=pl.col("value_as_written")
    )


def context_series(raw: RawDisplacement, as_of: dt.date, log: CleaningLog) -> pl.DataFrame:
    """Killings, injuries, food insecurity...: one figure per series, geography and period."""
    keys = list(CONTEXT_KEYS)
    decided, _ = _decided(
        raw.context.with_columns(basis=pl.lit(None, dtype=pl.String)),
        raw,
        as_of,
        keys,
        "context",
        log,
        None,
        None,
    )
    best = _pick(decided, None, as_of, keys, "context", log)
    return best.with_columns(projected=pl.col("period_end") > pl.col("published"))


def _round_dates(raw: RawDisplacement) -> pl.DataFrame:
    """When each round the fact base knows counts from, for the DTM files' figures of it: its
    first dated publication. A round known only undated has none (its file figures then count
    from the day the file was retrieved)."""
    return round_first_published(raw).select(
        "round", "round_published", round_why=pl.lit("round ") + pl.col("round_dated_by")
    )


def build_tables(
    raw: RawDisplacement,
    as_of: dt.date,
    dtm_files_given: Sequence[str | Path | DtmInput],
    log: CleaningLog,
) -> Tables:
    """The three tables at ``as_of``: the fact base, the DTM files kept in
    ``data/raw/displacement/dtm/`` and any others given (``DTM_FILES``)."""
    inputs = dtm_files.build_inputs(raw.dtm_inputs, dtm_files_given)
    files = dtm_files.read_dtm_files(inputs, _round_dates(raw), log)
    contradicting = dtm_files.contradicting_records(files, raw.national)
    return Tables(
        national=national_series(raw, as_of, files, log, contradicting),
        departments=department_series(raw, as_of, files, log, contradicting),
        context=context_series(raw, as_of, log),
    )


def parse_as_of(text: str | dt.date) -> dt.date:
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise InputError(
            "parameters",
            "as_of is not an ISO date",
            "Write it as YYYY-MM-DD",
            column="as_of",
            found=str(text),
        ) from None


def write_tables(tables: Tables, out_dir: str | Path, log: CleaningLog) -> Tables:
    """Validate and write the three tables and the cleaning log into
    ``<out_dir>/data/displacement/``; return the rows written."""
    out = Path(out_dir) / OUT_SUBDIR
    written = Tables(
        national=write_table(
            tables.national,
            IdpsNational,
            out,
            "idps_national",
            log,
            sort_by=["reference_period_end", "round"],
        ),
        departments=write_table(
            tables.departments,
            IdpsDepartments,
            out,
            "idps_departments",
            log,
            sort_by=["reference_period_end", "round", "pcode"],
        ),
        context=write_table(
            tables.context,
            Context,
            out,
            "context",
            log,
            sort_by=["series", "geography", "period_end", "figure_id"],
        ),
    )
    log.write(out)
    return written


def run(
    as_of: str | dt.date,
    raw_dir: str | Path,
    out_dir: str | Path,
    dtm_files: Sequence[str | Path] = (),
) -> tuple[Tables, CleaningLog]:
    """Everything notebook 11 does: read, clean at ``as_of``, write. Returns the written tables
    and the cleaning log."""
    log = CleaningLog(STEP)
    raw = load_raw(raw_dir)
    day = parse_as_of(as_of)
    tables = build_tables(raw, day, dtm_files, log)
    written = write_tables(tables, out_dir, log)
    write_run_record(Path(out_dir) / OUT_SUBDIR, STEP, day)
    return written, log


# ------------------------------------------------------------------------------------------
# What the report's headline needs
# ------------------------------------------------------------------------------------------

HEADLINE_FIELDS = (
    "round",
    "idps",
    "idps_low",
    "idps_high",
    "qualifier",
    "idps_as_written",
    "precision",
    "reference_period_start",
    "reference_period_end",
    "published",
    "coverage",
    "departments_covered",
    "basis",
    "figure_id",
    "source_id",
)


def _describe(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row.get(k) for k in HEADLINE_FIELDS}
    for k in ("reference_period_start", "reference_period_end", "published"):
        day = out[k]
        out[k] = day.isoformat() if isinstance(day, dt.date) else None
    return out


def newest_national(national: pl.DataFrame) -> dict[str, Any]:
    """The newest round (by reference period end) at the top level, and ``first``: the first
    round of the series, for "rose from X to Y".

    Dates are ISO strings (JSON-ready). ``qualifier``, ``idps_as_written`` and ``precision``
    say how to word the figure ("more than 1.4 million" while only IOM's rounded figure was
    known). ``coverage_widened`` is true when the first and newest rounds cover different
    areas: part of the rise is then wider coverage, not more displacement. An empty series
    gives ``rounds`` = 0 and None for the rest."""
    if national.is_empty():
        return {
            "rounds": 0,
            "first": None,
            "coverage_widened": None,
            **dict.fromkeys(HEADLINE_FIELDS),
            "credit": IOM_DTM_CREDIT,
        }
    ordered = national.sort(round_number()).to_dicts()
    newest, first = _describe(ordered[-1]), _describe(ordered[0])
    return {
        **newest,
        "rounds": len(ordered),
        "first": first,
        "coverage_widened": (first["coverage"], first["departments_covered"])
        != (newest["coverage"], newest["departments_covered"]),
        "credit": IOM_DTM_CREDIT,
    }
