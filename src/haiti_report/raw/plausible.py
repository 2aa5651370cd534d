"""Plausibility rules for the dates in the hand-kept raw files, as data.

A date can be well-formed and still absurd: "0001-01-01" for an arrival, a source "published"
in 2099, a period that ends before it starts. Such a date does not fail loudly downstream; it
publishes "The first personnel arrived on 1 January 1" or makes a future source the default
as-of. So every date column of every raw file is checked against the story's span before any
cleaning code (or polars) sees it, and the first implausible date stops the build with its
file, line and column.

**The story's span** runs from 1 January of (the median publication year of the sources
registry minus :data:`STORY_MARGIN_YEARS`) to the build date.

* The median, not the earliest, publication date anchors it: the earliest is exactly what a
  mistyped date changes, while one wrong row cannot move the median of ~180 sources.
* 20 years reaches back past every date this story can need: the mission (2023-2026), the
  displacement and violence series it is set against (from 2022), and the background a
  reporter might add (the previous UN missions from 2004, the 2010 earthquake's displacement);
  "1024" for "2024", or year 1, is refused.
* Nothing may be dated after the build date (a source cannot be published in the future, an
  event cannot have been reported before it happened), except the end of a projection period
  in context.csv: IPC projections look ahead, at most :data:`PROJECTION_DAYS`.

Rules in :data:`DATE_RULES` and :data:`PERIOD_RULES` name files relative to data/raw; a file or
column that does not exist is skipped (its loader reports that). A partial date (2024-10,
2024) is refused only if no day of it can lie in the span.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from haiti_report.core.dates import DateSpan, parse_date_span
from haiti_report.core.errors import InputError
from haiti_report.raw.files import LINE, read_raw_csv

STORY_MARGIN_YEARS = 20
PROJECTION_DAYS = 366


@dataclass(frozen=True)
class DateRule:
    file: str  # relative to data/raw
    column: str
    ahead_days: int = 0  # how far after the build date the date may lie (projections)


@dataclass(frozen=True)
class PeriodRule:
    file: str
    start: str
    end: str


NATIONAL = "displacement/idps_national.csv"
DEPARTMENTS = "displacement/idps_departments.csv"
CONTEXT = "displacement/context.csv"
DATE_RULES: tuple[DateRule, ...] = (
    DateRule("sources.csv", "published"),
    DateRule("sources.csv", "accessed"),
    DateRule("mss/figures.csv", "event_date"),
    DateRule("decisions.csv", "decided"),
    DateRule("decisions.csv", "event_date"),
    DateRule("claims.csv", "claim_date"),
    DateRule(NATIONAL, "reference_period_start"),
    DateRule(NATIONAL, "reference_period_end"),
    DateRule(NATIONAL, "api_reporting_date"),
    DateRule(NATIONAL, "published"),
    DateRule(DEPARTMENTS, "reference_period_start"),
    DateRule(DEPARTMENTS, "reference_period_end"),
    DateRule(DEPARTMENTS, "api_reporting_date"),
    DateRule(DEPARTMENTS, "published"),
    DateRule(CONTEXT, "period_start"),
    DateRule(CONTEXT, "period_end", ahead_days=PROJECTION_DAYS),
    DateRule(CONTEXT, "published"),
)
PERIOD_RULES: tuple[PeriodRule, ...] = (
    PeriodRule(NATIONAL, "reference_period_start", "reference_period_end"),
    PeriodRule(DEPARTMENTS, "reference_period_start", "reference_period_end"),
    PeriodRule(CONTEXT, "period_start", "period_end"),
)


@dataclass(frozen=True)
class StorySpan:
    first: dt.date  # the earliest plausible date
    today: dt.date  # the build date: the latest plausible date (but for projections)
    median_year: int  # what ``first`` was derived from, for the message

    def describe(self) -> str:
        return (
            f"the story's dates run from {self.first.isoformat()} ({STORY_MARGIN_YEARS} years "
            f"before {self.median_year}, the median year of the sources) to today, "
            f"{self.today.isoformat()}"
        )


def story_span(published: Sequence[dt.date], today: dt.date) -> StorySpan:
    """The span from the sources' publication dates (see the module notes)."""
    years = [d.year for d in published if d <= today]
    median_year = int(statistics.median_low(years)) if years else today.year
    return StorySpan(dt.date(median_year - STORY_MARGIN_YEARS, 1, 1), today, median_year)


def check_date(
    span: StorySpan, date: DateSpan, *, file: Path, row: int, column: str, ahead_days: int = 0
) -> None:
    latest = span.today + dt.timedelta(days=ahead_days)
    if date.first > latest:
        raise InputError(
            file,
            "the date is after today's date"
            if not ahead_days
            else f"the date is more than {ahead_days} days after today",
            "Check the year; nothing can be reported before it happens",
            row=row,
            column=column,
            found=date.text,
        )
    if date.last < span.first:
        raise InputError(
            file,
            f"the date is implausibly early: {span.describe()}",
            "Check the year (a typo such as 1024 for 2024?)",
            row=row,
            column=column,
            found=date.text,
        )


def _dates(frame: pl.DataFrame, path: Path, column: str) -> dict[int, DateSpan]:
    """Row index -> parsed date, for the non-empty cells of ``column``."""
    return {
        index: parse_date_span(text, file=path, row=int(frame[LINE][index]), column=column)
        for index, text in enumerate(frame[column])
        if text is not None
    }


def check_raw_dates(raw_dir: Path, today: dt.date) -> StorySpan:
    """Apply every rule to the raw files under ``raw_dir``; return the span used."""
    frames = {
        rule.file: read_raw_csv(raw_dir / rule.file, None)
        for rule in DATE_RULES
        if (raw_dir / rule.file).exists() or (raw_dir / rule.file).is_symlink()
    }
    published = []
    if "sources.csv" in frames and "published" in frames["sources.csv"].columns:
        sources = frames["sources.csv"]
        published = [
            s.first for s in _dates(sources, raw_dir / "sources.csv", "published").values()
        ]
    span = story_span(published, today)
    for rule in DATE_RULES:
        frame = frames.get(rule.file)
        if frame is None or rule.column not in frame.columns:
            continue
        path = raw_dir / rule.file
        for index, date in _dates(frame, path, rule.column).items():
            check_date(
                span,
                date,
                file=path,
                row=int(frame[LINE][index]),
                column=rule.column,
                ahead_days=rule.ahead_days,
            )
    for period in PERIOD_RULES:
        frame = frames.get(period.file)
        if frame is not None and {period.start, period.end} <= set(frame.columns):
            _check_periods(frame, raw_dir / period.file, period)
    return span


def _check_periods(frame: pl.DataFrame, path: Path, rule: PeriodRule) -> None:
    starts = _dates(frame, path, rule.start)
    ends = _dates(frame, path, rule.end)
    for index in sorted(starts.keys() & ends.keys()):
        start, end = starts[index], ends[index]
        if start.first > end.last:
            raise InputError(
                path,
                f"the period ends ({end.text}) before it starts ({start.text})",
                f"Check {rule.start} and {rule.end}; are they swapped?",
                row=int(frame[LINE][index]),
                column=rule.end,
                found=end.text,
            )
