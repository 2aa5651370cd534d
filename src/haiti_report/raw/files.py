"""The one strict reader of the hand-kept CSV files in data/raw/ (and of any other small text
input a person edits, such as params.yaml).

The raw files are edited by people (reporters adding a figure, a new IOM round), in text
editors and in spreadsheets, so every problem is reported with the file, the line and the
column, and what to do. The reader takes files as spreadsheets save them:

* a UTF-8 byte-order mark (Excel's "CSV UTF-8", LibreOffice's default) is dropped, and Windows
  (CRLF) and classic Mac (CR) line endings are read as LF: they only change how the same text
  is stored;
* UTF-16 and UTF-32 (Excel's "Unicode Text") are recognised and named, with how to re-save;
* only regular files are read: a named pipe, a device such as /dev/zero or a folder is refused
  before reading (a pipe is opened without blocking, so it can never hang the build), and the
  size is checked before any byte is read;
* NUL and other control characters, invisible text-direction controls and cells longer than
  any note needs are refused with their line and column;
* a text cell a spreadsheet would run as a formula (starting with =, +, - or @) is refused, so no
  published CSV can carry one (see docs/bad-input-messages.md, "Formulas").
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
import stat
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from haiti_report.core.errors import InputError
from haiti_report.core.limits import MAX_CELL_CHARS, MAX_RAW_CSV_BYTES, mebibytes

LINE = "line"  # column added to every table read here: the row's line number in its file
MAX_RAW_BYTES = MAX_RAW_CSV_BYTES

# Characters no hand-kept cell needs: C0/C1 controls other than tab and line feed (line ends
# are LF by then), DEL, Unicode line/paragraph separators, the
# invisible text-direction embeddings, overrides and isolates (they make text display in
# another order than it is stored), and a byte-order mark inside the text (two files pasted
# together).
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
_CONTROL_NAMES = {0x00: "NUL", 0x0D: "carriage return", 0x1B: "ESC", 0x7F: "DEL"}
# A spreadsheet runs a cell as a formula when it starts with one of these (OWASP "CSV
# injection"); the full-width forms are converted to them by some spreadsheet locales.
FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"^[+\-]?\d[\d,. ]*%?$")


# --- files -----------------------------------------------------------------------------------


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device (such as /dev/zero)"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular_file(path: Path, max_bytes: int) -> os.stat_result:
    """Refuse anything but a regular file of at most ``max_bytes``, without opening it."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError(
                path,
                f"is a link to {os.readlink(path)}, which does not exist",
                "Replace the link with the file itself",
            ) from None
        raise InputError(
            path, "file not found", "Restore it from git (git checkout -- <file>)"
        ) from None
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror})", "Check the path") from None
    if not stat.S_ISREG(info.st_mode):
        target = f" (it links to {os.path.realpath(path)})" if path.is_symlink() else ""
        raise InputError(
            path,
            f"is {_kind(info.st_mode)}, not a regular file{target}",
            "Only ordinary files are read: put the real file here",
        )
    _check_size(path, info.st_size, max_bytes)
    return info


