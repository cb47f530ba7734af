"""The one error type of scheduling, with stable codes (see ``docs/api.md``)."""

from __future__ import annotations

from typing import Any

from apps.core.errors import DomainError


class ScheduleError(DomainError):
    """Invalid schedule or job input, or a transition the job's status does not allow.

    ``details["field"]`` names the input at fault when there is one.
    """

    code = "invalid"


def fail(code: str, message: str, field: str | None = None, **details: Any) -> ScheduleError:
    """A ``ScheduleError`` naming the ``field`` at fault (the caller raises it)."""
    if field is not None:
        details = {"field": field, **details}
    return ScheduleError(message, code=code, details=details)
