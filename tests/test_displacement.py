"""Displacement cleaning: as-of rule, dating of undated IOM figures, precedence of DTM files.

Two kinds of tests: the real fact base (data/raw, and the shared DTM samples outside the repo;
skipped with a reason when absent) against the IOM headline figures of the research notes, and
small fixture files written here for each rule.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from haiti_report.clean import displacement as d
from haiti_report.clean.dtm_files import dtm_round, round_from_name
from haiti_report.clean.tables import CleaningLog
from haiti_report.core.errors import InputError
from haiti_report.raw import decisions as decisions_mod
from haiti_report.raw import displacement as raw_displacement
from haiti_report.raw import dtm
from haiti_report.raw.sources import COLUMNS as SOURCE_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
SAMPLES = ROOT.parent / "shared" / "haiti_dtm_samples"

# displacement_notes.md section 2: IOM's headline national count per round. R1's exact
# 113,582 reaches us only through an undated article, so the series shows IOM's own dated
# wording, "more than 113,000" (press release, October 2022).
HEADLINE = {
    "R1": 113_000,
    "R2": 155_166,
    "R3": 127_977,
    "R5": 197_999,
    "R5.1": 313_901,
    "R6": 362_551,
    "R7": 578_074,
    "R8": 702_973,
    "R9": 1_041_229,
    "R10": 1_287_593,
    "R11": 1_412_199,
}


# ------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------


def real_raw() -> Path:
    if (
        not all(p.is_file() for p in d.raw_paths(RAW).values())
        or not (RAW / "sources.csv").is_file()
    ):
        pytest.skip(
            "the real fact base (data/raw/displacement/*.csv, sources.csv, "
            "decisions.csv) is not in this checkout yet"
        )
    return RAW


def sample(name: str) -> Path:
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(f"shared DTM sample {path} not present (it lives outside the repo)")
    return path


def tables_at(
    raw_dir: Path, as_of: str, files: list[Path] | tuple = ()
) -> tuple[d.Tables, CleaningLog]:
    log = CleaningLog(d.STEP)
    return d.build_tables(d.load_raw(raw_dir), d.parse_as_of(as_of), files, log), log


def series(tables: d.Tables) -> dict[str, int]:
    return dict(zip(tables.national["round"], tables.national["value"].cast(pl.Int64), strict=True))


def write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


SOURCES = [
    {"source_id": "iom_press", "outlet": "IOM", "title": "press releases", "kind": "un"},
    {"source_id": "dtm_report", "outlet": "IOM DTM", "title": "round reports", "kind": "un"},
    {
        "source_id": "hdx_mirror",
        "outlet": "HDX dataset metadata mirror",
        "title": "baseline",
        "kind": "dataset",
        "via": "HDX (IOM DTM)",
    },
    {
        "source_id": "api_snapshot",
        "outlet": "IOM DTM API v3 response",
        "title": "fixture",
        "kind": "dataset",
    },
    # the newest full date in the registry: the fact-base date (rule 2)
    {
        "source_id": "wire",
        "outlet": "AFP",
        "title": "wire story",
        "kind": "wire",
        "published": "2026-03-21",
    },
    {"source_id": "binuh", "outlet": "BINUH", "title": "quarterly report", "kind": "un"},
    {"source_id": "ipc", "outlet": "IPC", "title": "analysis", "kind": "un"},
]

# A small fact base shaped like the real one (values from displacement_notes.md).
NATIONAL = [
    # R1: the headline count, and the API's sites-only count a decision sets aside.
    dict(
        figure_id="N-R1",
        round="R1",
        reference_period_start="2022-06-01",
        reference_period_end="2022-08-31",
        published="2022-10",
        coverage="capital_and_grand_sud",
        departments_covered="2",
        value_as_written="113 mille 582",
        source_id="iom_press",
    ),
    dict(
        figure_id="N-R1-api",
        round="R1",
        reference_period_end="2022-09-30",
        coverage="capital_and_grand_sud",
        value_as_written="24212",
        source_id="api_snapshot",
    ),
    dict(
        figure_id="N-R2",
        round="R2",
        reference_period_start="2022-10-25",
        reference_period_end="2022-11-23",
        published="2022-12",
        coverage="capital_only",
        departments_covered="1",
        value_as_written="155,166",
        households="39,623",
        source_id="dtm_report",
    ),
    dict(
        figure_id="N-R7",
        round="R7",
        reference_period_start="2024-02-24",
        reference_period_end="2024-05-31",
        published="2024-06-11",
        coverage="all_departments",
        departments_covered="10",
        value_as_written="578,074",
        source_id="dtm_report",
    ),
    # R9: IOM's rounded press figure, and the exact count undated (HDX mirror).
    dict(
        figure_id="N-R9-press",
        round="R9",
        reference_period_end="2024-12",
        published="2025-01-14",
        coverage="all_departments",
        departments_covered="10",
        value_as_written="1,041,000",
        source_id="iom_press",
    ),
    dict(
        figure_id="N-R9-hdx",
        round="R9",
        reference_period_end="2024-12",
        coverage="all_departments",
        departments_covered="10",
        value_as_written="1 041 229",
        source_id="hdx_mirror",
    ),
    # R10: "nearly 1.3 million" first, the exact count in a report a month later.
    dict(
        figure_id="N-R10-press",
        round="R10",
        reference_period_end="2025-06",
        published="2025-06-11",
        coverage="all_departments",
        departments_covered="10",
        value_as_written="nearly 1.3 million",
        source_id="iom_press",
    ),
    dict(
        figure_id="N-R10",
        round="R10",
        reference_period_end="2025-06",
        published="2025-07-15",
        coverage="all_departments",
        departments_covered="10",
        value_as_written="1,287,593",
        source_id="dtm_report",
    ),
    # R12: an undated exact IOM figure of a round nobody dated: counts from the fact-base date.
    dict(
        figure_id="N-R12",
        round="R12",
        reference_period_end="2026-01",
        coverage="all_departments",
        value_as_written="1,500,001",
        source_id="hdx_mirror",
    ),
]
DEPARTMENTS = [
    dict(
        figure_id="D-R10-HT01",
        round="R10",
        department="Ouest",
        pcode="HT01",
        reference_period_end="2025-06",
        value_as_written="413,216",
        source_id="api_snapshot",
    ),
    dict(
        figure_id="D-R10-HT06",
        round="R10",
        department="Centre",
        pcode="HT06",
        reference_period_end="2025-06",
        value_as_written="147,230",
        source_id="api_snapshot",
    ),
    dict(
        figure_id="D-R7-HT06",
        round="R7",
        department="Centre",
        pcode="HT06",
        reference_period_end="2024-05-31",
        value_as_written="40,753",
        source_id="api_snapshot",
    ),
]
CONTEXT = [
    dict(
        figure_id="C-2024-k",
        series="killings",
        geography="Haiti",
        period_start="2024",
        period_end="2024",
        published="2025-02-04",
        value_as_written="5,626",
        unit="people killed",
        source_id="binuh",
    ),
    dict(
        figure_id="C-2024-k-early",
        series="killings",
        geography="Haiti",
        period_start="2024",
        period_end="2024",
        published="2025-01-07",
        value_as_written="more than 5,600",
        unit="people killed",
        source_id="binuh",
    ),
    dict(
        figure_id="C-ipc-proj",
        series="food_insecurity",
        geography="Haiti",
        period_start="2026-03",
        period_end="2026-06",
        published="2025-10",
        value_as_written="54%",
        unit="share in IPC Phase 3+",
        source_id="ipc",
    ),
]
DECISIONS = [
    dict(
        decision_id="DEC-R1",
        decided="2026-03-01",
        topic="R1 national count",
        kind="displacement",
        chosen="N-R1",
        rejected="N-R1-api",
        rule="headline over sites-only",
        reasoning="API round 1 counts people in sites only",
    ),
    dict(
        decision_id="DEC-MSS",
        decided="2026-03-01",
        topic="Kenya arrivals",
        kind="arrival",
        chosen="MSS-1",
        rejected="MSS-2",
        rule="x",
        reasoning="not about displacement",
    ),
]


def sample_raw(
    tmp_path: Path, *, national=None, departments=None, context=None, decisions=None, sources=None
) -> Path:
    raw = tmp_path / "raw"
    write_csv(
        raw / "sources.csv",
        SOURCE_COLUMNS,
        [
            {"url": "https://example.org", "language": "en", **s}
            for s in (SOURCES if sources is None else sources)
        ],
    )
    write_csv(
        raw / "displacement" / "idps_national.csv",
        raw_displacement.NATIONAL_COLUMNS,
        [{"confidence": "high", **r} for r in (NATIONAL if national is None else national)],
    )
    write_csv(
        raw / "displacement" / "idps_departments.csv",
        raw_displacement.DEPARTMENT_COLUMNS,
        [
            {"confidence": "high", **r}
            for r in (DEPARTMENTS if departments is None else departments)
        ],
    )
    write_csv(
        raw / "displacement" / "context.csv",
        raw_displacement.CONTEXT_COLUMNS,
        [{"confidence": "high", **r} for r in (CONTEXT if context is None else context)],
    )
    write_csv(
        raw / "decisions.csv", decisions_mod.COLUMNS, DECISIONS if decisions is None else decisions
    )
    return raw


def api_file(tmp_path: Path, name: str, rows: list[dict]) -> Path:
    """A DTM API v3 response with the given records (admin0 or, with admin1Name, admin1)."""
    base = {
        "operation": "Countrywide monitoring",
        "admin0Name": "Haiti",
        "admin0Pcode": "HTI",
        "displacementReason": "Conflict",
        "assessmentType": "BA",
    }
    records = [{**base, **r} for r in rows]
    path = tmp_path / name
    path.write_text(
        json.dumps(
            {
                "result": records,
                "statusCode": 200,
                "isSuccess": True,
                "errorMessages": [],
                "totalRecordsCount": len(records),
            }
        )
    )
    return path


def log_rows(log: CleaningLog, rule: str) -> pl.DataFrame:
    return log.frame().filter(pl.col("rule").str.contains(rule, literal=True))


# ------------------------------------------------------------------------------------------
# The real fact base
# ------------------------------------------------------------------------------------------


def test_real_series_equals_iom_headline_figures_at_newest_as_of():
    tables, _ = tables_at(real_raw(), "2026-03-21")
    assert series(tables) == HEADLINE
    national = tables.national
    assert national.filter(pl.col("round") == "R11")["qualifier"].item() == "exact"
    assert national["coverage"].null_count() == 0
    # R2 covered the capital only, R7 all ten departments: both coverage changes are flagged.
    changed = dict(zip(national["round"], national["coverage_changed"], strict=True))
    assert (changed["R1"], changed["R2"], changed["R7"], changed["R8"]) == (
        False,
        True,
        True,
        False,
    )
    # R1 counts from IOM's press release (October 2022, month precision): never the date the
    # fact base was compiled
    assert national.filter(pl.col("round") == "R1")["published"].item() == dt.date(2022, 10, 31)


def test_real_as_of_2024_09_21_newest_is_round_7():
    tables, _ = tables_at(real_raw(), "2024-09-21")
    head = d.newest_national(tables.national)
    assert head["round"] == "R7"
    assert head["idps"] == 578_074
    assert head["reference_period_end"] == "2024-05-31"
    assert head["reference_period_start"] == "2024-02-24"
    assert "R8" not in series(tables)  # IOM published round 8 on 2 October 2024
    # R1-R3 are dated by IOM's press release (Oct 2022) and the notes (R2 2022, R3 2023)
    assert head["first"]["round"] == "R1" and head["first"]["qualifier"] == "more_than"
    assert head["coverage_widened"] is True


def test_real_as_of_2025_01_14_knows_round_9():
    known = series(tables_at(real_raw(), "2025-01-14")[0])
    assert known["R9"] == 1_041_229
    assert "R10" not in known


def test_real_run_writes_the_four_files(tmp_path):
    tables, log = d.run("2026-03-21", real_raw(), tmp_path)
    out = tmp_path / "data" / "displacement"
    assert sorted(p.name for p in out.glob("*.csv")) == [
        "cleaning_log.csv",
        "context.csv",
        "idps_departments.csv",
        "idps_national.csv",
    ]
    written = pl.read_csv(out / "idps_national.csv")
    assert dict(zip(written["round"], written["idps"], strict=True)) == HEADLINE
    assert not list(out.glob("*.quarantine.csv"))


# ------------------------------------------------------------------------------------------
# The shared real DTM files against the headline series
# ------------------------------------------------------------------------------------------

# Every difference between a file's per-round baseline total and the headline, explained.
NOT_IN_API = {
    "R5.1": "the December 2023 round is missing from the API",
    "R11": "the API snapshot stops at round 10 (June 2025)",
}
API_DIFFERS = {
    "R1": (
        24_212,
        "round 1 in the API counts people in sites only (21,684 in the "
        "capital + 2,528 in the Grand Sud), not the 89,370 with hosts",
    )
}
# R2 and R3 cover the capital only; R5 is the mid-2023 three-department round: in the API
# under the same numbers, so equal.


@pytest.mark.parametrize(
    "name",
    [
        "dtm_api_v3_admin0_HTI.json",
        "dtm_api_v3_admin1_HTI.json",
        "hdx_global_iom_dtm_from_api_HTI_rows.csv",
    ],
)
def test_shared_dtm_files_match_the_headline_where_comparable(name):
    totals = dtm.national_totals(dtm.read_dtm_file(sample(name))).filter(
        pl.col("operation") == dtm.BASELINE_OPERATION
    )
    ba = {
        dtm_round(r): n
        for r, n in totals.filter(pl.col("assessment_type") == "BA")
        .select("round", "idps")
        .iter_rows()
    }
    sa = {
        dtm_round(r): n
        for r, n in totals.filter(pl.col("assessment_type") == "SA")
        .select("round", "idps")
        .iter_rows()
    }
    for round_, headline in HEADLINE.items():
        if round_ in NOT_IN_API:
            assert round_ not in ba, NOT_IN_API[round_]
        elif round_ in API_DIFFERS:
            assert ba[round_] == API_DIFFERS[round_][0] != headline, API_DIFFERS[round_][1]
        else:
            assert ba[round_] == headline, round_
    # Site assessments are subsets, never the national figure: R0 (April 2022, sites only)
    # and the R2 site count of 39,492 inside the 155,166.
    assert sa == {"R0": 27_750, "R2": 39_492}
    assert set(ba) == set(HEADLINE) - set(NOT_IN_API)


def test_real_api_file_dropped_in_keeps_the_headline_and_logs_round_1(tmp_path):
    path = sample("dtm_api_v3_admin0_HTI.json")
    tables, log = tables_at(real_raw(), "2026-03-21", [path])
    assert series(tables) == HEADLINE  # R1's 24,212 (sites only) must not replace 113,582
    # every round the file gives is already known with the same count: none is taken from it
    assert tables.national.filter(pl.col("basis").str.starts_with("DTM file")).is_empty()
    assert "24,212" in log_rows(log, "contradicts IOM's own figure")["detail"].item()
    assert log_rows(log, "conflict: DTM file and fact base differ").is_empty()


def test_shared_api_samples_leave_dates_figures_and_credits_as_they_were(tmp_path):
    """Issue 15: with the shared API samples passed as DTM files, the lede's starting point
    moved from 197,999 to 127,977 (R3 dated by its month-end stamp) and credits were lost."""
    files = [
        sample("dtm_api_v3_admin0_HTI.json"),
        sample("dtm_api_v3_admin1_HTI.json"),
        sample("hdx_global_iom_dtm_from_api_HTI_rows.csv"),
    ]
    cols = ["round", "value", "published", "dated_by", "figure_id", "source_id", "coverage"]
    plain = tables_at(real_raw(), "2026-03-21")[0]
    with_files = tables_at(real_raw(), "2026-03-21", files)[0]
    assert with_files.national.select(cols).equals(plain.national.select(cols))
    dept_cols = ["round", "pcode", "value", "published", "figure_id", "source_id"]
    known = with_files.departments.join(plain.departments.select("round", "pcode"), on=keys())
    assert (
        known.select(dept_cols)
        .sort("round", "pcode")
        .equals(plain.departments.select(dept_cols).sort("round", "pcode"))
    )
    # the count IOM had published when the Council authorised the mission (2 October 2023)
    start = with_files.national.filter(pl.col("published") <= dt.date(2023, 10, 2)).sort(
        "reference_period_end"
    )
    assert start.select("round", "idps", "source_id").row(-1) == (
        "R5",
        197_999,
        "iom-hdx-baseline-metadata",
    )


def keys() -> list[str]:
    return ["round", "pcode"]


# ------------------------------------------------------------------------------------------
# Rules, on small fixture files
# ------------------------------------------------------------------------------------------


def test_rounded_press_figure_until_the_exact_count_is_published(tmp_path):
    raw = sample_raw(tmp_path)
    early = tables_at(raw, "2025-06-30")[0].national.filter(pl.col("round") == "R10")
    assert early["value"].item() == 1_300_000
    assert early["qualifier"].item() == "nearly"
    assert early["idps_as_written"].item() == "nearly 1.3 million"
    late = tables_at(raw, "2025-07-15")[0].national.filter(pl.col("round") == "R10")
    assert (late["value"].item(), late["qualifier"].item()) == (1_287_593, "exact")
    assert late["figure_id"].item() == "N-R10"


def test_undated_exact_iom_figure_is_dated_by_its_round_and_logged(tmp_path):
    tables, log = tables_at(sample_raw(tmp_path), "2025-01-14")
    r9 = tables.national.filter(pl.col("round") == "R9")
    # exact 1,041,229 (HDX mirror, undated) beats IOM's rounded 1,041,000 of the same day
    assert r9["value"].item() == 1_041_229
    assert r9["published"].item() == dt.date(2025, 1, 14)
    assert r9["dated_by"].item() == "round N-R9-press"
    dated = log_rows(log, "dated by the first report of its round")
    assert "N-R9-hdx" in set(dated["figure_ids"])
    assert (
        tables_at(sample_raw(tmp_path), "2025-01-13")[0]
        .national.filter(pl.col("round") == "R9")
        .is_empty()
    )


def test_an_undated_figure_is_never_counted(tmp_path):
    # Unknown stays unknown: a figure with no date and no dated IOM figure of its round is in
    # no edition, not even the newest (it may have been published after any as-of date).
    raw = sample_raw(tmp_path)
    for as_of in ("2026-03-20", "2026-03-21"):
        tables, log = tables_at(raw, as_of)
        assert "R12" not in series(tables)
    assert "N-R12" in log_rows(log, "undated: never counted")["figure_ids"].item()


def test_a_partial_date_counts_from_its_last_day(tmp_path):
    rows = [
        *CONTEXT,
        dict(
            figure_id="C-2025-k",
            series="killings",
            geography="Haiti",
            period_start="2025",
            period_end="2025",
            published="2026",
            value_as_written="nearly 5,915",
            unit="people",
            source_id="binuh",
        ),
    ]
    raw = sample_raw(tmp_path, context=rows)
    early = tables_at(raw, "2026-03-21")[0].context
    assert early.filter(pl.col("figure_id") == "C-2025-k").is_empty()  # "2026": from 31 Dec
    late = tables_at(raw, "2026-12-31")[0].context
    assert late.filter(pl.col("figure_id") == "C-2025-k")["published"].item() == dt.date(
        2026, 12, 31
    )


def test_department_figures_are_dated_by_their_round(tmp_path):
    raw = sample_raw(tmp_path)
    deps = tables_at(raw, "2025-06-30")[0].departments
    r10 = deps.filter(pl.col("round") == "R10")
    assert dict(zip(r10["pcode"], r10["value"].cast(pl.Int64), strict=True)) == {
        "HT01": 413_216,
        "HT06": 147_230,
    }
    assert set(r10["published"]) == {dt.date(2025, 6, 11)}  # IOM's R10 press release
    assert set(r10["dated_by"]) == {"round N-R10-press"}
    assert deps.filter(pl.col("round") == "R7")["value"].item() == 40_753
    # the period counted ("2025-06") is over only on 30 June
    early = tables_at(raw, "2025-06-29")[0].departments
    assert early.filter(pl.col("round") == "R10").is_empty()


def test_decision_sets_aside_the_sites_only_figure(tmp_path):
    tables, log = tables_at(sample_raw(tmp_path), "2026-03-21")
    r1 = tables.national.filter(pl.col("round") == "R1")
    assert r1["value"].item() == 113_582
    assert r1["basis"].item() == "decision DEC-R1"
    assert log_rows(log, "set aside by a decision")["figure_ids"].item() == "N-R1-api"


def test_decision_across_rounds_chooses_nothing_in_the_series(tmp_path):
    claim = dict(
        decision_id="DEC-CLAIM",
        decided="2026-03-01",
        topic="claim is R9 not R7",
        kind="idps_national",
        chosen="N-R9-press",
        rejected="N-R7",
        rule="r",
        reasoning="a claim matched to a round",
    )
    tables, log = tables_at(sample_raw(tmp_path, decisions=[*DECISIONS, claim]), "2026-03-21")
    assert series(tables)["R7"] == 578_074
    assert log_rows(log, "decision not applied")["figure_ids"].item() == "N-R7"


def test_decision_naming_an_unknown_displacement_figure_is_an_error(tmp_path):
    bad = [{**DECISIONS[0], "rejected": "N-R1-typo"}]
    with pytest.raises(InputError) as info:
        d.load_raw(sample_raw(tmp_path, decisions=bad))
    assert "decisions.csv, line 2, column 'rejected'" in str(info.value)


def test_coverage_changes_are_flagged(tmp_path):
    national = tables_at(sample_raw(tmp_path), "2026-03-21")[0].national
    flags = dict(zip(national["round"], national["coverage_changed"], strict=True))
    assert flags == {"R1": False, "R2": True, "R7": True, "R9": False, "R10": False}


def test_newest_national_for_the_headline(tmp_path):
    raw = sample_raw(tmp_path)
    tables, log = d.run("2025-06-30", raw, tmp_path / "out")
    head = d.newest_national(tables.national)
    assert head["round"] == "R10"
    assert (head["idps"], head["qualifier"], head["idps_as_written"]) == (
        1_300_000,
        "nearly",
        "nearly 1.3 million",
    )
    assert head["idps_low"] == 1_200_000
    assert head["published"] == "2025-06-11"
    assert head["first"]["round"] == "R1" and head["first"]["idps"] == 113_582
    assert head["coverage"] == "all_departments" and head["coverage_widened"] is True
    assert head["credit"].startswith("International Organization for Migration (IOM)")
    assert d.newest_national(tables.national.clear())["rounds"] == 0


def test_context_projection_and_most_precise_figure(tmp_path):
    raw = sample_raw(tmp_path)
    early = tables_at(raw, "2025-01-10")[0].context
    assert (
        early.filter(pl.col("series") == "killings")["value_as_written"].item() == "more than 5,600"
    )
    context = tables_at(raw, "2026-03-21")[0].context
    killings = context.filter(pl.col("series") == "killings")
    assert killings["value"].item() == 5_626 and killings["projected"].item() is False
    ipc = context.filter(pl.col("series") == "food_insecurity")
    assert ipc["value"].item() == 54.0 and ipc["value_unit"].item() == "percent"
    assert ipc["projected"].item() is True


# --- dropped-in DTM files (precedence) -----------------------------------------------------

R10_STAMP = {"reportingDate": "2025-06-30T00:00:00", "roundNumber": 10}


def test_file_differing_from_a_dated_round_is_logged_and_not_used(tmp_path):
    raw = sample_raw(tmp_path)
    path = api_file(
        tmp_path,
        "r10_admin0.json",
        [
            {**R10_STAMP, "numPresentIdpInd": 1_000_000, "idpOriginAdmin1Pcode": "HT01"},
            {**R10_STAMP, "numPresentIdpInd": 290_000, "idpOriginAdmin1Pcode": "HT06"},
            {**R10_STAMP, "numPresentIdpInd": 5_000, "assessmentType": "SA"},
        ],
    )
    tables, log = tables_at(raw, "2025-07-20", [path])
    r10 = tables.national.filter(pl.col("round") == "R10")
    # the fact base's dated exact count keeps its figure, date and credit
    assert r10.select("value", "figure_id", "source_id", "published").row(0) == (
        1_287_593,
        "N-R10",
        "dtm_report",
        dt.date(2025, 7, 15),
    )
    conflict = log_rows(log, "conflict: DTM file and fact base differ")["detail"].item()
    assert "1,290,000" in conflict and "1,287,593" in conflict  # the two BA rows summed
    assert "N-R10 is used" in conflict
    assert log_rows(log, "not a baseline assessment")["rows"].item() == 1  # SA never added


def test_file_gives_the_exact_count_while_only_a_rounded_one_is_known(tmp_path):
    raw = sample_raw(tmp_path)
    path = api_file(tmp_path, "r10.json", [{**R10_STAMP, "numPresentIdpInd": 1_290_000}])
    # 30 June 2025: only IOM's "nearly 1.3 million" is known; the file's exact count counts
    # from that first publication of the round (11 June), not from its month-end stamp
    r10 = tables_at(raw, "2025-06-30", [path])[0].national.filter(pl.col("round") == "R10")
    assert r10.select("value", "basis", "published", "dated_by").row(0) == (
        1_290_000,
        "DTM file r10.json",
        dt.date(2025, 6, 11),
        "round N-R10-press",
    )
    assert r10["coverage"].item() == "all_departments"  # the round's, from the fact base
    before = tables_at(raw, "2025-06-10", [path])[0].national
    assert before.filter(pl.col("round") == "R10").is_empty()


def test_file_repeating_a_dated_round_keeps_its_date_figure_and_credit(tmp_path):
    raw = sample_raw(tmp_path)
    path = api_file(
        tmp_path,
        "r7.json",
        [{"reportingDate": "2024-05-31T00:00:00", "roundNumber": 7, "numPresentIdpInd": 578_074}],
    )
    tables, log = tables_at(raw, "2026-01-01", [path])
    r7 = tables.national.filter(pl.col("round") == "R7")
    assert r7.select("figure_id", "source_id", "published", "dated_by").row(0) == (
        "N-R7",
        "dtm_report",
        dt.date(2024, 6, 11),
        "published",
    )
    assert log_rows(log, "conflict: DTM file and fact base differ").is_empty()


def test_department_only_file_is_used_for_departments_only(tmp_path):
    raw = sample_raw(tmp_path)
    rows = [
        {**R10_STAMP, "admin1Name": name, "admin1Pcode": pcode, "numPresentIdpInd": n}
        for name, pcode, n in [
            ("Ouest", "HT01", 413_216),
            ("Centre", "HT06", 150_000),
            ("Sud", "HT07", 185_673),
        ]
    ]
    path = api_file(tmp_path, "r10_admin1.json", rows)
    tables, log = tables_at(raw, "2025-08-01", [path])
    r10 = tables.national.filter(pl.col("round") == "R10")
    assert (r10["value"].item(), r10["figure_id"].item()) == (1_287_593, "N-R10")
    deps = tables.departments.filter(pl.col("round") == "R10").sort("pcode")
    # known departments keep the fact base's figures; the file adds the one it lacks
    assert dict(zip(deps["pcode"], deps["value"].cast(pl.Int64), strict=True)) == {
        "HT01": 413_216,
        "HT06": 147_230,
        "HT07": 185_673,
    }
    assert deps["basis"].to_list()[-1] == "DTM file r10_admin1.json"
    assert deps.filter(pl.col("pcode") == "HT07")["department"].item() == "Sud"
    conflict = log_rows(log, "conflict: DTM file and fact base differ")
    assert conflict.height == 1 and "150,000" in conflict["detail"].item()


def test_file_repeating_a_rejected_figure_is_set_aside(tmp_path):
    raw = sample_raw(tmp_path)
    path = api_file(
        tmp_path,
        "r1.json",
        [{"reportingDate": "2022-09-30T00:00:00", "roundNumber": 1, "numPresentIdpInd": 24_212}],
    )
    tables, log = tables_at(raw, "2026-03-21", [path])
    assert series(tables)["R1"] == 113_582
    assert "24,212" in log_rows(log, "repeats a figure a decision set aside")["detail"].item()


def test_file_record_contradicting_iom_wording_is_not_used_at_any_level(tmp_path):
    worded = dict(
        figure_id="N-R1-iom",
        round="R1",
        reference_period_end="2022-08-31",
        published="2022-10",
        coverage="capital_and_grand_sud",
        value_as_written="plus de 113 000",
        source_id="iom_press",
    )
    raw = sample_raw(tmp_path, national=[*NATIONAL, worded], decisions=DECISIONS[1:])
    stamp = {"reportingDate": "2022-09-30T00:00:00", "roundNumber": 1}
    national = api_file(tmp_path, "a0.json", [{**stamp, "numPresentIdpInd": 24_212}])
    departments = api_file(
        tmp_path,
        "a1.json",
        [
            {**stamp, "admin1Name": "Ouest", "admin1Pcode": "HT01", "numPresentIdpInd": 21_684},
            {**stamp, "admin1Name": "Sud", "admin1Pcode": "HT07", "numPresentIdpInd": 2_528},
        ],
    )
    tables, log = tables_at(raw, "2026-03-21", [national, departments])
    assert series(tables)["R1"] == 113_582
    assert tables.departments.filter(pl.col("round") == "R1").is_empty()
    refused = log_rows(log, "contradicts IOM's own figure")
    assert refused["rows"].sum() == 3
    assert "'plus de 113 000'" in refused["detail"][0]


def test_file_round_not_in_the_fact_base_is_added(tmp_path):
    path = api_file(
        tmp_path,
        "r13.json",
        [
            {
                "reportingDate": "2026-01-31T00:00:00",
                "roundNumber": 13,
                "numPresentIdpInd": 1_450_000,
            }
        ],
    )
    tables, _ = tables_at(sample_raw(tmp_path), "2026-03-21", [path])
    r13 = tables.national.filter(pl.col("round") == "R13")
    assert r13["value"].item() == 1_450_000
    # a file with no retrieval date: from its reporting month's end, the only date it has
    assert r13["published"].item() == dt.date(2026, 1, 31)
    assert r13["source_id"].item() is None


def test_dtm_round_names():
    assert [dtm_round(r) for r in ("10", "5.1", "R3", None)] == ["R10", "R5.1", "R3", None]
    assert round_from_name(Path("hdx-dtm-hti-idps-sites-update-dataset-r1.xlsx")) == "1"
    assert round_from_name(Path("round-3-zmpp-dataset_public-hdx2.xlsx")) == "3"
    assert round_from_name(Path("dtm-haiti-msla-round-11-september-2025-hdx.xlsx")) == "11"


# --- errors name the file, line and column -------------------------------------------------


def _error(tmp_path: Path, **files) -> str:
    with pytest.raises(InputError) as info:
        d.load_raw(sample_raw(tmp_path, **files))
    return str(info.value)


def test_unknown_source_id_is_an_error(tmp_path):
    rows = [*NATIONAL[:2], {**NATIONAL[2], "source_id": "nobody"}]
    message = _error(tmp_path, national=rows)
    assert "idps_national.csv, line 4, column 'source_id'" in message
    assert "unknown source id 'nobody'" in message


def test_unparseable_value_is_an_error(tmp_path):
    rows = [{**DEPARTMENTS[0], "value_as_written": "lots of people"}]
    message = _error(tmp_path, departments=rows)
    assert "idps_departments.csv, line 2, column 'value_as_written'" in message
    assert "'lots of people'" in message


def test_duplicate_figure_id_is_an_error(tmp_path):
    rows = [*CONTEXT, {**CONTEXT[0]}]
    message = _error(tmp_path, context=rows)
    assert "context.csv, line 5, column 'figure_id'" in message
    assert "used twice" in message


def test_bad_date_and_coverage_are_errors(tmp_path):
    bad_date = [{**NATIONAL[0], "published": "2022-13"}]
    assert "line 2, column 'published'" in _error(tmp_path / "a", national=bad_date)
    bad_cov = [{**NATIONAL[0], "coverage": "everywhere"}]
    assert "line 2, column 'coverage'" in _error(tmp_path / "b", national=bad_cov)
