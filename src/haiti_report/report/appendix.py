"""The report's tables: claims, every strength figure, decisions, cleaning log, sources.

Each returns a :class:`prose.Table` (escaped, for both renderers) whose headings come from
``report/text/<lang>/labels.yml`` and whose numbers go through the text formats of ``lang``, so
the tables and the sentences say the same thing the same way.

In another language than English, what the data files say in English (decisions' reasoning,
claims as recorded, a figure as a source wrote it) is shown as written, marked with its
language (``<span lang="en">``) for screen readers and the edition's language check; the
sentences the cleaning writes (log rules, reasons) are translated by ``labels.yml``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from haiti_report.core.sources import split_ids
from haiti_report.report import prose
from haiti_report.report.tables import Processed
from haiti_report.report.text import format as fmt
from haiti_report.report.text import labels, phrase, term

DATA_LANGUAGE = "en"  # the language the project's data files are written in


def in_language(value: str | None, written_in: str | None, lang: str) -> str | prose.Html:
    """Text shown as written: marked with its language when it is not the edition's."""
    if not value or not written_in or written_in == lang:
        return value or ""
    code = prose.escape(written_in)
    return prose.Html(f'<span lang="{code}">{prose.escape(value)}</span>', prose.escape_md(value))


def cleaning_words(english: str | None, lang: str) -> str | prose.Html:
    """A sentence the cleaning wrote in English, in ``lang`` if labels.yml translates it."""
    return phrase(english, lang) or in_language(english, DATA_LANGUAGE, lang)


class Folded:
    """An appendix table folded under a summary line on the page ("Show all 189 rows"), so the
    story reads first; printed unfolded (report.css), and complete in the PDF either way.

    Quarto: the ``<details>`` tags are raw HTML blocks around the Markdown table, which Pandoc
    keeps for HTML and drops for Typst, so the PDF has the table as it is."""

    def __init__(self, table: prose.Table, lang: str) -> None:
        self.table = table
        rows = fmt.formats(lang).number(len(table))
        self.summary = labels(lang)["appendix_fold"].format(rows=rows)

    def _open(self) -> str:
        return f'<details class="appendix-fold"><summary>{prose.escape(self.summary)}</summary>'

    def _repr_html_(self) -> str:
        return self._open() + self.table._repr_html_() + "</details>"

    def _repr_markdown_(self) -> str:
        return (
            f"```{{=html}}\n{self._open()}\n```\n\n{self.table._repr_markdown_()}\n\n"
            "```{=html}\n</details>\n```"
        )


def folded(table: prose.Table, lang: str = "en") -> Folded:
    return Folded(table, lang)


def _source_languages(p: Processed) -> dict[str, str]:
    if p.sources.is_empty() or "language" not in p.sources.columns:
        return {}
    return dict(zip(p.sources["source_id"], p.sources["language"].fill_null(""), strict=True))


def _said(row: Mapping, unit: str, lang: str) -> str | prose.Html:
    f = fmt.formats(lang)
    if row["data_value"] is None:
        return cleaning_words(row["reason"], lang)
    low, high, value = row["data_low"], row["data_high"], row["data_value"]
    if low is not None and high is not None and low != high:
        return f"{f.reported(low, 'range', high=high, unit=unit)}"
    return f.reported(value, "exact", unit=unit)


def _verdict(r: Mapping, lang: str) -> str:
    text, f = labels(lang), fmt.formats(lang)
    words = text["verdict_details"]
    verdict = text["verdicts"][r["verdict"]]
    if r["verdict"] == "matched_later":
        days = f.plural(r["later_days"], words["day"], words["days"])
        value = f.reported(r["later_value"], unit=r["unit"])
        verdict += words["later"].format(value=value, days=days)
    elif r["verdict"] == "off" and r["difference"] is not None:
        verdict += words["off_by"].format(value=f.reported(abs(r["difference"]), unit=r["unit"]))
    return f.finish(verdict)


