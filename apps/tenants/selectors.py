"""Reads of tenants, with a short per-process cache on the authentication path.

Every authenticated request needs its tenant (active flag, database alias). The row
changes rarely, so each process keeps it for ``TENANT_CACHE_SECONDS``; a save in the same
process forgets it at once, other processes within that time. Deactivating a tenant
therefore takes effect everywhere within 30 seconds.
"""

from __future__ import annotations

import copy
import time

from django.db.models import QuerySet

from apps.core import tenancy
from apps.core.cache import cached

from .models import Lookup, Tenant

TENANT_CACHE_SECONDS = 30.0

_cache: dict[int, tuple[float, Tenant]] = {}


def active_tenant(tenant_id: int) -> Tenant | None:
    """The active tenant with this id (a private copy), or None."""
    now = time.monotonic()
    hit = _cache.get(tenant_id)
    if hit is not None and hit[0] > now:
        return copy.copy(hit[1])
    tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
    if tenant is None:
        _cache.pop(tenant_id, None)
        return None
    _cache[tenant_id] = (now + TENANT_CACHE_SECONDS, tenant)
    return copy.copy(tenant)


def active_context(tenant_id: int) -> tenancy.TenantContext | None:
    """The tenancy context of the active tenant with this id, read now rather than from the
    cache above, so a task queued for a tenant deactivated since does not run as it.
    ``apps.core.tenancy.active_context`` answers with this (registered at ``ready()``)."""
    tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
    return tenancy.TenantContext.of(tenant) if tenant is not None else None


def forget(tenant_id: int) -> None:
    _cache.pop(tenant_id, None)


def lookups(kind: str | None = None, is_active: bool | None = None) -> QuerySet[Lookup]:
    """Lookups of the tenant in context, in picker order."""
    queryset = Lookup.objects.all()
    if kind:
        queryset = queryset.filter(kind=kind)
    if is_active is not None:
        queryset = queryset.filter(is_active=is_active)
    return queryset.order_by("kind", "position", "name", "pk")


def cached_lookups(kind: str | None = None, is_active: bool | None = None) -> list[Lookup]:
    """``lookups()`` through the per-tenant cache: read on every picker, written rarely.

    The key names the tenant (by ``cached``), the kind and the active filter; any write
    through the services bumps the version on commit.
    """
    parts = f"kind={kind or '*'}:active={'*' if is_active is None else int(is_active)}"
    return cached("lookups", parts, lambda: list(lookups(kind, is_active)))


def get_lookup(lookup_id: int) -> Lookup | None:
    return Lookup.objects.filter(pk=lookup_id).first()
