"""Writing processed tables: validate on write, quarantine bad rows, log what happened.

Every processed table goes through :func:`write_table`: its dataframely schema filters the rows;
rows that break a rule are not published but written to ``<name>.quarantine.csv`` and counted
by rule in the cleaning log, which the report summarises. Output is deterministic: rows sorted,
columns in schema order, no timestamps. No published CSV carries a cell a spreadsheet would run
as a formula (:func:`check_no_formulas`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dataframely as dy
import polars as pl

from haiti_report.core.errors import InputError
from haiti_report.raw.files import looks_like_formula


@dataclass
class CleaningLog:
    """What cleaning did, one entry per (table, rule): published in the report's methodology."""

    step: str
    entries: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        table: str,
        rule: str,
        rows: int,
        detail: str = "",
        figure_ids: list[str] | None = None,
    ) -> None:
        self.entries.append(
            {
                "step": self.step,
                "table": table,
                "rule": rule,
                "rows": int(rows),
                "figure_ids": "; ".join(sorted(set(figure_ids or []))),
                "detail": detail,
            }
        )

    def frame(self) -> pl.DataFrame:
        schema = {
            "step": pl.String,
            "table": pl.String,
            "rule": pl.String,
            "rows": pl.Int64,
            "figure_ids": pl.String,
            "detail": pl.String,
        }
        return pl.DataFrame(self.entries, schema=schema).sort("table", "rule", "detail")

    def write(self, out_dir: Path) -> Path:
        return write_csv(self.frame(), out_dir / "cleaning_log.csv")


_FORMULA_START = r"^[\t\r]|^\s*[=+\-@\x{FF1D}\x{FF0B}\x{FF0D}\x{FF20}]"


def check_no_formulas(frame: pl.DataFrame, path: Path) -> None:
    """Refuse a text cell a spreadsheet would run as a formula (it starts with =, +, - or @
    and is not a number), naming the published table, its line and column.

    Refused, not neutralised: prefixing such a cell with an apostrophe (the usual escape)
    would change the value re-users get and the report reads back from these tables, so the
    altered text would reach the prose. The raw reader already refuses such cells where a
    person typed them (with the raw file's line and column); this catches text from anywhere
    else, such as a dropped-in DTM file. No real value needs one: numbers like -24 pass."""
    for name, dtype in frame.schema.items():
        if dtype != pl.String:
            continue
        starts = frame[name].str.contains(_FORMULA_START).fill_null(False)
        for index in starts.arg_true():  # candidates; numbers such as -24 are not formulas
            value = frame[name][index]
            if looks_like_formula(value):
                raise InputError(
                    f"the published table {path.name}",
                    "a text cell would run as a formula in a spreadsheet (it starts with "
                    f"'{value.strip()[:1]}')",
                    "Find the value in the input files (a raw CSV or a DTM file) and correct it",
                    row=int(index) + 2,
                    column=name,
                    found=value,
                )


def write_csv(frame: pl.DataFrame, path: Path) -> Path:
    """Deterministic CSV: LF endings, ISO dates, no index, UTF-8; never a formula cell."""
    check_no_formulas(frame, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    frame.write_csv(tmp, line_terminator="\n", date_format="%Y-%m-%d", null_value="")
    tmp.replace(path)
    return path


def write_table(
    frame: pl.DataFrame,
    schema: type[dy.Schema],
    out_dir: Path,
    name: str,
    log: CleaningLog,
    *,
    sort_by: list[str] | None = None,
) -> pl.DataFrame:
    """Validate ``frame`` with ``schema``, write valid rows to ``out_dir/name.csv`` and
    quarantine the rest; return the valid rows."""
    columns = list(schema.columns())
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: the frame lacks schema columns {missing}")
    valid, failure = schema.filter(frame.select(columns), cast=True)
    counts = failure.counts()
    invalid = failure.invalid()
    id_column = next((c for c in ("figure_id", "iso3", "round") if c in invalid.columns), None)
    for rule, rows in sorted(counts.items()):
        log.add(
            name,
            f"quarantined: {rule}",
            rows,
            detail="rows that break this rule are left out of the table",
            figure_ids=[str(v) for v in invalid[id_column]] if id_column else None,
        )
    quarantine = out_dir / f"{name}.quarantine.csv"
    if invalid.height:
        write_csv(invalid.sort(columns), quarantine)
    elif quarantine.exists():
        quarantine.unlink()
    keys = sort_by or schema.primary_key() or columns
    result = valid.sort(keys, nulls_last=True, maintain_order=True)
    log.add(name, "published", result.height)
    write_csv(result, out_dir / f"{name}.csv")
    return result


RUN_RECORD = "run.json"


def write_run_record(out_dir: Path, step: str, as_of: dt.date) -> Path:
    """``run.json`` beside a step's tables: which step wrote them, as of which date. The report
    reads the as-of date from here rather than from the raw files."""
    path = out_dir / RUN_RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"as_of": as_of.isoformat(), "step": step}, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


SOURCES_TABLE = "sources.csv"


def write_sources(sources: pl.DataFrame, data_dir: Path) -> Path:
    """The sources registry, checked, with its parsed dates: what the report cites."""
    columns = [c for c in sources.columns if c != "line"]
    return write_csv(sources.select(columns).sort("source_id"), data_dir / SOURCES_TABLE)
