"""Rule 5 of the displacement cleaning: IOM DTM files beside the fact base.

Two kinds of file are read, with the same rules:

* the files ``make update`` keeps in ``data/raw/displacement/dtm/`` (every build reads them):
  each has a row in ``sources.csv`` whose ``source_id`` is the file's name without its
  extension, giving its credit and the day it was retrieved (``accessed``, else ``published``);
  when the registry has a ``sha256`` column the file must still match it;
* files passed with ``DTM_FILES`` (anywhere): no source row, no retrieval date.

Only the "Countrywide monitoring" operation and baseline (BA) rows are used. Each file figure
(round, national or department) becomes one more *candidate* beside the fact base's figures of
the same round and level, and the usual precedence picks one (rule 4), with one addition: on a
tie, the fact base wins over a file. So a round already known from a dated source keeps that
source's date, figure and credit, and a file can add a round or department the fact base lacks,
or give the exact count where the fact base has only a rounded one. Where a file's number differs
from the figure used, both go to the cleaning log.

A file says when IOM *counted* (``reportingDate``, an end-of-month stamp), not when it
*published*. A file figure counts from the round's first dated publication in the fact base (IOM
publishes a round's numbers together; a round it knows only undated, from the fact-base date),
but never later than the day the file was retrieved (which bounds the publication from above); a
round the fact base lacks counts from the retrieval day, and only a file with no retrieval date
falls back to its reporting month's end.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from haiti_report.clean.tables import CleaningLog
from haiti_report.core.errors import InputError
from haiti_report.raw import dtm

DTM_DIR = Path("displacement") / "dtm"  # under raw_dir
DEPARTMENTS = 10
# Rounds in HDX workbook names: "...-r1.xlsx", "round-3-zmpp...", "...round-11-september...".
_ROUND_IN_NAME = re.compile(r"(?i)(?:^|[^a-z])r(?:ound)?[-_ ]?(\d{1,2})(?![0-9])")
TABLE = "dtm_files"


@dataclass(frozen=True)
class DtmInput:
    """One DTM file to read, with what the registry says about it (nothing for DTM_FILES)."""

    path: Path
    source_id: str | None = None
    retrieved: dt.date | None = None
    # why a file kept in data/raw cannot be used (no source row, changed since it was fetched):
    # raised when a build reads it, unless the file is also passed explicitly with DTM_FILES
    problem: InputError | None = None


def dtm_round(text: str | None) -> str | None:
    """DTM's round number as the fact base writes it: "10" -> "R10", "5.1" -> "R5.1"."""
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    return text if text.upper().startswith("R") else f"R{text}"


def round_from_name(path: Path) -> str | None:
    """HDX baseline workbooks do not say their round; their file names do ("...-r1.xlsx")."""
    match = _ROUND_IN_NAME.search(path.stem)
    return match.group(1) if match else None


def round_key(name: str) -> tuple[float, str]:
    digits = re.sub(r"[^0-9.]", "", name)
    try:
        return (float(digits) if digits else 0.0, name)
    except ValueError:
        return (0.0, name)


def rounding_step(number: int) -> int:
    """The place value of the last non-zero digit: 1,041,229 -> 1; 1,041,000 -> 1,000."""
    step = 1
    while number and number % 10 == 0:
        number //= 10
        step *= 10
    return step


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def folder_inputs(raw_dir: str | Path, sources: pl.DataFrame) -> tuple[DtmInput, ...]:
    """The files kept in ``data/raw/displacement/dtm/``, oldest retrieval first, each checked
    against its row in the sources registry (a failed check is kept in ``problem``). Names
    starting with "." (an interrupted update's temporary files) are skipped."""
    folder = Path(raw_dir) / DTM_DIR
    if not folder.is_dir():
        return ()
    rows = {r["source_id"]: r for r in sources.iter_rows(named=True)}
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if not path.is_file():
            raise InputError(path, "not a regular file", "Keep only the fetched files here")
        row = rows.get(path.stem)
        if row is None:
            problem = InputError(
                path,
                f"has no row in sources.csv with source_id {path.stem!r}",
                "Files here are kept by `make update`, each with its source row; add the row, "
                "or move the file elsewhere and pass it with DTM_FILES",
            )
            found.append(DtmInput(path, problem=problem))
            continue
        expected = (row.get("sha256") or "").strip().lower()
        if expected and sha256_of(path) != expected:
            problem = InputError(
                path,
                "its sha256 differs from the one sources.csv recorded when it was retrieved",
                "The file was changed after `make update` saved it: restore it from git",
            )
            found.append(DtmInput(path, problem=problem))
            continue
        found.append(DtmInput(path, path.stem, _retrieved(path, row)))
    return tuple(sorted(found, key=lambda f: (f.retrieved or dt.date.max, f.path.name)))


