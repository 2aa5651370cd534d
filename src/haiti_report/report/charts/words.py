"""The charts' words: Jinja2 strings in ``report/text/<lang>/charts.yml``.

Reporters edit the words there; code supplies the values. Each string is rendered with the
facts as ``f`` (facts.json, the one owner of every headline number), the chart's own plotted
values as ``d`` (e.g. the round a panel shows), a table row as ``r`` where the string labels a
row, and the house-style filters of :mod:`haiti_report.report.text.format` (``n``, ``count``,
``figure``, ``money``, ``date``, ``month``, ``reported``, ``join``, ``words``) and functions
(``plural``, ``share``). Chart text is plain text (Vega draws it; it is never HTML or
Markdown), so nothing is escaped here; the offline renderer escapes what it puts in HTML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

from haiti_report.report import text
from haiti_report.report.charts.style import Words
from haiti_report.report.text import format as fmt

TEXT_DIR = Path(__file__).parents[1] / "text"


@cache
def _environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain chart text, drawn by Vega
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        fmt.filters(lang), term=text.term_filter(lang), phrase=text.phrase_filter(lang)
    )
    env.globals.update(fmt.globals_(lang), L=text.labels(lang))
    return env


@cache
def catalogue(lang: str = "en") -> dict[str, Any]:
    """charts.yml as loaded (strings still templates)."""
    path = TEXT_DIR / lang / "charts.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def _template(source: str, lang: str) -> jinja2.Template:
    return _environment(lang).from_string(source)


_SPACE_BEFORE = re.compile(r"[ \t\r\n]+([,.;:)])")
_SPACE_AFTER = re.compile(r"([(])[ \t\r\n]+")


def say(source: str, lang: str = "en", **context: Any) -> str:
    """Render one string; runs of white space (template line breaks) become one space, and
    no space is left before punctuation that a template tag pushed apart; then the language's
    typography (French: no-break spaces before ; : ! ?). No-break spaces in numbers stay."""
    said = " ".join(text.words_of(_template(source, lang).render(**context)))
    return fmt.formats(lang).finish(_SPACE_AFTER.sub(r"\1", _SPACE_BEFORE.sub(r"\1", said)))


class ChartText:
    """The words of one chart, rendered against the facts and the chart's values."""

    def __init__(
        self, name: str, f: Mapping[str, Any], d: Mapping[str, Any], lang: str | None = None
    ):
        # The language charts.make_all set (English outside it): the builders need not pass it.
        lang = lang or fmt.active_language()
        self.name, self.lang = name, lang
        self.fmt = fmt.formats(lang)
        self.entry: dict[str, Any] = catalogue(lang)[name]
        self.common: dict[str, Any] = catalogue(lang)["common"]
        self.context = {"f": f, "d": d}

    def _say(self, source: str, **extra: Any) -> str:
        return say(source, self.lang, **self.context, **extra)

    def words(self) -> Words:
        notes = [self._say(n) for n in self.entry.get("notes", [])]
        return Words(
            title=self._say(self.entry["title"]),
            subtitle=self._say(self.entry["subtitle"]),
            alt=self._say(self.entry["alt"]),
            notes=tuple(self._say(self.common["note"], note=n) for n in notes if n),
        )

    def label(self, key: str, **extra: Any) -> str:
        """A short label of this chart (axis, legend, tooltip title, a mark's text)."""
        value: Any = self.entry["labels"]
        for part in key.split("."):
            value = value[part]
        return self._say(str(value), **extra)

    def row(self, key: str, r: Mapping[str, Any]) -> str:
        """A label made for one plotted row (``r``)."""
        return self.label(key, r=r)

    def shared(self, key: str, **extra: Any) -> str:
        """A label shared by every chart (``common`` in charts.yml)."""
        value: Any = self.common
        for part in key.split("."):
            value = value[part]
        return self._say(str(value), **extra)
