"""Place names in the edition's language, from maintained sources (never a hand list).

* **Countries**: the processed tables carry ISO 3166 alpha-3 codes and English names
  (pycountry). Another edition names each country as Unicode CLDR does in its language
  (Babel's territory names, reached through pycountry's alpha-2 code): "Jamaïque",
  "Bahamas", "États-Unis".
* **Haiti's departments**: IOM writes them in English spellings ("Nord Est", "Grande Anse"); in
  French they are named as ISO 3166-2:HT names them (pycountry's subdivisions): "Nord-Est",
  "Grande'Anse". The match is on the letters of the name, accents and punctuation aside.

:func:`localised` returns the processed tables with those names replaced; codes, numbers and
everything else stay as they were, so the charts draw the same rows.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from functools import cache

import polars as pl
import pycountry
from babel import Locale

from haiti_report.report import text
from haiti_report.report.tables import Processed

DEPARTMENT_NAMES_IN = ("fr",)  # ISO 3166-2:HT names Haiti's departments in French


@cache
def country_name(iso3: str, lang: str) -> str | None:
    """'JAM', 'fr' -> 'Jamaïque'; None for a code CLDR does not name."""
    found = pycountry.countries.get(alpha_3=iso3)
    if found is None:
        return None
    return Locale.parse(lang).territories.get(found.alpha_2)


def _letters(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalpha())


@cache
def _departments() -> dict[str, str]:
    return {_letters(s.name): s.name for s in pycountry.subdivisions.get(country_code="HT")}


def department_name(name: str, lang: str) -> str:
    """'Nord Est' -> 'Nord-Est' in French; a name ISO 3166-2:HT does not know stays."""
    if lang not in DEPARTMENT_NAMES_IN:
        return name
    return _departments().get(_letters(name), name).replace("\u2019", "'")


def _rename(frame: pl.DataFrame, column: str, names: dict[str, str], key: str) -> pl.DataFrame:
    if frame.is_empty() or column not in frame.columns:
        return frame
    return frame.with_columns(
        pl.col(key)
        .replace_strict(names, default=pl.col(column), return_dtype=pl.String)
        .alias(column)
    )


def localised(p: Processed, lang: str) -> Processed:
    """The tables with country and department names in ``lang`` (English: unchanged)."""
    if lang == "en":
        return p
    codes = {
        c
        for frame in (p.pvd, p.pledges, p.personnel)
        if "iso3" in frame.columns
        for c in frame["iso3"].drop_nulls().unique()
    }
    countries = {c: n for c in codes if (n := country_name(c, lang))}
    whole = str(text.labels(lang)["mission"])
    personnel = p.personnel
    if not personnel.is_empty():
        personnel = personnel.with_columns(
            pl.when(pl.col("scope") == "mission")
            .then(pl.lit(whole))
            .otherwise(
                pl.col("iso3").replace_strict(
                    countries, default=pl.col("name"), return_dtype=pl.String
                )
            )
            .alias("name")
        )
    departments = p.departments
    if not departments.is_empty():
        departments = departments.with_columns(
            pl.col("department").map_elements(
                lambda n: department_name(n, lang), return_dtype=pl.String
            )
        )
    return dataclasses.replace(
        p,
        pvd=_rename(p.pvd, "country", countries, "iso3"),
        pledges=_rename(p.pledges, "country", countries, "iso3"),
        personnel=personnel,
        departments=departments,
    )
