"""Errors a user can act on.

Every problem with input data is raised as :class:`InputError`, which names the file, the row
(or line), the column, what was found and what to do about it. The build prints the message
alone (no traceback) unless ``HAITI_REPORT_DEBUG=1`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
            where += f", column '{self.column}'"
        text = f"{where}: {self.problem}"
        if self.found is not None:
            text += f" (found: {self.found!r})"
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
