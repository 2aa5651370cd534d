"""Schemas of the processed tables (data/processed/), checked whenever a table is written.

Each class is the data dictionary of one CSV file: its columns, types and rules. The rules are
the ones a reporter would state ("nobody can have deployed a negative number of people"); rows
that break one are quarantined and counted in the cleaning log (see tables.write_table).
"""

from __future__ import annotations

import dataframely as dy
import polars as pl

from haiti_report.core.vocab import (
    Basis,
    CheckVerdict,
    ClaimVerdict,
    Confidence,
    FigureKind,
    FigureStatus,
    Mission,
    PledgeStatus,
    Precision,
    Qualifier,
    values,
)

QUALIFIERS = values(Qualifier)
CONFIDENCE = values(Confidence)


# --- Pledges, deployments, money (notebook 10_clean_mss) -------------------------------------


class Figures(dy.Schema):
    """Every raw figure, parsed, with what the as-of date and the decisions made of it."""

    figure_id = dy.String(
        primary_key=True, description="id of the figure in data/raw/mss/figures.csv"
    )
    kind = dy.Enum(values(FigureKind), description="what the figure reports")
    measure = dy.String(
        description="what exactly is measured (e.g. in_country, trust_fund_received)"
    )
    country = dy.String(nullable=True, description="country or scope as the source wrote it")
    iso3 = dy.String(
        nullable=True, regex=r"^[A-Z]{3}(; [A-Z]{3})*$", description="ISO 3166 alpha-3 code(s)"
    )
    event_date = dy.String(
        nullable=True, description="date of the event as written: YYYY, YYYY-MM or YYYY-MM-DD"
    )
    mission = dy.Enum(
        values(Mission),
        nullable=True,
        description="the mission the figure concerns, where recorded",
    )
    pledge_status = dy.Enum(
        values(PledgeStatus),
        nullable=True,
        description="for pledges: made, confirmed, on hold or withdrawn",
    )
    part_of = dy.String(
        nullable=True, description="for a country's count: the reported mission total it is part of"
    )
    event = dy.String(
        nullable=True, description="label grouping reports of one movement made on different days"
    )
    value = dy.Float64(nullable=True, description="the number the source gave")
    low = dy.Float64(
        nullable=True, description="lowest number consistent with the source's wording"
    )
    high = dy.Float64(
        nullable=True,
        description="highest number consistent with the source's wording (empty: open)",
    )
    qualifier = dy.Enum(
        QUALIFIERS, nullable=True, description="how the source qualified its number"
    )
    unit = dy.String(nullable=True, description="people, usd, cad, eur, percent or countries")
    value_as_written = dy.String(nullable=True, description="the figure as the source wrote it")
    source_id = dy.String(description="id(s) in sources.csv")
    published = dy.Date(nullable=True, description="the last day of the source's publication date")
    published_precision = dy.Enum(
        values(Precision),
        nullable=True,
        description="whether the source is dated to the day, month or year",
    )
    confidence = dy.Enum(
        CONFIDENCE, description="how far the source can be trusted for this figure"
    )
    status = dy.Enum(values(FigureStatus), description="used, or why not on the as-of date")
    decision_id = dy.String(nullable=True, description="the decision that set the figure aside")

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


class PersonnelInHaiti(dy.Schema):
    """Personnel in Haiti by country and for the whole mission, on each day the count changed
    (the strength model: haiti_report.clean.strength). The count on any day is the last row on
    or before it."""

    date = dy.Date(description="day the count took this value (end of day)")
    scope = dy.Enum(["country", "mission"], description="a country, or the whole mission")
    iso3 = dy.String(
        nullable=True,
        regex=r"^[A-Z]{3}$",
        description="country code; empty for the whole mission",
    )
    name = dy.String(description="country name, or Whole mission")
    value = dy.Int64(
        nullable=True, min=0, description="personnel in Haiti; empty when only a range is known"
    )
    low = dy.Int64(min=0, description="lowest count consistent with what was reported")
    high = dy.Int64(
        nullable=True,
        min=0,
        description="highest count consistent with what was reported (empty: open)",
    )
    qualifier = dy.Enum(QUALIFIERS, description="exact, about, up to, at least, or a range")
    basis = dy.Enum(values(Basis), description="what the count rests on")
    anchor_figure_id = dy.String(
        nullable=True, description="the reported figure the count was last set by"
    )
    anchor_date = dy.Date(
        nullable=True, description="the day of that report (or of the sum of the countries)"
    )
    source_ids = dy.String(
        nullable=True, description="sources behind the count since it was last set"
    )

    @dy.rule()
    def one_row_per_scope_and_day(cls) -> pl.Expr:
        return pl.len().over("date", "scope", "name") == 1

    @dy.rule()
    def bounds_hold(cls) -> pl.Expr:
        return (pl.col("value").is_null() | (pl.col("low") <= pl.col("value"))) & (
            pl.col("high").is_null()
            | pl.col("value").is_null()
            | (pl.col("value") <= pl.col("high"))
        )