def _check_size(path: Path, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise InputError(
            path,
            f"file is {mebibytes(size)}, far larger than it should be "
            f"(limit {mebibytes(max_bytes)})",
            "Check that the right file was saved here",
        )


def read_regular_file(path: Path, max_bytes: int = MAX_RAW_BYTES) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``max_bytes``.

    The file is opened without blocking and checked again on the open handle, so a file
    swapped for a named pipe between the check and the read cannot hang the build either."""
    check_regular_file(path, max_bytes)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror})", "Check the path") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise InputError(path, f"is {_kind(info.st_mode)}, not a regular file")
        data = handle.read(max_bytes + 1)
    _check_size(path, len(data), max_bytes)  # it grew while we read
    return data


def decode_text(path: Path, data: bytes) -> str:
    """UTF-8 text with LF line endings; a UTF-8 BOM is dropped, UTF-16/32 named."""
    for boms, name in (
        ((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"), "UTF-32"),
        ((b"\xff\xfe", b"\xfe\xff"), "UTF-16"),
    ):
        if data.startswith(boms) or (name == "UTF-16" and _looks_utf16(data)):
            raise InputError(
                path,
                f"this file is {name}",
                "Save it as UTF-8 (in Excel: Save As > 'CSV UTF-8'; in LibreOffice or a "
                "text editor: character set or encoding 'UTF-8')",
            )
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            path,
            "file is not valid UTF-8 (perhaps saved as Latin-1/Windows-1252)",
            row=data[: exc.start].count(b"\n") + 1,
            found=f"byte {data[exc.start]:#04x}",
            fix="Re-save it with UTF-8 encoding",
        ) from None
    # CRLF (Windows) and a lone CR (classic Mac OS) both end a line, as in any spreadsheet.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a BOM: text in the ASCII range has a NUL in every other byte."""
    head = data[:512]
    if len(head) < 4:
        return False
    return max(head[0::2].count(0), head[1::2].count(0)) >= len(head) // 4


def describe_char(char: str) -> str:
    """'U+0000 NUL', 'U+202E RIGHT-TO-LEFT OVERRIDE': how an invisible character is shown."""
    code = ord(char)
    name = _CONTROL_NAMES.get(code) or unicodedata.name(char, "control character")
    return f"U+{code:04X} {name}"


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would run this cell as a formula: it starts with =, +, - or @
    (or a tab or CR) and is not simply a number such as -24 or +5%."""
    if not text:
        return False
    if text[0] in "\t\r":
        return True
    stripped = text.strip()
    return (
        len(stripped) > 1
        and stripped.startswith(FORMULA_STARTS)
        and not _PLAIN_NUMBER.match(stripped)
    )


# --- CSV -------------------------------------------------------------------------------------


def read_raw_csv(
    path: Path,
    columns: Sequence[str] | None,
    *,
    required: Sequence[str] = (),
    max_bytes: int = MAX_RAW_BYTES,
    allow_empty: bool = False,
) -> pl.DataFrame:
    """Read ``path`` as text columns plus ``line``; check layout, text and required cells.

    ``columns`` is the exact header expected (order free), or None to take the file's own
    header (still checked: named, unique); ``required`` lists columns that may not be empty in
    any row; ``allow_empty`` accepts a header without rows (a table that may be empty, such
    as the country aliases). Cells are stripped; empty cells are null."""
    path = Path(path)
    data = read_regular_file(path, max_bytes)
    expected = ",".join(columns) if columns is not None else "the column names"
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise InputError(path, "file is empty", f"It needs a header line: {expected}")
    text = decode_text(path, data)
    header, rows, lines = _parse(path, text, columns)
    if not rows and not allow_empty:
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
    keep = list(columns) if columns is not None else header
    return frame.select([*keep, LINE]).with_columns(
        pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in keep
    )


def _parse(
    path: Path, text: str, columns: Sequence[str] | None
) -> tuple[list[str], list[list[str]], list[int]]:
    """Header (checked first: a wrong header explains wrong rows), rows and each row's first
    line; every cell checked by :func:`check_cell`."""
    # The default limit (128 KB) would fail with a bare csv.Error; cells are checked below.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_RAW_BYTES))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InputError(path, f"header line is not valid CSV: {exc}", row=1) from None
    for name in header:
        check_cell(path, name, 1, None)
    _check_header(path, header, columns if columns is not None else header)
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
                for name, cell in zip(header, record, strict=True):
                    check_cell(path, cell, start, name)
                rows.append(record)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(path, f"not valid CSV: {exc}", row=reader.line_num) from None
    return header, rows, lines


def check_cell(path: Path, cell: str, row: int, column: str | None) -> None:
    """One cell as a person typed it: not absurdly long, no invisible controls, no formula."""
    if len(cell) > MAX_CELL_CHARS:
        raise InputError(
            path,
            f"the cell is {len(cell):,} characters long; no figure, title or note needs more "
            f"than {MAX_CELL_CHARS:,}",
            "Check what was pasted into it",
            row=row,
            column=column,
        )
    bad = FORBIDDEN.search(cell)
    if bad:
        raise InputError(
            path,
            "the cell contains an invisible control character",
            "Delete it (retype the cell if you cannot see it)",
            row=row + cell[: bad.start()].count("\n"),
            column=column,
            found=describe_char(bad.group()),
        )
    if looks_like_formula(cell):
        raise InputError(
            path,
            f"the cell starts with '{cell.strip()[0]}', so a spreadsheet opening the published "
            "data would run it as a formula",
            "Reword it to start with a letter, a digit or a bracket",
            row=row,
            column=column,
            found=cell.strip(),
        )


def _names(items: Sequence[str], limit: int = 6) -> list[str]:
    shown = [f"'{name}'" for name in items[:limit]]
    return shown + ([f"and {len(items) - limit} more"] if len(items) > limit else [])


def _check_header(path: Path, header: list[str], columns: Sequence[str]) -> None:
    must_be = f"The header must be: {','.join(columns)}"
    if any(not name.strip() for name in header):
        position = [i for i, name in enumerate(header, 1) if not name.strip()][0]
        raise InputError(path, f"column {position} of the header has no name", must_be, row=1)
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise InputError(path, f"header repeats column(s) {', '.join(_names(dupes))}", row=1)
    missing = [c for c in columns if c not in header]
    extra = [h for h in header if h not in columns]
    if not missing and not extra:
        return
    renamed: dict[str, str] = {}
    for name in missing:
        close = difflib.get_close_matches(name, extra, n=1)
        if close:
            renamed[name] = close[0]
    if len(missing) == 1 and len(extra) == 1:  # one out, one in: almost surely a rename
        renamed = {missing[0]: extra[0]}
    parts = [
        f"'{name}' is missing"
        + (f" (is '{renamed[name]}' it, renamed?)" if name in renamed else "")
        for name in missing
    ]
    unexpected = [name for name in extra if name not in renamed.values()]
    if unexpected:
        parts.append(
            ", ".join(_names(unexpected))
            + " "
            + ("is" if len(unexpected) == 1 else "are")
            + " not expected"
        )
    raise InputError(path, "unexpected columns: " + "; ".join(parts), must_be, row=1)


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