def _retrieved(path: Path, row: dict[str, Any]) -> dt.date | None:
    text = (row.get("accessed") or "").strip()
    if text:
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            raise InputError(
                path.parent.parent.parent / "sources.csv",
                f"the accessed date of {path.stem!r} is not a date like 2026-12-01",
                column="accessed",
                found=text,
            ) from None
    return row.get("published_last")


_DTM_SCHEMA = {
    "source_file": pl.String,
    "file_order": pl.Int32,
    "file_source_id": pl.String,
    "retrieved": pl.Date,
    "round": pl.String,
    "reporting_date": pl.Date,
    "admin_level": pl.Int8,
    "admin1_name": pl.String,
    "admin1_pcode": pl.String,
    "idps": pl.Int64,
    "households": pl.Int64,
    "complete": pl.Boolean,
    "n_departments": pl.UInt32,
}


def as_inputs(paths: Sequence[str | Path | DtmInput]) -> list[DtmInput]:
    return [p if isinstance(p, DtmInput) else DtmInput(Path(p)) for p in paths]


def build_inputs(
    kept: Sequence[DtmInput], given: Sequence[str | Path | DtmInput]
) -> list[DtmInput]:
    """The files a build reads: those kept in data/raw (each must be usable), then those given
    with DTM_FILES. A kept file that is also given is read once, as given (its registry row, if
    it has a usable one, still dates and credits it)."""
    extra = as_inputs(given)
    named = {item.path.resolve() for item in extra}
    usable = {item.path.resolve(): item for item in kept if item.problem is None}
    for item in kept:
        if item.path.resolve() not in named and item.problem is not None:
            raise item.problem
    return [item for item in kept if item.path.resolve() not in named] + [
        usable.get(item.path.resolve(), item) for item in extra
    ]


def read_dtm_files(
    inputs: Sequence[str | Path | DtmInput], first: pl.DataFrame, log: CleaningLog
) -> pl.DataFrame:
    """Baseline figures of the given files, national and by department, each dated: one row per
    (file, round, level, department); ``complete`` says whether the file is a complete national
    baseline for the round."""
    frames = [pl.DataFrame(schema=_DTM_SCHEMA)]
    for order, item in enumerate(as_inputs(inputs)):
        df = dtm.read_dtm_file(item.path, round=round_from_name(item.path))
        frames.append(_classify(_baseline_rows(df, item.path, log), order, item))
    files = pl.concat(frames).with_columns(
        pl.col("round").map_elements(dtm_round, return_dtype=pl.String)
    )
    return _date(files, first)


def _baseline_rows(df: pl.DataFrame, path: Path, log: CleaningLog) -> pl.DataFrame:
    repeats = int(df["duplicates_removed"].sum())
    if repeats:
        log.add(
            TABLE,
            "repeated records removed",
            repeats,
            f"{path.name}: exact repeats of a record, counted once",
        )
    baseline_op = pl.col("operation") == dtm.BASELINE_OPERATION
    other = df.filter(~baseline_op)
    if other.height:
        log.add(
            TABLE,
            "not used: other DTM operations",
            other.height,
            f"{path.name}: {', '.join(sorted(set(other['operation'])))}",
        )
    not_ba = df.filter(baseline_op & (pl.col("assessment_type") != "BA"))
    if not_ba.height:
        log.add(
            TABLE,
            "not used: not a baseline assessment",
            not_ba.height,
            f"{path.name}: {', '.join(sorted(set(not_ba['assessment_type'])))} (site or event "
            "counts are a subset of the baseline, never added to it)",
        )
    ba = df.filter(baseline_op & (pl.col("assessment_type") == "BA"))
    unknown = ba.filter(pl.col("round").is_null() | pl.col("reporting_date").is_null())
    if unknown.height:
        log.add(
            TABLE,
            "not used: round or reporting date unknown",
            unknown.height,
            f"{path.name}: name the round in the file name (e.g. ...-r12.xlsx)",
        )
    ba = ba.filter(pl.col("round").is_not_null() & pl.col("reporting_date").is_not_null())
    log.add(
        TABLE,
        "read",
        ba.height,
        f"{path.name}: baseline rows for rounds "
        + ", ".join(sorted({dtm_round(r) or "" for r in ba["round"]}, key=round_key)),
    )
    return ba


