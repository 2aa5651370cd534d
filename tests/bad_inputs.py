"""The bad-input corpus: what a user (or the machine) can get wrong, and what the build says.

Each case changes one thing in a copy of the project (a raw file, a parameter, a dropped-in IOM
file, the make command line, the machine). The build must then either stop with ONE plain line
naming the file, the line (or row or record) and, where there is one, the column, or the step
-- no Python traceback, no hang, no shell command run -- and leave reports/<label>/ and
data/processed/ as they were; or, for a file as spreadsheets save it, build correctly.

Each case runs at the cheapest level that still goes through the real entry point:

* ``CLI``: the real ``main()`` in-process, for what is decided before any notebook runs
  (parameters, the raw reader's checks, dates, decisions, input files); the test also checks
  that no notebook ran, so a case cannot sit at the wrong level unnoticed;
* ``MAKE``: the real ``make report`` (the project's Makefile and environment), likewise;
* ``BUILD``: a full build, for what the notebooks decide, for correct builds and for failures
  of the machine (a dead kernel, Ctrl-C, a full disk, a failing renderer).

`python tests/bad_inputs.py` rewrites docs/bad-input-messages.md, the table of what a user sees
for each case; every case's test checks that its message is the one in the table.
"""

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

ROOT = Path(__file__).resolve().parents[1]
CLI, MAKE, BUILD = "before any notebook", "make report", "full build"
DOCS = ROOT / "docs/bad-input-messages.md"


@dataclass(frozen=True)
class Case:
    name: str
    file: str  # the file the user touched (relative to the project)
    change: Callable[[Path], list[str]]  # edits the copy; returns build args (make: variables)
    expect: tuple[str, ...]  # fragments the message must contain
    located: bool = True  # False where the problem is the whole file (no line to name)
    stage: str = BUILD
    builds: bool = False  # the right outcome is a correct build
    env: tuple[tuple[str, str], ...] = ()  # extra environment for the build
    run: Callable[[Path], Outcome] | None = None  # a special way to run it (kill, interrupt)
    exact: bool = True  # False where the message's wording depends on timing


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
        path = root / "data/raw/displacement/dtm" / name
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
    return []


def obrien_dtm_file(root: Path) -> list[str]:
    """An IOM API file with a space and a quote in its name, passed through make."""
    dest = root / "data/raw/displacement/dtm/O'Brien's round 2.json"
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


# --- the corpus ------------------------------------------------------------------------------

SOURCES = "data/raw/sources.csv"
FIGURES = "data/raw/mss/figures.csv"
DECISIONS = "data/raw/decisions.csv"
CLAIMS = "data/raw/claims.csv"
ALIASES = "data/raw/country_aliases.csv"
NATIONAL = "data/raw/displacement/idps_national.csv"
DEPARTMENTS = "data/raw/displacement/idps_departments.csv"
CONTEXT = "data/raw/displacement/context.csv"
API_ENVELOPE = {
    "result": [],
    "statusCode": 200,
    "isSuccess": True,
    "errorMessages": [],
    "totalRecordsCount": 0,
}
BILLION_LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "dtm_files: *i\n"
)
D02_REVERSED = (
    "D99,2026-11-29,Jamaica's pledge: 250 after all,pledge,Jamaica,2024-03,PLG-024,PLG-017,"
    'A later reading,"The 250 figure, on reflection"'
)


def _s(rel: str, fn: Callable[[bytes], bytes]) -> Callable[[Path], list[str]]:
    return bytes_change(rel, fn)


