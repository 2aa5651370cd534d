"""Figures as news and UN sources write them ("about 2,000", "plus de 113 000", "C$80.5m").

:func:`parse_reported_value` turns such text into a :class:`ReportedValue`: the number the
source gave, how sure the source was (the *qualifier*) and the range of numbers consistent
with it (``low``/``high``). :meth:`ReportedValue.phrase` writes it back in house style, and
parsing that phrase gives the same value again.

Bound rules (``low``/``high`` are inclusive; ``None`` means open-ended). A "step" is the place
value of the last non-zero digit of the figure: 2,000 → 1,000; 1,500 → 100; 1.4 million →
100,000; 11.5% → 0.1.

=============  ==========================  ===========================================
qualifier      written as                  low … high
=============  ==========================  ===========================================
exact          "1,000", "$85m", "11%"      value … value
about          about, roughly, some, ~     value − step/2 … value + step/2
nearly         nearly, almost, close to    value − step … value
at_least       at least, no fewer than     value … open
more_than      more than, over, above      value … open (the bound itself is excluded)
up_to          up to, as many as           0 … value
less_than      less than, under, fewer     0 … value (the bound itself is excluded)
range          "1,500–2,000", "1.5 to 2m"  first … second; ``value`` is the first number
=============  ==========================  ===========================================

Why these choices:

* ``value`` is always a number the source actually wrote. A range keeps its lower end as the
  value instead of an invented midpoint; prose shows the whole range.
* For whole-number units the half step is rounded up (about 24 → 23 … 25), and lower bounds
  stop at 0 because every figure here is a non-negative amount.
* "more than 700" and "under 1,000" keep the written number as the bound so that
  ``low <= value <= high`` always holds; the qualifier says the bound is excluded, and
  :meth:`ReportedValue.contains` honours that.

Units: ``"people"``, ``"countries"`` and any other lowercase unit a caller names are whole
counts (``int``); ``"usd"``, ``"cad"``, ``"eur"`` are whole currency units (``int``, so
"$110.3m" is 110,300,000); ``"percent"`` is the only ``float`` unit. A currency symbol or "%"
in the text decides the unit; the ``unit`` argument is the default for text without one.
Number style follows the words: English text reads "1,500" as fifteen hundred; text with French
or Spanish words ("plus de", "millones", …) reads "1,5" as one and a half and "1.500" as
fifteen hundred. Spaces (including no-break spaces) always group thousands.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Final, Literal, get_args

from haiti_report.core.errors import InputError
from haiti_report.core.vocab import QUALIFIER_PHRASES

Qualifier = Literal[
    "exact", "about", "nearly", "at_least", "more_than", "up_to", "less_than", "range"
]
QUALIFIERS: Final[tuple[str, ...]] = get_args(Qualifier)
MONEY_UNITS: Final = frozenset({"usd", "cad", "eur"})
PERCENT: Final = "percent"
DEFAULT_UNIT: Final = "people"

# Reported figures never get near this; anything bigger is a typo or not a figure at all.
_TOO_BIG: Final = 10**15
_ACCEPTED: Final = (
    "Write one figure such as '2,000', 'about 2,000', 'at least 1,900', 'more than 700', "
    "'up to 2,500', 'under 1,000', '1,500–2,000', '1.4 million', '$110.3m', 'C$80.5m', "
    "'€3m' or '40%' (French and Spanish wording such as 'plus de 113 000' also works); "
    "leave the cell empty if the source gives no number"
)

# (words, qualifier, continental?) — continental words switch to "1.500,5" number style.
_QUALIFIER_WORDS: Final[tuple[tuple[str, Qualifier, bool], ...]] = (
    ("about", "about", False),
    ("around", "about", False),
    ("approximately", "about", False),
    ("approx.", "about", False),
    ("approx", "about", False),
    ("roughly", "about", False),
    ("some", "about", False),
    ("circa", "about", False),
    ("an estimated", "about", False),
    ("estimated", "about", False),
    ("~", "about", False),
    ("environ", "about", True),
    ("quelque", "about", True),
    ("autour de", "about", True),
    ("alrededor de", "about", True),
    ("aproximadamente", "about", True),
    ("unos", "about", True),
    ("unas", "about", True),
    ("nearly", "nearly", False),
    ("almost", "nearly", False),
    ("close to", "nearly", False),
    ("just under", "nearly", False),
    ("près de", "nearly", True),
    ("presque", "nearly", True),
    ("casi", "nearly", True),
    ("cerca de", "nearly", True),
    ("at least", "at_least", False),
    ("no fewer than", "at_least", False),
    ("no less than", "at_least", False),
    ("au moins", "at_least", True),
    ("al menos", "at_least", True),
    ("por lo menos", "at_least", True),
    ("more than", "more_than", False),
    ("over", "more_than", False),
    ("above", "more_than", False),
    ("in excess of", "more_than", False),
    ("upwards of", "more_than", False),
    ("plus de", "more_than", True),
    ("más de", "more_than", True),
    ("mas de", "more_than", True),
    ("up to", "up_to", False),
    ("as many as", "up_to", False),
    ("jusqu'à", "up_to", True),
    ("hasta", "up_to", True),
    ("less than", "less_than", False),
    ("fewer than", "less_than", False),
    ("under", "less_than", False),
    ("below", "less_than", False),
    ("moins de", "less_than", True),
    ("menos de", "less_than", True),
)
_QUALIFIER_OF: Final = {words: qualifier for words, qualifier, _ in _QUALIFIER_WORDS}

# (word, factor, continental?)
_MULTIPLIER_WORDS: Final[tuple[tuple[str, int, bool], ...]] = (
    ("thousand", 10**3, False),
    ("k", 10**3, False),
    ("mille", 10**3, True),
    ("mil", 10**3, True),
    ("million", 10**6, False),
    ("millions", 10**6, False),
    ("mn", 10**6, False),
    ("m", 10**6, False),
    ("millones", 10**6, True),
    ("millón", 10**6, True),
    ("millon", 10**6, True),
    ("billion", 10**9, False),
    ("billions", 10**9, False),
    ("bn", 10**9, False),
    ("milliard", 10**9, True),
    ("milliards", 10**9, True),
    ("mil millones", 10**9, True),
)
_MULTIPLIER_OF: Final = {word: factor for word, factor, _ in _MULTIPLIER_WORDS}

_CURRENCY_OF: Final = {
    "$": "usd",
    "us$": "usd",
    "usd": "usd",
    "c$": "cad",
    "ca$": "cad",
    "cad": "cad",
    "€": "eur",
    "eur": "eur",
}
_PERCENT_WORDS: Final = {
    "%": False,
    "percent": False,
    "per cent": False,
    "pour cent": True,
    "por ciento": True,
}
# "between 1,500 and 2,000", "entre 1 500 et 2 000", "entre 1.500 y 2.000"
_BETWEEN_WORDS: Final = {"between": ("and",), "entre": ("et", "y")}
# Words that mean the source follows French/Spanish number style ("1.500,5").
_CONTINENTAL: Final = frozenset(
    [w for w, _, cont in _QUALIFIER_WORDS if cont]
    + [w for w, _, cont in _MULTIPLIER_WORDS if cont]
    + [w for w, cont in _PERCENT_WORDS.items() if cont]
    + ["à", "a", "et", "y", "entre"]
)

_SYMBOL_OF: Final = {"usd": "$", "cad": "C$", "eur": "€"}
PHRASE_WORDS: Final = QUALIFIER_PHRASES  # the one vocabulary (core/vocab.py)


def _alternation(words: Iterable[str]) -> str:
    # Longest first, so "mil millones" is tried before "mil" and "millions" before "million".
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NUMBER: Final = r"[0-9]{1,3}(?:[ ,.][0-9]{3})+(?:[.,][0-9]+)?(?![0-9])|[0-9]+(?:[.,][0-9]+)?"
_END_OF_WORD: Final = r"(?![a-zà-ÿ])"


def _amount(i: int) -> str:
    return (
        rf"(?:(?P<cur{i}>{_alternation(_CURRENCY_OF)})\s*)?"
        rf"(?P<num{i}>{_NUMBER})"
        rf"(?:\s*(?P<mult{i}>{_alternation(_MULTIPLIER_OF)}){_END_OF_WORD})?"
        rf"(?:\s+(?P<tail{i}>[0-9]{{1,3}})(?![0-9]))?"
        rf"(?:\s*(?P<suf{i}>{_alternation([*_PERCENT_WORDS, *_CURRENCY_OF])}){_END_OF_WORD})?"
    )


_PATTERN: Final = re.compile(
    rf"(?:(?P<qual>{_alternation(_QUALIFIER_OF)})\s*)?"
    rf"(?:(?P<between>{_alternation(_BETWEEN_WORDS)})\s+)?"
    + _amount(1)
    + rf"(?:(?:\s*(?P<dash>-)\s*|\s+(?P<sep>to|à|a|and|et|y)\s+){_amount(2)})?"
)


@dataclass(frozen=True)
class ReportedValue:
    """One reported figure: the source's text, its number, its bounds and its unit."""

    text: str
    value: int | float
    low: int | float | None
    high: int | float | None
    qualifier: Qualifier
    unit: str

    def __post_init__(self) -> None:
        # Values are built by this module; a broken one is a programming error, not bad input.
        if self.qualifier not in QUALIFIERS:
            raise ValueError(f"unknown qualifier {self.qualifier!r}")
        _check_unit(self.unit)
        kind = float if self.unit == PERCENT else int
        for name in ("value", "low", "high"):
            number = getattr(self, name)
            if number is None and name != "value":
                continue
            if type(number) is not kind:
                raise ValueError(f"{name} must be {kind.__name__} for unit {self.unit!r}")
            if not math.isfinite(number) or number < 0:
                raise ValueError(f"{name} must be a finite, non-negative number")
        if self.low is not None and self.low > self.value:
            raise ValueError("low must not exceed value")
        if self.high is not None and self.high < self.value:
            raise ValueError("high must not be below value")

    @classmethod
    def create(
        cls,
        value: int | float,
        *,
        qualifier: Qualifier = "exact",
        unit: str = DEFAULT_UNIT,
        range_end: int | float | None = None,
        text: str | None = None,
    ) -> ReportedValue:
        """Build a value with bounds from the rules above; ``text`` defaults to the phrase."""
        _check_unit(unit)
        if (qualifier == "range") != (range_end is not None):
            raise ValueError("range_end is required for, and only for, qualifier 'range'")
        numbers = [value] if range_end is None else [value, range_end]
        if not all(math.isfinite(n) and n >= 0 for n in numbers):
            raise ValueError("figures must be finite and non-negative")
        if unit != PERCENT and any(n != int(n) for n in numbers):
            raise ValueError(f"{unit} must be whole numbers")
        if range_end is not None and range_end <= value:
            raise ValueError("range_end must be larger than value")
        end = None if range_end is None else _to_decimal(range_end)
        made = _build(_to_decimal(value), qualifier, unit, end, text or "")
        return made if text is not None else replace(made, text=made.phrase())

    def phrase(self) -> str:
        """The figure in house style: 'about 2,000', '$110.3 million', 'under 40%'."""
        if self.qualifier == "range":
            assert self.high is not None  # a range always has both ends
            return _range_phrase(self.value, self.high, self.unit)
        if self.qualifier != "less_than":
            words = PHRASE_WORDS[self.qualifier]
        elif self.unit == PERCENT:
            words = "under "
        else:
            words = "less than " if self.unit in MONEY_UNITS else "fewer than "
        return words + _amount_phrase(self.value, self.unit)

    def contains(self, number: int | float) -> bool:
        """Whether ``number`` agrees with the report (the bound of 'more than 700' does not)."""
        if self.qualifier == "more_than":
            return number > self.value
        if self.qualifier == "less_than":
            return 0 <= number < self.value
        return (self.low is None or number >= self.low) and (
            self.high is None or number <= self.high
        )