def _classify(ba: pl.DataFrame, order: int, item: DtmInput) -> pl.DataFrame:
    departments = (
        ba.filter(pl.col("admin_level") == 1)
        .group_by("round")
        .agg(n_departments=pl.col("admin1_pcode").n_unique())
    )
    national = ba.filter(pl.col("admin_level") == 0).select("round").unique()
    # A workbook's national row is only the sum of its departments: complete if all are there.
    workbook = ba["source_format"].eq("hdx_baseline_xlsx").any() if ba.height else False
    complete = (
        (pl.col("n_departments").fill_null(0) >= DEPARTMENTS)
        if workbook
        else pl.col("round").is_in(national["round"].implode())
    )
    return (
        ba.join(departments, on="round", how="left")
        .with_columns(
            complete=complete,
            file_order=pl.lit(order, dtype=pl.Int32),
            file_source_id=pl.lit(item.source_id, dtype=pl.String),
            retrieved=pl.lit(item.retrieved, dtype=pl.Date),
        )
        .select(list(_DTM_SCHEMA))
        .cast(_DTM_SCHEMA)
    )  # type: ignore[arg-type]


def _date(files: pl.DataFrame, first: pl.DataFrame) -> pl.DataFrame:
    """``published`` and ``dated_by`` of each file figure (see the module notes). ``first``
    has, per round the fact base knows, ``round_published`` and ``round_why`` (its wording)."""
    round_day = pl.col("round_published")
    capped = round_day.is_not_null() & pl.col("retrieved").is_not_null()
    by_retrieval = round_day.is_null() & pl.col("retrieved").is_not_null()
    return (
        files.join(first, on="round", how="left")
        .with_columns(
            published=pl.when(capped)
            .then(pl.min_horizontal(round_day, "retrieved"))
            .when(round_day.is_not_null())
            .then(round_day)
            .when(by_retrieval)
            .then(pl.col("retrieved"))
            .otherwise(pl.col("reporting_date").dt.month_end()),
            dated_by=pl.when(capped & (pl.col("retrieved") < round_day))
            .then(pl.lit("retrieved ") + pl.col("retrieved").cast(pl.String))
            .when(round_day.is_not_null())
            .then(pl.col("round_why"))
            .when(by_retrieval)
            .then(pl.lit("retrieved ") + pl.col("retrieved").cast(pl.String))
            .otherwise(pl.lit("DTM reporting date (month end)")),
        )
        .drop("round_published", "round_why")
    )


def contradicts(
    number: int, qualifier: str, value: float, low: float | None, high: float | None
) -> bool:
    """Whether ``number`` is outside what a reported figure says (values.ReportedValue)."""
    if qualifier == "more_than":
        return not number > value
    if qualifier == "less_than":
        return not number < value
    return (low is not None and number < low) or (high is not None and number > high)


def contradicting_records(files: pl.DataFrame, national: pl.DataFrame) -> pl.DataFrame:
    """(round, reporting_date, why) of file records whose national baseline contradicts IOM's
    own published wording for the round ("more than 113,000" against the API's 24,212 people
    in sites): the record counts something narrower, at every level."""
    worded = national.filter(
        pl.col("is_iom") & (pl.col("qualifier") != "exact") & pl.col("round").is_not_null()
    )
    found: list[dict[str, Any]] = []
    for row in files.filter((pl.col("admin_level") == 0) & pl.col("complete")).iter_rows(
        named=True
    ):
        for fig in worded.filter(pl.col("round") == row["round"]).iter_rows(named=True):
            if contradicts(row["idps"], fig["qualifier"], fig["value"], fig["low"], fig["high"]):
                found.append(
                    {
                        "round": row["round"],
                        "reporting_date": row["reporting_date"],
                        "why": f"{row['source_file']} says {row['idps']:,} but IOM's own "
                        f"figure {fig['figure_id']} for the round says "
                        f"{fig['value_as_written']!r}",
                    }
                )
                break
    return pl.DataFrame(
        found, schema={"round": pl.String, "reporting_date": pl.Date, "why": pl.String}
    ).unique(["round", "reporting_date"])


