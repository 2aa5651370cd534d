"""Build the report: run the notebooks with papermill, render, publish atomically.

    python -m haiti_report.build [--as-of YYYY-MM-DD] [--dtm-file PATH ...] [--force]

How a build works (see README, "How the build works"):

1. Parameters are read from params.yaml and the command line and validated first.
2. Each notebook gets a key: the hash of its source, its parameters, the files it reads (raw data
   and the outputs of the notebooks before it) and the package code. A notebook whose key matches
   the previous build of the same folder is not run again; its outputs are reused.
3. Everything is written into a new folder under reports/.builds/. Only when every step has
   succeeded is reports/<label> switched to it, with one atomic rename of a symbolic link;
   data/processed is a link to reports/latest/data, so it switches in the same instant.
   An interrupted or failed build leaves the previous outputs as they were.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from haiti_report.core.errors import BuildError, InputError
from haiti_report.build.kernel import KERNEL_NAME, ensure_kernel
from haiti_report.build.params import Params, load_params
from haiti_report.build.steps import REPORT_STEP, STEPS, Step

PACKAGE_DIR = Path(__file__).resolve().parents[1]
BUILDS_DIR = ".builds"
FAILED_DIR = ".failed"  # executed notebooks of the last failed build, for inspection
PARTIAL = ".partial"
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


def default_root() -> Path:
    return Path(os.environ.get("HAITI_REPORT_ROOT", Path.cwd())).resolve()


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


def package_hash() -> str:
    """Hash of the package code and templates: a code change re-runs every notebook."""
    parts = [
        f"{p.relative_to(PACKAGE_DIR)}:{sha256_file(p)}"
        for p in files_under(PACKAGE_DIR)
        if "__pycache__" not in p.parts
    ]
    return sha256_text("\n".join(parts))


class Log:
    """One line per step, with the time since the build started."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.start:6.1f}s] {message}", flush=True)


@dataclass
class StepResult:
    name: str
    notebook: str
    key: str
    status: str  # "ran" or "reused"
    duration_s: float
    outputs: dict[str, str] = field(default_factory=dict)  # build-relative path -> sha256


def notebook_parameters(
    step: Step, params: Params, root: Path, out_dir: Path, previous: Path | None
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "as_of": params.as_of,
        "raw_dir": str(root / "data" / "raw"),
        "out_dir": str(out_dir),
        "dtm_files": [str(root / f) for f in params.dtm_files],
        "previous_dir": str(previous) if previous else "",
    }
    return {name: values[name] for name in step.parameters}


def check_injection_safe(parameters: dict[str, Any]) -> None:
    """Refuse any value that would not come back unchanged from papermill's injected cell."""
    from papermill.translators import PythonTranslator

    for name, value in parameters.items():
        code = PythonTranslator.translate(value)
        try:
            back = ast.literal_eval(code)
        except (ValueError, SyntaxError):
            back = object()
        if back != value:
            raise InputError(
                "parameters", f"value of {name} cannot be passed safely", found=repr(value)
            )


def declared_parameters(notebook: Path) -> set[str]:
    """Names assigned in the cell tagged 'parameters' (read without importing papermill)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            tree = ast.parse("".join(cell.get("source", "")))
            return {
                t.id
                for node in tree.body
                if isinstance(node, ast.Assign | ast.AnnAssign)
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                if isinstance(t, ast.Name)
            }
    raise BuildError(f"{notebook}: no cell is tagged 'parameters'")


def step_key(
    step: Step, root: Path, params: Params, code_hash: str, upstream: dict[str, StepResult]
) -> tuple[str, dict[str, str]]:
    """The content hash that decides whether a step must run again.

    The report's ``previous_dir`` (the build it compares with for "what changed") is left out
    on purpose: when the report's own inputs are unchanged, its facts and tables equal the
    previous build's, so there is nothing new to compare and the earlier run stands."""
    inputs = {str(p.relative_to(root)): sha256_file(p) for p in expand_inputs(root, step.inputs)}
    if "dtm_files" in step.parameters:
        for f in params.dtm_files:
            inputs[f] = sha256_file(root / f)
    upstream_outputs = {
        f"{name}:{path}": digest
        for name in step.after
        for path, digest in sorted(upstream[name].outputs.items())
    }
    payload = {
        "notebook": sha256_file(root / step.notebook),
        "parameters": {
            k: v for k, v in params.for_manifest().items() if k in step.parameters
        },  # previous_dir is not one of these
        "inputs": inputs,
        "upstream": upstream_outputs,
        "code": code_hash,
        "kernel": KERNEL_NAME,
    }
    return sha256_text(json.dumps(payload, sort_keys=True)), inputs


