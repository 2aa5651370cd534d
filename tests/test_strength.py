"""The strength model (clean/strength.py): reported counts over arithmetic, rotations replace,
the whole-mission count follows the most recent, most precise information."""

from __future__ import annotations

import datetime as dt

import polars as pl

from haiti_report.clean import strength as s
from haiti_report.clean.strength import Count, Movement, Report
from haiti_report.core.vocab import FigureKind, Qualifier

D = dt.date.fromisoformat
NAMES = {"KEN": "Kenya", "JAM": "Jamaica", "BLZ": "Belize", "CAN": "Canada"}


def move(day: str, iso3: str, kind: str, size: Count | None, fid: str = "") -> Movement:
    return Movement(D(day), iso3, FigureKind(kind), (fid or f"{iso3}-{day}",), ("src",), size)


def report(day: str, iso3: str | None, count: Count, fid: str, parts=()) -> Report:
    return Report(D(day), iso3, fid, "src", count, tuple(parts))


def about(n: int, step: int) -> Count:
    return Count(n, n - step // 2, n + step // 2, Qualifier.ABOUT)


def run(moves, reports, as_of="2026-01-01") -> pl.DataFrame:
    return s.personnel_in_haiti(moves, reports, NAMES, D(as_of))


def value(series: pl.DataFrame, day: str, iso3: str | None = None) -> dict:
    scope = series.filter(pl.col("scope") == ("mission" if iso3 is None else "country"))
    if iso3:
        scope = scope.filter(pl.col("iso3") == iso3)
    return s.on(scope, D(day)).row(0, named=True)


def test_a_reported_count_beats_the_sum_of_arrivals():
    # Kenya: 200 + 200 + 217 + 144 = 761 arrived, but 744 were reported after the last flight.
    moves = [
        move("2024-06-25", "KEN", "arrival", Count.exact(200)),
        move("2024-07-16", "KEN", "arrival", Count.exact(200)),
        move("2025-01-18", "KEN", "arrival", Count.exact(217)),
        move("2025-02-06", "KEN", "arrival", Count.exact(144)),
    ]
    series = run(moves, [report("2025-02-06", "KEN", Count.exact(744), "R744")])
    now = value(series, "2025-03-01", "KEN")
    assert (now["value"], now["basis"], now["anchor_figure_id"]) == (744, "reported", "R744")
    assert value(series, "2025-01-20", "KEN")["value"] == 617  # arithmetic before the report
    assert value(series, "2025-03-01")["value"] == 744  # the whole mission follows


def test_movements_move_a_reported_count_and_say_so():
    moves = [
        move("2024-06-25", "KEN", "arrival", Count.exact(400)),
        move("2024-10-01", "KEN", "arrival", Count.exact(50)),
    ]
    series = run(moves, [report("2024-09-26", "KEN", Count.exact(382), "R382")])
    row = value(series, "2024-10-02", "KEN")
    assert (row["value"], row["basis"], row["anchor_figure_id"]) == (
        432,
        "reported_plus_movements",
        "R382",
    )


def test_a_rotation_replaces_never_adds():
    arrive = move("2025-04-16", "JAM", "arrival", Count.exact(21))
    leave = move("2025-04-16", "JAM", "departure", Count.exact(24))
    series = run([move("2024-09-12", "JAM", "arrival", Count.exact(24)), arrive, leave], [])
    assert value(series, "2025-04-16", "JAM")["value"] == 21
    # End-of-day counts only: the outgoing and incoming teams are never counted together.
    assert series.filter(pl.col("scope") == "mission")["value"].max() == 24
    relief = move("2026-02-14", "JAM", "rotation", None)
    assert (
        value(
            run([move("2024-09-12", "JAM", "arrival", Count.exact(24)), relief], []),
            "2026-03-01",
            "JAM",
        )["value"]
        == 24
    )


def test_handover_departure_days_after_an_arrival_counts_on_the_arrival_day():
    moves = s._handovers(
        [
            move("2025-12-08", "KEN", "arrival", Count.exact(230)),
            move("2025-12-10", "KEN", "departure", Count.exact(230)),
        ],
        _Log(),
    )
    assert {m.day for m in moves} == {D("2025-12-08")}


def test_a_departure_without_a_number_leaves_an_upper_bound():
    moves = [
        move("2024-06-25", "KEN", "arrival", Count.exact(400)),
        move("2026-02-06", "KEN", "departure", None),
    ]
    row = value(run(moves, [], "2026-03-01"), "2026-03-01", "KEN")
    assert (row["value"], row["qualifier"], row["high"]) == (400, "up_to", 400)


def test_a_disputed_movement_is_a_range():
    moves = [
        move("2024-06-25", "KEN", "arrival", Count.exact(735)),
        move("2025-12-08", "KEN", "departure", Count(None, 100, 230, Qualifier.RANGE)),
    ]
    row = value(run(moves, []), "2025-12-09", "KEN")
    assert (row["value"], row["low"], row["high"], row["qualifier"]) == (None, 505, 635, "range")


def test_a_rounder_consistent_report_does_not_replace_a_precise_count():
    moves = [move("2024-06-25", "KEN", "arrival", Count.exact(382))]
    series = run(moves, [report("2024-10-11", "KEN", about(400, 100), "NEARLY400")])
    row = value(series, "2024-10-12", "KEN")
    assert (row["value"], row["qualifier"], row["basis"]) == (382, "exact", "movements")


def test_a_rounded_report_that_contradicts_the_count_sets_it():
    moves = [move("2024-06-25", "KEN", "arrival", Count.exact(613))]
    row = value(
        run(moves, [report("2025-02-04", "KEN", about(700, 100), "A700")]), "2025-02-05", "KEN"
    )
    assert (row["value"], row["qualifier"], row["low"], row["high"]) == (700, "about", 650, 750)


def test_a_full_breakdown_sets_every_country_and_zeroes_the_unlisted():
    moves = [
        move("2024-06-25", "KEN", "arrival", Count.exact(761)),
        move("2024-09-12", "BLZ", "arrival", Count.exact(2)),
        move("2024-09-12", "JAM", "arrival", Count.exact(24)),
    ]
    parts = [
        report("2025-09-22", "KEN", Count.exact(735), "P-KEN"),
        report("2025-09-22", "JAM", Count.exact(23), "P-JAM"),
        report("2025-09-22", "CAN", Count.exact(1), "P-CAN"),
    ]
    total = report("2025-09-22", None, Count.exact(759), "TOTAL", parts)
    series = run(moves, [total])
    assert value(series, "2025-09-23", "BLZ")["value"] == 0
    assert value(series, "2025-09-23", "CAN")["value"] == 1
    mission = value(series, "2025-09-23")
    assert (mission["value"], mission["anchor_figure_id"]) == (759, "TOTAL")  # the reported total


def test_the_mission_total_reported_beats_the_sum_and_moves_with_movements():
    moves = [
        move("2024-06-25", "KEN", "arrival", Count.exact(740)),
        move("2025-06-01", "JAM", "arrival", Count.exact(250)),
        move("2025-12-08", "KEN", "arrival", Count.exact(230)),
        move("2025-12-08", "KEN", "departure", Count(None, 100, 230, Qualifier.RANGE)),
        move("2026-02-06", "KEN", "departure", None),
    ]
    reports = [
        report("2025-12-08", None, Count.exact(980), "FORCE980"),
        report("2025-12-10", "KEN", about(700, 100), "K700"),
    ]
    series = run(moves, reports, "2026-03-21")
    assert value(series, "2025-12-08")["value"] == 980
    # A rounder country count does not re-base the exact mission total...
    assert value(series, "2025-12-11")["value"] == 980
    # ...and a departure of unknown size leaves "up to 980".
    now = value(series, "2026-03-21")
    assert (now["value"], now["qualifier"], now["anchor_figure_id"]) == (980, "up_to", "FORCE980")


def test_an_exact_country_report_rebases_the_mission_to_the_sum():
    moves = [
        move("2024-06-25", "KEN", "arrival", Count.exact(400)),
        move("2024-09-12", "JAM", "arrival", Count.exact(26)),
    ]
    reports = [
        report("2024-09-12", None, Count.exact(426), "T426"),
        report("2024-09-26", "KEN", Count.exact(382), "K382"),
    ]
    mission = value(run(moves, reports), "2024-09-27")
    assert (mission["value"], mission["basis"]) == (408, "sum_of_countries")


def test_the_as_of_date_cuts_the_walk():
    moves = [
        move("2024-06-25", "KEN", "arrival", Count.exact(200)),
        move("2024-07-16", "KEN", "arrival", Count.exact(200)),
    ]
    series = run(moves, [], "2024-07-01")
    assert series["date"].max() == D("2024-07-01")
    assert value(series, "2024-07-01", "KEN")["value"] == 200


class _Log:
    def add(self, *args, **kwargs) -> None:
        pass
