"""What changed since the last build: headline numbers, table rows, sources.

    python -m haiti_report.build.changes OLD NEW [--json]

compares two build folders (``reports/<label>`` or the folders they point to; a bare label such
as ``latest`` or ``2024-09-21`` is looked up under ``reports/``) and prints a short summary.

What is compared:

- **headline numbers**: ``facts.json``, walked key by key; every value that differs is listed
  with its path (``personnel.deployed_total``), old → new. Lists of records with an id
  (``iso3``, ``round``, ``figure_id``...) are matched by that id, not by position, so one new
  country does not make every later one "changed".
- **tables**: every processed table, ``data/**/*.csv`` (quarantine files apart: their row counts
  are reported on their own). Rows are matched by the primary key of the table's dataframely
  schema (:func:`haiti_report.build.datapackage.schema_for_table`); a row whose key is new is
  *added*, one whose key is gone *removed*, one whose other cells differ *changed* (with the
  cells). A table without a schema, or whose key columns are missing or repeated, is compared
  by whole rows (added/removed only).
- **sources used**: the source ids named by the rows of the processed tables (rows of a table
  with a ``status`` column count only when their status is ``used``): new ids and dropped ids.

:func:`write_changes` writes the result as ``changes.json`` (deterministic JSON);
:mod:`haiti_report.build.changes_text` says it in words (the build's summary, ``make diff``,
the report's section), the headline numbers first (:func:`headline_changes`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl

from haiti_report.build.datapackage import (
    QUARANTINE_SUFFIX,
    referenced_source_ids,
    schema_primary_key,
)
from haiti_report.core.errors import printable

FILENAME = "changes.json"
FACTS = "facts.json"
# Keys that identify a record inside a list in facts.json, in order of preference.
RECORD_KEYS = ("iso3", "id", "figure_id", "source_id", "round", "pcode", "date", "name")
TEXT_LIMIT = 8  # lines per section in the plain-text summary


# --- Reading a build ---------------------------------------------------------------------------


def _read_facts(build: Path | None) -> Any:
    if build is None:
        return None
    path = build / FACTS
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def table_files(build: Path | None) -> dict[str, Path]:
    """``{"mss/pledged_vs_deployed": path}`` for every processed table of a build."""
    if build is None or not (build / "data").is_dir():
        return {}
    data = build / "data"
    return {
        p.relative_to(data).as_posix().removesuffix(".csv"): p
        for p in sorted(data.rglob("*.csv"))
        if p.is_file() and not p.name.endswith(QUARANTINE_SUFFIX) and not p.name.startswith(".")
    }


def quarantine_files(build: Path | None) -> dict[str, Path]:
    if build is None or not (build / "data").is_dir():
        return {}
    data = build / "data"
    return {
        p.relative_to(data).as_posix().removesuffix(QUARANTINE_SUFFIX): p
        for p in sorted(data.rglob(f"*{QUARANTINE_SUFFIX}"))
        if p.is_file()
    }


def _read_table(path: Path) -> pl.DataFrame:
    """Every cell as the text the CSV holds (no type guessing: "1.0" and "1" differ)."""
    if path.stat().st_size == 0:
        return pl.DataFrame()
    return pl.read_csv(path, infer_schema=False)


def _as_of(build: Path | None, facts: Any) -> str | None:
    if isinstance(facts, dict) and isinstance(facts.get("as_of"), str):
        return facts["as_of"]
    if build is None:
        return None
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = manifest.get("parameters", {}).get("as_of") if isinstance(manifest, dict) else None
    return value if isinstance(value, str) else None


# --- Headline numbers --------------------------------------------------------------------------


def _record_key(items: list[Any]) -> str | None:
    """The id key shared, with distinct values, by every record of a list (or None)."""
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in RECORD_KEYS:
        values = [i.get(key) for i in items]
        if all(isinstance(v, str | int) and not isinstance(v, bool) for v in values) and len(
            set(values)
        ) == len(values):
            return key
    return None


def _flatten(value: Any, path: str = "") -> dict[str, Any]:
    """Leaf values of a JSON document by path: ``a.b``, ``a[0]``, ``a[iso3=KEN].b``."""
    if isinstance(value, dict):
        if not value:
            return {path: {}} if path else {}
        out: dict[str, Any] = {}
        for key in sorted(value, key=str):
            out.update(_flatten(value[key], f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(value, list):
        if not value:
            return {path: []}
        key = _record_key(value)
        out = {}
        for index, item in enumerate(value):
            label = f"{key}={item[key]}" if key else str(index)
            out.update(_flatten(item, f"{path}[{label}]"))
        return out
    return {path: value}


def _same(a: Any, b: Any) -> bool:
    return (
        type(a) is type(b)
        and a == b
        or (
            isinstance(a, int | float)
            and isinstance(b, int | float)
            and not isinstance(a, bool)
            and not isinstance(b, bool)
            and a == b
        )
    )


def compare_facts(old: Any, new: Any) -> dict[str, list[dict[str, Any]]]:
    old_leaves = _flatten(old) if old is not None else {}
    new_leaves = _flatten(new) if new is not None else {}
    changed = [
        {"path": p, "old": old_leaves[p], "new": new_leaves[p]}
        for p in sorted(old_leaves.keys() & new_leaves.keys())
        if not _same(old_leaves[p], new_leaves[p])
    ]
    added = [
        {"path": p, "new": new_leaves[p]} for p in sorted(new_leaves.keys() - old_leaves.keys())
    ]
    removed = [
        {"path": p, "old": old_leaves[p]} for p in sorted(old_leaves.keys() - new_leaves.keys())
    ]
    return {"changed": changed, "added": added, "removed": removed}


# --- Tables ------------------------------------------------------------------------------------


def _key_of(row: dict[str, Any], key: list[str]) -> dict[str, Any]:
    return {k: row[k] for k in key}


def _sort_token(values: tuple[Any, ...]) -> tuple[tuple[int, str], ...]:
    return tuple((v is None, "" if v is None else str(v)) for v in values)


def compare_table(
    old: pl.DataFrame | None, new: pl.DataFrame | None, key: list[str]
) -> dict[str, Any]:
    """Rows added, removed and changed between two versions of one table."""
    if old is None or new is None:
        # A table that appeared or disappeared: counts only (its rows are in the build).
        if old is None and new is None:
            raise ValueError("nothing to compare")
        return {
            "status": "new" if old is None else "removed",
            "rows": {
                "old": old.height if old is not None else 0,
                "new": new.height if new is not None else 0,
            },
            "columns_added": [],
            "columns_removed": [],
            "key": list(key) or None,
            "added": [],
            "removed": [],
            "changed": [],
        }
    status = "compared"
    common = [c for c in new.columns if c in old.columns]
    result: dict[str, Any] = {
        "status": status,
        "rows": {"old": old.height, "new": new.height},
        "columns_added": [c for c in new.columns if c not in old.columns],
        "columns_removed": [c for c in old.columns if c not in new.columns],
    }
    usable = (
        bool(key)
        and all(k in common for k in key)
        and all(frame.select(key).is_unique().all() for frame in (old, new) if frame.height)
    )
    if usable:
        result["key"] = list(key)
        old_rows = {tuple(r[k] for k in key): r for r in old.select(common).iter_rows(named=True)}
        new_rows = {tuple(r[k] for k in key): r for r in new.select(common).iter_rows(named=True)}
        added = sorted(new_rows.keys() - old_rows.keys(), key=_sort_token)
        removed = sorted(old_rows.keys() - new_rows.keys(), key=_sort_token)
        changed = []
        for k in sorted(old_rows.keys() & new_rows.keys(), key=_sort_token):
            before, after = old_rows[k], new_rows[k]
            cells = {
                c: {"old": before[c], "new": after[c]}
                for c in common
                if c not in key and before[c] != after[c]
            }
            if cells:
                changed.append({"key": _key_of(after, key), "cells": cells})
        result["added"] = [_key_of(new_rows[k], key) for k in added]
        result["removed"] = [_key_of(old_rows[k], key) for k in removed]
        result["changed"] = changed
    else:
        # Whole rows over the shared columns, counted as multisets.
        result["key"] = None
        old_counts: Counter[tuple[Any, ...]] = Counter(old.select(common).iter_rows())
        new_counts: Counter[tuple[Any, ...]] = Counter(new.select(common).iter_rows())
        result["added"] = [
            dict(zip(common, r, strict=True))
            for r in sorted((new_counts - old_counts).elements(), key=_sort_token)
        ]
        result["removed"] = [
            dict(zip(common, r, strict=True))
            for r in sorted((old_counts - new_counts).elements(), key=_sort_token)
        ]
        result["changed"] = []
    return result


def _table_changed(entry: dict[str, Any]) -> bool:
    return bool(
        entry["added"]
        or entry["removed"]
        or entry["changed"]
        or entry["columns_added"]
        or entry["columns_removed"]
        or entry["status"] != "compared"
    )


def compare_tables(old_build: Path | None, new_build: Path) -> dict[str, Any]:
    old_files, new_files = table_files(old_build), table_files(new_build)
    tables = {}
    for name in sorted(old_files.keys() | new_files.keys()):
        key = schema_primary_key(name.rsplit("/", 1)[-1])
        old = _read_table(old_files[name]) if name in old_files else None
        new = _read_table(new_files[name]) if name in new_files else None
        entry = compare_table(old, new, key)
        if old_build is None or _table_changed(entry):
            tables[name] = entry
    return tables


def compare_quarantine(old_build: Path | None, new_build: Path) -> dict[str, dict[str, int]]:
    """Rows set aside by a schema rule, per table, where the count moved."""

    def counts(build: Path | None) -> dict[str, int]:
        return {name: _read_table(path).height for name, path in quarantine_files(build).items()}

    old, new = counts(old_build), counts(new_build)
    return {
        name: {"old": old.get(name, 0), "new": new.get(name, 0)}
        for name in sorted(old.keys() | new.keys())
        if old.get(name, 0) != new.get(name, 0)
    }


# --- Sources -----------------------------------------------------------------------------------


def sources_used(build: Path | None) -> set[str]:
    return referenced_source_ids(list(table_files(build).values()), used_only=True)


# --- The comparison ----------------------------------------------------------------------------


def check_build_dir(path: Path, role: str) -> Path:
    """A build folder that exists and looks like one, or a clear error."""
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"{role} build folder not found: {path}")
    if not any((path / name).exists() for name in (FACTS, "data", "manifest.json")):
        raise FileNotFoundError(
            f"{path} does not look like a build folder (no facts.json, data/ or manifest.json)"
        )
    return path.resolve()


# The headline numbers a reader follows, in the words the summary uses (facts.json paths).
HEADLINES = (
    ("personnel.deployed_total", "In Haiti"),
    ("personnel.pledged_total", "Pledged (to the mission of the day)"),
    ("personnel.deployed_peak.value", "Peak in Haiti"),
    ("personnel.countries_pledging", "Countries pledging"),
    ("displacement.idps", "Displaced inside Haiti (IOM)"),
    ("funding.trust_fund_received_usd", "Trust fund received (US$)"),
    ("funding.trust_fund_pledged_usd", "Trust fund pledged (US$)"),
    ("sources_count", "Sources"),
)


def leaf(facts: Any, path: str) -> Any:
    for part in path.split("."):
        facts = facts.get(part) if isinstance(facts, dict) else None
    return facts


def _because(path: str, new: Any) -> str | None:
    """Why a headline number moved, from the new facts (what it now rests on)."""
    if path == "personnel.deployed_total":
        count = leaf(new, "personnel.deployed") or {}
        if count.get("anchor_outlet") and count.get("anchor_date"):
            return (
                f"the count now rests on {count['anchor_outlet']}'s report of "
                f"{count['anchor_date']}"
                + (
                    ", moved by later movements"
                    if count.get("basis") == "reported_plus_movements"
                    else ""
                )
            )
        return "arrivals and departures reported since" if count else None
    if path == "personnel.pledged_total":
        return f"pledges to the {leaf(new, 'personnel.mission')}"
    if path == "displacement.idps":
        return f"IOM's newest round is {leaf(new, 'displacement.round')}"
    return None


def headline_changes(old: Any, new: Any) -> list[dict[str, Any]]:
    """The headline numbers that differ between two builds, labelled for readers."""
    if old is None or new is None:
        return []
    out = []
    for path, label in HEADLINES:
        before, after = leaf(old, path), leaf(new, path)
        if not _same(before, after):
            out.append(
                {
                    "path": path,
                    "label": label,
                    "old": before,
                    "new": after,
                    "because": _because(path, new),
                }
            )
    return out


def compare_builds(old_dir: Path | None, new_dir: Path) -> dict[str, Any]:
    """Compare the build in ``new_dir`` with the one in ``old_dir`` (``None``: first build)."""
    new_dir = check_build_dir(new_dir, "new")
    old_dir = check_build_dir(old_dir, "old") if old_dir is not None else None
    old_facts, new_facts = _read_facts(old_dir), _read_facts(new_dir)
    old_sources, new_sources = sources_used(old_dir), sources_used(new_dir)
    return {
        "first_build": old_dir is None,
        "as_of": {"old": _as_of(old_dir, old_facts), "new": _as_of(new_dir, new_facts)},
        "facts": compare_facts(old_facts, new_facts),
        "headlines": headline_changes(old_facts, new_facts),
        "tables": compare_tables(old_dir, new_dir),
        "quarantined": compare_quarantine(old_dir, new_dir),
        "sources": {
            "added": sorted(new_sources - old_sources),
            "removed": sorted(old_sources - new_sources),
            "count": {
                "old": len(old_sources) if old_dir is not None else None,
                "new": len(new_sources),
            },
        },
    }


def has_changes(result: dict[str, Any]) -> bool:
    facts = result["facts"]
    return bool(
        result["first_build"]
        or facts["changed"]
        or facts["added"]
        or facts["removed"]
        or result["tables"]
        or result["quarantined"]
        or result["sources"]["added"]
        or result["sources"]["removed"]
    )


def dumps(result: dict[str, Any]) -> str:
    return json.dumps(result, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_changes(result: dict[str, Any], new_dir: Path) -> Path:
    """Write ``new_dir/changes.json`` (sorted keys, two-space indent, no timestamps)."""
    path = Path(new_dir) / FILENAME
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(result), encoding="utf-8")
    tmp.replace(path)
    return path


# --- Rendering ---------------------------------------------------------------------------------


def resolve_build_arg(value: str, root: Path) -> Path:
    """A path, or a label under ``reports/`` (``latest``, ``2024-09-21``)."""
    path = Path(value)
    if path.is_dir():
        return path
    label = root / "reports" / value
    return label if label.is_dir() else path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m haiti_report.build.changes",
        description="What changed between two builds (headline numbers, table rows, sources).",
    )
    parser.add_argument("old", help="the earlier build folder, e.g. reports/2024-09-21")
    parser.add_argument("new", help="the later build folder, e.g. reports/latest")
    parser.add_argument("--json", action="store_true", help="print the full comparison as JSON")
    parser.add_argument(
        "--root", type=Path, default=Path.cwd(), help="project root for bare labels (default: cwd)"
    )
    args = parser.parse_args(argv)
    try:
        old = check_build_dir(resolve_build_arg(args.old, args.root), "old")
        new = check_build_dir(resolve_build_arg(args.new, args.root), "new")
        result = compare_builds(old, new)
    except (FileNotFoundError, ValueError, pl.exceptions.PolarsError) as exc:
        why = "" if isinstance(exc, FileNotFoundError) else "cannot compare the builds: "
        print(printable(f"error: {why}{exc}", newlines=False), file=sys.stderr)
        return 2
    # JSON as ASCII (every other character escaped): valid, and inert in a terminal.
    from haiti_report.build.changes_text import format_changes

    print(json.dumps(result, sort_keys=True, indent=2) if args.json else format_changes(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
