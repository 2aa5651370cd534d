"""The package's layers, enforced: what each layer may import, and how big a piece may grow.

core    contracts every layer shares (errors, vocabularies, schemas, queries, dates)
raw     reads data/raw                      -> core
clean   the cleaning steps                  -> core, raw
report  facts, charts, text                 -> core            (never raw or clean)
build   parameters, steps, render, publish  -> any layer
update  `make update` (fetch IOM's figures) -> core, raw, clean
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "src" / "haiti_report"
ALLOWED = {
    "core": {"core"},
    "raw": {"core", "raw"},
    "clean": {"core", "raw", "clean"},
    "report": {"core", "report"},
    "build": {"core", "raw", "clean", "report", "build"},
    "update": {"core", "raw", "clean", "update"},  # `make update`: a tool beside the build
}
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def layer_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0]


def imported_layers(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            name = node.module
            if name == "haiti_report":
                found |= {alias.name for alias in node.names}
            elif name.startswith("haiti_report."):
                found.add(name.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("haiti_report."):
                    found.add(alias.name.split(".")[1])
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_layer_imports_only_the_layers_below(path):
    layer = layer_of(path)
    if path.parent == PACKAGE:  # haiti_report/__init__.py
        return
    assert layer in ALLOWED, f"{path}: a layer not declared in this test"
    wrong = imported_layers(ast.parse(path.read_text(encoding="utf-8"))) - ALLOWED[layer]
    assert not wrong, f"{path.relative_to(ROOT)} ({layer}) imports {sorted(wrong)}"


def test_the_report_notebook_reads_no_raw_file_and_no_cleaning_code():
    nb = json.loads((ROOT / "notebooks" / "20_report.ipynb").read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert not re.search(r"haiti_report\.(raw|clean)\b|data/raw|raw_dir", code)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_or_function_too_big_to_read(path):
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{path.name} is over {MAX_MODULE_LINES}"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            assert length <= MAX_FUNCTION_LINES, f"{path.name}:{node.lineno} {node.name}()"


@pytest.mark.parametrize(
    "notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name
)
def test_notebooks_are_thin(notebook):
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    lines = [len("".join(c["source"]).splitlines()) for c in cells]
    assert max(lines) <= 25, f"a code cell of {max(lines)} lines"
    assert sum(lines) <= 120
    names = {
        n.id
        for c in cells
        for n in ast.walk(ast.parse("".join(c["source"])))
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    assert not {n for n in names if len(n) == 1}, names
