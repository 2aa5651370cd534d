"""Charts on the real processed tables of several editions: words from facts, series from the
tables, uncertain counts marked, editions that know only their past, a palette readers can
see, layouts that fit a phone, and files that are the same on every build.
"""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import unquote

import altair as alt
import polars as pl
import pytest

from haiti_report.report import charts, facts, offline
from haiti_report.report.charts import style
from haiti_report.report.text import format as fmt

EDITIONS = ("2024-09-21", "2025-02-28", "2025-10-02", "2026-03-21")
BEFORE_GSF = ("2024-09-21", "2025-02-28", "2025-10-02")  # the GSF began on 3 October 2025
NAMES = tuple(charts.CHARTS)
BOUND_WORDS = ("up to", "at least", "between", "fewer than", "more than")


@pytest.fixture(scope="module")
def edition(processed):
    """as_of -> (processed tables, facts, every chart made), once per date."""
    made: dict[str, tuple] = {}

    def at(as_of: str):
        if as_of not in made:
            p = processed(as_of)
            F = facts.build(p)
            made[as_of] = (p, F, charts.make_all(p, F))
        return made[as_of]

    return at


def _walk(node, key=None):
    """Every (key, value) pair anywhere in a spec."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield k, v
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def _texts(m: charts.Made) -> list[str]:
    return [m.words.title, m.words.subtitle, m.alt_text, *m.words.notes]


# --- words ---------------------------------------------------------------------------------

NUMBER = re.compile(r"(?<![\w.])\$?(\d[\d,]*(?:\.\d+)?)( million| billion|%|m\b)?")
MONTHS = "|".join(fmt.MONTHS)
DATE = re.compile(rf"\b(\d{{1,2}} )?({MONTHS}) \d{{4}}\b")
ROUND = re.compile(r"\bR\d+(\.\d+)?\b")


def _value(digits: str, unit: str | None) -> float:
    n = float(digits.replace(",", ""))
    scale = {" million": 1e6, "m": 1e6, " billion": 1e9}.get(unit or "", 1)
    return round(n * scale, 2)


def _known(value, out: set[float]) -> set[float]:
    """Every number a value could print: numbers, digits inside strings (dates, as-written
    figures), and shares as whole per cent."""
    if isinstance(value, dict):
        for v in value.values():
            _known(v, out)
    elif isinstance(value, list):
        for v in value:
            _known(v, out)
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int | float):
        out.add(round(float(value), 2))
        if 0 < value < 1:
            out.add(round(100 * value))
    elif isinstance(value, str):
        for digits, unit in NUMBER.findall(value):
            out.add(_value(digits, unit))
    return out


@pytest.mark.parametrize("as_of", EDITIONS)
def test_every_number_in_the_words_is_a_fact_or_drawn(edition, as_of):
    """One quantity, one owner: a chart's title, subtitle, notes and alt text print only
    numbers from facts.json or from the rows the chart draws (issue 11)."""
    _, F, made = edition(as_of)
    from_facts = _known(F.to_json(), set())
    for name, m in made.items():
        known = from_facts | _known(m.data.to_dicts(), set())
        for text in _texts(m):
            plain = ROUND.sub("", DATE.sub("", text))
            for digits, unit in NUMBER.findall(plain):
                number = _value(digits, unit)
                if re.fullmatch(r"(19|20)\d\d", digits):
                    continue  # a year, part of a date from facts
                assert number in known, f"{as_of} {name}: {digits}{unit} in {text!r}"


@pytest.mark.parametrize("as_of", EDITIONS)
def test_every_chart_states_a_finding_what_is_measured_and_its_sources(edition, as_of):
    _, _, made = edition(as_of)
    assert list(made) == list(NAMES)
    for name, m in made.items():
        spec = m.chart.to_dict()  # validates against the Vega-Lite schema
        m.narrow.to_dict()
        assert spec["title"]["text"] and spec["title"]["subtitle"], name
        assert spec["description"] == m.alt_text and len(m.alt_text) > 60, name
        lines = charts.footer_lines(m.chart)
        assert lines[0].startswith("Source"), name
        assert sum(line.startswith("Source") for line in lines) == 1, name
        assert all(line.startswith("Note: ") for line in lines[1:]), name
        assert m.data.height > 0 and m.table.rows, name


def test_the_personnel_titles_use_the_facts_count_and_peak(edition):
    _, F, made = edition("2026-03-21")
    count = fmt.count(F.to_json()["personnel"]["deployed"])
    peak = F.personnel.deployed_peak
    for name in ("pledged-vs-deployed", "personnel-over-time"):
        assert f"{count} personnel were in Haiti" in made[name].words.title, name
    over = made["personnel-over-time"]
    assert f"peaked at {fmt.number(peak['value'])}" in over.words.title
    assert f"peaked at {fmt.number(peak['value'])}" in made["two-stories"].words.title
    # ... and the peak the titles state is the peak the line draws, on its day
    line = over.data.filter(pl.col("layer") == "mission")
    assert int(line["value"].max()) >= peak["value"]
    on_day = line.filter(pl.col("date") == pl.lit(peak["date"]).str.to_date())
    assert on_day["value"].to_list() == [peak["value"]]


@pytest.mark.parametrize("as_of", EDITIONS)
def test_the_mission_line_is_the_strength_models_mission_rows(edition, as_of):
    """The line is personnel_in_haiti's ``mission`` rows; the blocks add up its ``country``
    rows on each day; where the two differ both are drawn and a note says so."""
    p, _, made = edition(as_of)
    data = made["personnel-over-time"].data
    line = data.filter(pl.col("layer") == "mission")
    rows = p.personnel.filter((pl.col("scope") == "mission") & (pl.col("date") <= p.as_of))
    want = dict(zip(rows["date"], rows["low"], strict=True))
    assert dict(zip(line["date"], line["low"], strict=True)).items() <= want.items()
    assert set(want) - set(line["date"]) <= {p.as_of}  # the closing row repeats the last
    blocks = data.filter(pl.col("layer") == "country")
    countries = p.personnel.filter(pl.col("scope") == "country")
    for day in blocks["date"].unique().to_list():
        on = countries.filter(pl.col("date") <= day).sort("date").group_by("iso3").last()
        drawn = blocks.filter((pl.col("date") <= day) & (pl.col("date_end") > day))
        assert int(drawn["value"].sum()) == int(on.select(pl.coalesce("value", "low")).sum().item())
    notes = " ".join(made["personnel-over-time"].words.notes)
    sums = {}
    for day in line["date"].to_list():
        on = countries.filter(pl.col("date") <= day).sort("date").group_by("iso3").last()
        sums[day] = int(on.select(pl.coalesce("value", "low")).sum().item() or 0)
    differs = [r for r in line.iter_rows(named=True) if sums[r["date"]] != r["value"]]
    assert bool(differs) == ("Where the line and the blocks differ" in notes)


def test_uncertain_counts_are_marked_and_said_as_bounds(edition):
    _, _, made = edition("2026-03-21")
    line = made["personnel-over-time"].data.filter(pl.col("layer") == "mission")
    bounds = line.filter(pl.col("qualifier").is_in(list(style.BOUNDS)))
    assert bounds.height and bounds["uncertain"].all()
    assert bounds["band_low"].is_not_null().all() and bounds["band_high"].is_not_null().all()
    assert all(t.startswith(BOUND_WORDS) for t in bounds["count_text"])
    spec = json.dumps(made["personnel-over-time"].chart.to_dict())
    assert json.dumps(style.DASH) in spec  # dashed where uncertain
    assert any(
        "Dashed line over a shaded band" in n for n in made["personnel-over-time"].words.notes
    )
    pledges = made["pledged-vs-deployed"].data.filter(pl.col("in_haiti_uncertain"))
    assert pledges.height
    assert all(t.startswith(BOUND_WORDS) for t in pledges["in_haiti_text"])


@pytest.mark.parametrize("as_of", BEFORE_GSF)
def test_editions_before_the_gsf_say_nothing_about_it(edition, as_of):
    """No ceiling, GSF label or note before the GSF existed (issue 11: editions know only
    their past), although the 2 October 2025 tables already hold its ceiling."""
    p, F, made = edition(as_of)
    assert F.gsf is None
    for name, m in made.items():
        shown = " ".join(_texts(m)) + json.dumps(m.chart.to_dict()) + m.csv
        assert "GSF" not in shown and "Gang Suppression" not in shown, name
    levels = made["personnel-over-time"].data.filter(pl.col("layer") == "level")
    assert set(levels["measure"]) <= {"planning_figure"}
    if as_of == "2025-10-02":
        assert p.mandates.filter(pl.col("measure") == "ceiling").height  # known, not drawn
        assert F.personnel.planned_kind == "ceiling"
        assert "ceiling" not in made["personnel-over-time"].words.title


def test_the_gsf_edition_draws_its_ceiling_from_its_first_day(edition):
    _, F, made = edition("2026-03-21")
    levels = made["personnel-over-time"].data.filter(pl.col("layer") == "level")
    ceiling = levels.filter(pl.col("measure") == "ceiling").row(0, named=True)
    assert ceiling["date"].isoformat() == F.gsf.first_day
    assert ceiling["value"] == F.personnel.planned_total
    planning = levels.filter(pl.col("measure") == "planning_figure")
    assert planning["date_end"].max().isoformat() == F.mission["mss_last_day"]


@pytest.mark.parametrize("as_of", EDITIONS)
def test_one_displacement_baseline_named_as_the_lede_names_it(edition, as_of):
    from haiti_report.report import text

    _, F, made = edition(as_of)
    base = F.displacement["baseline"]
    phrase = "IOM's count published when the mission was authorised"
    assert phrase in text.render("lede", f=F.to_json())
    for name in ("two-stories", "displacement-by-round"):
        title = made[name].words.title
        assert f"from {fmt.number(base['idps'])}, {phrase}" in title, name
    first = made["two-stories"].data.filter(pl.col("layer") == "round")["round"][0]
    assert first == base["round"]  # the story starts at the baseline


@pytest.mark.parametrize("as_of", EDITIONS)
def test_labels_name_the_round_they_show(edition, as_of):
    _, F, made = edition(as_of)
    m = made["displacement-by-department"]
    newest_shown = m.data.sort("round_order")["round"][-1]
    assert newest_shown in m.words.title and "latest" not in " ".join(_texts(m))
    if newest_shown != F.displacement["round"]:  # a newer round without every department
        assert any(F.displacement["round"] in n for n in m.words.notes)
    labels = set(m.data["round_label"])
    assert all(ROUND.search(label) for label in labels)


@pytest.mark.parametrize("as_of", EDITIONS)
def test_the_money_title_cites_only_what_the_chart_draws(edition, as_of):
    _, F, made = edition(as_of)
    m = made["trust-fund"]
    drawn = set(m.data["value"].to_list())
    for key in ("trust_fund_received", "cost_estimate"):
        figure = F.to_json()["funding"][key]
        if figure and fmt.money_words(figure["value"]) in m.words.title:
            assert figure["value"] in drawn, key
    cost = F.to_json()["funding"]["cost_estimate"]
    if cost and cost["value"] not in drawn:
        assert "cost" not in m.words.title


# --- tooltips, palette, layouts ------------------------------------------------------------


@pytest.mark.parametrize("as_of", EDITIONS)
def test_tooltips_show_text_made_from_the_data(edition, as_of):
    """Tooltips show text fields made in Python (house-style dates and counts): no Vega date
    or number format, so no browser can print 'NaN' (issue 14); every value is there."""
    _, _, made = edition(as_of)
    for name, m in made.items():
        for layout in (m.chart, m.narrow):
            spec = layout.to_dict()
            tips = [
                t
                for k, v in _walk(spec)
                if k == "tooltip"
                for t in (v if isinstance(v, list) else [v])
            ]
            assert tips, name
            for tip in tips:
                assert tip.get("type") == "nominal" and "format" not in tip, (name, tip)
                assert "formatType" not in tip and "timeUnit" not in tip, (name, tip)
                column = m.data[tip["field"]].drop_nulls()
                assert column.len() and column.dtype == pl.String, (name, tip["field"])
                assert not any(v in ("None", "null", "nan", "") for v in column), (name, tip)


def _colours(node, parent: str | None = None, found=None) -> list[tuple[str, float]]:
    """(colour, opacity) of every colour a spec draws with: marks, conditions, scale ranges.
    A translucent fill is reported with its opacity, unless its mark has an outline."""
    found = [] if found is None else found
    if isinstance(node, dict):
        outlined = isinstance(node.get("stroke"), str) and node["stroke"].startswith("#")
        for key, value in node.items():
            if (
                isinstance(value, str)
                and value.startswith("#")
                and (
                    key in ("color", "fill", "stroke")
                    or (key == "value" and parent in ("color", "fill", "stroke"))
                )
            ):
                opacity = node.get("fillOpacity", 1.0) if key == "fill" else 1.0
                found.append((value, 1.0 if outlined else opacity))
            elif key == "range" and isinstance(value, list):
                found += [(v, 1.0) for v in value if isinstance(v, str) and v.startswith("#")]
            else:
                _colours(value, key if key in ("color", "fill", "stroke") else parent, found)
    elif isinstance(node, list):
        for value in node:
            _colours(value, parent, found)
    return found


def test_every_mark_has_3_to_1_contrast_on_the_background(edition):
    """WCAG 1.4.11: 3:1 for graphics. The old orange pledge marker (#E69F00) had 2.25:1."""
    assert style.contrast("#E69F00") < 3 <= style.contrast(style.ORANGE)
    for colour in (*style.SERIES, style.GREY, style.RULE, style.INK):
        assert style.contrast(colour) >= 3, colour
    _, _, made = edition("2026-03-21")
    for name, m in made.items():
        spec = m.chart.to_dict()
        colours = _colours(spec)
        assert colours, name
        for colour, opacity in colours:
            if opacity < 1:  # a translucent fill carries no meaning without its outline
                continue
            assert style.contrast(colour) >= 3, (name, colour)


def _svg_size(svg: str) -> tuple[float, list[float]]:
    width = float(re.search(r'<svg[^>]*\bwidth="([\d.]+)"', svg).group(1))
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)px"', svg)]
    sizes += [float(s) for s in re.findall(r"font-size: ?([\d.]+)px", svg)]
    return width, sizes


