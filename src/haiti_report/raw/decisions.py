"""data/raw/decisions.csv: dated, scoped, reasoned choices between conflicting reports.

One reader for the file; the mission cleaning (mss.py) and the displacement cleaning
(displacement.py) each then keep the decisions about their own figures and check that every
figure those decisions name exists.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from haiti_report.core.dates import parse_date_span
from haiti_report.raw.files import LINE, raise_on_duplicates, read_raw_csv

COLUMNS = (
    "decision_id", "decided", "topic", "kind", "country", "event_date", "chosen", "rejected",
    "rule", "reasoning",
)  # fmt: skip
REQUIRED = ("decision_id", "decided", "topic", "kind", "chosen", "rule", "reasoning")


def decisions_path(raw_dir: str | Path) -> Path:
    return Path(raw_dir) / "decisions.csv"


def read_decisions(path: Path) -> pl.DataFrame:
    """Read the file strictly: exact columns, required cells, unique ids, a valid date."""
    frame = read_raw_csv(path, COLUMNS, required=REQUIRED)
    raise_on_duplicates(frame, path, "decision_id")
    for row in frame.iter_rows(named=True):
        parse_date_span(row["decided"], file=path, row=row[LINE], column="decided")
    return frame
