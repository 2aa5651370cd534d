"""A Frictionless Data Package for each build: ``<build>/datapackage.json``.

It describes every published CSV of the build so that anyone can load and check the data
without reading this code:

- the processed tables, ``data/**/*.csv``: the field types, descriptions, rules and primary key
  come from the table's dataframely schema in :mod:`haiti_report.core.schemas` (the class whose name
  is the file name in CamelCase, e.g. ``pledged_vs_deployed.csv`` → ``PledgedVsDeployed``);
  tables without a schema (the cleaning log) get types inferred from the file;
- the chart data, ``figures/*.csv``: exactly what each chart plots; types inferred.

Quarantine files (``*.quarantine.csv``) are **not** part of the package: they hold the rows that
broke a rule of the table's schema, so they cannot honour the schema the package would declare
for them, and the project does not publish those rows (see :mod:`haiti_report.clean.tables`).
How many rows each rule set aside is in the packaged ``cleaning_log.csv``.

The package credits the sources the packaged rows name (``source_id``/``source_ids`` columns)
from the registry, carries the data licence (CC BY 4.0) and IOM's credit line. The JSON is
deterministic (sorted keys, two-space indent, no timestamps): the same build gives the same file.

Validate a build with ``frictionless validate reports/latest/datapackage.json``.
"""

from __future__ import annotations

import csv
import hashlib
import inspect
import json
import re
from pathlib import Path
from typing import Any

import dataframely as dy
import polars as pl

from haiti_report.core import schemas
from haiti_report.raw.sources import IOM_DTM_CREDIT, split_ids

FILENAME = "datapackage.json"
PACKAGE_NAME = "pledged-vs-deployed"
PACKAGE_TITLE = "Pledged vs. Deployed: Haiti's security mission, in sourced figures"
DATA_LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}
QUARANTINE_SUFFIX = ".quarantine.csv"
SOURCE_COLUMNS = ("source_id", "source_ids")
_WEB_LINK = re.compile(r"^https?://\S+$", re.IGNORECASE)
_TITLE_WORDS = {
    "idps": "IDPs",
    "mss": "MSS",
    "gsf": "GSF",
    "iom": "IOM",
    "dtm": "DTM",
    "vs": "vs.",
    "un": "UN",
    "usd": "USD",
}


# --- Table name → dataframely schema -----------------------------------------------------------


def schema_class_name(table: str) -> str:
    """``pledged_vs_deployed`` → ``PledgedVsDeployed``."""
    return "".join(part[:1].upper() + part[1:] for part in table.split("_") if part)


def schema_for_table(table: str) -> type[dy.Schema] | None:
    """The schema class in :mod:`haiti_report.core.schemas` for a processed table, if any."""
    found = getattr(schemas, schema_class_name(table), None)
    if isinstance(found, type) and issubclass(found, dy.Schema) and found is not dy.Schema:
        return found
    return None


def schema_primary_key(table: str) -> list[str]:
    schema = schema_for_table(table)
    return list(schema.primary_key()) if schema is not None else []


# --- Field descriptions ------------------------------------------------------------------------


def schema_description(schema: type[dy.Schema]) -> str | None:
    doc = schema.__dict__.get("__doc__")
    return " ".join(inspect.cleandoc(doc).split()) if doc else None


# --- Field types -------------------------------------------------------------------------------


def frictionless_type(dtype: pl.DataType) -> str:
    """Polars dtype → Table Schema type (``string`` for anything without a safe equivalent)."""
    if dtype.is_integer():
        return "integer"
    if dtype.is_float() or dtype.is_decimal():
        return "number"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.Date:
        return "date"
    return "string"


