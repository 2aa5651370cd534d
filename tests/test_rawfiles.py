"""The one strict raw reader: files as spreadsheets save them are read; every problem is named
with file, line, column and a fix; nothing but a small regular file is ever read."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from haiti_report.core.errors import InputError, printable
from haiti_report.raw.decisions import COLUMNS as DECISION_COLUMNS
from haiti_report.raw.decisions import read_decisions
from haiti_report.raw.files import (
    looks_like_formula,
    raise_on_duplicates,
    read_raw_csv,
    read_regular_file,
)
from haiti_report.raw.sources import load_sources
from haiti_report.report.sourcelines import source_line

COLS = ("id", "value", "note")
TEXT = 'id,value,note\na,1,\nb,2,"multi\nline"\nc,3,x\n'


def write(tmp_path: Path, data: bytes | str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def error(path: Path, columns=COLS, **kw) -> str:
    with pytest.raises(InputError) as err:
        read_raw_csv(path, columns, **kw)
    assert str(path) in str(err.value)
    return str(err.value)


def test_reads_text_with_line_numbers_and_nulls(tmp_path):
    frame = read_raw_csv(write(tmp_path, TEXT), COLS, required=("id",))
    assert frame["line"].to_list() == [2, 3, 5]
    assert frame["note"].to_list() == [None, "multi\nline", "x"]


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf" + TEXT.encode(),  # Excel "CSV UTF-8", LibreOffice
        TEXT.replace("\n", "\r\n").encode(),  # Windows line endings, Python's csv default
        TEXT.replace("\n", "\r").encode(),  # classic Mac OS line endings
        b"\xef\xbb\xbf" + TEXT.replace("\n", "\r\n").encode(),  # both
    ],
    ids=["bom", "crlf", "cr", "bom+crlf"],
)
def test_files_as_spreadsheets_save_them_read_the_same(tmp_path, data):
    plain = read_raw_csv(write(tmp_path, TEXT, "plain.csv"), COLS)
    saved = read_raw_csv(write(tmp_path, data), COLS)
    assert saved.equals(plain)  # same cells (a CRLF inside a quoted cell is a line break)


@pytest.mark.parametrize(
    ("data", "expect"),
    [
        (b"", "file is empty"),
        (b"\xef\xbb\xbf", "file is empty"),
        (b"id,value,note\n", "header but no rows"),
        ("id,value,note\na,1,caf\xe9\n".encode("latin-1"), "line 2: file is not valid UTF-8"),
        (TEXT.encode("utf-16"), "this file is UTF-16. Save it as UTF-8"),
        (TEXT.encode("utf-16-be"), "this file is UTF-16"),  # no BOM
        (TEXT.encode("utf-16-le"), "this file is UTF-16"),
        (TEXT.encode("utf-32"), "this file is UTF-32"),
        (b"id,value\na,1\n", "'note' is missing"),
        (b"id,value,note,extra\na,1,,\n", "'extra' is not expected"),
        (b"id,valeur,note\na,1,\n", "'value' is missing (is 'valeur' it, renamed?)"),
        (b"id,value,note\na,1\n", "line 2: row has 2 fields"),
        (b"id,value,note\n,1,x\n", "line 2, column 'id': a required cell is empty"),
        (b'id,value,note\na,1,"open\n', "not valid CSV"),
        (b"id,value,note\na,1,x\x00y\n", "line 2, column 'note': the cell contains an invisible"),
        (b"id,value,note\na,1,x\x00y\n", "U+0000 NUL"),
        (b"id,value,note\na,\x1b[31mred,x\n", "column 'value'"),
        (b"id,value,note\na,\x1b[31mred,x\n", "U+001B ESC"),
        ("id,value,note\na,1,evil\u202egnp.exe\n".encode(), "RIGHT-TO-LEFT OVERRIDE"),
        (b'id,value,note\na,1,"two\nlines\x07"\n', "line 3, column 'note'"),  # the BEL's line
        (b'id,value,note\na,1,=HYPERLINK("http://x")\n', "column 'note': the cell starts"),
        (b"id,value,note\na,+1+cmd|' /C calc'!A0,x\n", "would run it as a formula"),
        (b"id,value,note\na,1,@SUM(A1)\n", "starts with '@'"),
        (b"id,value,note\na,1,-2+3\n", "starts with '-'"),
        ("id,value,note\na,1,\uff1d1+1\n".encode(), "formula"),  # full-width '='
        (b"id,val\x00ue,note\na,1,x\n", "line 1: the cell contains an invisible"),
    ],
)
def test_bad_files_get_a_plain_message(tmp_path, data, expect):
    assert expect in error(write(tmp_path, data), required=("id",))


@pytest.mark.parametrize("cell", ["-24", "+5%", "-", "1,500", "about -3", "e-mail", "C$80.5m"])
def test_numbers_and_ordinary_text_are_not_formulas(cell):
    assert not looks_like_formula(cell)


@pytest.mark.parametrize("cell", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", " =1"])
def test_formulas_are_recognised(cell):
    assert looks_like_formula(cell)


def test_a_megabyte_cell_is_refused_with_its_line_and_column(tmp_path):
    path = write(tmp_path, "id,value,note\na,1,x\nb,2," + "y" * 1_000_000 + "\n")
    message = error(path)
    assert "line 3, column 'note': the cell is 1,000,000 characters long" in message
    assert len(message) < 300  # the cell itself is not quoted


def test_thousands_of_unexpected_columns_give_a_short_message(tmp_path):
    header = ",".join(["id", "value", "note"] + [f"c{i}" for i in range(5000)])
    message = error(write(tmp_path, header + "\n" + "," * 5002 + "\n"))
    assert "and 4994 more are not expected" in message and len(message) < 400


def test_oversized_file_is_refused_before_reading(tmp_path):
    path = write(tmp_path, "id,value,note\n" + "a,1,x\n" * 1000)
    assert "far larger" in error(path, max_bytes=1000)


def test_a_sparse_terabyte_is_refused_unread(tmp_path):
    path = tmp_path / "t.csv"
    with path.open("wb") as handle:
        handle.truncate(2**40)
    assert "file is 1,048,576 MB, far larger" in error(path)


def test_a_named_pipe_is_refused_and_never_blocks(tmp_path):
    path = tmp_path / "t.csv"
    os.mkfifo(path)
    outcome: list[str] = []
    reader = threading.Thread(target=lambda: outcome.append(error(path)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert outcome, "reading a named pipe blocked"
    assert "is a named pipe (FIFO), not a regular file" in outcome[0]
    # and a pipe that is opened directly (swapped in after the check) does not block either
    with pytest.raises(InputError, match="named pipe"):
        read_regular_file(path, 100)


def test_devices_folders_and_broken_links_are_refused(tmp_path):
    (tmp_path / "zero.csv").symlink_to("/dev/zero")
    assert "is a device (such as /dev/zero), not a regular file (it links to /dev/zero)" in (
        error(tmp_path / "zero.csv")
    )
    (tmp_path / "dir.csv").mkdir()
    assert "is a folder" in error(tmp_path / "dir.csv")
    (tmp_path / "gone.csv").symlink_to(tmp_path / "nowhere.csv")
    assert "which does not exist" in error(tmp_path / "gone.csv")
    assert "file not found" in error(tmp_path / "missing.csv")


def test_any_header_when_columns_are_not_given(tmp_path):
    frame = read_raw_csv(write(tmp_path, "b,a\n1,2\n"), None)
    assert frame.columns == ["b", "a", "line"]
    assert "header repeats column(s) 'a'" in error(write(tmp_path, "a,a\n1,2\n"), None)


def test_duplicate_ids_point_at_the_repeat(tmp_path):
    path = write(tmp_path, "id,value,note\na,1,\nb,2,\na,3,\n")
    frame = read_raw_csv(path, COLS)
    with pytest.raises(InputError, match="line 4, column 'id': id is used twice"):
        raise_on_duplicates(frame, path, "id")


def test_quoted_values_in_messages_are_short_and_printable():
    err = InputError("f.csv", "bad", row=2, column="c\x1b[2J", found="\x1b[31m" + "x" * 900)
    assert "\x1b" not in err.message and "x" * 600 not in err.message
    assert "… (905 characters)" in err.message
    assert printable("a\x1b[31mb\u202ec\nd") == "a\\x1b[31mb\\u202ec\nd"
    assert printable("a\nb", newlines=False) == "a\\nb"


SOURCES = (
    "source_id,outlet,title,url,published,kind,language,via,published_basis,replaced_url,accessed,sha256,licence,credit\n"
    "a,KVIA (AP),,https://kvia.com/x,2024-10-11,wire,en,AP,url,,,,,\n"
    "b,IOM DTM,,https://dtm.iom.int/x,2024-06,un,en,,fact_base,,,,,\n"
    "c,Evil,<script>,javascript:alert(1),,newspaper,en,,,,,,,\n"
)


def test_sources_registry_dates_and_links(tmp_path):
    write(tmp_path, SOURCES, "sources.csv")
    sources = load_sources(tmp_path)
    assert sources["published_last"].cast(str).to_list() == ["2024-10-11", "2024-06-30", None]
    assert sources["is_web_link"].to_list() == [True, True, False]
    line = source_line(["a", "b; a"], sources)
    assert line.startswith("Sources: KVIA (AP); International Organization for Migration (IOM)")


def test_sources_registry_rejects_unknown_kind(tmp_path):
    write(tmp_path, SOURCES.replace("wire", "blog"), "sources.csv")
    with pytest.raises(InputError, match=r"line 2, column 'kind': unknown kind"):
        load_sources(tmp_path)


# --- decisions.csv against itself ----------------------------------------------------------


def decisions(tmp_path: Path, *rows: str) -> Path:
    """One decision per row 'id|chosen|rejected'."""
    header = ",".join(DECISION_COLUMNS)
    lines = [header] + [
        f"{d},2026-11-29,topic,pledge,Jamaica,2024-03,{chosen},{rejected},rule,why"
        for d, chosen, rejected in (r.split("|") for r in rows)
    ]
    return write(tmp_path, "\n".join(lines) + "\n", "decisions.csv")


def test_consistent_decisions_are_read(tmp_path):
    frame = read_decisions(decisions(tmp_path, "D01|A;B|C", "D02|A|D", "D03|E|"))
    assert frame["decision_id"].to_list() == ["D01", "D02", "D03"]


@pytest.mark.parametrize(
    ("rows", "expect"),
    [
        (("D01|A|A",), "line 2, column 'rejected': decision D01 both chooses and sets aside A"),
        (("D01|A;B|C;B",), "decision D01 both chooses and sets aside B"),
        (  # a decision reversing another: both reports would be dropped
            ("D02|PLG-017;FC-PLG-001|PLG-024", "D99|PLG-024|PLG-017"),
            "line 2, column 'chosen': decisions D02 and D99 contradict each other",
        ),
        (("D01|A|B", "D02|B|C", "D03|C|A"), "decisions D01 and D03 contradict each other"),
    ],
    ids=["self", "self-among-others", "reversal", "circle"],
)
def test_contradictory_decisions_are_refused_naming_both(tmp_path, rows, expect):
    with pytest.raises(InputError) as err:
        read_decisions(decisions(tmp_path, *rows))
    assert expect in str(err.value)