def output_hashes(build_dir: Path, step: Step) -> dict[str, str]:
    hashes = {}
    for rel in step.outputs:
        for path in files_under(build_dir / rel):
            hashes[str(path.relative_to(build_dir))] = sha256_file(path)
    return hashes


def copy_tree_item(src: Path, dst: Path) -> None:
    """Hard-link (or copy) a previous build's file or folder into the new build."""
    if src.is_dir():
        for path in files_under(src):
            copy_tree_item(path, dst / path.relative_to(src))
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def run_notebook(step: Step, root: Path, build_dir: Path, parameters: dict[str, Any]) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    output = build_dir / "notebooks" / Path(step.notebook).name
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(
            str(root / step.notebook),
            str(output),
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            cwd=str(root / "notebooks"),
            progress_bar=False,
            log_output=False,
            report_mode=False,
        )
    except PapermillExecutionError as exc:
        # The kernel raised. Keep the executed notebook (with the traceback) outside the build
        # folder, which is about to be deleted, and show the user one plain message.
        kept = root / "reports" / FAILED_DIR / output.name
        kept.parent.mkdir(parents=True, exist_ok=True)
        if output.exists():
            shutil.copyfile(output, kept)
        where = f"{Path(step.notebook).name}, cell {exc.exec_count}"
        evalue = exc.evalue.replace(f"{root}/", "")  # paths relative to the project
        if exc.ename == "InputError":
            raise BuildError(f"{evalue} [while running {where}]", input_error=True) from None
        raise BuildError(
            f"{where} failed: {exc.ename}: {evalue}\n"
            f"  The notebook with the full traceback: {kept.relative_to(root)}"
        ) from None


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


