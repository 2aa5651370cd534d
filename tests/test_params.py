"""Parameters are validated before anything runs; values are typed, never coerced."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from haiti_report.build.params import load_params
from haiti_report.build.runner import check_injection_safe
from haiti_report.core.errors import InputError

TODAY = dt.date(2026, 11, 29)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "data/raw").mkdir(parents=True)
    (tmp_path / "data/raw/sources.csv").write_text(
        "source_id,outlet,title,url,published,kind,language,via\n"
        "a,X,,https://x.test/a,2023-07-30,wire,en,\n"
        "b,Y,,https://x.test/b,2026-03-21,wire,en,\n"
        "c,Z,,https://x.test/c,2025-10,newspaper,en,\n",
        encoding="utf-8",
    )
    return tmp_path


def write_params(root: Path, text: str) -> None:
    (root / "params.yaml").write_text(text, encoding="utf-8")


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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("as_of: 2025\n", "not a int"),
        ('as_of: "2025"\n', "not an ISO date"),
        ('as_of: "21/09/2024"\n', "not an ISO date"),
        ('as_of: "2027-01-01"\n', "in the future"),
        ('as_of: "2020-01-01"\n', "before the first sourced figure"),
        ("as_of: [1]\n", "not a list"),
        ('asof: "2024-09-21"\n', "unknown parameter(s): asof"),
        ("dtm_files: [missing.json]\n", "does not exist"),
        ('as_of: "2024-09-21\n', "not valid YAML"),
    ],
)
def test_bad_parameters_are_rejected_with_a_clear_message(root, text, message):
    write_params(root, text)
    with pytest.raises(InputError) as err:
        load_params(root, today=TODAY)
    assert message in str(err.value)
    assert "params.yaml" in str(err.value)


def test_command_line_value_named_in_error(root):
    with pytest.raises(InputError, match=r"command line \(AS_OF\).*not an ISO date"):
        load_params(root, as_of="2024-9-21x", today=TODAY)


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
