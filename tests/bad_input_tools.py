"""Tools of the bad-input corpus (tests/bad_inputs.py): edits that break a project copy,
the special runs where the machine fails, and running a case at its level."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bad_inputs import Case

ROOT = Path(__file__).resolve().parents[1]
CLI, MAKE, BUILD = "before any notebook", "make report", "full build"


@dataclass(frozen=True)
class Outcome:
    code: int
    message: str  # the last line of stderr, without "error: "
    stderr: str
    stdout: str


# --- edits ---------------------------------------------------------------------------------


def edit(path: Path, fn: Callable[[list[str]], list[str]]) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join(fn(lines)), encoding="utf-8")


def replace_cell(rel: str, row_id: str, column: str, value: str) -> Callable[[Path], list[str]]:
    """Set one cell of the row whose first cell is ``row_id``."""
    import csv

    def change(root: Path) -> list[str]:
        path = root / rel
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        col = rows[0].index(column)
        for row in rows[1:]:
            if row and row[0] == row_id:
                row[col] = value
                break
        else:
            raise KeyError(row_id)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")
        return []

    return change


def append_rows(rel: str, *rows: str) -> Callable[[Path], list[str]]:
    def change(root: Path) -> list[str]:
        path = root / rel
        path.write_text(path.read_text(encoding="utf-8") + "".join(r + "\n" for r in rows))
        return []

    return change


def drop_column(rel: str, column: str) -> Callable[[Path], list[str]]:
    """Remove a column from the header and every row."""
    import csv

    def change(root: Path) -> list[str]:
        path = root / rel
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        col = rows[0].index(column)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([r[:col] + r[col + 1 :] for r in rows if r])
        path.write_text(out.getvalue(), encoding="utf-8")
        return []

    return change


def sparse_gigabyte(rel: str) -> Callable[[Path], list[str]]:
    """Grow a raw file to 1 GiB (sparse: costs no disk), as a wrong download might."""

    def change(root: Path) -> list[str]:
        os.truncate(root / rel, 2**30)
        return []

    return change


def bytes_change(rel: str, fn: Callable[[bytes], bytes]) -> Callable[[Path], list[str]]:
    def change(root: Path) -> list[str]:
        path = root / rel
        path.write_bytes(fn(path.read_bytes()))
        return []

    return change


def header_change(rel: str, old: str, new: str) -> Callable[[Path], list[str]]:
    def change(root: Path) -> list[str]:
        edit(root / rel, lambda ls: [ls[0].replace(old, new, 1), *ls[1:]])
        return []

    return change


def replace_with(rel: str, make: Callable[[Path], None]) -> Callable[[Path], list[str]]:
    """Replace a file by something else: a named pipe, a link to a device, a folder."""

    def change(root: Path) -> list[str]:
        path = root / rel
        path.unlink()
        make(path)
        return []

    return change


def fifo(path: Path) -> None:
    os.mkfifo(path)


def dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def params_file(content: bytes | str) -> Callable[[Path], list[str]]:
    def change(root: Path) -> list[str]:
        path = root / "params.yaml"
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return []

    return change


def params_replaced(make: Callable[[Path], None]) -> Callable[[Path], list[str]]:
    def change(root: Path) -> list[str]:
        (root / "params.yaml").unlink(missing_ok=True)
        make(root / "params.yaml")
        return []

    return change


def dtm_file(
    name: str, content: bytes | str | Callable[[Path], None]
) -> Callable[[Path], list[str]]:
    """Drop a file into the project and pass it to the build as a DTM file."""

    def change(root: Path) -> list[str]:
        path = root / "downloads" / name  # data/raw/displacement/dtm/ is make update's
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        else:
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return ["--dtm-file", str(path.relative_to(root))]

    return change


def shifted_xlsx(path: Path) -> None:
    """An HDX baseline workbook whose three header rows were pushed down by blank rows."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Round 3")
    rows = [[]] * 12 + [
        ["", "", "", "BASE", "", "", "", "PDI", ""],
        ["Reported Date", "Country", "Country Code", "p-code admin1", "Nom du département",
         "Ménages", "Personnes"],
        ["#date+reported", "#country+name", "#country+code", "#adm1+code", "#adm1+name",
         "#affected+idps+hh", "#affected+idps+ind"],
        [45016, "Haiti", "HTI", "HT01", "Ouest", 10, 50],
    ]  # fmt: skip
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()


def saved_by_excel(root: Path) -> list[str]:
    """Every raw CSV re-saved as Excel's "CSV UTF-8" does: a byte-order mark, CRLF endings."""
    for path in sorted((root / "data/raw").rglob("*.csv")):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    return []


