"""The charts of the built report as readers meet them, in headless Chromium with the network
cut: tooltips that read right on hover and on tap, a phone layout that fits 390 px with text
of at least 11 px, each chart's data and images to download from the single file, and every
drawn mark at 3:1 contrast or more on the page.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest
from browser import CHROMIUM_ARGS
from languages import LANGUAGES, edition

pytestmark = pytest.mark.browser

BAD = re.compile(r"\b(NaN|Invalid Date|undefined|null|None)\b")
MONTHS = {lang: re.compile(rf"\b({edition(lang).months}) \d{{4}}\b") for lang in LANGUAGES}
DRAWN = (
    "() => [...document.querySelectorAll('div.altair-offline')]"
    ".every(d => d.querySelector('svg.marks'))"
)
HOVERABLE = "g.mark-symbol > path, g.mark-rect > path"
PER_CHART = 6  # marks probed per chart


@dataclass(frozen=True)
class Report:
    folder: Path
    lang: str

    @property
    def page(self) -> Path:
        return self.folder / edition(self.lang).page

    @property
    def figures(self) -> Path:
        return self.folder / edition(self.lang).figures


@pytest.fixture(scope="module", params=LANGUAGES)
def report(built, request):
    """The built report's page in each language (report.html, report.fr.html)."""
    if not shutil.which("chromium"):
        pytest.skip("needs Debian chromium: apt-get install chromium")
    return Report(built / "reports/latest", request.param)


def _open(playwright, report, *, phone: bool):
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    context = browser.new_context(
        viewport={"width": 390, "height": 844} if phone else {"width": 1280, "height": 900},
        has_touch=phone,
        is_mobile=phone,
        device_scale_factor=2 if phone else 1,
        accept_downloads=True,
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):  # anything but the file itself and inline data is an outside request
        if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
            r.continue_()
        else:
            errors.append("outside request: " + r.request.url)
            r.abort()

    page.route("**/*", route)
    began = time.perf_counter()
    page.goto(report.page.resolve().as_uri())
    page.wait_for_function(DRAWN, timeout=20000)
    return browser, page, errors, time.perf_counter() - began


def _probe(page, chart, *, tap: bool) -> list[str]:
    """Hover (or tap) marks of one chart and read what the tooltip says."""
    marks = chart.locator(HOVERABLE)
    n = marks.count()
    said = []
    for i in sorted({round(k * (n - 1) / max(1, PER_CHART - 1)) for k in range(PER_CHART)}):
        mark = marks.nth(i)
        if not mark.is_visible():
            continue
        mark.evaluate("e => e.scrollIntoView({block: 'center', inline: 'center'})")
        box = mark.bounding_box()
        if not box or box["width"] * box["height"] == 0:
            continue
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        if tap:
            page.touchscreen.tap(x, y)
        else:
            page.mouse.move(x, y)
        tip = page.locator("#vg-tooltip-element.visible")
        try:
            tip.wait_for(timeout=1500)
        except Exception:  # a mark under another mark (e.g. a label) shows no tooltip
            continue
        # Read it at once: a tooltip that closed meanwhile (the chart redrew) is no reading,
        # where waiting on it again would stall.
        text = page.evaluate(
            "() => document.querySelector('#vg-tooltip-element.visible')?.innerText ?? null"
        )
        if text is None:
            continue
        said.append(" ".join(text.split()))
        if not tap:
            page.mouse.move(0, 0)
    return said


def _names(page) -> list[str]:
    return page.eval_on_selector_all(
        "a.chart-download[data-kind='csv']", "as => as.map(a => a.download.replace('.csv', ''))"
    )