def parse_reported_value(
    text: str,
    *,
    unit: str | None = None,
    file: str | Path = "<text>",
    row: int | None = None,
    column: str | None = None,
) -> ReportedValue:
    """Parse one figure as a source wrote it; see the module docstring for the rules.

    ``unit`` is the default unit for text without "$", "C$", "€" or "%" (``"people"`` when not
    given). ``file``, ``row`` and ``column`` only say where the text came from in errors.
    """
    if unit is not None:
        _check_unit(unit)

    def fail(problem: str, fix: str = _ACCEPTED) -> InputError:
        return InputError(file=file, problem=problem, fix=fix, row=row, column=column, found=text)

    cleaned = _normalise(text)
    if not cleaned:
        raise fail("a number is required here but the cell is empty")
    match = _PATTERN.fullmatch(cleaned)
    if match is None:
        if re.match(r"(?:minus\s*|-\s*)[0-9$€]", cleaned):
            raise fail("negative numbers are not reported figures", "Write the amount itself")
        raise fail("this is not a figure we can read")
    parts = match.groupdict()
    continental = _is_continental(parts)
    qualifier: Qualifier = _QUALIFIER_OF[parts["qual"]] if parts["qual"] else "exact"
    is_range = parts["num2"] is not None
    _check_shape(parts, is_range, fail)
    final_unit = _unit_of(parts, unit, fail)
    try:
        first = _amount_value(parts, 1, continental)
        second = _amount_value(parts, 2, continental) if is_range else None
    except ValueError as error:
        raise fail(str(error)) from None
    if second is not None:
        # "1.5–2 million": a multiplier written only after the second number covers both,
        # unless that would make nonsense of the range ("900,000–1.2 million").
        if parts["mult1"] is None and parts["mult2"] is not None:
            factor = Decimal(_MULTIPLIER_OF[parts["mult2"]])
            if first * factor < second:
                first *= factor
        if first >= second:
            raise fail(
                "the first number of a range must be smaller than the second",
                "Write a range low to high, e.g. '1,500–2,000'",
            )
        qualifier = "range"
    _check_numbers((first, second), final_unit, fail)
    return _build(first, qualifier, final_unit, second, text)


