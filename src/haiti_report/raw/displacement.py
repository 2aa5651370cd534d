"""data/raw/displacement/: IOM DTM national and department figures and their context
(killings, food insecurity...), read and checked cell by cell. Nothing here decides which
figure is used: that is clean/displacement.py."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from haiti_report.core.dates import parse_date_span
from haiti_report.core.schemas import COVERAGES
from haiti_report.raw.decisions import read_decisions
from haiti_report.raw.files import LINE, fail_row, raise_on_duplicates, read_raw_csv
from haiti_report.raw.sources import check_source_ids, split_ids
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


_ROUND = re.compile(r"^R\d+(\.\d+)?$")


_PCODE = re.compile(r"^HT\d{2}$")


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
