"""Charts: house style, titles from data, one generated source line, deterministic files.

The synthetic tables below follow schemas.py (the contract with the cleaning notebooks); the
facts and claims tests import them too.
"""

from __future__ import annotations

import datetime as dt
import json

import altair as alt
import polars as pl
import pytest

from haiti_report.core import schemas
from haiti_report.report import charts

D = dt.date.fromisoformat
AS_OF = "2025-12-31"


def sources_frame() -> pl.DataFrame:
    rows = [
        (
            "un-2699",
            "UN Security Council",
            "https://press.un.org/2023/sc15432.doc.htm",
            "2023-10-02",
            "un",
        ),  # noqa: E501
        (
            "un-2751",
            "UN Security Council",
            "https://press.un.org/2024/sc15838.doc.htm",
            "2024-09-30",
            "un",
        ),  # noqa: E501
        (
            "un-2793",
            "UN Security Council",
            "https://press.un.org/2025/sc16000.doc.htm",
            "2025-09-30",
            "un",
        ),  # noqa: E501
        ("ap-2024-06", "AP", "https://apnews.com/a", "2024-06-25", "wire"),
        ("ap-2024-07", "AP", "https://apnews.com/b", "2024-07-16", "wire"),
        ("efe-2025-01", "EFE", "https://efe.com/c", "2025-01-04", "wire"),
        ("kbc-2025-01", "KBC", "https://kbc.co.ke/d", "2025-01-18", "newspaper"),
        ("reuters-2024-02", "Reuters", "https://reuters.com/e", "2024-02-29", "wire"),
        ("ap-2024-10", "AP", "https://apnews.com/f", "2024-10-11", "wire"),
        ("iom-r1", "IOM DTM", "https://dtm.iom.int/r1", "2022-09-15", "dataset"),
        ("iom-r5", "IOM DTM", "https://dtm.iom.int/r5", "2023-10-01", "dataset"),
        ("iom-r8", "IOM DTM", "https://dtm.iom.int/r8", "2024-09-01", "dataset"),
        ("iom-r11", "IOM DTM", "https://dtm.iom.int/r11", "2025-07-01", "dataset"),
        (
            "evil",
            "<script>alert(1)</script> News",
            "javascript:alert(1)",
            "2024-01-01",
            "newspaper",
        ),  # noqa: E501
    ]
    frame = pl.DataFrame(
        rows, schema=["source_id", "outlet", "url", "published", "kind"], orient="row"
    )
    return frame.with_columns(
        pl.col("published").str.to_date().alias("published_first"),
        pl.col("published").str.to_date().alias("published_last"),
        pl.col("url").str.contains(r"^https?://").alias("is_web_link"),
        pl.lit("title").alias("title"),
    )


def pvd_frame() -> pl.DataFrame:
    rows = [
        dict(
            iso3="KEN",
            country="Kenya",
            pledged=1000,
            pledged_low=1000,
            pledged_high=1000,
            pledged_qualifier="exact",
            pledged_as_written="1,000",
            pledge_date="2023-07-29",
            pledge_figure_ids="PLG-002",
            deployed=735,
            deployed_peak=744,
            first_arrival=D("2024-06-25"),
            deployment_figure_ids="DEP-001; DEP-005",
            pledge_confidence="high",
            counted_in_total=True,
            source_ids="ap-2024-06; ap-2024-07",
        ),
        dict(
            iso3="GTM",
            country="Guatemala",
            pledged=150,
            pledged_low=150,
            pledged_high=150,
            pledged_qualifier="exact",
            pledged_as_written="150",
            pledge_date="2024-09-24",
            pledge_figure_ids="PLG-028",
            deployed=150,
            deployed_peak=150,
            first_arrival=D("2025-01-03"),
            deployment_figure_ids="DEP-010",
            pledge_confidence="high",
            counted_in_total=True,
            source_ids="efe-2025-01",
        ),
        dict(
            iso3="BEN",
            country="Benin",
            pledged=1500,
            pledged_low=1450,
            pledged_high=1550,
            pledged_qualifier="about",
            pledged_as_written="about 1,500",
            pledge_date="2024-02-29",
            pledge_figure_ids="PLG-015",
            deployed=0,
            deployed_peak=0,
            first_arrival=None,
            deployment_figure_ids=None,
            source_ids="reuters-2024-02",
            pledge_confidence="high",
            counted_in_total=True,
        ),
        dict(
            iso3="SEN",
            country="Senegal",
            pledged=350,
            pledged_low=350,
            pledged_high=350,
            pledged_qualifier="exact",
            pledged_as_written="350",
            pledge_date="2023-11",
            pledge_figure_ids="PLG-008",
            deployed=0,
            deployed_peak=0,
            first_arrival=None,
            deployment_figure_ids=None,
            source_ids="efe-2025-01",
            pledge_confidence="low",
            counted_in_total=False,
        ),
        dict(
            iso3="BRB",
            country="Barbados",
            pledged=None,
            pledged_low=None,
            pledged_high=None,
            pledged_qualifier=None,
            pledged_as_written=None,
            pledge_date="2023-09",
            pledge_figure_ids="PLG-006",
            deployed=0,
            deployed_peak=0,
            first_arrival=None,
            deployment_figure_ids=None,
            source_ids="reuters-2024-02",
            pledge_confidence="high",
            counted_in_total=False,
        ),
    ]
    return conform(schemas.PledgedVsDeployed, rows)


