"""The built report, as a reader gets it: self-contained, offline, charts drawn."""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from languages import LANGUAGES, Edition, edition

RESOURCE_ATTRS = {
    "script": "src",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "audio": "src",
    "video": "src",
    "embed": "src",
    "object": "data",
}


class Resources(HTMLParser):
    """Every resource the page would load (links to read elsewhere are not resources)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in RESOURCE_ATTRS and attrs.get(RESOURCE_ATTRS[tag]):
            self.found.append(attrs[RESOURCE_ATTRS[tag]])
        if tag == "link" and attrs.get("href") and "stylesheet" in (attrs.get("rel") or ""):
            self.found.append(attrs["href"])


class Visible(HTMLParser):
    """The text a reader sees (entities decoded once, scripts and styles left out), the
    headings, and the text of each paragraph."""

    SKIP = {"script", "style", "title", "head"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.headings: list[tuple[str, str]] = []
        self.paragraphs: list[str] = []
        self._skip = 0
        self._heading: tuple[str, list[str]] | None = None
        self._para: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self._heading = (tag, [])
        elif tag == "p":
            self._para = []

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self._skip = max(self._skip - 1, 0)
        elif self._heading and tag == self._heading[0]:
            self.headings.append((tag, " ".join("".join(self._heading[1]).split())))
            self._heading = None
        elif tag == "p" and self._para is not None:
            self.paragraphs.append(" ".join("".join(self._para).split()))
            self._para = None

    def handle_data(self, data):
        if self._skip:
            return
        self.parts.append(data)
        for buffer in (self._heading[1] if self._heading else None, self._para):
            if buffer is not None:
                buffer.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def visible(out, ed: Edition | None = None) -> Visible:
    parser = Visible()
    parser.feed((out / (ed or edition("en")).page).read_text(encoding="utf-8"))
    return parser


@pytest.fixture(params=LANGUAGES)
def ed(request) -> Edition:
    """Each edition of the report in turn: English (report.html) and French (report.fr.html)."""
    return edition(request.param)


# An HTML entity shown as text ("Haiti&#x27;s"), and a number glued to the word after it
# ("959of") or a word glued to a thousands-formatted number ("the6,078").
ENTITY = re.compile(r"&(?:#x?[0-9a-fA-F]+|[a-zA-Z]{2,8});")
GLUED = re.compile(r"\b\d[\d,.]*(?!st\b|nd\b|rd\b|th\b)[a-z]{2,}|[a-z]{2,}\d{1,3},\d{3}")


def report_title(out, ed: Edition | None = None) -> str:
    """The title the notebook gives the report (its first level-1 heading: an HTML output's
    <h1>, or a Markdown output's first line)."""
    nb = json.loads((out / (ed or edition("en")).notebook).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            found = re.match(r"\s*<h1[^>]*>(.*?)</h1>", "".join(data.get("text/html", "")))
            if found:
                return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", found.group(1))).split())
            first = "".join(data.get("text/markdown", "")).lstrip().split("\n", 1)[0]
            if re.match(r"#(?!#)\s", first):
                return " ".join(re.sub(r"\\(.)", r"\1", first[1:]).split())
    raise AssertionError("the report notebook shows no title")


def section_headings(out, ed: Edition | None = None) -> list[str]:
    """The notebook's section headings ("## Pledges"), in order: in Markdown cells, or in
    the Markdown outputs the cells display."""
    nb = json.loads((out / (ed or edition("en")).notebook).read_text(encoding="utf-8"))
    texts = [
        "".join(cell["source"]) if cell["cell_type"] == "markdown" else "" for cell in nb["cells"]
    ] + [
        "".join(o.get("data", {}).get("text/markdown", ""))
        for cell in nb["cells"]
        for o in cell.get("outputs", [])
    ]
    return [
        " ".join(line[3:].split())
        for text in texts
        for line in text.splitlines()
        if line.startswith("## ")
    ]


def quotes(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'")


def test_the_renderer_is_the_one_asked_for(rendered, request):
    manifest = json.loads((rendered / "manifest.json").read_text())
    assert manifest["renderer"] == request.node.callspec.params["rendered"]
    assert manifest["render"]["status"] == "ran"


def test_report_html_is_self_contained(rendered, ed):
    html = (rendered / ed.page).read_text(encoding="utf-8")
    parser = Resources()
    parser.feed(html)
    outside = [u for u in parser.found if not u.startswith("data:")]
    assert outside == []
    css_urls = re.findall(
        r"url\((?!['\"]?data:)[^)]*\)",
        " ".join(re.findall(r"<style[^>]*>(.*?)</style>", html, flags=re.S)),
    )
    assert css_urls == []
    from haiti_report.report.offline import vega_bundle

    assert html.count(vega_bundle()[:300]) == 1, "the Vega bundle is included once per page"
    assert html.count('class="altair-offline"') >= 5
    assert len(html.encode()) < 2.5e6


def test_title_is_shown_once_and_every_section_keeps_its_heading(rendered, ed):
    page = visible(rendered, ed)
    title = report_title(rendered, ed)
    assert quotes(page.text).count(quotes(title)) == 1, title
    h1 = [text for tag, text in page.headings if tag == "h1"]
    assert [quotes(t) for t in h1] == [quotes(title)]
    h2 = [text for tag, text in page.headings if tag == "h2"]
    sections = section_headings(rendered, ed)
    shown = [quotes(h) for h in h2]  # Quarto sets apostrophes as typographers do (’)
    assert sections[0] == ed.first_section, sections
    assert all(quotes(s) in shown for s in sections), (sections, h2)


def test_no_output_of_a_removed_cell_is_shown(rendered, ed):
    """A cell tagged remove-cell only computes (it saves the charts, writes facts.json): what
    it returns ("{'pledged-vs-deployed': {'svg': PosixPath(...") is not the reader's."""
    nb = json.loads((rendered / ed.notebook).read_text(encoding="utf-8"))
    said = [
        " ".join("".join(output.get("data", {}).get("text/plain", output.get("text", ""))).split())
        for cell in nb["cells"]
        if "remove-cell" in cell["metadata"].get("tags", [])
        for output in cell.get("outputs", [])
    ]
    assert any(said), "the report notebook has no removed cell with an output to look for"
    page = visible(rendered, ed).text
    for text in filter(None, said):
        assert text[:60] not in page, text[:60]


class Head(HTMLParser):
    """The <head>'s <title> and <meta> tags (property= or name= -> content)."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.title, self._in_title, self._done = "", False, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._done:
            return
        if tag == "body":
            self._done = True
        elif tag == "title":
            self._in_title = True
        elif tag == "meta" and (attrs.get("property") or attrs.get("name")):
            key = attrs.get("property") or attrs.get("name")
            self.meta.setdefault(key, []).append(attrs.get("content") or "")

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self._done = True

    def handle_data(self, data):
        if self._in_title and not self._done:
            self.title += data


def test_share_preview_says_the_reports_title_lede_and_shows_its_first_chart(rendered, ed):
    """Issue 14: a link to the report shows a preview (Open Graph, Twitter card, description),
    its words the report's own: the title the page shows and the lede as facts render it; its
    image a chart of this build, beside the page (a relative path: the folder works offline)."""
    head = Head()
    head.feed((rendered / ed.page).read_text(encoding="utf-8"))
    one = {key: values[0] for key, values in head.meta.items() if len(values) == 1}
    required = ("description", "og:title", "og:description", "og:type", "og:image")
    assert all(key in one for key in (*required, "twitter:card")), sorted(head.meta)

    def same(text: str) -> str:
        return quotes(" ".join(text.split()))

    title = report_title(rendered, ed)
    assert same(one["og:title"]) == same(title) == same(head.title)
    said = same(lede(rendered, ed.lang))
    assert same(one["description"]) == same(one["og:description"]) == said
    assert one["og:type"] == "article"
    assert one["twitter:card"] in ("summary", "summary_large_image")
    image = one["og:image"]
    assert not re.match(r"[a-z]+:|/", image), image  # relative to the page, not a URL or path
    assert (rendered / image).is_file(), image
    assert (rendered / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (rendered / image).parent == rendered / ed.figures  # this edition's charts
    spec = json.loads((rendered / image).with_suffix(".vl.json").read_text(encoding="utf-8"))
    assert same(one.get("og:image:alt", "")) == same(spec["description"])


def test_page_text_has_no_entities_and_no_glued_words(rendered, ed):
    page = visible(rendered, ed)
    assert ENTITY.findall(page.text) == []
    glued = [m for p in page.paragraphs for m in GLUED.findall(p)]
    assert glued == []
    facts = json.loads((rendered / "facts.json").read_text())
    p = facts["personnel"]
    for value in (p["pledged_total"], facts["displacement"]["idps"]):
        assert ed.n(value) in page.text, value  # the headline numbers, in the edition's style
    assert quotes(lede(rendered, ed.lang)) in quotes(page.text)  # the lede as facts render it


def lede(out, lang: str = "en") -> str:
    """The report's first paragraph as the text templates write it from this build's facts."""
    from haiti_report.report import text

    facts = json.loads((out / "facts.json").read_text(encoding="utf-8"))
    first = text.render("lede", lang, f=facts).split("\n\n")[0]
    return " ".join(re.sub(r"\\(.)", r"\1", first).replace("**", "").split())


@pytest.mark.browser
def test_report_draws_every_chart_offline(rendered, ed, tmp_path):
    if not shutil.which("chromium"):
        pytest.skip("needs Debian chromium: apt-get install chromium")
    from browser import open_report

    page = open_report(rendered / ed.page, screenshot=tmp_path / "shot.png")
    assert page.charts >= 5
    assert all(n > 0 for n in page.marks_per_chart), page.marks_per_chart
    assert page.external_requests == []
    assert page.errors == []
    assert page.tables >= 4 and page.tables_too_wide == []
    facts = json.loads((rendered / "facts.json").read_text())
    assert facts["as_of"] in page.text or facts["as_of"] in page.html


WORDS = {
    w: i
    for i, w in enumerate(
        ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    )
}


def shown_number(text: str) -> float:
    """'1,412,199' -> 1412199; 'about 1,000' -> 1000; 'Six' -> 6; '16%' -> 16."""
    text = text.strip().lower()
    if text in WORDS:
        return WORDS[text]
    match = re.search(r"[\d,]+(?:\.\d+)?", text)
    assert match, text
    return float(match.group().replace(",", ""))


def lookup(facts: dict, path: str):
    value = facts
    for key in path.split("."):
        value = value[key]
    return value


def test_every_number_in_the_summary_equals_facts_json(rendered):
    from test_facts import DATE, NUMBER, _numbers

    facts = json.loads((rendered / "facts.json").read_text())
    summary = next(p for p in visible(rendered).paragraphs if p.startswith("By "))
    known = _numbers(facts)
    shown = [n.rstrip(".,") for n in NUMBER.findall(DATE.sub("", summary))]
    assert len(shown) >= 5, summary
    for number in shown:
        if not re.fullmatch(r"(19|20)\d\d", number):
            assert number in known, (number, summary)


def pdftotext(pdf, *args: str) -> str:
    return subprocess.run(
        ["pdftotext", *args, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_info(pdf) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return dict(
        (k.strip(), v.strip()) for k, v in (ln.split(":", 1) for ln in out.stdout.splitlines())
    )


@pytest.fixture
def pdf(rendered, ed):
    if not shutil.which("pdftotext"):
        pytest.skip("needs poppler-utils (pdftotext, pdfinfo, pdfimages)")
    pdf = rendered / ed.pdf
    if not pdf.exists():
        pytest.skip("no PDF: neither Quarto nor Chromium is installed")
    return pdf


def test_pdf_has_pages_charts_and_headline_numbers(pdf, ed):
    out = pdf.parent
    info = pdf_info(pdf)
    assert int(info["Pages"]) > 1
    assert "(A4)" in info["Page size"]
    text = " ".join(pdftotext(pdf, "-layout").split())
    facts = json.loads((out / "facts.json").read_text())
    for value in (
        facts["personnel"]["deployed_total"],
        facts["personnel"]["pledged_total"],
        facts["displacement"]["idps"],
    ):
        assert ed.n(value) in text, value
    # The charts are in the PDF as drawings: each chart's own title text is there.
    for spec in sorted((out / ed.figures).glob("*.vl.json")):
        title = json.loads(spec.read_text())["title"]["text"]
        first_line = " ".join((title if isinstance(title, str) else title[0]).split())
        assert first_line[:40] in text, spec.name


def test_pdf_says_what_the_page_says(pdf, ed):
    """Same title (shown once, and in the PDF's metadata), the same summary paragraph word for
    word, no HTML entities."""
    out = pdf.parent
    text = quotes(" ".join(pdftotext(pdf).split()))
    title = quotes(report_title(out, ed))
    assert quotes(pdf_info(pdf).get("Title", "")) == title
    assert text.count(title) == 1
    assert ENTITY.findall(text) == []
    facts = json.loads((out / "facts.json").read_text())
    pledged = ed.n(facts["personnel"]["pledged_total"])
    summary = next(p for p in visible(out, ed).paragraphs if pledged in p)
    assert quotes(" ".join(summary.split())) in text


def test_pdf_pages_are_numbered_and_no_heading_ends_a_page(pdf, ed):
    pages = pdftotext(pdf, "-layout").split("\f")
    pages = [[ln.strip() for ln in page.splitlines() if ln.strip()] for page in pages]
    pages = [p for p in pages if p]
    headings = set(section_headings(pdf.parent, ed))
    for number, lines in enumerate(pages, start=1):
        assert lines[-1] == str(number), (number, lines[-3:])
        assert lines[-2] not in headings, f"page {number} ends with the heading {lines[-2]!r}"


STORY_PAGES = 12  # issue 14: the main story in at most about a dozen printed pages


def test_pdf_tells_the_story_in_a_dozen_pages_then_the_appendix(pdf, ed):
    """The appendix (methodology, every strength figure, decisions, cleaning log, sources)
    starts with its heading, on a line of its own, by page 13; every section of the story
    comes before it. (A table of contents names it too, with dots and a page number.)"""
    from haiti_report.report.text import labels

    pages = [page.splitlines() for page in pdftotext(pdf, "-layout").split("\f")]

    def starts(heading: str) -> list[int]:
        wanted = quotes(" ".join(heading.split()))
        return [
            n
            for n, lines in enumerate(pages, start=1)
            if any(quotes(" ".join(line.split())) == wanted for line in lines)
        ]

    sections = section_headings(pdf.parent, ed)
    appendix = str(labels(ed.lang)["sections"]["methodology"])
    assert appendix in sections, (appendix, sections)
    found = starts(appendix)
    assert len(found) == 1, (appendix, found)
    count = int(pdf_info(pdf)["Pages"])
    print(f"\n{pdf.name}: {count} pages, the appendix starts on page {found[0]}")
    assert found[0] <= STORY_PAGES + 1, f"the story takes {found[0] - 1} pages"
    assert count > found[0]  # the appendix follows, on pages of its own
    for heading in sections[: sections.index(appendix)]:
        assert starts(heading) and min(starts(heading)) <= found[0], heading


def test_pdf_charts_are_vector_graphics(pdf):
    listed = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert listed == [], "charts should be drawn (SVG), not pictures"


def chart_words(out, ed: Edition | None = None) -> set[str]:
    """Every word of the charts' own text (axes, labels, notes)."""
    words: set[str] = set()
    for svg in (out / (ed or edition("en")).figures).glob("*.svg"):
        for text in re.findall(r"<text[^>]*>(.*?)</text>", svg.read_text(encoding="utf-8"), re.S):
            words |= set(htmllib.unescape(re.sub(r"<[^>]+>", " ", text)).split())
    return words


def test_pdf_tables_fit_the_page(pdf, ed):
    """No word runs off the page or over its neighbour (columns too narrow for their text).
    Two chart labels that touch are the chart's own layout, not a table's."""
    import xml.etree.ElementTree as ET

    in_charts = chart_words(pdf.parent, ed)
    tree = ET.fromstring(
        re.sub(r"<!DOCTYPE[^>]*>", "", pdftotext(pdf, "-bbox")).replace(
            'xmlns="http://www.w3.org/1999/xhtml"', ""
        )
    )
    for number, page in enumerate(tree.iter("page"), start=1):
        width = float(page.get("width"))
        words = [
            (
                float(w.get("xMin")),
                float(w.get("yMin")),
                float(w.get("xMax")),
                float(w.get("yMax")),
                w.text,
            )
            for w in page.iter("word")
        ]
        assert all(x0 >= 0 and x1 <= width for x0, _, x1, _, _ in words), number
        lines: dict[int, list] = {}
        for word in words:
            lines.setdefault(round(word[1]), []).append(word)
        for line in lines.values():
            line.sort()
            for a, b in zip(line, line[1:], strict=False):
                if a[4] in in_charts and b[4] in in_charts:
                    continue
                assert b[0] >= a[2] - 0.5, f"page {number}: {a[4]!r} runs into {b[4]!r}"


def test_quarto_configuration_is_complete():
    import yaml

    from haiti_report.build.quarto import QUARTO_CONFIG, QUARTO_SUPPORT, TEMPLATES

    config = yaml.safe_load(QUARTO_CONFIG.read_text(encoding="utf-8"))
    assert config["execute"]["enabled"] is False  # papermill executed already
    html = config["format"]["html"]
    assert html["embed-resources"] is True and html["toc"] is True
    assert html["include-in-header"] == ["_share.html", "_vega.html"]  # both written by the build
    assert html["html-math-method"] == "plain"  # no MathJax from a CDN
    typst = config["format"]["typst"]
    assert typst["papersize"] == "a4" and typst["page-numbering"]
    named = [
        config["filters"],
        html["css"],
        html["include-before-body"],
        typst["include-in-header"],
    ]
    files = {f for item in named for f in (item if isinstance(item, list) else [item])}
    assert files - {"_document.typ"} <= set(QUARTO_SUPPORT)
    assert all((TEMPLATES / f).is_file() for f in QUARTO_SUPPORT)


def test_each_edition_says_its_language_and_links_to_the_other(rendered, ed):
    html = (rendered / ed.page).read_text(encoding="utf-8")
    tag = re.search(r"<html\b[^>]*>", html).group(0)
    assert re.search(rf'\blang="{ed.lang}(-[A-Z]+)?"', tag), tag
    for other in LANGUAGES:
        if other != ed.lang:
            target = edition(other).page
            assert (rendered / target).is_file(), target
            assert re.search(rf'<a href="{re.escape(target)}" hreflang="{other}"', html), target


class Unmarked(Visible):
    """The page's text outside elements marked as another language (lang="en" quotes)."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang, self.depth = lang, []

    def handle_starttag(self, tag, attrs):
        marked = dict(attrs).get("lang")
        if tag not in ("br", "img", "meta", "link", "input", "hr", "col", "wbr"):
            self.depth.append(bool(marked) and not marked.startswith(self.lang) and tag != "html")
        super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if self.depth:
            self.depth.pop()
        super().handle_endtag(tag)

    def handle_data(self, data):
        if not any(self.depth):
            super().handle_data(data)


def test_no_english_sentence_on_the_french_page(rendered):
    """Outside what is marked lang="en" (data as the project's files record it) and the
    outlets' names, the French page has none of the commonest English words."""
    page = Unmarked("fr")
    page.feed((rendered / edition("fr").page).read_text(encoding="utf-8"))
    said = f" {page.text} "
    outlets = sorted(
        json.loads((rendered / "datapackage.json").read_text()).get("sources", []),
        key=lambda s: -len(s.get("title", "")),
    )
    for source in outlets:
        said = said.replace(source.get("title", "\0"), " ")
    import csv

    with (rendered / "data/sources.csv").open(encoding="utf-8") as f:
        for row in sorted(csv.DictReader(f), key=lambda r: -len(r["outlet"] or "")):
            said = said.replace(row["outlet"], " ") if row["outlet"] else said
    found = re.findall(r".{40} (?:the|of the|and|were) .{40}", said)
    assert found == [], found[:5]


class _Folds(HTMLParser):
    """Each folded appendix table: its summary line and the first cell of every body row."""

    def __init__(self) -> None:
        super().__init__()
        self.folds: list[dict] = []
        self._where: str | None = None
        self._cell: list[str] | None = None
        self._first = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "details" and "appendix-fold" in (a.get("class") or ""):
            self.folds.append({"open": "open" in a, "summary": "", "rows": []})
        elif self.folds and tag == "summary":
            self._where = "summary"
        elif self.folds and tag == "tbody":
            self._where = "tbody"
        elif self._where == "tbody" and tag == "tr":
            self._first = True
        elif self._where == "tbody" and tag == "td" and self._first:
            self._cell, self._first = [], False

    def handle_endtag(self, tag):
        if tag == "summary":
            self._where = None
        elif tag == "td" and self._cell is not None:
            self.folds[-1]["rows"].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag in ("tbody", "details"):
            self._where = None

    def handle_data(self, data):
        if self._where == "summary":
            self.folds[-1]["summary"] += data
        elif self._cell is not None:
            self._cell.append(data)


def test_appendix_tables_are_folded_on_the_page_and_whole_in_the_pdf(rendered, ed):
    """Issue 14: the story reads first. The four long appendix tables (every strength figure,
    decisions, cleaning log, sources) are folded under a line that says how many rows they
    hold; printed, they unfold, so both PDFs still carry every row."""
    from haiti_report.report.text import format as fmt
    from haiti_report.report.text import labels

    parser = _Folds()
    parser.feed((rendered / ed.page).read_text(encoding="utf-8"))
    assert len(parser.folds) == 4, [f["summary"] for f in parser.folds]
    for fold in parser.folds:
        assert not fold["open"] and fold["rows"]
        rows = fmt.formats(ed.lang).number(len(fold["rows"]))
        assert " ".join(fold["summary"].split()) == labels(ed.lang)["appendix_fold"].format(
            rows=rows
        )
    if not shutil.which("pdftotext") or not (rendered / ed.pdf).exists():
        pytest.skip("needs poppler-utils and a PDF")
    printed = " ".join(pdftotext(rendered / ed.pdf).split())
    for fold in parser.folds:  # the last row of each table is in the PDF: nothing was cut
        # its first cell's longest word (a cell's text may wrap over lines in the PDF)
        last = max(fold["rows"][-1].split(), key=len)
        assert last in printed, (last, fold["summary"])
