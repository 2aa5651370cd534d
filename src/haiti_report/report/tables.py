"""The processed tables of one build, read with their schemas' types.

This is the report layer's only input: what the cleaning steps wrote under ``<build>/data``.
The report never reads data/raw and never imports the cleaning code.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import dataframely as dy
import polars as pl

from haiti_report.core import schemas
from haiti_report.core.errors import BuildError
from haiti_report.core.sources import split_ids

# key -> (path under <build>/data, schema)
TABLES: dict[str, tuple[str, type[dy.Schema]]] = {
    "figures": ("mss/figures.csv", schemas.Figures),
    "decisions": ("mss/decisions.csv", schemas.Decisions),
    "personnel": ("mss/personnel_in_haiti.csv", schemas.PersonnelInHaiti),
    "movements": ("mss/movements.csv", schemas.Movements),
    "strength": ("mss/strength_check.csv", schemas.StrengthCheck),
    "pledges": ("mss/pledges.csv", schemas.Pledges),
    "aggregates": ("mss/pledge_aggregates.csv", schemas.PledgeAggregates),
    "pvd": ("mss/pledged_vs_deployed.csv", schemas.PledgedVsDeployed),
    "mandates": ("mss/mandates.csv", schemas.Mandates),
    "money": ("mss/money.csv", schemas.Money),
    "idps": ("displacement/idps_national.csv", schemas.IdpsNational),
    "departments": ("displacement/idps_departments.csv", schemas.IdpsDepartments),
    "context": ("displacement/context.csv", schemas.Context),
    "claims": ("claims/claims_checked.csv", schemas.ClaimsChecked),
}
TEXT_TABLES = {  # read as text: logs and the sources registry
    "mss_log": "mss/cleaning_log.csv",
    "displacement_log": "displacement/cleaning_log.csv",
    "sources": "sources.csv",
}
RUN_RECORDS = ("mss/run.json", "displacement/run.json", "claims/run.json")


@dataclass(frozen=True)
class Processed:
    """The processed tables of one build (an empty frame where a step wrote none)."""

    as_of: dt.date
    figures: pl.DataFrame
    decisions: pl.DataFrame
    personnel: pl.DataFrame
    movements: pl.DataFrame
    strength: pl.DataFrame
    pledges: pl.DataFrame
    aggregates: pl.DataFrame
    pvd: pl.DataFrame
    mandates: pl.DataFrame
    money: pl.DataFrame
    idps: pl.DataFrame
    departments: pl.DataFrame
    context: pl.DataFrame
    claims: pl.DataFrame
    mss_log: pl.DataFrame
    displacement_log: pl.DataFrame
    sources: pl.DataFrame

    @cached_property
    def _outlets(self) -> dict[str, str]:
        if self.sources.is_empty():
            return {}
        return dict(zip(self.sources["source_id"], self.sources["outlet"], strict=True))

    @cached_property
    def _figure_sources(self) -> dict[str, str]:
        return dict(zip(self.figures["figure_id"], self.figures["source_id"], strict=True))

    def outlet(self, source_ids: str | None) -> str | None:
        """The outlet of the first source in a cell, as the registry names it."""
        ids = split_ids(source_ids)
        return self._outlets.get(ids[0]) if ids else None

    def outlet_of_figure(self, figure_id: str | None) -> str | None:
        return self.outlet(self._figure_sources.get(figure_id or ""))


def _plain_type(column: dy.Column) -> pl.DataType:
    dtype = column.dtype
    return pl.String() if isinstance(dtype, (pl.Enum, pl.Categorical)) else dtype


def read_table(path: Path, schema: type[dy.Schema]) -> pl.DataFrame:
    types = {name: _plain_type(col) for name, col in schema.columns().items()}
    if not path.is_file():
        return pl.DataFrame(schema=types)
    frame = pl.read_csv(path, schema_overrides=types, infer_schema_length=None)
    return frame.select([c for c in types if c in frame.columns])


def as_of_of(data: Path) -> dt.date:
    """The as-of date the cleaning steps ran at; they must agree."""
    days = set()
    for rel in RUN_RECORDS:
        path = data / rel
        if path.is_file():
            days.add(json.loads(path.read_text(encoding="utf-8"))["as_of"])
    if len(days) != 1:
        raise BuildError(
            f"{data}: the cleaning steps ran at different or no as-of dates: "
            f"{sorted(days) or 'none'}; rebuild with make report"
        )
    return dt.date.fromisoformat(days.pop())


def read_processed(build_dir: str | Path) -> Processed:
    data = Path(build_dir) / "data"
    frames = {key: read_table(data / rel, schema) for key, (rel, schema) in TABLES.items()}
    for key, rel in TEXT_TABLES.items():
        path = data / rel
        frames[key] = (
            pl.read_csv(path, infer_schema_length=0) if path.is_file() else (pl.DataFrame())
        )
    return Processed(as_of=as_of_of(data), **frames)
