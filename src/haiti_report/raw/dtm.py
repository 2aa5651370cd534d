"""Read IOM Displacement Tracking Matrix (DTM) figures for Haiti into one tidy table.

Three published shapes are accepted, and each reader returns the same table (:class:`DtmFigures`),
one row per (source file, operation, admin level, department, round, reporting date,
assessment type):

* ``read_dtm_api_json``      - a saved DTM API v3 response (``displacement/admin0`` or ``admin1``).
* ``read_hdx_csv``           - HDX's global ``global-iom-dtm-from-api-admin-0-to-2.csv`` (HXL row).
* ``read_hdx_baseline_xlsx`` - one HDX Haiti baseline-round workbook (3 header rows, HXL on row 3).

``read_dtm_file`` picks the right reader by looking at the file's content.

Things a reporter should know about the numbers:

* ``reporting_date`` is DTM's ``reportingDate``: an END-OF-MONTH STAMP (R8 fieldwork was early
  September 2024, stamped 2024-09-30), not the fieldwork window and not the publication date.
  For a baseline workbook it is the latest ``#date+reported`` in the sheet.
* API v3 and the HDX CSV split each round into rows by origin department x displacement reason;
  those rows are SUMMED here (``rows_summed`` says how many). Site assessments (``SA``) are a
  subset of the baseline (``BA``) and are never added to it: they stay separate rows.
* The HDX CSV also has commune (admin2) rows. They are ignored: every Haiti round in the HDX file
  has department (admin1) and national (admin0) rows, and re-adding communes would only risk
  double counting.
* For rounds 1-5 the API totals differ from IOM's headline totals (sites only, capital only,
  relabelled rounds): see research/displacement_notes.md section 3d. This module reports what
  the file says; overrides belong elsewhere.
"""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import io
import json
import zipfile
from collections.abc import Callable
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

_EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel serial 45016 = 2023-03-31
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


# ------------------------------------------------------------------------------------------
# Shared helpers
# ------------------------------------------------------------------------------------------


