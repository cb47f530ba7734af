"""Errors the domain layer raises, each with a stable code.

Adapters (REST, GraphQL, WebSocket, MQTT) render them; they never invent codes of their
own for domain failures. ``status`` is the HTTP status REST uses for it.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.db import OperationalError

log = structlog.get_logger(__name__)

#: Field-level error codes specific enough to be the whole response's code (geometry
#: errors, for example): when a validation error carries one, the API answers with it
#: instead of the generic ``invalid``, and the field messages stay in ``details``.
SPECIFIC_FIELD_CODES: set[str] = set()


class DomainError(Exception):
    code = "error"
    status = 400
    message = "The request could not be completed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.status = status or self.status
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(self.message)


class AuthenticationFailed(DomainError):
    code = "authentication_failed"
    status = 401
    message = "Authentication failed."


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    message = "You do not have permission to do this."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = "Not found."


class Throttled(DomainError):
    code = "throttled"
    status = 429
    message = "Too many attempts; try again later."

    def __init__(self, message: str | None = None, *, code: str | None = None, retry_after: int) -> None:
        super().__init__(
            message,
            code=code,
            details={"retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


class QueryTimeout(DomainError):
    """The database cancelled a statement that ran past its timeout (``DB_STATEMENT_TIMEOUT_MS``)."""

    code = "query_timeout"
    status = 503
    message = "The request took too long and was stopped; ask for less at a time, or try again later."


# SQLSTATE of a statement cancelled by ``statement_timeout`` (or by an operator).
QUERY_CANCELED = "57014"


def statement_cancelled(exc: BaseException) -> QueryTimeout | None:
    """``QueryTimeout`` when ``exc`` is the database error of a cancelled statement, else None.

    Django wraps the driver's error in its own ``OperationalError`` and keeps the
    driver's on ``__cause__``, which carries the SQLSTATE.
    """
    if isinstance(exc, OperationalError) and getattr(exc.__cause__, "sqlstate", None) == QUERY_CANCELED:
        return QueryTimeout()
    return None


# SQLSTATEs of class 22 (data exception) that mean "too large, too small, too long".
_OUT_OF_RANGE_STATES = frozenset(
    {
        "22001",  # string_data_right_truncation
        "22003",  # numeric_value_out_of_range
        "22008",  # datetime_field_overflow
        "22009",  # invalid_time_zone_displacement_value
        "22015",  # interval_field_overflow
    }
)


def refused_by_database(exc: Exception) -> DomainError:
    """The last resort for a ``django.db.DataError``: a value validation let through and
    PostgreSQL refused (a number beyond bigint, a date it cannot store, text it cannot
    encode). The client gets a 400 (``value_out_of_range`` or ``invalid_value``), never
    the SQL; the server logs a warning, because each one is a validation gap to close.

    The request's id is on the log line (structlog's context), so the report a client
    quotes leads here.
    """
    cause = exc.__cause__
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    log.warning("db.value_refused", sqlstate=state, error=type(cause or exc).__name__)
    if state in _OUT_OF_RANGE_STATES:
        return DomainError("A value is outside the range the server can store.", code="value_out_of_range")
    return DomainError("A value cannot be stored as given.", code="invalid_value")