def timeline_frame() -> pl.DataFrame:
    rows = [
        (D("2024-06-25"), "KEN", "DEP-001", "Kenya", "arrival", 200, 200, "ap-2024-06"),
        (D("2024-07-16"), "KEN", "DEP-005", "Kenya", "arrival", 200, 400, "ap-2024-07"),
        (D("2025-01-03"), "GTM", "DEP-010", "Guatemala", "arrival", 150, 150, "efe-2025-01"),
        (D("2025-01-18"), "KEN", "DEP-013", "Kenya", "arrival", 344, 744, "kbc-2025-01"),
        (D("2025-09-01"), "KEN", "DPT-001", "Kenya", "departure", -9, 735, "kbc-2025-01"),
    ]
    frame = pl.DataFrame(
        rows,
        schema=["date", "iso3", "figure_id", "country", "event", "change", "in_haiti", "source_id"],
        orient="row",
    )
    return conform(schemas.PersonnelTimeline, frame.to_dicts())


def mandates_frame() -> pl.DataFrame:
    rows = [
        (
            "MAN-001",
            D("2023-10-02"),
            "authorisation",
            "Full text of resolution 2699",
            None,
            None,
            "un-2699",
        ),  # noqa: E501
        (
            "MAN-008",
            D("2024-02-29"),
            "planning_figure",
            "Biden: the mission was to reach 2,500",
            2500,
            "2,500",
            "reuters-2024-02",
        ),
        (
            "MAN-011",
            D("2024-07-16"),
            "planning_figure",
            "SCR: up to 2,500",
            2500,
            "up to 2,500",
            "ap-2024-07",
        ),
        (
            "MAN-003",
            D("2023-11-16"),
            "authorisation",
            "Kenya's parliament: 1,000 police",
            1000,
            "1,000",
            "ap-2024-06",
        ),
        (
            "MAN-009",
            D("2024-09-30"),
            "authorisation",
            "Resolution 2751 text",
            None,
            None,
            "un-2751",
        ),  # noqa: E501
        (
            "MAN-020",
            D("2025-09-30"),
            "authorisation",
            "Wire summary of resolution 2793",
            None,
            None,
            "un-2793",
        ),  # noqa: E501
        ("MAN-021", D("2025-09-30"), "ceiling", "GSF cap of 5,550", 5550, "5,550", "un-2793"),
        (
            "MAN-017",
            D("2025-10-02"),
            "transition",
            "MSS authorisation lapses; GSF takes over",
            None,
            None,
            "un-2793",
        ),
    ]
    frame = pl.DataFrame(
        rows,
        schema=["figure_id", "date", "measure", "label", "value", "value_as_written", "source_id"],
        orient="row",
    )
    return conform(schemas.Mandates, frame.to_dicts())


def money_frame() -> pl.DataFrame:
    rows = [
        (
            "FUN-007",
            D("2024-02-29"),
            "trust_fund_received",
            "UN trust fund (all donors)",
            "usd",
            10_800_000.0,
            None,
            None,
            "exact",
            "$10.8m",
            "reuters-2024-02",
        ),
        (
            "FUN-022a",
            D("2024-10-11"),
            "trust_fund_pledged",
            "UN trust fund (all donors)",
            "usd",
            85_000_000.0,
            None,
            None,
            "exact",
            "$85m",
            "ap-2024-10",
        ),
        (
            "FUN-022b",
            D("2024-10-11"),
            "trust_fund_received",
            "UN trust fund (all donors)",
            "usd",
            68_000_000.0,
            None,
            None,
            "exact",
            "$68m",
            "ap-2024-10",
        ),
        (
            "FUN-019",
            D("2024-06-26"),
            "trust_fund_pledged",
            "Canada",
            "cad",
            5_700_000.0,
            None,
            None,
            "exact",
            "C$5.7m",
            "ap-2024-06",
        ),
    ]
    frame = pl.DataFrame(
        rows,
        schema=[
            "figure_id",
            "date",
            "measure",
            "donor",
            "currency",
            "value",
            "low",
            "high",
            "qualifier",
            "value_as_written",
            "source_id",
        ],
        orient="row",
    )
    return conform(schemas.Money, frame.to_dicts())


