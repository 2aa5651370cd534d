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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from haiti_report.clean import dtm_files
from haiti_report.clean.dtm_files import DtmInput
from haiti_report.clean.idp_series import (
    _round_dates,
    context_series,
    department_series,
    national_series,
)
from haiti_report.clean.tables import CleaningLog, write_run_record, write_table
from haiti_report.core.errors import InputError
from haiti_report.core.queries import round_number
from haiti_report.core.schemas import Context, IdpsDepartments, IdpsNational
from haiti_report.raw.displacement import (
    _IOM,
    load_context,
    load_decisions,
    load_departments,
    load_national,
    raw_paths,
)
from haiti_report.raw.sources import IOM_DTM_CREDIT, load_sources, split_ids

STEP = "clean_displacement"
OUT_SUBDIR = Path("data") / "displacement"


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


# ------------------------------------------------------------------------------------------
# As of, decisions, one figure per key (rules 1, 3, 4)
# ------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------
# The three tables (rule 5, DTM files, lives in clean/dtm_files.py)
# ------------------------------------------------------------------------------------------


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
