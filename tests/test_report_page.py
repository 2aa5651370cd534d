"""The built report, as a reader gets it: self-contained, offline, charts drawn."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

RESOURCE_ATTRS = {
    "script": "src",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "audio": "src",
    "video": "src",
    "embed": "src",
    "object": "data",
}


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
    css_urls = re.findall(
        r"url\((?!['\"]?data:)[^)]*\)",
        " ".join(re.findall(r"<style[^>]*>(.*?)</style>", html, flags=re.S)),
    )
    assert css_urls == []
    from haiti_report.report.offline import vega_bundle

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


class Facts(HTMLParser):
    """The numbers of the summary, as the page shows them, with the facts.json path each shows."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._path: str | None = None

    def handle_starttag(self, tag, attrs):
        self._path = dict(attrs).get("data-fact") or self._path

    def handle_endtag(self, tag):
        if tag == "span":
            self._path = None

    def handle_data(self, data):
        if self._path:
            self.found.append((self._path, data))


WORDS = {
    w: i
    for i, w in enumerate(
        ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    )
}


def shown_number(text: str) -> float:
    """'1,412,199' -> 1412199; 'about 1,000' -> 1000; 'Six' -> 6; '16%' -> 16."""
    text = text.strip().lower()
    if text in WORDS:
        return WORDS[text]
    match = re.search(r"[\d,]+(?:\.\d+)?", text)
    assert match, text
    return float(match.group().replace(",", ""))


def lookup(facts: dict, path: str):
    value = facts
    for key in path.split("."):
        value = value[key]
    return value


def test_every_number_in_the_summary_equals_facts_json(built):
    out = built / "reports/latest"
    facts = json.loads((out / "facts.json").read_text())
    parser = Facts()
    parser.feed((out / "report.html").read_text(encoding="utf-8"))
    assert len(parser.found) >= 6, parser.found
    for path, text in parser.found:
        expected = lookup(facts, path)
        if path.endswith("share_of_pledged"):
            expected = round(100 * expected)
        assert shown_number(text) == expected, (path, text, expected)


def test_pdf_has_pages_charts_and_headline_numbers(built):
    if not shutil.which("pdftotext"):
        pytest.skip("needs poppler-utils (pdftotext)")
    out = built / "reports/latest"
    pdf = out / "report.pdf"
    if not pdf.exists():
        pytest.skip("no PDF: neither Quarto nor Chromium is installed")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    assert pages > 1
    text = " ".join(
        subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    facts = json.loads((out / "facts.json").read_text())
    for value in (
        facts["personnel"]["deployed_total"],
        facts["personnel"]["pledged_total"],
        facts["displacement"]["idps"],
    ):
        assert f"{value:,}" in text, value
    # The charts are in the PDF as drawings: each chart's own title text is there.
    for spec in sorted((out / "figures").glob("*.vl.json")):
        title = json.loads(spec.read_text())["title"]["text"]
        first_line = " ".join((title if isinstance(title, str) else title[0]).split())
        assert first_line[:40] in text, spec.name


def test_quarto_configuration_is_complete():
    import yaml

    from haiti_report.build.render import QUARTO_CONFIG

    config = yaml.safe_load(QUARTO_CONFIG.read_text(encoding="utf-8"))
    assert config["execute"]["enabled"] is False  # papermill executed already
    html = config["format"]["html"]
    assert html["embed-resources"] is True and html["toc"] is True
    assert html["include-in-header"] == "_vega.html"
    assert "typst" in config["format"]


@pytest.mark.quarto
@pytest.mark.skipif(
    shutil.which("quarto") is None,
    reason="Quarto is not installed (conda-forge via environment.yml, or quarto.org); the "
    "build uses nbconvert + Chromium instead",
)
def test_quarto_renders_the_executed_report(built, tmp_path):
    from haiti_report.build.render import _render_quarto

    executed = tmp_path / "notebooks" / "20_report.ipynb"
    executed.parent.mkdir()
    shutil.copy(built / "reports/latest/notebooks/20_report.ipynb", executed)
    result = _render_quarto(executed, tmp_path)
    assert result.html.stat().st_size > 100_000 and result.pdf.read_bytes()[:5] == b"%PDF-"
