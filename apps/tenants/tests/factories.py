"""Factories for the tenant-isolation test (see apps/core/testing/isolation.py)."""

from __future__ import annotations

from uuid import uuid4

from apps.core.testing import isolation_factory
from apps.tenants.models import Lookup, Tenant
from apps.tenants.services import create_lookup


@isolation_factory(Lookup)
def make_lookup(tenant: Tenant) -> Lookup:
    return create_lookup(kind=Lookup.Kind.DEPARTMENT, code=f"D-{uuid4().hex[:8]}", name="Isolation department")