def test_the_phone_layout_fits_390_px_with_readable_text(edition):
    """At 390 px a page leaves about 358 px: every narrow chart fits, text at least 11 px."""
    _, _, made = edition("2026-03-21")
    for name, m in made.items():
        svg = offline.static_svg(offline.drawn_spec(charts.chart_spec(m.narrow)))
        width, sizes = _svg_size(svg)
        assert width <= 358, (name, width)
        assert sizes and min(sizes) >= style.MIN_FONT, (name, min(sizes))
        wide, wide_sizes = _svg_size(offline.static_svg(m.spec()))
        assert min(wide_sizes) >= style.MIN_FONT and wide > width, name


# --- the page and the files ----------------------------------------------------------------


def test_the_offline_html_carries_downloads_and_a_data_table(edition):
    _, _, made = edition("2024-09-21")
    m = made["pledged-vs-deployed"]
    bundle, _ = offline.offline_renderer(m.chart.to_dict())
    html = bundle["text/html"]
    csv_link = re.search(
        r'download="pledged-vs-deployed.csv" href="data:text/csv;charset=utf-8,([^"]*)"', html
    )
    assert (
        csv_link
        and unquote(csv_link.group(1).replace("&amp;", "&").replace("&#x27;", "'")) == m.csv
    )
    assert 'download="pledged-vs-deployed.svg" href="figures/pledged-vs-deployed.svg"' in html
    assert 'download="pledged-vs-deployed.png" href="figures/pledged-vs-deployed.png"' in html
    table = re.search(r"<details class=\"chart-table\">.*?</details>", html, re.S).group()
    assert table.count("<tr>") == len(m.table.rows) + 1
    assert 'role="img"' in html and "aria-describedby" in html
    placeholder = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(placeholder).decode() == offline.static_svg(m.spec())
    assert "usermeta" not in json.dumps(m.spec())


