"""Build folders and the atomic switch: reports/<label> is a link to reports/.builds/<id>.

Several builds may run at once, one per label (editions for different dates): a lock per label
(``reports/.<label>.lock``) keeps two builds of the same folder from interleaving, and each
build holds a lock on its own id (``reports/.builds/<id>.lock``, taken before its folder is
made and kept until the build ends). Clean-up removes a build folder only when no label links
to it and nobody holds its lock, so one edition's clean-up never deletes another's work in
progress. The locks are ``flock`` locks: the system releases them when a build dies, however it
dies, so what a killed build left is cleaned up by the next one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from haiti_report.core.errors import BuildError

BUILDS_DIR = ".builds"
FAILED_DIR = ".failed"  # executed notebooks of the last failed build, for inspection
PARTIAL = ".partial"
LOCK = ".lock"


def published_dir(root: Path, label: str) -> Path | None:
    link = root / "reports" / label
    if link.is_symlink() and link.resolve().is_dir():
        return link.resolve()
    return None


def publish(root: Path, label: str, staging: Path) -> Path:
    """Rename the finished build into place and switch reports/<label> to it atomically."""
    final = staging.with_name(staging.name.removesuffix(PARTIAL))
    link = root / "reports" / label
    if link.exists() and not link.is_symlink():
        raise BuildError(f"{link} is a real folder, not a link made by the build; move it away")
    staging.rename(final)
    tmp_link = link.with_name(f".{label}.link-{os.getpid()}")
    if tmp_link.is_symlink():
        tmp_link.unlink()
    tmp_link.symlink_to(Path(BUILDS_DIR) / final.name)
    os.replace(tmp_link, link)  # the one atomic switch
    return final


@contextlib.contextmanager
def _if_free(path: Path) -> Iterator[bool]:
    """Whether nobody holds the lock at ``path`` (a missing lock file is free); while the
    block runs, the lock is held here, so its owner cannot start meanwhile."""
    try:
        handle = path.open("r")
    except FileNotFoundError:
        yield True
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True


def _linked(reports: Path, entry: Path) -> bool:
    """Whether a label links to ``entry`` now (checked again right before deleting it)."""
    target = entry.resolve()
    return any(
        p.is_symlink() and not p.name.startswith(".") and p.resolve() == target
        for p in reports.iterdir()
    )


def collect_garbage(root: Path, label: str | None = None) -> None:
    """Remove what no running build owns: build folders no label links to and whose build
    lock is free (old builds, interrupted ones), and the temporary links a build killed while
    publishing left behind. ``label`` is the caller's own (it holds that label's lock, so its
    stray links are certainly left over).

    A build unlinks its lock file only after its link switch, so once its lock is seen free
    (or gone), whether a label links to its folder is settled: the check comes in that order."""
    reports = root / "reports"
    for stray in reports.glob(".*.link-*"):
        owner = stray.name[1:].rsplit(".link-", 1)[0]  # ".2024-09-21.link-123"
        if owner == label:
            stray.unlink(missing_ok=True)
            continue
        with _if_free(reports / f".{owner}{LOCK}") as free:
            if free:
                stray.unlink(missing_ok=True)
    builds = reports / BUILDS_DIR
    if not builds.is_dir():
        return
    for entry in sorted(builds.iterdir()):
        if entry.name.endswith(LOCK):
            continue
        lock_path = builds / f"{entry.name.removesuffix(PARTIAL)}{LOCK}"
        with _if_free(lock_path) as free:
            if not free:
                continue
            if _linked(reports, entry):
                # Killed after its link switch, before it removed its lock: the build is
                # published and stays; only its lock is left over.
                lock_path.unlink(missing_ok=True)
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            lock_path.unlink(missing_ok=True)
    for orphan in builds.glob(f"*{LOCK}"):  # a lock whose build ended without its folder
        build_id = orphan.name.removesuffix(LOCK)
        if (builds / build_id).exists() or (builds / f"{build_id}{PARTIAL}").exists():
            continue
        with _if_free(orphan) as free:
            if free:
                orphan.unlink(missing_ok=True)


@contextlib.contextmanager
def claim_build(root: Path, build_id: str) -> Iterator[None]:
    """Hold the lock of build ``build_id`` while it runs: clean-up leaves its folder alone.

    Taken before the folder is made. If clean-up removed the lock file between our open and
    our lock, we would hold a lock nobody can see: so check it is still the file at the path."""
    builds = root / "reports" / BUILDS_DIR
    builds.mkdir(parents=True, exist_ok=True)
    path = builds / f"{build_id}{LOCK}"
    while True:
        handle = path.open("a")
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            same = os.path.samestat(os.fstat(handle.fileno()), path.stat())
        except FileNotFoundError:
            same = False
        if same:
            break
        handle.close()
    try:
        yield
    finally:
        # A published build is protected by its link from now on; a failed one is gone.
        path.unlink(missing_ok=True)
        handle.close()


def lock(root: Path, label: str) -> Any:
    """Hold a lock so two builds of the same folder cannot interleave."""
    (root / "reports").mkdir(exist_ok=True)
    handle = (root / "reports" / f".{label}{LOCK}").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise BuildError(
            f"another build of reports/{label} is running; wait for it to finish"
        ) from None
    return handle
