"""'What changed since the last build': headline numbers, table rows by primary key, sources."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from haiti_report.build.changes import FILENAME, compare_builds, main, write_changes
from haiti_report.build.changes_text import changes_html, changes_markdown, format_changes

PVD_HEADER = (
    "iso3,country,pledged,pledged_low,pledged_high,pledged_qualifier,pledged_as_written,"
    "pledge_date,pledge_figure_ids,pledge_confidence,counted_in_total,deployed,deployed_peak,"
    "first_arrival,deployment_figure_ids,source_ids"
)


def pvd_row(iso3: str, country: str, pledged: int, deployed: int, sources: str) -> str:
    return (
        f"{iso3},{country},{pledged},,,exact,{pledged},2023-10-02,f-{iso3},high,true,"
        f"{deployed},{deployed},2024-06-25,d-{iso3},{sources}"
    )


def make_build(
    path: Path,
    *,
    deployed_ken: int = 400,
    extra_country: bool = False,
    drop_jam: bool = False,
    idps: int = 700000,
    as_of: str = "2024-09-21",
) -> Path:
    rows = [pvd_row("KEN", "Kenya", 1000, deployed_ken, "reuters-1; un-2")]
    if not drop_jam:
        rows.append(pvd_row("JAM", "Jamaica", 200, 24, "ap-3"))
    if extra_country:
        rows.append(pvd_row("SLV", "El Salvador", 8, 8, "efe-4"))
    (path / "data" / "mss").mkdir(parents=True)
    (path / "data" / "displacement").mkdir(parents=True)
    (path / "data" / "mss" / "pledged_vs_deployed.csv").write_text(
        "\n".join([PVD_HEADER, *rows]) + "\n", encoding="utf-8"
    )
    # A table without a schema: compared by whole rows.
    (path / "data" / "mss" / "cleaning_log.csv").write_text(
        "step,table,rule,rows,figure_ids,detail\n"
        f"clean_mss,pledged_vs_deployed,published,{len(rows)},,\n",
        encoding="utf-8",
    )
    # Figures: only rows with status "used" count as sources used.
    (path / "data" / "mss" / "figures.csv").write_text(
        "figure_id,status,source_id\nf-KEN,used,reuters-1\nf-x,after_as_of,later-9\n",
        encoding="utf-8",
    )
    (path / "data" / "displacement" / "idps_national.csv").write_text(
        f"round,idps,source_id\nR5,578074,iom-5\nR7,{idps},iom-7\n", encoding="utf-8"
    )
    countries = [{"iso3": "KEN", "name": "Kenya", "pledged": 1000, "deployed": deployed_ken}]
    if not drop_jam:
        countries.append({"iso3": "JAM", "name": "Jamaica", "pledged": 200, "deployed": 24})
    facts = {
        "as_of": as_of,
        "sources_count": 4,
        "personnel": {
            "pledged_total": 1200,
            "deployed_total": deployed_ken + 24,
            "countries": countries,
        },
        "displacement": {"idps": idps, "reference_date": "2024-06-30", "published": "2024-09-01"},
    }
    (path / "facts.json").write_text(json.dumps(facts), encoding="utf-8")
    return path


@pytest.fixture
def old(tmp_path: Path) -> Path:
    return make_build(tmp_path / "old")


def test_a_changed_raw_figure_is_a_changed_headline_number_and_a_changed_row(old, tmp_path):
    new = make_build(tmp_path / "new", deployed_ken=430)
    result = compare_builds(old, new)
    assert not result["first_build"]
    changed = {c["path"]: (c["old"], c["new"]) for c in result["facts"]["changed"]}
    assert changed == {
        "personnel.deployed_total": (424, 454),
        # Records in a list are matched by their id, not their position.
        "personnel.countries[iso3=KEN].deployed": (400, 430),
    }
    table = result["tables"]["mss/pledged_vs_deployed"]
    assert table["key"] == ["iso3"]  # the primary key of schemas.PledgedVsDeployed
    assert table["added"] == [] and table["removed"] == []
    assert table["changed"] == [
        {
            "key": {"iso3": "KEN"},
            "cells": {
                "deployed": {"old": "400", "new": "430"},
                "deployed_peak": {"old": "400", "new": "430"},
            },
        }
    ]
    # Unchanged tables are left out of the result.
    assert "mss/cleaning_log" not in result["tables"]
    text = format_changes(result)
    assert "personnel.deployed_total: 424 → 454" in text
    assert "mss/pledged_vs_deployed: 0 added, 0 removed, 1 changed" in text


def test_added_and_removed_rows_and_sources(old, tmp_path):
    new = make_build(tmp_path / "new", extra_country=True, drop_jam=True)
    result = compare_builds(old, new)
    table = result["tables"]["mss/pledged_vs_deployed"]
    assert table["added"] == [{"iso3": "SLV"}]
    assert table["removed"] == [{"iso3": "JAM"}]
    assert table["changed"] == []
    facts = result["facts"]
    assert {"path": "personnel.countries[iso3=JAM].deployed", "old": 24} in facts["removed"]
    # The cleaning log has no schema: compared by whole rows (2 published rows → 2: the same).
    assert "mss/cleaning_log" not in result["tables"]
    assert result["sources"]["added"] == ["efe-4"]
    assert result["sources"]["removed"] == ["ap-3"]
    # A figure the as-of date set aside does not count as a source used.
    assert "later-9" not in result["sources"]["added"]
    text = format_changes(result)
    assert "1 added, 1 removed, 0 changed" in text
    assert "sources: 1 new (efe-4)" in text
    assert "sources no longer used: 1 (ap-3)" in text


def test_a_table_without_schema_is_compared_by_whole_rows(old, tmp_path):
    new = make_build(tmp_path / "new", extra_country=True)
    log = compare_builds(old, new)["tables"]["mss/cleaning_log"]
    assert log["key"] is None
    assert log["added"] == [
        {
            "step": "clean_mss",
            "table": "pledged_vs_deployed",
            "rule": "published",
            "rows": "3",
            "figure_ids": None,
            "detail": None,
        }
    ]
    assert [r["rows"] for r in log["removed"]] == ["2"]
    assert log["changed"] == []


def test_first_build_says_so(tmp_path):
    new = make_build(tmp_path / "new")
    result = compare_builds(None, new)
    assert result["first_build"] is True
    assert result["facts"]["changed"] == []
    assert result["tables"]["mss/pledged_vs_deployed"]["status"] == "new"
    assert result["sources"]["added"] == ["ap-3", "iom-5", "iom-7", "reuters-1", "un-2"]
    assert result["sources"]["count"] == {"old": None, "new": 5}
    text = format_changes(result)
    assert text.startswith("First build")
    assert "as of 2024-09-21" in text
    assert "first build" in changes_html(result)
    assert "first build" in changes_markdown(result)


def test_no_change_and_as_of_change(old, tmp_path):
    same = make_build(tmp_path / "same")
    result = compare_builds(old, same)
    assert format_changes(result) == "No changes since the previous build."
    later = make_build(tmp_path / "later", as_of="2025-03-01", idps=1041000)
    text = format_changes(compare_builds(old, later))
    assert "(as of 2024-09-21 → 2025-03-01)" in text
    assert "displacement.idps: 700,000 → 1,041,000" in text
    assert "displacement/idps_national: 0 added, 0 removed, 1 changed" in text


def test_changes_json_is_deterministic(old, tmp_path):
    new = make_build(tmp_path / "new", deployed_ken=430, extra_country=True)
    first = write_changes(compare_builds(old, new), new).read_bytes()
    second = write_changes(compare_builds(old, new), new).read_bytes()
    assert first == second
    assert (new / FILENAME).exists()
    loaded = json.loads(first)
    assert list(loaded) == sorted(loaded)
    assert first.endswith(b"\n") and b"  " in first


def test_tables_that_appear_or_disappear(old, tmp_path):
    new = make_build(tmp_path / "new")
    (new / "data" / "displacement" / "idps_national.csv").unlink()
    (new / "data" / "mss" / "money.csv").write_text("figure_id,source_id\nm1,un-2\n")
    (new / "data" / "mss" / "money.quarantine.csv").write_text("figure_id,source_id\nm2,x\n")
    result = compare_builds(old, new)
    assert result["tables"]["mss/money"]["status"] == "new"
    assert result["tables"]["displacement/idps_national"]["status"] == "removed"
    assert "mss/money.quarantine" not in result["tables"]
    assert result["quarantined"] == {"mss/money": {"old": 0, "new": 1}}
    text = format_changes(result)
    assert "mss/money: new table, 1 rows" in text
    assert "displacement/idps_national: table gone (had 2 rows)" in text
    assert "rows quarantined: mss/money 0 → 1" in text


def test_renderings_escape_strings_from_data(old, tmp_path):
    new = make_build(tmp_path / "new", deployed_ken=430)
    path = new / "data" / "mss" / "pledged_vs_deployed.csv"
    path.write_text(path.read_text().replace("Kenya", "<script>alert(1)</script>"))
    facts = json.loads((new / "facts.json").read_text())
    facts["personnel"]["deployed"] = {
        "anchor_outlet": "<b>bold</b> & *stars*",
        "anchor_date": "2024-09-20",
        "basis": "reported",
    }
    (new / "facts.json").write_text(json.dumps(facts))
    result = compare_builds(old, new)
    page = changes_html(result)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt; &amp; *stars*" in page
    assert page.startswith('<section class="changes">')
    markdown = changes_markdown(result)
    assert "<script>" not in markdown and "<b>" not in markdown
    assert "\\*stars\\*" in markdown


def test_cli_prints_the_summary(old, tmp_path, capsys):
    new = make_build(tmp_path / "new", deployed_ken=430)
    assert main([str(old), str(new)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[1].strip().startswith("In Haiti: 424 → 454")  # the headline, in words, first
    assert "personnel.deployed_total: 424 → 454" in out  # then the details
    assert main([str(old), str(new), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["first_build"] is False


def test_cli_finds_labels_under_reports(tmp_path, capsys):
    root = tmp_path / "project"
    make_build(root / "reports" / ".builds" / "a")
    make_build(root / "reports" / ".builds" / "b", deployed_ken=430)
    (root / "reports" / "2024-09-21").symlink_to(Path(".builds") / "a")
    (root / "reports" / "latest").symlink_to(Path(".builds") / "b")
    assert main(["2024-09-21", "latest", "--root", str(root)]) == 0
    assert "424 → 454" in capsys.readouterr().out


def test_cli_missing_folder_is_a_clear_error_exit_2(old, tmp_path):
    missing = tmp_path / "nope"
    proc = subprocess.run(
        [sys.executable, "-m", "haiti_report.build.changes", str(missing), str(old)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: old build folder not found: {missing}"
    assert "Traceback" not in proc.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "haiti_report.build.changes", str(old), str(empty)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "does not look like a build folder" in proc.stderr


def test_api_rejects_a_missing_new_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="new build folder not found"):
        compare_builds(None, tmp_path / "missing")