def test_a_plain_altair_chart_still_renders_offline():
    chart = alt.Chart(pl.DataFrame({"a": [1, 2]})).mark_point().encode(x="a:Q")
    bundle, meta = offline.offline_renderer(chart.to_dict())
    assert "vegaEmbed" in bundle["text/html"] and "chart-downloads" not in bundle["text/html"]
    assert "narrow = null" in bundle["text/html"]
    assert bundle["image/svg+xml"].startswith("<svg") and meta["image/png"]["width"] > 0


def test_html_from_data_is_escaped():
    meta = {
        "name": "x",
        "csv": "a\n<script>",
        "labels": {"summary": "S", "lead": "L", "csv": "c", "svg": "s", "png": "p"},
        "table": {"caption": "<b>cap</b>", "columns": ["<i>"], "rows": [["</td><script>x"]]},
    }
    html = offline._table(meta, "id") + offline._downloads(meta, "id")
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;/td&gt;&lt;script&gt;x" in html


def test_pruned_datasets_keep_what_is_drawn(edition):
    """The page carries only the columns a chart uses; the drawing is the same."""
    _, _, made = edition("2025-02-28")
    for name in ("pledged-vs-deployed", "personnel-over-time"):
        full = made[name].chart.to_dict()
        full.pop("usermeta")
        pruned = offline.drawn_spec(full)
        assert len(json.dumps(pruned)) < len(json.dumps(full)), name
        assert offline.static_svg(full) == offline.static_svg(pruned), name


