"""Cleaning rules for pledges and deployments, on small fixtures and on the real raw data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from haiti_report.clean import mss
from haiti_report.clean.tables import CleaningLog
from haiti_report.core import queries as q
from haiti_report.core.errors import InputError
from haiti_report.raw import decisions
from haiti_report.raw.figures import COLUMNS

HEADER = ",".join(COLUMNS)
SOURCES = """source_id,outlet,title,url,published,kind,language,via,published_basis,\
replaced_url,accessed,sha256,licence,credit
s1,Wire A,,https://a.test/1,2024-06-01,wire,en,,fact_base,,,,,
s2,Wire B,,https://b.test/2,2024-07-01,wire,en,,fact_base,,,,,
s3,Paper C,,https://c.test/3,2024-08-01,newspaper,en,,fact_base,,,,,
s4,Paper D,,https://d.test/4,2024-12-20,newspaper,en,,fact_base,,,,,
s5,Paper E,,https://e.test/5,2025-10-10,newspaper,en,,fact_base,,,,,
"""
DECISIONS_HEADER = ",".join(decisions.COLUMNS)


def fixture(tmp_path: Path, figures: str, decisions: str = "") -> Path:
    raw = tmp_path / "raw"
    (raw / "mss").mkdir(parents=True)
    (raw / "sources.csv").write_text(SOURCES)
    (raw / "country_aliases.csv").write_text("alias,iso3,note\n")
    (raw / "mss" / "figures.csv").write_text(HEADER + "\n" + figures)
    (raw / "decisions.csv").write_text(
        DECISIONS_HEADER + "\n" + (decisions or "D0,2026-11-29,none,displacement,,,HTI-1,,r,why\n")
    )
    return raw


def tables(raw: Path, as_of: str) -> mss.MssTables:
    return mss.compute(raw, dt.date.fromisoformat(as_of), CleaningLog("test"))


def row(
    figure_id,
    kind,
    country,
    date,
    value,
    source,
    measure="personnel",
    unit="people",
    confidence="high",
    mission="",
    status="",
):
    return (
        f'{figure_id},{figure_id},{kind},{measure},{country},{date},"{value}",'
        f"{unit if value else ''},police,desc,{source},{confidence},,{mission},{status},,\n"
    )


def in_haiti(t: mss.MssTables, iso3: str | None, day: str) -> dict:
    return q.count_on(t.personnel, dt.date.fromisoformat(day), iso3)


def pledge(t: mss.MssTables, iso3: str, mission: str = "MSS") -> dict:
    return t.pledges.filter((pl.col("iso3") == iso3) & (pl.col("mission") == mission)).row(
        0, named=True
    )


def test_as_of_counts_only_published_figures(tmp_path):
    raw = fixture(
        tmp_path,
        row("P1", "pledge", "Kenya", "2023-07-29", "1,000", "s1")
        + row("A1", "arrival", "Kenya", "2024-06-25", "200", "s2")
        + row("A2", "arrival", "Kenya", "2024-07-16", "about 200", "s3"),
    )
    early = tables(raw, "2024-06-30")
    assert pledge(early, "KEN")["pledged"] == 1000
    assert in_haiti(early, "KEN", "2024-06-30") is None  # s2 not yet published
    later = tables(raw, "2024-08-01")
    assert in_haiti(later, "KEN", "2024-08-01")["value"] == 400


def test_decision_applies_once_its_choice_is_known(tmp_path):
    raw = fixture(
        tmp_path,
        row("A400", "arrival", "Kenya", "2024-06-25", "about 400", "s2")
        + row("A200", "arrival", "Kenya", "2024-06-25", "200", "s3"),
        "D01,2026-11-29,first landing,arrival,Kenya,2024-06-25,A200,A400,r,why\n",
    )
    assert in_haiti(tables(raw, "2024-07-05"), "KEN", "2024-07-05")["value"] == 400
    t = tables(raw, "2024-08-02")
    assert in_haiti(t, "KEN", "2024-08-02")["value"] == 200
    status = dict(zip(t.figures["figure_id"], t.figures["status"], strict=True))
    assert status == {"A400": "set_aside", "A200": "used"}
    assert t.decisions["applies"].to_list() == [True]


def test_same_event_reported_twice_is_counted_once(tmp_path):
    raw = fixture(
        tmp_path,
        row("X1", "arrival", "Guatemala", "2024-12-03", "about 75", "s4")
        + row("X2", "arrival", "Guatemala", "2024-12-03", "75", "s4"),
    )
    t = tables(raw, "2024-12-31")
    assert t.movements["figure_ids"].to_list() == ["X1; X2"]
    assert t.movements["qualifier"].to_list() == ["exact"]  # exact beats "about"
    assert in_haiti(t, "GTM", "2024-12-31")["value"] == 75


def test_latest_numbered_pledge_wins_and_no_number_stays_unknown(tmp_path):
    raw = fixture(
        tmp_path,
        row("P1", "pledge", "Guatemala", "2024-06-01", "150", "s1")
        + row("P2", "pledge", "Guatemala", "2024-06-20", "", "s2")
        + row("P3", "pledge", "Chad", "2024-06-20", "", "s2")
        + row("P4", "pledge", "Senegal", "2024-06-20", "350", "s2", confidence="low"),
    )
    t = tables(raw, "2024-12-31")
    assert pledge(t, "GTM")["pledged"] == 150  # a later offer without a number does not erase it
    chad, senegal = pledge(t, "TCD"), pledge(t, "SEN")
    assert chad["pledged"] is None and not chad["counted"]
    assert chad["not_counted_because"] == "pledged without a number"
    assert senegal["pledged"] == 350 and not senegal["counted"]


def test_mss_pledges_lapse_when_the_mss_ends(tmp_path):
    raw = fixture(
        tmp_path,
        row("P1", "pledge", "Benin", "2024-02-29", "1,500", "s1")
        + row("M1", "mandate", "United Nations", "2025-10-02", "", "s5", measure="mss_end"),
    )
    before = pledge(tables(raw, "2025-10-02"), "BEN")
    assert (before["status"], before["counted"]) == ("made", True)
    after = pledge(tables(raw, "2025-10-11"), "BEN")
    assert (after["status"], after["counted"], after["counted_until_lapse"]) == (
        "lapsed",
        False,
        True,
    )


def test_reported_count_sets_the_count_after_an_unknown_departure(tmp_path):
    raw = fixture(
        tmp_path,
        row("A1", "arrival", "Kenya", "2024-06-01", "400", "s1")
        + row("A2", "arrival", "Kenya", "2024-06-20", "230", "s2")
        + row("D1", "departure", "Kenya", "2024-06-22", "230", "s2")
        + row("D2", "departure", "Kenya", "2024-06-25", "", "s2")
        + row("S1", "strength", "Kenya", "2024-07-15", "about 350", "s3", measure="in_country"),
    )
    t = tables(raw, "2024-12-31")
    handover = t.movements.filter(pl.col("figure_ids") == "D1")
    assert handover["date"][0] == dt.date(2024, 6, 20)  # placed on the arrival day
    assert in_haiti(t, "KEN", "2024-06-30")["qualifier"] == "up_to"
    now = in_haiti(t, "KEN", "2024-12-31")
    assert (now["value"], now["basis"], now["anchor_figure_id"]) == (350, "reported", "S1")
    assert q.peak(t.personnel, dt.date(2024, 12, 31))["value"] == 400  # an overlap is no peak


@pytest.mark.parametrize(
    ("figures", "decisions", "message"),
    [
        (
            row("A1", "arrival", "Kenya", "2024-07-16", "200", "s1"),
            "",
            "line 2, column 'event_date': the event is dated after its source was published",
        ),
        (row("A1", "arrival", "Kenia", "2024-05-16", "200", "s1"), "", "Kenya"),
        (row("A1", "arrival", "Kenya", "2024-05-16", "200", "nope"), "", "unknown source id"),
        (row("A1", "arrival", "Kenya", "2024-05-16", "200.5", "s1"), "", "whole number"),
        (row("A1", "arrival", "Kenya", "2024-05-16", "-20", "s1"), "", "negative"),
        (row("A1", "arrival", "Kenya", "2024-05-16", "200", "s1") * 2, "", "used twice"),
        (row("A1", "landing", "Kenya", "2024-05-16", "200", "s1"), "", "unknown kind"),
        (row("A1", "arrival", "Kenya", "2024/05/16", "200", "s1"), "", "not a valid date"),
        (
            row("A1", "arrival", "Kenya", "2024-05-16", "200", "s1"),
            "D1,2026-11-29,t,arrival,Kenya,,A9,A1,r,why\n",
            "decisions.csv, line 2, column 'chosen': decision names figure 'A9'",
        ),
    ],
)
def test_bad_figures_are_named_with_file_line_and_column(tmp_path, figures, decisions, message):
    raw = fixture(tmp_path, figures, decisions)
    with pytest.raises(InputError) as err:
        tables(raw, "2024-12-31")
    assert message in str(err.value)