def _check_shape(
    parts: dict[str, str | None], is_range: bool, fail: Callable[..., InputError]
) -> None:
    """Ranges and "between" phrases that are not figures."""
    if parts["between"] and parts["sep"] not in _BETWEEN_WORDS[parts["between"]]:
        joiner = _BETWEEN_WORDS[parts["between"]][0]
        raise fail(f"'{parts['between']}' needs a second number after '{joiner}'")
    if parts["sep"] in ("and", "et", "y") and not parts["between"]:
        raise fail("two numbers joined by 'and' are not a range", "Write a range as '1,500–2,000'")
    if is_range and parts["qual"]:
        raise fail(
            f"a range cannot also be '{parts['qual']}'", "Write the range alone, e.g. '1,500–2,000'"
        )


def _unit_of(
    parts: dict[str, str | None], unit: str | None, fail: Callable[..., InputError]
) -> str:
    """The unit written in the text (currency or percent), checked against the caller's."""
    marks = {_unit_mark(parts[f"{key}{i}"]) for i in (1, 2) for key in ("cur", "suf")} - {None}
    if len(marks) > 1:
        raise fail(
            f"the figure mixes units ({', '.join(sorted(map(str, marks)))})",
            "Use one currency or percent for the whole figure",
        )
    written_unit = marks.pop() if marks else None
    if written_unit is None:
        return unit or DEFAULT_UNIT
    if (
        unit is None
        or unit == written_unit
        or (written_unit in MONEY_UNITS and unit in MONEY_UNITS)
    ):
        return written_unit
    what = "a percentage" if written_unit == PERCENT else f"money ({written_unit.upper()})"
    raise fail(
        f"the text is {what} but this column holds {unit}",
        f"Check the column: it should hold {unit}, not {what}",
    )


