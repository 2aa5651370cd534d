"""Errors a user can act on, and text that is safe to print.

Every problem with input data is raised as :class:`InputError`, which names the file, the row
(or line), the column, what was found and what to do about it. The build prints the message
alone (no traceback) unless ``HAITI_REPORT_DEBUG=1`` is set.

Text from data can reach the terminal (an error naming a cell, the "what changed" summary);
:func:`printable` makes sure it cannot move the cursor, recolour the terminal, hide text or
reorder it: every control character is shown as a visible escape instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MAX_FOUND_CHARS = 500  # how much of an offending value a message quotes (a line stays readable)

# C0 and C1 controls (ESC starts ANSI sequences; CR and backspace overwrite what was printed),
# DEL, and the invisible Unicode characters that reorder or hide text.
_UNPRINTABLE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)


def printable(text: str, *, newlines: bool = True) -> str:
    """``text`` with every control or invisible formatting character shown as ``\\xNN`` or
    ``\\uNNNN``; line feeds are kept when ``newlines`` (the summary is several lines)."""
    if not newlines:
        text = text.replace("\n", "\\n")

    def show(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _UNPRINTABLE.sub(show, text)


def _quote(value: str) -> str:
    if len(value) > MAX_FOUND_CHARS:
        value = value[:MAX_FOUND_CHARS] + f"… ({len(value):,} characters)"
    return repr(value)


@dataclass
class InputError(Exception):
    """A problem in an input file that the user must fix.

    ``row`` is the 1-based line number in the file as a text editor shows it (the header is
    line 1), or ``None`` when the problem concerns the whole file.
    """

    file: str | Path
    problem: str
    fix: str = ""
    row: int | None = None
    column: str | None = None
    found: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = str(self.file)
        if self.row is not None:
            where += f", line {self.row}"
        if self.column is not None:
            where += f", column {_quote(self.column)}"
        text = f"{where}: {self.problem}"
        if self.found is not None:
            text += f" (found: {_quote(self.found)})"
        if self.fix:
            text += f". {self.fix}"
        return text

    def __str__(self) -> str:
        return self.message


class BuildError(Exception):
    """A build step failed; ``input_error`` is True when the cause was bad input data."""

    def __init__(self, message: str, *, input_error: bool = False) -> None:
        super().__init__(message)
        self.input_error = input_error
