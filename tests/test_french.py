"""The French edition (issue 16): French formats from Babel, numbers only from facts, names
from maintained sources, the templates a translation of the English ones, and no English left.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml
from babel import Locale
from test_facts import EDITIONS, SECTIONS, leaves

from haiti_report.report import charts, facts, names, offline, text
from haiti_report.report.text import TEXT_DIR
from haiti_report.report.text import format as fmt

FR = fmt.formats("fr")
NNBSP = "\u202f"  # CLDR's French thousands separator (narrow no-break space)


# --- formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "qualifier", "expected"),
    [
        (1412199, "exact", f"1{NNBSP}412{NNBSP}199"),
        (1000, "about", f"environ 1{NNBSP}000"),
        (1900, "at_least", f"au moins 1{NNBSP}900"),
        (3100, "nearly", f"près de 3{NNBSP}100"),
        (980, "up_to", "jusqu'à 980"),
        (700, "more_than", "plus de 700"),
        (1000, "less_than", f"moins de 1{NNBSP}000"),
        (5_700_000, "nearly", "près de 5,7 millions"),
        (None, "exact", "inconnu"),
    ],
)
def test_french_numbers_carry_the_qualifier(value, qualifier, expected):
    assert FR.reported(value, qualifier) == expected


def test_french_money_dates_shares_and_counts():
    assert FR.reported(110_300_000, unit="usd") == "110,3 millions de dollars"
    assert (
        FR.reported(80_500_000, "about", unit="cad") == "environ 80,5 millions de dollars canadiens"
    )
    assert FR.reported(500_000, unit="usd") == f"500{NNBSP}000 dollars"
    assert FR.date("2026-03-21") == "21 mars 2026" == FR.date(dt.date(2026, 3, 21))
    assert FR.date("2025-10-01") == "1er octobre 2025"  # the first of the month, as written
    assert FR.date("2024-10") == "octobre 2024" and FR.on_date("2024-10") == "en octobre 2024"
    assert FR.on_date("2024-10-11") == "le 11 octobre 2024" and FR.on_date("2023") == "en 2023"
    assert FR.pct(0.1469) == "15\u00a0%" and FR.pct(0.004) == "moins de 1\u00a0%"
    assert FR.count({"value": None, "low": 735, "high": 865, "qualifier": "range"}) == (
        "entre 735 et 865"
    )
    assert FR.plural(2, "pays") == "2 pays" and FR.plural(2, "promesse") == "2 promesses"
    assert FR.plural(0, "arrivée") == "0 arrivée"  # French: zero takes the singular
    assert FR.words(1, "f") == "une" and FR.words(0) == "aucun"
    assert FR.join(["R5", "R5.1", "R6"]) == "R5, R5.1 et R6"
    assert FR.with_noun("près de 5,7 millions", "personnes") == (
        "près de 5,7 millions de personnes"
    )
    assert FR.with_noun("980", "personnes") == "980 personnes"


def test_french_typography_keeps_urls_and_escaped_marks():
    assert FR.finish("Source : X; Y? https://a.b/?p=1 a\\: b") == (
        "Source\u00a0: X\u202f; Y\u202f? https://a.b/?p=1 a\\: b"
    )


def test_every_language_gives_the_templates_the_same_filters():
    assert fmt.filters("fr").keys() == fmt.filters("en").keys()
    assert fmt.globals_("fr").keys() == fmt.globals_("en").keys()
    with pytest.raises(ValueError, match="no formats for language 'xx'"):
        fmt.formats("xx")


# --- numbers only from facts -----------------------------------------------------------------


def _numbers(value) -> set[float]:
    """Every number a facts value holds (digits inside strings too), rounded as shown."""
    out: set[float] = set()
    for leaf in leaves(value):
        if isinstance(leaf, str):
            out |= {float(d.replace(",", "")) for d in re.findall(r"\d[\d,]*", leaf)}
            continue
        out |= {float(leaf), float(round(leaf))}
        if 0 < leaf < 1:
            out.add(float(round(100 * leaf)))
        if leaf >= 1e6:
            out.add(round(leaf / 1e6, 2))
    return out


FRENCH_NUMBER = re.compile(rf"(?<![\w.,])\d+(?:{NNBSP}\d{{3}})*(?:,\d+)?(?!\d)")
FRENCH_MONTHS = (
    "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
)
FRENCH_DATE = re.compile(rf"\b(1er|\d{{1,2}} )?\s?({FRENCH_MONTHS}) \d{{4}}\b")
ROUND = re.compile(r"\bR\d+(\.\d+)?\b")


def _plain(found: str) -> float:
    return float(found.replace(NNBSP, "").replace(",", "."))


@pytest.mark.parametrize("as_of", EDITIONS)
def test_every_number_in_the_french_text_comes_from_facts(processed, as_of):
    """The English check (test_facts.py) in French formats: '1 412 199', '110,3 millions'."""
    data = facts.build(processed(as_of)).to_json()
    known = _numbers(data) | {10.0}  # Haiti has ten departments (a constant of the country)
    for name in SECTIONS + (("gsf",) if data["gsf"] else ()):
        shown = ROUND.sub("", FRENCH_DATE.sub("", text.render(name, "fr", f=data)))
        for found in FRENCH_NUMBER.findall(shown.replace("\\", "")):
            if re.fullmatch(r"(19|20)\d\d", found):
                continue  # years of dates come from facts' dates
            assert _plain(found) in known, f"{name}: {found} is not a value in facts.json"


# --- names from maintained sources -----------------------------------------------------------


def test_country_and_department_names_come_from_cldr_and_iso(processed):
    p = names.localised(processed("2026-03-21"), "fr")
    french = Locale.parse("fr").territories
    import pycountry

    for iso3, name in zip(p.pvd["iso3"], p.pvd["country"], strict=True):
        assert name == french[pycountry.countries.get(alpha_3=iso3).alpha_2], iso3
    assert "Jamaïque" in set(p.pvd["country"]) and "Jamaica" not in set(p.pvd["country"])
    whole = p.personnel.filter(p.personnel["scope"] == "mission")["name"].unique().to_list()
    assert whole == [text.labels("fr")["mission"]]
    iso = {s.name.replace("\u2019", "'") for s in pycountry.subdivisions.get(country_code="HT")}
    assert set(p.departments["department"]) <= iso
    assert names.localised(processed("2026-03-21"), "en") is processed("2026-03-21")


# --- a translation of the English templates --------------------------------------------------

PLACEHOLDER = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.S)
NAMES = re.compile(
    r"\b(MSS|GSF|MMAS|FRG|IOM|OIM|DTM|IPC|UN|ONU|CSV|SVG|PNG|R\d+|Port-au-Prince|Grand Sud)\b"
)


def _strings(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, (*path, str(k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _strings(v, (*path, str(i)))
    elif isinstance(node, str):
        yield ".".join(path), node


def _words(template: str) -> set[str]:
    """The template's own sentences (placeholders, names and numbers aside), as word runs."""
    plain = NAMES.sub(" ", PLACEHOLDER.sub(" ", template))
    runs = re.split(r"[^\w']+(?:\s+[^\w']+)*", plain)
    words = " ".join(runs).split()
    return {" ".join(words[i : i + 3]).lower() for i in range(len(words) - 2)}


