from __future__ import annotations

from pathlib import Path

import pytest

from haiti_report.core.errors import InputError
from haiti_report.raw.countries import (
    CountryNames,
    is_non_country,
    split_countries,
)


def write_aliases(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "country_aliases.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def names(tmp_path: Path) -> CountryNames:
    return CountryNames.from_csv(
        write_aliases(
            tmp_path,
            "alias,iso3,note\n"
            "The Bahamas,BHS,as Reuters writes it\n"
            "Ivory Coast,CIV,English name\n"
            "Bahamas,BHS,same as ISO name: harmless\n",
        )
    )


@pytest.mark.parametrize(
    ("name", "iso3"),
    [
        ("Kenya", "KEN"),
        ("  kenya ", "KEN"),
        ("The Bahamas", "BHS"),
        ("the  bahamas", "BHS"),
        ("Bahamas", "BHS"),
        ("Guatemala", "GTM"),
        ("El Salvador", "SLV"),
        ("Jamaica", "JAM"),
        ("Belize", "BLZ"),
        ("Côte d'Ivoire", "CIV"),
        ("Côte d’Ivoire", "CIV"),
        ("Cote d'Ivoire", "CIV"),
        ("Republic of Côte d'Ivoire", "CIV"),
        ("Ivory Coast", "CIV"),
        ("Bolivia", "BOL"),
        ("Republic of Kenya", "KEN"),
        ("KEN", "KEN"),
        ("ke", "KEN"),
    ],
)
def test_names_to_iso3(names: CountryNames, name: str, iso3: str) -> None:
    assert names.to_iso3(name) == iso3


def test_unknown_name_suggests_close_matches_and_the_alias_file(names: CountryNames) -> None:
    with pytest.raises(InputError) as caught:
        names.to_iso3("Kenia", file="data/raw/pledges.csv", row=4, column="country")
    message = str(caught.value)
    assert "Kenya" in message
    assert "country_aliases.csv" in message
    assert "data/raw/pledges.csv, line 4, column 'country'" in message
    assert "'Kenia'" in message


def test_no_fuzzy_matching(names: CountryNames) -> None:
    for almost in ("Kenia", "Bahamas Islands", "Guatamala"):
        with pytest.raises(InputError):
            names.to_iso3(almost)


def test_suggestions_include_aliases(names: CountryNames) -> None:
    with pytest.raises(InputError) as caught:
        names.to_iso3("Ivory Cost")
    assert "Ivory Coast" in str(caught.value)


def test_default_alias_file_is_named_in_errors() -> None:
    with pytest.raises(InputError) as caught:
        CountryNames().to_iso3("Kenia")
    assert "data/raw/country_aliases.csv" in str(caught.value)


@pytest.mark.parametrize(
    "scope",
    ["MSS total", "GSF total", "All contributors", "UN trust fund", "United Nations", "mss  TOTAL"],
)
def test_non_country_scopes(names: CountryNames, scope: str) -> None:
    assert is_non_country(scope)
    with pytest.raises(InputError, match="not a country"):
        names.to_iso3(scope, file="f.csv", row=2, column="country")


def test_countries_are_not_scopes() -> None:
    assert not is_non_country("Kenya")


def test_empty_name_is_an_error(names: CountryNames) -> None:
    with pytest.raises(InputError, match="empty"):
        names.to_iso3("  ", file="f.csv", row=2, column="country")


@pytest.mark.parametrize(
    ("cell", "parts"),
    [
        ("Bahamas; Belize", ["Bahamas", "Belize"]),
        ("Kenya", ["Kenya"]),
        ("Trinidad and Tobago;Jamaica;", ["Trinidad and Tobago", "Jamaica"]),
        ("Korea, Republic of", ["Korea, Republic of"]),
        ("", []),
    ],
)
def test_split_countries(cell: str, parts: list[str]) -> None:
    assert split_countries(cell) == parts


@pytest.mark.parametrize(
    ("iso3", "name"),
    [
        ("KEN", "Kenya"),
        ("BHS", "Bahamas"),
        ("GMB", "Gambia"),
        ("BOL", "Bolivia"),
        ("COD", "Democratic Republic of the Congo"),
        ("jam", "Jamaica"),
    ],
)
def test_prose_names(names: CountryNames, iso3: str, name: str) -> None:
    assert names.name(iso3) == name


def test_unknown_code_has_no_name(names: CountryNames) -> None:
    with pytest.raises(InputError, match="alpha-3") as caught:
        names.name("XKX", file="f.csv", row=3, column="iso3")
    assert "f.csv, line 3, column 'iso3'" in str(caught.value)


# --- the alias file itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("alias,note\nThe Bahamas,BHS\n", 1, "'iso3' is missing"),
        ("alias,iso3\nThe Bahamas,BHS\n", 1, "'note' is missing"),
        ("alias,iso3,note\nThe Bahamas,BHS,\nKenia,KEY,typo\n", 3, "alpha-3"),
        ("alias,iso3,note\nThe Bahamas,BHS,\nKenia,,\n", 3, "alpha-3"),
        ("alias,iso3,note\nThe Bahamas,BHS,\n\nthe  BAHAMAS,BHS,again\n", 4, "repeats line 2"),
        ("alias,iso3,note\n,KEN,no alias\n", 2, "alias is empty"),
        ("alias,iso3,note\nNiger,NGA,wrong\n", 2, "ISO name of NER"),
    ],
)
def test_alias_file_errors(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = write_aliases(tmp_path, text)
    with pytest.raises(InputError) as caught:
        CountryNames.from_csv(path)
    assert caught.value.row == line
    assert words in str(caught.value)
    assert str(path) in str(caught.value)


def test_alias_file_with_bom_and_lowercase_codes(tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv"
    path.write_text("\ufeffalias,iso3,note\nLa Guinée,gin,French\n", encoding="utf-8")
    assert CountryNames.from_csv(path).to_iso3("la guinee") == "GIN"


def test_missing_alias_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing"):
        CountryNames.from_csv(tmp_path / "nope.csv")


def test_alias_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv"
    path.write_bytes("alias,iso3,note\nCôte,CIV,\n".encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8"):
        CountryNames.from_csv(path)
