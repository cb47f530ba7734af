"""The ranges every door accepts for ids, dates and date-times, in one place.

Python and PostgreSQL disagree at the edges: Python holds any integer and dates up to
9999-12-31 with UTC offsets up to ±23:59; PostgreSQL's ``bigint`` stops at 2^63-1 and its
``timestamptz`` accepts offsets only up to ±15:59. Values past those edges used to travel
to the database (``bigint out of range``, ``time zone displacement out of range``) or to
date arithmetic that overflows (the day after 9999-12-31), and ended in a 500.

No real input comes near the edges, so the supported range is far inside them: ids from
1 to 2^63-1, dates from 1900-01-01 to 9000-12-31 (a day's end can always be computed in
any time zone), and UTC offsets within ±15:59. The REST fields and filters
(``apps.core.api.fields``, ``apps.core.filters``) and the GraphQL arguments
(``apps.core.graphql.ArgumentBounds``) all apply these, so no endpoint checks them itself.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from apps.core.errors import SPECIFIC_FIELD_CODES, DomainError

BIGINT_MAX = 2**63 - 1
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(9000, 12, 31)
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)


class ValueOutOfRange(DomainError):
    code = "value_out_of_range"
    message = "A value is outside the range the server accepts."


SPECIFIC_FIELD_CODES.add(ValueOutOfRange.code)


def date_error(value: date, **where: Any) -> ValueOutOfRange | None:
    """Why ``value`` (a date, or a date-time with its offset) is outside the supported
    range, or None when it is inside."""
    day = value.date() if isinstance(value, datetime) else value
    if not MIN_DATE <= day <= MAX_DATE:
        return ValueOutOfRange(
            f"Dates from {MIN_DATE.isoformat()} to {MAX_DATE.isoformat()} are accepted.",
            details={**where, "min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()},
        )
    offset = value.utcoffset() if isinstance(value, datetime) else None
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        return ValueOutOfRange(
            "UTC offsets from -15:59 to +15:59 are accepted.",
            details={**where, "min_offset": "-15:59", "max_offset": "+15:59"},
        )
    return None


def check_date(value: date, **where: Any) -> None:
    """Refuse a date or date-time outside the supported range (``value_out_of_range``)."""
    error = date_error(value, **where)
    if error is not None:
        raise error


def id_error(value: int, **where: Any) -> ValueOutOfRange | None:
    if not 1 <= value <= BIGINT_MAX:
        return ValueOutOfRange(
            f"Ids are whole numbers from 1 to {BIGINT_MAX}.", details={**where, "min": 1, "max": BIGINT_MAX}
        )
    return None