def test_french_templates_translate_every_english_one():
    en, fr = TEXT_DIR / "en", TEXT_DIR / "fr"
    # English "what changed" is written in words by build/changes_text.py (the console's too);
    # the other editions still use a template of their own for it.
    english_templates = {p.name for p in en.glob("*.md.j2")} | {"changes.md.j2"}
    assert english_templates == {p.name for p in fr.glob("*.md.j2")}
    for name in ("charts.yml", "labels.yml"):
        english = dict(_strings(yaml.safe_load((en / name).read_text(encoding="utf-8"))))
        french = dict(_strings(yaml.safe_load((fr / name).read_text(encoding="utf-8"))))
        assert set(english) <= set(french), sorted(set(english) - set(french))
        for key, value in english.items():
            shared = _words(value) & _words(french[key])
            assert not shared, f"{name} {key}: {sorted(shared)} is still English"
    for path in en.glob("*.md.j2"):
        shared = _words(path.read_text(encoding="utf-8")) & _words(
            (fr / path.name).read_text(encoding="utf-8")
        )
        assert not shared, f"{path.name}: {sorted(shared)} is still English"


ENGLISH = re.compile(r" (the|of the|and|were|was|had|by|with) ")


def _without_outlets(said: str, outlets: list[str]) -> str:
    """Outlets are names, never translated ("The Bharat Express News"): left out of the check."""
    for outlet in sorted(outlets, key=len, reverse=True):
        said = said.replace(outlet, " ").replace(text.prose.escape_md(outlet), " ")
    return said


