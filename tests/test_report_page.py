"""The built report, as a reader gets it: self-contained, offline, charts drawn."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser

import pytest

RESOURCE_ATTRS = {"script": "src", "img": "src", "iframe": "src", "source": "src",
                  "audio": "src", "video": "src", "embed": "src", "object": "data"}


class Resources(HTMLParser):
    """Every resource the page would load (links to read elsewhere are not resources)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in RESOURCE_ATTRS and attrs.get(RESOURCE_ATTRS[tag]):
            self.found.append(attrs[RESOURCE_ATTRS[tag]])
        if tag == "link" and attrs.get("href") and "stylesheet" in (attrs.get("rel") or ""):
            self.found.append(attrs["href"])


def test_report_html_is_self_contained(built):
    html = (built / "reports/latest/report.html").read_text(encoding="utf-8")
    parser = Resources()
    parser.feed(html)
    outside = [u for u in parser.found if not u.startswith("data:")]
    assert outside == []
    css_urls = re.findall(r"url\((?!['\"]?data:)[^)]*\)", " ".join(
        re.findall(r"<style[^>]*>(.*?)</style>", html, flags=re.S)))
    assert css_urls == []
    from haiti_report.altair_offline import vega_bundle

    assert html.count(vega_bundle()[:300]) == 1, "the Vega bundle is included once per page"
    assert html.count('class="altair-offline"') >= 5
    assert len(html) < 2.5e6


@pytest.mark.browser
def test_report_draws_every_chart_offline(built, tmp_path):
    if not shutil.which("chromium"):
        pytest.skip("needs Debian chromium: apt-get install chromium")
    from browser import open_report

    page = open_report(built / "reports/latest/report.html", screenshot=tmp_path / "shot.png")
    assert page.charts >= 1
    assert all(n > 0 for n in page.marks_per_chart), page.marks_per_chart
    assert page.external_requests == []
    assert page.errors == []
    facts = json.loads((built / "reports/latest/facts.json").read_text())
    assert facts["as_of"] in page.text or facts["as_of"] in page.html
