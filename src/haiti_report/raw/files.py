"""Strict reading of the hand-kept CSV files in data/raw/.

The raw files are edited by people (reporters adding a figure, a new IOM round), so every
problem is reported with the file, the line and the column, and what to do. The files are kept
byte-stable for review in git and for content hashes: UTF-8 without BOM, LF line endings, the
exact columns the data dictionary (data/raw/README.md) lists.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from haiti_report.core.errors import InputError
from haiti_report.core.limits import MAX_RAW_CSV_BYTES

LINE = "line"  # column added to every table read here: the row's line number in its file
MAX_RAW_BYTES = MAX_RAW_CSV_BYTES


def read_raw_csv(
    path: Path,
    columns: Sequence[str],
    *,
    required: Sequence[str] = (),
    max_bytes: int = MAX_RAW_BYTES,
) -> pl.DataFrame:
    """Read ``path`` as text columns plus ``line``; check layout and required cells.

    ``columns`` is the exact header expected (order free); ``required`` lists columns that may
    not be empty in any row.
    """
    if not path.is_file():
        raise InputError(path, "file not found", "Restore it from git (git checkout -- <file>)")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            path,
            f"file is {size / 1e6:.0f} MB, far larger than a raw figures file should be "
            f"(limit {max_bytes / 1e6:.0f} MB)",
            "Check that the right file was saved here",
        )
    data = path.read_bytes()
    if not data.strip():
        raise InputError(path, "file is empty", f"It needs a header line: {','.join(columns)}")
    if data.startswith(b"\xef\xbb\xbf"):
        raise InputError(
            path,
            "file starts with a byte-order mark (BOM)",
            row=1,
            fix="Save it as UTF-8 without BOM (e.g. in LibreOffice: uncheck "
            "'byte-order mark'; or run: sed -i '1s/^\\xEF\\xBB\\xBF//' FILE)",
        )
    if b"\r" in data:
        line = data[: data.index(b"\r")].count(b"\n") + 1
        raise InputError(
            path,
            "file has Windows (CRLF) line endings",
            row=line,
            fix="Convert it to LF line endings (e.g. dos2unix FILE)",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            path,
            "file is not valid UTF-8 (perhaps saved as Latin-1/Windows-1252)",
            row=line,
            found=f"byte {data[exc.start]:#04x}",
            fix="Re-save it with UTF-8 encoding",
        ) from None

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InputError(path, f"header line is not valid CSV: {exc}", row=1) from None
    _check_header(path, header, columns)
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 2
    try:
        for record in reader:
            if record:  # a blank line between rows is harmless
                if len(record) != len(header):
                    raise InputError(
                        path,
                        f"row has {len(record)} fields, the header has {len(header)}",
                        "Check for a missing or extra comma, or an unquoted comma in a text "
                        "cell (wrap such cells in double quotes)",
                        row=start,
                    )
                rows.append(record)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(path, f"not valid CSV: {exc}", row=reader.line_num) from None
    if not rows:
        raise InputError(path, "file has a header but no rows")
    frame = pl.DataFrame(
        {name: [r[i].strip() for r in rows] for i, name in enumerate(header)},
        schema={name: pl.String for name in header},
    ).with_columns(pl.Series(LINE, lines, dtype=pl.Int64))
    for column in required:
        empty = frame.filter(pl.col(column) == "")
        if empty.height:
            raise InputError(
                path,
                "a required cell is empty",
                row=empty[LINE][0],
                column=column,
                fix="Fill it in (every row needs this value)",
            )
    return frame.select([*columns, LINE]).with_columns(
        pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in columns
    )


def _check_header(path: Path, header: list[str], columns: Sequence[str]) -> None:
    if any(not name.strip() for name in header):
        position = [i for i, name in enumerate(header, 1) if not name.strip()][0]
        raise InputError(
            path,
            f"column {position} of the header has no name",
            row=1,
            fix=f"The header must be: {','.join(columns)}",
        )
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise InputError(path, f"header repeats column(s) {', '.join(dupes)}", row=1)
    missing = [c for c in columns if c not in header]
    extra = [h for h in header if h not in columns]
    if not missing and not extra:
        return
    parts = []
    renamed: dict[str, str] = {}
    for name in missing:
        close = difflib.get_close_matches(name, extra, n=1)
        if close:
            renamed[name] = close[0]
    if len(missing) == 1 and len(extra) == 1:  # one out, one in: almost surely a rename
        renamed = {missing[0]: extra[0]}
    for name in missing:
        parts.append(
            f"'{name}' is missing"
            + (f" (is '{renamed[name]}' it, renamed?)" if name in renamed else "")
        )
    parts += [f"'{name}' is not expected" for name in extra if name not in renamed.values()]
    raise InputError(
        path,
        "unexpected columns: " + "; ".join(parts),
        row=1,
        fix=f"The header must be: {','.join(columns)}",
    )


def raise_on_duplicates(frame: pl.DataFrame, path: Path, column: str) -> None:
    """Ids must be unique: point at the second row that repeats one."""
    seen: set[str] = set()
    for index, value in enumerate(frame[column]):
        if value in seen:
            raise fail_row(
                path, frame, index, column, f"{column} is used twice", "Give each row its own id"
            )
        seen.add(value)


def fail_row(
    path: Path, frame: pl.DataFrame, index: int, column: str, problem: str, fix: str = ""
) -> InputError:
    """An InputError for row ``index`` of a table read by :func:`read_raw_csv`."""
    value = frame[column][index] if column in frame.columns else None
    return InputError(
        path,
        problem,
        fix,
        row=int(frame[LINE][index]),
        column=column,
        found=None if value is None else str(value),
    )