def build(root: Path, params: Params, label: str, *, force: bool = False) -> Path:
    log = Log()
    _lock = lock(root, label)
    collect_garbage(root)
    previous = published_dir(root, label)
    old = previous_manifest(previous)
    old_steps = {s["name"]: s for s in old.get("steps", [])}
    code_hash = package_hash()
    log(
        f"parameters: as_of={params.as_of}"
        + ("" if params.as_of_given else " (newest publication date in data/raw)")
        + (f", {len(params.dtm_files)} DTM file(s)" if params.dtm_files else "")
    )

    for step in STEPS:  # unknown or missing parameter names fail before anything runs
        declared = declared_parameters(root / step.notebook)
        if set(step.parameters) - declared:
            missing = ", ".join(sorted(set(step.parameters) - declared))
            raise BuildError(f"{step.notebook}: parameters cell does not declare {missing}")

    ensure_kernel()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    staging = root / "reports" / BUILDS_DIR / f"{label}-{stamp}-{os.getpid()}{PARTIAL}"
    staging.mkdir(parents=True)
    try:
        results = _run_steps(root, params, staging, previous, old_steps, code_hash, force, log)
        render_info = _render(root, staging, previous, old, results, force, log)
        changed = any(r.status == "ran" for r in results.values()) or render_info["status"] == "ran"
        if not changed and previous is not None:
            shutil.rmtree(staging)
            log(f"nothing changed: reports/{label} is up to date")
            return previous
        _write_data_package(root, staging, log)
        _write_manifest(root, staging, label, params, results, render_info, log)
        final = publish(root, label, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    collect_garbage(root)
    log(f"published reports/{label}" + (" (and data/processed)" if label == "latest" else ""))
    return final


def _run_steps(
    root: Path,
    params: Params,
    staging: Path,
    previous: Path | None,
    old_steps: dict[str, Any],
    code_hash: str,
    force: bool,
    log: Log,
) -> dict[str, StepResult]:
    results: dict[str, StepResult] = {}
    pending = list(STEPS)
    while pending:
        # Steps whose inputs are ready run side by side (the machine has two cores).
        ready = [s for s in pending if all(a in results for a in s.after)]
        pending = [s for s in pending if s not in ready]
        keyed = [(s, *step_key(s, root, params, code_hash, results)) for s in ready]
        to_run = []
        for step, key, _inputs in keyed:
            old = old_steps.get(step.name, {})
            reusable = (
                not force
                and previous is not None
                and old.get("key") == key
                and (previous / "notebooks" / Path(step.notebook).name).exists()
            )
            if reusable:
                for rel in [f"notebooks/{Path(step.notebook).name}", *step.outputs]:
                    if (previous / rel).exists():
                        copy_tree_item(previous / rel, staging / rel)
                results[step.name] = StepResult(
                    step.name, step.notebook, key, "reused", 0.0, output_hashes(staging, step)
                )
                log(f"{step.name}: unchanged, reused ({Path(step.notebook).name})")
            else:
                to_run.append((step, key))

        def run(item: tuple[Step, str]) -> StepResult:
            step, key = item
            parameters = notebook_parameters(step, params, root, staging, previous)
            check_injection_safe(parameters)
            log(f"{step.name}: running {Path(step.notebook).name}")
            began = time.perf_counter()
            run_notebook(step, root, staging, parameters)
            took = time.perf_counter() - began
            log(f"{step.name}: done in {took:.1f}s")
            return StepResult(
                step.name, step.notebook, key, "ran", round(took, 2), output_hashes(staging, step)
            )

        if len(to_run) > 1:
            with ThreadPoolExecutor(max_workers=2) as pool:
                for result in pool.map(run, to_run):
                    results[result.name] = result
        else:
            for item in to_run:
                result = run(item)
                results[result.name] = result
    return results


def _render(
    root: Path,
    staging: Path,
    previous: Path | None,
    old: dict[str, Any],
    results: dict[str, StepResult],
    force: bool,
    log: Log,
) -> dict[str, Any]:
    from haiti_report.build.render import TEMPLATES, find_chromium, render, renderer_name

    notebook = (
        staging / "notebooks" / Path(next(s.notebook for s in STEPS if s.name == REPORT_STEP)).name
    )
    template_hash = sha256_text("".join(sha256_file(p) for p in files_under(TEMPLATES)))
    key = sha256_text(
        json.dumps(
            {
                "notebook_key": results[REPORT_STEP].key,
                "templates": template_hash,
                "renderer": renderer_name(),
                "chromium": find_chromium() is not None,
            },
            sort_keys=True,
        )
    )
    old_render = old.get("render", {})
    if (
        not force
        and previous is not None
        and old_render.get("key") == key
        and (previous / "report.html").exists()
    ):
        for name in ("report.html", "report.pdf"):
            if (previous / name).exists():
                copy_tree_item(previous / name, staging / name)
        log(
            "render: unchanged, reused report.html"
            + (" and report.pdf" if (previous / "report.pdf").exists() else "")
        )
        return {**old_render, "status": "reused", "duration_s": 0.0}
    began = time.perf_counter()
    log(f"render: {renderer_name()}")
    result = render(notebook, staging)
    took = time.perf_counter() - began
    log(
        f"render: report.html{' and report.pdf' if result.pdf else ''} in {took:.1f}s"
        + ("" if result.pdf else f" ({result.pdf_note})")
    )
    return {
        "key": key,
        "status": "ran",
        "renderer": result.renderer,
        "pdf": result.pdf_note,
        "duration_s": round(took, 2),
    }


def _write_data_package(root: Path, staging: Path, log: Log) -> None:
    """datapackage.json (Frictionless), then on the console the summary of changes.json (what
    changed since the build this one replaces), which the report notebook wrote."""
    from haiti_report.build.changes import FILENAME, format_changes
    from haiti_report.build.datapackage import write_datapackage
    from haiti_report.raw.sources import load_sources

    write_datapackage(staging, load_sources(root / "data" / "raw"))
    log("datapackage.json written")
    # changes.json is written by the report notebook, which shows it; print its summary here.
    changes = staging / FILENAME
    if changes.exists():
        print(format_changes(json.loads(changes.read_text(encoding="utf-8"))), flush=True)


def _write_manifest(
    root: Path,
    staging: Path,
    label: str,
    params: Params,
    results: dict[str, StepResult],
    render_info: dict[str, Any],
    log: Log,
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m haiti_report.build",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--as-of", help="ISO date; only figures published by then count")
    parser.add_argument(
        "--dtm-file", action="append", dest="dtm_files", help="an extra IOM DTM file (repeatable)"
    )
    parser.add_argument(
        "--label",
        help="build folder name under reports/ "
        "(default: latest, or the as-of date when one is given)",
    )
    parser.add_argument("--force", action="store_true", help="re-run every notebook")
    parser.add_argument("--root", type=Path, default=None, help="project root (default: cwd)")
    args = parser.parse_args(argv)
    root = (args.root or default_root()).resolve()
    debug = os.environ.get("HAITI_REPORT_DEBUG") == "1"
    try:
        as_of = args.as_of if args.as_of not in (None, "") else None
        params = load_params(root, as_of=as_of, dtm_files=args.dtm_files)
        label = args.label or (params.as_of if params.as_of_given else "latest")
        if not label or "/" in label or label.startswith("."):
            raise InputError("command line", "label must be a plain folder name", found=label)
        build(root, params, label, force=args.force)
    except InputError as exc:
        if debug:
            raise
        print(f"error: {str(exc).replace(f'{root}/', '')}", file=sys.stderr)
        return 2
    except BuildError as exc:
        if debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2 if exc.input_error else 1
    except KeyboardInterrupt:
        print("interrupted: the previous outputs were left as they were", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