def schema_fields(schema: type[dy.Schema]) -> list[dict[str, Any]]:
    """Table Schema fields from a dataframely schema: type, description and constraints."""
    fields = []
    for name, column in schema.columns().items():
        field: dict[str, Any] = {"name": name, "type": frictionless_type(column.dtype)}
        if column.description:  # the data dictionary: description= in core/schemas.py
            field["description"] = column.description
        constraints: dict[str, Any] = {}
        if not column.nullable:
            constraints["required"] = True
        categories = getattr(column, "categories", None)
        if categories is not None:
            constraints["enum"] = [str(c) for c in categories]
        regex = getattr(column, "regex", None)
        if regex:
            constraints["pattern"] = regex
        for attr, key in (("min", "minimum"), ("max", "maximum")):
            value = getattr(column, attr, None)
            if value is not None and field["type"] in ("integer", "number"):
                constraints[key] = value
        for attr, key in (("min_length", "minLength"), ("max_length", "maxLength")):
            value = getattr(column, attr, None)
            if value is not None:
                constraints[key] = value
        if getattr(column, "unique", False):
            constraints["unique"] = True
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    return fields


def inferred_fields(path: Path) -> list[dict[str, Any]]:
    """Types read from the file itself (polars' inference over every row)."""
    if not csv_header(path):
        return []
    frame = pl.read_csv(path, infer_schema_length=None, try_parse_dates=True)
    return [
        {"name": name, "type": frictionless_type(dtype)} for name, dtype in frame.schema.items()
    ]


def csv_header(path: Path) -> list[str]:
    """The column names on the first line ([] for an empty file)."""
    with path.open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh), [])


# --- Resources ---------------------------------------------------------------------------------


def package_files(build_dir: Path) -> list[Path]:
    """The CSVs the package describes, sorted: processed tables, then chart data."""
    build_dir = Path(build_dir)
    tables = sorted(p for p in (build_dir / "data").rglob("*.csv") if p.is_file() and _published(p))
    charts = sorted(
        p for p in (build_dir / "figures").glob("*.csv") if p.is_file() and _published(p)
    )
    return tables + charts


def _published(path: Path) -> bool:
    return not path.name.endswith(QUARANTINE_SUFFIX) and not path.name.startswith(".")


def resource_name(rel: str) -> str:
    """``data/mss/money.csv`` → ``data-mss-money`` (unique, lowercase, Table Schema safe)."""
    stem = rel.removesuffix(".csv").lower()
    return re.sub(r"[^a-z0-9._-]+", "-", stem).strip("-")


