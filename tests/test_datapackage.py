"""datapackage.json: a Frictionless Data Package of each build's CSVs, checked with frictionless."""

from __future__ import annotations

import json
import re
from pathlib import Path

import dataframely as dy
import polars as pl
import pytest

from haiti_report.build.datapackage import (
    DATA_LICENSE,
    FILENAME,
    schema_class_name,
    schema_for_table,
    write_datapackage,
)
from haiti_report.clean.tables import CleaningLog, write_table
from haiti_report.core import schemas
from haiti_report.raw.sources import IOM_DTM_CREDIT

frictionless = pytest.importorskip("frictionless")

SOURCES = pl.DataFrame(
    {
        "source_id": ["reuters-1", "un-2", "iom-7", "note-8", "unused-9"],
        "outlet": ["Reuters", "UN Security Council", "IOM DTM", "Project note", "Nobody"],
        "url": [
            "https://www.reuters.com/x",
            "http://press.un.org/y",
            "https://dtm.iom.int/z",
            "data/raw/notes.md",
            "https://example.org/unused",
        ],
    }
)


def non_empty_strings(frame: pl.DataFrame) -> pl.DataFrame:
    """A CSV cannot tell an empty string from a missing value: keep generated strings non-empty."""
    return frame.with_columns(
        pl.when(pl.col(c) == "").then(pl.lit("x")).otherwise(pl.col(c)).alias(c)
        for c, dtype in frame.schema.items()
        if dtype == pl.String
    )


def sample(schema: type[dy.Schema], rows: int, **overrides: list) -> pl.DataFrame:
    """Valid rows for ``schema`` (whatever columns it has today), with the cells the tests
    look at fixed."""
    frame = schema.sample(
        num_rows=rows, overrides=overrides or None, generator=dy.random.Generator(seed=7)
    )
    valid, _ = schema.filter(non_empty_strings(frame), cast=True)
    assert valid.height == rows
    return valid


@pytest.fixture
def build(tmp_path: Path) -> Path:
    """A small build folder: two schema tables, a quarantine file, a log, chart data."""
    root = tmp_path / "build"
    log = CleaningLog("test")
    pledged = sample(
        schemas.PledgedVsDeployed,
        2,
        iso3=["KEN", "JAM"],
        country=["Kenya", "Jamaica"],
        in_haiti=[400, 24],
        source_ids=["reuters-1; un-2", "un-2"],
    )
    bad = pledged.head(1).with_columns(
        pl.lit(-5, dtype=pl.Int64).alias("in_haiti"), pl.lit("XX").alias("iso3")
    )
    write_table(
        pl.concat([pledged, bad]),
        schemas.PledgedVsDeployed,
        root / "data" / "mss",
        "pledged_vs_deployed",
        log,
    )
    log.write(root / "data" / "mss")
    idps = sample(schemas.IdpsNational, 2, idps=[578074, 702973], source_id=["iom-7", "iom-7"])
    write_table(
        idps,
        schemas.IdpsNational,
        root / "data" / "displacement",
        "idps_national",
        CleaningLog("test"),
    )
    (root / "figures").mkdir()
    (root / "figures" / "pledged_vs_deployed.csv").write_text(
        "country,measure,people,date,in_total\nKenya,deployed,400,2024-06-25,true\n"
        "Jamaica,deployed,24,2024-07-18,false\n",
        encoding="utf-8",
    )
    (root / "figures" / "pledged_vs_deployed.svg").write_text("<svg/>", encoding="utf-8")
    (root / "facts.json").write_text(json.dumps({"as_of": "2024-09-21"}), encoding="utf-8")
    return root


def errors(report) -> list[tuple[str, str | None, str]]:
    """(resource path, field, error type) for every error of a validation report."""
    found = [("package", None, e.type) for e in report.errors]
    for task in report.tasks:
        found += [(task.place, getattr(e, "field_name", None), e.type) for e in task.errors]
    return found


def resources(package: dict) -> dict[str, dict]:
    return {r["path"]: r for r in package["resources"]}


