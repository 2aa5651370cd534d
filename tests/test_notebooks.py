"""Notebooks in git are sources: no outputs, a parameters cell, the project kernel."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT

from haiti_report.build.kernel import KERNEL_NAME
from haiti_report.build.steps import STEPS

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_every_pipeline_notebook_exists():
    assert {ROOT / s.notebook for s in STEPS} == set(NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name}: a code cell has outputs"
            assert cell["execution_count"] is None, f"{path.name}: execution count stored"
    assert nb["metadata"]["kernelspec"]["name"] == KERNEL_NAME


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_parameters_cell_declares_what_the_driver_passes(step):
    from haiti_report.build.runner import declared_parameters

    assert set(step.parameters) <= declared_parameters(ROOT / step.notebook)


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_papermill_reads_every_parameter(step):
    """papermill must parse each parameter line (a comment it cannot read makes it warn
    'Passed unknown parameter' on every run)."""
    import papermill

    from haiti_report.build.runner import declared_parameters

    inspected = set(papermill.inspect_notebook(str(ROOT / step.notebook)))
    assert inspected == declared_parameters(ROOT / step.notebook)
