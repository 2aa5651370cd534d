"""data/raw/claims.csv: what officials and outlets said, to be checked against the data.

Columns: claim_id, claim_date, claimant, claim_text, metric, value_as_written, source_id, note.
The metrics are defined in clean/claims.py (what "the data said" means for each).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from haiti_report.core.dates import parse_date_span
from haiti_report.raw.files import LINE, fail_row, raise_on_duplicates, read_raw_csv
from haiti_report.raw.sources import check_source_ids
from haiti_report.raw.values import parse_reported_value

COLUMNS = (
    "claim_id",
    "claim_date",
    "claimant",
    "claim_text",
    "metric",
    "value_as_written",
    "source_id",
    "note",
)
METRICS = {
    "deployed_total": "people",
    "deployed_kenya": "people",
    "pledged_total": "people",
    "pledged_kenya": "people",
    "pledged_other_countries": "people",
    "planned_total": "people",
    "deployed_share_of_planned": "percent",
    "idps_national": "people",
    "trust_fund_pledged": "usd",
    "trust_fund_received": "usd",
    "share_received": "percent",
}
KENYA = "KEN"


def claims_path(raw_dir: str | Path) -> Path:
    return Path(raw_dir) / "claims.csv"


def load_claims(raw_dir: str | Path, sources: pl.DataFrame) -> pl.DataFrame:
    """Read and check claims.csv: known source ids and metrics, readable values and dates.
    Adds ``claim_day`` (the last day of the claim's date span)."""
    path = claims_path(raw_dir)
    frame = read_raw_csv(
        path,
        COLUMNS,
        required=(
            "claim_id",
            "claim_date",
            "claimant",
            "claim_text",
            "metric",
            "value_as_written",
            "source_id",
        ),
    )
    raise_on_duplicates(frame, path, "claim_id")
    check_source_ids(frame, path, sources)
    days = []
    for i, row in enumerate(frame.iter_rows(named=True)):
        if row["metric"] not in METRICS:
            raise fail_row(
                path, frame, i, "metric", "unknown metric", f"Use one of: {', '.join(METRICS)}"
            )
        days.append(
            parse_date_span(row["claim_date"], file=path, row=row[LINE], column="claim_date").last
        )
        parse_reported_value(
            row["value_as_written"],
            unit=METRICS[row["metric"]],
            file=path,
            row=row[LINE],
            column="value_as_written",
        )
    return frame.with_columns(pl.Series("claim_day", days, dtype=pl.Date))