def test_save_all_is_deterministic_and_converts_each_chart_once(edition, tmp_path, monkeypatch):
    p, F, _ = edition("2025-10-02")
    calls = {"svg": 0, "png": 0, "vega": 0}
    vlc = offline.vlc
    for fn, key in (
        ("vegalite_to_svg", "svg"),
        ("svg_to_png", "png"),
        ("vegalite_to_vega", "vega"),
    ):
        real = getattr(vlc, fn)

        def counted(*a, _real=real, _key=key, **k):
            calls[_key] += 1
            return _real(*a, **k)

        monkeypatch.setattr(vlc, fn, counted)
    offline._images.clear()
    made = charts.make_all(p, F)
    first = charts.save_all(made, tmp_path / "a")
    for m in made.values():  # the notebook then displays each chart
        offline.offline_renderer(m.chart.to_dict())
    assert calls == {"svg": len(made), "png": len(made), "vega": 2 * len(made)}, calls
    again = charts.save_all(charts.make_all(p, F), tmp_path / "b")
    for name, paths in first.items():
        assert sorted(q.name for q in paths.values()) == sorted(
            f"{name}.{ext}" for ext in ("svg", "png", "csv", "vl.json")
        )
        for ext, path in paths.items():
            assert path.read_bytes() == again[name][ext].read_bytes(), (name, ext)
        assert pl.read_csv(paths["csv"]).height == made[name].data.height
        spec = json.loads(paths["vl.json"].read_text())
        assert spec["description"] == made[name].alt_text and "usermeta" not in spec
        assert paths["png"].read_bytes()[:4] == b"\x89PNG"


def test_house_theme_is_registered_once_and_active():
    charts.use_house_style()
    charts.use_house_style()
    assert alt.theme.active == charts.THEME
    assert alt.theme.names().count(charts.THEME) == 1
    config = alt.Chart(pl.DataFrame({"a": [1]})).mark_point().to_dict()["config"]
    assert config["range"]["category"] == list(style.SERIES)
    assert config["axisQuantitative"]["format"] == ",.0f"


def test_a_bad_figure_name_is_refused(edition, tmp_path):
    from dataclasses import replace

    _, _, made = edition("2024-09-21")
    with pytest.raises(ValueError, match="figure name"):
        charts.save_figure(replace(made["trust-fund"], name="../escape"), tmp_path)