def _check_numbers(
    numbers: tuple[Decimal | None, ...], unit: str, fail: Callable[..., InputError]
) -> None:
    for number in numbers:
        if number is None:
            continue
        if number >= _TOO_BIG:
            raise fail("this number is too large to be a reported figure")
        if unit != PERCENT and number != number.to_integral_value():
            what = (
                "money amounts are counted in whole units"
                if unit in MONEY_UNITS
                else f"a count of {unit} must be a whole number"
            )
            raise fail(
                what,
                "Check the figure: a decimal point may be a thousands "
                "separator ('1,500' not '1.500') or a digit may be missing",
            )


def parse_optional(
    text: str | None,
    *,
    unit: str | None = None,
    file: str | Path = "<text>",
    row: int | None = None,
    column: str | None = None,
) -> ReportedValue | None:
    """Like :func:`parse_reported_value`, but an empty cell is ``None`` (unknown), never 0."""
    if text is None or not _normalise(text):
        return None
    return parse_reported_value(text, unit=unit, file=file, row=row, column=column)


# --- building values -------------------------------------------------------------------------


def _build(
    value: Decimal, qualifier: Qualifier, unit: str, end: Decimal | None, text: str
) -> ReportedValue:
    with localcontext(prec=60):  # exact for every figure below _TOO_BIG
        whole = unit != PERCENT
        exponent = value.normalize().as_tuple().exponent
        assert isinstance(exponent, int)  # figures are finite, never NaN or infinity
        step = Decimal(1).scaleb(exponent) if value else Decimal(1)
        half = step / 2
        if whole:
            half = half.to_integral_value(rounding="ROUND_CEILING")
        zero = Decimal(0)
        bounds: dict[str, tuple[Decimal | None, Decimal | None]] = {
            "exact": (value, value),
            "about": (max(zero, value - half), value + half),
            "nearly": (max(zero, value - step), value),
            "at_least": (value, None),
            "more_than": (value, None),
            "up_to": (zero, value),
            "less_than": (zero, value),
            "range": (value, end),
        }
        low, high = bounds[qualifier]
    convert = int if whole else float
    return ReportedValue(
        text=text,
        value=convert(value),
        low=None if low is None else convert(low),
        high=None if high is None else convert(high),
        qualifier=qualifier,
        unit=unit,
    )


