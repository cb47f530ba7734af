"""The set-based writers take sync versions from the tenant's own sequence.

Planning inserts jobs in bulk (the insert trigger gives each its version); auto-close
sets ``version = nextval(<the tenant's sequence>)`` itself. Either way every job gets a
distinct version above the tenant's previous ones, and another tenant's sequence does
not move.
"""

from __future__ import annotations

import pytest
from django.db import connection

from apps.core.tenancy import tenant_context
from apps.scheduling import autoclose
from apps.scheduling.models import Job
from apps.tenants.models import Tenant

from .conftest import Clock, World
from .factories import make_schedule, make_tour

pytestmark = pytest.mark.django_db


def last_value(tenant: Tenant) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_value FROM youtility_sync_version_t{int(tenant.pk)}")
        return int(cursor.fetchone()[0])


def versions(tenant: Tenant) -> dict[int, int]:
    with tenant_context(tenant):
        return dict(Job.objects.values_list("pk", "version"))


def test_planning_and_auto_close_take_the_tenants_versions(clock: Clock, world: World, tenant_b: Tenant) -> None:
    other = last_value(tenant_b)
    before = last_value(world.tenant)
    with tenant_context(world.tenant):
        make_schedule(name="Gate", site=world.north, assignee_person=world.guard, cron="0 * * * *")
        make_tour(3, site=world.north, assignee_person=world.guard, cron="0 9 * * *")
    planned = versions(world.tenant)
    after_planning = last_value(world.tenant)
    assert len(planned) > 10
    # Every planned job has its own version, all taken from the tenant's sequence now.
    assert len(set(planned.values())) == len(planned)
    assert before < min(planned.values()) and max(planned.values()) <= after_planning

    with tenant_context(world.tenant):
        closed = autoclose.autoclose_tenant(clock.advance(days=3))
    after_closing = last_value(world.tenant)
    closed_versions = {pk: v for pk, v in versions(world.tenant).items() if v != planned[pk]}
    assert closed == len(closed_versions) == len(planned)
    assert len(set(closed_versions.values())) == closed
    assert after_planning < min(closed_versions.values()) and max(closed_versions.values()) == after_closing
    assert after_closing - after_planning == closed  # one version per closed job, nothing else
    assert last_value(tenant_b) == other
