"""facts.json: built from the processed tables, valid against the published schema, stable."""

from __future__ import annotations

import json

import jsonschema
import polars as pl
import pytest
from test_charts import (
    departments_frame,
    idps_frame,
    mandates_frame,
    money_frame,
    pvd_frame,
    timeline_frame,
)

from haiti_report.report import facts


def processed(**override) -> facts.Processed:
    figures = pl.DataFrame(
        {
            "figure_id": ["A", "B", "C"],
            "status": ["used", "used", "set_aside"],
            "source_id": ["ap-2024-06", "ap-2024-06; efe-2025-01", "kbc-x"],
        }
    )
    tables = {
        "figures": figures,
        "pvd": pvd_frame(),
        "timeline": timeline_frame(),
        "strength": pl.DataFrame(),
        "mandates": mandates_frame(),
        "money": money_frame(),
        "idps": idps_frame(),
        "departments": departments_frame(),
        "context": pl.DataFrame({"figure_id": ["X"], "source_id": ["iom-r1"]}),
    }
    tables.update(override)
    return facts.Processed(tables)


def test_facts_from_tables_and_valid_against_schema():
    f = facts.build_facts(processed(), "2025-12-31")
    facts.validate_facts(f)
    p = f["personnel"]
    assert p["pledged_total"] == 2650  # Senegal's low-confidence 350 is listed, not counted
    assert p["deployed_total"] == 885
    assert p["deployed_peak"] == {"value": 894, "date": "2025-01-18"}
    assert p["planned_total"] == 5550 and p["planned"]["kind"] == "ceiling"
    assert p["countries_pledging"] == 5 and p["countries_sent"] == 2
    brb = next(c for c in p["countries"] if c["iso3"] == "BRB")
    assert brb["pledged"] is None and brb["deployed"] == 0
    assert [c["iso3"] for c in p["countries"]] == sorted(c["iso3"] for c in p["countries"])
    d = f["displacement"]
    assert (d["idps"], d["round"], d["reference_date"]) == (1412199, "R11", "2025-06-30")
    assert d["first"]["idps"] == 113582
    assert d["at_mission_start"]["round"] == "R5"  # last round before resolution 2699
    assert f["funding"]["trust_fund_received_usd"] == 68_000_000
    assert f["funding"]["trust_fund_pledged_date"] == "2024-10-11"
    # used MSS figures + displacement rows; the set-aside figure's source is not counted
    assert f["sources_count"] == len(
        {"ap-2024-06", "efe-2025-01", "iom-r1", "iom-r5", "iom-r8", "iom-r11"}
    )
    assert f["mission"]["short"] == "GSF"


def test_planning_figure_in_force_before_the_gsf():
    f = facts.build_facts(processed(), "2024-09-21")
    assert f["personnel"]["planned_total"] == 2500
    assert f["mission"]["short"] == "MSS"
    assert f["personnel"]["deployed_total"] == 885  # pvd is the cleaning's, at its as_of


def test_schema_rejects_broken_facts():
    f = facts.build_facts(processed(), "2025-12-31")
    f["personnel"]["deployed_total"] = -1
    with pytest.raises(jsonschema.ValidationError):
        facts.validate_facts(f)
    with pytest.raises(jsonschema.ValidationError):
        facts.write_facts({"as_of": "2025-12-31"}, "/nonexistent/facts.json")


def test_written_deterministically(tmp_path):
    a = facts.write_facts(facts.build_facts(processed(), "2025-12-31"), tmp_path / "a.json")
    b = facts.write_facts(facts.build_facts(processed(), "2025-12-31"), tmp_path / "b.json")
    assert a.read_bytes() == b.read_bytes()
    text = a.read_text()
    assert text.endswith("\n") and json.loads(text)["as_of"] == "2025-12-31"
    assert list(json.loads(text)) == sorted(json.loads(text))


def test_no_displacement_yet_still_valid():
    empty = idps_frame().clear()
    f = facts.build_facts(processed(idps=empty), "2022-01-01")
    facts.validate_facts(f)
    assert f["displacement"]["round"] is None and f["displacement"]["newest"] is None


def test_read_processed_round_trips_csv(tmp_path):
    from haiti_report.clean.tables import write_csv

    data = tmp_path / "data"
    write_csv(pvd_frame(), data / "mss" / "pledged_vs_deployed.csv")
    write_csv(idps_frame(), data / "displacement" / "idps_national.csv")
    p = facts.read_processed(tmp_path)
    assert p.pvd.height == pvd_frame().height
    assert p.pvd.schema["first_arrival"] == pl.Date
    assert p.idps["idps"].to_list() == idps_frame()["idps"].to_list()
    assert p.timeline.height == 0  # missing files read as empty tables