def _check_unit(unit: str) -> None:
    if not re.fullmatch(r"[a-z][a-z_]*", unit):
        raise ValueError(f"unit must be a lowercase word such as 'people', not {unit!r}")


def _to_decimal(number: int | float) -> Decimal:
    # repr() gives the shortest text for a float, so 11.5 stays 11.5 and not 11.4999…
    return Decimal(repr(number)) if isinstance(number, float) else Decimal(number)


# --- reading text ------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    text = text.strip().casefold()
    for space in "\u00a0\u202f\u2009\u2007\t\n\r":
        text = text.replace(space, " ")
    for dash in "\u2010\u2011\u2012\u2013\u2014\u2212":
        text = text.replace(dash, "-")
    text = text.replace("\u2019", "'")
    return re.sub(r" +", " ", text)


def _is_continental(parts: dict[str, str | None]) -> bool:
    words = ("qual", "mult1", "mult2", "sep", "between", "suf1", "suf2")
    return any(parts[key] in _CONTINENTAL for key in words)


def _unit_mark(word: str | None) -> str | None:
    if word is None:
        return None
    return PERCENT if word in _PERCENT_WORDS else _CURRENCY_OF[word]


def _amount_value(parts: dict[str, str | None], i: int, continental: bool) -> Decimal:
    """The number of one amount: digits × multiplier (+ the '582' of '113 mille 582')."""
    token, mult, tail = parts[f"num{i}"], parts[f"mult{i}"], parts[f"tail{i}"]
    assert token is not None  # the pattern always captures the digits
    with localcontext(prec=60):  # exact arithmetic for every token _read_number accepts
        return _scaled(_read_number(token, continental), mult, tail, parts[f"suf{i}"])


