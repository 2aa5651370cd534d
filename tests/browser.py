"""Open a report in headless Debian Chromium with the network cut (Playwright)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
COUNTED_SELECTORS = (
    "#injected-img",
    "#injected-bold",
    "a[href^='javascript:']",
    # data: links other than a chart's own downloads (charts' CSV/SVG/PNG, offline.py)
    "a[href^='data:']:not(.chart-downloads > a.chart-download[download])",
    "img[onerror]",
    "script[src]",
    "a[href^='http']",
)
MARKS = (
    "g[class*='mark-'] path, g[class*='mark-'] line, g[class*='mark-'] text, g[class*='mark-'] rect"
)


# For each table: by how many pixels it overflows the window, or hides content to scroll to.
TABLE_WIDTHS = """() => [...document.querySelectorAll('table')].map(t => Math.max(
  t.getBoundingClientRect().right - document.documentElement.clientWidth,
  t.scrollWidth - t.clientWidth))"""


@dataclass
class PageCheck:
    charts: int = 0
    marks_per_chart: list[int] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    text: str = ""
    html: str = ""
    draw_seconds: float = 0.0
    pwned: object = None  # window.__pwned after load: set only if an injected script ran
    selector_counts: dict[str, int] = field(default_factory=dict)
    # Tables wider than the page or hiding columns behind a scroll bar: (index, px too wide).
    tables_too_wide: list[tuple[int, int]] = field(default_factory=list)
    tables: int = 0

    def count(self, selector: str) -> int:
        return self.selector_counts[selector]


def open_report(path: Path, *, screenshot: Path | None = None, wait_ms: int = 15000) -> PageCheck:
    import time

    from playwright.sync_api import sync_playwright

    check = PageCheck()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: check.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: check.errors.append(str(e)))
        page.on("dialog", lambda d: (check.dialogs.append(d.message), d.dismiss()))

        def route(r):  # anything but the file itself and inline data is an outside request
            if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
                r.continue_()
            else:
                check.external_requests.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        began = time.perf_counter()
        page.goto(path.resolve().as_uri())
        charts = page.locator("div.altair-offline")
        check.charts = charts.count()
        if check.charts:
            page.wait_for_function(
                "() => [...document.querySelectorAll('div.altair-offline')]"
                ".every(d => d.querySelector('svg.marks'))",
                timeout=wait_ms,
            )
        check.draw_seconds = time.perf_counter() - began
        check.marks_per_chart = [charts.nth(i).locator(MARKS).count() for i in range(check.charts)]
        # The appendix's folded tables, opened as a reader would: their text and widths count.
        page.evaluate(
            "() => document.querySelectorAll('details.appendix-fold').forEach(d => d.open = true)"
        )
        check.text = page.inner_text("body")
        check.pwned = page.evaluate("() => window.__pwned === undefined ? null : window.__pwned")
        for selector in COUNTED_SELECTORS:
            check.selector_counts[selector] = page.locator(selector).count()
        check.html = page.content()
        widths = page.evaluate(TABLE_WIDTHS)
        check.tables = len(widths)
        check.tables_too_wide = [(i, over) for i, over in enumerate(widths) if over > 2]
        if screenshot:
            page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    return check
