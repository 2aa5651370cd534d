"""The report's tables: claims, every strength figure, decisions, cleaning log, sources.

Each returns a :class:`prose.Table` (escaped, for both renderers) whose headings come from
``report/text/<lang>/labels.yml`` and whose numbers go through the text formats, so the tables
and the sentences say the same thing the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from haiti_report.core.sources import split_ids
from haiti_report.report import prose
from haiti_report.report.tables import Processed
from haiti_report.report.text import format as fmt
from haiti_report.report.text import labels


def _said(row: Mapping, unit: str) -> str:
    if row["data_value"] is None:
        return row["reason"] or ""
    low, high, value = row["data_low"], row["data_high"], row["data_value"]
    if low is not None and high is not None and low != high:
        return f"{fmt.reported(low, 'range', high=high, unit=unit)}"
    return fmt.reported(value, "exact", unit=unit)


def claims(p: Processed, lang: str = "en") -> prose.Table:
    text = labels(lang)
    rows = []
    for r in p.claims.iter_rows(named=True):
        verdict = text["verdicts"][r["verdict"]]
        if r["verdict"] == "matched_later":
            verdict += (
                f" ({fmt.reported(r['later_value'], unit=r['unit'])}, "
                f"{fmt.plural(r['later_days'], 'day')} later)"
            )
        elif r["verdict"] == "off" and r["difference"] is not None:
            verdict += f" by {fmt.reported(abs(r['difference']), unit=r['unit'])}"
        rows.append(
            {
                **r,
                "data": _said(r, r["unit"]),
                "verdict": verdict,
                "claim_date": fmt.date(r["claim_date"]),
            }
        )
    return prose.Table(rows, text["claims"])


def strength(p: Processed, lang: str = "en") -> prose.Table:
    text = labels(lang)
    names = dict(zip(p.pvd["iso3"], p.pvd["country"], strict=True))
    rows = []
    for r in p.strength.iter_rows(named=True):
        count = (
            None
            if r["count_value"] is None and r["count_low"] is None
            else {
                "value": r["count_value"],
                "low": r["count_low"] or 0,
                "high": r["count_high"],
                "qualifier": r["count_qualifier"],
            }
        )
        rows.append(
            {
                "event_date": fmt.date(r["event_date"]),
                "scope": text["mission"]
                if r["scope"] == "mission"
                else names.get(r["iso3"], r["iso3"]),
                "reported_as_written": r["reported_as_written"],
                "count": fmt.count(count) if count else "",
                "verdict": text["check_verdicts"][r["verdict"]],
                "reason": r["reason"] or "",
                "outlet": p.outlet(r["source_id"]) or r["source_id"],
            }
        )
    return prose.Table(rows, text["strength"])


def decisions(p: Processed, lang: str = "en") -> prose.Table:
    """The decisions that apply on the as-of date (an edition knows only its past)."""
    return prose.frame_table(p.decisions.filter(pl.col("applies")), labels(lang)["decisions"])


def cleaning_log(p: Processed, lang: str = "en") -> prose.Table:
    log = (
        pl.concat([f for f in (p.mss_log, p.displacement_log) if f.height], how="diagonal")
        if (p.mss_log.height or p.displacement_log.height)
        else pl.DataFrame(schema={c: pl.String for c in labels(lang)["log"]})
    )
    return prose.frame_table(log, labels(lang)["log"], numeric=["rows"])


def supports(p: Processed) -> dict[str, list[str]]:
    """Which figures (and claims) each source supports."""
    found: dict[str, set[str]] = {}
    used = p.figures.filter(pl.col("status") == "used")
    for frame in (used, p.idps, p.departments, p.context):
        for fid, cell in zip(frame["figure_id"], frame["source_id"], strict=True):
            for sid in split_ids(cell):
                found.setdefault(sid, set()).add(fid)
    for row in p.claims.iter_rows(named=True):
        found.setdefault(row["claim_source_id"], set()).add(row["claim_id"])
    return {k: sorted(v) for k, v in found.items()}


def sources(p: Processed, lang: str = "en") -> prose.Table:
    text = labels(lang)["sources"]
    backs = supports(p)
    rows = []
    for r in p.sources.sort("outlet", "source_id").iter_rows(named=True):
        ids: Sequence[str] = backs.get(r["source_id"], [])
        if not ids:
            continue
        rows.append(
            {
                "outlet": prose.link(r["outlet"], r["url"]),
                "published": fmt.date(r["published"]) if r["published"] else "undated",
                "kind": r["kind"],
                "supports": "; ".join(ids),
            }
        )
    return prose.Table(rows, text)
