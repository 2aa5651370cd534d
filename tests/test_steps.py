"""Declared steps, enforced: each notebook gets exactly its declared raw inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, run_build

from haiti_report.build import steps
from haiti_report.build.hashing import expand_inputs
from haiti_report.build.runner import stage_inputs


def test_a_step_is_handed_only_its_declared_inputs(tmp_path):
    mss = next(s for s in steps.STEPS if s.name == "clean_mss")
    raw = stage_inputs(mss, ROOT, tmp_path)
    handed = {p.relative_to(raw).as_posix() for p in raw.rglob("*") if p.is_file()}
    declared = {
        p.relative_to(ROOT / "data" / "raw").as_posix() for p in expand_inputs(ROOT, mss.inputs)
    }
    assert handed == declared
    assert "claims.csv" not in handed and not any(h.startswith("displacement/") for h in handed)


def test_the_report_step_reads_no_raw_file():
    report = next(s for s in steps.STEPS if s.name == steps.REPORT_STEP)
    assert report.inputs == () and "raw_dir" not in report.parameters


def test_every_declared_input_exists_and_every_raw_file_is_declared():
    declared = {p for s in steps.STEPS for p in expand_inputs(ROOT, s.inputs)}
    raw = {p for p in (ROOT / "data" / "raw").rglob("*") if p.is_file() and p.suffix == ".csv"}
    assert raw <= declared, sorted(str(p) for p in raw - declared)


@pytest.mark.slow
def test_an_undeclared_read_fails_the_build_with_a_clear_message(project: Path):
    notebook = project / "notebooks" / "10_clean_mss.ipynb"
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    sneak = {
        "cell_type": "code",
        "execution_count": None,
        "id": "sneak",
        "metadata": {},
        "outputs": [],
        "source": ["open(f'{raw_dir}/claims.csv').read()  # not declared"],
    }
    nb["cells"].insert(2, sneak)
    notebook.write_text(json.dumps(nb), encoding="utf-8")
    proc = run_build(project, check=False)
    assert proc.returncode != 0
    message = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    assert "step clean_mss" in proc.stderr and "claims.csv" in proc.stderr
    assert "not one of its declared inputs" in proc.stderr and "steps.py" in proc.stderr
    assert "Traceback" not in proc.stderr, message
    assert not (project / "reports" / "latest").exists()  # nothing half-built was published
