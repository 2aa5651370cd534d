"""Country names as sources write them → ISO 3166 alpha-3 codes, and codes → names for prose.

Matching is exact, never fuzzy: first the project's alias table (``data/raw/country_aliases.csv``,
columns ``alias,iso3,note``), then pycountry's names, official names, common names and codes.
Case, spacing, accents and curly apostrophes are ignored, so "cote d’ivoire" finds CIV. A name
that matches nothing is an error that suggests close spellings; a wrong guess would silently
move troops to another country.

Rows in the data that are not countries — "MSS total", "GSF total", "All contributors",
"UN trust fund", "United Nations" — are the caller's to skip: check :func:`is_non_country`
first. :meth:`CountryNames.to_iso3` refuses them with an explanation rather than a code.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Final

import polars as pl
import pycountry

from haiti_report.core.errors import InputError
from haiti_report.raw.files import LINE, read_raw_csv

ALIAS_FILE: Final = Path("data/raw/country_aliases.csv")
ALIAS_COLUMNS: Final = ("alias", "iso3", "note")
NON_COUNTRY_SCOPES: Final = frozenset(
    {"MSS total", "GSF total", "All contributors", "UN trust fund", "United Nations"}
)
# pycountry's names with inverted commas read badly in prose.
_PROSE_NAMES: Final = {
    "COD": "Democratic Republic of the Congo",
    "FSM": "Micronesia",
    "PSE": "Palestine",
    "VGB": "British Virgin Islands",
    "VIR": "US Virgin Islands",
}


def normalise(name: str) -> str:
    """The form names are compared in: no accents, case, curly quotes or extra spaces."""
    text = unicodedata.normalize("NFKD", name.replace("\u2019", "'"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text).strip().casefold()


_NON_COUNTRY_KEYS: Final = frozenset(normalise(scope) for scope in NON_COUNTRY_SCOPES)


def is_non_country(name: str) -> bool:
    """Whether a scope such as "MSS total" or "United Nations" stands for no single country."""
    return normalise(name) in _NON_COUNTRY_KEYS


def split_countries(cell: str) -> list[str]:
    """Split a multi-country cell such as "Bahamas; Belize"; empty pieces are dropped.

    Only ";" separates: commas and "and" occur inside names ("Trinidad and Tobago").
    """
    return [part.strip() for part in cell.split(";") if part.strip()]


@cache
def _pycountry_index() -> dict[str, str]:
    """Every name and code pycountry knows, normalised → alpha-3."""
    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            if (value := getattr(country, attr, None)) is not None:
                index[normalise(value)] = country.alpha_3
    return index


def _country_names() -> list[str]:
    return [getattr(c, "common_name", None) or c.name for c in pycountry.countries]


@dataclass(frozen=True)
class CountryNames:
    """Name look-ups through an alias table; :meth:`from_csv` checks the table as it loads it."""

    aliases: Mapping[str, str] = field(default_factory=dict)  # alias as written → alpha-3
    alias_file: Path = ALIAS_FILE  # where error messages tell users to add spellings
    _by_key: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {normalise(a): c for a, c in self.aliases.items()})

    @classmethod
    def from_csv(cls, path: str | Path = ALIAS_FILE) -> CountryNames:
        """Load and check the alias table (through the one raw reader, so it is read as every
        raw file is); every problem is an InputError with its line."""
        path = Path(path)
        frame = read_raw_csv(path, ALIAS_COLUMNS, allow_empty=True)
        return cls(_read_aliases(frame, path), path)

    def to_iso3(
        self,
        name: str,
        *,
        file: str | Path = "<input>",
        row: int | None = None,
        column: str | None = None,
    ) -> str:
        """The alpha-3 code for a country name; ``file``/``row``/``column`` locate errors."""
        key = normalise(name)
        if not key:
            raise InputError(
                file,
                "the country is empty",
                "Fill in the country",
                row=row,
                column=column,
                found=name,
            )
        if is_non_country(name):
            raise InputError(
                file,
                "this is a total or an organisation, not a country",
                "Skip such rows before looking up countries (see is_non_country)",
                row=row,
                column=column,
                found=name,
            )
        code = self._by_key.get(key) or _pycountry_index().get(key)
        if code is not None:
            return code
        known = {normalise(n): n for n in [*_country_names(), *self.aliases]}
        close = [known[k] for k in difflib.get_close_matches(key, known, n=3, cutoff=0.6)]
        hint = f"Did you mean {' or '.join(close)}? " if close else ""
        raise InputError(
            file,
            "unknown country name",
            f"{hint}If the spelling is right, add a row '{name},<ISO3>,<note>' "
            f"to {self.alias_file}",
            row=row,
            column=column,
            found=name,
        )

    def name(
        self,
        iso3: str,
        *,
        file: str | Path = "<input>",
        row: int | None = None,
        column: str | None = None,
    ) -> str:
        """The short English name a reporter would use: "Bahamas", "Bolivia", "Kenya"."""
        country = pycountry.countries.get(alpha_3=iso3.strip().upper())
        if country is None:
            raise InputError(
                file,
                "not an ISO 3166 alpha-3 country code",
                "Use the three-letter code, e.g. KEN for Kenya",
                row=row,
                column=column,
                found=iso3,
            )
        return (
            _PROSE_NAMES.get(country.alpha_3)
            or getattr(country, "common_name", None)
            or country.name
        )


def _read_aliases(frame: pl.DataFrame, path: Path) -> dict[str, str]:
    aliases: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for record in frame.iter_rows(named=True):
        line = record[LINE]
        alias = record["alias"] or ""
        code = (record["iso3"] or "").upper()
        if not alias:
            raise InputError(
                path, "the alias is empty", "Fill in or delete the row", row=line, column="alias"
            )
        key = normalise(alias)
        if key in first_line:
            raise InputError(
                path,
                f"this alias repeats line {first_line[key]}",
                "Keep one row per spelling",
                row=line,
                column="alias",
                found=alias,
            )
        if len(code) != 3 or pycountry.countries.get(alpha_3=code) is None:
            raise InputError(
                path,
                "not an ISO 3166 alpha-3 country code",
                "Use the three-letter code, e.g. KEN for Kenya",
                row=line,
                column="iso3",
                found=record["iso3"] or "",
            )
        official = _pycountry_index().get(key)
        if official not in (None, code):
            # An alias must never send a real country's name to another country.
            raise InputError(
                path,
                f"'{alias}' is the ISO name of {official}, not {code}",
                "Delete the row or correct the code",
                row=line,
                column="iso3",
                found=code,
            )
        aliases[alias], first_line[key] = code, line
    return aliases
