"""Build the report: run the notebooks with papermill, render, publish atomically.

    python -m haiti_report.build [--as-of YYYY-MM-DD] [--dtm-file PATH ...] [--force]

How a build works (see README, "How the build works"):

1. Parameters are read from params.yaml and the command line and validated first, with every
   raw file's dates (haiti_report.build.params); every file a step reads must be a regular file.
2. Each notebook gets a key: the hash of its source, its parameters, the files it reads (raw data
   and the outputs of the notebooks before it) and the package code. A notebook whose key matches
   the previous build of the same folder is not run again; its outputs are reused.
3. Everything is written into a new folder under reports/.builds/. Only when every step has
   succeeded is reports/<label> switched to it, with one atomic rename of a symbolic link;
   data/processed is a link to reports/latest/data, so it switches in the same instant.
   An interrupted or failed build leaves the previous outputs as they were.

`make report` passes its parameters through the environment (HAITI_REPORT_AS_OF,
HAITI_REPORT_DTM_FILES, HAITI_REPORT_FORCE), never through a shell; options given here win.

Every failure ends in one line on stderr naming the file, line, column or step and what to do
(:func:`describe_failure`); HAITI_REPORT_DEBUG=1 shows the traceback instead. Ctrl-C prints
"interrupted" and nothing else (exit 130).
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from haiti_report.build.hashing import files_under, package_hash, sha256_file, sha256_text
from haiti_report.build.kernel import KERNEL_NAME, ensure_kernel
from haiti_report.build.kernel_pool import KernelPool
from haiti_report.build.manifest import previous_manifest, write_manifest
from haiti_report.build.params import Params, load_params, split_dtm_files
from haiti_report.build.publish import (
    BUILDS_DIR,
    PARTIAL,
    claim_build,
    collect_garbage,
    lock,
    publish,
    published_dir,
)
from haiti_report.build.reproducible import export_source_date_epoch, pin_pdf_dates
from haiti_report.build.runner import StepResult, copy_tree_item, declared_parameters, run_steps
from haiti_report.build.steps import STEPS
from haiti_report.core.errors import BuildError, InputError, printable
from haiti_report.core.limits import MAX_INPUT_BYTES
from haiti_report.raw.files import check_regular_file

ENV_AS_OF = "HAITI_REPORT_AS_OF"
ENV_DTM_FILES = "HAITI_REPORT_DTM_FILES"
ENV_FORCE = "HAITI_REPORT_FORCE"
ENV_DEBUG = "HAITI_REPORT_DEBUG"
INTERRUPT_GRACE_S = 5.0  # after Ctrl-C, clean up for this long, then exit regardless
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def default_root() -> Path:
    return Path(os.environ.get("HAITI_REPORT_ROOT", Path.cwd())).resolve()


class Log:
    """One line per step, with the time since the build started; remembers what is running,
    so a failure can name its step."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.phase = "checking the parameters"
        self.running: list[str] = []

    def __call__(self, message: str) -> None:
        name, _, rest = message.partition(": ")
        if rest.startswith("running"):
            self.running.append(name)
        elif rest.startswith("done") and name in self.running:
            self.running.remove(name)
        print(f"[{time.perf_counter() - self.start:6.1f}s] {message}", flush=True)

    def where(self) -> str:
        if self.running:
            return "while running " + " and ".join(self.running)
        return f"while {self.phase}"


def check_inputs(root: Path, params: Params) -> None:
    """Every file a step reads is a regular file of a sane size: a named pipe or /dev/zero
    would otherwise hang or flood the input hashing before any reader could refuse it."""
    paths = [root / step.notebook for step in STEPS]
    for step in STEPS:
        for pattern in step.inputs:
            paths += sorted(root.glob(pattern))
    paths += [root / f for f in params.dtm_files]
    for path in paths:
        check_regular_file(path, MAX_INPUT_BYTES)


