"""Fixtures of the scheduling tests: a fixed clock, and tenant A's sites and who works where.

- NORTH (Asia/Dubai, UTC+4 all year) and SOUTH (Europe/London, with daylight saving);
  the route ROUTE visits NORTH then SOUTH;
- the supervisor plans NORTH (assigned), not SOUTH; the admin sees everything;
- the guard is based at NORTH, the south guard at SOUTH; the crew is both of them;
- NORTH has three checkpoints and a pump; SOUTH one checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from apps.assets.models import Asset
from apps.checklists.models import Checklist
from apps.core.tenancy import tenant_context
from apps.people.models import Person, Team
from apps.sites.models import Site, SiteAssignment, SiteGroup
from apps.tenants.models import Tenant
from conftest import Persona, make_persona

from .factories import make_asset, make_checklist, make_checkpoint, make_site, make_site_group, make_team

#: The fixed "now" of the clock fixture: Wednesday 4 March 2026, 06:00 UTC (10:00 at NORTH).
T0 = datetime(2026, 3, 4, 6, 0, tzinfo=UTC)


class Clock:
    """``timezone.now()`` frozen at ``now``, moved by hand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: datetime) -> None:
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, T0)


@pytest.fixture
def in_tenant_a(tenant_a: Tenant) -> Iterator[Tenant]:
    """Run the test body as tenant A."""
    with tenant_context(tenant_a):
        yield tenant_a


@dataclass
class World:
    tenant: Tenant
    north: Site
    south: Site
    route: SiteGroup
    admin: Person
    supervisor: Person
    guard: Person
    south_guard: Person
    crew: Team
    checkpoints: list[Asset]
    south_checkpoint: Asset
    pump: Asset
    checklist: Checklist
    site_report: Checklist
    maintenance: Checklist
    audit: Checklist


def _reload(tenant: Tenant, persona: Persona) -> Person:
    with tenant_context(tenant):
        return Person.objects.prefetch_related("roles").get(pk=persona.person.pk)


@pytest.fixture
def world(
    tenant_a: Tenant,
    tenant_a_admin: Persona,
    tenant_a_supervisor: Persona,
    tenant_a_guard: Persona,
) -> World:
    south_guard = make_persona(tenant_a, "guard", login="south_guard")
    with tenant_context(tenant_a):
        north = make_site("NORTH", name="North Gate", tz="Asia/Dubai")
        south = make_site("SOUTH", name="South Yard", tz="Europe/London", lon=-0.12, lat=51.5)
        route = make_site_group([north, south], code="ROUTE", name="Route")
        SiteAssignment.objects.create(person=tenant_a_supervisor.person, site=north)
        Person.objects.filter(pk=tenant_a_guard.person.pk).update(home_site=north)
        Person.objects.filter(pk=south_guard.person.pk).update(home_site=south)
        crew = make_team(tenant_a_guard.person, south_guard.person, code="CREW")
        checkpoints = [make_checkpoint(north, f"N-CP{n}", name=f"North checkpoint {n}") for n in (1, 2, 3)]
        south_checkpoint = make_checkpoint(south, "S-CP1", name="South checkpoint 1")
        pump = make_asset(north, "PUMP-1", name="Fire pump")
        checklists = {
            kind: make_checklist(kind, code=f"CL-{kind}")
            for kind in (
                Checklist.Kind.CHECKLIST,
                Checklist.Kind.SITE_REPORT,
                Checklist.Kind.ASSET_MAINTENANCE,
                Checklist.Kind.ASSET_AUDIT,
            )
        }
    return World(
        tenant=tenant_a,
        north=north,
        south=south,
        route=route,
        admin=_reload(tenant_a, tenant_a_admin),
        supervisor=_reload(tenant_a, tenant_a_supervisor),
        guard=_reload(tenant_a, tenant_a_guard),
        south_guard=_reload(tenant_a, south_guard),
        crew=crew,
        checkpoints=checkpoints,
        south_checkpoint=south_checkpoint,
        pump=pump,
        checklist=checklists[Checklist.Kind.CHECKLIST],
        site_report=checklists[Checklist.Kind.SITE_REPORT],
        maintenance=checklists[Checklist.Kind.ASSET_MAINTENANCE],
        audit=checklists[Checklist.Kind.ASSET_AUDIT],
    )
