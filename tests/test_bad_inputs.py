"""Every case of the bad-input corpus, through a real build (see tests/bad_inputs.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from bad_inputs import CASES, ROOT, Case
from conftest import copy_project, run_build, tree_hashes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project copy with a published build, reused (copied) by every case."""
    root = copy_project(tmp_path_factory.mktemp("baseline") / "project")
    run_build(root)
    return root


def run_case(case: Case, tmp: Path, baseline: Path | None = None) -> tuple[int, str, str]:
    """Apply the case to a fresh copy of the project and build; return (exit, message, stderr)."""
    root = tmp / "project"
    if baseline is not None:
        shutil.copytree(baseline, root, symlinks=True)
    else:
        copy_project(root)
    args = case.change(root)
    proc = run_build(root, *args, check=False)
    message = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    message = message.removeprefix("error: ")
    return proc.returncode, message, proc.stderr


def test_corpus_is_large_and_covers_every_raw_file():
    assert len(CASES) >= 30
    touched = {c.file for c in CASES}
    raw = {str(p.relative_to(ROOT)) for p in (ROOT / "data/raw").rglob("*.csv")}
    assert raw <= touched, f"raw files without a bad-input case: {raw - touched}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input_stops_the_build_with_one_plain_message(case, baseline, tmp_path):
    root = tmp_path / "project"
    before_reports = tree_hashes(baseline / "reports/latest")
    before_processed = tree_hashes(baseline / "data/processed")
    code, message, stderr = run_case(case, tmp_path, baseline)
    assert code != 0
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    for fragment in case.expect:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    if case.located:
        assert re.search(r"line \d+|record \d+|row \d+|command line", message), message
    assert tree_hashes(root / "reports/latest") == before_reports
    assert tree_hashes(root / "data/processed") == before_processed
    assert not list((root / "reports/.builds").glob("*.partial"))


def test_docs_table_lists_every_case():
    text = (ROOT / "docs/bad-input-messages.md").read_text(encoding="utf-8")
    for case in CASES:
        assert f"| {case.name} |" in text, (
            f"regenerate with: python tests/bad_inputs.py ({case.name})"
        )
