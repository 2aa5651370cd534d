"""Schemas of the processed tables (data/processed/), checked whenever a table is written.

Each class is the data dictionary of one CSV file: its columns, types and rules. The rules are
the ones a reporter would state ("nobody can have deployed a negative number of people"); rows
that break one are quarantined and counted in the cleaning log (see tables.write_table).
"""

from __future__ import annotations

import dataframely as dy
import polars as pl

QUALIFIERS = ["exact", "about", "nearly", "at_least", "more_than", "up_to", "less_than", "range"]


# --- Pledges, deployments, money (notebook 10_clean_mss) -------------------------------------


class Figures(dy.Schema):
    """Every raw figure, parsed, with what the as-of date and the decisions made of it."""

    figure_id = dy.String(primary_key=True)
    kind = dy.Enum(["pledge", "arrival", "departure", "strength", "mandate", "money"])
    measure = dy.String()
    country = dy.String(nullable=True)  # as the source wrote it
    iso3 = dy.String(nullable=True, regex=r"^[A-Z]{3}(; [A-Z]{3})*$")
    event_date = dy.String(nullable=True)  # as written: YYYY, YYYY-MM or YYYY-MM-DD
    value = dy.Float64(nullable=True)
    low = dy.Float64(nullable=True)
    high = dy.Float64(nullable=True)
    qualifier = dy.Enum(QUALIFIERS, nullable=True)
    unit = dy.String(nullable=True)
    value_as_written = dy.String(nullable=True)
    source_id = dy.String()
    published = dy.Date(nullable=True)  # the last day of the source's publication span
    confidence = dy.Enum(["high", "medium", "low"])
    status = dy.Enum(["used", "set_aside", "not_yet_published", "after_as_of", "undated"])
    decision_id = dy.String(nullable=True)

    @dy.rule()
    def bounds_hold(cls) -> pl.Expr:
        return (
            pl.col("low").is_null() | pl.col("value").is_null() | (pl.col("low") <= pl.col("value"))
        ) & (
            pl.col("high").is_null()
            | pl.col("value").is_null()
            | (pl.col("value") <= pl.col("high"))
        )

    @dy.rule()
    def people_are_whole(cls) -> pl.Expr:
        return (pl.col("unit") != "people") | pl.col("value").is_null() | (pl.col("value") % 1 == 0)


class PledgedVsDeployed(dy.Schema):
    """One row per country that pledged or deployed: best pledge and personnel in Haiti."""

    iso3 = dy.String(primary_key=True, regex=r"^[A-Z]{3}$")
    country = dy.String()
    pledged = dy.Int64(nullable=True, min=0)  # null: pledged without a number ("unspecified")
    pledged_low = dy.Int64(nullable=True, min=0)
    pledged_high = dy.Int64(nullable=True, min=0)
    pledged_qualifier = dy.Enum(QUALIFIERS, nullable=True)
    pledged_as_written = dy.String(nullable=True)
    pledge_date = dy.String(nullable=True)
    pledge_figure_ids = dy.String(nullable=True)
    pledge_confidence = dy.Enum(["high", "medium", "low"], nullable=True)
    counted_in_total = dy.Bool()  # single low-confidence pledges are listed, not summed
    deployed = dy.Int64(min=0)  # in Haiti on as_of
    deployed_peak = dy.Int64(min=0)
    first_arrival = dy.Date(nullable=True)
    deployment_figure_ids = dy.String(nullable=True)
    source_ids = dy.String()


class PersonnelTimeline(dy.Schema):
    """Arrivals and departures by country, with the running count in Haiti after each."""

    date = dy.Date(primary_key=True)
    iso3 = dy.String(primary_key=True, regex=r"^[A-Z]{3}$")
    figure_id = dy.String(primary_key=True)
    country = dy.String()
    # departure_unknown: reported without a number; reported_count: re-anchored to a count
    event = dy.Enum(["arrival", "departure", "departure_unknown", "reported_count"])
    change = dy.Int64()
    in_haiti = dy.Int64(min=0)
    uncertain = dy.Bool()  # True while a departure without a number is unsettled
    source_id = dy.String()


class StrengthCheck(dy.Schema):
    """Reported strength snapshots beside the strength computed from arrivals and departures."""

    figure_id = dy.String(primary_key=True)
    date = dy.Date()
    scope = dy.String()  # a country name or "Whole mission"
    iso3 = dy.String(nullable=True)
    reported = dy.Int64(min=0)
    reported_as_written = dy.String()
    computed = dy.Int64(min=0)
    difference = dy.Int64()
    difference_pct = dy.Float64(nullable=True)
    over_10_pct = dy.Bool()
    explanation = dy.String(nullable=True)
    source_id = dy.String()


class Mandates(dy.Schema):
    figure_id = dy.String(primary_key=True)
    date = dy.Date()
    measure = dy.String()
    label = dy.String()
    value = dy.Int64(nullable=True, min=0)
    value_as_written = dy.String(nullable=True)
    source_id = dy.String()


