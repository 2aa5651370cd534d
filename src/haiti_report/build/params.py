"""Build parameters: read from params.yaml, overridden from the command line, validated
before any notebook runs.

Values reach the notebooks as typed Python values (a date as an ISO string, paths as a list of
strings), never through papermill's ``-p`` type guessing, which would turn ``2025`` into an int.

Validation reads the raw files through the one raw reader (haiti_report.raw.files): the
sources registry for the default as-of date, and every raw file's dates for the story's span
(haiti_report.raw.plausible), so an absurd date stops the build here, with its file, line and
column, before any cleaning code sees it. params.yaml itself is read as a small regular UTF-8
file, and its YAML is checked for aliases and nesting before it is built into values.
"""

from __future__ import annotations

import datetime as dt
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from haiti_report.core.errors import InputError
from haiti_report.core.limits import MAX_INPUT_BYTES, MAX_PARAMS_BYTES, MAX_PARAMS_DEPTH
from haiti_report.raw.files import FORBIDDEN, check_regular_file, decode_text, read_regular_file

KNOWN = ("as_of", "dtm_files")


@dataclass(frozen=True)
class Params:
    as_of: str  # ISO date
    as_of_given: bool  # False when as_of was derived from the data ("newest")
    dtm_files: tuple[str, ...]  # paths relative to the project root (or absolute)

    def for_manifest(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "dtm_files": list(self.dtm_files)}


def _publication_dates(root: Path, today: dt.date | None = None) -> list[dt.date]:
    """Full publication dates in the sources registry (partial dates like 2024-10 are
    skipped); a source dated after today is refused, never made the default as-of."""
    from haiti_report.raw.sources import load_sources, sources_path

    today = today or dt.date.today()
    path = sources_path(root / "data" / "raw")
    sources = load_sources(root / "data" / "raw")
    future = sources.filter(sources["published_first"] > today)
    if future.height:
        raise InputError(
            path,
            f"the source is dated after today ({today.isoformat()})",
            "Check the year of its publication date",
            row=int(future["line"][0]),
            column="published",
            found=future["published"][0],
        )
    dates = [
        d
        for d, first in zip(sources["published_last"], sources["published_first"], strict=True)
        if d is not None and d == first
    ]
    if not dates:
        raise InputError(path, "no source has a full publication date (YYYY-MM-DD)")
    return dates


def newest_as_of(root: Path, today: dt.date | None = None) -> str:
    return max(_publication_dates(root, today)).isoformat()


def resolve_as_of(as_of: str, raw_dir: str | Path) -> str:
    """A notebook's ``as_of`` parameter: "" (its default in JupyterLab) means the newest
    publication date in the sources registry; a date is checked as the build checks it."""
    root = Path(raw_dir).resolve().parent.parent
    if as_of:
        return parse_as_of(as_of, where="the notebook's as_of parameter", root=root)
    return newest_as_of(root)


def parse_as_of(
    value: Any,
    *,
    where: str,
    root: Path,
    today: dt.date | None = None,
    dates: list[dt.date] | None = None,
) -> str:
    """Validate an as-of date given by a user; return it as an ISO string. ``dates`` are the
    registry's publication dates, when the caller has read them already."""
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
    first = min(dates or _publication_dates(root, today))
    if day < first:
        raise InputError(
            where,
            f"as_of is before the first sourced figure ({first.isoformat()})",
            "Choose a later date",
            found=day.isoformat(),
        )
    return day.isoformat()


def split_dtm_files(value: str, root: Path | None = None) -> list[str]:
    """DTM_FILES as typed on the make command line: one path, or several separated by spaces
    (quote a path that has spaces, as in a shell: "my file.json" b.csv). A value that is the
    path of an existing file (under ``root``) is that one file, whatever its spaces and quotes.
    Never run by a shell: the value only reaches Python through the environment."""
    value = value.strip()
    if not value:
        return []
    if root is not None and (root / value).is_file():
        return [value]
    try:
        return shlex.split(value)
    except ValueError:  # an unbalanced quote: O'Brien.json is one path
        return [value]


