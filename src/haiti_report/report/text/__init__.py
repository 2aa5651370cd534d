"""The report's words: Markdown templates (Jinja2) whose placeholders are facts.

Reporters edit the templates in ``report/text/<lang>/*.md.j2``; code supplies values, never
wording. Every ``{{ }}`` output is escaped for Markdown (text from data cannot become markup),
and numbers and dates go through the house-style filters in :mod:`.format`. The same Markdown
feeds both renderers (Quarto, and nbconvert + Chromium).

Adding a language: copy ``en/`` to ``<lang>/``, translate the templates and ``tables.yml``,
and add the language's formats to :mod:`.format`.
"""

from __future__ import annotations

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


@cache
def environment(lang: str = "en") -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEXT_DIR / lang),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown, not HTML: _finalize escapes every value instead
        finalize=_finalize,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(fmt.filters(lang))
    env.globals.update(fmt.globals_(lang))
    return env


def render(name: str, lang: str = "en", **context: Any) -> Markdown:
    """Render ``<lang>/<name>.md.j2`` with ``context`` (usually ``f=facts``)."""
    text = environment(lang).get_template(f"{name}.md.j2").render(**context)
    # Paragraphs are written over several template lines; join them, keep blank lines.
    paragraphs = [
        " ".join(p.split()) if not _is_block(p) else p.strip("\n") for p in text.split("\n\n")
    ]
    return Markdown("\n\n".join(p for p in paragraphs if p.strip()))


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
