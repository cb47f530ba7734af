"""Factories for assets tests and the tenant-isolation test (see apps/core/testing/isolation.py).

Sites, clients and areas are made with the ORM directly: these tests are about assets,
and must not depend on how the sites app validates its own writes.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from django.contrib.gis.geos import Point

from apps.assets.models import Asset
from apps.core.testing import isolation_factory
from apps.sites.models import Client, Location, Site
from apps.tenants.models import Lookup, Tenant


def make_site(code: str | None = None, *, client: Client | None = None, name: str = "") -> Site:
    """A site (and, unless given, its client) of the tenant in context."""
    suffix = uuid4().hex[:8]
    if client is None:
        client = Client.objects.create(code=f"C-{suffix}", name=f"Client {suffix}")
    code = code or f"S-{suffix}"
    return Site.objects.create(client=client, code=code, name=name or f"Site {code}", location=Point(55.27, 25.2))


def make_area(site: Site, code: str = "A1", name: str = "Area 1") -> Location:
    return Location.objects.create(site=site, code=code, name=name)


def make_lookup(kind: str = Lookup.Kind.ASSET_CLASS, code: str = "PUMP", name: str = "Pump") -> Lookup:
    return Lookup.objects.create(kind=kind, code=code, name=name)


def make_asset(site: Site, code: str, **fields: Any) -> Asset:
    fields.setdefault("name", f"Asset {code}")
    return Asset.objects.create(site=site, code=code, **fields)


@isolation_factory(Asset)
def make_isolation_asset(tenant: Tenant) -> Asset:
    # A checkpoint, so one object shows in both /assets/ and /checkpoints/ (and both GraphQL lists).
    suffix = uuid4().hex[:8]
    return make_asset(make_site(), f"ISO-{suffix}", kind=Asset.Kind.CHECKPOINT, tag=f"iso-{suffix}")
