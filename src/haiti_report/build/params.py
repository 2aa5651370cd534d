"""Build parameters: read from params.yaml, overridden from the command line, validated
before any notebook runs.

Values reach the notebooks as typed Python values (a date as an ISO string, paths as a list of
strings), never through papermill's ``-p`` type guessing, which would turn ``2025`` into an int.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from haiti_report.core.errors import InputError
from haiti_report.core.limits import MAX_RAW_CSV_BYTES

KNOWN = ("as_of", "dtm_files")


@dataclass(frozen=True)
class Params:
    as_of: str  # ISO date
    as_of_given: bool  # False when as_of was derived from the data ("newest")
    dtm_files: tuple[str, ...]  # paths relative to the project root

    def for_manifest(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "dtm_files": list(self.dtm_files)}


def _publication_dates(root: Path) -> list[dt.date]:
    """Full publication dates in the sources registry (partial dates like 2024-10 are skipped)."""
    path = root / "data/raw/sources.csv"
    if not path.exists():
        raise InputError(path, "the sources registry is missing", "Restore data/raw/sources.csv")
    size = path.stat().st_size
    if size > MAX_RAW_CSV_BYTES:
        raise InputError(
            path,
            f"file is {size / 1e6:.0f} MB, far larger than a raw figures file "
            f"should be (limit {MAX_RAW_CSV_BYTES / 1e6:.0f} MB)",
            "Check that the right file was saved here",
        )
    if not path.read_bytes().strip():
        raise InputError(path, "file is empty", "It needs a header line and one row per source")
    dates = []
    rows = 0
    with path.open(encoding="utf-8-sig", newline="", errors="replace") as fh:
        for row in csv.DictReader(fh):
            rows += 1
            try:
                dates.append(dt.date.fromisoformat((row.get("published") or "").strip()))
            except ValueError:
                continue
    if not rows:
        raise InputError(path, "file has a header but no rows")
    if not dates:
        raise InputError(path, "no source has a full publication date (YYYY-MM-DD)")
    return dates


def newest_as_of(root: Path) -> str:
    return max(_publication_dates(root)).isoformat()


def resolve_as_of(as_of: str, raw_dir: str | Path) -> str:
    """A notebook's ``as_of`` parameter: "" (its default in JupyterLab) means the newest
    publication date in the sources registry; the build always passes a validated date."""
    if as_of:
        return dt.date.fromisoformat(as_of).isoformat()
    return newest_as_of(Path(raw_dir).resolve().parent.parent)


def parse_as_of(value: Any, *, where: str, root: Path, today: dt.date | None = None) -> str:
    """Validate an as-of date given by a user; return it as an ISO string."""
    today = today or dt.date.today()
    if isinstance(value, dt.datetime):
        raise InputError(where, "as_of must be a date without a time", found=str(value))
    if isinstance(value, dt.date):
        day = value
    elif isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise InputError(
                where,
                "as_of is not an ISO date",
                "Write it as YYYY-MM-DD, e.g. 2024-09-21",
                found=value,
            ) from None
        if len(value.strip()) != 10:
            raise InputError(where, "as_of must be written YYYY-MM-DD", found=value)
    else:
        raise InputError(
            where,
            f"as_of must be a date written YYYY-MM-DD, not a {type(value).__name__}",
            'Quote it in params.yaml: as_of: "2024-09-21"',
            found=repr(value),
        )
    if day > today:
        raise InputError(
            where, f"as_of is in the future (today is {today.isoformat()})", found=day.isoformat()
        )
    first = min(_publication_dates(root))
    if day < first:
        raise InputError(
            where,
            f"as_of is before the first sourced figure ({first.isoformat()})",
            "Choose a later date",
            found=day.isoformat(),
        )
    return day.isoformat()


def parse_dtm_files(value: Any, *, where: str, root: Path) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(where, "dtm_files must be a list of file paths", found=repr(value))
    files = []
    for item in value:
        path = (root / item).resolve()
        if not path.is_file():
            raise InputError(
                where,
                "a DTM file in dtm_files does not exist",
                "Check the path (relative to the project root)",
                found=item,
            )
        files.append(item)
    return tuple(files)


def load_params(
    root: Path,
    *,
    params_file: Path | None = None,
    as_of: str | None = None,
    dtm_files: list[str] | None = None,
    today: dt.date | None = None,
) -> Params:
    """Read params.yaml, apply command-line overrides and validate everything."""
    import yaml

    params_file = params_file or root / "params.yaml"
    raw: dict[str, Any] = {}
    if params_file.exists():
        try:
            loaded = yaml.safe_load(params_file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise InputError(
                params_file,
                f"not valid YAML: {getattr(exc, 'problem', exc)}",
                row=mark.line + 1 if mark else None,
            ) from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise InputError(params_file, "must be a mapping of parameter names to values")
        raw = loaded
    unknown = sorted(set(raw) - set(KNOWN))
    if unknown:
        raise InputError(
            params_file,
            f"unknown parameter(s): {', '.join(map(str, unknown))}",
            f"Known parameters: {', '.join(KNOWN)}",
        )
    where_as_of = "command line (AS_OF)" if as_of is not None else str(params_file)
    value = as_of if as_of is not None else raw.get("as_of")
    given = value is not None and value != ""
    resolved = (
        parse_as_of(value, where=where_as_of, root=root, today=today)
        if given
        else newest_as_of(root)
    )
    where_dtm = "command line (DTM_FILES)" if dtm_files is not None else str(params_file)
    files = parse_dtm_files(
        dtm_files if dtm_files is not None else raw.get("dtm_files"), where=where_dtm, root=root
    )
    return Params(as_of=resolved, as_of_given=given, dtm_files=files)