def claims(p: Processed, lang: str = "en") -> prose.Table:
    text, f = labels(lang), fmt.formats(lang)
    written = _source_languages(p)
    rows = []
    for r in p.claims.iter_rows(named=True):
        rows.append(
            {
                **r,
                "claim_text": in_language(r["claim_text"], DATA_LANGUAGE, lang),
                "claimed_as_written": in_language(
                    r["claimed_as_written"], written.get(r["claim_source_id"]), lang
                ),
                "data": _said(r, r["unit"], lang),
                "verdict": _verdict(r, lang),
                "claim_date": f.date(r["claim_date"]),
            }
        )
    caption = None if lang == DATA_LANGUAGE else text.get("claims_in_english")
    return prose.Table(rows, text["claims"], caption=caption)


def strength(p: Processed, lang: str = "en") -> prose.Table:
    text, f = labels(lang), fmt.formats(lang)
    names = dict(zip(p.pvd["iso3"], p.pvd["country"], strict=True))
    written = _source_languages(p)
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
        first_source = (r["source_id"] or "").split(";")[0].strip()
        rows.append(
            {
                "event_date": f.date(r["event_date"]),
                "scope": text["mission"]
                if r["scope"] == "mission"
                else names.get(r["iso3"], r["iso3"]),
                "reported_as_written": in_language(
                    r["reported_as_written"], written.get(first_source), lang
                ),
                "count": f.count(count) if count else "",
                "verdict": text["check_verdicts"][r["verdict"]],
                "reason": cleaning_words(r["reason"], lang) if r["reason"] else "",
                "outlet": p.outlet(r["source_id"]) or r["source_id"],
            }
        )
    return prose.Table(rows, text["strength"])


def decisions(p: Processed, lang: str = "en") -> prose.Table:
    """The decisions that apply on the as-of date (an edition knows only its past)."""
    applying = p.decisions.filter(pl.col("applies"))
    columns = labels(lang)["decisions"]
    if lang == DATA_LANGUAGE:
        return prose.frame_table(applying, columns)
    answers = labels(lang)["answers"]
    rows = [
        {
            **{k: in_language(r[k], DATA_LANGUAGE, lang) for k in ("topic", "rule", "reasoning")},
            "decision_id": r["decision_id"],
            "applies": answers["yes" if r["applies"] else "no"],
        }
        for r in applying.iter_rows(named=True)
    ]
    return prose.Table(rows, columns, caption=labels(lang).get("data_in_english"))


def cleaning_log(p: Processed, lang: str = "en") -> prose.Table:
    log = (
        pl.concat([f for f in (p.mss_log, p.displacement_log) if f.height], how="diagonal")
        if (p.mss_log.height or p.displacement_log.height)
        else pl.DataFrame(schema={c: pl.String for c in labels(lang)["log"]})
    )
    if lang == DATA_LANGUAGE:
        return prose.frame_table(log, labels(lang)["log"], numeric=["rows"])
    number = fmt.formats(lang).number
    rows = [
        {
            **r,
            "rule": cleaning_words(r["rule"], lang),
            "rows": number(int(r["rows"])) if r.get("rows") not in (None, "") else "",
        }
        for r in log.iter_rows(named=True)
    ]
    return prose.Table(rows, labels(lang)["log"], numeric=["rows"])


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
    date = fmt.formats(lang).date
    undated = labels(lang).get("undated", "undated")
    backs = supports(p)
    rows = []
    for r in p.sources.sort("outlet", "source_id").iter_rows(named=True):
        ids: Sequence[str] = backs.get(r["source_id"], [])
        if not ids:
            continue
        rows.append(
            {
                "outlet": prose.link(r["outlet"], r["url"]),  # outlets are never translated
                "published": date(r["published"]) if r["published"] else undated,
                "kind": term(r["kind"], "source_kind", lang) if lang != "en" else r["kind"],
                "supports": "; ".join(ids),
            }
        )
    return prose.Table(rows, text)