def test_tooltips_of_every_chart_read_right_on_a_desktop(report):
    """Issue 14: every date in every tooltip was "NaN". Each chart's tooltips now show
    house-style dates and counts."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser, page, errors, seconds = _open(pw, report, phone=False)
        charts = page.locator("div.altair-offline")
        names = _names(page)
        assert charts.count() == len(names) >= 6
        dated = 0
        for i, name in enumerate(names):
            said = _probe(page, charts.nth(i), tap=False)
            assert said, f"{name}: no tooltip opened"
            for text in said:
                assert not BAD.search(text), f"{name}: {text}"
            dated += any(MONTHS[report.lang].search(t) for t in said)
        assert dated >= 5  # the time charts' tooltips show their dates
        assert errors == []
        browser.close()
    print(f"\nall charts drawn in {seconds:.2f} s (1280 px)")


def test_charts_fit_a_phone_and_open_tooltips_on_tap(report):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser, page, errors, seconds = _open(pw, report, phone=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        charts = page.locator("div.altair-offline")
        for i, name in enumerate(_names(page)):
            chart = charts.nth(i)
            fit = chart.evaluate(
                """el => { const s = el.querySelector('svg'), r = s.getBoundingClientRect();
                const scale = r.width / s.viewBox.baseVal.width;
                const sizes = [...s.querySelectorAll('text')]
                  .filter(t => t.textContent.trim() && t.getBoundingClientRect().width)
                  .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
                return {width: r.width, room: el.clientWidth, scale: scale,
                        smallest: Math.min(...sizes)}; }"""
            )
            assert fit["width"] <= fit["room"] + 0.5, (name, fit)
            assert fit["scale"] > 0.99, (name, fit)  # drawn at its size, not shrunk
            assert fit["smallest"] >= 11, (name, fit)
            said = _probe(page, chart, tap=True)
            assert said, f"{name}: no tooltip opened on tap"
            assert not any(BAD.search(t) for t in said), (name, said)
            tip_size = page.evaluate(
                "parseFloat(getComputedStyle(document.getElementById('vg-tooltip-element'))"
                ".fontSize)"
            )
            assert tip_size >= 11, (name, tip_size)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # tooltips too
        assert errors == []
        browser.close()
    print(f"\nall charts drawn in {seconds:.2f} s (390 px phone)")


def test_a_window_made_narrow_redraws_the_phone_layout_and_back(report):
    from playwright.sync_api import sync_playwright

    widths = (
        "() => [...document.querySelectorAll('div.altair-offline svg.marks')]"
        ".map(s => s.getBoundingClientRect().width)"
    )
    with sync_playwright() as pw:
        browser, page, errors, _ = _open(pw, report, phone=False)
        wide = page.evaluate(widths)
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_function(
            widths.replace("=>", "=> (", 1) + ").every(w => w <= 358)", timeout=10000
        )
        said = _probe(page, page.locator("div.altair-offline").nth(1), tap=False)
        assert said and not any(BAD.search(t) for t in said)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.wait_for_function(
            widths.replace("=>", "=> (", 1) + ").some(w => w > 500)", timeout=10000
        )
        assert page.evaluate(widths) == wide
        assert errors == []
        browser.close()


def test_each_charts_data_and_images_download_from_the_single_file(report):
    from playwright.sync_api import sync_playwright

    figures = report.figures
    with sync_playwright() as pw:
        browser, page, errors, _ = _open(pw, report, phone=False)
        for name in _names(page):
            links = {
                kind: page.locator(f"a.chart-download[download='{name}.{kind}']")
                for kind in ("csv", "svg", "png")
            }
            csv = links["csv"].get_attribute("href")
            assert csv.startswith("data:text/csv;charset=utf-8,")
            assert unquote(csv.split(",", 1)[1]) == (figures / f"{name}.csv").read_text()
            svg = links["svg"].get_attribute("href")
            assert svg.startswith("data:image/svg+xml;base64,")
            assert base64.b64decode(svg.split(",", 1)[1]) == (figures / f"{name}.svg").read_bytes()
            with page.expect_download() as got:
                links["png"].click()
            png = got.value
            assert png.suggested_filename == f"{name}.png"
            assert Path(png.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert errors == []
        browser.close()


def test_each_chart_has_a_data_table_for_screen_readers_and_keyboards(report):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser, page, errors, _ = _open(pw, report, phone=False)
        charts = page.locator("div.altair-offline")
        for i in range(charts.count()):
            chart = charts.nth(i)
            assert chart.get_attribute("role") == "img"
            assert len(chart.get_attribute("aria-label")) > 60
            table = page.locator("#" + chart.get_attribute("aria-describedby"))
            assert not table.is_visible()  # folded under the chart
            summary = table.locator("xpath=ancestor::details/summary")
            summary.focus()
            page.keyboard.press("Enter")  # a keyboard opens it
            assert table.is_visible()
            cells = table.locator("tbody td").all_inner_texts()
            assert cells and not any(BAD.search(c) or not c.strip() for c in cells)
            assert table.locator("caption").inner_text().strip()
        assert errors == []
        browser.close()


def test_the_page_weighs_what_the_charts_need(report):
    """Each chart is on the page twice (desktop and phone layouts), sharing its data."""
    html = report.page.read_text(encoding="utf-8")
    assert len(html.encode()) < 2.5e6
    specs = re.findall(r"var wide = (\{.*?\}), narrow = (\{.*?\}), opt = ", html)
    assert len(specs) >= 6
    for wide, narrow in specs:
        rows = {d["name"]: d.get("values") for d in json.loads(wide)["data"]}
        shared = [d for d in json.loads(narrow)["data"] if d.get("values") == "@wide"]
        assert shared and all(isinstance(rows[d["name"]], list) for d in shared)


# Every drawn data mark (and legend symbol) of one chart: its paints as the browser computed
# them, the opacity it is drawn with (its own and its groups'), and the chart's background (the
# first colour behind the SVG: its own, then the page's).
DRAWN_PAINTS = """el => {
  const svg = el.querySelector('svg.marks');
  let behind = 'rgb(255, 255, 255)';  // a page with no colour anywhere is white
  for (let node = svg; node && node.nodeType === 1; node = node.parentElement) {
    const c = getComputedStyle(node).backgroundColor;
    if (c && c !== 'transparent' && !/rgba\\(.*,\\s*0\\)$/.test(c)) { behind = c; break; }
  }
  const marks = [];
  for (const m of svg.querySelectorAll(
      'g.role-mark > path, g.role-mark > line, g.role-mark > text, g.role-mark > rect,' +
      'g.role-legend-symbol > path')) {
    if (m.tagName === 'text' && !m.textContent.trim()) { continue; }
    const r = m.getBoundingClientRect();
    if (!(r.width || r.height)) { continue; }
    let opacity = 1;
    for (let n = m; n && n !== svg; n = n.parentElement) {
      opacity *= parseFloat(getComputedStyle(n).opacity);
    }
    const s = getComputedStyle(m);
    marks.push({group: m.parentElement.getAttribute('class'), tag: m.tagName,
      fill: s.fill, fillOpacity: parseFloat(s.fillOpacity), stroke: s.stroke,
      strokeOpacity: parseFloat(s.strokeOpacity), strokeWidth: parseFloat(s.strokeWidth),
      opacity: opacity});
  }
  return {background: behind, marks: marks};
}"""


def _rgba(css: str) -> tuple[float, float, float, float] | None:
    """'rgb(0, 114, 178)' / 'rgba(0, 0, 0, 0)' -> channels 0-255 and alpha; 'none' -> None."""
    found = re.fullmatch(r"rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)", css)
    if not found:
        assert css in ("none", ""), f"a paint the test cannot read: {css!r}"
        return None
    r, g, b, a = found.groups()
    return float(r), float(g), float(b), 1.0 if a is None else float(a)


def luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG 2.x relative luminance of an sRGB colour (channels 0-255)."""
    lin = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (x / 255 for x in rgb)
    ]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _paints(mark: dict, background: tuple[float, float, float]) -> list[tuple[tuple, bool]]:
    """The colours a mark puts on the page, each composited over the background as the browser
    does, and whether it is opaque."""
    found = []
    for paint, alpha in (("fill", mark["fillOpacity"]), ("stroke", mark["strokeOpacity"])):
        if paint == "stroke" and mark["strokeWidth"] <= 0:
            continue
        rgba = _rgba(mark[paint])
        if rgba is None:
            continue
        a = rgba[3] * alpha * mark["opacity"]
        if a <= 0:
            continue  # a transparent fill (a hollow symbol's inside, a hit area)
        shown = tuple(a * c + (1 - a) * bg for c, bg in zip(rgba[:3], background, strict=True))
        if max(abs(c - bg) for c, bg in zip(shown, background, strict=True)) < 0.5:
            continue  # the background's own colour: a white-filled symbol's inside
        found.append((shown, a >= 1))
    return found


