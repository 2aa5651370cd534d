"""What every DTM reader shares: the output table, limits, HXL helpers, summing per round."""

from __future__ import annotations

import datetime as dt
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


def _summarise(frame: pl.DataFrame, path: Path, source_format: str) -> pl.DataFrame:
    """Add up rows per round and department; validate against DtmFigures.

    ``frame`` holds one row per source row with the columns operation, admin_level,
    admin1_name, admin1_pcode, round, reporting_date, assessment_type, idps, households.
    """
    # Departments are keyed by P-code (names are spelt differently across sources).
    dept_key = pl.coalesce("admin1_pcode", "admin1_name").alias("_dept")
    summed = (
        frame.with_columns(dept_key)
        .group_by("operation", "admin_level", "_dept", "round", "reporting_date", "assessment_type")
        .agg(
            pl.col("admin1_pcode").drop_nulls().first(),
            pl.col("admin1_name").drop_nulls().first(),
            pl.col("idps").sum(),
            # null, not 0, when the source publishes no household counts
            pl.when(pl.col("households").count() > 0).then(pl.col("households").sum()),
            pl.len().alias("rows_summed"),
        )
        .with_columns(
            source_file=pl.lit(path.name),
            source_format=pl.lit(source_format),
        )
        .sort("operation", "reporting_date", "round", "assessment_type", "admin_level", "_dept")
        .select(DtmFigures.column_names())
    )
    try:
        return DtmFigures.validate(summed, cast=True)
    except dy.exc.ValidationError as err:
        raise InputError(
            path, f"the figures read from this file fail the DtmFigures checks: {err}"
        ) from err


def _whole_number(col: str) -> pl.Expr:
    """Text -> Int64; accepts '1234' and '1234.0' (spreadsheet exports), else null."""
    text = pl.col(col).str.strip_chars()
    as_float = text.cast(pl.Float64, strict=False)
    integral = as_float.is_finite() & (as_float == as_float.floor())
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
