"""facts.json: typed facts from the processed tables, valid against the published schema,
and the one source of every number the text shows."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import jsonschema
import pytest

from haiti_report.report import facts, text

EDITIONS = ("2024-09-21", "2025-02-28", "2025-10-02", "2026-03-21")
SECTIONS = (
    "title",
    "lede",
    "pledges",
    "deployments",
    "money",
    "displacement",
    "context",
    "claims",
    "methodology",
)


@pytest.mark.parametrize("as_of", EDITIONS)
def test_facts_are_valid_against_the_schema(processed, as_of):
    data = facts.build(processed(as_of)).to_json()
    facts.validate(data)
    assert data["as_of"] == as_of
    assert data["personnel"]["deployed_total"] >= 0


def test_schema_rejects_broken_facts(processed):
    data = facts.build(processed("2024-09-21")).to_json()
    del data["personnel"]["pledged_total"]
    with pytest.raises(jsonschema.ValidationError):
        facts.validate(data)


def test_written_deterministically(processed, tmp_path):
    F = facts.build(processed("2024-09-21"))
    a, b = facts.write(F, tmp_path / "a.json"), facts.write(F, tmp_path / "b.json")
    assert a.read_bytes() == b.read_bytes()
    assert json.loads(a.read_text())["as_of"] == "2024-09-21"


def test_editions_know_only_their_past(processed):
    before = facts.build(processed("2025-09-21"))
    assert before.gsf is None and before.mss_history is None  # the GSF did not exist yet
    assert before.personnel.mission == "MSS"
    after = facts.build(processed("2026-03-21"))
    assert after.gsf is not None and after.personnel.mission == "GSF"


def leaves(value) -> Iterator[int | float | str]:
    """Every number and string in a facts value (booleans and nulls print no number)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from leaves(v)
    elif isinstance(value, int | float | str) and not isinstance(value, bool):
        yield value


def _numbers(value) -> set[str]:
    """Every number a facts value could print, in house style and plain."""
    out: set[str] = set()
    for leaf in leaves(value):
        if isinstance(leaf, str):
            out |= set(re.findall(r"\d[\d,.]*", leaf))
            continue
        out |= {f"{leaf:,.0f}", f"{leaf:g}", f"{leaf:,}", f"{leaf:g}%"}
        if 0 < leaf < 1:  # a share, shown as a whole per cent
            out.add(f"{100 * leaf:.0f}%")
        if leaf >= 1e6:
            out.add(f"{leaf / 1e6:.2f}".rstrip("0").rstrip("."))
    return out


NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?%?")
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DATE = re.compile(rf"\b(\d{{1,2}} )?({MONTHS}) \d{{4}}\b")


@pytest.mark.parametrize("as_of", EDITIONS)
def test_every_number_in_the_text_comes_from_facts(processed, as_of):
    data = facts.build(processed(as_of)).to_json()
    known = _numbers(data) | {"10"}  # Haiti has ten departments (a constant of the country)
    for name in SECTIONS + (("gsf",) if data["gsf"] else ()):
        shown = text.render(name, f=data)
        for found in NUMBER.findall(DATE.sub("", shown.replace("\\", ""))):
            number = found.rstrip(".,")
            if re.fullmatch(r"(19|20)\d\d", number):  # years of dates come from facts' dates
                continue
            assert number in known, f"{name}: {number} is not a value in facts.json"