def parse_dtm_files(value: Any, *, where: str, root: Path) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(where, "dtm_files must be a list of file paths", found=repr(value))
    files = []
    for item in value:
        if not item.strip() or FORBIDDEN.search(item):
            raise InputError(
                where,
                "a path in dtm_files is empty or contains a control character",
                found=item,
            )
        path = root / item
        if not path.exists() and not path.is_symlink():
            raise InputError(
                where,
                "a DTM file in dtm_files does not exist",
                "Check the path (relative to the project root)",
                found=item,
            )
        try:
            check_regular_file(path, MAX_INPUT_BYTES)
        except InputError as exc:
            raise InputError(where, f"the DTM file {item} {exc.problem}", exc.fix) from None
        files.append(item)
    return tuple(files)


def read_params_file(path: Path) -> dict[str, Any]:
    """params.yaml as a mapping: a small regular UTF-8 file, plain YAML (no aliases, shallow),
    built by the safe loader only."""
    import yaml

    text = decode_text(path, read_regular_file(path, MAX_PARAMS_BYTES))
    try:
        _check_yaml_events(path, yaml.parse(text, Loader=yaml.SafeLoader))
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            path,
            f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
            row=mark.line + 1 if mark else None,
        ) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise InputError(path, "must be a mapping of parameter names to values")
    return loaded


def _check_yaml_events(path: Path, events: Any) -> None:
    """Refuse aliases (a 'billion laughs' file expands a few lines into gigabytes) and deep
    nesting (the loader recurses) before the loader builds anything."""
    import yaml

    depth = 0
    for event in events:
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, yaml.AliasEvent):
            raise InputError(
                path,
                "uses a YAML alias (*name); parameters are plain values",
                "Write the value out instead of referring to an anchor",
                row=line,
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_PARAMS_DEPTH:
                raise InputError(
                    path,
                    f"is nested more than {MAX_PARAMS_DEPTH} levels deep",
                    "Parameters are a date (as_of) and a list of paths (dtm_files)",
                    row=line,
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def load_params(
    root: Path,
    *,
    params_file: Path | None = None,
    as_of: str | None = None,
    dtm_files: list[str] | None = None,
    today: dt.date | None = None,
) -> Params:
    """Read params.yaml, apply command-line overrides and validate everything."""
    from haiti_report.raw.decisions import decisions_path, read_decisions
    from haiti_report.raw.plausible import check_raw_dates

    today = today or dt.date.today()
    params_file = params_file or root / "params.yaml"
    exists = params_file.exists() or params_file.is_symlink()
    raw = read_params_file(params_file) if exists else {}
    unknown = sorted(set(raw) - set(KNOWN), key=str)
    if unknown:
        raise InputError(
            params_file,
            f"unknown parameter(s): {', '.join(map(str, unknown))}",
            f"Known parameters: {', '.join(KNOWN)}",
        )
    raw_dir = root / "data" / "raw"
    dates = _publication_dates(root, today)  # the registry first: its own mistakes come first
    check_raw_dates(raw_dir, today)
    if decisions_path(raw_dir).exists() or decisions_path(raw_dir).is_symlink():
        read_decisions(decisions_path(raw_dir))  # contradictions need no cleaning code
    where_as_of = "command line (AS_OF)" if as_of is not None else str(params_file)
    value = as_of if as_of is not None else raw.get("as_of")
    given = value is not None and value != ""
    resolved = (
        parse_as_of(value, where=where_as_of, root=root, today=today, dates=dates)
        if given
        else max(dates).isoformat()
    )
    where_dtm = "command line (DTM_FILES)" if dtm_files is not None else str(params_file)
    files = parse_dtm_files(
        dtm_files if dtm_files is not None else raw.get("dtm_files"), where=where_dtm, root=root
    )
    return Params(as_of=resolved, as_of_given=given, dtm_files=files)