def check_kernel() -> None:
    """The kernel papermill will start by name must be this environment's Python: a stale
    kernelspec elsewhere on the Jupyter path (e.g. after .venv was removed or moved) would
    fail to start, or run the notebooks with another copy of the package."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        raise BuildError(
            f"the Jupyter kernel '{KERNEL_NAME}' is not installed. Run make report (it "
            "re-creates .venv and the kernel)"
        ) from None
    python = spec.argv[0] if spec.argv else ""
    if os.path.abspath(python) != os.path.abspath(sys.executable):
        state = "which does not exist" if not Path(python).exists() else "another Python"
        raise BuildError(
            f"the Jupyter kernel '{KERNEL_NAME}' found first ({spec.resource_dir}) runs "
            f"{python}, {state}. Delete that folder; the build makes the kernel for "
            f"{sys.executable} itself"
        )


def build(
    root: Path,
    params: Params,
    label: str,
    *,
    force: bool = False,
    log: Log | None = None,
    kernels: KernelPool | None = None,
) -> Path:
    """Build reports/<label>. ``kernels``: warm kernels to lend the notebooks (``make editions``
    shares one pool among all its builds); by default the build has a pool of its own."""
    log = log or Log()
    with ExitStack() as held:
        if kernels is None:
            kernels = held.enter_context(KernelPool(root / "notebooks"))
        log.phase = "waiting for the build lock"
        held.enter_context(lock(root, label))
        collect_garbage(root, label)
        previous = published_dir(root, label)
        old = previous_manifest(previous)
        log(
            f"parameters: as_of={params.as_of}"
            + ("" if params.as_of_given else " (newest publication date in data/raw)")
            + (f", {len(params.dtm_files)} DTM file(s)" if params.dtm_files else "")
        )
        log.phase = "checking the notebooks and the kernel"
        for step in STEPS:  # unknown or missing parameter names fail before anything runs
            declared = declared_parameters(root / step.notebook)
            if set(step.parameters) - declared:
                missing = ", ".join(sorted(set(step.parameters) - declared))
                raise BuildError(f"{step.notebook}: parameters cell does not declare {missing}")
        ensure_kernel()
        check_kernel()
        epoch = export_source_date_epoch(params.as_of)  # inherited by kernels and renderers
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        build_id = f"{label}-{stamp}-{os.getpid()}"
        held.enter_context(claim_build(root, build_id))  # before the folder exists
        staging = root / "reports" / BUILDS_DIR / f"{build_id}{PARTIAL}"
        staging.mkdir(parents=True)
        try:
            final = _build_into(
                root, params, label, staging, previous, old, force, epoch, log, kernels
            )
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    if final == previous:
        return final
    log.phase = "cleaning up old builds"
    collect_garbage(root, label)
    log(f"published reports/{label}" + (" (and data/processed)" if label == "latest" else ""))
    return final


def _build_into(
    root: Path,
    params: Params,
    label: str,
    staging: Path,
    previous: Path | None,
    old: dict[str, Any],
    force: bool,
    epoch: int,
    log: Log,
    kernels: KernelPool,
) -> Path:
    old_steps = {s["name"]: s for s in old.get("steps", [])}
    log.phase = "running the notebooks"
    results = run_steps(
        root, params, staging, previous, old_steps, package_hash(), force, log, kernels
    )
    log.phase = "rendering the report"
    render_info = _render(staging, previous, old, results, force, epoch, log)
    renders = (render_info, *render_info["editions"].values())
    changed = any(r.status == "ran" for r in results.values()) or any(
        info["status"] == "ran" for info in renders
    )
    if not changed and previous is not None:
        shutil.rmtree(staging)
        log(f"nothing changed: reports/{label} is up to date")
        return previous
    log.phase = "writing the data package and manifest"
    _write_data_package(root, staging, log)
    write_manifest(root, staging, label, params, results, render_info, log)
    log.phase = "publishing"
    return publish(root, label, staging)


def _render(
    staging: Path,
    previous: Path | None,
    old: dict[str, Any],
    results: dict[str, StepResult],
    force: bool,
    epoch: int,
    log: Log,
) -> dict[str, Any]:
    """Every edition (report.html, then report.fr.html, ...), each from its own executed
    notebook. The manifest keeps the English render at the top, the others under "editions"."""
    from haiti_report.build.render import TEMPLATES, find_chromium, renderer_name, renderer_version
    from haiti_report.build.steps import EDITIONS

    # What every edition's render depends on besides its notebook: looked up once per build.
    renderer = {
        "templates": sha256_text("".join(sha256_file(p) for p in files_under(TEMPLATES))),
        "renderer": renderer_name(),
        "renderer_version": renderer_version(),
        "chromium": find_chromium() is not None,
    }
    old_render = old.get("render", {})
    info: dict[str, Any] = {}
    for lang, step_name, stem in EDITIONS:
        before = old_render if lang == "en" else old_render.get("editions", {}).get(lang, {})
        edition = _render_edition(
            (lang, step_name, stem), renderer, staging, previous, before, results, force, epoch, log
        )
        if lang == "en":
            info = {**edition, "editions": {}}
        else:
            info["editions"][lang] = edition
    return info


def _render_edition(
    edition: tuple[str, str, str],
    renderer: dict[str, Any],
    staging: Path,
    previous: Path | None,
    before: dict[str, Any],
    results: dict[str, StepResult],
    force: bool,
    epoch: int,
    log: Log,
) -> dict[str, Any]:
    """One edition: reused from the previous build when neither its notebook, the templates,
    nor the renderer (or its version) changed."""
    from haiti_report.build.render import render

    lang, step_name, stem = edition
    step = next(s for s in STEPS if s.name == step_name)
    key = sha256_text(
        json.dumps(
            {**renderer, "notebook_key": results[step_name].key, "stem": stem}, sort_keys=True
        )
    )
    names = (f"{stem}.html", f"{stem}.pdf")
    tag = "render" if lang == "en" else f"render ({lang})"
    if not force and previous and before.get("key") == key and (previous / names[0]).exists():
        reused = [n for n in names if (previous / n).exists()]
        for name in reused:
            copy_tree_item(previous / name, staging / name)
        log(f"{tag}: unchanged, reused {' and '.join(reused)}")
        kept = {k: v for k, v in before.items() if k != "editions"}
        return {**kept, "status": "reused", "duration_s": 0.0}
    began = time.perf_counter()
    log(f"{tag}: {renderer['renderer']}")
    result = render(staging / "notebooks" / step.executed_name, staging, stem=stem, lang=lang)
    if result.pdf is not None and result.pdf.exists():
        pin_pdf_dates(result.pdf, epoch)  # Chromium stamps the clock time; Typst uses the epoch
    took = time.perf_counter() - began
    log(
        f"{tag}: {names[0]}{' and ' + names[1] if result.pdf else ''} in {took:.1f}s"
        + ("" if result.pdf else f" ({result.pdf_note})")
    )
    return {
        "key": key,
        "status": "ran",
        "renderer": result.renderer,
        "renderer_version": renderer["renderer_version"],
        "pdf": result.pdf_note,
        "duration_s": round(took, 2),
    }


def _write_data_package(root: Path, staging: Path, log: Log) -> None:
    """datapackage.json (Frictionless), then on the console the summary of changes.json (what
    changed since the build this one replaces), which the report notebook wrote."""
    from haiti_report.build.changes import FILENAME
    from haiti_report.build.changes_text import format_changes
    from haiti_report.build.datapackage import write_datapackage
    from haiti_report.raw.sources import load_sources

    write_datapackage(staging, load_sources(root / "data" / "raw"))
    log("datapackage.json written")
    # changes.json is written by the report notebook, which shows it; print its summary here.
    changes = staging / FILENAME
    if changes.exists():
        print(format_changes(json.loads(changes.read_text(encoding="utf-8"))), flush=True)


# --- the one top-level handler ---------------------------------------------------------------


class Interrupts:
    """SIGINT (Ctrl-C) and SIGTERM raise KeyboardInterrupt in the main thread, so the build
    cleans up its own folder; if that has not finished within INTERRUPT_GRACE_S (a notebook
    still running in a worker thread), the process exits anyway. Either way the user sees
    "interrupted" once: the published outputs are switched atomically, so stopping at any
    point leaves them as they were."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._reported = threading.Lock()
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: object) -> None:
        if self.signum is None:
            self.signum = signum
            timer = threading.Timer(INTERRUPT_GRACE_S, self._exit_now)
            timer.daemon = True
            timer.start()
        raise KeyboardInterrupt

    def _exit_now(self) -> None:
        self.report()
        os._exit(self.code)

    @property
    def code(self) -> int:
        return 128 + (self.signum or signal.SIGINT)

    def report(self) -> None:
        if self._reported.acquire(blocking=False):
            print("interrupted", file=sys.stderr, flush=True)