def _scaled(number: Decimal, mult: str | None, tail: str | None, suffix: str | None) -> Decimal:
    if mult is not None:
        factor = _MULTIPLIER_OF[mult]
        if _unit_mark(suffix) == PERCENT:
            raise ValueError("a percentage cannot have a multiplier like 'million'")
        number *= factor
        if tail is not None:
            if factor != 1000 or number % 1000:
                raise ValueError(f"only a whole number of thousands can be followed by {tail}")
            number += int(tail)
    elif tail is not None:
        raise ValueError("two numbers that are not a range")
    return number


def _read_number(token: str, continental: bool) -> Decimal:
    """Read '1,500', '113 000', '1,4', '1.234,5' with the separators their style implies."""
    if len(token) > 30:
        raise ValueError("this number is too long to be a reported figure")
    digits = token.replace(" ", "")
    marks = [ch for ch in digits if ch in ",."]
    if " " in token:
        thousands, decimal = " ", (marks[0] if marks else None)
    elif len(set(marks)) == 2:
        decimal = digits[max(digits.rfind(","), digits.rfind("."))]
        thousands = "," if decimal == "." else "."
    elif marks:
        groups = digits.split(marks[0])
        grouped = len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
        style_thousands = "." if continental else ","
        if len(groups) > 2 or (grouped and marks[0] == style_thousands):
            thousands, decimal = marks[0], None
        elif marks[0] == style_thousands and len(groups[-1]) == 3:
            # "1500,000": a misplaced thousands separator or a decimal? Don't guess.
            raise ValueError(f"'{token}' could be read two ways")
        else:
            thousands, decimal = None, marks[0]
    else:
        thousands = decimal = None
    whole, _, fraction = token.partition(decimal) if decimal else (token, "", "")
    if thousands and not re.fullmatch(rf"[0-9]{{1,3}}(?:{re.escape(thousands)}[0-9]{{3}})*", whole):
        raise ValueError(f"'{token}' mixes thousands separators")
    if not re.fullmatch(r"[0-9]*", fraction):
        raise ValueError(f"'{token}' has more than one decimal mark")
    return Decimal(whole.replace(thousands or " ", "") + ("." + fraction if fraction else ""))


# --- writing prose -----------------------------------------------------------------------------


def _number_words(number: int | float, unit: str) -> tuple[str, str]:
    """('1.4', 'million') for round big numbers, else ('1,412,199', '')."""
    if unit == PERCENT:
        return _grouped(_to_decimal(number)), ""
    for factor, word in ((10**9, "billion"), (10**6, "million")):
        # Two decimals at most ("$110.35 million"); anything finer is written in full.
        if number >= factor and number % (factor // 100) == 0:
            return _grouped(Decimal(number) / factor), word
    return _grouped(Decimal(number)), ""


def _grouped(number: Decimal) -> str:
    text = format(number.normalize(), "f") if number else "0"
    whole, _, fraction = text.partition(".")
    return f"{int(whole):,}" + ("." + fraction if fraction else "")


def _amount_phrase(number: int | float, unit: str) -> str:
    digits, word = _number_words(number, unit)
    return (
        _SYMBOL_OF.get(unit, "")
        + digits
        + (f" {word}" if word else "")
        + ("%" if unit == PERCENT else "")
    )


def _range_phrase(low: int | float, high: int | float, unit: str) -> str:
    (low_digits, low_word), (high_digits, high_word) = (
        _number_words(low, unit),
        _number_words(high, unit),
    )
    if low_word != high_word:  # "900,000–1,200,000": mixed words would not read back reliably
        low_digits, high_digits = _grouped(Decimal(low)), _grouped(Decimal(high))
        high_word = ""
    return (
        _SYMBOL_OF.get(unit, "")
        + f"{low_digits}–{high_digits}"
        + (f" {high_word}" if high_word else "")
        + ("%" if unit == PERCENT else "")
    )
