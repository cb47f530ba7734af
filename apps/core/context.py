"""Request-scoped values other than the tenant: the acting person and the correlation id.

The correlation id is kept in structlog's context variables so every log line carries
it; helpers here read it back for Celery headers and WebSocket messages.
"""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Mapping

import structlog

_actor: contextvars.ContextVar[int | None] = contextvars.ContextVar("youtility_actor", default=None)

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current_actor_id() -> int | None:
    """Id of the person acting now (request user, task initiator), for created_by/modified_by."""
    return _actor.get()


def set_actor(person_id: int | None) -> contextvars.Token:
    return _actor.set(person_id)


def reset_actor(token: contextvars.Token) -> None:
    _actor.reset(token)


def new_request_id() -> str:
    return uuid.uuid4().hex


def clean_request_id(value: str | None) -> str:
    """Accept a client's X-Request-ID only if it is short and plain; otherwise make one."""
    # fullmatch: with match(), "$" also accepts a trailing newline, which must never be echoed in a header.
    if value and REQUEST_ID_RE.fullmatch(value):
        return value
    return new_request_id()


def current_request_id() -> str | None:
    return structlog.contextvars.get_contextvars().get("request_id")


def bind_request_id(request_id: str) -> Mapping[str, contextvars.Token]:
    return structlog.contextvars.bind_contextvars(request_id=request_id)


def reset_request_id(tokens: Mapping[str, contextvars.Token]) -> None:
    structlog.contextvars.reset_contextvars(**tokens)
