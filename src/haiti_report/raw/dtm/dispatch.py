"""Which reader: a DTM file's shape is recognised by its content, not its name."""

from __future__ import annotations

import csv
import inspect
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from haiti_report.core.errors import InputError
from haiti_report.raw.dtm.api import read_dtm_api_json
from haiti_report.raw.dtm.common import ACCEPTED_SHAPES, _is_hxl_row, _require_file
from haiti_report.raw.dtm.hdx import read_hdx_csv
from haiti_report.raw.dtm.xlsx import read_hdx_baseline_xlsx


def _describe_unknown(path: Path, head: bytes) -> str:
    if not head.strip():
        return "an empty file"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old-style .xls workbook (save it as .xlsx)"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive that is not an .xlsx workbook"
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return f"a binary file that is not UTF-8 text (begins {head[:16]!r})"
    lines = list(csv.reader(io.StringIO(text)))
    if len(lines) < 2:
        return f"a one-line text file (begins {text[:60]!r})"
    if "," in text.splitlines()[0]:
        return f"a CSV whose line 2 has no HXL tags (line 2 begins {','.join(lines[1])[:60]!r})"
    return f"a text file that is neither JSON nor CSV (begins {text[:60]!r})"


def _reader_for(path: Path) -> tuple[Callable[..., pl.DataFrame] | None, bytes]:
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    if head.startswith(b"PK\x03\x04") and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            if "xl/workbook.xml" in archive.namelist():
                return read_hdx_baseline_xlsx, head
        return None, head
    try:
        text = head.decode("utf-8-sig", errors="strict").lstrip()
    except UnicodeDecodeError as err:
        # a 64 KB cut can split a multi-byte character; only the cut end may be invalid
        if err.start < len(head) - 4:
            return None, head
        text = head[: err.start].decode("utf-8-sig").lstrip()
    if text.startswith(("{", "[")):
        return read_dtm_api_json, head
    lines = list(csv.reader(io.StringIO(text)))
    if len(lines) >= 2 and _is_hxl_row(lines[1]):
        return read_hdx_csv, head
    return None, head


def read_dtm_file(path: str | Path, **kw: Any) -> pl.DataFrame:
    """Read any of the three DTM shapes, choosing the reader from the file's content.

    Keyword arguments go to the chosen reader when it accepts them (``country`` for the CSV,
    ``sheet``/``round``/``operation`` for the workbook), so one call works for mixed folders.
    """
    path = _require_file(path)
    reader, head = _reader_for(path)
    if reader is None:
        raise InputError(
            path,
            f"not a DTM file this project reads: found {_describe_unknown(path, head)}",
            fix=f"Accepted shapes: {ACCEPTED_SHAPES}",
        )
    known = {
        name
        for r in (read_dtm_api_json, read_hdx_csv, read_hdx_baseline_xlsx)
        for name in inspect.signature(r).parameters
    }
    if unknown := set(kw) - known:
        raise TypeError(f"read_dtm_file() got unexpected keyword(s) {sorted(unknown)}")
    accepted = inspect.signature(reader).parameters
    return reader(path, **{k: v for k, v in kw.items() if k in accepted})
