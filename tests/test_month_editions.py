"""`make editions`: month-end editions built the project's way, reused when unchanged, and an
offline index whose numbers are each edition's own."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ROOT, copy_project, run_build, tree_hashes

from haiti_report.build.editions import edition_labels, month_ends
from haiti_report.report.text import format as fmt

D = dt.date.fromisoformat


def test_month_ends_run_from_the_first_month_to_the_last_complete_one():
    assert month_ends(D("2023-10-02"), D("2024-01-15")) == [
        D("2023-10-31"),
        D("2023-11-30"),
        D("2023-12-31"),
    ]
    assert month_ends(D("2024-02-01"), D("2024-02-29")) == [D("2024-02-29")]  # leap year
    assert month_ends(D("2024-02-01"), D("2024-02-28")) == []
    assert month_ends(D("2024-11-30"), D("2025-01-31"))[-1] == D("2025-01-31")  # across a year


def test_editions_start_the_month_the_data_says_the_mission_was_authorised():
    labels = edition_labels(ROOT)
    facts_dir = ROOT / "data" / "raw" / "mss" / "figures.csv"
    authorised = [
        line.split(",")[7]
        for line in facts_dir.read_text(encoding="utf-8").splitlines()
        if ",mandate,authorisation," in line
    ]
    first = min(D(d) for d in authorised)
    assert (
        labels[0] == month_ends(first, first.replace(day=28) + dt.timedelta(days=4))[0].isoformat()
    )
    assert labels[-1] == "latest"
    months = [D(x) for x in labels[:-1]]
    assert all((b - a).days in (28, 29, 30, 31) for a, b in zip(months, months[1:], strict=False))
    assert len(labels) >= 30  # Oct 2023 to the newest data, and latest


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        if a.get("src"):
            self.srcs.append(a["src"])
        if tag == "tr":
            self._row = []
        if tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def run_editions(root: Path, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "haiti_report.build.editions", "--root", str(root), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "HAITI_REPORT_NO_QUARTO": "1"},
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.mark.slow
def test_make_editions_builds_reuses_and_indexes(tmp_path):
    root = copy_project(tmp_path / "project")
    months = edition_labels(root)[:-1]
    since = months[-2]  # the last two month-ends and latest: the same code path as all of them
    first = run_editions(root, "--since", since)
    labels = [*months[-2:], "latest"]
    reports = root / "reports"
    for label in labels:
        folder = reports / label
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["label"] == label
        expected_as_of = label if label != "latest" else manifest["parameters"]["as_of"]
        assert manifest["parameters"]["as_of"] == expected_as_of
        # made the project's way: the executed, parameterised notebooks are in the edition
        executed = json.loads((folder / "notebooks/20_report.ipynb").read_text(encoding="utf-8"))
        injected = [
            c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])
        ]
        assert f'as_of = "{expected_as_of}"' in "".join(injected[0]["source"])
        assert (folder / "report.html").is_file() and (folder / "report.fr.html").is_file()
    assert [
        ln.split("edition ")[1].split()[0] for ln in first.stdout.splitlines() if "] edition " in ln
    ] == labels

    # The index: every edition, linked, with that edition's own headline numbers.
    page = (reports / "index.html").read_text(encoding="utf-8")
    parser = _Links()
    parser.feed(page)
    for label in labels:
        assert f"{label}/report.html" in parser.hrefs
        assert (reports / label / "report.html").exists()
    body = [r for r in parser.rows if r and r[0] and "Edition" not in r[0]]
    assert len(body) == len(labels)
    for row, label in zip(body, labels, strict=True):
        facts = json.loads((reports / label / "facts.json").read_text(encoding="utf-8"))
        assert row[0].startswith(fmt.date(facts["as_of"]))
        assert row[2] == fmt.number(facts["personnel"]["pledged_total"])
        assert row[3] == fmt.count(facts["personnel"]["deployed"])
        assert row[4].startswith(fmt.number(facts["displacement"]["idps"]))
    # self-contained and offline: no script, no remote address, the chart inline
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert not parser.srcs
    assert "<svg" in page
    csv = (reports / "index.csv").read_text(encoding="utf-8").splitlines()
    assert len(csv) == 1 + len(labels)

    # Run again: every edition is unchanged and reused as it stands.
    before = {label: tree_hashes(reports / label) for label in labels}
    again = run_editions(root, "--since", since)
    assert again.stdout.count("nothing changed") == len(labels), again.stdout
    assert {label: tree_hashes(reports / label) for label in labels} == before

    # An edition made among others equals the same as-of built on its own.
    alone = copy_project(tmp_path / "alone")
    run_build(alone, "--as-of", labels[0], HAITI_REPORT_NO_QUARTO="1")
    for part in ("data", "facts.json", "figures"):
        assert tree_hashes(alone / "reports" / labels[0] / part) == tree_hashes(
            reports / labels[0] / part
        ), part
