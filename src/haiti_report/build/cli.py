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
import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from haiti_report.build.hashing import files_under, package_hash, sha256_file, sha256_text
from haiti_report.build.kernel import ensure_kernel
from haiti_report.build.manifest import previous_manifest, write_manifest
from haiti_report.build.params import Params, load_params
from haiti_report.build.publish import (
    BUILDS_DIR,
    PARTIAL,
    collect_garbage,
    lock,
    publish,
    published_dir,
)
from haiti_report.build.runner import StepResult, copy_tree_item, declared_parameters, run_steps
from haiti_report.build.steps import REPORT_STEP, STEPS
from haiti_report.core.errors import BuildError, InputError


def default_root() -> Path:
    return Path(os.environ.get("HAITI_REPORT_ROOT", Path.cwd())).resolve()


class Log:
    """One line per step, with the time since the build started."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.start:6.1f}s] {message}", flush=True)


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
        results = run_steps(root, params, staging, previous, old_steps, code_hash, force, log)
        render_info = _render(root, staging, previous, old, results, force, log)
        render_info["editions"] = _render_editions(staging, previous, old, results, force, log)
        changed = any(r.status == "ran" for r in results.values()) or any(
            info["status"] == "ran" for info in (render_info, *render_info["editions"].values())
        )
        if not changed and previous is not None:
            shutil.rmtree(staging)
            log(f"nothing changed: reports/{label} is up to date")
            return previous
        _write_data_package(root, staging, log)
        write_manifest(root, staging, label, params, results, render_info, log)
        final = publish(root, label, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    collect_garbage(root)
    log(f"published reports/{label}" + (" (and data/processed)" if label == "latest" else ""))
    return final


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


def _render_editions(
    staging: Path,
    previous: Path | None,
    old: dict[str, Any],
    results: dict[str, StepResult],
    force: bool,
    log: Log,
) -> dict[str, dict[str, Any]]:
    """The editions in other languages (report.fr.html, report.fr.pdf), each rendered like
    the English one from its own executed notebook, with its own key: reused when neither its
    notebook nor the templates nor the renderer changed."""
    from haiti_report.build.render import TEMPLATES, find_chromium, render, renderer_name
    from haiti_report.build.steps import EDITIONS

    done: dict[str, dict[str, Any]] = {}
    templates = sha256_text("".join(sha256_file(p) for p in files_under(TEMPLATES)))
    for lang, step_name, stem in EDITIONS[1:]:
        step = next(s for s in STEPS if s.name == step_name)
        key = sha256_text(
            json.dumps(
                {
                    "notebook_key": results[step_name].key,
                    "templates": templates,
                    "renderer": renderer_name(),
                    "chromium": find_chromium() is not None,
                    "stem": stem,
                },
                sort_keys=True,
            )
        )
        before = old.get("render", {}).get("editions", {}).get(lang, {})
        names = (f"{stem}.html", f"{stem}.pdf")
        if not force and previous and before.get("key") == key and (previous / names[0]).exists():
            for name in names:
                if (previous / name).exists():
                    copy_tree_item(previous / name, staging / name)
            log(f"render ({lang}): unchanged, reused {' and '.join(names)}")
            done[lang] = {**before, "status": "reused", "duration_s": 0.0}
            continue
        began = time.perf_counter()
        result = render(staging / "notebooks" / step.executed_name, staging, stem=stem, lang=lang)
        took = time.perf_counter() - began
        log(f"render ({lang}): {names[0]}{' and ' + names[1] if result.pdf else ''} in {took:.1f}s")
        done[lang] = {
            "key": key,
            "status": "ran",
            "pdf": result.pdf_note,
            "duration_s": round(took, 2),
        }
    return done


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
    raise SystemExit(main())
