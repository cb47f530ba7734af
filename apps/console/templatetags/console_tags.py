"""Template helpers of the console: the navigation, by the same capabilities as the pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from apps.audit import selectors as changelog
from apps.audit.presentation import rows_of
from apps.console.access import ALERTS_READ, TICKETS_READ, may
from apps.console.jobs import JOBS_READ

register = template.Library()

#: (label, url name, capabilities needed; empty: everyone signed in, path prefix marking it current)
NAV = [
    ("Home", "console:home", (), None),
    ("Alerts", "console:alerts", ALERTS_READ, "/noc/"),
    ("Tickets", "console:tickets", TICKETS_READ, "/tickets/"),
    ("Jobs today", "console:jobs", JOBS_READ, "/jobs/"),
]


@register.simple_tag(takes_context=True)
def console_nav(context: Any) -> list[dict[str, Any]]:
    """The links of the header the signed-in person may follow."""
    request = context["request"]
    user = request.user
    links = []
    for label, name, capabilities, prefix in NAV:
        if capabilities and not may(user, capabilities):
            continue
        url = reverse(name)
        current = request.path.startswith(prefix) if prefix else request.path == url
        links.append({"label": label, "url": url, "current": current})
    return links


@register.inclusion_tag("console/_history.html", takes_context=True)
def object_history(context: Any, obj: Any) -> dict[str, Any]:
    """The "History" section of an object's page: its change log, for tenant admins only
    (the people the change log API is open to); nothing for anyone else."""
    if not changelog.may_read(context["request"].user):
        return {"shown": False}
    return {"shown": True, "rows": rows_of(changelog.history(obj)), "limit": changelog.HISTORY_LIMIT}