def conform(schema, rows: list[dict]) -> pl.DataFrame:
    """Rows -> a frame valid under ``schema``; columns a test does not care about get null (or
    a neutral value where the schema forbids null), so the fixtures follow the contract."""
    frame = pl.DataFrame(rows, infer_schema_length=None)
    defaults = {pl.String: "n/a", pl.Boolean: False, pl.Int64: 0, pl.Float64: 0.0}
    for name, col in schema.columns().items():
        if name in frame.columns:
            continue
        value = None if col.nullable else defaults.get(col.dtype.base_type())
        if isinstance(col.dtype, pl.Enum):
            value = None if col.nullable else col.dtype.categories[0]
        frame = frame.with_columns(pl.lit(value).cast(col.dtype).alias(name))
    return schema.validate(frame.select(list(schema.columns())), cast=True)


def idps_frame() -> pl.DataFrame:
    def row(rnd, end, pub, coverage, depts, idps, written, qualifier, fig, src, changed):
        return dict(
            round=rnd,
            reference_period_end=D(end),
            published=D(pub),
            dated_by="published",
            coverage=coverage,
            departments_covered=depts,
            coverage_changed=changed,
            idps=idps,
            idps_as_written=written,
            qualifier=qualifier,
            basis="fact base",
            figure_id=fig,
            source_id=src,
        )

    rows = [
        row(
            "R1",
            "2022-08-31",
            "2022-09-15",
            "capital_and_grand_sud",
            4,
            113582,
            "113 mille 582",
            "exact",
            "HTI-001",
            "iom-r1",
            False,
        ),
        row(
            "R5",
            "2023-09-30",
            "2023-10-01",
            "capital_and_grand_sud",
            4,
            200_000,
            "about 200,000",
            "about",
            "HTI-010",
            "iom-r5",
            False,
        ),
        row(
            "R8",
            "2024-08-31",
            "2024-09-01",
            "all_departments",
            10,
            702_973,
            "702,973",
            "exact",
            "HTI-020",
            "iom-r8",
            True,
        ),
        row(
            "R11",
            "2025-06-30",
            "2025-07-01",
            "all_departments",
            10,
            1_412_199,
            "1,412,199",
            "exact",
            "HTI-030",
            "iom-r11",
            False,
        ),
    ]
    return conform(schemas.IdpsNational, rows)


def departments_frame() -> pl.DataFrame:
    rows = []
    for rnd, end, src, scale in (
        ("R8", "2024-08-31", "iom-r8", 1),
        ("R11", "2025-06-30", "iom-r11", 2),
    ):
        for pcode, name, n in (
            ("HT01", "Ouest", 300_000),
            ("HT02", "Sud-Est", 20_000),
            ("HT04", "Centre", 150_000),
            ("HT05", "Artibonite", 90_000),
        ):
            rows.append(
                dict(
                    round=rnd,
                    pcode=pcode,
                    department=name,
                    reference_period_end=D(end),
                    published=D(end),
                    dated_by="published",
                    idps=n * scale,
                    qualifier="exact",
                    idps_as_written=str(n * scale),
                    basis="fact base",
                    figure_id=f"{rnd}-{pcode}",
                    source_id=src,
                )
            )
    return conform(schemas.IdpsDepartments, rows)


@pytest.fixture
def tables():
    return {
        "sources": sources_frame(),
        "pvd": pvd_frame(),
        "timeline": timeline_frame(),
        "mandates": mandates_frame(),
        "money": money_frame(),
        "idps": idps_frame(),
        "departments": departments_frame(),
    }


def _all_made(t):
    s = t["sources"]
    return {
        "pledged_vs_deployed": charts.pledged_vs_deployed(t["pvd"], s, as_of=AS_OF),
        "personnel": charts.personnel_over_time(t["timeline"], t["mandates"], s, as_of=AS_OF),
        "displacement": charts.displacement_by_round(t["idps"], s, as_of=AS_OF),
        "departments": charts.displacement_by_department(t["departments"], s),
        "two_stories": charts.two_stories(t["timeline"], t["idps"], s, as_of=AS_OF),
        "money": charts.trust_fund(t["money"], s, as_of=AS_OF),
    }


