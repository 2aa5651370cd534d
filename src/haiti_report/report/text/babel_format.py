"""The house-style formats for any language but English, from Babel (Unicode CLDR).

Babel gives each language its numbers ("1 412 199" in French, with the narrow no-break space
CLDR prescribes), its compact amounts ("110,3 millions"), per cent signs, dates ("21 mars
2026") and lists ("a, b et c"); the words a newsroom adds around them (qualifiers such as
"environ" and "au moins", "entre … et …", the currency's name, "le" before a day) are in
``report/text/<lang>/formats.yml``, next to the language's templates. The functions have the
names and signatures of the English ones in :mod:`.format`, so templates and code call either.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_compact_decimal, format_decimal, format_percent, get_currency_name

TEXT_DIR = Path(__file__).parent
CURRENCIES = ("usd", "cad", "eur")  # the units money figures come in (core/schemas: unit)
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_SPACES = "[ \u00a0\u202f]?"


class BabelFormats:
    """Numbers, money, dates and counts in ``lang``, as its templates and tables show them."""

    def __init__(self, lang: str) -> None:
        path = TEXT_DIR / lang / "formats.yml"
        if not path.is_file():
            raise ValueError(f"no formats for language {lang!r}: add {path.relative_to(TEXT_DIR)}")
        self.lang = lang
        self.w: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.locale = Locale.parse(self.w["locale"])

    # --- numbers -------------------------------------------------------------------------

    def number(self, value: int | float | None) -> str:
        """1412199 -> '1 412 199'; 0.5 -> '0,5'; None -> the word for unknown."""
        if value is None:
            return self.w["unknown"]
        if float(value).is_integer():
            return format_decimal(int(value), locale=self.locale)
        return format_decimal(value, format="#,##0.0", locale=self.locale)

    def exact(self, value: int | float) -> str:
        """A value in full ('0,4261', '1 412 199'): a changes table compares values exactly."""
        if float(value).is_integer():
            return self.number(value)
        return format_decimal(value, format="#,##0.##########", locale=self.locale)

    def words(self, n: int | float, gender: str = "m") -> str:
        """Counts under ten in words: 3 -> 'trois'; 1 -> 'un' or, feminine, 'une'."""
        small = self.w["small"][gender]
        return small[int(n)] if float(n).is_integer() and 0 <= n < len(small) else self.number(n)

    def plural(
        self,
        n: int,
        one: str,
        many: str | None = None,
        *,
        spell: bool = False,
        gender: str = "m",
    ) -> str:
        """plural(2, 'pays') -> '2 pays'; the language's plural rule picks the noun's form
        (in French 0 and 1 take the singular)."""
        noun = one if self.locale.plural_form(abs(n)) == "one" else (many or self._plural_of(one))
        return f"{self.words(n, gender) if spell else self.number(n)} {noun}"

    def _plural_of(self, noun: str) -> str:
        """The regular plural ('promesse' -> 'promesses'; French 'pays' stays 'pays')."""
        plurals = self.w.get("plural") or {}
        if noun.endswith(tuple(plurals.get("invariable_endings", ()))):
            return noun
        return noun + plurals.get("suffix", "s")

    def compact(self, value: int | float) -> str:
        """110_300_000 -> '110,3 millions' (two decimals at most, as the English house style)."""
        return format_compact_decimal(
            value, format_type="long", locale=self.locale, fraction_digits=2
        )

    def _plain(self, value: int | float, rounded: bool) -> str:
        return self.compact(value) if rounded and value >= 10**6 else self.number(value)

    def _currency(self, unit: str) -> str:
        return self.w.get("currency", {}).get(unit) or get_currency_name(
            unit.upper(), count=2, locale=self.locale
        )

    def _amount(self, value: int | float, unit: str, rounded: bool = False) -> str:
        if unit == "percent":
            return format_percent(value / 100, locale=self.locale, decimal_quantization=False)
        if unit in CURRENCIES:
            large = value >= 10**6
            amount = self.compact(value) if large else self.number(value)
            pattern = self.w["money"]["large" if large else "small"]
            return pattern.format(amount=amount, currency=self._currency(unit))
        return self._plain(value, rounded)

    def reported(
        self,
        value: int | float | None,
        qualifier: str | None = "exact",
        *,
        high: int | float | None = None,
        unit: str = "people",
    ) -> str:
        """A figure with the source's qualifier: 'environ 1 000', '1 500 à 2 000',
        '110,3 millions de dollars'."""
        if value is None:
            return self.w["unknown"]
        qualifier = qualifier or "exact"
        if qualifier == "range" and high is not None:
            low = self._plain(value, unit in CURRENCIES)
            return self.w["range"].format(low=low, high=self._amount(high, unit))
        if qualifier == "less_than":
            kind = "percent" if unit == "percent" else "money" if unit in CURRENCIES else "people"
            return self.w["less_than"][kind] + self._amount(value, unit)
        prefix = self.w["qualifiers"].get(qualifier, "")
        return prefix + self._amount(value, unit, qualifier != "exact")

    def count(self, c: Mapping[str, Any] | None) -> str:
        """A count of people as the strength model knows it: '980', 'jusqu'à 980',
        'entre 735 et 865', 'au moins 150'."""
        if c is None:
            return self.w["none"]
        if c["qualifier"] == "range" or c["value"] is None:
            if c["high"] is None:
                return self.w["at_least"].format(low=self.number(c["low"]))
            return self.w["between"].format(low=self.number(c["low"]), high=self.number(c["high"]))
        return self.reported(c["value"], c["qualifier"])

    def figure(self, f: Mapping[str, Any] | None, unit: str = "people") -> str:
        if f is None:
            return self.w["unknown"]
        return self.reported(f["value"], f["qualifier"], unit=unit)

    def money(self, f: Mapping[str, Any] | None, currency: str = "usd") -> str:
        return self.figure(f, currency)

    def pct(self, fraction: float | None) -> str:
        """A share from facts (0.1469) as a reader sees it: '15 %'; 'moins de 1 %'."""
        if fraction is None:
            return self.w["not_available"]
        if 0 < fraction < 0.01:
            return self.w["less_than"]["percent"] + format_percent(0.01, locale=self.locale)
        whole = int(f"{100 * fraction:.0f}")  # rounded as the English edition rounds it
        return format_percent(whole / 100, locale=self.locale)

    def with_noun(self, amount: str, noun: str) -> str:
        """'5,7 millions' + 'personnes' -> '5,7 millions de personnes'; '980 personnes'."""
        last = amount.split()[-1] if amount.split() else ""
        pattern = self.w["noun_after_large"] if last in self.w["large_words"] else "{amount} {noun}"
        return pattern.format(amount=amount, noun=noun)

    # --- dates ---------------------------------------------------------------------------

    def _parts(self, value: dt.date | str) -> tuple[dt.date, str] | None:
        """A date and how precise it is ('day', 'month', 'year'), or None if not ISO."""
        if isinstance(value, dt.date):
            return value, "day"
        match = _ISO.match(str(value).strip())
        if not match:
            return None
        year, month, day = match.groups()
        precision = "day" if day else "month" if month else "year"
        return dt.date(int(year), int(month or 1), int(day or 1)), precision

    def date(self, value: dt.date | str | None) -> str:
        """'2024-09-21' -> '21 septembre 2024'; '2025-10-01' -> '1er octobre 2025';
        '2024-06' -> 'juin 2024'; '2024' -> '2024'."""
        if value is None:
            return self.w["unknown_date"]
        parts = self._parts(value)
        if parts is None:
            return str(value)
        day, precision = parts
        if precision == "year":
            return str(day.year)
        dates = self.w["dates"]
        pattern = dates["month"] if precision == "month" else dates["day"]
        if precision == "day" and day.day == 1 and dates.get("first_day"):
            pattern = dates["first_day"]
        return format_date(day, pattern, locale=self.locale)

    def on_date(self, value: dt.date | str | None) -> str:
        """'le 21 septembre 2024', 'en octobre 2024', 'en 2023'."""
        text = self.date(value)
        parts = self._parts(value) if value is not None else None
        if parts is None:
            return text
        key = {"day": "on_day", "month": "in_month", "year": "in_year"}[parts[1]]
        return self.w["dates"][key].format(date=text)

    def month(self, value: dt.date | str | None) -> str:
        if value is None:
            return self.w["unknown_month"]
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        return self.date(text[:7])

    @staticmethod
    def days_between(a: str | dt.date, b: str | dt.date) -> int:
        a = a if isinstance(a, dt.date) else dt.date.fromisoformat(str(a))
        b = b if isinstance(b, dt.date) else dt.date.fromisoformat(str(b))
        return (b - a).days

    # --- text ----------------------------------------------------------------------------

    def join(self, items: Sequence[str]) -> str:
        """['a', 'b', 'c'] -> 'a, b et c'."""
        items = [str(i) for i in items]
        return format_list(items, locale=self.locale) if items else ""

    @staticmethod
    def first_upper(text: str) -> str:
        return text[:1].upper() + text[1:]

    def finish(self, text: str) -> str:
        """The language's typography on a rendered text: in French, a no-break space before
        ':' and a narrow one before ';', '!' and '?' (never inside a URL or an escaped mark),
        and inside guillemets."""
        for mark, space in (self.w.get("spacing") or {}).items():
            text = re.sub(
                rf"(?<=[^\s\\]){_SPACES}{re.escape(mark)}(?=[\s).,;:]|$)", space + mark, text
            )
        if self.w.get("guillemets"):
            text = re.sub(rf"«{_SPACES}", "«\u00a0", text)
            text = re.sub(rf"{_SPACES}»", "\u00a0»", text)
        return text
