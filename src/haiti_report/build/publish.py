"""Build folders and the atomic switch: reports/<label> is a link to reports/.builds/<id>."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from haiti_report.core.errors import BuildError

BUILDS_DIR = ".builds"


FAILED_DIR = ".failed"  # executed notebooks of the last failed build, for inspection


PARTIAL = ".partial"


def published_dir(root: Path, label: str) -> Path | None:
    link = root / "reports" / label
    if link.is_symlink() and link.resolve().is_dir():
        return link.resolve()
    return None


def publish(root: Path, label: str, staging: Path) -> Path:
    """Rename the finished build into place and switch reports/<label> to it atomically."""
    final = staging.with_name(staging.name.removesuffix(PARTIAL))
    staging.rename(final)
    link = root / "reports" / label
    if link.exists() and not link.is_symlink():
        raise BuildError(f"{link} is a real folder, not a link made by the build; move it away")
    tmp_link = link.with_name(f".{label}.link-{os.getpid()}")
    if tmp_link.is_symlink():
        tmp_link.unlink()
    tmp_link.symlink_to(Path(BUILDS_DIR) / final.name)
    os.replace(tmp_link, link)  # the one atomic switch
    return final


def collect_garbage(root: Path) -> None:
    """Remove build folders no label points to (old builds, interrupted ones), and links a
    build killed while publishing left behind."""
    reports = root / "reports"
    builds = reports / BUILDS_DIR
    for stray in reports.glob(".*.link-*"):
        stray.unlink(missing_ok=True)
    if not builds.is_dir():
        return
    live = {p.resolve() for p in reports.iterdir() if p.is_symlink() and not p.name.startswith(".")}
    for folder in builds.iterdir():
        if folder.resolve() not in live:
            shutil.rmtree(folder, ignore_errors=True)


def lock(root: Path, label: str) -> Any:
    """Hold a lock so two builds of the same folder cannot interleave."""
    import fcntl

    (root / "reports").mkdir(exist_ok=True)
    handle = (root / "reports" / f".{label}.lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise BuildError(f"another build of reports/{label} is running") from None
    return handle