def _one_line(text: str, root: Path) -> str:
    lines = [line.strip() for line in str(text).replace(f"{root}/", "").splitlines()]
    return printable(" — ".join(line for line in lines if line), newlines=False)


def describe_failure(exc: BaseException, root: Path, log: Log) -> tuple[int, str]:
    """The exit code and the one line a user sees for any failure of the build."""
    where = log.where()
    if isinstance(exc, InputError):
        return 2, f"error: {_one_line(exc.message, root)}"
    if isinstance(exc, BuildError):
        if "[Errno 28]" in str(exc) or "No space left on device" in str(exc):
            return 1, f"error: the disk is full ({where}). Free some space and build again"
        return (2 if exc.input_error else 1), f"error: {_one_line(str(exc), root)}"
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        target = f", writing {_one_line(exc.filename, root)}" if exc.filename else ""
        return 1, f"error: the disk is full ({where}{target}). Free some space and build again"
    if isinstance(exc, subprocess.TimeoutExpired):
        program = Path(str(exc.cmd[0] if isinstance(exc.cmd, list | tuple) else exc.cmd)).name
        return 1, (
            f"error: {program} did not finish within {exc.timeout:.0f} s ({where}). Run the "
            "build again; if it keeps happening, check that the program works on its own"
        )
    name = type(exc).__name__
    if name == "DeadKernelError" or "Kernel died" in str(exc):
        return 1, (
            f"error: the notebook's Python kernel died ({where}): it was killed or ran out of "
            "memory. Run the build again"
        )
    if name == "NoSuchKernel":
        return 1, f"error: the Jupyter kernel '{KERNEL_NAME}' is missing. Run make report"
    if isinstance(exc, MemoryError):
        return 1, f"error: out of memory ({where}). Close other programs and build again"
    if isinstance(exc, OSError):
        target = f": {_one_line(exc.filename, root)}" if exc.filename else ""
        return 1, f"error: {exc.strerror or name}{target} ({where})"
    first = _one_line(str(exc).splitlines()[0] if str(exc).strip() else "", root).rstrip(":")
    if log.phase == "rendering the report":
        return 1, (
            f"error: rendering failed: {first or name}. Check that the renderer works on its "
            "own (chromium --headless --print-to-pdf=x.pdf about:blank), or set "
            "HAITI_REPORT_CHROMIUM to another browser"
        )
    return 1, (
        f"error: {name}{': ' + first if first else ''} ({where}). This is a bug in the build, "
        f"not in your data: run again with {ENV_DEBUG}=1 for the traceback and report it"
    )