CASES: list[Case] = [
    # --- the sources registry (read before any notebook: it sets the default as-of)
    Case("sources: column missing", SOURCES, drop_column(SOURCES, "kind"),
         ("sources.csv", "line 1", "'kind' is missing"), stage=CLI),
    Case("sources: column without a name", SOURCES, header_change(SOURCES, ",kind,", ",,"),
         ("sources.csv", "line 1", "column 6 of the header has no name"), stage=CLI),
    Case("sources: column renamed", SOURCES, header_change(SOURCES, ",url,", ",link,"),
         ("sources.csv", "line 1", "'url' is missing (is 'link' it, renamed?)"), stage=CLI),
    Case("sources: extra column", SOURCES, header_change(SOURCES, ",via", ",via,extra"),
         ("sources.csv", "line 1", "'extra' is not expected"), stage=CLI),
    Case("sources: empty file", SOURCES, _s(SOURCES, lambda b: b""),
         ("sources.csv", "file is empty"), located=False, stage=CLI),
    Case("sources: header only", SOURCES, _s(SOURCES, lambda b: b.split(b"\n")[0] + b"\n"),
         ("sources.csv", "header but no rows"), located=False, stage=CLI),
    Case("sources: Latin-1 bytes", SOURCES,
         _s(SOURCES, lambda b: b.replace(b"\n", b"\nCaf\xe9 ", 1)),
         ("sources.csv", "line 2", "not valid UTF-8"), stage=CLI),
    Case("sources: saved as UTF-16 (Excel 'Unicode Text')", SOURCES,
         _s(SOURCES, lambda b: b.decode().encode("utf-16")),
         ("sources.csv", "this file is UTF-16", "Save it as UTF-8"), located=False, stage=CLI),
    Case("sources: duplicate id", SOURCES, _s(SOURCES, lambda b: b + b.split(b"\n")[1] + b"\n"),
         ("sources.csv", "column 'source_id'", "used twice"), stage=CLI),
    Case("sources: malformed date", SOURCES,
         _s(SOURCES, lambda b: b.replace(b",2024-09-13,", b",13/09/2024,", 1)),
         ("sources.csv", "column 'published'", "not a valid date"), stage=CLI),
    Case("sources: unknown kind", SOURCES,
         _s(SOURCES, lambda b: b.replace(b",wire,", b",blog,", 1)),
         ("sources.csv", "column 'kind'", "unknown kind"), stage=CLI),
    Case("sources: a 1 GB file", SOURCES, sparse_gigabyte(SOURCES),
         ("sources.csv", "far larger"), located=False, stage=CLI),
    Case("sources: a 1 MB cell", SOURCES,
         _s(SOURCES, lambda b: b.replace(b",wire,", b",wire," + b"x" * 2**20, 1)),
         ("sources.csv", "column 'language'", "1,048,578 characters long"), stage=CLI),
    Case("sources: linked to /dev/zero", SOURCES, replace_with(SOURCES, dev_zero),
         ("sources.csv", "is a device", "not a regular file"), located=False, stage=CLI),
    Case("sources: a named pipe (never blocks)", SOURCES, replace_with(SOURCES, fifo),
         ("sources.csv", "named pipe"), located=False, stage=CLI),
    Case("sources: a folder", SOURCES, replace_with(SOURCES, lambda p: p.mkdir()),
         ("sources.csv", "is a folder"), located=False, stage=CLI),
    Case("sources: published in the far future", SOURCES,
         _s(SOURCES, lambda b: b.replace(b",2024-09-13,", b",2099-09-13,", 1)),
         ("sources.csv", "column 'published'", "dated after today"), stage=CLI),
    Case("sources: published in year 1", SOURCES,
         _s(SOURCES, lambda b: b.replace(b",2024-09-13,", b",0001-01-01,", 1)),
         ("sources.csv", "column 'published'", "implausibly early"), stage=CLI),
    Case("sources: terminal escape codes in a source id", SOURCES,
         _s(SOURCES, lambda b: b.replace(b"\n", b"\n\x1b[2J\x1b[31m", 1)),
         ("sources.csv", "line 2", "column 'source_id'", "U+001B ESC"), stage=CLI),
    Case("sources: a NUL byte", SOURCES,
         _s(SOURCES, lambda b: b.replace(b",wire,", b",wi\0re,", 1)),
         ("sources.csv", "column 'kind'", "U+0000 NUL"), stage=CLI),
    Case("sources: a formula as outlet", SOURCES,
         replace_cell(SOURCES, "ap-kvia-2024-10-11", "outlet", '=HYPERLINK("http://x.test","AP")'),
         ("sources.csv", "column 'outlet'", "would run it as a formula"), stage=CLI),
    # --- mission figures: what the reader and the date rules decide, then the cleaning
    Case("figures: malformed date", FIGURES,
         replace_cell(FIGURES, "DEP-007", "event_date", "12 Sept 2024"),
         ("figures.csv", "column 'event_date'", "not a valid date"), stage=CLI),
    Case("figures: an event on 1 January of year 1", FIGURES,
         replace_cell(FIGURES, "DEP-007", "event_date", "0001-01-01"),
         ("figures.csv", "column 'event_date'", "implausibly early"), stage=CLI),
    Case("figures: an event in 2099", FIGURES,
         replace_cell(FIGURES, "DEP-007", "event_date", "2099-09-12"),
         ("figures.csv", "column 'event_date'", "after today"), stage=CLI),
    Case("figures: a named pipe", FIGURES, replace_with(FIGURES, fifo),
         ("figures.csv", "named pipe"), located=False, stage=CLI),
    Case("figures: a formula in a description", FIGURES,
         replace_cell(FIGURES, "DEP-007", "description", "+1+cmd|' /C calc'!A0"),
         ("figures.csv", "column 'description'", "formula"), stage=CLI),
    Case("figures: a text-direction override in a country", FIGURES,
         replace_cell(FIGURES, "DEP-007", "country", "Jam\u202eaica"),
         ("figures.csv", "column 'country'", "RIGHT-TO-LEFT OVERRIDE"), stage=CLI),
    Case("figures: unparseable value", FIGURES,
         replace_cell(FIGURES, "PLG-016", "value_as_written", "several hundred"),
         ("figures.csv", "column 'value_as_written'", "several hundred")),
    Case("figures: negative count", FIGURES,
         replace_cell(FIGURES, "DEP-007", "value_as_written", "-24"),
         ("figures.csv", "column 'value_as_written'", "negative")),
    Case("figures: fractional people", FIGURES,
         replace_cell(FIGURES, "DEP-007", "value_as_written", "24.5"),
         ("figures.csv", "column 'value_as_written'", "whole number")),
    Case("figures: unknown country", FIGURES,
         replace_cell(FIGURES, "DEP-007", "country", "Jamaika"),
         ("figures.csv", "column 'country'", "Jamaica")),
    Case("figures: unknown source id", FIGURES,
         replace_cell(FIGURES, "DEP-007", "source_id", "no-such-source"),
         ("figures.csv", "column 'source_id'", "unknown source id 'no-such-source'")),
    Case("figures: duplicate id", FIGURES,
         replace_cell(FIGURES, "DEP-008", "figure_id", "DEP-007"),
         ("figures.csv", "column 'figure_id'", "used twice")),
    Case("figures: event after its publication", FIGURES,
         replace_cell(FIGURES, "DEP-007", "event_date", "2025-09-12"),
         ("figures.csv", "column 'event_date'", "dated after its source was published")),
    Case("figures: value without a unit", FIGURES, replace_cell(FIGURES, "DEP-007", "unit", ""),
         ("figures.csv", "column 'unit'", "needs a unit")),
    Case("figures: unknown kind", FIGURES, replace_cell(FIGURES, "DEP-007", "kind", "landing"),
         ("figures.csv", "column 'kind'", "unknown kind")),
    # --- decisions (checked against themselves before any notebook), claims, aliases
    Case("decisions: required cell empty", DECISIONS, replace_cell(DECISIONS, "D02", "rule", ""),
         ("decisions.csv", "column 'rule'", "required cell is empty"), stage=CLI),
    Case("decisions: one reversing D02", DECISIONS, append_rows(DECISIONS, D02_REVERSED),
         ("decisions.csv", "decisions D02 and D99 contradict each other"), stage=CLI),
    Case("decisions: one choosing and setting aside the same figure", DECISIONS,
         replace_cell(DECISIONS, "D03", "rejected", "PLG-011;PLG-016"),
         ("decisions.csv", "column 'rejected'", "D03 both chooses and sets aside PLG-016"),
         stage=CLI),
    Case("decisions: a circle of three", DECISIONS,
         append_rows(DECISIONS, "D97,2026-11-29,a,pledge,Benin,2024,PLG-011,X-1,r,w",
                     "D98,2026-11-29,b,pledge,Benin,2024,X-1,PLG-016,r,w"),
         ("decisions.csv", "contradict each other"), stage=CLI),
    Case("decisions: decided in the future", DECISIONS,
         replace_cell(DECISIONS, "D05", "decided", "2099-01-01"),
         ("decisions.csv", "column 'decided'", "after today"), stage=CLI),
    Case("decisions: names a row that does not exist", DECISIONS,
         _s(DECISIONS, lambda b: b.replace(b",DEP-001;", b",DEP-999;", 1)),
         ("decisions.csv", "column 'rejected'", "DEP-999", "does not exist")),
    Case("claims: a formula in a claim", CLAIMS,
         replace_cell(CLAIMS, "C01", "claim_text", "@SUM(1+1)*cmd|' /C calc'!A0"),
         ("claims.csv", "column 'claim_text'", "formula"), stage=CLI),
    Case("claims: unknown source id", CLAIMS,
         replace_cell(CLAIMS, "C01", "source_id", "no-such-source"),
         ("claims.csv", "column 'source_id'", "unknown source id")),
    Case("aliases: unknown ISO code", ALIASES,
         _s(ALIASES, lambda b: b.replace(b"Gambia,GMB", b"Gambia,GMX", 1)),
         ("country_aliases.csv", "line 3", "GMX")),
    Case("aliases: a named pipe", ALIASES, replace_with(ALIASES, fifo),
         ("country_aliases.csv", "named pipe"), located=False, stage=CLI),
    # --- IOM series kept by hand
    Case("national IDPs: period ends before it starts", NATIONAL,
         replace_cell(NATIONAL, "HTI-001", "reference_period_end", "2021-01-01"),
         ("idps_national.csv", "column 'reference_period_end'", "ends", "before it starts"),
         stage=CLI),
    Case("national IDPs: unparseable value", NATIONAL,
         replace_cell(NATIONAL, "HTI-034", "value_as_written", "1.4 milion"),
         ("idps_national.csv", "column 'value_as_written'", "1.4 milion")),
    Case("national IDPs: unknown source id", NATIONAL,
         replace_cell(NATIONAL, "HTI-034", "source_id", "nope"),
         ("idps_national.csv", "column 'source_id'", "unknown source id")),
    Case("departments: malformed date", DEPARTMENTS,
         replace_cell(DEPARTMENTS, "HTI-060", "reference_period_end", "2025-13-01"),
         ("idps_departments.csv", "column 'reference_period_end'", "not a valid date"),
         stage=CLI),
    Case("context: period ends before it starts", CONTEXT,
         replace_cell(CONTEXT, "HTI-048", "period_start", "2023-09"),
         ("context.csv", "column 'period_end'", "before it starts"), stage=CLI),
    Case("context: a note starting with a dash", CONTEXT,
         replace_cell(CONTEXT, "HTI-048", "note", "- see D22"),
         ("context.csv", "column 'note'", "starts with '-'"), stage=CLI),
    Case("context: fractional people", CONTEXT,
         replace_cell(CONTEXT, "HTI-175", "value_as_written", "5,626.5"),
         ("context.csv", "column 'value_as_written'")),
    # --- IOM files dropped in (the readers)
    Case("DTM file: API envelope isSuccess false", "dropped-in API JSON",
         dtm_file("api.json", json.dumps({**API_ENVELOPE, "isSuccess": False,
                                          "errorMessages": ["Invalid subscription key"]})),
         ("api.json", "Invalid subscription key"), located=False),
    Case("DTM file: truncated JSON", "dropped-in API JSON",
         dtm_file("cut.json", '{"result": [{"operation": "Countrywide monitoring", "admin0'),
         ("cut.json", "line 1")),
    Case("DTM file: CSV missing its HXL row", "dropped-in HDX CSV",
         dtm_file("hdx.csv", "id,operation,admin0Name,admin0Pcode,adminLevel,numPresentIdpInd,"
                  "reportingDate,roundNumber,assessmentType\n,Countrywide monitoring,Haiti,HTI,0,"
                  "10,2025-06-30,10,BA\n"),
         ("hdx.csv", "line 2", "HXL")),
    Case("DTM file: XLSX with shifted header rows", "dropped-in baseline XLSX",
         dtm_file("baseline-round-3.xlsx", shifted_xlsx),
         ("baseline-round-3.xlsx", "HXL"), located=False),
    Case("DTM file: JSON nested 10,000 levels", "dropped-in API JSON",
         dtm_file("deep.json", '{"result": ' + "[" * 10_000 + "]" * 10_000 + "}"),
         ("deep.json",), located=False),
    Case("DTM file: none of the accepted shapes", "dropped-in file",
         dtm_file("notes.csv", "just,some\nnotes,here\n"),
         ("notes.csv", "DTM API", "HDX"), located=False),
    Case("DTM file: a named pipe", "dropped-in file", dtm_file("pipe.json", fifo),
         ("DTM_FILES", "pipe.json is a named pipe"), stage=CLI),
    Case("DTM file: linked to /dev/zero", "dropped-in file", dtm_file("zero.json", dev_zero),
         ("DTM_FILES", "zero.json is a device"), stage=CLI),
    # --- params.yaml
    Case("params.yaml: not UTF-8", "params.yaml",
         params_file("as_of: 'caf\xe9'\n".encode("latin-1")),
         ("params.yaml", "line 1", "not valid UTF-8"), stage=CLI),
    Case("params.yaml: saved as UTF-16", "params.yaml",
         params_file('as_of: "2024-09-21"\n'.encode("utf-16")),
         ("params.yaml", "UTF-16"), located=False, stage=CLI),
    Case("params.yaml: a YAML alias bomb", "params.yaml", params_file(BILLION_LAUGHS),
         ("params.yaml", "line 2", "YAML alias"), stage=CLI),
    Case("params.yaml: nested 10,000 levels", "params.yaml",
         params_file("dtm_files: " + "[" * 10_000 + "]" * 10_000 + "\n"),
         ("params.yaml", "nested more than"), stage=CLI),
    Case("params.yaml: a Python object tag", "params.yaml",
         params_file("as_of: !!python/object/apply:os.system [touch pwned]\n"),
         ("params.yaml", "not valid YAML"), stage=CLI),
    Case("params.yaml: 1 MB", "params.yaml", params_file(b"#" * 2**20 + b"\n"),
         ("params.yaml", "far larger"), located=False, stage=CLI),
    Case("params.yaml: a named pipe (never blocks)", "params.yaml", params_replaced(fifo),
         ("params.yaml", "named pipe"), located=False, stage=CLI),
    Case("params.yaml: linked to /dev/zero", "params.yaml", params_replaced(dev_zero),
         ("params.yaml", "is a device"), located=False, stage=CLI),
    Case("params.yaml: unknown parameter", "params.yaml", params_file("asof: 2024-09-21\n"),
         ("params.yaml", "unknown parameter(s): asof"), located=False, stage=CLI),
    # --- command line and make
    Case("parameter: as_of in the future", "command line",
         lambda root: ["--as-of", "2099-01-01"], ("AS_OF", "in the future"), stage=CLI),
    Case("parameter: as_of not a date", "command line", lambda root: ["--as-of", "2025"],
         ("AS_OF", "not an ISO date"), stage=CLI),
    Case("parameter: as_of 0001-01-01", "command line", lambda root: ["--as-of", "0001-01-01"],
         ("AS_OF", "before the first sourced figure"), stage=CLI),
    Case("parameter: DTM file that does not exist", "command line",
         lambda root: ["--dtm-file", "data/raw/missing.json"], ("does not exist",), stage=CLI),
    Case("parameter: a label that climbs out of reports/", "command line",
         lambda root: ["--label", "../../etc"], ("--label", "plain folder name"), stage=CLI),
    Case("make: AS_OF with a shell command", "make command line",
         make_vars("AS_OF=2024-09-21;touch pwned"), ("AS_OF", "not an ISO date"), stage=MAKE),
    Case("make: AS_OF with a make function", "make command line",
         make_vars("AS_OF=$(shell touch pwned)"), ("AS_OF", "$(shell touch pwned)"), stage=MAKE),
    Case("make: AS_OF with backquotes", "make command line",
         make_vars("AS_OF=`touch pwned`"), ("AS_OF", "`touch pwned`"), stage=MAKE),
    Case("make: diff with a quote and a command in OLD", "make command line",
         make_vars("diff", 'OLD=x";touch pwned;"'), ("x\";touch pwned;\"",), located=False,
         stage=MAKE),
    Case("make: DTM_FILES with a quote, a space and $(...)", "make command line",
         make_vars("DTM_FILES=data/raw/O'Brien $(touch pwned).json"),
         ("DTM_FILES", "O'Brien $(touch pwned).json", "does not exist"), stage=MAKE),
    # --- the machine
    Case("kernel: a stale kernelspec from a removed .venv", "Jupyter path", stale_kernel,
         ("kernel 'haiti-report'", "/removed/.venv/bin/python", "which does not exist"),
         located=False, stage=CLI, env=(("JUPYTER_PATH", "{root}/jupyter"),)),
    Case("machine: Ctrl-C while a notebook runs", "keyboard", lambda root: [], ("interrupted",),
         located=False, run=interrupted_build),
    Case("machine: the notebook kernel is killed", "kernel process", lambda root: [],
         ("kernel died", "report"), located=False, run=killed_kernel),
    Case("machine: Chromium fails to print the PDF", "renderer", failing_chromium,
         ("rendering failed", "Chromium could not print report.html"), located=False,
         env=(("HAITI_REPORT_CHROMIUM", "{root}/fake-chromium"),)),
    Case("machine: the disk fills up", "file system", lambda root: [], ("disk is full",),
         located=False, run=full_disk, exact=False),
    # --- files as people save them: a correct build
    Case("raw files saved by Excel (UTF-8 BOM, CRLF)", "every raw CSV", saved_by_excel, (),
         builds=True),
    Case("make: a DTM file named O'Brien's round 2.json", "make command line",
         obrien_dtm_file, (), builds=True, stage=MAKE),
]  # fmt: skip


