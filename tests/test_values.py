from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from haiti_report.core.errors import InputError
from haiti_report.raw.values import (
    QUALIFIERS,
    ReportedValue,
    parse_optional,
    parse_reported_value,
)

NBSP, NARROW_NBSP = "\u00a0", "\u202f"

# text -> (value, low, high, qualifier, unit)
GOLDEN: dict[str, tuple[int | float, int | float | None, int | float | None, str, str]] = {
    "about 2,000": (2000, 1500, 2500, "about", "people"),
    "at least 1,900": (1900, 1900, None, "at_least", "people"),
    "up to 2,500": (2500, 0, 2500, "up_to", "people"),
    "1,500–2,000": (1500, 1500, 2000, "range", "people"),
    "1,500-2,000": (1500, 1500, 2000, "range", "people"),
    "1,500 – 2,000": (1500, 1500, 2000, "range", "people"),
    "1,500 to 2,000": (1500, 1500, 2000, "range", "people"),
    "between 1,500 and 2,000": (1500, 1500, 2000, "range", "people"),
    "entre 1.500 y 2.000": (1500, 1500, 2000, "range", "people"),
    "nearly 3,100": (3100, 3000, 3100, "nearly", "people"),
    "over 500": (500, 500, None, "more_than", "people"),
    "more than 700": (700, 700, None, "more_than", "people"),
    "under 1,000": (1000, 0, 1000, "less_than", "people"),
    "fewer than 1,000": (1000, 0, 1000, "less_than", "people"),
    "less than 1,000": (1000, 0, 1000, "less_than", "people"),
    "roughly 700,000": (700_000, 650_000, 750_000, "about", "people"),
    "around 400": (400, 350, 450, "about", "people"),
    "approximately 1,500": (1500, 1450, 1550, "about", "people"),
    "some 70": (70, 65, 75, "about", "people"),
    "~400": (400, 350, 450, "about", "people"),
    "About 24": (24, 23, 25, "about", "people"),
    "almost 3,000": (3000, 2000, 3000, "nearly", "people"),
    "close to 3,100": (3100, 3000, 3100, "nearly", "people"),
    "plus de 113 000": (113_000, 113_000, None, "more_than", "people"),
    f"plus de 113{NBSP}000": (113_000, 113_000, None, "more_than", "people"),
    f"plus de 113{NARROW_NBSP}000": (113_000, 113_000, None, "more_than", "people"),
    "près de 700 mille": (700_000, 600_000, 700_000, "nearly", "people"),
    "113 mille 582": (113_582, 113_582, 113_582, "exact", "people"),
    "1.4 million": (1_400_000, 1_400_000, 1_400_000, "exact", "people"),
    "more than 1.4 million": (1_400_000, 1_400_000, None, "more_than", "people"),
    "about 1.4 million": (1_400_000, 1_350_000, 1_450_000, "about", "people"),
    "1,4 millones": (1_400_000, 1_400_000, 1_400_000, "exact", "people"),
    "más de 1.500": (1500, 1500, None, "more_than", "people"),
    "más de 1,4 millones": (1_400_000, 1_400_000, None, "more_than", "people"),
    "casi 3.000": (3000, 2000, 3000, "nearly", "people"),
    "environ 2 000": (2000, 1500, 2500, "about", "people"),
    "C$80.5m": (80_500_000, 80_500_000, 80_500_000, "exact", "cad"),
    "$110.3m": (110_300_000, 110_300_000, 110_300_000, "exact", "usd"),
    "$85m": (85_000_000, 85_000_000, 85_000_000, "exact", "usd"),
    "$1bn": (1_000_000_000, 1_000_000_000, 1_000_000_000, "exact", "usd"),
    "$100,000": (100_000, 100_000, 100_000, "exact", "usd"),
    "US$1.5–2 million": (1_500_000, 1_500_000, 2_000_000, "range", "usd"),
    "€3m": (3_000_000, 3_000_000, 3_000_000, "exact", "eur"),
    "EUR 3m": (3_000_000, 3_000_000, 3_000_000, "exact", "eur"),
    "3,5 m€": (3_500_000, 3_500_000, 3_500_000, "exact", "eur"),
    "under 40%": (40.0, 0.0, 40.0, "less_than", "percent"),
    "11%": (11.0, 11.0, 11.0, "exact", "percent"),
    "about 11.5%": (11.5, 11.45, 11.55, "about", "percent"),
    "30–40%": (30.0, 30.0, 40.0, "range", "percent"),
    "1000": (1000, 1000, 1000, "exact", "people"),
    "1,000": (1000, 1000, 1000, "exact", "people"),
    "24": (24, 24, 24, "exact", "people"),
    "900,000–1.2 million": (900_000, 900_000, 1_200_000, "range", "people"),
}


