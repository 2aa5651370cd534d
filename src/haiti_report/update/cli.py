"""``python -m haiti_report.update`` (what ``make update`` runs).

Settings come from the environment, so no value is ever pasted into a shell:

* ``SOURCE``: ``api`` (default) or ``hdx`` (keyless, through hdx-python-api);
* ``DTM_API_KEY``: the DTM API subscription key (required for ``api``; sent as the
  ``Ocp-Apim-Subscription-Key`` header, never written anywhere);
* ``DTM_API_URL``: the API's base (default IOM's public v3 endpoint);
* ``HDX_URL``: the HDX site (default the public one; read by hdx-python-api itself);
* ``UPDATE_SUMMARY_FILE``: also write the summary there (the scheduled workflow's pull request).

It prints what it added, in words, and exits 0; any failure is one line on stderr, exit 1, with
``data/raw`` as it was.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import traceback
from pathlib import Path

from haiti_report.core.errors import InputError
from haiti_report.update import store, summary
from haiti_report.update.client import DEFAULT_API_URL, Fetched, UpdateError, fetch_api


def current(raw_dir: Path) -> summary.Snapshot:
    """The displacement series a build of ``raw_dir`` gives at its default as-of date."""
    from haiti_report.clean import displacement
    from haiti_report.clean.tables import CleaningLog
    from haiti_report.raw.sources import load_sources, newest_published

    raw = displacement.load_raw(raw_dir)
    as_of = newest_published(load_sources(raw_dir))
    if as_of is None:
        return summary.Snapshot.empty()
    log = CleaningLog("update")
    tables = displacement.build_tables(raw, as_of, (), log)
    return summary.Snapshot(tables.national, tables.departments, log.frame())


def fetch(source: str, today: dt.date, workdir: Path) -> list[Fetched]:
    if source == "api":
        base = os.environ.get("DTM_API_URL", "").strip() or DEFAULT_API_URL
        return fetch_api(base, os.environ.get("DTM_API_KEY"), today)
    if source == "hdx":
        from haiti_report.update.hdx import fetch_hdx

        return [fetch_hdx(os.environ.get("HDX_URL", "").strip() or None, today, workdir)]
    raise UpdateError(f"SOURCE must be 'api' or 'hdx', not {source!r}")


def run(root: Path, source: str, today: dt.date) -> str:
    raw_dir = root / "data" / "raw"
    if not (raw_dir / "sources.csv").is_file():
        raise UpdateError(f"no data/raw/sources.csv under {root}: run this in the project folder")
    store.remove_leftovers(raw_dir)
    before = current(raw_dir)
    with tempfile.TemporaryDirectory(prefix="haiti-update-") as tmp:
        planned = store.plan(raw_dir, fetch(source, today, Path(tmp)))
    added, missing = store.commit(raw_dir, planned)
    lines = summary.describe(before, current(raw_dir)) if added else []
    text = summary.format_summary(lines, [p.path.name for p in added])
    if missing:
        text += (
            f"Note: sources.csv has no column {', '.join(missing)}; those details were not "
            "recorded.\n"
        )
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make update", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the project folder")
    parser.add_argument("--today", type=dt.date.fromisoformat, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    source = os.environ.get("SOURCE", "").strip().lower() or "api"
    today = args.today or dt.datetime.now(dt.UTC).date()
    try:
        text = run(args.root.resolve(), source, today)
    except (UpdateError, InputError) as err:
        if os.environ.get("HAITI_REPORT_DEBUG") == "1":
            traceback.print_exc()
        print(f"make update: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("make update: interrupted; data/raw is as it was", file=sys.stderr)
        return 130
    print(text, end="")
    target = os.environ.get("UPDATE_SUMMARY_FILE", "").strip()
    if target:
        Path(target).write_text(text, encoding="utf-8")
    return 0
