"""The sources registry (data/raw/sources.csv): who published each figure, where and when.

Every figure in data/raw names a ``source_id`` from this registry; chart source lines and the
report's sources appendix are generated from it, never typed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from haiti_report.core.dates import parse_date_span
from haiti_report.core.sources import IOM_DTM_CREDIT, split_ids  # noqa: F401 (re-exported)
from haiti_report.raw.files import LINE, fail_row, raise_on_duplicates, read_raw_csv

# published_basis: where the publication date comes from; replaced_url: the mirror or
# aggregator address the fact base cited, where a canonical one replaced it; accessed, sha256,
# licence, credit: the provenance `make update` records for each file it fetched.
COLUMNS = (
    "source_id", "outlet", "title", "url", "published", "kind", "language", "via",
    "published_basis", "replaced_url", "accessed", "sha256", "licence", "credit",
)  # fmt: skip
# "retrieved": a file fetched by `make update`, published no later than the day it was fetched
DATE_BASES = ("fact_base", "factcheck", "notes", "url", "page", "retrieved")
KINDS = ("un", "government", "wire", "newspaper", "ngo", "dataset", "encyclopedia")


def sources_path(raw_dir: str | Path) -> Path:
    return Path(raw_dir) / "sources.csv"


def load_sources(raw_dir: str | Path) -> pl.DataFrame:
    """Read and check the registry; add ``published_first``/``published_last`` dates and
    ``is_web_link`` (only http/https addresses are ever shown as links)."""
    path = sources_path(raw_dir)
    frame = read_raw_csv(path, COLUMNS, required=("source_id", "outlet", "url", "kind"))
    raise_on_duplicates(frame, path, "source_id")
    firsts, lasts, precisions = [], [], []
    for index, (text, kind) in enumerate(zip(frame["published"], frame["kind"], strict=True)):
        basis = frame["published_basis"][index]
        if basis is not None and basis not in DATE_BASES:
            raise fail_row(
                path,
                frame,
                index,
                "published_basis",
                "unknown basis of the date",
                f"Use one of: {', '.join(DATE_BASES)}",
            )
        if kind not in KINDS:
            raise fail_row(
                path,
                frame,
                index,
                "kind",
                "unknown kind of source",
                f"Use one of: {', '.join(KINDS)}",
            )
        if text is None:
            firsts.append(None)
            lasts.append(None)
            precisions.append(None)
            continue
        span = parse_date_span(text, file=path, row=int(frame[LINE][index]), column="published")
        firsts.append(span.first)
        lasts.append(span.last)
        precisions.append(span.precision.value)
    return frame.with_columns(
        pl.Series("published_first", firsts, dtype=pl.Date),
        pl.Series("published_last", lasts, dtype=pl.Date),
        pl.Series("published_precision", precisions, dtype=pl.String),
        pl.col("url").str.to_lowercase().str.contains(r"^https?://[^\s]+$").alias("is_web_link"),
    )


def check_source_ids(
    frame: pl.DataFrame, path: Path, sources: pl.DataFrame, column: str = "source_id"
) -> None:
    """Every source id named in ``frame[column]`` must be in the registry."""
    known = set(sources["source_id"])
    for index, cell in enumerate(frame[column]):
        ids = split_ids(cell)
        if not ids:
            raise fail_row(
                path,
                frame,
                index,
                column,
                "no source given",
                "Every figure needs a source_id from data/raw/sources.csv",
            )
        unknown = [s for s in ids if s not in known]
        if unknown:
            raise fail_row(
                path,
                frame,
                index,
                column,
                f"unknown source id {unknown[0]!r}",
                "Add the source to data/raw/sources.csv or correct the id",
            )


def newest_published(sources: pl.DataFrame) -> dt.date | None:
    """The newest publication date dated to the day: the default as-of of a build (the one
    definition; params and `make update` use it)."""
    days = sources.filter(pl.col("published_precision") == "day")["published_last"].drop_nulls()
    return days.max() if days.len() else None  # type: ignore[return-value]
