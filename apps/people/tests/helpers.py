"""Sites, groups and lookups for people tests, made with the ORM (the sites app owns their services)."""

from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import Point

from apps.core.tenancy import tenant_context
from apps.sites.models import Client, Site, SiteAssignment, SiteGroup, SiteGroupMember
from apps.tenants.models import Lookup


def make_client(tenant: Any, code: str = "C1") -> Client:
    with tenant_context(tenant):
        return Client.objects.get_or_create(code=code, defaults={"name": f"Client {code}"})[0]


def make_site(tenant: Any, code: str, client: Client | None = None) -> Site:
    client = client or make_client(tenant)
    with tenant_context(tenant):
        return Site.objects.create(
            client=client, code=code, name=f"Site {code}", location=Point(77.59, 12.97, srid=4326)
        )


def make_group(tenant: Any, code: str, sites: list[Site]) -> SiteGroup:
    with tenant_context(tenant):
        group = SiteGroup.objects.create(code=code, name=f"Group {code}")
        for position, site in enumerate(sites):
            SiteGroupMember.objects.create(group=group, site=site, position=position)
        return group


def assign(tenant: Any, person: Any, site: Site | None = None, group: SiteGroup | None = None) -> None:
    with tenant_context(tenant):
        SiteAssignment.objects.create(person=person, site=site, site_group=group)


def make_lookup(tenant: Any, kind: str, code: str) -> Lookup:
    with tenant_context(tenant):
        return Lookup.objects.create(kind=kind, code=code, name=code.title())