class Movements(dy.Schema):
    """Arrivals, departures and rotations as counted: one row per movement."""

    date = dy.Date(description="day counted (a handover departure is counted on the arrival's day)")
    iso3 = dy.String(regex=r"^[A-Z]{3}$")
    country = dy.String()
    kind = dy.Enum(["arrival", "departure", "rotation"])
    size = dy.Int64(nullable=True, min=0, description="people; empty when not reported or disputed")
    size_low = dy.Int64(
        nullable=True, min=0, description="lowest size reported (disputed movements)"
    )
    size_high = dy.Int64(nullable=True, min=0, description="highest size reported")
    qualifier = dy.Enum(QUALIFIERS, nullable=True)
    figure_ids = dy.String(description="every report of this movement")
    source_ids = dy.String()


class StrengthCheck(dy.Schema):
    """Every reported strength figure beside the count on its day: what became of it."""

    figure_id = dy.String(primary_key=True)
    date = dy.Date(description="day of the report (last day of its month when dated to a month)")
    event_date = dy.String(description="date as written")
    scope = dy.Enum(["country", "mission"])
    iso3 = dy.String(nullable=True)
    reported = dy.Int64(min=0, description="the number reported")
    reported_as_written = dy.String()
    qualifier = dy.Enum(QUALIFIERS)
    count_value = dy.Int64(nullable=True, min=0, description="our count on that day")
    count_low = dy.Int64(nullable=True, min=0)
    count_high = dy.Int64(nullable=True, min=0)
    count_qualifier = dy.Enum(QUALIFIERS, nullable=True)
    verdict = dy.Enum(
        values(CheckVerdict),
        description="set the count, agrees, differs, bound holds or broken, not used",
    )
    reason = dy.String(nullable=True, description="why, in words")
    confidence = dy.Enum(CONFIDENCE)
    source_id = dy.String()


class Pledges(dy.Schema):
    """Each country's pledge of personnel to each mission, with its status on the as-of date."""

    mission = dy.Enum(values(Mission), primary_key=True)
    iso3 = dy.String(primary_key=True, regex=r"^[A-Z]{3}$")
    country = dy.String()
    pledged = dy.Int64(
        nullable=True, min=0, description="personnel pledged; empty: pledged without a number"
    )
    pledged_low = dy.Int64(nullable=True, min=0)
    pledged_high = dy.Int64(nullable=True, min=0)
    pledged_qualifier = dy.Enum(QUALIFIERS, nullable=True)
    pledged_as_written = dy.String(nullable=True)
    pledge_date = dy.String(nullable=True, description="date of the pledge as written")
    status = dy.Enum(
        values(PledgeStatus), description="made, confirmed, on hold, withdrawn or lapsed"
    )
    status_date = dy.String(nullable=True, description="since when")
    counted = dy.Bool(description="counted in the mission's pledged total on the as-of date")
    counted_until_lapse = dy.Bool(description="counted before the mission it was made to ended")
    not_counted_because = dy.String(nullable=True)
    confidence = dy.Enum(CONFIDENCE)
    figure_ids = dy.String()
    source_ids = dy.String()


class PledgeAggregates(dy.Schema):
    """Pledge totals as sources published them (to set beside the project's own sum)."""

    figure_id = dy.String(primary_key=True)
    date = dy.Date()
    mission = dy.Enum(values(Mission))
    measure = dy.Enum(["aggregate_personnel", "aggregate_contributors"])
    value = dy.Int64(min=0)
    qualifier = dy.Enum(QUALIFIERS)
    value_as_written = dy.String()
    description = dy.String(nullable=True)
    confidence = dy.Enum(CONFIDENCE)
    source_id = dy.String()