class Money(dy.Schema):
    figure_id = dy.String(primary_key=True)
    date = dy.Date()
    measure = dy.String()
    donor = dy.String()
    currency = dy.Enum(["usd", "cad", "eur", "percent"])
    value = dy.Float64(min=0)
    low = dy.Float64(nullable=True)
    high = dy.Float64(nullable=True)
    qualifier = dy.Enum(QUALIFIERS)
    value_as_written = dy.String()
    source_id = dy.String()


class Decisions(dy.Schema):
    """The choices between conflicting reports, and whether each applied at as_of."""

    decision_id = dy.String(primary_key=True)
    decided = dy.String()
    topic = dy.String()
    kind = dy.String()
    country = dy.String(nullable=True)
    event_date = dy.String(nullable=True)
    chosen = dy.String()
    rejected = dy.String(nullable=True)
    rule = dy.String()
    reasoning = dy.String()
    applies = dy.Bool()  # False while the chosen figure was not yet published at as_of


# --- Displacement (notebook 11_clean_displacement) --------------------------------------------

COVERAGES = [
    "capital_only",
    "capital_and_grand_sud",
    "three_departments",
    "seven_departments",
    "all_departments",
]
ROUND_PATTERN = r"^R\d+(\.\d+)?$"  # R1 ... R11, R5.1


def _idps_within_bounds() -> pl.Expr:
    return (pl.col("idps_low").is_null() | (pl.col("idps_low") <= pl.col("idps"))) & (
        pl.col("idps_high").is_null() | (pl.col("idps") <= pl.col("idps_high"))
    )


class IdpsNational(dy.Schema):
    """The national count of internally displaced people per IOM DTM round, as known at as_of.

    One row per round; the rules (as-of, dating of undated IOM figures, precedence of dropped-in
    DTM files) are in the docstring of haiti_report.clean.displacement."""

    round = dy.String(primary_key=True, regex=ROUND_PATTERN)
    reference_period_start = dy.Date(nullable=True)
    reference_period_end = dy.Date()  # last day of the period counted (of the month if partial)
    published = dy.Date()  # the day the figure counts from (see dated_by and methodology)
    dated_by = dy.String()  # "published", "round <figure_id>", "sources.csv" or a DTM file date
    coverage = dy.Enum(COVERAGES, nullable=True)
    departments_covered = dy.Int64(nullable=True, min=1, max=10)
    coverage_changed = dy.Bool()  # differs from the previous round: growth may be wider coverage
    idps = dy.Int64(min=0)
    idps_low = dy.Int64(nullable=True, min=0)  # bounds implied by the qualifier (values.py)
    idps_high = dy.Int64(nullable=True, min=0)
    qualifier = dy.Enum(QUALIFIERS)
    precision = dy.Int64(nullable=True, min=1)  # 1 for 1,041,229; 1,000 for "1,041,000"
    idps_as_written = dy.String()
    households = dy.Int64(nullable=True, min=0)
    sites = dy.Int64(nullable=True, min=0)
    basis = dy.String()  # fact base, "decision <id>" or "DTM file <name>"
    figure_id = dy.String()  # "<file>#<round>" for a row taken from a DTM file
    source_id = dy.String(nullable=True)  # null for a row taken from a DTM file
    decision_id = dy.String(nullable=True)

    @dy.rule()
    def bounds_hold(cls) -> pl.Expr:
        return _idps_within_bounds()


class IdpsDepartments(dy.Schema):
    """Internally displaced people per round and department (P-codes HT01..HT10) at as_of."""

    round = dy.String(primary_key=True, regex=ROUND_PATTERN)
    pcode = dy.String(primary_key=True, regex=r"^HT\d{2}$")
    department = dy.String()
    reference_period_end = dy.Date()
    published = dy.Date()
    dated_by = dy.String()
    idps = dy.Int64(min=0)
    qualifier = dy.Enum(QUALIFIERS)
    idps_as_written = dy.String()
    basis = dy.String()
    figure_id = dy.String()
    source_id = dy.String(nullable=True)  # null for a row taken from a DTM file
    decision_id = dy.String(nullable=True)


class Context(dy.Schema):
    """Killings, injuries, food insecurity...: one figure per series, geography and period."""

    figure_id = dy.String(primary_key=True)
    series = dy.String()
    geography = dy.String()
    period_start = dy.Date(nullable=True)
    period_end = dy.Date()
    published = dy.Date()
    projected = dy.Bool()  # the period ends after publication (e.g. an IPC projection)
    value = dy.Float64(min=0)  # a float because some figures are percentages (value_unit)
    low = dy.Float64(nullable=True, min=0)
    high = dy.Float64(nullable=True, min=0)
    qualifier = dy.Enum(QUALIFIERS)
    value_as_written = dy.String()
    value_unit = dy.Enum(["people", "percent"])
    unit = dy.String()  # what is counted, as the raw file says ("people killed")
    source_id = dy.String()
    confidence = dy.Enum(["high", "medium", "low"])
    decision_id = dy.String(nullable=True)

    @dy.rule()
    def bounds_hold(cls) -> pl.Expr:
        return (pl.col("low").is_null() | (pl.col("low") <= pl.col("value"))) & (
            pl.col("high").is_null() | (pl.col("value") <= pl.col("high"))
        )
