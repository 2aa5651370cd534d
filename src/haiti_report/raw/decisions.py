"""data/raw/decisions.csv: dated, scoped, reasoned choices between conflicting reports.

One reader for the file; the mission cleaning (mss.py) and the displacement cleaning
(displacement.py) each then keep the decisions about their own figures and check that every
figure those decisions name exists.

The file is also checked against itself, since that needs no figures: a decision that sets
aside a figure it also chooses, or that sets aside a figure another decision chose, would make
the cleaning drop both reports of one fact without anyone having decided that. Such a pair is
refused, naming both decisions. (A circle of decisions, D1 over D2 over D3 over D1, always
contains such a pair, so it is refused too.)
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from haiti_report.core.dates import parse_date_span
from haiti_report.core.errors import InputError
from haiti_report.raw.files import LINE, raise_on_duplicates, read_raw_csv

COLUMNS = (
    "decision_id", "decided", "topic", "kind", "country", "event_date", "chosen", "rejected",
    "rule", "reasoning",
)  # fmt: skip
REQUIRED = ("decision_id", "decided", "topic", "kind", "chosen", "rule", "reasoning")


def decisions_path(raw_dir: str | Path) -> Path:
    return Path(raw_dir) / "decisions.csv"


def read_decisions(path: Path) -> pl.DataFrame:
    """Read the file strictly: exact columns, required cells, unique ids, a valid date, and
    no decision contradicting itself or another."""
    frame = read_raw_csv(path, COLUMNS, required=REQUIRED)
    raise_on_duplicates(frame, path, "decision_id")
    for row in frame.iter_rows(named=True):
        parse_date_span(row["decided"], file=path, row=row[LINE], column="decided")
    check_consistent(frame, path)
    return frame


def _ids(cell: str | None) -> list[str]:
    return [part.strip() for part in (cell or "").split(";") if part.strip()]


def check_consistent(frame: pl.DataFrame, path: Path) -> None:
    """No figure is both chosen and set aside, by one decision or by two."""
    rejected_by: dict[str, tuple[str, int]] = {}
    rows = list(frame.iter_rows(named=True))
    for row in rows:
        own = set(_ids(row["chosen"]))
        for figure in _ids(row["rejected"]):
            if figure in own:
                raise InputError(
                    path,
                    f"decision {row['decision_id']} both chooses and sets aside {figure}",
                    "Name the figure in 'chosen' or in 'rejected', not in both",
                    row=row[LINE],
                    column="rejected",
                    found=figure,
                )
            rejected_by.setdefault(figure, (row["decision_id"], row[LINE]))
    for row in rows:  # in file order, so the message points at the first clash
        for figure in _ids(row["chosen"]):
            if figure in rejected_by and rejected_by[figure][0] != row["decision_id"]:
                other, line = rejected_by[figure]
                raise InputError(
                    path,
                    f"decisions {row['decision_id']} and {other} contradict each other: "
                    f"{row['decision_id']} chooses {figure}, which {other} sets aside, so both "
                    "reports would be dropped",
                    f"Keep one of the two decisions, or edit line {line} "
                    "(a later decision replaces an earlier one only by editing it)",
                    row=row[LINE],
                    column="chosen",
                    found=figure,
                )