class PledgedVsDeployed(dy.Schema):
    """One row per country that pledged or deployed: its pledge to the mission of the as-of
    date, its MSS pledge, and its personnel in Haiti (from personnel_in_haiti)."""

    iso3 = dy.String(primary_key=True, regex=r"^[A-Z]{3}$")
    country = dy.String()
    mission = dy.Enum(values(Mission), description="the mission of the as-of date")
    pledged = dy.Int64(
        nullable=True, min=0, description="pledge to that mission; empty: none or no number"
    )
    pledged_high = dy.Int64(nullable=True, min=0)
    pledged_qualifier = dy.Enum(QUALIFIERS, nullable=True)
    pledged_as_written = dy.String(nullable=True)
    pledge_date = dy.String(nullable=True)
    status = dy.Enum(
        values(PledgeStatus), nullable=True, description="empty: no pledge to that mission"
    )
    counted = dy.Bool()
    counted_until_lapse = dy.Bool(nullable=True)
    not_counted_because = dy.String(nullable=True)
    source_ids = dy.String(nullable=True)
    mss_pledged = dy.Int64(nullable=True, min=0, description="pledge to the MSS")
    mss_pledged_high = dy.Int64(nullable=True, min=0)
    mss_pledged_qualifier = dy.Enum(QUALIFIERS, nullable=True)
    mss_pledged_as_written = dy.String(nullable=True)
    mss_pledge_date = dy.String(nullable=True)
    mss_status = dy.Enum(values(PledgeStatus), nullable=True)
    mss_counted = dy.Bool(nullable=True)
    mss_counted_until_lapse = dy.Bool(nullable=True)
    mss_not_counted_because = dy.String(nullable=True)
    mss_source_ids = dy.String(nullable=True)
    in_haiti = dy.Int64(nullable=True, min=0, description="personnel in Haiti on the as-of date")
    in_haiti_low = dy.Int64(nullable=True, min=0)
    in_haiti_high = dy.Int64(nullable=True, min=0)
    in_haiti_qualifier = dy.Enum(QUALIFIERS, nullable=True)
    in_haiti_basis = dy.Enum(values(Basis), nullable=True)
    in_haiti_since = dy.Date(nullable=True, description="day the count last changed")
    in_haiti_source_ids = dy.String(nullable=True, description="sources behind the count")
    peak = dy.Int64(nullable=True, min=0, description="largest count on any day")
    peak_date = dy.Date(nullable=True)
    first_arrival = dy.Date(nullable=True)


class Mandates(dy.Schema):
    figure_id = dy.String(primary_key=True)
    date = dy.Date()
    measure = dy.String(
        description="authorisation, planning_figure, ceiling, mss_end, schedule, ..."
    )
    label = dy.String()
    value = dy.Int64(nullable=True, min=0)
    value_as_written = dy.String(nullable=True)
    source_id = dy.String()


class Money(dy.Schema):
    figure_id = dy.String(primary_key=True)
    date = dy.Date(description="last day of the period the figure is dated to")
    date_as_written = dy.String()
    order_date = dy.Date(
        description="for 'the latest': a month-dated figure counts from the start of its month"
    )
    measure = dy.String()
    trust_fund_total = dy.Bool(description="a total of the UN trust fund (pledged or received)")
    donor = dy.String()
    currency = dy.Enum(["usd", "cad", "eur", "percent"])
    value = dy.Float64(min=0)
    low = dy.Float64(nullable=True)
    high = dy.Float64(nullable=True)
    qualifier = dy.Enum(QUALIFIERS)
    value_as_written = dy.String()
    source_id = dy.String()


class Decisions(dy.Schema):
    """decisions.csv as the as-of date saw it."""

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
    applies = dy.Bool(
        description="False while none of the chosen figures was published by the as-of date"
    )


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
    reference_period_end = dy.Date(
        nullable=True,
        description="last day of the period IOM says it counted; empty when IOM gave none",
    )
    api_reporting_date = dy.Date(
        nullable=True,
        description="the DTM API's month-end reporting stamp (not the period, not the publication)",
    )
    published = dy.Date(description="the day the figure counts from (see dated_by and methodology)")
    dated_by = dy.String(
        description="'published', 'round <figure_id>', 'sources.csv' or a DTM file date"
    )
    coverage = dy.Enum(COVERAGES, nullable=True)
    departments_covered = dy.Int64(nullable=True, min=1, max=10)
    coverage_changed = dy.Bool(
        description="differs from the previous round: growth may be wider coverage"
    )
    idps = dy.Int64(min=0)
    idps_low = dy.Int64(
        nullable=True, min=0, description="bounds implied by the qualifier (values.py)"
    )
    idps_high = dy.Int64(nullable=True, min=0)
    qualifier = dy.Enum(QUALIFIERS)
    precision = dy.Int64(nullable=True, min=1, description="1 for 1,041,229; 1,000 for '1,041,000'")
    idps_as_written = dy.String()
    households = dy.Int64(nullable=True, min=0)
    sites = dy.Int64(nullable=True, min=0)
    basis = dy.String(description="fact base, 'decision <id>' or 'DTM file <name>'")
    figure_id = dy.String(description="'<file>#<round>' for a row taken from a DTM file")
    source_id = dy.String(nullable=True, description="null for a row taken from a DTM file")
    decision_id = dy.String(nullable=True)

    @dy.rule()
    def bounds_hold(cls) -> pl.Expr:
        return _idps_within_bounds()


