"""Request-scoped values other than the tenant: who is acting, through which door, and the
correlation id.

The correlation id is kept in structlog's context variables so every log line carries
it; helpers here read it back for Celery headers and WebSocket messages.

The actor is a person id plus a label for the change log: the person's login, or what
acts when no person does (``task:<name>``, ``command:<name>``); ``system`` when nothing
said. The door is the edge a write came through (REST, GraphQL, the admin, the console,
an import, a task, a command...), set once at that edge so the domain layer never has to
be told.
"""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import structlog
from django.db import models

SYSTEM_LABEL = "system"


class Door(models.TextChoices):
    """The edge a change came through. SYNC and MQTT are the phone sync and device doors."""

    REST = "REST", "REST API"
    GRAPHQL = "GRAPHQL", "GraphQL API"
    ADMIN = "ADMIN", "Admin"
    CONSOLE = "CONSOLE", "Console"
    IMPORT = "IMPORT", "Import"
    SYNC = "SYNC", "Sync"
    MQTT = "MQTT", "MQTT"
    TASK = "TASK", "Task"
    COMMAND = "COMMAND", "Command"
    SYSTEM = "SYSTEM", "System"


# (person id, label): one variable, so one token restores both.
_actor: contextvars.ContextVar[tuple[int | None, str]] = contextvars.ContextVar("youtility_actor", default=(None, ""))
_door: contextvars.ContextVar[str] = contextvars.ContextVar("youtility_door", default=Door.SYSTEM)

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current_actor_id() -> int | None:
    """Id of the person acting now (request user, task initiator), for created_by/modified_by."""
    return _actor.get()[0]


def current_actor_label() -> str:
    """Who acts, as the change log names it: a login, ``task:<name>``, ``command:<name>``
    or ``system``."""
    person_id, label = _actor.get()
    if label:
        return label
    return f"person:{person_id}" if person_id is not None else SYSTEM_LABEL


def set_actor(person_id: int | None, label: str = "") -> contextvars.Token:
    """Name the acting person (and the label the change log keeps of them, e.g. their login)."""
    return _actor.set((person_id, label))


def reset_actor(token: contextvars.Token) -> None:
    _actor.reset(token)


def current_door() -> str:
    return _door.get()


def set_door(door: str) -> contextvars.Token:
    return _door.set(door)


def reset_door(token: contextvars.Token) -> None:
    _door.reset(token)


@contextmanager
def entered_through(door: str, label: str | None = None) -> Iterator[None]:
    """Run a block as coming through ``door``; ``label`` (when given) names a non-person
    actor such as ``command:load_demo``, keeping the acting person if there is one."""
    door_token = _door.set(door)
    actor_token = _actor.set((_actor.get()[0], label)) if label is not None else None
    try:
        yield
    finally:
        if actor_token is not None:
            _actor.reset(actor_token)
        _door.reset(door_token)


@contextmanager
def command_context(name: str) -> Iterator[None]:
    """What a management command runs in: the COMMAND door, the label ``command:<name>``
    and one correlation id for every change it makes."""
    tokens = bind_request_id(new_request_id())
    try:
        with entered_through(Door.COMMAND, f"command:{name}"):
            yield
    finally:
        reset_request_id(tokens)


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