def test_package_is_valid_and_describes_every_published_csv(build):
    assert (build / "data" / "mss" / "pledged_vs_deployed.quarantine.csv").exists()
    assert pl.read_csv(build / "data" / "mss" / "pledged_vs_deployed.csv").height == 2
    path = write_datapackage(build, SOURCES)
    assert path == build / FILENAME
    report = frictionless.validate(str(path))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])

    package = json.loads(path.read_text(encoding="utf-8"))
    by_path = resources(package)
    assert sorted(by_path) == [
        "data/displacement/idps_national.csv",
        "data/mss/cleaning_log.csv",
        "data/mss/pledged_vs_deployed.csv",
        "figures/pledged_vs_deployed.csv",
    ]  # quarantine files are not published
    names = [r["name"] for r in package["resources"]]
    assert len(set(names)) == len(names)
    for resource in package["resources"]:
        assert not Path(resource["path"]).is_absolute()
        assert resource["title"] and resource["description"]


def test_fields_come_from_the_dataframely_schema(build):
    package = json.loads(write_datapackage(build, SOURCES).read_text(encoding="utf-8"))
    pledged = resources(package)["data/mss/pledged_vs_deployed.csv"]
    fields = {f["name"]: f for f in pledged["schema"]["fields"]}
    assert list(fields) == list(schemas.PledgedVsDeployed.columns())
    assert pledged["schema"]["primaryKey"] == ["iso3"]
    assert fields["iso3"]["type"] == "string"
    assert fields["iso3"]["constraints"] == {"required": True, "pattern": "^[A-Z]{3}$"}
    assert fields["pledged"]["type"] == "integer"
    assert fields["pledged"]["constraints"] == {"minimum": 0}  # nullable: not required
    assert fields["counted"]["type"] == "boolean"
    assert fields["first_arrival"]["type"] == "date"
    assert fields["pledged_qualifier"]["constraints"]["enum"] == schemas.QUALIFIERS
    # Descriptions: the class docstring and each column's description= in core/schemas.py.
    first_line = schemas.PledgedVsDeployed.__doc__.strip().splitlines()[0]
    assert pledged["description"].startswith(first_line)
    columns = schemas.PledgedVsDeployed.columns()
    described = {name: f["description"] for name, f in fields.items() if "description" in f}
    assert described, "no column description of PledgedVsDeployed reached the package"
    for name, text in described.items():
        assert columns[name].description == text, name

    idps = resources(package)["data/displacement/idps_national.csv"]
    idps_fields = {f["name"]: f for f in idps["schema"]["fields"]}
    assert idps["schema"]["primaryKey"] == ["round"]
    assert idps_fields["idps"]["type"] == "integer"
    assert idps_fields["reference_period_end"]["type"] == "date"
    assert idps_fields["departments_covered"]["constraints"] == {"minimum": 1, "maximum": 10}


def test_tables_without_a_schema_and_chart_data_get_inferred_types(build):
    package = json.loads(write_datapackage(build, SOURCES).read_text(encoding="utf-8"))
    log = resources(package)["data/mss/cleaning_log.csv"]
    assert {f["name"]: f["type"] for f in log["schema"]["fields"]}["rows"] == "integer"
    assert "primaryKey" not in log["schema"]
    chart = resources(package)["figures/pledged_vs_deployed.csv"]
    assert {f["name"]: f["type"] for f in chart["schema"]["fields"]} == {
        "country": "string",
        "measure": "string",
        "people": "integer",
        "date": "date",
        "in_total": "boolean",
    }
    assert "figures/pledged_vs_deployed.svg" in chart["description"]
    assert chart["title"].startswith("Chart data")


def test_licence_sources_and_credit(build):
    package = json.loads(write_datapackage(build, SOURCES).read_text(encoding="utf-8"))
    assert package["licenses"] == [DATA_LICENSE]
    assert package["licenses"][0]["path"] == "https://creativecommons.org/licenses/by/4.0/"
    assert IOM_DTM_CREDIT in package["description"]
    assert "2024-09-21" in package["description"]
    # Only the sources the rows name; a path only for web addresses.
    assert package["sources"] == [
        {"title": "IOM DTM", "path": "https://dtm.iom.int/z"},
        {"title": "Reuters", "path": "https://www.reuters.com/x"},
        {"title": "UN Security Council", "path": "http://press.un.org/y"},
    ]


