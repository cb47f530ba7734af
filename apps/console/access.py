"""What the console's pages share: who may open them, fetching by id, rendering.

The capability codes a page needs are the ones its REST door checks, so the console
never lets someone do what the API would refuse (and the other way round). Which rows a
person sees, and what they may do to each, is the selectors' and services' business.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from apps.core import tenancy
from apps.core.errors import NotFound
from apps.helpdesk.selectors import READ_CAPABILITIES as TICKETS_READ

#: The NOC API's read and write capabilities (apps.noc.api.views.AlertViewSet).
ALERTS_READ = ("noc.view",)
ALERTS_ACT = ("noc.manage",)
#: The helpdesk API's doors: reading tickets, and raising them (its write capabilities).
TICKETS_RAISE = ("tickets.manage", "jobs.perform")

__all__ = ["ALERTS_ACT", "ALERTS_READ", "TICKETS_RAISE", "TICKETS_READ", "found", "may", "page", "render_page"]

T = TypeVar("T")
View = Callable[..., HttpResponse]


def may(person: Any, capabilities: tuple[str, ...]) -> bool:
    """Whether ``person`` holds any one of ``capabilities``."""
    return person.has_any_capability(capabilities)


def page(*capabilities: str) -> Callable[[View], View]:
    """A console page for signed-in people holding any one of ``capabilities`` (403 otherwise)."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            tenancy.current_tenant()  # fail closed: a session without a tenant renders no tenant data
            if capabilities and not may(request.user, capabilities):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def found(fetch: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fetch(*args, **kwargs)`` (a selector's ``get_*_for``), its ``NotFound`` as a 404 page."""
    try:
        return fetch(*args, **kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def render_page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render with times shown in the tenant's time zone."""
    tenant = getattr(request, "session_tenant", None)
    with timezone.override(getattr(tenant, "timezone", None) or None):
        return render(request, template, context, status=status)
