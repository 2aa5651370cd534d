"""Tests for the DTM readers: real shared samples (skipped when absent) and small own fixtures."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from xlsxwriter.utility import xl_cell_to_rowcol

from haiti_report.core.errors import InputError
from haiti_report.raw import dtm
from haiti_report.raw.dtm import (
    DtmFigures,
    national_totals,
    read_dtm_api_json,
    read_dtm_file,
    read_hdx_baseline_xlsx,
    read_hdx_csv,
)

FIXTURES = Path(__file__).parent / "fixtures" / "dtm"
SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "haiti_dtm_samples"
CWM = "Countrywide monitoring"

# displacement_notes.md section 2: best national series from R6 on (API = headline).
NATIONAL_BA = {"6": 362_551, "7": 578_074, "8": 702_973, "9": 1_041_229, "10": 1_287_593}
# displacement_notes.md section 2, department table, R10 column.
R10_DEPARTMENTS = {
    "Ouest": 413_216,
    "Sud": 185_673,
    "Sud-Est": 143_183,
    "Grande Anse": 112_025,
    "Nippes": 56_887,
    "Centre": 147_230,
    "Artibonite": 92_304,
    "Nord": 115_657,
    "Nord Ouest": 16_984,
    "Nord Est": 4_434,
}


def sample(name: str) -> Path:
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(f"shared DTM sample {path} not present (it lives outside the repo)")
    return path


def figures(df: pl.DataFrame, **where: object) -> dict[tuple, int]:
    """{(round, assessment_type[, admin1_name]): idps} for rows matching ``where``."""
    rows = df.filter(**where) if where else df
    return {
        (r["round"], r["assessment_type"], r["admin1_name"])
        if r["admin_level"] == 1
        else (r["round"], r["assessment_type"]): r["idps"]
        for r in rows.iter_rows(named=True)
    }


def raises_input_error(fn, *args, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        fn(*args, **kwargs)
    return info.value


def copy_with(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------
# Real shared samples
# ------------------------------------------------------------------------------------------


def test_api_admin0_per_round_totals_match_the_notes() -> None:
    df = read_dtm_api_json(sample("dtm_api_v3_admin0_HTI.json"))
    DtmFigures.validate(df)
    ba = figures(df, operation=CWM, assessment_type="BA")
    for rnd, total in NATIONAL_BA.items():
        assert ba[(rnd, "BA")] == total
    # R2: the SA row (a subset of sites) is kept apart, never added to the baseline
    assert figures(df, operation=CWM, round="2") == {("2", "BA"): 155_166, ("2", "SA"): 39_492}
    r10 = df.filter(operation=CWM, round="10").row(0, named=True)
    assert r10["reporting_date"] == dt.date(2025, 6, 30)  # end-of-month stamp
    assert r10["rows_summed"] == 9  # origin x reason rows added up
    assert r10["households"] is None


def test_api_admin1_departments_match_the_notes_and_add_up_to_admin0() -> None:
    dept = read_dtm_api_json(sample("dtm_api_v3_admin1_HTI.json"))
    nat = read_dtm_api_json(sample("dtm_api_v3_admin0_HTI.json"))
    r10 = dept.filter(operation=CWM, round="10", assessment_type="BA")
    assert dict(zip(r10["admin1_name"], r10["idps"], strict=True)) == R10_DEPARTMENTS
    assert set(r10["admin1_pcode"]) == {f"HT{i:02d}" for i in range(1, 11)}
    assert r10["idps"].sum() == 1_287_593
    for rnd, total in NATIONAL_BA.items():
        assert dept.filter(operation=CWM, round=rnd, assessment_type="BA")["idps"].sum() == total
    # national_totals falls back to the department sum and flags it; same numbers as admin0
    from_dept = national_totals(dept).filter(operation=CWM)
    from_nat = national_totals(nat).filter(operation=CWM)
    assert set(from_dept["basis"]) == {"sum_of_admin1"}
    assert set(from_nat["basis"]) == {"admin0"}
    key = ["round", "reporting_date", "assessment_type", "idps"]
    assert from_dept.select(key).sort(key).equals(from_nat.select(key).sort(key))


def test_hdx_csv_per_round_totals_equal_the_api() -> None:
    csv_df = read_hdx_csv(sample("hdx_global_iom_dtm_from_api_HTI_rows.csv"))
    api = pl.concat(
        [
            read_dtm_api_json(sample("dtm_api_v3_admin0_HTI.json")),
            read_dtm_api_json(sample("dtm_api_v3_admin1_HTI.json")),
        ]
    )
    key = [
        "operation",
        "admin_level",
        "admin1_pcode",
        "round",
        "reporting_date",
        "assessment_type",
        "idps",
    ]
    assert csv_df.select(key).sort(key).equals(api.select(key).sort(key))
    assert figures(csv_df, operation=CWM, admin_level=0, assessment_type="BA")[("10", "BA")] == (
        1_287_593
    )
    assert set(csv_df["source_format"]) == {"hdx_hxl_csv"}


def extract_to_xlsx(extract: Path, out: Path, *, shift: int = 0) -> Path:
    """Rebuild a real workbook from the R3 extract (its rows carry the original cell letters)."""
    with extract.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    letters = rows[0][1:]
    book = xlsxwriter.Workbook(out)
    sheet = book.add_worksheet("Round 3 ZMPP sites et CH")
    for label, *values in rows[1:]:
        excel_row = int(label.removeprefix("row")) - 1 + shift
        for letter, value in zip(letters, values, strict=True):
            if value == "":
                continue
            _, col = xl_cell_to_rowcol(f"{letter}1")
            if excel_row - shift >= 3 and re.fullmatch(r"-?\d+(\.\d+)?", value):
                sheet.write_number(excel_row, col, float(value))
            else:
                sheet.write_string(excel_row, col, value)
    book.close()
    return out


def test_round3_workbook_sums_to_the_published_totals(tmp_path: Path) -> None:
    xlsx = extract_to_xlsx(sample("dtm_hti_round3_zmpp_mar2023_extract.csv"), tmp_path / "r3.xlsx")
    df = read_hdx_baseline_xlsx(xlsx, round=3)
    nat = df.filter(admin_level=0).row(0, named=True)
    assert (nat["idps"], nat["households"]) == (127_977, 28_415)
    assert nat["reporting_date"] == dt.date(2023, 3, 31)  # Excel serial 45016
    assert (nat["round"], nat["assessment_type"], nat["operation"]) == ("3", "BA", CWM)
    ouest = df.filter(admin_level=1)
    assert ouest.select("admin1_pcode", "admin1_name", "idps").rows() == [
        ("HT01", "Ouest", 127_977)
    ]
    # dispatch by content finds the same figures
    assert read_dtm_file(xlsx, round=3).equals(df)


def test_dispatch_on_real_samples() -> None:
    for name, fmt in [
        ("dtm_api_v3_admin0_HTI.json", "dtm_api_v3_json"),
        ("hdx_global_iom_dtm_from_api_HTI_rows.csv", "hdx_hxl_csv"),
    ]:
        df = read_dtm_file(sample(name), country="HTI", round=None)
        assert set(df["source_format"]) == {fmt}
        assert df.filter(operation=CWM, admin_level=0, round="9")["idps"].to_list() == [1_041_229]


# ------------------------------------------------------------------------------------------
# Own fixtures: happy paths
# ------------------------------------------------------------------------------------------


def test_api_fixture_sums_split_rows_and_keeps_sa_apart() -> None:
    df = read_dtm_api_json(FIXTURES / "api_admin0_small.json")
    assert figures(df) == {("2", "BA"): 155_166, ("2", "SA"): 39_492, ("10", "BA"): 1_287_593}
    assert df.filter(round="10")["rows_summed"].to_list() == [3]
    assert df["admin_level"].dtype == pl.Int8
    assert df["source_file"].unique().to_list() == ["api_admin0_small.json"]


def test_api_admin1_fixture_is_detected_as_departments() -> None:
    df = read_dtm_api_json(FIXTURES / "api_admin1_small.json")
    assert figures(df) == {
        ("10", "BA", "Ouest"): 413_216,
        ("10", "BA", "Centre"): 147_230,
        ("2", "SA", "Ouest"): 39_492,
    }
    totals = national_totals(df)
    assert totals.filter(round="10").select("idps", "basis", "departments").row(0) == (
        560_446,
        "sum_of_admin1",
        2,
    )


def test_hdx_csv_fixture_filters_country_and_ignores_communes() -> None:
    df = read_hdx_csv(FIXTURES / "hdx_global_small.csv")
    assert figures(df) == {
        ("10", "BA"): 1_287_593,
        ("2", "SA"): 39_492,
        ("10", "BA", "Ouest"): 413_216,
        ("10", "BA", "Centre"): 147_230,
    }
    # national_totals prefers the admin0 row over the (partial) department sum
    assert national_totals(df).filter(round="10")["basis"].to_list() == ["admin0"]
    congo = read_hdx_csv(FIXTURES / "hdx_global_small.csv", country="cod")
    assert figures(congo) == {("10", "BA"): 5_000_000, ("10", "BA", "Nord-Kivu"): 2_000_000}


def test_hdx_csv_columns_are_found_by_tag_not_header(tmp_path: Path) -> None:
    lines = (FIXTURES / "hdx_global_small.csv").read_text().splitlines()
    renamed = ",".join(f"Colonne {i}" for i in range(len(lines[0].split(","))))
    path = copy_with(tmp_path, "renamed.csv", "\n".join([renamed, *lines[1:]]) + "\n")
    # also shuffle column order: tags, not positions, decide
    shuffled = pl.read_csv(path, infer_schema=False, has_header=False)
    shuffled = shuffled.select(reversed(shuffled.columns))
    shuffled.write_csv(tmp_path / "shuffled.csv", include_header=False)
    expected = read_hdx_csv(FIXTURES / "hdx_global_small.csv").drop("source_file")
    for name in ("renamed.csv", "shuffled.csv"):
        assert read_hdx_csv(tmp_path / name).drop("source_file").equals(expected)


def write_baseline(path: Path, rows: list[list[object]], *, shift: int = 0) -> Path:
    """A small baseline workbook: group headings, French labels, HXL tags, then data."""
    header = [
        ["", "", "LIEU EVALUE", "", "INFORMATIONS SUR LES PDI", ""],
        [
            "Reported Date",
            "Country Code",
            "p-code admin1 (Département)",
            "Nom du département",
            "Ménages déplacés internes",
            "Personnes déplacées internes (PDI)",
        ],
        [
            "#date+reported",
            "#country+code",
            "#adm1+code",
            "#adm1+name",
            "#affected+idps+hh",
            "#affected+idps+ind",
        ],
    ]
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Round X")
    for r, values in enumerate([*header, *rows]):
        for c, value in enumerate(values):
            if value not in ("", None):
                sheet.write(r + shift, c, value)
    book.close()
    return path


BASELINE_ROWS: list[list[object]] = [
    [45016, "HTI", "HT01", "Ouest", 2096, 10480],
    [45016, "HTI", "HT01", "Ouest", 2107, 6795],
    [45010, "HTI", "HT06", "Centre", 300, 1500],
    [45016, "HTI", "HT01", "Ouest", None, None],  # a returnee-only row: skipped
]


def test_baseline_xlsx_sums_per_department_and_nationally(tmp_path: Path) -> None:
    df = read_hdx_baseline_xlsx(write_baseline(tmp_path / "b.xlsx", BASELINE_ROWS))
    got = {
        (r["admin_level"], r["admin1_pcode"]): (r["idps"], r["households"], r["rows_summed"])
        for r in df.iter_rows(named=True)
    }
    assert got == {
        (0, None): (18_775, 4_503, 3),
        (1, "HT01"): (17_275, 4_203, 2),
        (1, "HT06"): (1_500, 300, 1),
    }
    assert df["round"].to_list() == [None] * 3  # the workbook doesn't say
    assert set(df["reporting_date"]) == {dt.date(2023, 3, 31)}  # latest #date+reported


def test_baseline_xlsx_finds_tags_a_row_lower(tmp_path: Path) -> None:
    df = read_hdx_baseline_xlsx(
        write_baseline(tmp_path / "b.xlsx", BASELINE_ROWS, shift=1), round="R9"
    )
    assert df.filter(admin_level=0).select("idps", "households", "round").row(0) == (
        18_775,
        4_503,
        "R9",
    )


def test_read_dtm_file_sniffs_content_not_extension(tmp_path: Path) -> None:
    csv_as_txt = copy_with(
        tmp_path, "download.txt", (FIXTURES / "hdx_global_small.csv").read_text()
    )
    json_no_ext = copy_with(tmp_path, "download", (FIXTURES / "api_admin0_small.json").read_text())
    xlsx_odd = write_baseline(tmp_path / "book.bin", BASELINE_ROWS)
    assert read_dtm_file(csv_as_txt)["source_format"][0] == "hdx_hxl_csv"
    assert read_dtm_file(json_no_ext)["source_format"][0] == "dtm_api_v3_json"
    assert read_dtm_file(xlsx_odd, round=4, country="HTI")["round"][0] == "4"
    with pytest.raises(TypeError):
        read_dtm_file(json_no_ext, rounds=4)


# ------------------------------------------------------------------------------------------
# Own fixtures: every error names the file and the row/line/field
# ------------------------------------------------------------------------------------------


def api_payload() -> dict:
    return json.loads((FIXTURES / "api_admin0_small.json").read_text())


def test_api_failure_quotes_error_messages(tmp_path: Path) -> None:
    path = copy_with(
        tmp_path,
        "fail.json",
        json.dumps(
            {
                "result": None,
                "statusCode": 401,
                "isSuccess": False,
                "errorMessages": ["Access denied due to invalid subscription key."],
                "totalRecordsCount": 0,
            }
        ),
    )
    err = raises_input_error(read_dtm_api_json, path)
    assert "fail.json" in str(err) and "invalid subscription key" in str(err)
    assert "401" in str(err)


def test_truncated_json_reports_line_and_column(tmp_path: Path) -> None:
    text = (FIXTURES / "api_admin0_small.json").read_text()
    path = copy_with(tmp_path, "cut.json", text[:1000])
    err = raises_input_error(read_dtm_api_json, path)
    line = text[:1000].count("\n") + 1
    assert err.row == line
    assert f"cut.json, line {line}" in str(err) and "column" in str(err)


def test_missing_field_names_record_and_field(tmp_path: Path) -> None:
    payload = api_payload()
    del payload["result"][4]["numPresentIdpInd"]
    err = raises_input_error(read_dtm_api_json, copy_with(tmp_path, "m.json", json.dumps(payload)))
    assert "m.json" in str(err) and "result[4]" in str(err) and "'numPresentIdpInd'" in str(err)
    assert err.column == "numPresentIdpInd"


def test_api_admin1_record_without_department_is_refused(tmp_path: Path) -> None:
    payload = json.loads((FIXTURES / "api_admin1_small.json").read_text())
    del payload["result"][2]["admin1Pcode"]
    err = raises_input_error(read_dtm_api_json, copy_with(tmp_path, "a1.json", json.dumps(payload)))
    assert "result[2]" in str(err) and "admin1Pcode" in str(err)


@pytest.mark.parametrize(
    ("edit", "expect"),
    [
        (lambda p: p["result"][1].update(numPresentIdpInd="12,000"), "result[1]: numPresentIdpInd"),
        (lambda p: p["result"][3].update(reportingDate="June 2025"), "result[3]: reportingDate"),
        (lambda p: p.update(totalRecordsCount=7), "totalRecordsCount says 7"),
        (lambda p: p["result"][0].update(admin0Pcode="DOM"), "result[0] is not Haiti's"),
        (lambda p: p["result"][0].update(admin2Name="Delmas"), "admin2"),
        (lambda p: p.update(result=[], totalRecordsCount=0), "no records"),
    ],
)
def test_api_bad_values(tmp_path: Path, edit, expect: str) -> None:
    payload = api_payload()
    edit(payload)
    err = raises_input_error(read_dtm_api_json, copy_with(tmp_path, "v.json", json.dumps(payload)))
    assert "v.json" in str(err) and expect in str(err)


def test_deeply_nested_json_is_an_input_error(tmp_path: Path) -> None:
    path = copy_with(tmp_path, "deep.json", '{"result": ' + "[" * 10_000 + "]" * 10_000 + "}")
    err = raises_input_error(read_dtm_api_json, path)
    assert "deep.json" in str(err) and "nested too deeply" in str(err)
    assert "deep.json" in str(raises_input_error(read_dtm_file, path))


def test_oversize_file_is_refused_before_loading(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(dtm.common, "MAX_IN_MEMORY_BYTES", 1000)
    err = raises_input_error(read_dtm_api_json, FIXTURES / "api_admin0_small.json")
    assert "api_admin0_small.json" in str(err) and "MB" in str(err)
    book = write_baseline(tmp_path / "b.xlsx", BASELINE_ROWS * 50)
    assert "b.xlsx" in str(raises_input_error(read_hdx_baseline_xlsx, book))


def test_csv_without_hxl_row(tmp_path: Path) -> None:
    lines = (FIXTURES / "hdx_global_small.csv").read_text().splitlines()
    path = copy_with(tmp_path, "nohxl.csv", "\n".join([lines[0], *lines[2:]]) + "\n")
    err = raises_input_error(read_hdx_csv, path)
    assert err.row == 2 and "nohxl.csv, line 2" in str(err)
    assert "#country+code" in str(err) and "Countrywide monitoring" in str(err)  # shows line 2
    # the dispatcher describes what it found and lists the accepted shapes
    err = raises_input_error(read_dtm_file, path)
    assert "a CSV whose line 2 has no HXL tags" in str(err) and "1)" in str(err)
    assert "3)" in str(err)


def test_csv_missing_required_tag(tmp_path: Path) -> None:
    text = (FIXTURES / "hdx_global_small.csv").read_text()
    path = copy_with(tmp_path, "notag.csv", text.replace("#round+code,", "#round,", 1))
    err = raises_input_error(read_hdx_csv, path)
    assert err.row == 2 and "notag.csv, line 2" in str(err)
    assert "lacks the tag(s) #round+code" in str(err)
    assert "required tags: #country+code" in str(err)  # which tags are required
    assert "#round,#cause+type" in str(err)  # what line 2 contained


def test_csv_non_numeric_idps_reports_its_line(tmp_path: Path) -> None:
    lines = (FIXTURES / "hdx_global_small.csv").read_text().splitlines()
    assert ",1,400000," in lines[6 - 1]
    lines[6 - 1] = lines[6 - 1].replace(",1,400000,", ",1,400 000,")  # line 6 of the file
    path = copy_with(tmp_path, "nan.csv", "\n".join(lines) + "\n")
    err = raises_input_error(read_hdx_csv, path)
    assert err.row == 6 and err.found == "400 000"
    assert "nan.csv, line 6, column 'numPresentIdpInd (#affected+idps)'" in str(err)


def test_csv_bad_values_in_other_countries_are_not_read(tmp_path: Path) -> None:
    lines = (FIXTURES / "hdx_global_small.csv").read_text().splitlines()
    lines[-1] = lines[-1].replace("2000000", "lots")  # a Congo row: filtered out unread
    path = copy_with(tmp_path, "other.csv", "\n".join(lines) + "\n")
    assert figures(read_hdx_csv(path), admin_level=0)[("10", "BA")] == 1_287_593
    err = raises_input_error(read_hdx_csv, path, country="COD")
    assert err.row == len(lines)


def test_csv_country_absent(tmp_path: Path) -> None:
    err = raises_input_error(read_hdx_csv, FIXTURES / "hdx_global_small.csv", country="DOM")
    assert "no rows with #country+code = DOM" in str(err) and "COD, HTI" in str(err)


def test_xlsx_header_shifted_too_far(tmp_path: Path) -> None:
    book = write_baseline(tmp_path / "shifted.xlsx", BASELINE_ROWS, shift=11)
    err = raises_input_error(read_hdx_baseline_xlsx, book)
    assert "shifted.xlsx" in str(err) and "first 10 rows" in str(err)
    assert "row 3 HXL tags" in str(err)  # explains the expected layout


def test_xlsx_missing_tag_and_bad_cells(tmp_path: Path) -> None:
    rows = [list(r) for r in BASELINE_ROWS]
    rows[1][5] = "beaucoup"  # Excel row 5
    err = raises_input_error(read_hdx_baseline_xlsx, write_baseline(tmp_path / "n.xlsx", rows))
    assert err.row == 5 and err.found == "beaucoup"
    assert "n.xlsx, line 5, column 'Personnes déplacées internes (PDI) (#affected+idps+ind)'" in (
        str(err)
    )
    totals = [*BASELINE_ROWS, [45016, "", "", "", 4503, 18775]]  # a totals row at Excel row 8
    err = raises_input_error(read_hdx_baseline_xlsx, write_baseline(tmp_path / "t.xlsx", totals))
    assert err.row == 8 and "totals row" in str(err)
    err = raises_input_error(
        read_hdx_baseline_xlsx, write_baseline(tmp_path / "s.xlsx", rows), sheet="Feuil1"
    )
    assert "no sheet 'Feuil1'" in str(err) and "Round X" in str(err)


def test_xlsx_missing_required_tag(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(tmp_path / "tags.xlsx")
    sheet = book.add_worksheet()
    sheet.write_row(2, 0, ["#date+reported", "#adm1+code", "#adm1+name"])
    sheet.write_row(3, 0, [45016, "HT01", "Ouest"])
    book.close()
    err = raises_input_error(read_hdx_baseline_xlsx, tmp_path / "tags.xlsx")
    assert err.row == 3 and "#affected+idps+ind" in str(err) and "tags.xlsx" in str(err)


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (b"", "an empty file"),
        (b'[{"operation": "x"}]', "JSON without a 'result' list"),
        (b'{"data": []}', "JSON without a 'result' list"),
        (b"hello world\n", "a one-line text file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old-style .xls"),
        (b"\x00\xff\xfe\x00garbage", "a binary file"),
    ],
)
def test_unknown_shapes(tmp_path: Path, content: bytes, found: str) -> None:
    path = tmp_path / "mystery.dat"
    path.write_bytes(content)
    err = raises_input_error(read_dtm_file, path)
    assert "mystery.dat" in str(err) and found in str(err)


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "z.xlsx", "w") as archive:
        archive.writestr("readme.txt", "hi")
    err = raises_input_error(read_dtm_file, tmp_path / "z.xlsx")
    assert "z.xlsx" in str(err) and "ZIP archive that is not an .xlsx" in str(err)
    assert "Accepted shapes" in str(err)


def test_missing_file() -> None:
    err = raises_input_error(read_dtm_file, FIXTURES / "nope.json")
    assert "nope.json" in str(err) and "not found" in str(err)


# ------------------------------------------------------------------------------------------
# Hostile files (issue 17): each ends in one clear line naming the file and the record/line
# and field, or in the correct figures; never a wrapped sum or a raw polars error
# ------------------------------------------------------------------------------------------

HAITI_MAX = dtm.common.HAITI_POPULATION_BOUND


def test_population_bound_comes_from_iom_share_of_population() -> None:
    # IOM: round 11's 1,412,199 IDPs are "12% of the population" (12 rounded: >= 11.5%)
    assert HAITI_MAX == -(-1_412_199 * 1000 // 115) == 12_279_992
    # every real national figure is well inside it
    df = read_dtm_api_json(FIXTURES / "api_admin0_small.json")
    assert df["idps"].max() < HAITI_MAX


@pytest.mark.parametrize(
    "value", [1e30, 9.3e18, 9_300_000_000_000_000_000, HAITI_MAX + 1, float("inf")]
)
def test_api_count_beyond_haitis_population_is_refused(tmp_path: Path, value) -> None:
    payload = api_payload()
    payload["result"][2]["numPresentIdpInd"] = value
    err = raises_input_error(
        read_dtm_api_json, copy_with(tmp_path, "big.json", json.dumps(payload))
    )
    assert "big.json" in str(err) and "result[2]" in str(err)
    assert err.column == "numPresentIdpInd"
    assert "population" in str(err) or "whole number" in str(err)
    assert "\n" not in str(err)


def test_api_round_adding_up_past_the_population_is_refused_not_wrapped(tmp_path: Path) -> None:
    payload = api_payload()
    base = dict(payload["result"][0])
    # three records each within bounds whose sum is not: refused, never summed
    payload["result"] = [
        {**base, "numPresentIdpInd": 5_000_000, "displacementReason": f"Reason {i}"}
        for i in range(3)
    ]
    payload["totalRecordsCount"] = 3
    err = raises_input_error(
        read_dtm_api_json, copy_with(tmp_path, "sum.json", json.dumps(payload))
    )
    assert "sum.json" in str(err) and "round 2" in str(err) and "15,000,000" in str(err)
    assert "record result[0]" in str(err) and "population" in str(err)


def test_csv_huge_counts_name_line_and_column(tmp_path: Path) -> None:
    for value in ("1e30", "9.3e18", "9300000000000000000", str(HAITI_MAX + 1)):
        lines = (FIXTURES / "hdx_global_small.csv").read_text().splitlines()
        lines[5] = lines[5].replace(",1,400000,", f",1,{value},")
        path = copy_with(tmp_path, "huge.csv", "\n".join(lines) + "\n")
        err = raises_input_error(read_hdx_csv, path)
        assert err.row == 6 and err.found == value, value
        assert "huge.csv, line 6, column 'numPresentIdpInd (#affected+idps)'" in str(err)
        assert "Haiti's population" in str(err)


def test_xlsx_huge_counts_name_row_and_column(tmp_path: Path) -> None:
    rows = [list(r) for r in BASELINE_ROWS]
    rows[0][5] = 1e30
    err = raises_input_error(read_hdx_baseline_xlsx, write_baseline(tmp_path / "h.xlsx", rows))
    assert err.row == 4 and "Haiti's population" in str(err)
    assert "h.xlsx, line 4, column 'Personnes déplacées internes (PDI) (#affected+idps+ind)'" in (
        str(err)
    )


def test_response_for_another_country_only_is_refused(tmp_path: Path) -> None:
    payload = api_payload()
    for rec in payload["result"]:
        rec.update(admin0Pcode="COD", admin0Name="Democratic Republic of the Congo")
    err = raises_input_error(
        read_dtm_api_json, copy_with(tmp_path, "cod.json", json.dumps(payload))
    )
    assert "cod.json" in str(err) and "result[0] is not Haiti's" in str(err)
    assert err.column == "admin0Pcode" and err.found == "'COD'"
    # a record with no country at all is not taken for Haiti's either
    payload = api_payload()
    del payload["result"][3]["admin0Pcode"]
    err = raises_input_error(read_dtm_api_json, copy_with(tmp_path, "no.json", json.dumps(payload)))
    assert "result[3] is not Haiti's" in str(err)


def test_workbook_rows_for_another_country_are_refused(tmp_path: Path) -> None:
    rows = [list(r) for r in BASELINE_ROWS]
    rows[2][1] = "DOM"  # Excel row 6
    err = raises_input_error(read_hdx_baseline_xlsx, write_baseline(tmp_path / "d.xlsx", rows))
    assert err.row == 6 and err.found == "DOM" and "another country" in str(err)


def test_duplicated_hdx_rows_are_removed_and_counted(tmp_path: Path) -> None:
    path = sample("hdx_global_iom_dtm_from_api_HTI_rows.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    header, tags, data = lines[0], lines[1], lines[2:]
    copies = 60  # the whole file pasted 60 times: a naive sum gives ~60x every round
    repeated = copy_with(tmp_path, "rep.csv", "\n".join([header, tags, *data * copies]) + "\n")
    original = read_hdx_csv(path)
    got = read_hdx_csv(repeated)
    assert got.drop("source_file", "duplicates_removed").equals(
        original.drop("source_file", "duplicates_removed")
    )
    assert original["duplicates_removed"].sum() == 0
    admin_rows = sum(1 for line in data if line.split(",")[8] in ("0", "1"))
    assert got["duplicates_removed"].sum() == admin_rows * (copies - 1)
    r10 = got.filter(operation=CWM, admin_level=0, round="10", assessment_type="BA")
    assert r10["idps"].item() == 1_287_593


def test_conflicting_repeated_record_is_refused_naming_both_lines(tmp_path: Path) -> None:
    lines = (FIXTURES / "hdx_global_small.csv").read_text().splitlines()
    again = lines[5].replace(",1,400000,", ",1,400001,")
    path = copy_with(tmp_path, "twice.csv", "\n".join([*lines, again]) + "\n")
    err = raises_input_error(read_hdx_csv, path)
    assert "twice.csv" in str(err) and "line 6 and line" in str(err)
    assert "400,000 and 400,001" in str(err)


def test_repeated_api_record_is_dropped_and_counted(tmp_path: Path) -> None:
    payload = api_payload()
    payload["result"].append(dict(payload["result"][0]))
    payload["totalRecordsCount"] += 1
    df = read_dtm_api_json(copy_with(tmp_path, "rep.json", json.dumps(payload)))
    assert figures(df) == figures(read_dtm_api_json(FIXTURES / "api_admin0_small.json"))
    assert df.filter(round="2", assessment_type="BA")["duplicates_removed"].item() == 1


def zip_bomb(path: Path, inflated: int) -> Path:
    """A tiny .xlsx-looking archive whose one sheet inflates to ``inflated`` bytes of zeros."""
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            block = bytes(1 << 20)
            for _ in range(inflated >> 20):
                sheet.write(block)
    return path


def test_xlsx_zip_bomb_is_refused_before_it_is_inflated(tmp_path: Path, monkeypatch) -> None:
    import resource
    import time

    monkeypatch.setattr(dtm.common, "MAX_XLSX_UNCOMPRESSED_BYTES", 8 << 20)
    bomb = zip_bomb(tmp_path / "bomb.xlsx", 64 << 20)
    assert bomb.stat().st_size < 200_000  # 64 MB of XML in well under 0.2 MB
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    for reader in (read_hdx_baseline_xlsx, read_dtm_file):
        err = raises_input_error(reader, bomb)
        assert "bomb.xlsx" in str(err) and "inflates to more than 8 MB" in str(err)
    assert time.perf_counter() - start < 2
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grown_kb < 64 << 10  # far less than the 64 MB it would inflate to


def test_real_sized_workbook_passes_the_inflation_check(tmp_path: Path) -> None:
    book = write_baseline(tmp_path / "ok.xlsx", BASELINE_ROWS * 500)  # 2,000 rows
    national = read_hdx_baseline_xlsx(book).filter(admin_level=0)
    assert national.select("idps", "rows_summed").row(0) == (18_775 * 500, 1500)
