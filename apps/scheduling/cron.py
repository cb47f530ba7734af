"""Cron expressions of schedules: validation and occurrences in a time zone.

A schedule's ``cron`` has exactly five fields (minute, hour, day of month, month, day of
week) and is evaluated in the schedule's time zone by ``cronsim``, which handles
daylight-saving changes like Debian cron: a job at a fixed time that falls into the
skipped hour runs once when the clocks have moved on (01:30 becomes 02:00 when 01:00-02:00
is skipped), a fixed-time job in the repeated hour runs once (the first time), and a job
that fires every few minutes or every hour ("*/30", "0 *") follows real time, so it fires
in both passes of a repeated hour and not in a skipped one.

Occurrences are computed once per (expression, zone, window) in a process: many
schedules share a cron and every schedule of a tenant shares the generation window, so a
bounded LRU cache turns thousands of expansions into a handful.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from .errors import fail

FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")
MAX_LENGTH = 120
#: Distinct (expression, zone, window) expansions kept per process.
CACHE_SIZE = 4096
_SECOND = timedelta(seconds=1)


def _split(expr: str) -> list[str]:
    if not isinstance(expr, str) or not expr.strip():
        raise fail(
            "cron_invalid", "The cron expression is empty; it needs five fields: " + " ".join(FIELDS) + ".", "cron"
        )
    if len(expr) > MAX_LENGTH:
        raise fail("cron_invalid", f"The cron expression is longer than {MAX_LENGTH} characters.", "cron")
    parts = expr.split()
    if len(parts) == 5:
        return parts
    if len(parts) == 6:
        why = " (a seconds field is not supported)"
    elif len(parts) == 7:
        why = " (seconds and year fields are not supported)"
    else:
        why = ""
    raise fail(
        "cron_invalid",
        f"A cron expression has 5 fields ({' '.join(FIELDS)}); this one has {len(parts)}{why}.",
        "cron",
        fields=len(parts),
    )


def validate_cron(expr: str) -> str:
    """The expression with its whitespace collapsed; raises ``ScheduleError``.

    ``cron_invalid``: not five fields, or a field cronsim refuses (its reason, e.g. "Bad
    minute", is in the message and in ``details["reason"]``). ``cron_never_fires``: every
    field is valid alone but no date matches them together, e.g. "0 0 30 2 *" (February
    30), or nothing matches within cronsim's 50-year horizon.
    """
    parts = _split(expr)
    normalised = " ".join(parts)
    start = datetime(2000, 1, 1, tzinfo=UTC)
    try:
        sim = CronSim(normalised, start)
    except CronSimError as exc:
        reason = str(exc)
        if reason == "Bad day-of-month" and _fields_valid_alone(parts):
            raise fail(
                "cron_never_fires",
                f"The cron expression {normalised!r} never fires: no month has that day.",
                "cron",
                reason=reason,
            ) from exc
        raise fail("cron_invalid", f"Invalid cron expression {normalised!r}: {reason}.", "cron", reason=reason) from exc
    try:
        next(sim)
    except StopIteration:
        raise fail(
            "cron_never_fires", f"The cron expression {normalised!r} never fires.", "cron", reason="No match"
        ) from None
    return normalised


def _fields_valid_alone(parts: list[str]) -> bool:
    """Whether each field parses on its own (the others as "*")."""
    for index, part in enumerate(parts):
        probe = ["*"] * len(parts)
        probe[index] = part
        try:
            CronSim(" ".join(probe), datetime(2000, 1, 1, tzinfo=UTC))
        except CronSimError:
            return False
    return True


def zone(tz: str) -> ZoneInfo:
    """The ``ZoneInfo`` of ``tz``; an unknown zone is a ``ValueError`` (sites validate theirs)."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Unknown time zone {tz!r}.") from exc


def _iterate(expr: str, tz: str, start: datetime) -> CronSim:
    # cronsim ticks one second before matching, so start a second early to include
    # ``start`` itself; results before ``start`` (sub-second starts) are dropped by callers.
    return CronSim(expr, (start - _SECOND).astimezone(zone(tz)))


@lru_cache(maxsize=CACHE_SIZE)
def _occurrences(expr: str, tz: str, start: datetime, end: datetime) -> tuple[datetime, ...]:
    found: list[datetime] = []
    for local in _iterate(expr, tz, start):
        at = local.astimezone(UTC)
        if at >= end:
            break
        if at >= start:
            found.append(at)
    return tuple(found)


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime.")
    return value.astimezone(UTC)


def occurrences(expr: str, tz: str, start: datetime, end: datetime) -> list[datetime]:
    """The times ``expr`` fires in zone ``tz`` within [start, end), as aware UTC datetimes.

    ``expr`` should have passed ``validate_cron``; one without five fields raises
    ``ScheduleError`` here too (cronsim would take six as seconds), other bad values
    ``CronSimError``. Memoised per (expr, tz, start, end).
    """
    start, end = _aware(start, "start"), _aware(end, "end")
    if end <= start:
        return []
    return list(_occurrences(" ".join(_split(expr)), tz, start, end))


def next_occurrences(expr: str, tz: str, after: datetime, count: int, until: datetime | None = None) -> list[datetime]:
    """The first ``count`` times ``expr`` fires in ``tz`` at or after ``after`` (and before
    ``until`` when given), as aware UTC datetimes."""
    after = _aware(after, "after")
    limit = _aware(until, "until") if until is not None else None
    found: list[datetime] = []
    if count <= 0:
        return found
    for local in _iterate(" ".join(_split(expr)), tz, after):
        at = local.astimezone(UTC)
        if limit is not None and at >= limit:
            break
        if at >= after:
            found.append(at)
            if len(found) >= count:
                break
    return found


def cache_clear() -> None:
    """Forget memoised occurrences (tests)."""
    _occurrences.cache_clear()
