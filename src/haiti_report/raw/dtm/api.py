"""Reader 1: a saved DTM API v3 ``displacement/admin0`` or ``admin1`` response."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl

from haiti_report.core.errors import InputError
from haiti_report.raw.dtm.common import _refuse_if_too_big, _require_file, _summarise

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
