"""Strings from the web (outlets, titles, URLs, notes, claims) are shown, never executed.

Payloads are injected into a copy of the raw data; the report is built and opened in headless
Chromium with the network cut: no injected script may run and no injected element may exist.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from conftest import copy_project, run_build

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SCRIPT = '<script>window.__pwned = "script"</script>'
IMG = '<img id="injected-img" src=x onerror="window.__pwned = \'img\'">'
CLOSE = '</script><script>window.__pwned = "close"</script>'
MD_LINK = "[read more](javascript:window.__pwned='md')"
BOLD = '<b id="injected-bold">bold</b>'


def set_cells(path: Path, key: str, changes: dict[str, dict[str, str]]) -> None:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    fields = list(rows[0])
    for row in rows:
        for column, value in changes.get(row[key], {}).items():
            row[column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def used_source_ids(root: Path, figure_ids: list[str]) -> list[str]:
    rows = csv.DictReader(io.StringIO((root / "data/raw/mss/figures.csv").read_text()))
    return [r["source_id"] for r in rows if r["figure_id"] in figure_ids]


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not shutil.which("chromium"):
        pytest.skip("needs Debian chromium: apt-get install chromium")
    root = copy_project(tmp_path_factory.mktemp("injected") / "project")
    raw = root / "data/raw"
    # Sources behind figures the report certainly uses (Kenya's pledge, Jamaica's arrival).
    s1, s2 = used_source_ids(root, ["PLG-002", "DEP-007"])
    set_cells(
        raw / "sources.csv",
        "source_id",
        {
            s1: {
                "outlet": f"Evil {SCRIPT} Outlet",
                "title": IMG,
                "url": "javascript:window.__pwned='url'",
            },
            s2: {
                "outlet": f"Close {CLOSE}",
                "title": MD_LINK,
                "url": "data:text/html,<script>window.__pwned='data'</script>",
            },
        },
    )
    set_cells(
        raw / "decisions.csv",
        "decision_id",
        {
            "D01": {"reasoning": f"{IMG} {MD_LINK} {CLOSE}", "topic": BOLD},
        },
    )
    set_cells(raw / "claims.csv", "claim_id", {"C01": {"claim_text": f"{BOLD} {SCRIPT}"}})
    set_cells(raw / "mss/figures.csv", "figure_id", {"DEP-007": {"note": CLOSE}})
    run_build(root)
    return root


def test_no_injected_script_runs_and_no_injected_element_exists(injected, tmp_path):
    from browser import open_report

    page = open_report(injected / "reports/latest/report.html")
    assert page.dialogs == []
    assert page.external_requests == []
    assert page.errors == []
    assert page.pwned is None
    for selector in (
        "#injected-img",
        "#injected-bold",
        "a[href^='javascript:']",
        "a[href^='data:']:not(.chart-downloads > a.chart-download[download])",
        "img[onerror]",
    ):
        assert page.count(selector) == 0, selector
    # The strings are shown as text, literally.
    assert "<script>window.__pwned" in page.text
    assert "Evil" in page.text and "[read more](javascript:" in page.text
    assert all(n > 0 for n in page.marks_per_chart)
