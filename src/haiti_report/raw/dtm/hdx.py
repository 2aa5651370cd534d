"""Reader 2: HDX's global ``global-iom-dtm-from-api-admin-0-to-2.csv`` (HXL tags on line 2)."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from haiti_report.core.errors import InputError
from haiti_report.raw.dtm.common import (
    _as_float,
    _find_tags,
    _is_hxl_row,
    _missing_tags_error,
    _require_file,
    _summarise,
    _whole_number,
    idps_bound,
)

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
# What makes a row one record of a round and place: used to find repeated rows when present.
_CSV_OPTIONAL: dict[str, tuple[str, ...]] = {
    "reason": ("#cause+type",),
    "origin": ("#adm1+code+origin", "#adm1+name+origin"),
}
_ALL_TAGS = {**_CSV_TAGS, **_CSV_OPTIONAL}


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
    cols = _find_tags(path, tags_row, _ALL_TAGS, "line 2")
    if any(field not in cols for field in _CSV_TAGS):
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
    for field in _CSV_OPTIONAL:
        if field not in haiti.columns:
            haiti = haiti.with_columns(pl.lit(None, dtype=pl.String).alias(field))
    frame = _csv_frame(path, haiti, header, cols, wanted)
    return _summarise(frame, path, "hdx_hxl_csv", record_key=list(_CSV_OPTIONAL), country=wanted)


def _csv_frame(
    path: Path, df: pl.DataFrame, header: list[str], cols: dict[str, int], country: str
) -> pl.DataFrame:
    def label(field: str) -> str:
        i = cols[field]
        name = header[i] if i < len(header) and header[i] else f"column {i + 1}"
        return f"{name} ({_ALL_TAGS[field][0]})"

    bound, why = idps_bound(country)
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
    checks = _csv_checks(raw[renamed["reporting_date"]], bound, why)
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
        where=pl.lit("line ") + pl.col("line").cast(pl.String),
    )


def _csv_checks(raw_date: pl.Series, bound: int, why: str) -> list[tuple[pl.Expr, str, str, str]]:
    """(bad rows, field, problem, fix) for the parsed CSV rows, in the order they are reported."""
    return [
        (
            _as_float("_raw_idps") > bound,
            "idps",
            f"the IDP count is {why}",
            "The row is corrupt: download the file again",
        ),
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
            pl.col("reporting_date").is_null() & raw_date.is_not_null(),
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
