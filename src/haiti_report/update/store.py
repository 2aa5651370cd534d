"""Provenance as data: each response kept as received, with one row in sources.csv.

* A response is stored in ``data/raw/displacement/dtm/`` as ``<source>-<level>-hti-<day>.<ext>``
  (``dtm-api-v3-admin0-hti-2026-12-01.json``); its ``sources.csv`` row has that name (without
  the extension) as ``source_id``, so the build matches file and row.
* Nothing is added when the same data is already stored (same records, whatever their order or
  the envelope's formatting): fetching twice changes nothing.
* Nothing is written before every response of the fetch has been read and checked by the DTM
  reader; then the files and the new ``sources.csv`` are written to temporary files beside their
  targets and renamed into place, with Ctrl-C held off for those few renames. A failed or
  interrupted update leaves ``data/raw`` as it was.
* The sources row is written through the registry's own header: only the columns that exist are
  filled, so the registry can gain columns without this code changing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from haiti_report.clean.dtm_files import DTM_DIR
from haiti_report.core.errors import InputError
from haiti_report.raw import dtm
from haiti_report.raw.sources import IOM_DTM_CREDIT
from haiti_report.update.client import Fetched, UpdateError

# Columns this tool fills when the registry has them (the core ones always exist).
PROVENANCE_COLUMNS = ("accessed", "sha256", "licence", "credit")
PUBLISHED_BASIS = "retrieved"  # for a `published_basis` column: the day is an upper bound
EXTENSIONS = {"dtm-api-v3": ".json", "hdx": ".csv"}


@dataclass(frozen=True)
class Planned:
    fetched: Fetched
    path: Path  # where the file goes
    source_row: dict[str, str]
    existing: Path | None  # an already stored file with the same data (then nothing is added)


def file_stem(fetched: Fetched) -> str:
    return f"{fetched.source}-{fetched.level}-hti-{fetched.retrieved.isoformat()}"


def content_key(body: bytes) -> str:
    """What makes two responses the same data: the records, in any order. Falls back to the
    bytes for anything that is not a JSON envelope (the HDX CSV is compared row by row)."""
    try:
        payload = json.loads(body)
        records = payload["result"]
        text = "\n".join(sorted(json.dumps(r, sort_keys=True) for r in records))
    except (ValueError, KeyError, TypeError):
        text = "\n".join(sorted(body.decode("utf-8", "replace").splitlines()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_copy(folder: Path, fetched: Fetched, body: bytes) -> Path | None:
    """An earlier file of the same source and level holding the same data, if any."""
    if not folder.is_dir():
        return None
    key = content_key(body)
    prefix = f"{fetched.source}-{fetched.level}-hti-"
    for path in sorted(folder.glob(prefix + "*")):
        if path.is_file() and content_key(path.read_bytes()) == key:
            return path
    return None


def _free_path(folder: Path, stem: str, ext: str) -> Path:
    """``stem.ext``, or ``stem-2.ext``... when a different response of the same day exists."""
    path, n = folder / f"{stem}{ext}", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}{ext}"
    return path


def check_response(fetched: Fetched, body: bytes) -> None:
    """Read the response with the project's own DTM reader (from a temporary file) so a
    malformed, empty or foreign response fails here, before anything is written."""
    ext = EXTENSIONS[fetched.source]
    with tempfile.TemporaryDirectory(prefix="haiti-update-") as tmp:
        path = Path(tmp) / f"{fetched.level}{ext}"
        path.write_bytes(body)
        try:
            dtm.read_dtm_file(path)
        except InputError as err:
            raise UpdateError(
                f"the {fetched.level} answer from {fetched.url} is not usable: {err.problem}"
                f"{f' (found: {err.found!r})' if err.found else ''}; nothing was changed"
            ) from None


def plan(raw_dir: Path, fetched: list[Fetched]) -> list[Planned]:
    folder = raw_dir / DTM_DIR
    out = []
    for item in fetched:
        check_response(item, item.body)
        existing = stored_copy(folder, item, item.body)
        path = _free_path(folder, file_stem(item), EXTENSIONS[item.source])
        out.append(Planned(item, path, source_row(item, path), existing))
    return out


def source_row(fetched: Fetched, path: Path) -> dict[str, str]:
    day = fetched.retrieved.isoformat()
    what = "DTM API v3" if fetched.source == "dtm-api-v3" else "HDX dataset"
    level = {"admin0": "national", "admin1": "departments"}.get(fetched.level, fetched.level)
    return {
        "source_id": path.stem,
        "outlet": "IOM DTM API" if fetched.source == "dtm-api-v3" else "HDX (IOM DTM)",
        "title": f"{what}: internally displaced people in Haiti ({level}), retrieved {day}",
        "url": fetched.url,
        # the day it was retrieved: the figures had been published by then (an upper bound)
        "published": day,
        "kind": "dataset",
        "language": "en",
        "via": "",
        "accessed": day,
        "sha256": hashlib.sha256(fetched.body).hexdigest(),
        "licence": fetched.licence,
        "credit": IOM_DTM_CREDIT,
        "published_basis": PUBLISHED_BASIS,
    }


def registry_with_rows(sources_csv: Path, rows: list[dict[str, str]]) -> tuple[bytes, list[str]]:
    """The registry's bytes with ``rows`` appended, filling only the columns its header has;
    also the provenance columns it lacks (their values are not recorded)."""
    data = sources_csv.read_bytes()
    text = data.decode("utf-8")
    header = next(csv.reader(io.StringIO(text)))
    missing = [c for c in PROVENANCE_COLUMNS if c not in header]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    joined = text if text.endswith("\n") else text + "\n"
    return (joined + out.getvalue()).encode("utf-8"), missing


def _write_temp(target: Path, data: bytes) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(name)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold off Ctrl-C and SIGTERM for the few renames of a commit."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def remove_leftovers(raw_dir: Path) -> None:
    """Temporary files of an update that was killed before it could clean up."""
    for folder in (raw_dir, raw_dir / DTM_DIR):
        if folder.is_dir():
            for path in folder.glob(".*.tmp"):
                path.unlink(missing_ok=True)


def commit(raw_dir: Path, planned: list[Planned]) -> tuple[list[Planned], list[str]]:
    """Write the new files and their source rows; return what was added and the provenance
    columns the registry lacks."""
    new = [p for p in planned if p.existing is None]
    if not new:
        return [], []
    sources_csv = raw_dir / "sources.csv"
    registry, missing = registry_with_rows(sources_csv, [p.source_row for p in new])
    temps: list[tuple[Path, Path]] = []
    try:
        for item in new:
            temps.append((_write_temp(item.path, item.fetched.body), item.path))
        temps.append((_write_temp(sources_csv, registry), sources_csv))
        with _signals_held():
            for temp, target in temps:
                os.replace(temp, target)
    finally:
        for temp, _ in temps:
            temp.unlink(missing_ok=True)
    return new, missing
