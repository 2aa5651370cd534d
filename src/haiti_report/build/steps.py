"""The notebooks of the report, in run order, with what each reads and writes.

This is the one place that declares the pipeline. The build driver uses the declared inputs to
decide what must re-run (content hashes) and the ``after`` lists to run independent notebooks
side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    name: str
    notebook: str  # path relative to the project root
    inputs: tuple[str, ...]  # globs relative to the project root (raw data the notebook reads)
    after: tuple[str, ...] = ()  # steps whose outputs this one reads
    outputs: tuple[str, ...] = ()  # paths relative to the build folder
    parameters: tuple[str, ...] = field(default=("as_of", "raw_dir", "out_dir"))


STEPS: tuple[Step, ...] = (
    Step(
        name="clean_mss",
        notebook="notebooks/10_clean_mss.ipynb",
        inputs=(
            "data/raw/sources.csv",
            "data/raw/country_aliases.csv",
            "data/raw/decisions.csv",
            "data/raw/mss/*.csv",
        ),
        outputs=("data/mss",),
    ),
    Step(
        name="clean_displacement",
        notebook="notebooks/11_clean_displacement.ipynb",
        inputs=(
            "data/raw/sources.csv",
            "data/raw/decisions.csv",
            "data/raw/displacement/*.csv",
        ),
        outputs=("data/displacement",),
        parameters=("as_of", "raw_dir", "out_dir", "dtm_files"),
    ),
    Step(
        name="report",
        notebook="notebooks/20_report.ipynb",
        inputs=("data/raw/sources.csv", "data/raw/decisions.csv", "data/raw/claims.csv"),
        after=("clean_mss", "clean_displacement"),
        outputs=("facts.json", "figures", "changes.json"),
        # previous_dir: the build this one replaces, for "what changed since the last build"
        parameters=("as_of", "raw_dir", "out_dir", "previous_dir"),
    ),
)

REPORT_STEP = "report"
