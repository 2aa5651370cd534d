"""Dates as sources give them: a day, a month or only a year.

A partial date is a span. For "was it known by as_of?" the build uses the END of the span (a
figure published "2024-10" counts from 31 October 2024 on, never earlier than it could have been
seen). Where an event must sit on a timeline, callers choose and document which end they use.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from haiti_report.core.errors import InputError
from haiti_report.core.vocab import Precision

_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True)
class DateSpan:
    text: str
    first: dt.date
    last: dt.date

    @property
    def is_day(self) -> bool:
        return self.first == self.last

    @property
    def precision(self) -> Precision:
        if self.first == self.last:
            return Precision.DAY
        return Precision.MONTH if self.first.month == self.last.month else Precision.YEAR


def parse_date_span(
    text: str, *, file: object = "", row: int | None = None, column: str | None = None
) -> DateSpan:
    """Parse YYYY, YYYY-MM or YYYY-MM-DD into the span of days it covers."""
    match = _PATTERN.match(text.strip())
    try:
        if not match:
            raise ValueError
        year, month, day = match.groups()
        if day:
            first = last = dt.date(int(year), int(month), int(day))
        elif month:
            first = dt.date(int(year), int(month), 1)
            last = dt.date(int(year), int(month), calendar.monthrange(int(year), int(month))[1])
        else:
            first, last = dt.date(int(year), 1, 1), dt.date(int(year), 12, 31)
    except ValueError:
        raise InputError(
            file,
            "not a valid date",
            "Write it as YYYY-MM-DD, or YYYY-MM / YYYY when only that is known",
            row=row,
            column=column,
            found=text,
        ) from None
    return DateSpan(text.strip(), first, last)
