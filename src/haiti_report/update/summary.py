"""What changed in the displacement figures, in words: new IOM rounds, changed figures, and
figures a file gave that were not used.

The same function serves ``make update`` (the series before and after the fetch) and the
report's "What changed" (the processed tables of the previous build and this one: see
:func:`summarise_builds`). It reads only the processed shape of the tables (polars), so the
report layer can use it without importing the cleaning code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

NATIONAL = Path("data") / "displacement" / "idps_national.csv"
DEPARTMENTS = Path("data") / "displacement" / "idps_departments.csv"
LOG = Path("data") / "displacement" / "cleaning_log.csv"
CONFLICT_RULES = ("conflict: DTM file and fact base differ", "conflict between DTM files")
CREDIT = "International Organization for Migration (IOM), Displacement Tracking Matrix (DTM)"


@dataclass(frozen=True)
class Snapshot:
    """The displacement series at one moment (one build, or data/raw before/after a fetch)."""

    national: pl.DataFrame  # round, idps, idps_as_written, reference_period_end, published, basis
    departments: pl.DataFrame  # round, pcode, department, idps
    log: pl.DataFrame  # cleaning log: rule, detail

    @classmethod
    def empty(cls) -> Snapshot:
        return cls(
            pl.DataFrame(schema={"round": pl.String, "idps": pl.Int64}),
            pl.DataFrame(schema={"round": pl.String, "pcode": pl.String, "idps": pl.Int64}),
            pl.DataFrame(schema={"rule": pl.String, "detail": pl.String}),
        )


def day(value: object) -> str:
    """21 September 2024 (house style), from a date or an ISO string."""
    if value is None:
        return "an unknown date"
    parsed = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return f"{parsed.day} {parsed.strftime('%B')} {parsed.year}"


def _round_order(name: str) -> tuple[float, str]:
    try:
        return (float(name.lstrip("Rr")), name)
    except ValueError:
        return (0.0, name)


def _figure(row: dict) -> str:
    written = row.get("idps_as_written")
    number = f"{row['idps']:,}"
    return number if not written or written.replace(",", "") == str(row["idps"]) else written


def _national_lines(old: pl.DataFrame, new: pl.DataFrame) -> list[str]:
    before = {r["round"]: r for r in old.iter_rows(named=True)}
    lines = []
    rows = sorted(new.iter_rows(named=True), key=lambda r: _round_order(r["round"]))
    newest = max(rows, key=lambda r: _round_order(r["round"]))  # by number, as core.queries
    for row in rows:
        was = before.get(row["round"])
        basis = row.get("basis") or "the fact base"
        if was is None:
            lines.append(
                f"New IOM round {row['round']} (counted to {day(row.get('reference_period_end'))},"
                f" known from {day(row.get('published'))}): {_figure(row)} internally displaced "
                f"people in Haiti ({basis})"
                + ("; it is now the newest IOM count." if row is newest else ".")
            )
        elif was["idps"] != row["idps"]:
            lines.append(
                f"Round {row['round']} changed: {_figure(was)} -> {_figure(row)} internally "
                f"displaced people ({basis})."
            )
    gone = sorted(set(before) - {r["round"] for r in rows}, key=_round_order)
    lines += [f"Round {r} is no longer in the series." for r in gone]
    return lines


def _department_lines(old: pl.DataFrame, new: pl.DataFrame) -> list[str]:
    key = ["round", "pcode"]
    if new.is_empty():
        return []
    joined = new.join(old.select(*key, pl.col("idps").alias("_was")), on=key, how="left")
    lines = []
    added = joined.filter(pl.col("_was").is_null())
    name = "department" if "department" in new.columns else "pcode"
    for (round_,), group in added.group_by("round", maintain_order=True):
        lines.append(
            f"New department figures for {round_}: {group.height} of Haiti's 10 departments "
            f"({', '.join(sorted(group[name]))})."
        )
    changed = joined.filter(pl.col("_was").is_not_null() & (pl.col("_was") != pl.col("idps")))
    for row in changed.sort(key).iter_rows(named=True):
        name = row.get("department") or row["pcode"]
        lines.append(f"{row['round']} {name} changed: {row['_was']:,} -> {row['idps']:,}.")
    return lines


def _conflict_lines(old: pl.DataFrame, new: pl.DataFrame) -> list[str]:
    def conflicts(log: pl.DataFrame) -> list[str]:
        if log.is_empty() or "rule" not in log.columns:
            return []
        return log.filter(pl.col("rule").is_in(CONFLICT_RULES))["detail"].to_list()

    seen = set(conflicts(old))
    return [
        f"A DTM file differs from the figure used (see the cleaning log): {d}."
        for d in conflicts(new)
        if d not in seen
    ]


def describe(before: Snapshot, after: Snapshot) -> list[str]:
    """Sentences saying what changed between two snapshots; empty if nothing did."""
    return (
        _national_lines(before.national, after.national)
        + _department_lines(before.departments, after.departments)
        + _conflict_lines(before.log, after.log)
    )


def format_summary(lines: list[str], added_files: list[str]) -> str:
    """The text `make update` prints and the pull request shows."""
    if not added_files:
        head = "No new IOM data: what the source gives is already in data/raw."
    else:
        head = "Added to data/raw: " + ", ".join(added_files) + "."
    body = lines or ["No IOM figure in the report changes."]
    return "\n".join([head, *(f"- {line}" for line in body), f"Data: {CREDIT}."]) + "\n"


def _read(path: Path) -> pl.DataFrame | None:
    return pl.read_csv(path, infer_schema=False) if path.is_file() else None


def snapshot_of_build(build: Path | None) -> Snapshot:
    """The displacement tables of a build folder (``reports/<label>``)."""
    if build is None:
        return Snapshot.empty()
    national, departments, log = (_read(build / p) for p in (NATIONAL, DEPARTMENTS, LOG))
    empty = Snapshot.empty()
    cast = [pl.col("idps").cast(pl.Int64)]
    return Snapshot(
        national.with_columns(cast) if national is not None else empty.national,
        departments.with_columns(cast) if departments is not None else empty.departments,
        log if log is not None else empty.log,
    )


def summarise_builds(old_build: Path | None, new_build: Path) -> list[str]:
    """What changed in the displacement figures between two builds, in words."""
    return describe(snapshot_of_build(old_build), snapshot_of_build(new_build))
