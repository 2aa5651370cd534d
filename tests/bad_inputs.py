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

import json
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bad_input_tools import (  # noqa: F401  (re-exported for the tests)
    BUILD,
    CLI,
    MAKE,
    ROOT,
    Outcome,
    append_rows,
    bytes_change,
    dev_zero,
    drop_column,
    dtm_file,
    failing_chromium,
    fifo,
    full_disk,
    header_change,
    interrupted_build,
    killed_kernel,
    make_vars,
    normalise,
    obrien_dtm_file,
    params_file,
    params_replaced,
    replace_cell,
    replace_with,
    run_case,
    saved_by_excel,
    shifted_xlsx,
    sparse_gigabyte,
    stale_kernel,
)

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
         ("sources.csv", "line 1", "column 7 of the header has no name"), stage=CLI),
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
         env=(("HAITI_REPORT_CHROMIUM", "{root}/fake-chromium"), ("HAITI_REPORT_NO_QUARTO", "1"))),
    Case("machine: the disk fills up", "file system", lambda root: [], ("disk is full",),
         located=False, run=full_disk, exact=False),
    # --- files as people save them: a correct build
    Case("raw files saved by Excel (UTF-8 BOM, CRLF)", "every raw CSV", saved_by_excel, (),
         builds=True),
    Case("make: a DTM file named O'Brien's round 2.json", "make command line",
         obrien_dtm_file, (), builds=True, stage=MAKE),
]  # fmt: skip


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
    # python tests/bad_inputs.py [--fast] [-k TEXT]: --fast re-runs only the cases decided
    # before any notebook (seconds) and keeps the documented messages of the full-build ones;
    # -k re-runs only the cases whose name contains TEXT.
    import tempfile

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import copy_project  # noqa: E402

    fast = "--fast" in sys.argv[1:]
    only = sys.argv[sys.argv.index("-k") + 1] if "-k" in sys.argv else None
    known = documented() if DOCS.exists() else {}
    messages = {}
    with tempfile.TemporaryDirectory() as tmp:
        baseline = None
        for index, case in enumerate(CASES):
            if case.builds:
                continue
            if (fast and case.stage == BUILD) or (only and only not in case.name):
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