def humanize(stem: str) -> str:
    words = [_TITLE_WORDS.get(w, w) for w in stem.split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def describe_resource(build_dir: Path, path: Path) -> dict[str, Any]:
    rel = path.relative_to(build_dir).as_posix()
    data = path.read_bytes()
    resource: dict[str, Any] = {
        "name": resource_name(rel),
        "path": rel,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": len(data),
        "hash": f"sha256:{hashlib.sha256(data).hexdigest()}",
    }
    table_schema: dict[str, Any] = {"missingValues": [""]}
    if rel.startswith("data/"):
        group = path.parent.relative_to(build_dir / "data").as_posix()
        schema = schema_for_table(path.stem)
        where = f"data/{group}" if group != "." else "data"
        resource["title"] = humanize(path.stem) + (f" ({group})" if group != "." else "")
        if schema is not None and csv_header(path) == list(schema.columns()):
            table_schema["fields"] = schema_fields(schema)
            if schema.primary_key():
                table_schema["primaryKey"] = list(schema.primary_key())
            resource["description"] = (
                (schema_description(schema) or f"Processed table {path.stem}.")
                + f" Validated on write by haiti_report.core.schemas.{schema.__name__}; rows that "
                f"break one of its rules are left out and counted in {where}/cleaning_log.csv."
            )
        else:
            table_schema["fields"] = inferred_fields(path)
            resource["description"] = _unschematised_description(path.stem, where, schema)
    else:
        resource["title"] = f"Chart data: {humanize(path.stem)}"
        table_schema["fields"] = inferred_fields(path)
        drawn = sorted(
            p.name
            for p in path.parent.glob(f"{path.stem}.*")
            if p.suffix in (".svg", ".png") or p.name.endswith(".vl.json")
        )
        resource["description"] = (
            "Exactly the data plotted in the chart "
            + (", ".join(f"figures/{n}" for n in drawn) if drawn else f"figures/{path.stem}")
            + ". Types inferred from the file."
        )
    resource["schema"] = table_schema
    return resource


def _unschematised_description(stem: str, where: str, schema: type[dy.Schema] | None) -> str:
    if stem == "cleaning_log":
        return (
            "What cleaning did, one row per table and rule: rows published, rows quarantined "
            "by each rule (with their figure ids). Types inferred from the file."
        )
    if schema is not None:
        return (
            f"Processed table {where}/{stem}.csv. Its columns differ from "
            f"haiti_report.core.schemas.{schema.__name__}, so types are inferred from the file."
        )
    return f"Processed table {where}/{stem}.csv. Types inferred from the file."


# --- Sources -----------------------------------------------------------------------------------


def referenced_source_ids(paths: list[Path], *, used_only: bool = False) -> set[str]:
    """Source ids named in the ``source_id``/``source_ids`` columns of ``paths``.

    With ``used_only``, rows of a table that has a ``status`` column count only when their
    status is ``used`` (the figures table also lists figures the as-of date or a decision set
    aside).
    """
    found: set[str] = set()
    for path in paths:
        header = csv_header(path)
        columns = [c for c in SOURCE_COLUMNS if c in header]
        if not columns:
            continue
        use_status = used_only and "status" in header
        frame = pl.read_csv(
            path, infer_schema=False, columns=columns + (["status"] if use_status else [])
        )
        if use_status:
            frame = frame.filter(pl.col("status") == "used")
        for column in columns:
            for cell in frame[column]:
                found.update(split_ids(cell))
    return found


def source_entries(ids: set[str], sources: pl.DataFrame) -> list[dict[str, str]]:
    """One entry per referenced source, in source id order: title = outlet, path = its URL
    when that is a web address (never a local path or a note)."""
    rows = {row["source_id"]: row for row in sources.iter_rows(named=True)}
    entries = []
    for sid in sorted(ids):
        row = rows.get(sid)
        if row is None:
            entries.append({"title": sid})
            continue
        entry = {"title": str(row.get("outlet") or sid)}
        url = (row.get("url") or "").strip()
        if _WEB_LINK.match(url):
            entry["path"] = url
        entries.append(entry)
    return entries


# --- The package -------------------------------------------------------------------------------


def build_descriptor(build_dir: Path, sources: pl.DataFrame) -> dict[str, Any]:
    build_dir = Path(build_dir)
    files = package_files(build_dir)
    as_of = _as_of(build_dir)
    description = (
        'The processed tables and chart data of the report "Pledged vs. Deployed"'
        + (f", as known on {as_of}" if as_of else "")
        + ": pledges, deployments and money for the Kenya-led Multinational Security Support "
        "mission in Haiti (and its successor, the Gang Suppression Force), and internal "
        "displacement. Every row names its source; sources are listed below. "
        f"Displacement data credit: {IOM_DTM_CREDIT}."
    )
    return {
        "name": PACKAGE_NAME,
        "title": PACKAGE_TITLE,
        "description": description,
        "profile": "tabular-data-package",
        "licenses": [dict(DATA_LICENSE)],
        "contributors": [{"title": "Pledged vs. Deployed contributors", "role": "author"}],
        "sources": source_entries(referenced_source_ids(files), sources),
        "resources": [describe_resource(build_dir, path) for path in files],
    }


def _as_of(build_dir: Path) -> str | None:
    try:
        value = json.loads((build_dir / "facts.json").read_text(encoding="utf-8")).get("as_of")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def dumps(descriptor: dict[str, Any]) -> str:
    return json.dumps(descriptor, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_datapackage(build_dir: Path, sources: pl.DataFrame) -> Path:
    """Write ``build_dir/datapackage.json`` describing the build's CSVs; return its path."""
    build_dir = Path(build_dir)
    path = build_dir / FILENAME
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(build_descriptor(build_dir, sources)), encoding="utf-8")
    tmp.replace(path)
    return path
