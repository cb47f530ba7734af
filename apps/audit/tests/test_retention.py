"""Retention: each tenant keeps its change log ``settings["audit"]["retention_days"]`` (30 to
3650, 365 by default); the daily purge deletes older entries, of the right tenant only, in
bounded batches, and a second run deletes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import structlog.testing
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.utils import timezone

from apps.audit import retention
from apps.audit.models import ChangeLog
from apps.audit.tasks import purge_changelog
from apps.core.tenancy import tenant_context
from apps.tenants.models import Lookup, Tenant
from apps.tenants.services import create_lookup, update_tenant

from .helpers import entries

pytestmark = pytest.mark.django_db


def aged(tenant: Tenant, days: int, count: int) -> list[int]:
    """``count`` new entries of ``tenant``, dated ``days`` ago; their ids."""
    with tenant_context(tenant):
        made = [
            create_lookup(kind=Lookup.Kind.DEPARTMENT, code=f"D{days}x{n}", name=f"Department {n}")
            for n in range(count)
        ]
        rows = ChangeLog.objects.filter(object_id__in=[lookup.pk for lookup in made], object_type__model="lookup")
        ids = sorted(rows.values_list("pk", flat=True))
        ChangeLog.objects.filter(pk__in=ids).update(time=timezone.now() - timedelta(days=days))
    return ids


def purged() -> dict[str, int]:
    """Run the purge; what each tenant deleted (tenants that deleted nothing left out)."""
    run = retention.purge_all()
    assert run.failed == {}
    return {slug: counts["deleted"] for slug, counts in run.results.items() if counts["deleted"]}


def remaining(tenant: Tenant, ids: list[int]) -> list[int]:
    return sorted(entry.pk for entry in entries(tenant, pk__in=ids))


def test_the_purge_keeps_each_tenant_its_own_retention(tenant_a: Tenant, tenant_b: Tenant) -> None:
    update_tenant(tenant_a, settings={"audit": {"retention_days": 30}})
    a_recent, a_old, a_ancient = aged(tenant_a, 10, 2), aged(tenant_a, 40, 3), aged(tenant_a, 400, 1)
    b_old, b_ancient = aged(tenant_b, 40, 2), aged(tenant_b, 400, 2)

    report = purge_changelog.apply().get()

    assert report == {
        "task": "audit.purge_changelog",
        "tenants": 2,
        "done": 2,
        "failed": {},
        "total": {"deleted": 6},
        "results": {tenant_a.slug: {"deleted": 4}, tenant_b.slug: {"deleted": 2}},
    }
    assert remaining(tenant_a, a_recent + a_old + a_ancient) == a_recent
    assert remaining(tenant_b, b_old + b_ancient) == b_old  # the default: 365 days
    assert purge_changelog.apply().get()["results"] == {}  # nothing left to purge


def test_a_run_is_bounded_and_the_next_one_goes_on(
    tenant_a: Tenant, tenant_b: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "PURGE_BATCH", 2)
    monkeypatch.setattr(retention, "PURGE_BATCHES_PER_TENANT", 2)
    old = aged(tenant_a, 400, 5)
    assert purged() == {tenant_a.slug: 4}
    assert remaining(tenant_a, old) == old[4:]  # the oldest went first
    assert purged() == {tenant_a.slug: 1}
    assert purged() == {}


def test_an_inactive_tenants_log_is_left_alone(tenant_a: Tenant) -> None:
    old = aged(tenant_a, 400, 1)
    update_tenant(tenant_a, is_active=False)
    assert purged() == {}
    assert remaining(tenant_a, old) == old


def test_a_failing_tenant_does_not_stop_the_others_and_is_reported(
    tenant_a: Tenant, tenant_b: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    a_old, b_old = aged(tenant_a, 400, 2), aged(tenant_b, 400, 3)
    real = retention.purge_tenant

    def broken(tenant: Tenant, now: Any = None) -> int:
        if tenant.pk == tenant_a.pk:
            raise DatabaseError("dedicated database unreachable")
        return real(tenant, now)

    monkeypatch.setattr(retention, "purge_tenant", broken)
    with structlog.testing.capture_logs() as logs:
        report = purge_changelog.apply().get()

    assert report == {
        "task": "audit.purge_changelog",
        "tenants": 2,
        "done": 1,
        "failed": {tenant_a.slug: "DatabaseError"},
        "total": {"deleted": 3},
        "results": {tenant_b.slug: {"deleted": 3}},
    }
    assert [(e["event"], e["tenant"]) for e in logs if e["log_level"] == "error"] == [
        ("task.tenant_failed", tenant_a.slug)
    ]
    assert (remaining(tenant_a, a_old), remaining(tenant_b, b_old)) == (a_old, [])


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"retention_days": 29}, "audit.retention_days is a whole number of days from 30 to 3650."),
        ({"retention_days": 3651}, "audit.retention_days is a whole number of days from 30 to 3650."),
        ({"retention_days": "90"}, "audit.retention_days is a whole number of days from 30 to 3650."),
        ({"retention_days": True}, "audit.retention_days is a whole number of days from 30 to 3650."),
        ({"retention": 90}, 'The "audit" settings take only "retention_days".'),
        ([90], 'The "audit" settings take only "retention_days".'),
    ],
)
def test_a_tenants_retention_is_checked_when_its_settings_are_saved(tenant_a: Tenant, value: Any, problem: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        update_tenant(tenant_a, settings={"audit": value})
    assert excinfo.value.message_dict == {"settings": [problem]}
    assert Tenant.objects.get(pk=tenant_a.pk).settings == {}


def test_valid_and_absent_retention(tenant_a: Tenant) -> None:
    update_tenant(tenant_a, settings={"audit": {"retention_days": 3650}, "scheduling": {"horizon_hours": 24}})
    assert retention.retention_days(Tenant.objects.get(pk=tenant_a.pk).settings) == 3650
    assert retention.retention_days({}) == 365
    # A value stored some other way is ignored for the default, never a reason to purge more.
    assert retention.retention_days({"audit": {"retention_days": 1}}) == 365


def test_the_purge_runs_daily_from_beat() -> None:
    entry: Any = settings.CELERY_BEAT_SCHEDULE["audit-purge-changelog"]
    assert entry["task"] == "audit.purge_changelog"
    assert (entry["schedule"]._orig_hour, entry["schedule"]._orig_minute) == ("4", "7")