def file_figures(
    files: pl.DataFrame,
    level: int,
    contradicting: pl.DataFrame,
    rejected: set[tuple[Any, ...]],
    log: CleaningLog,
) -> pl.DataFrame:
    """File figures of one level, one per round (and department): the first file (oldest
    retrieval, then DTM_FILES in order) wins among files; disagreements are logged."""
    keys = ["round"] if level == 0 else ["round", "admin1_pcode"]
    rows = files.filter(
        (pl.col("admin_level") == level) & (pl.col("complete") if level == 0 else pl.lit(True))
    )
    bad = rows.join(contradicting, on=["round", "reporting_date"], how="inner")
    for row in (
        bad.group_by("source_file", "round", "why", maintain_order=True).len().iter_rows(named=True)
    ):
        log.add(
            TABLE,
            "not used: contradicts IOM's own figure",
            row["len"],
            f"{row['source_file']} {row['round']} "
            f"({'national' if level == 0 else 'departments'}): {row['why']}",
        )
    rows = rows.join(contradicting, on=["round", "reporting_date"], how="anti")
    repeats = [(*(r[k] for k in keys), r["idps"]) in rejected for r in rows.iter_rows(named=True)]
    for row in rows.filter(pl.Series(repeats, dtype=pl.Boolean)).iter_rows(named=True):
        log.add(
            TABLE,
            "not used: repeats a figure a decision set aside",
            1,
            f"{row['source_file']} {'/'.join(str(row[k]) for k in keys)}: {row['idps']:,}",
        )
    rows = rows.filter(~pl.Series(repeats, dtype=pl.Boolean))
    for key, group in rows.group_by(keys, maintain_order=True):
        if group["idps"].n_unique() > 1:
            log.add(
                TABLE,
                "conflict between DTM files",
                group.height,
                f"{'/'.join(map(str, key))}: "
                + "; ".join(
                    f"{f} {n:,}"
                    for f, n in group.sort("file_order").select("source_file", "idps").iter_rows()
                )
                + " (the first file is used)",
            )
    return rows.sort("file_order").group_by(keys, maintain_order=True).first()


def as_candidates(
    files: pl.DataFrame, meta: pl.DataFrame, keys: list[str], figure_id: pl.Expr
) -> pl.DataFrame:
    """File figures in the shape of the fact-base figures they compete with (rule 4)."""
    # the period counted had ended by the time it was published, whatever the month stamp says
    period_end = pl.min_horizontal(pl.col("reporting_date"), pl.col("published"))
    return files.join(meta, on=keys, how="left").with_columns(
        pl.coalesce("reference_period_end", period_end).alias("reference_period_end"),
        *(pl.col("idps").cast(pl.Float64).alias(c) for c in ("value", "low", "high")),
        qualifier=pl.lit("exact"),
        # the same rounding rule as the fact base's figures, so equal numbers tie (rule 4)
        precision=pl.col("idps").map_elements(rounding_step, return_dtype=pl.Int64),
        value_as_written=pl.col("idps").cast(pl.String),
        basis=pl.lit("DTM file ") + pl.col("source_file"),
        figure_id=figure_id,
        source_id=pl.col("file_source_id"),
        confidence=pl.lit("high"),
        decision_id=pl.lit(None, dtype=pl.String),
        is_iom=pl.lit(True),
        from_file=pl.lit(True),
    )


def log_conflicts(
    pool: pl.DataFrame, best: pl.DataFrame, keys: Sequence[str], table: str, log: CleaningLog
) -> None:
    """Where a file and an unqualified fact-base figure of the same round and level give
    different numbers (beyond the figure's rounding): both numbers, and which one is used."""
    chosen = best.select(*keys, pl.col("figure_id").alias("_used"), pl.col("value").alias("_v"))
    exact = pool.filter(pl.col("qualifier") == "exact").join(chosen, on=list(keys))
    for key, group in exact.group_by(list(keys), maintain_order=True):
        files = group.filter(pl.col("from_file"))
        facts = group.filter(~pl.col("from_file"))
        if files.is_empty() or facts.is_empty():
            continue
        for f in files.iter_rows(named=True):
            # a rounded figure agrees with any count it rounds (1,041,000 with 1,041,229)
            differ = (pl.col("value") - f["value"]).abs() >= pl.col("precision").fill_null(1)
            for g in facts.filter(differ).iter_rows(named=True):
                used = f["_used"]
                log.add(
                    table,
                    "conflict: DTM file and fact base differ",
                    1,
                    f"{' '.join(map(str, key))}: {f['source_file']} says {f['idps']:,}; "
                    f"figure {g['figure_id']} says {g['value_as_written']} "
                    f"({g['value']:,.0f}); {used} is used",
                    [g["figure_id"]],
                )
