"""Byte-reproducible outputs: one timestamp derived from the data, never from the clock.

The build sets ``SOURCE_DATE_EPOCH`` (the reproducible-builds.org convention) to the start of
the as-of day in UTC before any notebook or renderer runs, so every subprocess inherits it:

* Typst (Quarto's PDF route) takes the PDF's creation date from it (``--creation-timestamp``
  defaults to ``SOURCE_DATE_EPOCH``), as matplotlib and other tools that honour it do.
* Headless Chromium ignores it: its print-to-PDF writes the clock time as ``/CreationDate`` and
  ``/ModDate``, the only bytes that differ between two prints of the same page. The renderer
  calls :func:`pin_pdf_dates` on the printed file, which rewrites those two dates in place
  (same length, so the PDF's cross-reference offsets stay valid).

The as-of date is the right stamp: a report "as of 21 September 2024" describes that day, and
the default build's as-of is the newest publication date in the data, so the same inputs give
the same bytes on any day.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

ENV = "SOURCE_DATE_EPOCH"
_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) ?\(D:(\d{14})(Z|[+\-]\d\d'\d\d'?|)\)")


def source_date_epoch(as_of: str) -> int:
    """Seconds since 1970-01-01 UTC at the start of the as-of day (``2024-09-21`` ->
    1726876800)."""
    day = dt.date.fromisoformat(as_of)
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def export_source_date_epoch(as_of: str) -> int:
    """Set ``SOURCE_DATE_EPOCH`` in this process's environment (inherited by the notebook
    kernels, Quarto, Typst and Chromium) and return it."""
    epoch = source_date_epoch(as_of)
    os.environ[ENV] = str(epoch)
    return epoch


def pin_pdf_dates(pdf: Path, epoch: int) -> int:
    """Rewrite the PDF's creation and modification dates to ``epoch`` (UTC), keeping every
    byte offset; return how many dates were rewritten. A date written in another form than
    Chromium's (``D:YYYYMMDDHHmmSS+00'00'``) is left alone, never shifted."""
    stamp = dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y%m%d%H%M%S").encode()
    data = pdf.read_bytes()
    count = 0

    def pin(match: re.Match[bytes]) -> bytes:
        nonlocal count
        zone = match.group(3)
        if zone not in (b"", b"Z") and not zone.startswith((b"+00'00", b"-00'00")):
            return match.group(0)  # a local time: rewriting its digits would shift it
        count += 1
        return match.group(0).replace(match.group(2) + zone, stamp + zone, 1)

    pinned = _PDF_DATE.sub(pin, data)
    if pinned != data:
        tmp = pdf.with_suffix(".pdf.tmp")
        tmp.write_bytes(pinned)
        tmp.replace(pdf)
    return count
