"""Reads about people, scoped by the tenant in context."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Person


def people() -> QuerySet[Person]:
    return Person.objects.all().prefetch_related("roles").order_by("login")


def me_payload(person: Person) -> dict[str, object]:
    return {
        "id": person.pk,
        "uuid": person.uuid,
        "login": person.login,
        "name": person.name,
        "email": person.email,
        "tenant": person.tenant.slug,
        "roles": person.role_codes(),
        "capabilities": sorted(person.capability_set()),
        "device_id": person.bound_device_id,
    }
