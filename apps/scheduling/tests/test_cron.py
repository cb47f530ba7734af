"""Cron expressions: five fields only, clear errors, UTC occurrences, Debian-cron DST behaviour.

London 2026: the clocks go forward on Sunday 29 March at 01:00 GMT (01:00-02:00 local
does not exist) and back on Sunday 25 October at 02:00 BST (01:00-02:00 local happens
twice, first at UTC+1, then at UTC+0).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.scheduling import cron
from apps.scheduling.errors import ScheduleError


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def error_of(expr: str) -> ScheduleError:
    with pytest.raises(ScheduleError) as caught:
        cron.validate_cron(expr)
    return caught.value


# --- validation -----------------------------------------------------------------------------


def test_five_fields_are_normalised() -> None:
    assert cron.validate_cron("  0   */2 * *  MON-FRI ") == "0 */2 * * MON-FRI"
    assert cron.validate_cron("30 1 * * *") == "30 1 * * *"
    assert cron.validate_cron("0 0 L * *") == "0 0 L * *"
    assert cron.validate_cron("0 9 * 2 mon#5") == "0 9 * 2 mon#5"


@pytest.mark.parametrize(
    ("expr", "count", "tail"),
    [
        ("0 0 * * * *", 6, " (a seconds field is not supported)"),
        ("0 0 12 * * ? 2030", 7, " (seconds and year fields are not supported)"),
        ("0 0 * *", 4, ""),
        ("@daily", 1, ""),
        ("0 0 1 1 * 2030 1 2", 8, ""),
    ],
)
def test_anything_but_five_fields_is_refused_naming_the_count(expr: str, count: int, tail: str) -> None:
    error = error_of(expr)
    assert error.code == "cron_invalid"
    assert str(error) == (
        f"A cron expression has 5 fields (minute hour day-of-month month day-of-week); this one has {count}{tail}."
    )
    assert error.details == {"field": "cron", "fields": count}


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("61 * * * *", "Bad minute"),
        ("0 24 * * *", "Bad hour"),
        ("0 0 32 * *", "Bad day-of-month"),
        ("0 0 0 * *", "Bad day-of-month"),
        ("0 0 * 13 *", "Bad month"),
        ("0 0 * * 8", "Bad day-of-week"),
        ("*/0 * * * *", "Bad minute"),
        ("0 5-1 * * *", "Bad hour"),
        ("a b c d e", "Bad minute"),
    ],
)
def test_bad_values_carry_cronsims_reason(expr: str, reason: str) -> None:
    error = error_of(expr)
    assert (error.code, str(error)) == ("cron_invalid", f"Invalid cron expression {expr!r}: {reason}.")
    assert error.details == {"field": "cron", "reason": reason}


@pytest.mark.parametrize("expr", ["0 0 30 2 *", "0 0 31 2 *", "0 0 31 4,6,9,11 *", "15 10 30-31 2 *"])
def test_a_day_no_month_has_never_fires(expr: str) -> None:
    error = error_of(expr)
    assert error.code == "cron_never_fires"
    assert str(error) == f"The cron expression {expr!r} never fires: no month has that day."
    assert error.details == {"field": "cron", "reason": "Bad day-of-month"}


def test_day_of_month_or_day_of_week_is_not_never() -> None:
    # Both fields restricted: Debian cron fires on either, so every Monday of February.
    assert cron.validate_cron("0 0 30 2 MON") == "0 0 30 2 MON"
    assert cron.next_occurrences("0 0 30 2 MON", "UTC", utc(2026, 1, 1), 2) == [utc(2026, 2, 2), utc(2026, 2, 9)]


def test_empty_and_overlong_expressions_are_invalid() -> None:
    assert error_of("   ").code == "cron_invalid"
    long = "0 0 " + ",".join(["1"] * 60) + " * *"
    error = error_of(long)
    assert (error.code, str(error)) == ("cron_invalid", "The cron expression is longer than 120 characters.")


# --- occurrences ----------------------------------------------------------------------------


def test_occurrences_are_utc_and_the_window_is_half_open() -> None:
    # 09:00 in Dubai (UTC+4, no DST) is 05:00 UTC.
    found = cron.occurrences("0 9 * * *", "Asia/Dubai", utc(2026, 3, 4, 5), utc(2026, 3, 6, 5))
    assert found == [utc(2026, 3, 4, 5), utc(2026, 3, 5, 5)]
    assert all(at.tzinfo is UTC for at in found)
    # A start a fraction of a second after an occurrence excludes it.
    later = utc(2026, 3, 4, 5) + timedelta(microseconds=1)
    assert cron.occurrences("0 9 * * *", "Asia/Dubai", later, utc(2026, 3, 6, 5, 1)) == [
        utc(2026, 3, 5, 5),
        utc(2026, 3, 6, 5),
    ]
    assert cron.occurrences("0 9 * * *", "Asia/Dubai", utc(2026, 3, 6), utc(2026, 3, 5)) == []


def test_start_in_another_zone_gives_the_same_instants() -> None:
    from zoneinfo import ZoneInfo

    start = datetime(2026, 3, 4, 9, 0, tzinfo=ZoneInfo("Asia/Dubai"))
    assert cron.occurrences("0 */6 * * *", "UTC", start, start + timedelta(hours=12)) == [
        utc(2026, 3, 4, 6),
        utc(2026, 3, 4, 12),
    ]


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        cron.occurrences("0 * * * *", "UTC", datetime(2026, 1, 1), utc(2026, 1, 2))


def test_spring_forward_fixed_time_fires_once_when_the_clock_has_moved() -> None:
    # 01:30 does not exist on 29 March: the job runs once, at 02:00 BST (01:00 UTC).
    found = cron.occurrences("30 1 * * *", "Europe/London", utc(2026, 3, 28), utc(2026, 3, 31))
    assert found == [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)]


def test_spring_forward_interval_job_skips_the_missing_hour() -> None:
    found = cron.occurrences("*/30 * * * *", "Europe/London", utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 2, 0))
    # 00:00, 00:30 GMT; then 02:00, 02:30 BST (01:00, 01:30 UTC): real time, every 30 minutes.
    assert found == [utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 1, 30)]


def test_fall_back_fixed_time_fires_once() -> None:
    # 01:30 happens twice on 25 October; the job runs the first time only (00:30 UTC).
    found = cron.occurrences("30 1 * * *", "Europe/London", utc(2026, 10, 24), utc(2026, 10, 27))
    assert found == [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]


def test_fall_back_interval_job_fires_in_both_passes_of_the_hour() -> None:
    found = cron.occurrences("*/30 * * * *", "Europe/London", utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 2, 0))
    # 00:30 BST, 01:00 BST, 01:30 BST, 01:00 GMT, 01:30 GMT: both 01:00s.
    assert found == [
        utc(2026, 10, 24, 23, 30),
        utc(2026, 10, 25, 0, 0),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 25, 1, 0),
        utc(2026, 10, 25, 1, 30),
    ]


@pytest.mark.parametrize("split", [utc(2026, 10, 25, 0, 15), utc(2026, 10, 25, 0, 45), utc(2026, 10, 25, 1, 15)])
def test_adjacent_windows_across_the_repeated_hour_neither_lose_nor_repeat(split: datetime) -> None:
    start, end = utc(2026, 10, 24), utc(2026, 10, 26)
    for expr in ("45 1 * * *", "*/15 1 * * *", "0 * * * *"):
        whole = cron.occurrences(expr, "Europe/London", start, end)
        parts = cron.occurrences(expr, "Europe/London", start, split) + cron.occurrences(
            expr, "Europe/London", split, end
        )
        assert parts == whole, expr


def test_occurrences_are_memoised_per_expression_zone_and_window() -> None:
    cron.cache_clear()
    window = (utc(2026, 3, 4), utc(2026, 3, 5))
    first = cron.occurrences("0 */2 * * *", "Asia/Dubai", *window)
    first.append(utc(2030, 1, 1))  # a caller's list is its own
    again = cron.occurrences("0  */2 * * *", "Asia/Dubai", *window)
    info = cron._occurrences.cache_info()
    assert (info.hits, info.misses, info.currsize) == (1, 1, 1)
    assert len(again) == 12
    assert cron._occurrences.cache_info().maxsize == cron.CACHE_SIZE


def test_next_occurrences_count_and_until() -> None:
    after = utc(2026, 3, 4, 6)
    assert cron.next_occurrences("0 */8 * * *", "UTC", after, 3) == [
        utc(2026, 3, 4, 8),
        utc(2026, 3, 4, 16),
        utc(2026, 3, 5, 0),
    ]
    assert cron.next_occurrences("0 */8 * * *", "UTC", after, 3, until=utc(2026, 3, 4, 16)) == [utc(2026, 3, 4, 8)]
    assert cron.next_occurrences("0 6 * * *", "UTC", after, 1) == [after]
    assert cron.next_occurrences("0 6 * * *", "UTC", after, 0) == []
