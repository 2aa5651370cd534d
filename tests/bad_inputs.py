"""The bad-input corpus: what a user can get wrong, and what the build must then say.

Each case changes one thing in a copy of the project (a raw file, a parameter, a dropped-in IOM
file). The build must stop with a non-zero exit and ONE plain line naming the file, the line (or
row or record) and, where there is one, the column — no Python traceback — and leave
reports/<label>/ and data/processed/ as they were.

`python tests/bad_inputs.py` rewrites docs/bad-input-messages.md, the table of what a user sees
for each case (tests/test_bad_inputs.py checks that the table is current).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Case:
    name: str
    file: str  # the file the user touched (relative to the project)
    change: Callable[[Path], list[str]]  # edits the project copy; returns extra build args
    expect: tuple[str, ...]  # fragments the message must contain
    located: bool = True  # False where the problem is the whole file (no line to name)


def edit(path: Path, fn: Callable[[list[str]], list[str]]) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join(fn(lines)), encoding="utf-8")


def replace_cell(rel: str, figure_id: str, column: str, value: str) -> Callable[[Path], list[str]]:
    """Set one cell of the row whose first cell is ``figure_id``."""
    import csv
    import io

    def change(root: Path) -> list[str]:
        path = root / rel
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        col = rows[0].index(column)
        for row in rows[1:]:
            if row and row[0] == figure_id:
                row[col] = value
                break
        else:
            raise KeyError(figure_id)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")
        return []

    return change


def drop_column(rel: str, column: str) -> Callable[[Path], list[str]]:
    """Remove a column from the header and every row."""
    import csv
    import io

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
        [
            "Reported Date",
            "Country",
            "Country Code",
            "p-code admin1",
            "Nom du département",
            "Ménages",
            "Personnes",
        ],
        [
            "#date+reported",
            "#country+name",
            "#country+code",
            "#adm1+code",
            "#adm1+name",
            "#affected+idps+hh",
            "#affected+idps+ind",
        ],
        [45016, "Haiti", "HTI", "HT01", "Ouest", 10, 50],
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()


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

CASES: list[Case] = [
    # --- the sources registry
    Case(
        "sources: column missing",
        SOURCES,
        drop_column(SOURCES, "kind"),
        ("sources.csv", "line 1", "'kind' is missing"),
    ),
    Case(
        "sources: column without a name",
        SOURCES,
        header_change(SOURCES, ",kind,", ",,"),
        ("sources.csv", "line 1", "column 6 of the header has no name"),
    ),
    Case(
        "sources: column renamed",
        SOURCES,
        header_change(SOURCES, ",url,", ",link,"),
        ("sources.csv", "line 1", "'url' is missing (is 'link' it, renamed?)"),
    ),
    Case(
        "sources: extra column",
        SOURCES,
        header_change(SOURCES, ",via", ",via,extra"),
        ("sources.csv", "line 1", "'extra' is not expected"),
    ),
    Case(
        "sources: empty file",
        SOURCES,
        bytes_change(SOURCES, lambda b: b""),
        ("sources.csv", "file is empty"),
        located=False,
    ),
    Case(
        "sources: header only",
        SOURCES,
        bytes_change(SOURCES, lambda b: b.split(b"\n")[0] + b"\n"),
        ("sources.csv", "header but no rows"),
        located=False,
    ),
    Case(
        "sources: UTF-8 byte-order mark",
        SOURCES,
        bytes_change(SOURCES, lambda b: b"\xef\xbb\xbf" + b),
        ("sources.csv", "line 1", "byte-order mark"),
    ),
    Case(
        "sources: Windows line endings",
        SOURCES,
        bytes_change(SOURCES, lambda b: b.replace(b"\n", b"\r\n")),
        ("sources.csv", "line 1", "CRLF"),
    ),
    Case(
        "sources: Latin-1 bytes",
        SOURCES,
        bytes_change(SOURCES, lambda b: b.replace(b"\n", b"\nCaf\xe9 ", 1)),
        ("sources.csv", "line 2", "not valid UTF-8"),
    ),
    Case(
        "sources: duplicate id",
        SOURCES,
        bytes_change(SOURCES, lambda b: b + b.split(b"\n")[1] + b"\n"),
        ("sources.csv", "column 'source_id'", "used twice"),
    ),
    Case(
        "sources: malformed date",
        SOURCES,
        bytes_change(SOURCES, lambda b: b.replace(b",2024-09-13,", b",13/09/2024,", 1)),
        ("sources.csv", "column 'published'", "not a valid date"),
    ),
    Case(
        "sources: unknown kind",
        SOURCES,
        bytes_change(SOURCES, lambda b: b.replace(b",wire,", b",blog,", 1)),
        ("sources.csv", "column 'kind'", "unknown kind"),
    ),
    Case(
        "sources: a 1 GB file",
        SOURCES,
        sparse_gigabyte(SOURCES),
        ("sources.csv", "far larger"),
        located=False,
    ),
    # --- mission figures
    Case(
        "figures: unparseable value",
        FIGURES,
        replace_cell(FIGURES, "PLG-016", "value_as_written", "several hundred"),
        ("figures.csv", "column 'value_as_written'", "several hundred"),
    ),
    Case(
        "figures: negative count",
        FIGURES,
        replace_cell(FIGURES, "DEP-007", "value_as_written", "-24"),
        ("figures.csv", "column 'value_as_written'", "negative"),
    ),
    Case(
        "figures: fractional people",
        FIGURES,
        replace_cell(FIGURES, "DEP-007", "value_as_written", "24.5"),
        ("figures.csv", "column 'value_as_written'", "whole number"),
    ),
    Case(
        "figures: unknown country",
        FIGURES,
        replace_cell(FIGURES, "DEP-007", "country", "Jamaika"),
        ("figures.csv", "column 'country'", "Jamaica"),
    ),
    Case(
        "figures: unknown source id",
        FIGURES,
        replace_cell(FIGURES, "DEP-007", "source_id", "no-such-source"),
        ("figures.csv", "column 'source_id'", "unknown source id 'no-such-source'"),
    ),
    Case(
        "figures: duplicate id",
        FIGURES,
        replace_cell(FIGURES, "DEP-008", "figure_id", "DEP-007"),
        ("figures.csv", "column 'figure_id'", "used twice"),
    ),
    Case(
        "figures: event after its publication",
        FIGURES,
        replace_cell(FIGURES, "DEP-007", "event_date", "2025-09-12"),
        ("figures.csv", "column 'event_date'", "dated after its source was published"),
    ),
    Case(
        "figures: malformed date",
        FIGURES,
        replace_cell(FIGURES, "DEP-007", "event_date", "12 Sept 2024"),
        ("figures.csv", "column 'event_date'", "not a valid date"),
    ),
    Case(
        "figures: value without a unit",
        FIGURES,
        replace_cell(FIGURES, "DEP-007", "unit", ""),
        ("figures.csv", "column 'unit'", "needs a unit"),
    ),
    Case(
        "figures: unknown kind",
        FIGURES,
        replace_cell(FIGURES, "DEP-007", "kind", "landing"),
        ("figures.csv", "column 'kind'", "unknown kind"),
    ),
    # --- decisions, claims, aliases
    Case(
        "decisions: names a row that does not exist",
        DECISIONS,
        bytes_change(
            DECISIONS,
            lambda b: (
                b.replace(b",DEP-001;", b",DEP-999;", 1)
                if b",DEP-001;" in b
                else b.replace(b"DEP-001", b"DEP-999", 1)
            ),
        ),
        ("decisions.csv", "column 'rejected'", "DEP-999", "does not exist"),
    ),
    Case(
        "decisions: required cell empty",
        DECISIONS,
        replace_cell(DECISIONS, "D02", "rule", ""),
        ("decisions.csv", "column 'rule'", "required cell is empty"),
    ),
    Case(
        "claims: unknown source id",
        CLAIMS,
        replace_cell(CLAIMS, "C01", "source_id", "no-such-source"),
        ("claims.csv", "column 'source_id'", "unknown source id"),
    ),
    Case(
        "aliases: unknown ISO code",
        ALIASES,
        bytes_change(ALIASES, lambda b: b.replace(b"Gambia,GMB", b"Gambia,GMX", 1)),
        ("country_aliases.csv", "line 3", "GMX"),
    ),
    # --- IOM series kept by hand
    Case(
        "national IDPs: unparseable value",
        NATIONAL,
        replace_cell(NATIONAL, "HTI-034", "value_as_written", "1.4 milion"),
        ("idps_national.csv", "column 'value_as_written'", "1.4 milion"),
    ),
    Case(
        "national IDPs: unknown source id",
        NATIONAL,
        replace_cell(NATIONAL, "HTI-034", "source_id", "nope"),
        ("idps_national.csv", "column 'source_id'", "unknown source id"),
    ),
    Case(
        "departments: malformed date",
        DEPARTMENTS,
        replace_cell(DEPARTMENTS, "HTI-060", "reference_period_end", "2025-13-01"),
        ("idps_departments.csv", "column 'reference_period_end'", "not a valid date"),
    ),
    Case(
        "context: fractional people",
        CONTEXT,
        replace_cell(CONTEXT, "HTI-175", "value_as_written", "5,626.5"),
        ("context.csv", "column 'value_as_written'"),
    ),
    # --- IOM files dropped in (the readers)
    Case(
        "DTM file: API envelope isSuccess false",
        "dropped-in API JSON",
        dtm_file(
            "api.json",
            json.dumps(
                {**API_ENVELOPE, "isSuccess": False, "errorMessages": ["Invalid subscription key"]}
            ),
        ),
        ("api.json", "Invalid subscription key"),
        located=False,
    ),
    Case(
        "DTM file: truncated JSON",
        "dropped-in API JSON",
        dtm_file("cut.json", '{"result": [{"operation": "Countrywide monitoring", "admin0'),
        ("cut.json", "line 1"),
    ),
    Case(
        "DTM file: CSV missing its HXL row",
        "dropped-in HDX CSV",
        dtm_file(
            "hdx.csv",
            "id,operation,admin0Name,admin0Pcode,adminLevel,numPresentIdpInd,"
            "reportingDate,roundNumber,assessmentType\n,Countrywide monitoring,Haiti,HTI,0,"
            "10,2025-06-30,10,BA\n",
        ),
        ("hdx.csv", "line 2", "HXL"),
    ),
    Case(
        "DTM file: XLSX with shifted header rows",
        "dropped-in baseline XLSX",
        dtm_file("baseline-round-3.xlsx", shifted_xlsx),
        ("baseline-round-3.xlsx", "HXL"),
        located=False,
    ),
    Case(
        "DTM file: JSON nested 10,000 levels",
        "dropped-in API JSON",
        dtm_file("deep.json", '{"result": ' + "[" * 10_000 + "]" * 10_000 + "}"),
        ("deep.json",),
        located=False,
    ),
    Case(
        "DTM file: none of the accepted shapes",
        "dropped-in file",
        dtm_file("notes.csv", "just,some\nnotes,here\n"),
        ("notes.csv", "DTM API", "HDX"),
        located=False,
    ),
    # --- parameters
    Case(
        "parameter: as_of in the future",
        "command line",
        lambda root: ["--as-of", "2099-01-01"],
        ("AS_OF", "in the future"),
    ),
    Case(
        "parameter: as_of not a date",
        "command line",
        lambda root: ["--as-of", "2025"],
        ("AS_OF", "not an ISO date"),
    ),
    Case(
        "parameter: DTM file that does not exist",
        "command line",
        lambda root: ["--dtm-file", "data/raw/missing.json"],
        ("does not exist",),
    ),
]


def write_docs(messages: dict[str, str]) -> str:
    lines = [
        "# What a user sees when an input is wrong",
        "",
        "Generated by `python tests/bad_inputs.py` from the bad-input corpus in",
        "`tests/bad_inputs.py`; `tests/test_bad_inputs.py` runs every case through a real build",
        "and checks that the build stops with this one line, leaves the previous outputs as they",
        "were and prints no traceback. Paths are relative to the project.",
        "",
        "| case | file touched | the build says |",
        "|---|---|---|",
    ]
    for case in CASES:
        text = messages[case.name].replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {case.name} | `{case.file}` | {text} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "tests"))
    import tempfile

    from test_bad_inputs import run_case  # noqa: E402

    messages = {}
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            messages[case.name] = run_case(case, Path(tmp))[1]
            print(f"{case.name}: {messages[case.name]}")
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs/bad-input-messages.md").write_text(write_docs(messages), encoding="utf-8")