@pytest.mark.parametrize("text", GOLDEN)
def test_golden_examples(text: str) -> None:
    got = parse_reported_value(text)
    assert (got.value, got.low, got.high, got.qualifier, got.unit) == GOLDEN[text]
    assert got.text == text  # the source's wording is kept untouched
    assert type(got.value) is (float if got.unit == "percent" else int)


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        (parse_reported_value("about 2,000"), "about 2,000"),
        (parse_reported_value("1412199"), "1,412,199"),
        (parse_reported_value("more than 1.4 million"), "more than 1.4 million"),
        (parse_reported_value("C$80.5m"), "C$80.5 million"),
        (parse_reported_value("$110.3m"), "$110.3 million"),
        (parse_reported_value("under 40%"), "under 40%"),
        (parse_reported_value("under 1,000"), "fewer than 1,000"),
        (parse_reported_value("less than $5m"), "less than $5 million"),
        (parse_reported_value("1,500 to 2,000"), "1,500–2,000"),
        (parse_reported_value("plus de 113 000"), "more than 113,000"),
    ],
)
def test_phrase_in_house_style(value: ReportedValue, phrase: str) -> None:
    assert value.phrase() == phrase


def test_default_unit_and_text_unit() -> None:
    assert parse_reported_value("24", unit="countries").unit == "countries"
    assert parse_reported_value("85m", unit="usd").value == 85_000_000
    # A symbol in the text beats the column's default currency.
    assert parse_reported_value("C$80.5m", unit="usd").unit == "cad"
    assert parse_reported_value("40%", unit="percent").unit == "percent"


def test_contains_respects_excluded_bounds() -> None:
    more = parse_reported_value("more than 700")
    assert not more.contains(700) and more.contains(701)
    under = parse_reported_value("under 1,000")
    assert under.contains(999) and not under.contains(1000)
    about = parse_reported_value("about 2,000")
    assert about.contains(1500) and not about.contains(2501)


@pytest.mark.parametrize("empty", ["", "   ", NBSP, None])
def test_empty_cell_is_unknown_not_zero(empty: str | None) -> None:
    assert parse_optional(empty) is None


def test_parse_optional_parses_numbers() -> None:
    assert parse_optional("about 2,000") == parse_reported_value("about 2,000")


