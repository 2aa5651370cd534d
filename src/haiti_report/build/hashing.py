"""Content hashes: of input files, of the package code. They decide what must run again."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def files_under(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    return []


def expand_inputs(root: Path, patterns: Iterable[str]) -> list[Path]:
    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in root.glob(pattern) if p.is_file())
    return sorted(found)


PACKAGE_DIR = Path(__file__).resolve().parents[1]


def package_hash() -> str:
    """Hash of the package code and templates: a code change re-runs every notebook."""
    parts = [
        f"{p.relative_to(PACKAGE_DIR)}:{sha256_file(p)}"
        for p in files_under(PACKAGE_DIR)
        if "__pycache__" not in p.parts
    ]
    return sha256_text("\n".join(parts))
