"""Strict raw CSV reading: each problem named with file, line, column and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from haiti_report.core.errors import InputError
from haiti_report.raw.files import raise_on_duplicates, read_raw_csv
from haiti_report.raw.sources import load_sources
from haiti_report.report.sourcelines import source_line

COLS = ("id", "value", "note")


def write(tmp_path: Path, data: bytes | str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def test_reads_text_with_line_numbers_and_nulls(tmp_path):
    path = write(tmp_path, 'id,value,note\na,1,\nb,2,"multi\nline"\nc,3,x\n')
    frame = read_raw_csv(path, COLS, required=("id",))
    assert frame["line"].to_list() == [2, 3, 5]
    assert frame["note"].to_list() == [None, "multi\nline", "x"]


@pytest.mark.parametrize(
    ("data", "expect"),
    [
        (b"", "file is empty"),
        (b"id,value,note\n", "header but no rows"),
        (b"\xef\xbb\xbfid,value,note\na,1,\n", "line 1: file starts with a byte-order mark"),
        (b"id,value,note\r\na,1,\r\n", "line 1: file has Windows (CRLF) line endings"),
        ("id,value,note\na,1,caf\xe9\n".encode("latin-1"), "line 2: file is not valid UTF-8"),
        (b"id,value\na,1\n", "'note' is missing"),
        (b"id,value,note,extra\na,1,,\n", "'extra' is not expected"),
        (b"id,valeur,note\na,1,\n", "'value' is missing (is 'valeur' it, renamed?)"),
        (b"id,value,note\na,1\n", "line 2: row has 2 fields"),
        (b"id,value,note\n,1,x\n", "line 2, column 'id': a required cell is empty"),
        (b'id,value,note\na,1,"open\n', "not valid CSV"),
    ],
)
def test_bad_files_get_a_plain_message(tmp_path, data, expect):
    path = write(tmp_path, data)
    with pytest.raises(InputError) as err:
        read_raw_csv(path, COLS, required=("id",))
    assert expect in str(err.value)
    assert str(path) in str(err.value)


def test_oversized_file_is_refused_before_reading(tmp_path):
    path = write(tmp_path, "id,value,note\n" + "a,1,x\n" * 1000)
    with pytest.raises(InputError, match="far larger"):
        read_raw_csv(path, COLS, max_bytes=1000)


def test_duplicate_ids_point_at_the_repeat(tmp_path):
    path = write(tmp_path, "id,value,note\na,1,\nb,2,\na,3,\n")
    frame = read_raw_csv(path, COLS)
    with pytest.raises(InputError, match="line 4, column 'id': id is used twice"):
        raise_on_duplicates(frame, path, "id")


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
