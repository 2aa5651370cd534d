"""The page's share preview: what a link to the report shows in a chat, a feed or a search.

Both renderers put the same tags in the page's ``<head>`` (nbconvert through the offline
template, Quarto through a header include): ``<meta name="description">``, Open Graph
(``og:title``, ``og:description``, ``og:type``, ``og:image``) and a Twitter card. Nothing is
typed here: the title is the report's title (the one ``<title>`` shows), the description the
lede's first paragraph as the text templates write it from the build's facts, and the image the
report's first chart as the build saved it (``figures/<name>.png``, a path relative to the page,
beside it in the build folder), described by its own alt text.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

OG_TYPE = "article"
TWITTER_CARD = "summary_large_image"  # the chart, large, under the title
_TAG = re.compile(r"<[^>]+>")
_WHITE = re.compile(r"[ \t\r\n\f\v]+")  # a number's no-break spaces stay ("1 412 199")


def plain(markdown: str) -> str:
    """Markdown (one paragraph of a text template) as the plain text a reader sees."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return _WHITE.sub(" ", html.unescape(_TAG.sub("", markdown2html_mistune(markdown)))).strip()


def description(facts: dict[str, Any], lang: str = "en") -> str:
    """The lede's first paragraph, from this build's facts (the text the page opens with)."""
    from haiti_report.report import text

    return plain(text.render("lede", lang, f=facts).split("\n\n")[0])


def image(out_dir: Path, lang: str = "en") -> tuple[str, str] | None:
    """The report's first chart as saved in the build: (path relative to the page, alt text)."""
    from haiti_report.report.charts import CHARTS, figures_folder

    name = next(iter(CHARTS))
    folder = figures_folder(lang)
    if not (out_dir / folder / f"{name}.png").is_file():
        return None
    spec = out_dir / folder / f"{name}.vl.json"
    alt = (
        json.loads(spec.read_text(encoding="utf-8")).get("description", "")
        if spec.is_file()
        else ""
    )
    return f"{folder}/{name}.png", " ".join(str(alt).split())


def share_meta(title: str, facts: dict[str, Any], out_dir: Path, lang: str = "en") -> str:
    """The ``<meta>`` tags of the share preview (empty without facts: nothing to say)."""
    if not facts:
        return ""
    said = description(facts, lang)
    tags = [
        ("name", "description", said),
        ("property", "og:title", title),
        ("property", "og:description", said),
        ("property", "og:type", OG_TYPE),
        ("name", "twitter:card", TWITTER_CARD),
        ("name", "twitter:title", title),
        ("name", "twitter:description", said),
    ]
    shown = image(out_dir, lang)
    if shown:
        path, alt = shown
        tags += [("property", "og:image", path), ("name", "twitter:image", path)]
        if alt:
            tags += [("property", "og:image:alt", alt), ("name", "twitter:image:alt", alt)]
    return "".join(
        f'<meta {attr}="{key}" content="{html.escape(value, quote=True)}">\n'
        for attr, key, value in tags
    )
