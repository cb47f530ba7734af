"""Factories: isolation factories for every model the sites API serves, and test helpers."""

from __future__ import annotations

from datetime import time
from typing import Any
from uuid import uuid4

from django.contrib.gis.geos import Point, Polygon

from apps.core.testing import isolation_factory
from apps.people.services import create_person
from apps.sites import services
from apps.sites.models import Client, Location, Shift, Site, SiteAssignment, SiteGroup
from apps.tenants.models import Tenant


def _suffix() -> str:
    return uuid4().hex[:8]


def square(lon: float, lat: float, half: float) -> Polygon:
    """A square geofence of ``2 * half`` degrees around (lon, lat)."""
    ring = [(lon - half, lat - half), (lon + half, lat - half), (lon + half, lat + half), (lon - half, lat + half)]
    return Polygon([*ring, ring[0]], srid=4326)


def client(code: str | None = None, **fields: Any) -> Client:
    code = code or f"C-{_suffix()}"
    return services.create_client(code=code, name=fields.pop("name", f"Client {code}"), **fields)


def site(
    code: str | None = None, *, of: Client | None = None, lon: float = 77.59, lat: float = 12.97, **fields: Any
) -> Site:
    code = code or f"S-{_suffix()}"
    return services.create_site(
        client_id=(of or client()).pk,
        code=code,
        name=fields.pop("name", f"Site {code}"),
        location=Point(lon, lat, srid=4326),
        **fields,
    )


@isolation_factory(Client)
def make_client(tenant: Tenant) -> Client:
    return client()


@isolation_factory(Site)
def make_site(tenant: Tenant) -> Site:
    return site()


@isolation_factory(SiteGroup)
def make_site_group(tenant: Tenant) -> SiteGroup:
    return services.create_site_group(code=f"G-{_suffix()}", name="Isolation group", site_ids=[site().pk])


@isolation_factory(Shift)
def make_shift(tenant: Tenant) -> Shift:
    return services.create_shift(site_id=site().pk, name="Night", start_time=time(22), end_time=time(6))


@isolation_factory(Location)
def make_location(tenant: Tenant) -> Location:
    return services.create_location(site_id=site().pk, code=f"L-{_suffix()}", name="Isolation area")


@isolation_factory(SiteAssignment)
def make_site_assignment(tenant: Tenant) -> SiteAssignment:
    person = create_person(login=f"assignee-{_suffix()}", name="Assignee", password=None, roles=[])
    return services.create_site_assignment(person_id=person.pk, site_id=site().pk)
