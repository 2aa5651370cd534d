"""manifest.json: parameters, input hashes, versions, git commit and time per step."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from haiti_report.build.hashing import expand_inputs, sha256_file
from haiti_report.build.kernel import KERNEL_NAME
from haiti_report.build.params import Params
from haiti_report.build.steps import STEPS

if TYPE_CHECKING:
    from haiti_report.build.runner import StepResult

VERSIONED_PACKAGES = (
    "polars",
    "altair",
    "vl-convert-python",
    "dataframely",
    "papermill",
    "nbconvert",
    "nbclient",
    "ipykernel",
    "pycountry",
    "fastexcel",
    "jsonschema",
)


def git_commit(root: Path) -> str | None:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "notebooks", "src", "data/raw", "params.yaml"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("-dirty" if dirty else "")


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": sys.version.split()[0]}
    for name in VERSIONED_PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def previous_manifest(build_dir: Path | None) -> dict[str, Any]:
    if build_dir is None:
        return {}
    try:
        return json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def write_manifest(
    root: Path,
    staging: Path,
    label: str,
    params: Params,
    results: dict[str, StepResult],
    render_info: dict[str, Any],
    log: Callable[[str], None],
) -> None:
    inputs: dict[str, str] = {}
    for step in STEPS:
        for path in expand_inputs(root, step.inputs):
            inputs[str(path.relative_to(root))] = sha256_file(path)
    for f in params.dtm_files:
        inputs[f] = sha256_file(root / f)
    for step in STEPS:
        inputs[step.notebook] = sha256_file(root / step.notebook)
    manifest = {
        "label": label,
        "parameters": params.for_manifest(),
        "as_of_source": "given" if params.as_of_given else "newest publication date",
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(root),
        "kernel": KERNEL_NAME,
        "renderer": render_info.get("renderer"),
        "render": render_info,
        "inputs": dict(sorted(inputs.items())),
        "steps": [
            {
                "name": r.name,
                "notebook": r.notebook,
                "key": r.key,
                "status": r.status,
                "duration_s": r.duration_s,
            }
            for r in (results[s.name] for s in STEPS)
        ],
        "package_versions": package_versions(),
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    log("manifest.json written")
