"""Fixtures of the helpdesk tests: two sites of tenant A and who works where.

- the supervisor handles NORTH (assigned), not SOUTH;
- the guard is based at NORTH; a second guard ("south_guard") at SOUTH;
- the client viewer belongs to NORTH's client (SOUTH has another client);
- everyone has an e-mail address, so notifications are queued (not skipped) for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from apps.core.tenancy import tenant_context
from apps.people.models import Person, Team, TeamMembership
from apps.sites.models import Client, Site, SiteAssignment
from apps.tenants.models import Lookup
from conftest import Persona, make_persona

from .factories import make_category, make_site


@dataclass
class World:
    north: Site
    south: Site
    maintenance: Lookup
    security: Lookup
    department: Lookup  # a lookup of another kind
    crew: Team  # the guard and the south guard
    south_guard: Persona


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Every file these tests write lands in a temporary media root."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _email(tenant: Any, *people: Person) -> None:
    with tenant_context(tenant):
        for person in people:
            Person.objects.filter(pk=person.pk).update(email=f"{person.login}@example.com")


@pytest.fixture
def world(
    tenant_a: Any,
    tenant_a_admin: Persona,
    tenant_a_supervisor: Persona,
    tenant_a_guard: Persona,
    tenant_a_client: Persona,
) -> Iterator[World]:
    south_guard = make_persona(tenant_a, "guard", login="south_guard")
    with tenant_context(tenant_a):
        north_client = Client.objects.create(code="NC", name="North client")
        north = make_site("NORTH", client=north_client, name="North Gate")
        south = make_site("SOUTH", name="South Yard")
        SiteAssignment.objects.create(person=tenant_a_supervisor.person, site=north)
        Person.objects.filter(pk=tenant_a_guard.person.pk).update(home_site=north)
        Person.objects.filter(pk=south_guard.person.pk).update(home_site=south)
        Person.objects.filter(pk=tenant_a_client.person.pk).update(client=north_client)
        crew = Team.objects.create(code="CREW", name="Crew")
        TeamMembership.objects.create(team=crew, person=tenant_a_guard.person)
        TeamMembership.objects.create(team=crew, person=south_guard.person)
        world = World(
            north=north,
            south=south,
            maintenance=make_category("MAINT", "Maintenance"),
            security=make_category("SEC", "Security incident"),
            department=Lookup.objects.create(kind=Lookup.Kind.DEPARTMENT, code="OPS", name="Operations"),
            crew=crew,
            south_guard=south_guard,
        )
    for persona in (tenant_a_admin, tenant_a_supervisor, tenant_a_guard, tenant_a_client, south_guard):
        _email(tenant_a, persona.person)
        with tenant_context(tenant_a):
            persona.person.refresh_from_db()
    yield world
