"""The report's words: Markdown templates (Jinja2) whose placeholders are facts.

Reporters edit the templates in ``report/text/<lang>/*.md.j2``; code supplies values, never
wording. Every ``{{ }}`` output is escaped for Markdown (text from data cannot become markup),
and numbers and dates go through the house-style filters in :mod:`.format`. The same Markdown
feeds both renderers (Quarto, and nbconvert + Chromium).

Adding a language: copy ``en/`` to ``<lang>/``, translate the templates, ``labels.yml`` and
``charts.yml``, and give it a ``formats.yml`` (see ``fr/formats.yml``): Babel does its numbers
and dates (:mod:`.babel_format`). Every language's templates also see ``L``, their own
``labels.yml``, and the filter ``term`` (a vocabulary word in the language: ``{{ s | term(
"pledge_status") }}``).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

from haiti_report.report import prose
from haiti_report.report.text import format as fmt

TEXT_DIR = Path(__file__).parent


class Markdown(str):
    """Template output: already-safe Markdown (no second escaping)."""


def _finalize(value: Any) -> Any:
    if isinstance(value, Markdown):
        return value
    if not isinstance(value, str):
        return value
    # The escaping keeps a number's no-break spaces ("1 412 199", "15 %"). An apostrophe
    # cannot open Markdown or HTML: French needs it as written ("jusqu'à").
    return prose.escape_md(value).replace("&\\#x27;", "'")


def _trusted(value: Any) -> Any:
    """labels.yml, as the templates see it: the project's own words, not data (unescaped)."""
    if isinstance(value, dict):
        return {k: _trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    return Markdown(value) if isinstance(value, str) else value


PARAGRAPH = "\x1e"  # stands for a blank line of the template while it renders
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")


class _Loader(jinja2.FileSystemLoader):
    """Templates are written as prose: lines wrap freely and a blank line ends a paragraph.
    The loader marks the blank lines so that block tags ({% if %}) cannot break or glue
    paragraphs; :func:`render` turns the marks back into paragraph breaks."""

    def get_source(self, environment, template):  # type: ignore[no-untyped-def]
        source, filename, uptodate = super().get_source(environment, template)
        if template.endswith(".md.j2"):
            source = _BLANK_LINE.sub(f"\n{PARAGRAPH}\n", source.strip())
        return source, filename, uptodate


@cache
def environment(lang: str = "en") -> jinja2.Environment:
    env = jinja2.Environment(
        loader=_Loader(TEXT_DIR / lang),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown, not HTML: _finalize escapes every value instead
        finalize=_finalize,
        keep_trailing_newline=False,
        trim_blocks=False,  # a line break after a tag is a space between words
        lstrip_blocks=True,
    )
    env.filters.update(
        fmt.filters(lang),
        term=term_filter(lang),
        phrase=phrase_filter(lang),
        value=value_filter(lang),
    )
    env.globals.update(fmt.globals_(lang), L=_trusted(labels(lang)))
    return env


def render(name: str, lang: str = "en", **context: Any) -> Markdown:
    """Render ``<lang>/<name>.md.j2`` with ``context`` (usually ``f=facts``)."""
    text = environment(lang).get_template(f"{name}.md.j2").render(**context)
    finish = fmt.formats(lang).finish
    paragraphs = [finish(_tidy(p)) for p in text.split(PARAGRAPH)]
    return Markdown("\n\n".join(p for p in paragraphs if p))


# Only the template's own white space: a number's no-break spaces ("1 412 199" in French) stay.
WHITE = re.compile(r"[ \t\r\n\f\v]+")
_SPACE_BEFORE = re.compile(r"[ \t\r\n]+([,.;:)])")
_SPACE_AFTER = re.compile(r"([(])[ \t\r\n]+")


def words_of(text: str) -> list[str]:
    """``text.split()`` without splitting at no-break spaces."""
    return [w for w in WHITE.split(text) if w]


def _tidy(paragraph: str) -> str:
    """One paragraph: words joined by single spaces (lists, tables and headings keep their
    lines), no space before punctuation a tag may have pushed apart."""
    if _is_block(paragraph):
        return "\n".join(line.strip() for line in paragraph.strip().splitlines() if line.strip())
    text = " ".join(words_of(paragraph))
    return _SPACE_AFTER.sub(r"\1", _SPACE_BEFORE.sub(r"\1", text))


def _is_block(paragraph: str) -> bool:
    """Lists, tables and headings keep their line breaks."""
    return any(
        line.lstrip().startswith(("- ", "|", "#", "* ", "1. "))
        for line in paragraph.strip().splitlines()
    )


@cache
def labels(lang: str = "en") -> dict[str, Any]:
    """Table headings and other short labels (``<lang>/labels.yml``)."""
    return yaml.safe_load((TEXT_DIR / lang / "labels.yml").read_text(encoding="utf-8"))


def term(value: Any, vocabulary: str, lang: str = "en") -> str:
    """A word of one of the data's vocabularies (a pledge status, a source kind) in ``lang``,
    from ``labels.yml``'s ``terms``; a word it does not list is shown as written."""
    if value is None:
        return ""
    known = (labels(lang).get("terms") or {}).get(vocabulary) or {}
    return str(known.get(str(value), str(value).replace("_", " ")))


def phrase(english: str | None, lang: str) -> str | None:
    """A sentence the cleaning steps write in English (a log rule, a reason), in ``lang``:
    from ``labels.yml``'s ``phrases``, or a ``patterns`` entry; None if it has none."""
    if english is None or lang == "en":
        return english
    known = labels(lang)
    if english in (known.get("phrases") or {}):
        return str(known["phrases"][english])
    for pattern, words in known.get("patterns") or []:
        match = re.fullmatch(pattern, english)
        if match:
            parts = {k: phrase(v, lang) or v for k, v in match.groupdict().items()}
            return str(words).format(**parts)
    return None


def phrase_filter(lang: str) -> Any:
    """``{{ reason | phrase }}``: the cleaning's English sentence in the language, if it has
    a translation, else as written."""
    return lambda english: phrase(english, lang) or english


def value_filter(lang: str) -> Any:
    """``{{ x | value }}``: any value of facts.json in full (a changes table): numbers with the
    language's separators, none/true/false in its words (``labels.yml``: ``values``)."""
    words = labels(lang)["values"]
    exact = fmt.formats(lang).exact

    def shown(x: Any) -> str:
        if x is None or isinstance(x, bool):
            return str(words[str(x).lower()])
        if isinstance(x, int | float):
            return exact(x)
        return x if isinstance(x, str) else json.dumps(x, sort_keys=True, ensure_ascii=False)

    return shown


def term_filter(lang: str) -> Any:
    return lambda value, vocabulary: term(value, vocabulary, lang)


def edition_links(lang: str, editions: list[tuple[str, str]]) -> prose.Html:
    """Links from the edition in ``lang`` to the others (``editions``: language and file stem,
    report / report.fr), near the title; each link is worded in its own language."""
    links = [(other, stem, str(labels(other)["edition"]["link"])) for other, stem in editions]
    links = [link for link in links if link[0] != lang]
    html = " · ".join(
        f'<a href="{prose.escape(stem)}.html" hreflang="{prose.escape(other)}" '
        f'lang="{prose.escape(other)}">{prose.escape(words)}</a>'
        for other, stem, words in links
    )
    markdown = " · ".join(f"[{prose.escape_md(w)}]({stem}.html)" for _, stem, w in links)
    return prose.Html(f'<p class="report-editions">{html}</p>', markdown)
