"""Factories for the helpdesk tests and the tenant-isolation test (see apps/core/testing/isolation.py).

Sites, clients and lookups are made with the ORM directly: these tests are about tickets.
Tickets, rules and policies go through the services, as every door does.
"""

from __future__ import annotations

import io
from typing import Any
from uuid import uuid4

from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.core.testing import isolation_factory, isolation_graphql_args
from apps.helpdesk import services
from apps.helpdesk.models import EscalationRule, SlaPolicy, Ticket
from apps.sites.models import Client, Site
from apps.tenants.models import Lookup, Tenant


def make_site(code: str | None = None, *, client: Client | None = None, name: str = "", **fields: Any) -> Site:
    """A site (and, unless given, its client) of the tenant in context."""
    suffix = uuid4().hex[:8]
    if client is None:
        client = Client.objects.create(code=f"C-{suffix}", name=f"Client {suffix}")
    code = code or f"S-{suffix}"
    return Site.objects.create(
        client=client, code=code, name=name or f"Site {code}", location=Point(55.27, 25.2), **fields
    )


def make_category(code: str = "MAINT", name: str = "Maintenance") -> Lookup:
    return Lookup.objects.get_or_create(kind=Lookup.Kind.TICKET_CATEGORY, code=code, defaults={"name": name})[0]


def make_ticket(site: Site | None = None, title: str = "Broken door", **fields: Any) -> Ticket:
    """A system ticket of the tenant in context (no raiser, no notification recipients)."""
    return services.raise_ticket(site=site or make_site(), category=fields.pop("category", None), title=title, **fields)


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 6)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 90)).save(buffer, format=fmt)
    return buffer.getvalue()


def photo(name: str = "photo.png", data: bytes | None = None, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes() if data is None else data, content_type=content_type)


@isolation_factory(Ticket)
def make_isolation_ticket(tenant: Tenant) -> Ticket:
    return make_ticket(title="Isolation ticket")


@isolation_graphql_args("ticket")
def ticket_args(obj: Ticket) -> dict[str, Any]:
    return {"id": str(obj.pk)}


@isolation_factory(EscalationRule)
def make_isolation_rule(tenant: Tenant) -> EscalationRule:
    return services.create_escalation_rule(
        None, category_id=make_category(f"C{uuid4().hex[:6]}").pk, level=1, wait_minutes=30
    )


@isolation_factory(SlaPolicy)
def make_isolation_policy(tenant: Tenant) -> SlaPolicy:
    return services.create_sla_policy(
        None, category_id=make_category(f"C{uuid4().hex[:6]}").pk, priority="HIGH", resolve_within_minutes=240
    )
