"""Errors the domain layer raises, each with a stable code.

Adapters (REST, GraphQL, WebSocket, MQTT) render them; they never invent codes of their
own for domain failures. ``status`` is the HTTP status REST uses for it.
"""

from __future__ import annotations

from typing import Any

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