def test_every_drawn_mark_has_3_to_1_contrast_on_the_page(report):
    """WCAG 1.4.11 on the page as drawn: every data mark and legend symbol of every chart,
    desktop and phone layout, shows at least one colour (fill or outline) of 3:1 or more against
    the background behind the chart, and none of its opaque colours is fainter (a white-filled
    symbol's inside is the background itself; a translucent band counts by its outline). The
    charts are drawn as SVG (offline.py asks vega-embed for it), so the colours are read from
    the drawn elements' computed styles."""
    from playwright.sync_api import sync_playwright

    assert round(contrast_ratio((0, 0, 0), (255, 255, 255)), 2) == 21
    assert 2.2 < contrast_ratio((230, 159, 0), (255, 255, 255)) < 2.3  # issue 14's orange

    with sync_playwright() as pw:
        for phone in (False, True):
            browser, page, errors, _ = _open(pw, report, phone=phone)
            charts = page.locator("div.altair-offline")
            names = _names(page)
            assert charts.count() == len(names) >= 6
            for i, name in enumerate(names):
                drawn = charts.nth(i).evaluate(DRAWN_PAINTS)
                background = _rgba(drawn["background"])[:3]
                assert drawn["marks"], f"{name}: no mark drawn"
                for mark in drawn["marks"]:
                    paints = _paints(mark, background)
                    where = (name, "phone" if phone else "desktop", mark)
                    assert paints, where
                    ratios = [(contrast_ratio(c, background), opaque) for c, opaque in paints]
                    assert max(r for r, _ in ratios) >= 3, (where, ratios)
                    for ratio, opaque in ratios:
                        assert not opaque or ratio >= 3, (where, ratio)
            assert errors == []
            browser.close()
