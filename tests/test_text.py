"""The report's words: templates render facts in house style; formats carry qualifiers."""

from __future__ import annotations

import datetime as dt

import pytest

from haiti_report.report import text
from haiti_report.report.text import format as fmt


@pytest.mark.parametrize(
    ("value", "qualifier", "expected"),
    [
        (1000, "about", "about 1,000"),
        (1900, "at_least", "at least 1,900"),
        (1412199, "exact", "1,412,199"),
        (3100, "nearly", "nearly 3,100"),
        (700, "more_than", "more than 700"),
        (2500, "up_to", "up to 2,500"),
        (1000, "less_than", "fewer than 1,000"),
        (None, "exact", "unknown"),
    ],
)
def test_reported_carries_the_qualifier(value, qualifier, expected):
    assert fmt.reported(value, qualifier) == expected


def test_counts_say_what_is_known():
    assert fmt.count({"value": 980, "low": 980, "high": 980, "qualifier": "exact"}) == "980"
    assert fmt.count({"value": 980, "low": 0, "high": 980, "qualifier": "up_to"}) == "up to 980"
    assert fmt.count({"value": None, "low": 735, "high": 865, "qualifier": "range"}) == (
        "between 735 and 865"
    )
    assert fmt.count({"value": 700, "low": 650, "high": 750, "qualifier": "about"}) == "about 700"


def test_money_dates_and_shares():
    assert fmt.reported(110_300_000, unit="usd") == "$110.3 million"
    assert fmt.reported(80_500_000, "about", unit="cad") == "about C$80.5 million"
    assert fmt.reported(1500, "range", high=2000) == "1,500–2,000"
    assert fmt.pct(0.1469) == "15%" and fmt.pct(0.004) == "less than 1%" and fmt.pct(None) == "n/a"
    assert fmt.date("2024-09-21") == "21 September 2024" == fmt.date(dt.date(2024, 9, 21))
    assert fmt.date("2024-10") == "October 2024" and fmt.on_date("2024-10") == "in October 2024"
    assert fmt.on_date("2024-10-11") == "on 11 October 2024"


def test_values_from_data_cannot_become_markup():
    out = (
        text.environment()
        .from_string("{{ x }} and {{ y | n }}")
        .render(x="[click](javascript:alert(1)) *bold*", y=1200)
    )
    assert "](javascript" not in out.replace("\\]", "").replace("\\(", "(") or "\\[" in out
    assert "\\*bold\\*" in out and "1,200" in out


def test_paragraphs_are_joined_and_block_tags_do_not_glue_words(tmp_path, monkeypatch):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "t.md.j2").write_text(
        "First line\n{% if yes %}continues{% endif %}\nhere.\n\nSecond {{ n | n }}.\n"
    )
    monkeypatch.setattr(text, "TEXT_DIR", tmp_path)
    text.environment.cache_clear()
    try:
        assert text.render("t", yes=True, n=1000) == "First line continues here.\n\nSecond 1,000."
    finally:
        text.environment.cache_clear()


def test_every_template_renders_for_an_early_and_a_late_edition(processed):
    from haiti_report.report import facts

    for as_of in ("2024-09-21", "2026-03-21"):
        values = facts.build(processed(as_of)).to_json()
        for name in (
            "title",
            "lede",
            "pledges",
            "deployments",
            "money",
            "displacement",
            "claims",
            "methodology",
        ):
            out = text.render(name, f=values)
            assert out and "unknown" not in out and "None" not in out, (as_of, name, out)