def _parser() -> argparse.ArgumentParser:
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
    return parser


def _from_environment(
    args: argparse.Namespace, root: Path
) -> tuple[str | None, list[str] | None, bool]:
    """Options win over make's environment variables; an empty variable means not given."""
    as_of = args.as_of if args.as_of is not None else os.environ.get(ENV_AS_OF)
    dtm_files = args.dtm_files
    if dtm_files is None and os.environ.get(ENV_DTM_FILES, "").strip():
        dtm_files = split_dtm_files(os.environ[ENV_DTM_FILES], root)
    return (as_of if as_of not in (None, "") else None), dtm_files, args.force or force_from_env()


def force_from_env() -> bool:
    """make's FORCE=1 (any value but empty, 0, no, false)."""
    return os.environ.get(ENV_FORCE, "").strip().lower() not in ("", "0", "no", "false")


def _run(args: argparse.Namespace, root: Path, log: Log) -> int:
    as_of, dtm_files, force = _from_environment(args, root)
    params = load_params(root, as_of=as_of, dtm_files=dtm_files)
    label = args.label or (params.as_of if params.as_of_given else "latest")
    if not _LABEL.match(label):
        raise InputError(
            "command line (--label)",
            "the label must be a plain folder name (letters, digits, '.', '_', '-')",
            found=label,
        )
    log.phase = "checking the input files"
    check_inputs(root, params)
    build(root, params, label, force=force, log=log)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root = (args.root or default_root()).resolve()
    return run_cli(lambda log: _run(args, root, log), root)


def run_cli(work: Callable[[Log], int], root: Path) -> int:
    """The one top-level handler of the build's commands (make report, make editions): every
    failure ends in one line (describe_failure), Ctrl-C in "interrupted"; HAITI_REPORT_DEBUG=1
    shows the traceback instead."""
    log = Log()
    debug = os.environ.get(ENV_DEBUG) == "1"
    if not debug:  # libraries' log lines (nbclient: "Kernel died ...") would be a second line
        logging.disable(logging.CRITICAL)
    with Interrupts() as interrupts:
        try:
            return work(log)
        except (Exception, KeyboardInterrupt) as exc:
            if debug:
                raise
            if isinstance(exc, KeyboardInterrupt) or interrupts.signum is not None:
                interrupts.report()
                return interrupts.code
            code, line = describe_failure(exc, root, log)
            print(line, file=sys.stderr, flush=True)
            return code
        finally:
            logging.disable(logging.NOTSET)


if __name__ == "__main__":
    raise SystemExit(main())
