"""Parameters are validated before anything runs; values are typed, never coerced; params.yaml
is read as a small plain file; every raw date is checked against the story's span."""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

import pytest

from haiti_report.build.params import load_params, resolve_as_of, split_dtm_files
from haiti_report.build.runner import check_injection_safe
from haiti_report.core.errors import InputError
from haiti_report.raw.plausible import STORY_MARGIN_YEARS, story_span

TODAY = dt.date(2026, 11, 29)
SOURCES = (
    "source_id,outlet,title,url,published,kind,language,via,published_basis,replaced_url,"
    "accessed,sha256,licence,credit\n"
    "a,X,,https://x.test/a,2023-07-30,wire,en,,url,,,,,\n"
    "b,Y,,https://x.test/b,2026-03-21,wire,en,,url,,,,,\n"
    "c,Z,,https://x.test/c,2025-10,newspaper,en,,url,,,,,\n"
)
CONTEXT = (
    "figure_id,fact_ref,series,geography,period_start,period_end,published,value_as_written,"
    "unit,source_id,confidence,note\n"
    "K1,K1,killings,Haiti,2024-01,2024-12,2025-01-15,10,people,a,high,\n"
    "K2,K2,ipc_phase3plus,Haiti,2026-09,2027-06,2026-10,10,people,a,high,projection\n"
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "data/raw/displacement").mkdir(parents=True)
    (tmp_path / "data/raw/sources.csv").write_text(SOURCES, encoding="utf-8")
    (tmp_path / "data/raw/displacement/context.csv").write_text(CONTEXT, encoding="utf-8")
    return tmp_path


def write_params(root: Path, text: str | bytes) -> None:
    data = text.encode() if isinstance(text, str) else text
    (root / "params.yaml").write_bytes(data)


def message(root: Path, **kw) -> str:
    with pytest.raises(InputError) as err:
        load_params(root, today=TODAY, **kw)
    return str(err.value)


def test_newest_publication_date_is_the_default(root):
    params = load_params(root, today=TODAY)
    assert params.as_of == "2026-03-21" and not params.as_of_given


def test_command_line_overrides_the_file(root):
    write_params(root, 'as_of: "2025-01-05"\n')
    assert load_params(root, today=TODAY).as_of == "2025-01-05"
    assert load_params(root, as_of="2024-09-21", today=TODAY).as_of == "2024-09-21"


def test_unquoted_yaml_date_is_a_date(root):
    write_params(root, "as_of: 2024-09-21\n")
    assert load_params(root, today=TODAY).as_of == "2024-09-21"


def test_params_file_as_spreadsheet_or_windows_editors_save_it(root):
    write_params(root, b'\xef\xbb\xbfas_of: "2025-01-05"\r\n')
    assert load_params(root, today=TODAY).as_of == "2025-01-05"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("as_of: 2025\n", "not a int"),
        ('as_of: "2025"\n', "not an ISO date"),
        ('as_of: "21/09/2024"\n', "not an ISO date"),
        ('as_of: "2027-01-01"\n', "in the future"),
        ('as_of: "2020-01-01"\n', "before the first sourced figure"),
        ("as_of: 0001-01-01\n", "before the first sourced figure (2023-07-30)"),
        ("as_of: [1]\n", "not a list"),
        ('asof: "2024-09-21"\n', "unknown parameter(s): asof"),
        ("dtm_files: [missing.json]\n", "does not exist"),
        ('as_of: "2024-09-21\n', "not valid YAML"),
        ("as_of: !!python/object/apply:os.system [echo pwned]\n", "not valid YAML"),
        ("[a, b]\n", "must be a mapping"),
        ("as_of: 2024-09-21 10:00:00\n", "without a time"),
        ("as_of: \x00\n", "not valid YAML"),
        (  # a "billion laughs": nine aliases deep would be 10^9 strings once expanded
            'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
            "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
            "dtm_files: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
            "line 2: uses a YAML alias",
        ),
        ("dtm_files: " + "[" * 10_000 + "]" * 10_000 + "\n", "nested more than 8 levels"),
        ("as_of: 'caf\xe9'\n".encode("latin-1"), "line 1: file is not valid UTF-8"),
        ('as_of: "2024-09-21"\n'.encode("utf-16"), "this file is UTF-16"),
        (b"# padding\n" * 10_000, "far larger than it should be"),
    ],
)
def test_bad_parameters_are_rejected_with_a_clear_message(root, text, expected):
    write_params(root, text)
    found = message(root)
    assert expected in found
    assert "params.yaml" in found


