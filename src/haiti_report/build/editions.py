"""`make editions`: the report as it stood at the end of every month, and an index of them.

    python -m haiti_report.build.editions [--force] [--root PATH]

One edition per month-end from the month the Security Council authorised the mission (the
authorisation date in data/raw) to the newest publication date in data/raw, then ``latest``.
Each edition is an ordinary build (reports/<YYYY-MM-DD>/, made by the parameterised notebooks
through papermill, with its executed notebooks and manifest): :func:`haiti_report.build.cli.build`
with that as-of date. So an edition whose inputs did not change since it was last built is
reused as it stands ("nothing changed"), and ``--force`` rebuilds every one.

All editions are built in one process and share one pool of warm kernels
(build/kernel_pool.py): polars, Altair, the package and the Vega bundle are loaded once per
kernel, not once per notebook. Then reports/index.html is written: one self-contained page (no
script, no network) listing every edition with its headline numbers, read from that edition's
facts.json, and a small chart of how they moved; its data is saved beside it as index.csv.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from haiti_report.build.cli import Log, build, default_root, force_from_env, run_cli
from haiti_report.build.kernel_pool import KernelPool
from haiti_report.build.params import load_params

INDEX = "index.html"
INDEX_DATA = "index.csv"
LATEST = "latest"


def month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    """The last day of every month from ``first``'s month to the last month-end on or before
    ``last`` (``2023-10-02``, ``2024-01-15`` -> 31 Oct, 30 Nov, 31 Dec 2023)."""
    days = []
    year, month = first.year, first.month
    while True:
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        end = following - dt.timedelta(days=1)
        if end > last:
            return days
        days.append(end)
        year, month = following.year, following.month


def authorised_on(root: Path, as_of: str) -> dt.date:
    """The day the Security Council authorised the mission, as the data records it."""
    from haiti_report.clean import mss
    from haiti_report.clean.mss import STEP
    from haiti_report.clean.tables import CleaningLog
    from haiti_report.core import queries
    from haiti_report.core.errors import InputError

    tables = mss.compute(root / "data" / "raw", dt.date.fromisoformat(as_of), CleaningLog(STEP))
    day = queries.authorised(tables.mandates)
    if day is None:
        raise InputError(
            root / "data" / "raw" / "mss" / "figures.csv",
            "no mandate row records the mission's authorisation, so editions have no first month",
            "Add the authorisation (kind mandate, measure authorisation) with its source",
        )
    return day


def edition_labels(root: Path, since: dt.date | None = None) -> list[str]:
    """The month-end editions (ISO dates), oldest first, then ``latest``; ``since``: start at
    that month instead of the authorisation's (a quicker run while working)."""
    newest = load_params(root).as_of
    first = max(authorised_on(root, newest), since or dt.date.min)
    return [d.isoformat() for d in month_ends(first, dt.date.fromisoformat(newest))] + [LATEST]


def build_editions(
    root: Path,
    *,
    force: bool = False,
    since: dt.date | None = None,
    log: Log | None = None,
    kernels: KernelPool | None = None,
) -> list[str]:
    """Build (or reuse) every edition, then write reports/index.html; return the labels."""
    log = log or Log()
    labels = edition_labels(root, since)
    pool = kernels or KernelPool(root / "notebooks")
    try:
        for number, label in enumerate(labels, 1):
            log(f"edition {label} ({number} of {len(labels)})")
            params = load_params(root, as_of=None if label == LATEST else label)
            build(root, params, label, force=force, log=log, kernels=pool)
    finally:
        if kernels is None:
            pool.close()
    write_index(root, labels)
    log(f"reports/{INDEX} written: {len(labels)} editions")
    return labels


# --- the index page ------------------------------------------------------------------------


@dataclass(frozen=True)
class Edition:
    label: str
    facts: dict[str, Any]

    @property
    def as_of(self) -> str:
        return str(self.facts["as_of"])


def read_editions(root: Path, labels: list[str]) -> list[Edition]:
    editions = []
    for label in labels:
        path = root / "reports" / label / "facts.json"
        editions.append(Edition(label, json.loads(path.read_text(encoding="utf-8"))))
    return editions


def index_table(editions: list[Edition]) -> Any:
    """One row per edition: its date and headline numbers (null where the edition knew none)."""
    import polars as pl

    from haiti_report.build.changes import leaf
    from haiti_report.build.index_page import HEADLINE_PATHS, column

    return pl.DataFrame(
        {
            "edition": [e.label for e in editions],
            "as_of": [dt.date.fromisoformat(e.as_of) for e in editions],
            "mission": [leaf(e.facts, "mission.short") for e in editions],
            **{column(p): [leaf(e.facts, p) for e in editions] for p in HEADLINE_PATHS},
            # "up to" 980: the qualifier the count was reported with
            "in_haiti_qualifier": [leaf(e.facts, "personnel.deployed.qualifier") for e in editions],
        },
        schema_overrides={column(p): pl.Int64 for p in HEADLINE_PATHS},
    )


def write_index(root: Path, labels: list[str]) -> Path:
    """reports/index.html and index.csv, each written whole then renamed into place."""
    from haiti_report.build.index_page import render_index

    reports = root / "reports"
    editions = read_editions(root, labels)
    table = index_table(editions)
    _write_atomically(reports / INDEX_DATA, table.write_csv())
    return _write_atomically(reports / INDEX, render_index(editions, table))


def _write_atomically(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m haiti_report.build.editions")
    parser.add_argument("--force", action="store_true", help="rebuild every edition")
    parser.add_argument(
        "--since",
        type=dt.date.fromisoformat,
        default=None,
        help="first edition's month (YYYY-MM-DD; default: the month the mission was authorised)",
    )
    parser.add_argument("--root", type=Path, default=None, help="project root (default: cwd)")
    args = parser.parse_args(argv)
    root = (args.root or default_root()).resolve()
    force = args.force or force_from_env()

    def work(log: Log) -> int:
        build_editions(root, force=force, since=args.since, log=log)
        return 0

    return run_cli(work, root)


if __name__ == "__main__":
    raise SystemExit(main())