@pytest.mark.parametrize(
    ("text", "unit", "words"),
    [
        ("", None, "empty"),
        ("several hundred", None, "not a figure"),
        ("-5", None, "negative"),
        ("minus 5", None, "negative"),
        ("1.5", "people", "whole number"),
        ("2,500.5", None, "whole number"),
        ("$12.50", None, "whole units"),
        ("$85m", "people", "money"),
        ("40%", "people", "percentage"),
        ("2,000–1,500", None, "smaller"),
        ("1,500–1,500", None, "smaller"),
        ("1,500 2,000", None, "not a figure"),
        ("24 7", None, "not a range"),
        ("1,500 and 2,000", None, "'and'"),
        ("about 1,500–2,000", None, "range"),
        ("$3m–€4m", None, "mixes units"),
        ("1500,000", None, "two ways"),
        ("40 million%", None, "multiplier"),
        ("9" * 20, None, "too large"),
        ("1.5 mille 200", None, "thousands"),
    ],
)
def test_errors_name_the_problem(text: str, unit: str | None, words: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_reported_value(text, unit=unit, file="data/raw/pledges.csv", row=7, column="pledged")
    message = str(caught.value)
    assert words in message
    assert "data/raw/pledges.csv" in message
    assert "line 7" in message
    assert "column 'pledged'" in message
    assert repr(text) in message
    assert caught.value.found == text


def test_error_lists_accepted_shapes() -> None:
    with pytest.raises(InputError) as caught:
        parse_reported_value("several hundred", file="f.csv", row=3, column="troops")
    assert "about 2,000" in caught.value.fix and "1,500–2,000" in caught.value.fix


def test_programming_errors_are_not_input_errors() -> None:
    with pytest.raises(ValueError):
        parse_reported_value("24", unit="People")  # a unit is a lowercase word
    with pytest.raises(ValueError):
        ReportedValue("x", 5, 6, 7, "exact", "people")  # low above value
    with pytest.raises(ValueError):
        ReportedValue.create(1.5, unit="people")


# --- properties ---------------------------------------------------------------------------------

WHOLE_UNITS = ["people", "countries", "usd", "cad", "eur", "households"]
ONE_NUMBER = [q for q in QUALIFIERS if q != "range"]

# Round-looking figures as sources write them, plus exact ones, up to tens of billions.
whole_numbers = st.one_of(
    st.integers(0, 10**11),
    st.builds(lambda d, e: d * 10**e, st.integers(1, 999), st.integers(0, 8)),
)
percents = st.builds(
    lambda n, places: float(Decimal(n).scaleb(-places)), st.integers(0, 100_000), st.integers(0, 2)
)


@st.composite
def reported_values(draw: st.DrawFn) -> ReportedValue:
    unit = draw(st.sampled_from([*WHOLE_UNITS, "percent"]))
    numbers = percents if unit == "percent" else whole_numbers
    if draw(st.booleans()):
        low, high = sorted(draw(st.lists(numbers, min_size=2, max_size=2, unique=True)))
        return ReportedValue.create(low, qualifier="range", unit=unit, range_end=high)
    value = draw(numbers)
    return ReportedValue.create(value, qualifier=draw(st.sampled_from(ONE_NUMBER)), unit=unit)


def check_invariants(v: ReportedValue) -> None:
    assert v.qualifier in QUALIFIERS
    if v.low is not None:
        assert 0 <= v.low <= v.value
    if v.high is not None:
        assert v.value <= v.high
    if v.unit == "percent":
        assert all(isinstance(x, float) for x in (v.value, v.low, v.high) if x is not None)
    else:
        assert all(type(x) is int for x in (v.value, v.low, v.high) if x is not None)
    if v.qualifier == "exact":
        assert v.low == v.value == v.high
    if v.qualifier in ("at_least", "more_than"):
        assert v.low == v.value and v.high is None
    if v.qualifier in ("up_to", "less_than", "nearly"):
        assert v.high == v.value
    if v.qualifier == "range":
        assert v.high is not None and v.low == v.value < v.high


@given(reported_values())
def test_bounds_hold(v: ReportedValue) -> None:
    check_invariants(v)


@given(reported_values())
def test_phrase_then_parse_round_trips(v: ReportedValue) -> None:
    back = parse_reported_value(v.phrase(), unit=v.unit)
    assert (back.value, back.low, back.high, back.qualifier, back.unit) == (
        v.value,
        v.low,
        v.high,
        v.qualifier,
        v.unit,
    )


@given(st.text())
def test_arbitrary_text_parses_or_raises_input_error(text: str) -> None:
    try:
        v = parse_reported_value(text, file="f.csv", row=2, column="c")
    except InputError as error:
        assert "f.csv, line 2, column 'c'" in str(error)
    else:
        check_invariants(v)


# Text built from the pieces the parser knows, so the property reaches its deeper branches.
pieces = st.sampled_from(
    [
        "about ", "more than ", "plus de ", "casi ", "under ", "~", "between ", "entre ",
        "$", "C$", "€", "EUR ", "1", "24", "1,500", "1.5", "1,4", "113 000", "1.234,5",
        "000", ",", ".", " ", "-", "–", " to ", " and ", " y ", "m", " million", " mille ",
        " millones", "bn", "%", " percent", "582", "0", "999999999",
    ]
)  # fmt: skip


@given(st.lists(pieces, min_size=1, max_size=8).map("".join), st.sampled_from([None, *WHOLE_UNITS]))
def test_figure_like_text_parses_or_raises_input_error(text: str, unit: str | None) -> None:
    try:
        v = parse_reported_value(text, unit=unit)
    except InputError:
        return
    check_invariants(v)