def test_params_file_that_is_a_pipe_or_a_device_is_refused_without_blocking(root):
    os.mkfifo(root / "params.yaml")
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(message(root)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert outcome and "params.yaml: is a named pipe (FIFO)" in outcome[0]
    (root / "params.yaml").unlink()
    (root / "params.yaml").symlink_to("/dev/zero")
    assert "is a device (such as /dev/zero)" in message(root)


def test_command_line_value_named_in_error(root):
    assert "command line (AS_OF)" in message(root, as_of="2024-9-21x")
    assert "not an ISO date" in message(root, as_of="0001-01-01x")
    assert "before the first sourced figure" in message(root, as_of="0001-01-01")


@pytest.mark.parametrize(
    "value",
    ['2024"; import os; os.system("echo pwned")  #', "a\nimport os", 'x\\"\ny', "'''", "}{"],
)
def test_values_with_quotes_or_newlines_cannot_inject_code(root, value):
    with pytest.raises(InputError):
        load_params(root, as_of=value, today=TODAY)
    # Even a value that got past validation (a path) comes back unchanged from the
    # injected cell, so it cannot become code.
    check_injection_safe({"raw_dir": value, "dtm_files": [value, "ok"]})


# --- DTM files: any path works; only regular files ------------------------------------------


@pytest.mark.parametrize(
    ("typed", "paths"),
    [
        ("a.json", ["a.json"]),
        ("a.json  b.csv", ["a.json", "b.csv"]),
        ('"my file.json" b.csv', ["my file.json", "b.csv"]),
        ("O'Brien.json", ["O'Brien.json"]),  # an unbalanced quote: one path
        ("'O'\\''Brien 2.json' x.csv", ["O'Brien 2.json", "x.csv"]),
        ("`touch${IFS}pwned`.json", ["`touch${IFS}pwned`.json"]),  # text, never run
        ("  ", []),
    ],
)
def test_dtm_files_as_typed_on_the_make_command_line(typed, paths):
    assert split_dtm_files(typed) == paths


def test_dtm_paths_with_spaces_and_quotes_work(root):
    for name in ("O'Brien.json", "my file.json", '"quoted".csv'):
        (root / name).write_text("{}", encoding="utf-8")
    params = load_params(root, dtm_files=split_dtm_files("O'Brien.json"), today=TODAY)
    assert params.dtm_files == ("O'Brien.json",)
    (root / "O'Brien's round 2.json").write_text("{}", encoding="utf-8")
    typed = "O'Brien's round 2.json"  # balanced quotes, spaces: an existing file is one path
    assert split_dtm_files(typed, root) == [typed]
    typed = '"my file.json" \'"quoted".csv\''
    params = load_params(root, dtm_files=split_dtm_files(typed), today=TODAY)
    assert params.dtm_files == ("my file.json", '"quoted".csv')


def test_dtm_files_that_are_not_regular_files_are_refused(root):
    os.mkfifo(root / "pipe.json")
    assert "the DTM file pipe.json is a named pipe" in message(root, dtm_files=["pipe.json"])
    (root / "zero.json").symlink_to("/dev/zero")
    assert "is a device" in message(root, dtm_files=["zero.json"])
    assert "control character" in message(root, dtm_files=["a\x00b.json"])


# --- dates: the story's span, derived from the data -------------------------------------------


def test_span_is_anchored_on_the_median_year_so_one_bad_date_cannot_move_it():
    dates = [dt.date(2024, 1, 1)] * 10 + [dt.date(1, 1, 1)]
    span = story_span(dates, TODAY)
    assert span.first == dt.date(2024 - STORY_MARGIN_YEARS, 1, 1)
    assert story_span([dt.date(2024, 1, 1)] * 10, TODAY) == span


def edit_sources(root: Path, old: str, new: str) -> None:
    path = root / "data/raw/sources.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


def test_a_source_published_in_the_future_is_refused_not_made_the_default(root):
    edit_sources(root, "2026-03-21", "2099-01-01")
    found = message(root)
    assert "sources.csv, line 3, column 'published': the source is dated after today" in found


def test_an_implausibly_early_source_date_is_refused(root):
    edit_sources(root, "2023-07-30", "0001-01-01")
    found = message(root)
    assert "line 2, column 'published': the date is implausibly early" in found
    assert "from 2005-01-01" in found  # 20 years before the median year of the sources


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("2024-01,2024-12", "2024-12,2024-01", "line 2, column 'period_end': the period ends"),
        ("2024-01,2024-12", "1024-01,2024-12", "column 'period_start': the date is implausibly"),
        ("2025-01-15", "2030-01-15", "column 'published': the date is after today"),
        ("2026-09,2027-06", "2026-09,2028-06", "more than 366 days after today"),
    ],
)
def test_implausible_context_dates_are_refused(root, old, new, expected):
    path = root / "data/raw/displacement/context.csv"
    path.write_text(CONTEXT.replace(old, new, 1), encoding="utf-8")
    assert expected in message(root)


def test_a_projection_may_end_after_today(root):
    assert load_params(root, today=TODAY).as_of == "2026-03-21"  # K2 ends in 2027


def test_a_notebook_run_by_hand_checks_its_as_of_too(root):
    raw = root / "data/raw"
    assert resolve_as_of("", raw) == "2026-03-21"
    assert resolve_as_of("2024-09-21", raw) == "2024-09-21"
    with pytest.raises(InputError, match="the notebook's as_of parameter: as_of is before"):
        resolve_as_of("0001-01-01", raw)
