"""Safe output of text from data: escaping, links and tables for both renderers."""

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
