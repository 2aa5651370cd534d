"""Prose helpers: house style for numbers and dates, and escaping of text from data."""

from __future__ import annotations

import datetime as dt

import pytest

from haiti_report.report import prose

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "</script><script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "<javascript:alert(1)>",
    "![img](https://evil.example/x.png)",
    "a | b | c",
    '" onmouseover="alert(1)',
]


@pytest.mark.parametrize(
    ("value", "qualifier", "expected"),
    [
        (1000, "about", "about 1,000"),
        (1900, "at_least", "at least 1,900"),
        (1412199, "exact", "1,412,199"),
        (3100, "nearly", "nearly 3,100"),
        (700, "more_than", "more than 700"),
        (2500, "up_to", "up to 2,500"),
        (None, "exact", "unspecified"),
    ],
)
def test_reported_carries_the_qualifier(value, qualifier, expected):
    assert prose.reported(value, qualifier) == expected


def test_ranges_money_and_shares():
    assert prose.reported(1500, "range", high=2000) == "1,500–2,000"
    assert prose.money(110_300_000) == "$110.3 million"
    assert prose.money(80_500_000, "cad", "about") == "about C$80.5 million"
    assert prose.money(100_000) == "$100,000"
    assert prose.share(1042, 6078) == "17%"
    assert prose.share(1, 500) == "less than 1%"
    assert prose.share(5, 0) == "n/a"
    assert prose.number(1412199) == "1,412,199"


def test_dates_in_prose():
    assert prose.date("2024-09-21") == "21 September 2024"
    assert prose.date(dt.date(2025, 10, 2)) == "2 October 2025"
    assert prose.date("2024-06") == "June 2024"
    assert prose.date("2024") == "2024"
    assert prose.month("2025-09-30") == "September 2025"


def test_mission_name_switches_on_the_day_the_gsf_took_over():
    took_over = "2025-10-02"  # in the real data: the mandates row with measure "transition"
    assert (
        prose.mission_phrase("2025-10-01", took_over)
        == "the Multinational Security Support mission (MSS)"
    )
    assert prose.mission_phrase("2025-10-02", took_over).startswith(
        "the Gang Suppression Force (GSF), which replaced"
    )
    assert "2 October 2025" in prose.mission_phrase("2026-01-01", took_over)
    assert (
        prose.mission_phrase("2026-01-01", None)
        == "the Multinational Security Support mission (MSS)"
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escaping_html_and_markdown(payload):
    html = prose.escape(payload)
    assert "<" not in html and ">" not in html and '"' not in html
    md = prose.escape_md(payload)
    assert "<" not in md and "](" not in md and "|" not in md.replace("\\|", "")
    table = prose.Table([{"a": payload, "b": 1}], ["a", "b"])
    out = table._repr_html_()
    assert "<script" not in out and "<img" not in out and 'onerror="' not in out
    assert "javascript:" not in out or "href" not in out
    assert "</script>" not in out
    text = prose.Text("Outlet: ", payload)
    assert "<script" not in text._repr_html_() and "<img" not in text._repr_html_()
    assert "](" not in text._repr_markdown_()


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:x",
        "//evil.example",
        "ftp://x.example",
        "https://x y",
        'https://ok.example/"onmouseover="x',
        "",
    ],
)
def test_links_only_for_http_urls(url):
    made = prose.link("Outlet <b>", url)
    assert "<a " not in made.html and "](" not in made.markdown
    assert "&lt;b&gt;" in made.html


def test_web_links_are_escaped_and_safe():
    made = prose.link("AP <News>", "https://apnews.com/a?b=1&c=2")
    assert made.html == (
        '<a href="https://apnews.com/a?b=1&amp;c=2" rel="noopener noreferrer">AP &lt;News&gt;</a>'
    )
    assert made.markdown.startswith("[AP &lt;News&gt;](<https://apnews.com/a?b=1&c=2>)")


def test_table_renders_both_ways_and_bullets():
    t = prose.Table(
        [{"n": 1412199, "ok": True, "d": dt.date(2024, 9, 21)}],
        {"n": "Number", "ok": "OK", "d": "Date"},
        numeric=["n"],
    )
    html = t._repr_html_()
    assert "1,412,199" in html and ">yes<" in html and "2024-09-21" in html
    md = t._repr_markdown_()
    assert md.splitlines()[1] == "|---:|---|---|"
    assert "<li>&lt;script&gt;</li>" in prose.bullets(["<script>"]).html


def test_headline_uses_facts_with_qualifiers():
    facts = {
        "as_of": "2024-09-21",
        "mission": {"short": "MSS"},
        "personnel": {
            "deployed_total": 426,
            "pledged_total": 2900,
            "countries_pledging": 7,
            "countries_sent": 3,
            "countries_pledging_unspecified": 2,
        },
        "displacement": {
            "first": None,
            "at_mission_start": {
                "idps": 200000,
                "qualifier": "about",
                "round": "R4",
                "reference_date": "2023-09-30",
                "coverage": "capital_only",
            },
            "newest": {
                "idps": 702973,
                "qualifier": "exact",
                "round": "R8",
                "reference_date": "2024-09-30",
                "coverage": "all_departments",
            },
        },
    }
    parts = prose.headline(facts)
    text = "".join(str(prose.cell_md(x)) if isinstance(x, prose.Html) else x for x in parts)
    tagged = {
        x.html.split('data-fact="')[1].split('"')[0] for x in parts if isinstance(x, prose.Html)
    }
    assert {
        "personnel.deployed_total",
        "personnel.pledged_total",
        "displacement.newest.idps",
        "displacement.at_mission_start.idps",
    } <= tagged
    assert text.startswith("By 21 September 2024, 426 of the 2,900 police and soldiers")
    assert "(15%)" in text and "Three of the 7 countries" in text
    assert "from about 200,000 in September 2023" in text and "702,973 in September 2024" in text
    assert "only the Port-au-Prince area" in text
