"""The displacement series as known on a date: dating, as-of, decisions, one figure per key.

The rules are those of :mod:`haiti_report.clean.displacement` (rules 1-5 of its docstring);
this module applies them to the national, department and context tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from haiti_report.clean import dtm_files
from haiti_report.clean.tables import CleaningLog
from haiti_report.core.queries import round_number
from haiti_report.raw.displacement import _CONFIDENCE_RANK, DEPARTMENTS

# The key of each published series (its rows are unique on these columns).
NATIONAL_KEYS = ("round",)
DEPARTMENT_KEYS = ("round", "pcode")
CONTEXT_KEYS = ("series", "geography", "period_start", "period_end")

if TYPE_CHECKING:
    from haiti_report.clean.displacement import RawDisplacement


UNDATED = "undated: no publication date, never counted"


def _own_date() -> pl.Expr:
    """The figure's own date: its cell, else its source's (the last day of a partial date)."""
    return pl.coalesce("published_given", "source_published")


def round_first_published(raw: RawDisplacement) -> pl.DataFrame:
    """Per round: the earliest own date of any of its figures, and which figure has it.
    Figures a decision set aside (e.g. for their date) do not date their round."""
    set_aside = [i for ids in raw.decisions["rejected"] for i in ids]
    dated = (
        pl.concat(
            [
                f.select("round", "figure_id", _own_date().alias("round_published"))
                for f in (raw.national, raw.departments)
            ]
        )
        .drop_nulls()
        .filter(~pl.col("figure_id").is_in(set_aside))
    )
    return (
        dated.sort("round_published", "figure_id")
        .group_by("round", maintain_order=True)
        .first()
        .rename({"figure_id": "round_dated_by"})
    )


def date_figures(
    frame: pl.DataFrame,
    first: pl.DataFrame | None,
    table: str,
    log: CleaningLog,
) -> pl.DataFrame:
    """Add ``published`` (the day a figure counts from) and ``dated_by`` (why that day)."""
    if first is None:
        first = pl.DataFrame(
            schema={"round": pl.String, "round_published": pl.Date, "round_dated_by": pl.String}
        )
    own = _own_date()
    by_round = (
        own.is_null()
        & pl.col("is_iom")
        & (pl.col("qualifier") == "exact")
        & pl.col("round_published").is_not_null()
    )
    out = (
        frame.join(first, on="round", how="left")
        .with_columns(
            published=pl.when(own.is_not_null())
            .then(own)
            .when(by_round)
            .then(pl.col("round_published"))
            .otherwise(pl.lit(None, dtype=pl.Date)),  # unknown stays unknown: never counted
            dated_by=pl.when(pl.col("published_given").is_not_null())
            .then(pl.lit("published"))
            .when(pl.col("source_published").is_not_null())
            .then(pl.lit("sources.csv"))
            .when(by_round)
            .then(pl.lit("round ") + pl.col("round_dated_by"))
            .otherwise(pl.lit(UNDATED)),
        )
        .drop("round_published", "round_dated_by")
    )
    for row in out.filter(pl.col("dated_by").str.starts_with("round ")).iter_rows(named=True):
        log.add(
            table,
            "dated by the first report of its round",
            1,
            f"{row['round']}: undated IOM figure {row['value_as_written']} counts from "
            f"{row['published']}, the date of {row['dated_by'].split()[-1]}",
            [row["figure_id"]],
        )
    undated = out.filter(pl.col("dated_by") == UNDATED)
    if undated.height:
        log.add(
            table,
            "undated: never counted",
            undated.height,
            "no publication date and no dated IOM figure of the same round",
            undated["figure_id"].to_list(),
        )
    return out


def known_by(
    frame: pl.DataFrame, as_of: dt.date, table: str, log: CleaningLog, period_end: str | None
) -> pl.DataFrame:
    """Figures published by ``as_of`` and, if ``period_end`` is given, whose period had ended
    (a partial period end such as "2024-09" is its last day)."""
    late = frame.filter(pl.col("published").is_null() | (pl.col("published") > as_of))
    if late.height:
        log.add(
            table,
            "left out: published after as_of",
            late.height,
            f"as_of {as_of}",
            late["figure_id"].to_list(),
        )
    known = frame.filter(pl.col("published") <= as_of)
    if period_end is None:
        return known
    running = known.filter(pl.col(period_end).is_not_null() & (pl.col(period_end) > as_of))
    if running.height:
        log.add(
            table,
            "left out: period not over at as_of",
            running.height,
            f"as_of {as_of}",
            running["figure_id"].to_list(),
        )
    return known.filter(pl.col(period_end).is_null() | (pl.col(period_end) <= as_of))


def apply_decisions(
    frame: pl.DataFrame, decisions: pl.DataFrame, keys: Sequence[str], table: str, log: CleaningLog
) -> pl.DataFrame:
    """Rule 3: set aside rejected figures of the same round/period as a known chosen figure;
    mark chosen figures with their ``decision_id``."""
    group_of = {r[0]: tuple(r[1:]) for r in frame.select("figure_id", *keys).iter_rows()}
    chosen: dict[str, str] = {}
    rejected: dict[str, str] = {}
    for row in decisions.iter_rows(named=True):
        picked = [c for c in row["chosen"] if c in group_of]
        if not picked:
            continue  # its chosen figure is not known yet (or is in another table)
        groups = {group_of[c] for c in picked}
        chosen.update({c: row["decision_id"] for c in picked})
        same = [r for r in row["rejected"] if group_of.get(r) in groups]
        other = [r for r in row["rejected"] if r in group_of and group_of[r] not in groups]
        rejected.update({r: row["decision_id"] for r in same})
        if same:
            log.add(
                table,
                "set aside by a decision",
                len(same),
                f"decision {row['decision_id']}: {row['topic'] or ''}".strip(),
                same,
            )
        if other:
            log.add(
                table,
                "decision not applied: compares different rounds or periods",
                len(other),
                f"decision {row['decision_id']}: {row['topic'] or ''}".strip(),
                other,
            )
    return frame.filter(~pl.col("figure_id").is_in(list(rejected))).with_columns(
        decision_id=pl.col("figure_id").replace_strict(chosen, default=None, return_dtype=pl.String)
    )


def pick_best(
    frame: pl.DataFrame, keys: Sequence[str], table: str, log: CleaningLog
) -> pl.DataFrame:
    """Rule 4: one figure per ``keys``; the others are logged as not used."""
    if "from_file" not in frame.columns:
        frame = frame.with_columns(from_file=pl.lit(False))
    ranked = frame.with_columns(
        _undecided=pl.col("decision_id").is_null(),
        _inexact=pl.col("qualifier") != "exact",
        _conf=pl.col("confidence").replace_strict(_CONFIDENCE_RANK, return_dtype=pl.Int8),
    ).sort(
        ["_undecided", "_inexact", "precision", "from_file", "published", "_conf", "figure_id"],
        nulls_last=True,
    )
    best = (
        ranked.group_by(keys, maintain_order=True).first().drop("_undecided", "_inexact", "_conf")
    )
    others = sorted(set(frame["figure_id"]) - set(best["figure_id"]))
    if others:
        log.add(
            table,
            "not used: another figure for the same round or period is preferred",
            len(others),
            "a decision's choice, else exact before qualified, the finest "
            "rounding, the fact base before a DTM file, the earliest published",
            others,
        )
    return best


def _decided(
    frame: pl.DataFrame,
    raw: RawDisplacement,
    as_of: dt.date,
    keys: Sequence[str],
    table: str,
    log: CleaningLog,
    period_end: str | None,
    first: pl.DataFrame | None,
) -> tuple[pl.DataFrame, set[tuple[Any, ...]]]:
    """Rules 1-4 on one raw table; also (key..., value) of figures a decision set aside.
    The fact base's figures get an empty ``basis`` (what a DTM file's candidate says)."""
    dated = date_figures(frame.with_columns(basis=pl.lit(None, dtype=pl.String)), first, table, log)
    known = known_by(dated, as_of, table, log, period_end)
    decided = apply_decisions(known, raw.decisions, keys, table, log)

    # Numbers a decision rejected (not merely a rejected report of the chosen number).
    def numbers(f: pl.DataFrame) -> set[tuple[Any, ...]]:
        return {(*(r[k] for k in keys), int(r["value"])) for r in f.iter_rows(named=True)}

    gone = known.join(decided.select("figure_id"), on="figure_id", how="anti")
    return decided, numbers(gone) - numbers(decided)


def _pick(
    decided: pl.DataFrame,
    candidates: pl.DataFrame | None,
    as_of: dt.date,
    keys: Sequence[str],
    table: str,
    log: CleaningLog,
) -> pl.DataFrame:
    """Rule 4 over the fact base's figures and, where given, the DTM files' candidates."""
    pool = decided.with_columns(from_file=pl.lit(False))
    if candidates is not None and candidates.height:
        files = known_by(candidates, as_of, dtm_files.TABLE, log, "reference_period_end")
        pool = pl.concat([pool, files], how="diagonal_relaxed")
    best = pick_best(pool, keys, table, log)
    dtm_files.log_conflicts(pool, best, keys, table, log)
    return best.with_columns(
        basis=pl.when(pl.col("from_file"))
        .then(pl.col("basis"))
        .when(pl.col("decision_id").is_not_null())
        .then(pl.lit("decision ") + pl.col("decision_id"))
        .otherwise(pl.lit("fact base: most precise figure known"))
    )


def national_series(
    raw: RawDisplacement,
    as_of: dt.date,
    files: pl.DataFrame,
    log: CleaningLog,
    contradicting: pl.DataFrame,
) -> pl.DataFrame:
    """One row per round known by ``as_of`` (rules 1-5)."""
    no_round = raw.national.filter(pl.col("round").is_null())
    if no_round.height:
        log.add(
            "idps_national",
            "not a DTM round: not in the round series",
            no_round.height,
            "e.g. an IOM situation report",
            no_round["figure_id"].to_list(),
        )
    rounds = raw.national.filter(pl.col("round").is_not_null())
    keys = list(NATIONAL_KEYS)
    decided, rejected = _decided(
        rounds,
        raw,
        as_of,
        keys,
        "idps_national",
        log,
        "reference_period_end",
        round_first_published(raw),
    )
    from_files = dtm_files.file_figures(files, 0, contradicting, rejected, log)
    # Coverage and reference period belong to the round, not to the file: from any fact-base
    # figure of the round (the latest period), else all ten departments if the file has them.
    meta_cols = [
        "round",
        "coverage",
        "departments_covered",
        "reference_period_start",
        "reference_period_end",
    ]
    meta = rounds.sort("reference_period_end", descending=True).unique("round", keep="first")
    everywhere = pl.col("n_departments").fill_null(0) >= DEPARTMENTS
    candidates = dtm_files.as_candidates(
        from_files, meta.select(meta_cols), keys, pl.col("source_file") + "#" + pl.col("round")
    ).with_columns(
        coverage=pl.coalesce("coverage", pl.when(everywhere).then(pl.lit("all_departments"))),
        departments_covered=pl.coalesce(
            "departments_covered", pl.when(everywhere).then(DEPARTMENTS)
        ).cast(pl.Int64),
        sites=pl.lit(None, dtype=pl.Int64),
    )
    best = _pick(decided, candidates, as_of, keys, "idps_national", log)
    # Households and sites: from any report of the round that gives the same count (the API
    # record and IOM's dashboard of R2 agree on 155,166; only the dashboard has households).
    extra = rounds.group_by("round", "value").agg(
        pl.col("households").drop_nulls().first().alias("_hh"),
        pl.col("sites").drop_nulls().first().alias("_sites"),
    )
    best = (
        best.join(extra, on=["round", "value"], how="left")
        .with_columns(
            households=pl.coalesce("households", "_hh"),
            sites=pl.coalesce("sites", "_sites"),
        )
        .drop("_hh", "_sites")
    )
    return _finish_national(best)


def _finish_national(frame: pl.DataFrame) -> pl.DataFrame:
    ordered = frame.sort(round_number())
    # an unstated number of departments is not a change; a different stated number is
    changed = pl.col("coverage").shift(1).ne_missing(pl.col("coverage")) | (
        pl.col("departments_covered").shift(1) != pl.col("departments_covered")
    ).fill_null(False)
    return ordered.with_columns(
        coverage_changed=(pl.int_range(pl.len()) > 0) & changed,
        idps=pl.col("value").cast(pl.Int64),
        idps_low=pl.col("low").cast(pl.Int64),
        idps_high=pl.col("high").cast(pl.Int64),
        idps_as_written=pl.col("value_as_written"),
    )


def department_series(
    raw: RawDisplacement,
    as_of: dt.date,
    files: pl.DataFrame,
    log: CleaningLog,
    contradicting: pl.DataFrame,
) -> pl.DataFrame:
    """Rounds x departments known by ``as_of``; DTM files compete under the same rules."""
    keys = list(DEPARTMENT_KEYS)
    decided, rejected = _decided(
        raw.departments,
        raw,
        as_of,
        keys,
        "idps_departments",
        log,
        "reference_period_end",
        round_first_published(raw),
    )
    from_files = dtm_files.file_figures(files, 1, contradicting, rejected, log).rename(
        {"admin1_pcode": "pcode"}
    )
    names = raw.departments.group_by("pcode").agg(pl.col("department").first())
    meta = (
        raw.departments.sort("reference_period_end", descending=True)
        .unique(keys, keep="first")
        .select(*keys, "reference_period_end")
    )
    candidates = dtm_files.as_candidates(
        from_files.join(names, on="pcode", how="left"),
        meta,
        keys,
        pl.col("source_file") + "#" + pl.col("round") + "/" + pl.col("pcode"),
    ).with_columns(department=pl.coalesce("department", "admin1_name"))
    best = _pick(decided, candidates, as_of, keys, "idps_departments", log)
    return best.with_columns(
        idps=pl.col("value").cast(pl.Int64), idps_as_written=pl.col("value_as_written")
    )


def context_series(raw: RawDisplacement, as_of: dt.date, log: CleaningLog) -> pl.DataFrame:
    """Killings, injuries, food insecurity...: one figure per series, geography and period."""
    keys = list(CONTEXT_KEYS)
    decided, _ = _decided(
        raw.context,
        raw,
        as_of,
        keys,
        "context",
        log,
        None,
        None,
    )
    best = _pick(decided, None, as_of, keys, "context", log)
    return best.with_columns(projected=pl.col("period_end") > pl.col("published"))


def _round_dates(raw: RawDisplacement) -> pl.DataFrame:
    """When each round the fact base knows counts from, for the DTM files' figures of it: its
    first dated publication. A round known only undated has none (its file figures then count
    from the day the file was retrieved)."""
    return round_first_published(raw).select(
        "round", "round_published", round_why=pl.lit("round ") + pl.col("round_dated_by")
    )
