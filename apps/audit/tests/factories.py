"""The change log's factory for the tenant-isolation test (see apps/core/testing/isolation.py)."""

from __future__ import annotations

from uuid import uuid4

from apps.audit.models import ChangeLog
from apps.core.testing import isolation_factory
from apps.tenants.models import Lookup, Tenant
from apps.tenants.services import save_lookup


@isolation_factory(ChangeLog)
def make_entry(tenant: Tenant) -> ChangeLog:
    """An entry as the mechanism writes it: the one recording a new lookup of ``tenant``."""
    lookup = save_lookup(Lookup(kind=Lookup.Kind.DEPARTMENT, code=f"D-{uuid4().hex[:8]}", name="Isolation"))
    return ChangeLog.objects.get(object_id=lookup.pk, action="CREATE", object_type__model="lookup")
