"""Claims checked against the data of their day, with the queries the facts use."""

from __future__ import annotations

import datetime as dt

import pytest

from haiti_report.clean import claims
from haiti_report.raw.values import parse_reported_value

D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def checked(processed) -> dict[str, dict]:
    table = processed("2026-03-21").claims
    return {r["claim_id"]: r for r in table.iter_rows(named=True)}


def test_the_forces_and_the_presidents_counts_are_consistent(checked):
    # The issue that started this: Ruto's 989 and the force's 980 were graded "off" because
    # the count was arithmetic; with reported counts first they are the data.
    assert checked["C20"]["verdict"] == "consistent" and checked["C20"]["data_value"] == 989
    assert checked["C24"]["verdict"] == "consistent" and checked["C24"]["data_value"] == 980


def test_a_claim_matched_by_a_figure_published_soon_after_says_so(checked):
    expert = checked["C05"]  # the UN expert's "at least 700,000" of 20 Sep 2024
    assert expert["verdict"] == "matched_later"
    assert expert["data_value"] == 578_074  # IOM's newest count that day (R7)
    assert (expert["later_value"], expert["later_days"]) == (702_973, 12)  # R8, 2 Oct 2024


def test_the_data_is_taken_as_published_when_the_claim_was(checked):
    # The force's 980 was said on 8 Dec and published on 9 Dec: it is graded as known on 9 Dec.
    assert checked["C24"]["known_on"] == D("2025-12-09")
    assert all(r["known_on"] >= r["claim_day"] for r in checked.values())


def test_claims_after_the_as_of_date_are_left_out(processed):
    early = processed("2024-09-21").claims
    assert early.height and (early["claim_day"] <= D("2024-09-21")).all()


def test_verdicts_are_data_not_wording(processed):
    verdicts = set(processed("2026-03-21").claims["verdict"])
    assert verdicts <= {"consistent", "matched_later", "off", "not_checkable"}


@pytest.mark.parametrize(
    ("claimed", "low", "high", "consistent"),
    [
        ("about 400", 400, 400, True),
        ("about 750", 735, 735, False),
        ("at least 1,900", 1_900, 1_900, True),
        ("under 40%", 40.1, 40.1, False),
        ("nearly 1,000", 980, 980, True),
        ("more than 900", 850, 899, False),
    ],
)
def test_overlap_at_the_claims_own_precision(claimed, low, high, consistent):
    said = claims.Said((low + high) / 2, low, high)
    unit = "percent" if claimed.endswith("%") else "people"
    assert claims._overlaps(parse_reported_value(claimed, unit=unit), said) is consistent


def test_not_checkable_when_nothing_was_published(processed):
    empty = processed("2024-09-21")
    snap = claims.Snapshot(
        D("2023-01-01"),
        empty.personnel.clear(),
        empty.pledges.clear(),
        empty.mandates.clear(),
        empty.money.clear(),
        empty.idps.clear(),
    )
    said = claims.data_said(snap, "idps_national", D("2023-01-01"))
    assert said.value is None and said.reason == "no IOM count published by then"


def test_a_claim_day_is_cleaned_once_per_set_of_inputs(tmp_path, monkeypatch):
    """make editions checks the claims of many editions in one kernel: a day already cleaned
    from the same files is reused, and the same day from changed files is cleaned anew."""
    import shutil

    from conftest import ROOT

    from haiti_report.clean import mss

    raw = shutil.copytree(ROOT / "data" / "raw", tmp_path / "raw")
    monkeypatch.setattr(claims, "_SNAPSHOTS", type(claims._SNAPSHOTS)())
    built: list[dt.date] = []
    real = mss.build_tables
    monkeypatch.setattr(
        mss, "build_tables", lambda f, d, day, *a: built.append(day) or real(f, d, day, *a)
    )
    claims.run(D("2025-06-30"), raw, tmp_path / "a")
    days = list(built)
    assert days and len(days) == len(set(days))
    later, _ = claims.run(D("2026-03-21"), raw, tmp_path / "b")
    new_days = built[len(days) :]
    assert not set(new_days) & set(days)  # the earlier edition's claim days were not redone
    # Outputs equal to a run with nothing remembered (a later edition may grade an old claim
    # differently: "matched later" needs the later figure).
    monkeypatch.setattr(claims, "_SNAPSHOTS", type(claims._SNAPSHOTS)())
    fresh, _ = claims.run(D("2026-03-21"), raw, tmp_path / "c")
    assert fresh.equals(later)
    # A changed raw file: every day is cleaned again.
    figures = raw / "mss" / "figures.csv"
    figures.write_text(figures.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    before = len(built)
    claims.run(D("2025-06-30"), raw, tmp_path / "d")
    assert sorted(built[before:]) == sorted(days)