def _refuse_if_too_big(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_IN_MEMORY_BYTES:
        raise InputError(
            path,
            f"file is {size / 1e6:,.1f} MB, more than the {MAX_IN_MEMORY_BYTES / 1e6:,.0f} MB "
            "this reader loads into memory",
            fix="Check it is the right file; a DTM API response for one country is well under "
            "1 MB. Query the API per country (Admin0Pcode=HTI) or raise "
            "haiti_report.raw.dtm.MAX_IN_MEMORY_BYTES deliberately",
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


# ------------------------------------------------------------------------------------------
# 1. DTM API v3 JSON
# ------------------------------------------------------------------------------------------

_API_REQUIRED = ("operation", "numPresentIdpInd", "reportingDate", "roundNumber", "assessmentType")


def read_dtm_api_json(path: str | Path) -> pl.DataFrame:
    """Read a saved DTM API v3 ``displacement/admin0`` or ``admin1`` response.

    v3 rows (one per origin department x displacement reason) are summed per operation,
    department, round, reportingDate and assessmentType. Admin0 vs admin1 is detected from the
    fields (``admin1Name`` present). Files over ``MAX_IN_MEMORY_BYTES`` are refused unread.
    """
    path = _require_file(path)
    _refuse_if_too_big(path)
    raw = path.read_bytes()
    try:
        payload = json.loads(raw)
    except json.JSONDecodeError as err:
        raise InputError(
            path,
            f"not valid JSON: {err}",
            fix="The download was probably cut short or edited; download it again",
            row=err.lineno,
            found=err.doc[max(0, err.pos - 40) : err.pos + 40],
        ) from err
    except RecursionError as err:
        raise InputError(
            path,
            "JSON is nested too deeply to read (thousands of levels); a DTM API response is "
            "only three levels deep",
            fix="This is not a DTM API response; download it again",
        ) from err
    except UnicodeDecodeError as err:
        raise InputError(path, f"not UTF-8 text: {err}", fix="Save the file as UTF-8") from err

    records = _api_records(path, payload)
    return _summarise(_api_frame(path, records), path, "dtm_api_v3_json")


def _api_records(path: Path, payload: Any) -> list[Any]:
    if not isinstance(payload, dict) or not isinstance(payload.get("result", None), list):
        if isinstance(payload, dict) and payload.get("isSuccess") is False:
            pass  # report the API's own error below
        else:
            shape = (
                "an object with keys " + ", ".join(map(repr, list(payload)[:8]))
                if isinstance(payload, dict)
                else f"a JSON {type(payload).__name__}"
            )
            raise InputError(
                path,
                f"JSON without a 'result' list (found {shape})",
                fix='Expected the DTM API v3 envelope {"result": [...], "statusCode": 200, '
                '"isSuccess": true, "errorMessages": [], "totalRecordsCount": N}',
            )
    if payload.get("isSuccess") is False:
        raise InputError(
            path,
            f"the DTM API reported a failure (statusCode {payload.get('statusCode')!r}): "
            f"{payload.get('errorMessages')!r}",
            fix="Fix the request (subscription key, Admin0Pcode=HTI) and download again",
        )
    records: list[Any] = payload["result"]
    expected = payload.get("totalRecordsCount")
    if isinstance(expected, int) and expected != len(records):
        raise InputError(
            path,
            f"totalRecordsCount says {expected} records but 'result' holds {len(records)}",
            fix="The response is incomplete; download it again",
        )
    if not records:
        raise InputError(path, "the API response has no records", fix="Check the query")
    return records


def _api_frame(path: Path, records: list[Any]) -> pl.DataFrame:
    first = records[0] if isinstance(records[0], dict) else {}
    if "admin2Name" in first or "admin2Pcode" in first:
        raise InputError(
            path,
            "this is an admin2 (commune) API response; only admin0 and admin1 are read",
            fix="Download displacement/admin1 (departments) or admin0 (national)",
        )
    is_admin1 = "admin1Name" in first
    required = _API_REQUIRED + (("admin1Name", "admin1Pcode") if is_admin1 else ())
    columns: dict[str, list[Any]] = {
        k: []
        for k in (
            "operation",
            "admin1_name",
            "admin1_pcode",
            "round",
            "reporting_date",
            "assessment_type",
            "idps",
        )
    }
    countries: set[Any] = set()
    for i, rec in enumerate(records):
        where = f"record result[{i}]"
        if not isinstance(rec, dict):
            raise InputError(path, f"{where} is not a JSON object", found=repr(rec)[:80])
        for field in required:
            if field not in rec:
                raise InputError(
                    path,
                    f"{where} has no field '{field}' (required: {', '.join(required)})",
                    fix="Download the response again; do not edit it by hand",
                    column=field,
                )
        for field in ("operation", "numPresentIdpInd", "assessmentType"):
            if rec[field] in (None, ""):
                raise InputError(path, f"{where} has an empty '{field}'", column=field)
        idps = rec["numPresentIdpInd"]
        if isinstance(idps, float) and idps.is_integer():
            idps = int(idps)
        if isinstance(idps, bool) or not isinstance(idps, int) or idps < 0:
            raise InputError(
                path,
                f"{where}: numPresentIdpInd must be a whole number >= 0",
                column="numPresentIdpInd",
                found=repr(rec["numPresentIdpInd"]),
            )
        countries.add(rec.get("admin0Pcode"))
        columns["operation"].append(str(rec["operation"]))
        columns["admin1_name"].append(rec.get("admin1Name") if is_admin1 else None)
        columns["admin1_pcode"].append(rec.get("admin1Pcode") if is_admin1 else None)
        columns["round"].append(_round_text(rec["roundNumber"]))
        columns["reporting_date"].append(_api_date(path, where, rec["reportingDate"]))
        columns["assessment_type"].append(str(rec["assessmentType"]).strip())
        columns["idps"].append(idps)
    if len(countries - {None}) > 1:
        raise InputError(
            path,
            f"the response mixes countries {sorted(map(str, countries - {None}))}",
            fix="Query the API for one country (Admin0Pcode=HTI)",
        )
    return pl.DataFrame(
        {
            **columns,
            "admin_level": [1 if is_admin1 else 0] * len(records),
            "households": [None] * len(records),
        },
        schema_overrides={
            "reporting_date": pl.Date,
            "households": pl.Int64,
            "idps": pl.Int64,
            "admin_level": pl.Int8,
            "admin1_name": pl.String,
            "admin1_pcode": pl.String,
            "round": pl.String,
        },
    )


def _round_text(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _api_date(path: Path, where: str, value: Any) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InputError(
            path,
            f"{where}: reportingDate is not a date like 2025-06-30T00:00:00",
            column="reportingDate",
            found=repr(value),
        ) from None


# ------------------------------------------------------------------------------------------
# 2. HDX global CSV with HXL row
# ------------------------------------------------------------------------------------------

# field -> accepted HXL tags (first match wins). IDPs are '#affected+idps' in this dataset.
_CSV_TAGS: dict[str, tuple[str, ...]] = {
    "country": ("#country+code",),
    "admin_level": ("#adm+level",),
    "operation": ("#operation+name",),
    "admin1_name": ("#adm1+name",),
    "admin1_pcode": ("#adm1+code",),
    "round": ("#round+code",),
    "reporting_date": ("#date+reported",),
    "assessment_type": ("#assessment+type",),
    "idps": ("#affected+idps", "#affected+idps+ind"),
}


def _first_two_csv_lines(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="", errors="replace") as handle:
        reader = csv.reader(handle)
        return [row for _, row in zip(range(2), reader, strict=False)]


def read_hdx_csv(path: str | Path, *, country: str = "HTI") -> pl.DataFrame:
    """Read one country's rows from HDX's global DTM CSV (header on line 1, HXL tags on line 2).

    Columns are found by HXL tag, so renamed headers still work. The file is scanned lazily and
    filtered to ``country`` before anything is collected, so the global file is never loaded
    whole. National (adminLevel 0) and department (1) rows are summed per round; commune (2)
    rows are ignored (see the module notes). Line numbers in errors count physical lines and
    assume no quoted line breaks inside cells (true of the HDX file).
    """
    path = _require_file(path)
    lines = _first_two_csv_lines(path)
    header = lines[0] if lines else []
    tags_row = lines[1] if len(lines) > 1 else []
    line2 = ",".join(tags_row)
    if not _is_hxl_row(tags_row):
        raise InputError(
            path,
            "line 2 is not a row of HXL hashtags (#country+code, #affected+idps, ...)",
            fix="Use the HDX file as downloaded: line 1 headers, line 2 HXL tags, data from "
            "line 3. Required tags: " + ", ".join(" or ".join(t) for t in _CSV_TAGS.values()),
            row=2,
            found=line2[:300] if tags_row else "(no line 2)",
        )
    cols = _find_tags(path, tags_row, _CSV_TAGS, "line 2")
    if len(cols) < len(_CSV_TAGS):
        raise _missing_tags_error(path, _CSV_TAGS, cols, 2, line2)

    names = [f"c{i}" for i in range(max(len(header), len(tags_row)))]
    scan = pl.scan_csv(
        path,
        has_header=False,
        skip_rows=2,
        infer_schema=False,
        new_columns=names,
        row_index_name="line",
        row_index_offset=3,
    )
    wanted = country.strip().upper()
    # filter on the raw column first so polars pushes it into the CSV scan
    in_country = pl.col(names[cols["country"]]).str.strip_chars().str.to_uppercase() == wanted
    rows = scan.filter(in_country).select(
        "line", *(pl.col(names[i]).str.strip_chars().alias(f) for f, i in cols.items())
    )
    try:
        haiti = rows.collect(engine="streaming")
    except pl.exceptions.PolarsError as err:
        raise InputError(
            path,
            f"the CSV could not be parsed: {str(err).splitlines()[0]}",
            fix="Check for rows with extra or missing commas",
        ) from err
    if haiti.is_empty():
        seen = scan.select(pl.col(names[cols["country"]]).unique().head(12)).collect()
        raise InputError(
            path,
            f"no rows with #country+code = {wanted}",
            fix="Check the country code (ISO3, e.g. HTI)",
            column=header[cols["country"]] if cols["country"] < len(header) else None,
            found=", ".join(sorted(str(c) for c in seen.to_series() if c)),
        )
    return _summarise(_csv_frame(path, haiti, header, cols), path, "hdx_hxl_csv")


def _csv_frame(
    path: Path, df: pl.DataFrame, header: list[str], cols: dict[str, int]
) -> pl.DataFrame:
    def label(field: str) -> str:
        i = cols[field]
        name = header[i] if i < len(header) and header[i] else f"column {i + 1}"
        return f"{name} ({_CSV_TAGS[field][0]})"

    renamed = {f: label(f) for f in cols}
    raw = df.rename(renamed)
    parsed = df.with_columns(
        admin_level=_whole_number("admin_level"),
        idps=_whole_number("idps"),
        reporting_date=pl.col("reporting_date")
        .str.slice(0, 10)
        .str.to_date("%Y-%m-%d", strict=False),
        round=pl.col("round").str.replace(r"\.0$", ""),
    )
    checks: list[tuple[pl.Expr, str, str, str]] = [
        (
            pl.col("admin_level").is_null() | ~pl.col("admin_level").is_in([0, 1, 2]),
            "admin_level",
            "the admin level must be 0, 1 or 2",
            "Correct the value",
        ),
        (
            pl.col("idps").is_null(),
            "idps",
            "the IDP count is empty or not a whole number",
            "Correct or remove the value",
        ),
        (pl.col("idps") < 0, "idps", "the IDP count is negative", "Correct the value"),
        (
            pl.col("reporting_date").is_null() & raw[renamed["reporting_date"]].is_not_null(),
            "reporting_date",
            "the reporting date is not a date like 2025-06-30",
            "Correct the value",
        ),
        (pl.col("operation").is_null(), "operation", "the operation is empty", "Fill it in"),
        (
            pl.col("assessment_type").is_null(),
            "assessment_type",
            "the assessment type is empty",
            "Fill it in (BA, SA, ...)",
        ),
        (
            (pl.col("admin_level") == 1)
            & pl.col("admin1_pcode").is_null()
            & pl.col("admin1_name").is_null(),
            "admin1_pcode",
            "a department (adminLevel 1) row has no department name or code",
            "Fill it in",
        ),
    ]
    flagged = parsed.with_columns(pl.Series("_raw_" + f, raw[renamed[f]]) for f in cols)
    for bad, field, problem, fix in checks:
        hit = flagged.filter(bad.fill_null(False)).head(1)
        if hit.height:
            raise InputError(
                path,
                problem,
                fix=fix,
                row=int(hit["line"][0]),
                column=renamed[field],
                found=hit["_raw_" + field][0],
            )
    return parsed.filter(pl.col("admin_level") <= 1).with_columns(
        pl.col("admin_level").cast(pl.Int8),
        # national rows carry no department even if a cell is filled
        *(
            pl.when(pl.col("admin_level") == 1).then(pl.col(c)).alias(c)
            for c in ("admin1_name", "admin1_pcode")
        ),
        households=pl.lit(None, dtype=pl.Int64),
    )


# ------------------------------------------------------------------------------------------
# 3. HDX Haiti baseline XLSX
# ------------------------------------------------------------------------------------------

_XLSX_TAGS: dict[str, tuple[str, ...]] = {
    "reported": ("#date+reported",),
    "admin1_pcode": ("#adm1+code",),
    "admin1_name": ("#adm1+name",),
    "idps": ("#affected+idps+ind", "#affected+idps"),
}
_XLSX_OPTIONAL: dict[str, tuple[str, ...]] = {"households": ("#affected+idps+hh",)}
_HXL_SEARCH_ROWS = 10
_XLSX_LAYOUT = (
    "Expected the HDX baseline layout: row 1 group headings, row 2 French column labels, "
    "row 3 HXL tags on some columns (#date+reported, #country+code, #adm1+code, #adm1+name, "
    "#affected+idps+hh, #affected+idps+ind), data from row 4"
)


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
    """
    import fastexcel  # imported here so the JSON/CSV readers don't need it

    path = _require_file(path)
    _refuse_if_too_big(path)
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
        grid = book.load_sheet(
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

    # calamine keeps leading empty rows when skip_rows=0, so grid row i is Excel row i + 1
    cells = grid.columns
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
        .select("line", *(pl.col(cells[i]).str.strip_chars().alias(f) for f, i in cols.items()))
    )
    if "households" not in data.columns:
        data = data.with_columns(households=pl.lit(None, dtype=pl.String))
    parsed = data.with_columns(
        idps_n=_whole_number("idps"),
        hh_n=_whole_number("households"),
        serial=pl.col("reported").cast(pl.Float64, strict=False),
    ).with_columns(
        reported_date=pl.when(pl.col("serial").is_not_null())
        .then(pl.lit(_EXCEL_EPOCH) + pl.duration(days=pl.col("serial").floor().cast(pl.Int64)))
        .otherwise(pl.col("reported").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
    )
    has_figures = pl.col("idps").is_not_null() | pl.col("households").is_not_null()
    checks: list[tuple[pl.Expr, str, str]] = [
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

    rows = parsed.filter(has_figures)
    if rows.is_empty():
        raise InputError(
            path, f"no IDP figures below the HXL row (row {hxl_at + 1})", fix=_XLSX_LAYOUT
        )
    reporting_date = rows["reported_date"].max()
    departments = rows.select(
        operation=pl.lit(operation),
        admin_level=pl.lit(1, dtype=pl.Int8),
        admin1_name="admin1_name",
        admin1_pcode="admin1_pcode",
        round=pl.lit(None if round is None else str(round), dtype=pl.String),
        reporting_date=pl.lit(reporting_date, dtype=pl.Date),
        assessment_type=pl.lit("BA"),
        idps="idps_n",
        households="hh_n",
    )
    national = departments.with_columns(
        admin_level=pl.lit(0, dtype=pl.Int8),
        admin1_name=pl.lit(None, dtype=pl.String),
        admin1_pcode=pl.lit(None, dtype=pl.String),
    )
    return _summarise(pl.concat([national, departments]), path, "hdx_baseline_xlsx")


# ------------------------------------------------------------------------------------------
# Dispatch by content, and national totals
# ------------------------------------------------------------------------------------------


def _describe_unknown(path: Path, head: bytes) -> str:
    if not head.strip():
        return "an empty file"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old-style .xls workbook (save it as .xlsx)"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive that is not an .xlsx workbook"
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return f"a binary file that is not UTF-8 text (begins {head[:16]!r})"
    lines = list(csv.reader(io.StringIO(text)))
    if len(lines) < 2:
        return f"a one-line text file (begins {text[:60]!r})"
    if "," in text.splitlines()[0]:
        return f"a CSV whose line 2 has no HXL tags (line 2 begins {','.join(lines[1])[:60]!r})"
    return f"a text file that is neither JSON nor CSV (begins {text[:60]!r})"


def _reader_for(path: Path) -> tuple[Callable[..., pl.DataFrame] | None, bytes]:
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    if head.startswith(b"PK\x03\x04") and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            if "xl/workbook.xml" in archive.namelist():
                return read_hdx_baseline_xlsx, head
        return None, head
    try:
        text = head.decode("utf-8-sig", errors="strict").lstrip()
    except UnicodeDecodeError as err:
        # a 64 KB cut can split a multi-byte character; only the cut end may be invalid
        if err.start < len(head) - 4:
            return None, head
        text = head[: err.start].decode("utf-8-sig").lstrip()
    if text.startswith(("{", "[")):
        return read_dtm_api_json, head
    lines = list(csv.reader(io.StringIO(text)))
    if len(lines) >= 2 and _is_hxl_row(lines[1]):
        return read_hdx_csv, head
    return None, head


def read_dtm_file(path: str | Path, **kw: Any) -> pl.DataFrame:
    """Read any of the three DTM shapes, choosing the reader from the file's content.

    Keyword arguments go to the chosen reader when it accepts them (``country`` for the CSV,
    ``sheet``/``round``/``operation`` for the workbook), so one call works for mixed folders.
    """
    path = _require_file(path)
    reader, head = _reader_for(path)
    if reader is None:
        raise InputError(
            path,
            f"not a DTM file this project reads: found {_describe_unknown(path, head)}",
            fix=f"Accepted shapes: {ACCEPTED_SHAPES}",
        )
    known = {
        name
        for r in (read_dtm_api_json, read_hdx_csv, read_hdx_baseline_xlsx)
        for name in inspect.signature(r).parameters
    }
    if unknown := set(kw) - known:
        raise TypeError(f"read_dtm_file() got unexpected keyword(s) {sorted(unknown)}")
    accepted = inspect.signature(reader).parameters
    return reader(path, **{k: v for k, v in kw.items() if k in accepted})


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
