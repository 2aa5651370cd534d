"""Running the declared steps with papermill: keys, reuse of unchanged steps, parallel runs."""

from __future__ import annotations

import ast
import json
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from haiti_report.build.hashing import expand_inputs, files_under, sha256_file, sha256_text
from haiti_report.build.kernel import KERNEL_NAME
from haiti_report.build.kernel_pool import KernelPool, engine_name
from haiti_report.build.params import Params
from haiti_report.build.publish import FAILED_DIR
from haiti_report.build.steps import STEPS, Step
from haiti_report.core.errors import BuildError, InputError


@dataclass
class StepResult:
    name: str
    notebook: str
    key: str
    status: str  # "ran" or "reused"
    duration_s: float
    outputs: dict[str, str] = field(default_factory=dict)  # build-relative path -> sha256


INPUTS_DIR = "inputs"  # <build>/inputs/<step>/data/raw: the copies a step may read


def stage_inputs(step: Step, root: Path, build_dir: Path) -> Path:
    """Copy exactly the step's declared raw files into ``<build>/inputs/<step>`` and return
    the ``data/raw`` folder there: a read of any other raw file fails (see run_notebook)."""
    base = build_dir / INPUTS_DIR / step.name
    for path in expand_inputs(root, step.inputs):
        target = base / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)  # a copy: nothing a step does can reach data/raw
    raw = base / "data" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    return raw


def notebook_parameters(
    step: Step, params: Params, root: Path, out_dir: Path, previous: Path | None
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "as_of": params.as_of,
        "raw_dir": str(out_dir / INPUTS_DIR / step.name / "data" / "raw"),
        "out_dir": str(out_dir),
        "dtm_files": [str(root / f) for f in params.dtm_files],
        "previous_dir": str(previous) if previous else "",
        **dict(step.values),
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
        **({"values": dict(step.values)} if step.values else {}),
        "inputs": inputs,
        "upstream": upstream_outputs,
        "code": code_hash,
        "kernel": KERNEL_NAME,
    }
    return sha256_text(json.dumps(payload, sort_keys=True)), inputs


def nested_outputs(step: Step) -> tuple[str, ...]:
    """Other steps' outputs inside this step's (figures/fr inside figures): not this step's."""
    return tuple(
        out
        for other in STEPS
        if other.name != step.name
        for out in other.outputs
        if any(Path(out) != Path(own) and Path(own) in Path(out).parents for own in step.outputs)
    )


def _owned(rel: str, step: Step) -> bool:
    return not any(
        Path(n) == Path(rel) or Path(n) in Path(rel).parents for n in nested_outputs(step)
    )


def output_hashes(build_dir: Path, step: Step) -> dict[str, str]:
    hashes = {}
    for rel in step.outputs:
        for path in files_under(build_dir / rel):
            name = str(path.relative_to(build_dir))
            if _owned(name, step):
                hashes[name] = sha256_file(path)
    return hashes


def copy_tree_item(src: Path, dst: Path, skip: tuple[Path, ...] = ()) -> None:
    """Hard-link (or copy) a previous build's file or folder into the new build (``skip``:
    folders inside it that another step owns)."""
    if src.is_dir():
        for path in files_under(src):
            if not any(s == path or s in path.parents for s in skip):
                copy_tree_item(path, dst / path.relative_to(src))
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def run_notebook(
    step: Step, root: Path, build_dir: Path, parameters: dict[str, Any], kernels: KernelPool
) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    output = build_dir / "notebooks" / step.executed_name
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with kernels.kernel() as km:
            papermill.execute_notebook(
                str(root / step.notebook),
                str(output),
                parameters=parameters,
                kernel_name=KERNEL_NAME,
                cwd=str(root / "notebooks"),
                progress_bar=False,
                log_output=False,
                report_mode=False,
                engine_name=engine_name(),
                km=km,
            )
    except PapermillExecutionError as exc:
        # The kernel raised. Keep the executed notebook (with the traceback) outside the build
        # folder, which is about to be deleted, and show the user one plain message.
        kept = root / "reports" / FAILED_DIR / output.name
        kept.parent.mkdir(parents=True, exist_ok=True)
        if output.exists():
            shutil.copyfile(output, kept)
        where = f"{step.executed_name}, cell {exc.exec_count}"
        staged = f"{build_dir / INPUTS_DIR / step.name}/"
        if staged in exc.evalue:
            read = exc.evalue.split(staged, 1)[1].split()[0].strip("'\":,")
            if not Path(staged, read).exists():  # a raw file the step does not declare
                raise BuildError(
                    f"step {step.name} ({where}) read {read}, which is not one of its declared "
                    "inputs: add it to the step's inputs in src/haiti_report/build/steps.py"
                ) from None
        # Paths as the user knows them: data/raw/..., relative to the project.
        evalue = exc.evalue.replace(staged, "").replace(f"{build_dir}/", "")
        evalue = evalue.replace(f"{root}/", "")
        if exc.ename == "InputError":
            raise BuildError(f"{evalue} [while running {where}]", input_error=True) from None
        raise BuildError(
            f"{where} failed: {exc.ename}: {evalue}\n"
            f"  The notebook with the full traceback: {kept.relative_to(root)}"
        ) from None


def run_steps(
    root: Path,
    params: Params,
    staging: Path,
    previous: Path | None,
    old_steps: dict[str, Any],
    code_hash: str,
    force: bool,
    log: Callable[[str], None],
    kernels: KernelPool,
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
                and (previous / "notebooks" / step.executed_name).exists()
            )
            if reusable:
                skip = tuple(previous / n for n in nested_outputs(step))
                for rel in [
                    f"notebooks/{step.executed_name}",
                    *step.outputs,
                    f"{INPUTS_DIR}/{step.name}",
                ]:
                    if (previous / rel).exists():
                        copy_tree_item(previous / rel, staging / rel, skip)
                results[step.name] = StepResult(
                    step.name, step.notebook, key, "reused", 0.0, output_hashes(staging, step)
                )
                log(f"{step.name}: unchanged, reused ({step.executed_name})")
            else:
                to_run.append((step, key))

        def run(item: tuple[Step, str]) -> StepResult:
            step, key = item
            if "raw_dir" in step.parameters:
                stage_inputs(step, root, staging)
            parameters = notebook_parameters(step, params, root, staging, previous)
            check_injection_safe(parameters)
            log(f"{step.name}: running {step.executed_name}")
            began = time.perf_counter()
            run_notebook(step, root, staging, parameters, kernels)
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
