"""The report's words: Markdown templates (Jinja2) whose placeholders are facts.

Reporters edit the templates in ``report/text/<lang>/*.md.j2``; code supplies values, never
wording. Every ``{{ }}`` output is escaped for Markdown (text from data cannot become markup),
and numbers and dates go through the house-style filters in :mod:`.format`. The same Markdown
feeds both renderers (Quarto, and nbconvert + Chromium).

Adding a language: copy ``en/`` to ``<lang>/``, translate the templates and ``tables.yml``,
and add the language's formats to :mod:`.format`.
"""

from __future__ import annotations

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
    return prose.escape_md(value) if isinstance(value, str) else value


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
    env.filters.update(fmt.filters(lang))
    env.globals.update(fmt.globals_(lang))
    return env


def render(name: str, lang: str = "en", **context: Any) -> Markdown:
    """Render ``<lang>/<name>.md.j2`` with ``context`` (usually ``f=facts``)."""
    text = environment(lang).get_template(f"{name}.md.j2").render(**context)
    paragraphs = [_tidy(p) for p in text.split(PARAGRAPH)]
    return Markdown("\n\n".join(p for p in paragraphs if p))


_SPACE_BEFORE = re.compile(r"\s+([,.;:)])")
_SPACE_AFTER = re.compile(r"([(])\s+")


def _tidy(paragraph: str) -> str:
    """One paragraph: words joined by single spaces (lists, tables and headings keep their
    lines), no space before punctuation a tag may have pushed apart."""
    if _is_block(paragraph):
        return "\n".join(line.strip() for line in paragraph.strip().splitlines() if line.strip())
    text = " ".join(paragraph.split())
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