def _walk(node, key):
    """Every value stored under ``key`` anywhere in a spec."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from _walk(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v, key)


def test_house_theme_is_registered_once_and_active():
    charts.use_house_style()
    charts.use_house_style()
    assert alt.theme.active == charts.THEME
    assert alt.theme.names().count(charts.THEME) == 1
    config = alt.Chart(pl.DataFrame({"a": [1]})).mark_point().to_dict()["config"]
    assert config["range"]["category"][:3] == list(charts.OKABE_ITO[:3])
    assert config["axisQuantitative"]["format"] == ",.0f"
    assert config["axisTemporal"]["format"] == "%b %Y"


def test_every_chart_has_title_subtitle_description_tooltip_and_source_line(tables):
    for name, (chart, data, alt_text) in _all_made(tables).items():
        spec = chart.to_dict()
        assert spec["title"]["text"] and spec["title"]["subtitle"], name
        assert spec["description"] == alt_text and len(alt_text) > 40, name
        assert list(_walk(spec, "tooltip")), f"{name}: no tooltip"
        footer = charts.footer_lines(chart)
        assert footer[0].startswith("Source"), name
        assert sum(line.startswith("Source") for line in footer) == 1, name
        assert isinstance(data, pl.DataFrame) and data.height > 0, name
        assert data.height <= 5000


def test_source_line_names_exactly_the_outlets_plotted(tables):
    chart, data, _ = charts.pledged_vs_deployed(tables["pvd"], tables["sources"], as_of=AS_OF)
    text = " ".join(charts.footer_lines(chart))
    assert "AP" in text and "EFE" in text and "Reuters" in text
    assert "IOM" not in text and "UN Security Council" not in text
    chart, _, _ = charts.displacement_by_round(tables["idps"], tables["sources"], as_of=AS_OF)
    text = " ".join(charts.footer_lines(chart))
    assert (
        "International Organization for Migration (IOM), Displacement Tracking Matrix (DTM)"
    ) in text
    assert "AP" not in text.replace("Map", "")


def test_pledged_vs_deployed_title_is_computed_and_unspecified_is_not_zero(tables):
    chart, data, alt_text = charts.pledged_vs_deployed(
        tables["pvd"], tables["sources"], as_of=AS_OF
    )
    title = " ".join(chart.to_dict()["title"]["text"])
    # 885 in Haiti of 2,650 pledged (1,000 + 150 + 1,500; Senegal's low-confidence 350 is
    # listed, not counted) = 33%; 2 of 5 pledging countries had sent anyone.
    assert "885" in title and "2,650" in title and "33%" in title and "2 of 5" in title
    senegal = data.filter(pl.col("iso3") == "SEN").row(0, named=True)
    assert senegal["pledged"] == 350 and "not in total" in senegal["pledged_label"]
    barbados = data.filter(pl.col("iso3") == "BRB").row(0, named=True)
    assert barbados["pledged"] is None and barbados["pledged_label"] == "unspecified"
    assert "Barbados: pledged unspecified" in alt_text
    assert "about 1,500" in data.filter(pl.col("iso3") == "BEN")["pledged_label"][0]
    assert "pledged, number unspecified" in json.dumps(chart.to_dict())


def test_personnel_chart_marks_levels_and_resolutions_from_data(tables):
    chart, data, alt_text = charts.personnel_over_time(
        tables["timeline"], tables["mandates"], tables["sources"], as_of=AS_OF
    )
    levels = data.filter(pl.col("layer") == "level")
    assert levels["value"].to_list() == [2500, 5550]
    assert levels["date_end"].to_list() == [D("2025-09-30"), D(AS_OF)]
    events = data.filter(pl.col("layer") == "event")["label"].to_list()
    assert events == ["Res. 2699", "First arrival", "Res. 2751", "Res. 2793"]
    title = " ".join(chart.to_dict()["title"]["text"])
    assert "885" in title and "5,550" in title and "16%" in title and "peak of 894" in title
    # Step grid: the count on as_of equals the last in_haiti per country.
    last = data.filter((pl.col("layer") == "personnel") & (pl.col("date") == D(AS_OF)))
    assert int(last["value"].sum()) == 885
    footer = " ".join(charts.footer_lines(chart))
    assert "UN Security Council" in footer and "AP" in footer


def test_presence_grid_groups_small_countries():
    rows = [
        (
            D(f"2025-01-0{i + 1}"),
            iso,
            f"F{i}",
            name,
            "arrival",
            10 * (9 - i),
            10 * (9 - i),
            "ap-2024-06",
        )
        for i, (iso, name) in enumerate(
            [
                ("AAA", "A"),
                ("BBB", "B"),
                ("CCC", "C"),
                ("DDD", "D"),
                ("EEE", "E"),
                ("FFF", "F"),
                ("GGG", "G"),
                ("HHH", "H"),
            ]
        )
    ]
    tl = pl.DataFrame(
        rows,
        schema=["date", "iso3", "figure_id", "country", "event", "change", "in_haiti", "source_id"],
        orient="row",
    )
    grid = charts.presence_grid(tl, "2025-02-01", max_series=4)
    assert set(grid["series"]) == {"A", "B", "C", charts.OTHER}
    final = grid.filter(pl.col("date") == D("2025-02-01"))
    assert int(final["in_haiti"].sum()) == sum(10 * (9 - i) for i in range(8))


def test_displacement_marks_coverage_change(tables):
    chart, data, alt_text = charts.displacement_by_round(
        tables["idps"], tables["sources"], as_of=AS_OF
    )
    assert data.filter(pl.col("coverage_changed"))["round"].to_list() == ["R8"]
    assert data.filter(pl.col("coverage_class") == "part of the country").height == 2
    title = " ".join(chart.to_dict()["title"]["text"])
    assert "113,582" in title and "1,412,199" in title
    assert any("did not cover all 10 departments" in line for line in charts.footer_lines(chart))


def test_two_stories_share_one_x_scale(tables):
    chart, data, _ = charts.two_stories(
        tables["timeline"], tables["idps"], tables["sources"], as_of=AS_OF
    )
    spec = chart.to_dict()
    panels = spec["vconcat"][0]
    assert panels["resolve"]["scale"]["x"] == "shared"
    assert "layer" not in panels or "vconcat" in panels  # two panels, not a dual axis
    assert set(data["layer"]) == {"personnel", "displaced"}


def test_money_keeps_currencies_as_reported(tables):
    chart, data, _ = charts.trust_fund(tables["money"], tables["sources"], as_of=AS_OF)
    # Totals ("all donors") are preferred over single donors; all in USD here.
    assert set(data["currency"]) == {"usd"}
    title = " ".join(chart.to_dict()["title"]["text"])
    assert "received $68 million" in title
    assert set(data["what"]) == {"Pledged", "Received"}
    only_cad = tables["money"].filter(pl.col("currency") == "cad")
    _, data2, _ = charts.trust_fund(only_cad, tables["sources"], as_of=AS_OF)
    assert data2["value_label"].to_list() == ["C$5.7 million"]


def test_save_figure_writes_four_deterministic_files(tables, tmp_path):
    chart, data, _ = charts.pledged_vs_deployed(tables["pvd"], tables["sources"], as_of=AS_OF)
    first = charts.save_figure(chart, data, "pledged", tmp_path / "a")
    chart2, data2, _ = charts.pledged_vs_deployed(tables["pvd"], tables["sources"], as_of=AS_OF)
    second = charts.save_figure(chart2, data2, "pledged", tmp_path / "b")
    assert sorted(p.name for p in first.values()) == sorted(
        ["pledged.svg", "pledged.png", "pledged.csv", "pledged.vl.json"]
    )
    for ext in first:
        assert first[ext].read_bytes() == second[ext].read_bytes(), ext
    assert pl.read_csv(first["csv"]).height == data.height
    spec = json.loads(first["vl.json"].read_text())
    assert spec["description"] and first["png"].read_bytes()[:4] == b"\x89PNG"
    assert first["svg"].read_text().lstrip().startswith("<svg")
    with pytest.raises(ValueError):
        charts.save_figure(chart, data, "../escape", tmp_path)


def test_charts_survive_an_as_of_before_any_figure(tables):
    s, day = tables["sources"], "2022-01-01"
    made = [
        charts.pledged_vs_deployed(tables["pvd"].clear(), s, as_of=day),
        charts.personnel_over_time(
            tables["timeline"].clear(), tables["mandates"].clear(), s, as_of=day
        ),
        charts.displacement_by_round(tables["idps"].clear(), s, as_of=day),
        charts.displacement_by_department(tables["departments"].clear(), s),
        charts.two_stories(tables["timeline"].clear(), tables["idps"].clear(), s, as_of=day),
        charts.trust_fund(tables["money"].clear(), s, as_of=day),
    ]
    for chart, data, _ in made:
        assert data.height == 0
        assert charts.footer_lines(chart)[0].startswith("Source: none")
