"""Reader 3: one HDX Haiti baseline-round workbook (3 header rows, HXL tags on row 3)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import polars as pl

from haiti_report.core.errors import InputError
from haiti_report.raw.dtm import common
from haiti_report.raw.dtm.common import (
    BASELINE_OPERATION,
    EXCEL_EPOCH,
    _as_float,
    _find_tags,
    _is_hxl_row,
    _missing_tags_error,
    _refuse_if_too_big,
    _require_file,
    _summarise,
    _whole_number,
    idps_bound,
)

_XLSX_TAGS: dict[str, tuple[str, ...]] = {
    "reported": ("#date+reported",),
    "admin1_pcode": ("#adm1+code",),
    "admin1_name": ("#adm1+name",),
    "idps": ("#affected+idps+ind", "#affected+idps"),
}
_XLSX_OPTIONAL: dict[str, tuple[str, ...]] = {
    "households": ("#affected+idps+hh",),
    "country": ("#country+code",),
}
_HXL_SEARCH_ROWS = 10
_XLSX_LAYOUT = (
    "Expected the HDX baseline layout: row 1 group headings, row 2 French column labels, "
    "row 3 HXL tags on some columns (#date+reported, #country+code, #adm1+code, #adm1+name, "
    "#affected+idps+hh, #affected+idps+ind), data from row 4"
)
COUNTRY = "HTI"


def check_uncompressed_size(path: Path) -> None:
    """Refuse a workbook whose XML would inflate past ``MAX_XLSX_UNCOMPRESSED_BYTES``.

    The members are inflated here, counting bytes, rather than trusting the sizes the ZIP
    directory declares (a crafted archive can understate them)."""
    limit = common.MAX_XLSX_UNCOMPRESSED_BYTES
    fix = (
        "A baseline workbook inflates to a few tens of MB; this one is damaged or crafted. "
        "Download it again from HDX"
    )
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > common.MAX_XLSX_MEMBERS:
                raise InputError(
                    path, f"the .xlsx holds {len(members):,} files, not a workbook", fix=fix
                )
            declared = sum(m.file_size for m in members)
            total = declared if declared > limit else 0
            for member in members if not total else ():
                with archive.open(member) as stream:
                    while chunk := stream.read(1 << 20):
                        total += len(chunk)
                        if total > limit:
                            break
                if total > limit:
                    break
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as err:
        raise InputError(
            path,
            f"not a readable .xlsx workbook: {err}",
            fix="Open it in a spreadsheet program and save it again as .xlsx",
        ) from err
    if total > limit:
        raise InputError(
            path,
            f"the .xlsx inflates to more than {limit / 1e6:,.0f} MB (a ZIP bomb?); it was not read",
            fix=fix,
        )


def _load_grid(path: Path, sheet: str | int | None) -> pl.DataFrame:
    import fastexcel  # imported here so the JSON/CSV readers don't need it

    try:
        book = fastexcel.read_excel(path)
        names = book.sheet_names
        if (
            sheet is not None
            and sheet not in names
            and not (isinstance(sheet, int) and 0 <= sheet < len(names))
        ):
            raise InputError(
                path, f"no sheet {sheet!r}", fix=f"Pick one of {names}", found=str(sheet)
            )
        return book.load_sheet(
            0 if sheet is None else sheet, header_row=None, skip_rows=0, dtypes="string"
        ).to_polars()
    except InputError:
        raise
    except Exception as err:  # fastexcel raises its own error classes for unreadable workbooks
        raise InputError(
            path,
            f"not a readable .xlsx workbook: {err}",
            fix="Open it in a spreadsheet program and save it again as .xlsx",
        ) from err


def _find_hxl_row(path: Path, grid: pl.DataFrame) -> int:
    # calamine keeps leading empty rows when skip_rows=0, so grid row i is Excel row i + 1
    hxl_at = next(
        (i for i in range(min(_HXL_SEARCH_ROWS, grid.height)) if _is_hxl_row(list(grid.row(i)))),
        None,
    )
    if hxl_at is None:
        first_rows = " | ".join(
            ",".join(str(c) for c in grid.row(i) if c is not None)[:80]
            for i in range(min(3, grid.height))
        )
        raise InputError(
            path,
            f"no row of HXL tags (filled cells all starting with '#') in the first "
            f"{_HXL_SEARCH_ROWS} rows; the header rows are missing or shifted",
            fix=_XLSX_LAYOUT,
            found=first_rows or "(empty sheet)",
        )
    return hxl_at


def read_hdx_baseline_xlsx(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    round: str | int | None = None,
    operation: str = BASELINE_OPERATION,
) -> pl.DataFrame:
    """Read an HDX Haiti baseline-round workbook and add it up per department and nationally.

    The HXL row is found by content (the first of the first 10 rows whose filled cells all
    start with '#'), and data is read from the row below it. The workbook does not say which
    round it is, so ``round`` comes from the caller (else null). ``reporting_date`` is the
    latest ``#date+reported`` (Excel serial numbers are converted). Rows whose IDP cells are
    both empty (e.g. returnee-only rows) are skipped. ``sheet`` defaults to the first sheet.
    The archive's inflated size is checked before the workbook is opened.
    """
    path = _require_file(path)
    _refuse_if_too_big(path)
    check_uncompressed_size(path)
    grid = _load_grid(path, sheet)
    hxl_at = _find_hxl_row(path, grid)
    tags_row = [c or "" for c in grid.row(hxl_at)]
    cols = _find_tags(path, tags_row, {**_XLSX_TAGS, **_XLSX_OPTIONAL}, f"row {hxl_at + 1}")
    if any(f not in cols for f in _XLSX_TAGS):
        raise _missing_tags_error(
            path, _XLSX_TAGS, cols, hxl_at + 1, ",".join(t for t in tags_row if t)
        )
    labels_row = list(grid.row(hxl_at - 1)) if hxl_at else [None] * grid.width

    def label(field: str) -> str:
        i = cols[field]
        tag = tags_row[i].strip()
        return f"{labels_row[i]} ({tag})" if labels_row[i] else tag

    data = (
        grid.with_row_index("line", offset=1)
        .slice(hxl_at + 1)
        .select(
            "line", *(pl.col(grid.columns[i]).str.strip_chars().alias(f) for f, i in cols.items())
        )
    )
    for optional in _XLSX_OPTIONAL:
        if optional not in data.columns:
            data = data.with_columns(pl.lit(None, dtype=pl.String).alias(optional))
    rows = _checked_rows(path, data, label)
    if rows.is_empty():
        raise InputError(
            path, f"no IDP figures below the HXL row (row {hxl_at + 1})", fix=_XLSX_LAYOUT
        )
    departments = rows.select(
        operation=pl.lit(operation),
        admin_level=pl.lit(1, dtype=pl.Int8),
        admin1_name="admin1_name",
        admin1_pcode="admin1_pcode",
        round=pl.lit(None if round is None else str(round), dtype=pl.String),
        reporting_date=pl.lit(rows["reported_date"].max(), dtype=pl.Date),
        assessment_type=pl.lit("BA"),
        idps="idps_n",
        households="hh_n",
        where=pl.lit("row ") + pl.col("line").cast(pl.String),
    )
    national = departments.with_columns(
        admin_level=pl.lit(0, dtype=pl.Int8),
        admin1_name=pl.lit(None, dtype=pl.String),
        admin1_pcode=pl.lit(None, dtype=pl.String),
    )
    return _summarise(pl.concat([national, departments]), path, "hdx_baseline_xlsx")


def _checked_rows(path: Path, data: pl.DataFrame, label: Callable[[str], str]) -> pl.DataFrame:
    """Parse the cells and refuse the first bad one, naming its row and column; return the
    rows that carry figures."""
    bound, why = idps_bound(COUNTRY)
    parsed = data.with_columns(
        idps_n=_whole_number("idps"),
        hh_n=_whole_number("households"),
        serial=pl.col("reported").cast(pl.Float64, strict=False),
    ).with_columns(
        reported_date=pl.when(pl.col("serial").is_not_null())
        .then(pl.lit(EXCEL_EPOCH) + pl.duration(days=pl.col("serial").floor().cast(pl.Int64)))
        .otherwise(pl.col("reported").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
    )
    has_figures = pl.col("idps").is_not_null() | pl.col("households").is_not_null()
    checks: list[tuple[pl.Expr, str, str]] = [
        (_as_float("idps") > bound, "idps", f"the number of IDP individuals is {why}"),
        (_as_float("households") > bound, "households", f"the number of households is {why}"),
        (
            pl.col("idps").is_not_null() & (pl.col("idps_n").is_null() | (pl.col("idps_n") < 0)),
            "idps",
            "the number of IDP individuals is not a whole number >= 0",
        ),
        (
            pl.col("households").is_not_null() & (pl.col("hh_n").is_null() | (pl.col("hh_n") < 0)),
            "households",
            "the number of IDP households is not a whole number >= 0",
        ),
        (
            has_figures & pl.col("idps").is_null(),
            "idps",
            "households are given but the number of IDP individuals is empty",
        ),
        (
            pl.col("reported").is_not_null() & pl.col("reported_date").is_null(),
            "reported",
            "the reported date is neither an Excel date nor a date like 2023-03-31",
        ),
        (
            has_figures & pl.col("admin1_pcode").is_null() & pl.col("admin1_name").is_null(),
            "admin1_pcode",
            "a row with IDP figures has no department (a totals row?)",
        ),
        (
            has_figures
            & pl.col("country").is_not_null()
            & (pl.col("country").str.to_uppercase() != COUNTRY),
            "country",
            f"the row is for another country than Haiti ({COUNTRY}); a baseline workbook "
            "is read only for Haiti",
        ),
    ]
    for bad, field, problem in checks:
        hit = parsed.filter(bad.fill_null(False)).head(1)
        if hit.height:
            raise InputError(
                path,
                problem,
                fix="Correct the cell, or delete the row if it is a total",
                row=int(hit["line"][0]),
                column=label(field),
                found=hit[field][0],
            )
    return parsed.filter(has_figures)
