"""Fixtures of the assets tests: two sites of tenant A (the supervisor is assigned to one)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from apps.core.tenancy import tenant_context
from apps.sites.models import Location, Site, SiteAssignment
from apps.tenants.models import Lookup

from .factories import make_area, make_lookup, make_site


@dataclass
class World:
    north: Site  # the supervisor's site
    south: Site  # a site the supervisor is not assigned to
    north_area: Location
    south_area: Location
    pump: Lookup  # an ASSET_CLASS lookup
    department: Lookup  # a lookup of another kind


@pytest.fixture
def world(tenant_a: Any, tenant_a_supervisor: Any) -> World:
    with tenant_context(tenant_a):
        north = make_site("NORTH", name="North Gate")
        south = make_site("SOUTH", name="South Yard")
        SiteAssignment.objects.create(person=tenant_a_supervisor.person, site=north)
        return World(
            north=north,
            south=south,
            north_area=make_area(north, "N-LOBBY", "Lobby"),
            south_area=make_area(south, "S-DOCK", "Dock"),
            pump=make_lookup(),
            department=make_lookup(Lookup.Kind.DEPARTMENT, "OPS", "Operations"),
        )
