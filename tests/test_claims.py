"""Claims checked against what the data said on the claim's date."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from test_charts import idps_frame, mandates_frame, money_frame, pvd_frame, sources_frame

from haiti_report.clean import claims
from haiti_report.core.errors import InputError

D = dt.date.fromisoformat


def snap(day="2025-12-31", **kw):
    base = dict(pvd=pvd_frame(), mandates=mandates_frame(), money=money_frame(), idps=idps_frame())
    base.update(kw)
    return claims.Snapshot(D(day), **base)


@pytest.mark.parametrize(
    ("metric", "claimed", "expected"),
    [
        ("deployed_kenya", "about 700", "consistent"),  # 735 is within 650–750
        ("deployed_kenya", "about 750", "off by 15 (2%)"),  # "about 750" means 745–755
        ("deployed_kenya", "735", "consistent"),
        ("deployed_kenya", "400", "off by 335 (46%)"),
        ("deployed_total", "at least 800", "consistent"),  # 885
        ("deployed_total", "more than 900", "off by 15 (2%)"),
        ("pledged_kenya", "1,000", "consistent"),
        ("pledged_total", "nearly 2,700", "consistent"),  # 2,650 within 2,600–2,700
        ("pledged_other_countries", "at least 1,600", "consistent"),  # 150 + 1,500
        ("planned_total", "5,550", "consistent"),
        ("idps_national", "more than 1.4 million", "consistent"),
        ("trust_fund_received", "$68m", "consistent"),
        ("trust_fund_pledged", "$100m", "off by $15 million (18%)"),
        ("deployed_share_of_planned", "about 16%", "consistent"),  # 885 / 5,550 = 15.9%
    ],
)
def test_verdicts(metric, claimed, expected):
    said = claims.data_said(snap(), metric)
    assert claims.verdict(claimed, metric, said)[0] == expected


def test_not_checkable_says_why():
    empty = snap(idps=idps_frame().clear(), money=money_frame().clear())
    text, diff = claims.verdict(
        "about 700,000", "idps_national", claims.data_said(empty, "idps_national")
    )
    assert text == "not checkable: no IOM count published by then" and diff is None
    text, _ = claims.verdict("11%", "share_received", claims.data_said(empty, "share_received"))
    assert text.startswith("not checkable")


def test_qualified_data_overlapping_the_claim_is_consistent():
    money = money_frame().with_columns(
        pl.when(pl.col("figure_id") == "FUN-022b")
        .then(pl.lit("less_than"))
        .otherwise(pl.col("qualifier"))
        .alias("qualifier"),
        pl.when(pl.col("figure_id") == "FUN-022b")
        .then(pl.lit("under $100m"))
        .otherwise(pl.col("value_as_written"))
        .alias("value_as_written"),
        pl.when(pl.col("figure_id") == "FUN-022b")
        .then(100_000_000.0)
        .otherwise(pl.col("value"))
        .alias("value"),
    )
    said = claims.data_said(snap(money=money), "trust_fund_received")
    assert claims.verdict("$85m", "trust_fund_received", said)[0] == "consistent"


def _write_claims(tmp_path, rows):
    header = "claim_id,claim_date,claimant,claim_text,metric,value_as_written,source_id,note\n"
    (tmp_path / "claims.csv").write_text(header + "".join(r + "\n" for r in rows))
    return tmp_path


def test_load_and_check_uses_the_claims_own_date(tmp_path):
    raw = _write_claims(
        tmp_path,
        [
            'C1,2024-09-21,AP,"About 400 Kenyans had arrived.",deployed_kenya,'
            "about 400,ap-2024-06,",
            'C2,2025-06,Ruto,"Under 40% of 2,500 were in Haiti.",deployed_share_of_planned,'
            "under 40%,ap-2024-07,",
            'C3,2026-01-05,Later,"Too late.",deployed_total,"1,000",ap-2024-07,',
        ],
    )
    loaded = claims.load_claims(raw, sources_frame())
    assert loaded["claim_day"].to_list() == [D("2024-09-21"), D("2025-06-30"), D("2026-01-05")]
    seen = []

    def snapshot(day):
        seen.append(day)
        return snap(day=day.isoformat())

    table = claims.check_claims(loaded, snapshot, "2025-12-31")
    assert table["claim_id"].to_list() == ["C1", "C2"]  # C3 is after the as-of date
    assert seen == [D("2024-09-21"), D("2025-06-30")]
    assert set(table.columns) >= {
        "claim",
        "date",
        "claimant",
        "claimed",
        "data_said",
        "verdict",
        "claim_source",
        "data_sources",
    }
    assert table["status"].to_list() == ["off", "consistent"]


def test_unknown_source_id_or_metric_is_an_input_error(tmp_path):
    raw = _write_claims(tmp_path, ["C1,2024-09-21,AP,x,deployed_kenya,400,no-such-source,"])
    with pytest.raises(InputError, match="unknown source id"):
        claims.load_claims(raw, sources_frame())
    raw = _write_claims(tmp_path, ["C1,2024-09-21,AP,x,deployed_everyone,400,ap-2024-06,"])
    with pytest.raises(InputError, match="unknown metric"):
        claims.load_claims(raw, sources_frame())
