"""Reader 1: a saved DTM API v3 ``displacement/admin0`` or ``admin1`` response."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl

from haiti_report.core.errors import InputError
from haiti_report.raw.dtm.common import _refuse_if_too_big, _require_file, _summarise, idps_bound

COUNTRY = "HTI"  # this project reads Haiti's figures; a response for another country is refused

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
    frame = _api_frame(path, records)
    # a v3 record is one origin department x displacement reason of a round and place
    return _summarise(frame, path, "dtm_api_v3_json", record_key=["reason", "origin"])


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
    rows = [_api_row(path, i, rec, required, is_admin1) for i, rec in enumerate(records)]
    return pl.DataFrame(
        rows,
        schema={
            "operation": pl.String,
            "admin1_name": pl.String,
            "admin1_pcode": pl.String,
            "round": pl.String,
            "reporting_date": pl.Date,
            "assessment_type": pl.String,
            "idps": pl.Int64,
            "reason": pl.String,
            "origin": pl.String,
            "where": pl.String,
        },
        orient="row",
    ).with_columns(
        admin_level=pl.lit(1 if is_admin1 else 0, dtype=pl.Int8),
        households=pl.lit(None, dtype=pl.Int64),
    )


def _api_row(
    path: Path, index: int, rec: Any, required: tuple[str, ...], is_admin1: bool
) -> tuple[Any, ...]:
    """One record, checked: its fields, its count within bounds, and that it is Haiti's."""
    where = f"record result[{index}]"
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
    country = rec.get("admin0Pcode")
    if country != COUNTRY:
        raise InputError(
            path,
            f"{where} is not Haiti's (admin0Pcode {COUNTRY}): every record must be",
            fix="Query the API for Haiti only (Admin0Pcode=HTI) and download again",
            column="admin0Pcode",
            found=repr(country),
        )
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
    bound, why = idps_bound(COUNTRY)
    if idps > bound:
        raise InputError(
            path,
            f"{where}: numPresentIdpInd is {why}",
            fix="The record is corrupt; download the response again",
            column="numPresentIdpInd",
            found=repr(rec["numPresentIdpInd"]),
        )
    return (
        str(rec["operation"]),
        rec.get("admin1Name") if is_admin1 else None,
        rec.get("admin1Pcode") if is_admin1 else None,
        _round_text(rec["roundNumber"]),
        _api_date(path, where, rec["reportingDate"]),
        str(rec["assessmentType"]).strip(),
        idps,
        _text(rec.get("displacementReason")),
        _text(rec.get("idpOriginAdmin1Pcode") or rec.get("idpOriginAdmin1Name")),
        where,
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value).strip()


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
