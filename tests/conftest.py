"""Shared test fixtures: a throw-away copy of the project, and one real build of it."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DTM_SAMPLES = SHARED / "haiti_dtm_samples"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def copy_project(dest: Path) -> Path:
    """Copy what a build reads (never the repo's own reports/ or data/processed)."""
    for name in ("notebooks", "data/raw"):
        shutil.copytree(
            ROOT / name, dest / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
        )
    shutil.copy2(ROOT / "params.yaml", dest / "params.yaml")
    (dest / "reports").mkdir()
    (dest / "data" / "processed").symlink_to(Path("../reports/latest/data"))
    return dest


def run_build(
    root: Path, *args: str, check: bool = True, **env: str
) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "haiti_report.build", "--root", str(root), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=900,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"build failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def tree_hashes(path: Path) -> dict[str, str]:
    """sha256 of every file under path (following the build's links)."""
    path = path.resolve()
    if not path.exists():
        return {}
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def shared(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]
) -> Path:
    """``make(path)`` once per test run, even with pytest-xdist workers: the first worker to
    get here makes it under a lock in the run's shared temporary folder, the others wait and
    reuse it (the pattern pytest-xdist documents for session fixtures). Read-only to tests."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by every worker of this run
    folder = base / f"shared-{name}"
    with open(base / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (folder / ".made").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder / "project")
            (folder / ".made").touch()
    return folder / "project"


def _copy_and_build(root: Path) -> None:
    copy_project(root)
    run_build(root)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One full build of reports/latest from the real notebooks and data (shared by tests)."""
    return shared(tmp_path_factory, "built", _copy_and_build)


def clean_into(out: Path, as_of: str, raw: Path = ROOT / "data" / "raw") -> Path:
    """Run the three cleaning steps in-process (as their notebooks do) into ``out``."""
    import datetime as dt

    from haiti_report.clean import claims, displacement, mss

    day = dt.date.fromisoformat(as_of)
    mss.run(day, raw, out)
    displacement.run(day, raw, out)
    claims.run(day, raw, out)
    return out


@pytest.fixture(scope="session")
def processed(tmp_path_factory: pytest.TempPathFactory):
    """as_of -> the processed tables of that edition (cleaned once per date per session)."""
    from haiti_report.report.tables import read_processed

    made: dict[str, object] = {}

    def at(as_of: str):
        if as_of not in made:
            made[as_of] = read_processed(clean_into(tmp_path_factory.mktemp("clean"), as_of))
        return made[as_of]

    return at


RENDERERS = ("nbconvert", "quarto")
STRICT = os.environ.get("HAITI_REPORT_CI_STRICT") == "1"


def renderer_env(name: str) -> dict[str, str]:
    """The environment that makes the build use ``name`` (Quarto is used when on PATH)."""
    return {"HAITI_REPORT_NO_QUARTO": "1" if name == "nbconvert" else "0"}


def require_renderer(name: str) -> None:
    """Skip a Quarto test without Quarto, except in CI, where a missing Quarto is an error."""
    if name == "quarto" and shutil.which("quarto") is None:
        if STRICT:
            pytest.fail("HAITI_REPORT_CI_STRICT=1 but quarto is not on PATH (.ci/run installs it)")
        pytest.skip(
            "Quarto is not on PATH (conda-forge via environment.yml, quarto.org, or "
            "../shared/tools/quarto/install.sh .tools/quarto); the build uses nbconvert + Chromium"
        )


@pytest.fixture(scope="session", params=RENDERERS)
def rendered(request: pytest.FixtureRequest, tmp_path_factory) -> Path:
    """reports/latest of the real build, rendered by each renderer in turn.

    ``built`` used whichever renderer the environment selects; for the other one the build is
    copied and built again, which reuses every notebook and only renders."""
    name = request.param
    require_renderer(name)  # before the build: a skip costs nothing
    built = request.getfixturevalue("built")
    root = built
    if _manifest(built)["renderer"] != name:

        def rebuild(path: Path) -> None:
            shutil.copytree(built, path, symlinks=True)
            run_build(path, **renderer_env(name))

        root = shared(tmp_path_factory, f"built-{name}", rebuild)
    out = root / "reports" / "latest"
    assert _manifest(root)["renderer"] == name
    return out


def _manifest(root: Path) -> dict:
    import json

    return json.loads((root / "reports/latest/manifest.json").read_text(encoding="utf-8"))


def pytest_collection_modifyitems(config, items):
    """In CI (HAITI_REPORT_CI_STRICT=1) a missing browser or JupyterLab is an error, not a skip."""
    if os.environ.get("HAITI_REPORT_CI_STRICT") == "1" and not CHROMIUM:
        raise pytest.UsageError("HAITI_REPORT_CI_STRICT=1 but chromium is not installed")