class IdpsDepartments(dy.Schema):
    """Internally displaced people per round and department (P-codes HT01..HT10) at as_of."""

    round = dy.String(primary_key=True, regex=ROUND_PATTERN)
    pcode = dy.String(primary_key=True, regex=r"^HT\d{2}$")
    department = dy.String()
    reference_period_start = dy.Date(nullable=True)
    reference_period_end = dy.Date(nullable=True)
    api_reporting_date = dy.Date(
        nullable=True, description="the DTM API's month-end reporting stamp"
    )
    published = dy.Date()
    dated_by = dy.String()
    idps = dy.Int64(min=0)
    qualifier = dy.Enum(QUALIFIERS)
    idps_as_written = dy.String()
    basis = dy.String()
    figure_id = dy.String()
    source_id = dy.String(nullable=True, description="null for a row taken from a DTM file")
    decision_id = dy.String(nullable=True)


class Context(dy.Schema):
    """Killings, injuries, food insecurity...: one figure per series, geography and period."""

    figure_id = dy.String(primary_key=True)
    series = dy.String()
    geography = dy.String()
    period_start = dy.Date(nullable=True)
    period_end = dy.Date()
    published = dy.Date()
    projected = dy.Bool(description="the period ends after publication (e.g. an IPC projection)")
    value = dy.Float64(
        min=0, description="a float because some figures are percentages (value_unit)"
    )
    low = dy.Float64(nullable=True, min=0)
    high = dy.Float64(nullable=True, min=0)
    qualifier = dy.Enum(QUALIFIERS)
    value_as_written = dy.String()
    value_unit = dy.Enum(["people", "percent"])
    unit = dy.String(description="what is counted, as the raw file says ('people killed')")
    source_id = dy.String()
    confidence = dy.Enum(["high", "medium", "low"])
    decision_id = dy.String(nullable=True)

    @dy.rule()
    def bounds_hold(cls) -> pl.Expr:
        return (pl.col("low").is_null() | (pl.col("low") <= pl.col("value"))) & (
            pl.col("high").is_null() | (pl.col("value") <= pl.col("high"))
        )


# --- Claims (notebook 12_check_claims) ---------------------------------------------------------


class ClaimsChecked(dy.Schema):
    """Each public claim made by the as-of date, set against the data of its day
    (haiti_report.clean.claims)."""

    claim_id = dy.String(primary_key=True)
    claim_date = dy.String(description="the claim's date as written")
    claim_day = dy.Date(description="last day of the claim's date")
    known_on = dy.Date(description="the data is taken as published by this day")
    claimant = dy.String()
    claim_text = dy.String()
    metric = dy.String(description="what the claim is about (see clean/claims.py)")
    unit = dy.Enum(["people", "usd", "percent"])
    claimed_as_written = dy.String()
    claimed_value = dy.Float64(min=0)
    claimed_qualifier = dy.Enum(QUALIFIERS)
    data_value = dy.Float64(nullable=True, min=0, description="the data's figure for that day")
    data_low = dy.Float64(nullable=True, min=0)
    data_high = dy.Float64(nullable=True, min=0)
    data_date = dy.Date(nullable=True, description="the day of the data's figure")
    verdict = dy.Enum(values(ClaimVerdict))
    difference = dy.Float64(nullable=True, description="claimed minus data")
    difference_pct = dy.Float64(nullable=True, min=0)
    later_value = dy.Float64(
        nullable=True, description="the figure published soon after that matched"
    )
    later_date = dy.Date(nullable=True)
    later_days = dy.Int64(nullable=True, min=0, description="days from the claim to that figure")
    later_source_ids = dy.String(nullable=True)
    reason = dy.String(nullable=True, description="why the claim could not be checked")
    claim_source_id = dy.String()
    data_source_ids = dy.String(nullable=True)
