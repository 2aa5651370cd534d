"""The report's editions, for tests that check each one the same way (page, PDF, browser).

Each edition knows its files (report.html / report.fr.html, its executed notebook, its charts'
folder) and writes numbers and dates as its readers do, through the same formats the report
uses, so a test states its expectation once for every language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from haiti_report.build.steps import EDITIONS, STEPS
from haiti_report.report.charts import figures_folder
from haiti_report.report.text import format as fmt
from haiti_report.report.text import labels

LANGUAGES = tuple(lang for lang, _, _ in EDITIONS)


@dataclass(frozen=True)
class Edition:
    lang: str
    step: str
    stem: str

    @property
    def page(self) -> str:
        return f"{self.stem}.html"

    @property
    def pdf(self) -> str:
        return f"{self.stem}.pdf"

    @property
    def notebook(self) -> str:
        return "notebooks/" + next(s.executed_name for s in STEPS if s.name == self.step)

    @property
    def figures(self) -> str:
        return figures_folder(self.lang)

    def n(self, value: int | float) -> str:
        """A number as this edition prints it ('1,412,199', '1 412 199'), its no-break spaces
        read as spaces (as the tests read page and PDF text, white space joined)."""
        return " ".join(fmt.formats(self.lang).number(value).split())

    @property
    def first_section(self) -> str:
        return str(labels(self.lang)["sections"]["pledges"])

    @property
    def months(self) -> str:
        """A regular expression for a month and year as this edition writes them."""
        names = [fmt.formats(self.lang).date(f"2024-{m:02d}") for m in range(1, 13)]
        return "|".join(re.escape(n.rsplit(" ", 1)[0]) for n in names)

    def files(self, out: Path) -> tuple[Path, Path]:
        return out / self.page, out / self.pdf


def edition(lang: str) -> Edition:
    return next(Edition(code, step, stem) for code, step, stem in EDITIONS if code == lang)


def plain_number(text: str) -> float:
    """'1,412,199', '1 412 199' or '0,5' -> the number."""
    text = text.replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    if "," in text and "." not in text and re.fullmatch(r"\d+,\d{1,2}", text):
        text = text.replace(",", ".")
    return float(text.replace(",", ""))
