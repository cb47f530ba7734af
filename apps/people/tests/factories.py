"""Factories for the tenant-isolation test (see apps/core/testing/isolation.py)."""

from __future__ import annotations

from uuid import uuid4

from apps.core.testing import isolation_factory
from apps.people.models import Person
from apps.people.services import create_person
from apps.tenants.models import Tenant


@isolation_factory(Person)
def make_person(tenant: Tenant) -> Person:
    suffix = uuid4().hex[:12]
    return create_person(login=f"isolation-{suffix}", name=f"Isolation {suffix}", password=None, roles=[])