def stale_kernel(root: Path) -> list[str]:
    """A kernelspec of the same name earlier on the Jupyter path, left by a removed .venv."""
    spec = root / "jupyter/kernels/haiti-report"
    spec.mkdir(parents=True)
    argv = ["/removed/.venv/bin/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "language": "python"}))
    return []


def failing_chromium(root: Path) -> list[str]:
    script = root / "fake-chromium"
    script.write_text("#!/bin/sh\necho 'crashed' >&2\nexit 1\n")
    script.chmod(0o755)
    return ["--force"]  # else the unchanged report is reused and nothing is printed


def obrien_dtm_file(root: Path) -> list[str]:
    """An IOM API file with a space and a quote in its name, passed through make."""
    dest = root / "downloads/O'Brien's round 2.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "tests/fixtures/dtm/api_admin0_small.json", dest)
    return [f"DTM_FILES={dest.relative_to(root)}"]


def make_vars(*variables: str) -> Callable[[Path], list[str]]:
    return lambda root: list(variables)


# --- special runs: the machine fails ---------------------------------------------------------


def _wait_for(proc: subprocess.Popen, marker: str, timeout: float = 300) -> str:
    seen = []
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"never saw {marker!r}:\n{''.join(seen)}")


def _start(root: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "haiti_report.build", "--root", str(root), "--force"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_clean_env(),
    )


def _finish(proc: subprocess.Popen, before: str) -> Outcome:
    out, err = proc.communicate(timeout=300)
    return Outcome(proc.returncode, _last_line(err), err, before + out)


def interrupted_build(root: Path) -> Outcome:
    """Ctrl-C while a notebook runs."""
    proc = _start(root)
    seen = _wait_for(proc, "report: running")
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    return _finish(proc, seen)


def killed_kernel(root: Path) -> Outcome:
    """The report notebook's kernel killed (as the out-of-memory killer would)."""
    proc = _start(root)
    seen = _wait_for(proc, "report: running")
    kernels: list[int] = []
    deadline = time.monotonic() + 60
    while not kernels and time.monotonic() < deadline:
        time.sleep(0.5)
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                ppid = int(re.search(r"PPid:\s+(\d+)", status.read_text())[1])  # type: ignore[index]
                cmdline = (status.parent / "cmdline").read_bytes()
            except (OSError, TypeError):
                continue
            if ppid == proc.pid and b"ipykernel_launcher" in cmdline:
                kernels.append(int(status.parent.name))
    assert kernels, "no kernel found"
    time.sleep(3.0)  # let it start running cells
    for pid in kernels:
        os.kill(pid, signal.SIGKILL)
    return _finish(proc, seen)


def full_disk(root: Path) -> Outcome:
    """reports/ on a 2 MB file system: the build runs out of space half way."""
    reports = root / "reports"
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(reports)], capture_output=True
    )
    if mounted.returncode != 0:
        import pytest

        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode().strip()}")
    try:
        proc = _start(root)
        return _finish(proc, "")
    finally:
        subprocess.run(["umount", "-l", str(reports)], capture_output=True)


# --- running a case --------------------------------------------------------------------------


def _clean_env(**extra: str) -> dict[str, str]:
    """This environment without the build's own variables (a developer may have set some)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAITI_REPORT_")}
    env.pop("SOURCE_DATE_EPOCH", None)
    # `make test` runs these cases: without this, their make would be a sub-make ("make[1]").
    for name in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"):
        env.pop(name, None)
    return {**env, **extra}


def _last_line(stderr: str) -> str:
    lines = [
        ln for ln in stderr.strip().splitlines() if not re.match(r"make(\[\d+\])?: \*\*\*", ln)
    ]
    return lines[-1].removeprefix("error: ") if lines else ""


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_in_process(root: Path, args: list[str], env: dict[str, str]) -> Outcome:
    from haiti_report.build.cli import main

    out, err = io.StringIO(), io.StringIO()
    with _environment(env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--root", str(root), *args])
    return Outcome(code, _last_line(err.getvalue()), err.getvalue(), out.getvalue())


def run_make(root: Path, variables: list[str], env: dict[str, str]) -> Outcome:
    for name in ("Makefile", "uv.lock", "pyproject.toml"):
        shutil.copy2(ROOT / name, root / name)
    for name in ("uv.lock", "pyproject.toml"):  # older than any stamp: make never re-syncs
        os.utime(root / name, (0, 0))  # the real .venv this run uses
    target = "report"
    if variables and "=" not in variables[0]:
        target, variables = variables[0], variables[1:]
    proc = subprocess.run(
        ["make", "-s", target, f"VENV={ROOT / '.venv'}", f"TOOLS={ROOT / '.tools'}", *variables],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    return Outcome(proc.returncode, _last_line(proc.stderr), proc.stderr, proc.stdout)


def run_case(case: Case, root: Path) -> Outcome:
    """Apply the case to the project copy at ``root`` and run it at its level."""
    args = case.change(root)
    env = _clean_env(**{k: v.format(root=root) for k, v in case.env})
    if case.run is not None:
        return case.run(root)
    if case.stage == CLI:
        return run_in_process(root, args, env)
    if case.stage == MAKE:
        return run_make(root, args, env)
    proc = subprocess.run(
        [sys.executable, "-m", "haiti_report.build", "--root", str(root), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    return Outcome(proc.returncode, _last_line(proc.stderr), proc.stderr, proc.stdout)


def normalise(message: str) -> str:
    """What the docs show: no machine-specific paths, today's date as a word."""
    return (
        message.replace(dt.date.today().isoformat(), "<today>")
        .replace(sys.executable, "<this Python>")
        .replace(str(ROOT), "<project>")
    )