# --- running a case --------------------------------------------------------------------------


def _clean_env(**extra: str) -> dict[str, str]:
    """This environment without the build's own variables (a developer may have set some)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAITI_REPORT_")}
    env.pop("SOURCE_DATE_EPOCH", None)
    return {**env, **extra}


def _last_line(stderr: str) -> str:
    lines = [ln for ln in stderr.strip().splitlines() if not ln.startswith("make: ***")]
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
        shutil.copy2(ROOT / name, root / name)  # keeps times: the real .venv stays current
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


# --- the docs table --------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _uncell(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def write_docs(messages: dict[str, str]) -> str:
    refused = sum(not c.builds for c in CASES)
    lines = [
        "# What a user sees when an input is wrong",
        "",
        "Generated by `python tests/bad_inputs.py` from the bad-input corpus in",
        "`tests/bad_inputs.py`; `tests/test_bad_inputs.py` runs every case and checks that the",
        "build says exactly this one line (no traceback), leaves the previous outputs as they",
        "were, or, for a file as spreadsheets save it, builds correctly. Paths are relative to",
        "the project. Each case runs at the cheapest level that goes through the real entry",
        f"point: *{CLI}* (the build's `main()`, stopped before any notebook runs), *{MAKE}*,",
        f"or a *{BUILD}*. {len(CASES)} cases: {refused} end in one clear line, "
        f"{len(CASES) - refused} in a correct build.",
        "",
        "**Formulas.** A text cell that starts with `=`, `+`, `-` or `@` (and is not a number",
        "such as `-24`) is refused where it is typed, and again before any CSV is published:",
        "refused, not neutralised, because escaping it would change the published value that",
        "re-users and the report itself read back.",
        "",
        "| case | file touched | checked by | the build says |",
        "|---|---|---|---|",
    ]
    for case in CASES:
        said = "(builds correctly)" if case.builds else _cell(messages[case.name])
        lines.append(f"| {case.name} | `{case.file}` | {case.stage} | {said} |")
    return "\n".join(lines) + "\n"


def documented() -> dict[str, str]:
    """case name -> the message in docs/bad-input-messages.md (as written there)."""
    table = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        cells = re.split(r"(?<!\\) \| ", line.strip().removeprefix("| ").removesuffix(" |"))
        if len(cells) == 4 and cells[0] != "case":
            table[cells[0]] = cells[3]
    return table


if __name__ == "__main__":
    # python tests/bad_inputs.py [--fast]: --fast re-runs only the cases decided before any
    # notebook (seconds) and keeps the documented messages of the full-build ones.
    import tempfile

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import copy_project  # noqa: E402

    fast = "--fast" in sys.argv[1:]
    known = documented() if DOCS.exists() else {}
    messages = {}
    with tempfile.TemporaryDirectory() as tmp:
        baseline = None
        for index, case in enumerate(CASES):
            if case.builds:
                continue
            if fast and case.stage == BUILD:
                messages[case.name] = _uncell(known.get(case.name, "(not run yet)"))
                continue
            root = Path(tmp) / str(index)
            if case.stage == BUILD:
                if baseline is None:
                    from conftest import run_build  # noqa: E402

                    baseline = copy_project(Path(tmp) / "baseline")
                    run_build(baseline)
                shutil.copytree(baseline, root, symlinks=True)
            else:
                copy_project(root)
            messages[case.name] = normalise(run_case(case, root).message)
            print(f"{case.name}: {messages[case.name]}", flush=True)
    DOCS.write_text(write_docs(messages), encoding="utf-8")
