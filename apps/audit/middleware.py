"""The door of an HTTP request, and the actor of a session request.

Set once per request from its path, so the domain layer never has to be told where a
call came from: ``/api/`` is REST (an import switches to IMPORT itself), ``/graphql`` is
GraphQL, ``/admin/`` the Django admin, anything else the console. Token requests get
their actor from the authentication that reads the token; a console or admin session
gets it here, from the signed-in person.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.core import context
from apps.core.context import Door

ADMIN_PREFIX = "/admin/"


def door_of(path: str) -> str:
    if path.startswith("/api/"):
        return Door.REST
    if path.startswith("/graphql"):
        return Door.GRAPHQL
    if path.startswith(ADMIN_PREFIX):
        return Door.ADMIN
    return Door.CONSOLE


class DoorMiddleware:
    """Runs after ``AuthenticationMiddleware``; resets what it set when the response is made."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        door = door_of(request.path)
        door_token = context.set_door(door)
        actor_token = None
        if door in (Door.ADMIN, Door.CONSOLE):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                actor_token = context.set_actor(user.pk, label=user.get_username())
        try:
            return self.get_response(request)
        finally:
            if actor_token is not None:
                context.reset_actor(actor_token)
            context.reset_door(door_token)
