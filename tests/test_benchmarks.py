"""The README's benchmark table is the one made from benchmarks/results.json."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import ROOT


def test_readme_table_matches_results_json():
    results = ROOT / "benchmarks/results.json"
    if not results.exists():
        pytest.skip("no benchmarks/results.json yet: run `make bench`")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from run import README_END, README_START, markdown_table

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split(README_START, 1)[1].split(README_END, 1)[0].strip()
    assert table == markdown_table(json.loads(results.read_text(encoding="utf-8")))