def test_a_local_source_address_is_not_a_path(build):
    chart = build / "figures" / "pledged_vs_deployed.csv"
    chart.write_text("country,people,source_id\nKenya,400,note-8\n", encoding="utf-8")
    package = json.loads(write_datapackage(build, SOURCES).read_text(encoding="utf-8"))
    assert {"title": "Project note"} in package["sources"]


def test_output_is_deterministic(build):
    first = write_datapackage(build, SOURCES).read_bytes()
    second = write_datapackage(build, SOURCES.reverse()).read_bytes()
    assert first == second
    text = first.decode()
    assert text.endswith("}\n") and '\n  "' in text
    assert list(json.loads(text)) == sorted(json.loads(text))


def test_a_csv_that_breaks_its_declared_types_is_reported(build):
    table = build / "data" / "mss" / "pledged_vs_deployed.csv"
    frame = pl.read_csv(table, infer_schema=False)
    frame.with_columns(
        pl.when(pl.col("iso3") == "KEN")
        .then(pl.lit("four hundred"))
        .otherwise("in_haiti")
        .alias("in_haiti")
    ).write_csv(table)
    path = write_datapackage(build, SOURCES)  # described after the edit: hashes match
    report = frictionless.validate(str(path))
    assert not report.valid
    assert errors(report) == [("data/mss/pledged_vs_deployed.csv", "in_haiti", "type-error")]


def test_an_edit_after_writing_breaks_the_recorded_hash(build):
    path = write_datapackage(build, SOURCES)
    table = build / "data" / "displacement" / "idps_national.csv"
    table.write_text(table.read_text(encoding="utf-8").replace("578074", "578075"))
    report = frictionless.validate(str(path))
    assert not report.valid
    assert ("data/displacement/idps_national.csv", None, "hash-count") in errors(report)


def test_a_rule_broken_in_the_file_is_reported(build):
    table = build / "data" / "mss" / "pledged_vs_deployed.csv"
    table.write_text(table.read_text(encoding="utf-8").replace("KEN,", "Kenya,", 1))
    report = frictionless.validate(str(write_datapackage(build, SOURCES)))
    assert errors(report) == [("data/mss/pledged_vs_deployed.csv", "iso3", "constraint-error")]


def schema_classes() -> list[type[dy.Schema]]:
    return [
        obj
        for obj in vars(schemas).values()
        if isinstance(obj, type) and issubclass(obj, dy.Schema) and obj is not dy.Schema
    ]


def test_every_schema_class_is_found_by_its_table_name():
    for schema in schema_classes():
        table = re.sub(r"(?<!^)(?=[A-Z])", "_", schema.__name__).lower()
        assert schema_class_name(table) == schema.__name__
        assert schema_for_table(table) is schema
    assert schema_for_table("cleaning_log") is None
    assert schema_for_table("qualifiers") is None  # a constant, not a schema


def test_rows_valid_for_every_schema_are_valid_for_frictionless(tmp_path):
    """Rows dataframely generates for each schema, written like the build writes them,
    pass the package's declared types and rules: the two descriptions agree."""
    root = tmp_path / "build"
    for schema in schema_classes():
        table = re.sub(r"(?<!^)(?=[A-Z])", "_", schema.__name__).lower()
        frame = schema.sample(num_rows=12, generator=dy.random.Generator(seed=7))
        # A CSV cannot tell an empty string from a missing value; keep strings non-empty.
        frame = frame.with_columns(
            pl.when(pl.col(c) == "").then(pl.lit("x")).otherwise(pl.col(c)).alias(c)
            for c, dtype in frame.schema.items()
            if dtype == pl.String
        )
        valid, _ = schema.filter(frame, cast=True)
        write_table(valid, schema, root / "data" / "all", table, CleaningLog("test"))
    report = frictionless.validate(str(write_datapackage(root, SOURCES)))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