@pytest.mark.parametrize("as_of", ("2024-09-21", "2026-03-21"))
def test_no_english_sentence_in_the_french_text_or_charts(processed, as_of):
    p = processed(as_of)
    F = facts.build(p)
    data = F.to_json()
    outlets = p.sources["outlet"].drop_nulls().to_list()
    for name in (*SECTIONS, "gap", *(("gsf",) if data["gsf"] else ())):
        said = _without_outlets(" " + text.render(name, "fr", f=data) + " ", outlets)
        assert not ENGLISH.search(said), f"{name}: {ENGLISH.search(said)[0]!r} in {said!r}"
    made = charts.make_all(names.localised(p, "fr"), F, "fr")
    for chart, m in made.items():
        words = [m.words.title, m.words.subtitle, m.alt_text, *m.words.notes]
        words += [m.table.caption, *m.table.columns, *(c for row in m.table.rows for c in row)]
        words += charts.footer_lines(m.chart)
        for said in words:
            said = _without_outlets(f" {said} ", outlets)
            assert not ENGLISH.search(said), f"{chart}: {said!r}"


def test_french_charts_draw_in_french_and_link_their_own_files(processed):
    p = processed("2026-03-21")
    made = charts.make_all(names.localised(p, "fr"), facts.build(p), "fr")
    credit = text.labels("fr")["iom_credit"]
    for name, m in made.items():
        spec = m.spec()
        assert spec["config"]["locale"]["number"]["thousands"] == NNBSP, name
        assert "janv." in spec["config"]["locale"]["time"]["shortMonths"], name
        lines = charts.footer_lines(m.chart)
        assert lines[0].startswith(("Source\u00a0: ", "Sources\u00a0: ")), (name, lines[0])
        assert all(line.startswith("Note\u00a0: ") for line in lines[1:]), name
        assert "International Organization for Migration" not in " ".join(lines), name
        html = offline.offline_renderer(m.chart.to_dict())[0]["text/html"]
        assert f'href="figures/fr/{name}.svg"' in html and "Télécharger" in html, name
    assert credit in charts.footer_lines(made["displacement-by-round"].chart)[0]


def test_the_french_phone_layouts_fit_390_px(processed):
    """French words are longer: every narrow chart still fits the 358 px a phone leaves."""
    p = processed("2026-03-21")
    made = charts.make_all(names.localised(p, "fr"), facts.build(p), "fr")
    for name, m in made.items():
        svg = offline.static_svg(offline.drawn_spec(charts.chart_spec(m.narrow)))
        width = float(re.search(r'width="([\d.]+)"', svg).group(1))
        assert width <= 358, (name, width)


# --- what changed, in words ------------------------------------------------------------------


def test_french_what_changed_leads_with_the_headline_numbers_in_words(processed):
    """The French "what changed" names every headline number changes.py follows in French, in
    French formats, with why it moved; no facts.json field path reaches the reader."""
    import copy

    from haiti_report.build.changes import HEADLINES, headline_changes

    assert {path for path, _ in HEADLINES} == set(text.labels("fr")["changes"]["headlines"])
    new = facts.build(processed(EDITIONS[-1])).to_json()
    old = copy.deepcopy(new)
    old["personnel"]["deployed_total"] += 21
    old["displacement"]["idps"] -= 1000
    headlines = headline_changes(old, new)
    assert {h["path"] for h in headlines} == {"personnel.deployed_total", "displacement.idps"}
    changed = [{"path": h["path"], "old": h["old"], "new": h["new"]} for h in headlines]
    result = {
        "first_build": False,
        "as_of": {"old": new["as_of"], "new": new["as_of"]},
        "facts": {
            "changed": [*changed, {"path": "claims[C01].verdict", "old": 1, "new": 2}],
            "added": [],
            "removed": [],
        },
        "headlines": headlines,
        "tables": {},
        "quarantined": {},
        "sources": {"added": [], "removed": []},
    }
    said = text.render("changes", "fr", c=result, f=new)
    P, D = new["personnel"], new["displacement"]
    moved = FR.number(P["deployed_total"] + 21) + " → " + FR.number(P["deployed_total"])
    assert f"En Haïti\u00a0: {moved}" in said  # French typography: a no-break space before ":"
    assert f"(OIM)\u00a0: {FR.number(D['idps'] - 1000)} → {FR.number(D['idps'])}" in said
    assert f"le dernier round de l'OIM est le {D['round']}" in said
    if P["deployed"].get("anchor_outlet"):
        assert "le décompte repose désormais sur le rapport de" in said
    assert "1 autre valeur des faits du rapport a changé" in said
    assert "personnel." not in said and "claims[" not in said
