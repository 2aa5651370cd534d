"""The notebooks of the report, in run order, with what each reads and writes.

This is the one place that declares the pipeline. The driver (build/runner.py) hands each
notebook a copy of exactly its declared raw inputs (``<build>/inputs/<step>/data/raw``), so a
notebook that reads a file it does not declare fails with a message naming the file and the
step; the same declared files make the step's cache key. ``after`` lists the steps whose
outputs a step reads; steps with nothing pending run side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SOURCES = "data/raw/sources.csv"
ALIASES = "data/raw/country_aliases.csv"
DECISIONS = "data/raw/decisions.csv"
MSS_FIGURES = "data/raw/mss/*.csv"
DISPLACEMENT = "data/raw/displacement/*.csv"
DTM_FOLDER = "data/raw/displacement/dtm/*"  # IOM files fetched by `make update`
CLAIMS = "data/raw/claims.csv"


@dataclass(frozen=True)
class Step:
    name: str
    notebook: str  # path relative to the project root
    inputs: tuple[str, ...]  # globs relative to the project root: the raw files it may read
    after: tuple[str, ...] = ()  # steps whose outputs this one reads
    outputs: tuple[str, ...] = ()  # paths relative to the build folder
    parameters: tuple[str, ...] = field(default=("as_of", "raw_dir", "out_dir"))
    # Parameters fixed by the step itself (the report's language), part of its key.
    values: tuple[tuple[str, str], ...] = ()
    # The executed copy's name under <build>/notebooks (default: the notebook's own name); two
    # steps that run one notebook with different values need two names.
    executed: str = ""

    @property
    def executed_name(self) -> str:
        return self.executed or Path(self.notebook).name


STEPS: tuple[Step, ...] = (
    Step(
        name="clean_mss",
        notebook="notebooks/10_clean_mss.ipynb",
        inputs=(SOURCES, ALIASES, DECISIONS, MSS_FIGURES),
        outputs=("data/mss", "data/sources.csv"),
    ),
    Step(
        name="clean_displacement",
        notebook="notebooks/11_clean_displacement.ipynb",
        inputs=(SOURCES, DECISIONS, DISPLACEMENT, DTM_FOLDER),
        outputs=("data/displacement",),
        parameters=("as_of", "raw_dir", "out_dir", "dtm_files"),
    ),
    Step(
        name="check_claims",
        notebook="notebooks/12_check_claims.ipynb",
        # The check re-runs both cleanings as of each claim's day, so it reads their inputs.
        inputs=(SOURCES, ALIASES, DECISIONS, MSS_FIGURES, DISPLACEMENT, DTM_FOLDER, CLAIMS),
        outputs=("data/claims",),
        parameters=("as_of", "raw_dir", "out_dir", "dtm_files"),
    ),
    Step(
        name="report",
        notebook="notebooks/20_report.ipynb",
        inputs=(),  # the report reads only what the steps before it wrote
        after=("clean_mss", "clean_displacement", "check_claims"),
        outputs=("facts.json", "figures", "changes.json"),
        # previous_dir: the build this one replaces, for "what changed since the last build"
        parameters=("as_of", "out_dir", "previous_dir", "lang"),
        values=(("lang", "en"),),
    ),
    # The French edition: the same notebook, in French. It runs after the English one and reads
    # what that wrote (facts.json, changes.json: language-independent, one file each), and
    # writes only its charts, to figures/fr/ (their CSV columns are the English edition's).
    Step(
        name="report_fr",
        notebook="notebooks/20_report.ipynb",
        inputs=(),
        after=("report",),
        outputs=("figures/fr",),
        parameters=("as_of", "out_dir", "lang"),
        values=(("lang", "fr"),),
        executed="20_report.fr.ipynb",
    ),
)

REPORT_STEP = "report"
# Each edition of the report: its language, the step that executes its notebook, the stem of its
# page and PDF (report.html, report.fr.html). English is the first, and the one facts.json and
# the manifest's "render" describe.
EDITIONS: tuple[tuple[str, str, str], ...] = (
    ("en", "report", "report"),
    ("fr", "report_fr", "report.fr"),
)
