"""What every DTM reader shares: the output table, limits, HXL helpers, summing per round."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import dataframely as dy
import polars as pl

from haiti_report.core.errors import InputError

# JSON and XLSX files are read whole into memory, so refuse anything bigger than this before
# loading (a real Haiti API response is ~100 KB; a baseline workbook a few MB). The HDX CSV is
# scanned lazily and has no limit.
MAX_IN_MEMORY_BYTES = 200 * 1024 * 1024

SOURCE_FORMATS = ("dtm_api_v3_json", "hdx_hxl_csv", "hdx_baseline_xlsx")

ACCEPTED_SHAPES = (
    "1) a DTM API v3 JSON response with a 'result' list (envelope result/statusCode/isSuccess/"
    "errorMessages/totalRecordsCount); "
    "2) the HDX CSV global-iom-dtm-from-api-admin-0-to-2.csv, whose line 2 holds HXL tags "
    "such as #country+code,#affected+idps; "
    "3) an HDX Haiti baseline .xlsx with HXL tags (#adm1+code, #affected+idps+ind, ...) on "
    "row 3"
)

# An .xlsx is a ZIP of XML files that the workbook reader inflates in memory: refuse one whose
# members would inflate past this (a real baseline workbook inflates to a few tens of MB), so
# a "zip bomb" of a few KB fails in a second instead of after gigabytes.
MAX_XLSX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024
MAX_XLSX_MEMBERS = 10_000

# Plausibility bound for any count of displaced people in Haiti: no more than live there.
# IOM's HDX note on round 11 says its 1,412,199 IDPs are "12% of the population"
# (data/raw/displacement/idps_national.csv, figure HTI-034). A percentage rounded to 12 is at
# least 11.5, so Haiti has at most 1,412,199 / 0.115 = 12,279,992 people.
HAITI_POPULATION_BOUND = math.ceil(1_412_199 / 0.115)
# Other countries (the HDX CSV can be read for any): only absurd values are refused, more people
# than live on Earth. This also keeps every sum far below the 64-bit limit.
ANY_COUNTRY_BOUND = 10_000_000_000


def idps_bound(country: str) -> tuple[int, str]:
    """The largest plausible count of displaced people for ``country``, and why."""
    if country.strip().upper() == "HTI":
        return HAITI_POPULATION_BOUND, (
            f"more than Haiti's population (at most {HAITI_POPULATION_BOUND:,} people: IOM "
            "put round 11's 1,412,199 IDPs at 12% of it)"
        )
    return ANY_COUNTRY_BOUND, f"more than {ANY_COUNTRY_BOUND:,} people"


# The baseline workbooks don't name their DTM operation; they are all part of this one.
BASELINE_OPERATION = "Countrywide monitoring"

EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel serial 45016 = 2023-03-31
_KEYS = ["operation", "admin_level", "admin1_pcode", "round", "reporting_date", "assessment_type"]


class DtmFigures(dy.Schema):
    """Displaced people per round, nationally (admin_level 0) or per department (1)."""

    source_file = dy.String(description="name of the file the row was read from")
    source_format = dy.String(regex="^(" + "|".join(SOURCE_FORMATS) + ")$")
    operation = dy.String(description="DTM operation, e.g. 'Countrywide monitoring'")
    admin_level = dy.Int8(is_in=[0, 1], description="0 = national, 1 = department")
    admin1_name = dy.String(nullable=True, description="department as spelt by the source")
    admin1_pcode = dy.String(nullable=True, description="department P-code HT01..HT10")
    round = dy.String(nullable=True, description="DTM round number as text; null if unknown")
    reporting_date = dy.Date(
        nullable=True, description="end-of-month reportingDate stamp, NOT the fieldwork dates"
    )
    assessment_type = dy.String(min_length=1, description="BA baseline, SA sites, ETT events")
    idps = dy.Int64(min=0, description="internally displaced people (individuals)")
    households = dy.Int64(nullable=True, min=0, description="IDP households, if published")
    rows_summed = dy.Int64(min=1, description="how many source rows were added up")
    duplicates_removed = dy.Int64(
        min=0, description="exact repeats of a source record dropped before adding up"
    )

    @dy.rule()
    def one_row_per_key(cls) -> pl.Expr:
        return ~pl.struct("source_file", *_KEYS).is_duplicated()

    @dy.rule()
    def department_only_on_level_1(cls) -> pl.Expr:
        has_dept = pl.col("admin1_pcode").is_not_null() | pl.col("admin1_name").is_not_null()
        return has_dept == (pl.col("admin_level") == 1)


def _refuse_if_too_big(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_IN_MEMORY_BYTES:
        raise InputError(
            path,
            f"file is {size / 1e6:,.1f} MB, more than the {MAX_IN_MEMORY_BYTES / 1e6:,.0f} MB "
            "this reader loads into memory",
            fix="Check it is the right file; a DTM API response for one country is well under "
            "1 MB. Query the API per country (Admin0Pcode=HTI) or raise "
            "haiti_report.raw.dtm.common.MAX_IN_MEMORY_BYTES deliberately",
        )


def _require_file(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found", fix="Check the path and file name")
    return path


def _normalise_tag(tag: str) -> str:
    """HXL tags ignore case and +attribute order: '#Adm1 +Name' equals '#adm1+name'."""
    hashtag, *attributes = tag.strip().lower().replace(" ", "").split("+")
    return "+".join([hashtag, *sorted(a for a in attributes if a)])


def _is_hxl_row(cells: list[Any]) -> bool:
    filled = [str(c).strip() for c in cells if c is not None and str(c).strip()]
    return bool(filled) and all(c.startswith("#") for c in filled)


def _find_tags(
    path: Path, tags_row: list[str], wanted: dict[str, tuple[str, ...]], where: str
) -> dict[str, int]:
    """Map each wanted field to the column index holding one of its accepted HXL tags."""
    positions: dict[str, list[int]] = {}
    for i, cell in enumerate(tags_row):
        if cell and str(cell).strip().startswith("#"):
            positions.setdefault(_normalise_tag(str(cell)), []).append(i)
    found: dict[str, int] = {}
    for field, accepted in wanted.items():
        for tag in accepted:
            cols = positions.get(_normalise_tag(tag), [])
            if len(cols) > 1:
                raise InputError(
                    path,
                    f"HXL tag {tag} appears in {len(cols)} columns of {where} "
                    f"(columns {', '.join(str(c + 1) for c in cols)}), so it is unclear which "
                    "one to add up",
                    fix="Keep the tag on one column only",
                )
            if cols:
                found[field] = cols[0]
                break
    return found


def _missing_tags_error(
    path: Path, wanted: dict[str, tuple[str, ...]], found: dict[str, int], row: int, text: str
) -> InputError:
    missing = [" or ".join(tags) for field, tags in wanted.items() if field not in found]
    required = ", ".join(" or ".join(tags) for tags in wanted.values())
    return InputError(
        path,
        f"the HXL row lacks the tag(s) {', '.join(missing)}; required tags: {required}",
        fix="Columns are found by their HXL tag, not their header name: restore the tag",
        row=row,
        found=text[:300],
    )


def _summarise(
    frame: pl.DataFrame,
    path: Path,
    source_format: str,
    *,
    record_key: list[str] | None = None,
    country: str = "HTI",
) -> pl.DataFrame:
    """Add up rows per round and department; validate against DtmFigures.

    ``frame`` holds one row per source row with the columns operation, admin_level,
    admin1_name, admin1_pcode, round, reporting_date, assessment_type, idps, households and
    ``where`` (how an error names the row: "record result[3]", "line 17"). ``record_key`` lists
    the extra columns that make a source record unique (origin and reason in API v3 and the
    HDX CSV): a record repeated exactly is dropped and counted in ``duplicates_removed``; one
    repeated with a different count is refused, naming both rows.
    """
    # Departments are keyed by P-code (names are spelt differently across sources).
    frame = frame.with_columns(pl.coalesce("admin1_pcode", "admin1_name").alias("_dept"))
    group = ["operation", "admin_level", "_dept", "round", "reporting_date", "assessment_type"]
    if record_key is None:  # rows are places the file does not key: equal rows can be real
        frame = frame.with_columns(_repeats=pl.lit(0, dtype=pl.Int64))
    else:
        frame = _drop_repeated_records(frame, path, group + record_key)
    bound, why = idps_bound(country)
    summed = (
        frame.group_by(group)
        .agg(
            pl.col("admin1_pcode").drop_nulls().first(),
            pl.col("admin1_name").drop_nulls().first(),
            # added up as floats first: a sum past the bound is refused before it could wrap
            pl.col("idps").cast(pl.Float64).sum().alias("_idps_f"),
            pl.col("households").cast(pl.Float64).sum().alias("_hh_f"),
            pl.col("idps").sum(),
            # null, not 0, when the source publishes no household counts
            pl.when(pl.col("households").count() > 0).then(pl.col("households").sum()),
            pl.len().alias("rows_summed"),
            pl.col("_repeats").sum().alias("duplicates_removed"),
            pl.col("where").first(),
        )
        .sort("operation", "reporting_date", "round", "assessment_type", "admin_level", "_dept")
    )
    over = summed.filter((pl.col("_idps_f") > bound) | (pl.col("_hh_f") > bound)).head(1)
    if over.height:
        row = over.row(0, named=True)
        level = f"department {row['_dept']}" if row["admin_level"] == 1 else "national"
        raise InputError(
            path,
            f"the {row['rows_summed']} rows for round {row['round']} ({level}, "
            f"{row['assessment_type']}, reported {row['reporting_date']}, first at "
            f"{row['where']}) add up to {row['_idps_f']:,.0f} displaced people, {why}",
            fix="The file repeats or mixes rows; download it again",
        )
    out = summed.with_columns(
        source_file=pl.lit(path.name), source_format=pl.lit(source_format)
    ).select(DtmFigures.column_names())
    try:
        return DtmFigures.validate(out, cast=True)
    except dy.exc.ValidationError as err:
        raise InputError(
            path, f"the figures read from this file fail the DtmFigures checks: {err}"
        ) from err


def _drop_repeated_records(frame: pl.DataFrame, path: Path, key: list[str]) -> pl.DataFrame:
    """Drop exact repeats of a record (counted in ``_repeats``); refuse conflicting ones."""
    numbered = frame.with_row_index("_order")
    firsts = numbered.group_by(key, maintain_order=True).agg(
        pl.col("_order").first(),
        pl.col("where").first().alias("_first_where"),
        pl.col("idps").n_unique().alias("_counts"),
        pl.col("idps").first().alias("_first_idps"),
        (pl.len() - 1).alias("_repeats"),
    )
    clash = firsts.filter(pl.col("_counts") > 1).head(1)
    if clash.height:
        first = clash.row(0, named=True)
        other = numbered.join(clash.select(key), on=key, how="semi", nulls_equal=True).filter(
            pl.col("idps") != first["_first_idps"]
        )
        second = other.row(0, named=True)
        raise InputError(
            path,
            f"{first['_first_where']} and {second['where']} are the same record (round "
            f"{first['round']}, {first['assessment_type']}, same place, origin and reason) "
            f"with different counts: {first['_first_idps']:,} and {second['idps']:,}",
            fix="Keep one of them: the file repeats a record it should not",
            column="numPresentIdpInd",
        )
    kept = firsts.select("_order", "_repeats")
    return numbered.join(kept, on="_order", how="inner").sort("_order").drop("_order")


def _as_float(col: str) -> pl.Expr:
    """Text -> Float64 (null if not a number): to compare a count with its bound."""
    return pl.col(col).str.strip_chars().cast(pl.Float64, strict=False)


def _whole_number(col: str) -> pl.Expr:
    """Text -> Int64; accepts '1234' and '1234.0' (spreadsheet exports), else null."""
    text = pl.col(col).str.strip_chars()
    as_float = text.cast(pl.Float64, strict=False)
    # only floats that fit in 64 bits are cast; bigger ones are refused by the bound check
    integral = as_float.is_finite() & (as_float == as_float.floor()) & (as_float.abs() < 2.0**62)
    return pl.coalesce(
        text.cast(pl.Int64, strict=False), pl.when(integral).then(as_float.cast(pl.Int64))
    )


def national_totals(df: pl.DataFrame) -> pl.DataFrame:
    """One national figure per (source file, operation, round, reporting date, assessment type).

    Takes the admin_level 0 row when the source has one, else the sum of the admin_level 1
    rows; ``basis`` says which ("admin0" or "sum_of_admin1"), ``departments`` how many were
    added. SA and BA stay separate, as do different files.
    """
    figures = DtmFigures.validate(df, cast=True)
    keys = ["source_file", "operation", "round", "reporting_date", "assessment_type"]
    national = figures.filter(pl.col("admin_level") == 0).select(
        *keys,
        "idps",
        "households",
        basis=pl.lit("admin0"),
        departments=pl.lit(None, dtype=pl.UInt32),
        _priority=pl.lit(0),
    )
    summed = (
        figures.filter(pl.col("admin_level") == 1)
        .group_by(keys)
        .agg(
            pl.col("idps").sum(),
            pl.when(pl.col("households").count() > 0).then(pl.col("households").sum()),
            basis=pl.lit("sum_of_admin1"),
            departments=pl.len(),
            _priority=pl.lit(1),
        )
    )
    return (
        pl.concat([national, summed.select(national.columns)])
        .sort("_priority")
        .group_by(keys, maintain_order=True)
        .first()
        .drop("_priority")
        .sort("source_file", "operation", "reporting_date", "round", "assessment_type")
    )
