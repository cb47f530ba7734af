"""Checks of ticket input shared by the ticket, matrix and policy services.

Each raises a ``TicketError`` with a stable code and the field it concerns, and writes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, models

from apps.core.errors import DomainError
from apps.people.models import Person, Team
from apps.sites.models import Site
from apps.sites.selectors import sites_for
from apps.tenants.models import Lookup

from .models import Priority, SlaPolicy


class TicketError(DomainError):
    code = "invalid_ticket"
    message = "The ticket is not valid."


class TicketConflict(TicketError):
    status = 409


def field_error(code: str, message: str, field: str) -> TicketError:
    return TicketError(message, code=code, details={"field": field})


def constraint_name(exc: IntegrityError) -> str:
    return str(getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") or "")


def clean_text(value: Any, field: str, limit: int, *, required: bool) -> str:
    """A trimmed text of at most ``limit`` characters: ``<field>_required``,
    ``<field>_too_long`` or ``invalid_<field>`` (not text, or holding a NUL) otherwise."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise field_error(f"invalid_{field}", f"The {field} must be text.", field)
    value = value.strip()
    if "\x00" in value:
        raise field_error(f"invalid_{field}", f"The {field} may not contain NUL characters.", field)
    if required and not value:
        raise field_error(f"{field}_required", f"A {field} is required.", field)
    if len(value) > limit:
        raise TicketError(
            f"The {field} is {len(value)} characters long; at most {limit} are allowed.",
            code=f"{field}_too_long",
            details={"field": field, "max_length": limit, "length": len(value)},
        )
    return value


def as_id(value: Any, field: str, code: str) -> int:
    if isinstance(value, models.Model):
        value = value.pk
    if isinstance(value, bool) or not str(value).isdigit():
        raise field_error(code, f"{field} must be an id.", field)
    return int(value)


def clean_priority(value: Any) -> str:
    if value not in Priority.values:
        raise TicketError(
            f"{value!r} is not a priority.",
            code="invalid_priority",
            details={"field": "priority", "choices": list(Priority.values)},
        )
    return str(value)


def clean_category(category: Any, *, field: str = "category") -> Lookup | None:
    """A Lookup of kind TICKET_CATEGORY of the tenant (given as row or id), or None."""
    if category is None:
        return None
    pk = as_id(category, field, "unknown_category")
    lookup = Lookup.objects.filter(pk=pk).first()
    if lookup is None:
        raise field_error("unknown_category", f"Category {pk} does not exist.", field)
    if lookup.kind != Lookup.Kind.TICKET_CATEGORY:
        raise field_error("invalid_category", f"Lookup {lookup.code} is not a ticket category.", field)
    return lookup


def clean_person(person: Any, *, field: str, visible_to: Any = None) -> Person:
    """An active person of the tenant; with ``visible_to``, one that person may see
    (others answer ``unknown_person`` too, so nobody learns who exists elsewhere)."""
    from apps.people.selectors import people_for

    pk = as_id(person, field, "unknown_person")
    queryset = people_for(visible_to) if visible_to is not None else Person.objects.all()
    found = queryset.filter(pk=pk, is_active=True).prefetch_related("roles").first()
    if found is None:
        raise field_error("unknown_person", f"No active person {pk} in this tenant.", field)
    return found


def clean_team(team: Any, *, field: str) -> Team:
    pk = as_id(team, field, "unknown_team")
    found = Team.objects.filter(pk=pk, is_active=True).first()
    if found is None:
        raise field_error("unknown_team", f"No active team {pk} in this tenant.", field)
    return found


def clean_assignee(site: Site, person: Any, team: Any) -> tuple[Person | None, Team | None]:
    """A person who may see ``site`` (``assignee_not_at_site`` otherwise), or a team; not both."""
    if person is not None and team is not None:
        raise TicketError(
            "Assign a ticket to a person or to a team, not both.",
            code="one_assignee",
            details={"field": "assignee"},
        )
    if person is not None:
        found = clean_person(person, field="assignee_person")
        if not sites_for(found).filter(pk=site.pk).exists():
            raise TicketError(
                # The id the caller sent, not the name: the person may be outside their scope.
                f"Person {found.pk} may not see site {site.code}.",
                code="assignee_not_at_site",
                details={"field": "assignee_person", "person": found.pk, "site": site.pk},
            )
        return found, None
    if team is not None:
        return None, clean_team(team, field="assignee_team")
    return None, None


def default_assignee(site: Site) -> Person | None:
    """The site's in-charge, when active and still allowed to see the site."""
    if site.in_charge_id is None:
        return None
    person = Person.objects.filter(pk=site.in_charge_id, is_active=True).prefetch_related("roles").first()
    if person is None or not sites_for(person).filter(pk=site.pk).exists():
        return None
    return person


def sla_due(category_id: int | None, priority: str, start: datetime) -> datetime | None:
    """``start`` plus the policy of the category and priority (the default policy of the
    priority when the category has none); None when no policy applies."""
    policies = dict(
        SlaPolicy.objects.filter(priority=priority)
        .filter(models.Q(category__isnull=True) | models.Q(category_id=category_id))
        .values_list("category_id", "resolve_within_minutes")
    )
    minutes = policies.get(category_id) if category_id in policies else policies.get(None)
    return None if minutes is None else start + timedelta(minutes=minutes)
