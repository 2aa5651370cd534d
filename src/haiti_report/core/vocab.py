"""The project's vocabularies, one place each: raw files, schemas, cleaning and text use these.

Each is a ``StrEnum``, so a member compares equal to its text ("high" == Confidence.HIGH) and
the raw files keep plain words. ``values(E)`` gives the allowed words in a fixed order, for
schemas and error messages.
"""

from __future__ import annotations

from enum import StrEnum


class Confidence(StrEnum):
    """How far a source can be trusted for a figure (the fact base's first word)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Qualifier(StrEnum):
    """How a source qualified its number (see raw.values for the bounds each one implies)."""

    EXACT = "exact"
    ABOUT = "about"
    NEARLY = "nearly"
    AT_LEAST = "at_least"
    MORE_THAN = "more_than"
    UP_TO = "up_to"
    LESS_THAN = "less_than"
    RANGE = "range"


# How the house style writes each qualifier before a number (parsing reads the same words back).
QUALIFIER_PHRASES: dict[str, str] = {
    Qualifier.EXACT: "",
    Qualifier.ABOUT: "about ",
    Qualifier.NEARLY: "nearly ",
    Qualifier.AT_LEAST: "at least ",
    Qualifier.MORE_THAN: "more than ",
    Qualifier.UP_TO: "up to ",
}

# A count that names a number ("735", "about 700"), as opposed to a bound ("more than 700").
COUNT_QUALIFIERS = frozenset({Qualifier.EXACT, Qualifier.ABOUT, Qualifier.NEARLY})
ROUNDED_QUALIFIERS = frozenset({Qualifier.ABOUT, Qualifier.NEARLY})
LOWER_BOUNDS = frozenset({Qualifier.AT_LEAST, Qualifier.MORE_THAN})
UPPER_BOUNDS = frozenset({Qualifier.UP_TO, Qualifier.LESS_THAN})


class FigureKind(StrEnum):
    """What a row of data/raw/mss/figures.csv reports."""

    PLEDGE = "pledge"
    ARRIVAL = "arrival"
    DEPARTURE = "departure"
    ROTATION = "rotation"  # a relief unit replacing an outgoing one: the count does not change
    STRENGTH = "strength"
    MANDATE = "mandate"
    MONEY = "money"


MOVEMENT_KINDS = frozenset({FigureKind.ARRIVAL, FigureKind.DEPARTURE, FigureKind.ROTATION})


class Mission(StrEnum):
    MSS = "MSS"  # Multinational Security Support mission, until its authorisation ended
    GSF = "GSF"  # Gang Suppression Force, from the day after


class PledgeStatus(StrEnum):
    """Where a country's pledge to one mission stood on the as-of date."""

    MADE = "made"  # offered or announced
    CONFIRMED = "confirmed"  # formally notified to the UN, approved, or reaffirmed
    ON_HOLD = "on_hold"
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"  # derived: the mission it was made to had ended


COUNTED_PLEDGE_STATUSES = frozenset({PledgeStatus.MADE, PledgeStatus.CONFIRMED})


class FigureStatus(StrEnum):
    """What the as-of date and the decisions made of a raw figure."""

    USED = "used"
    SET_ASIDE = "set_aside"
    NOT_YET_PUBLISHED = "not_yet_published"
    AFTER_AS_OF = "after_as_of"
    UNDATED = "undated"


class Basis(StrEnum):
    """What a count of personnel in Haiti rests on (personnel_in_haiti.csv)."""

    REPORTED = "reported"  # a count reported for that day
    REPORTED_PLUS_MOVEMENTS = "reported_plus_movements"  # the last reported count, moved since
    MOVEMENTS = "movements"  # arrivals minus departures, no reported count yet
    SUM_OF_COUNTRIES = "sum_of_countries"  # whole mission only: the country counts added up


class CheckVerdict(StrEnum):
    """What became of a reported strength figure (strength_check.csv)."""

    ANCHOR = "anchor"  # the count was set to it
    AGREES = "agrees"  # within its own precision of the count we had
    DIFFERS = "differs"  # a rounded or month-dated figure outside what the count allows
    BOUND_HOLDS = "bound_holds"  # "more than 700": the count is more than 700
    BOUND_BROKEN = "bound_broken"
    NOT_USED = "not_used"  # low confidence, set aside, or not yet published


class ClaimVerdict(StrEnum):
    CONSISTENT = "consistent"
    MATCHED_LATER = "matched_later"  # off against that day's data, matched by a figure soon after
    OFF = "off"
    NOT_CHECKABLE = "not_checkable"


class Precision(StrEnum):
    """How precisely a date is known."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


def values(enum: type[StrEnum]) -> list[str]:
    """The allowed words of a vocabulary, in declaration order."""
    return [member.value for member in enum]
