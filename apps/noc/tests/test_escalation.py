"""Escalation of unacknowledged alerts by the ``noc.escalate_alerts`` task: delays per
severity (defaults, settings, tenant settings), levels, who is told, what stops it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import structlog.testing
from django.utils import timezone

from apps.core.tenancy import tenant_context
from apps.noc import escalation, services
from apps.noc.models import Alert
from apps.noc.tasks import escalate_alerts
from apps.notifications.models import NotificationLog, Webhook, WebhookDelivery
from youtility.celery import YoutilityTask
from youtility.celery import app as celery_app

from .factories import raise_test_alert

pytestmark = pytest.mark.django_db


def run_at(moment: datetime) -> int:
    run = escalation.escalate_due_alerts(moment)
    assert run.failed == {}
    return run.total["escalated"]


def notified(tenant: Any, event: str = "alert.escalated") -> list[int]:
    with tenant_context(tenant):
        return sorted(NotificationLog.objects.filter(event=event).values_list("person_id", flat=True))


def test_an_unacknowledged_critical_alert_climbs_two_levels(
    tenant_a: Any, tenant_a_admin: Any, tenant_a_supervisor: Any, world: Any
) -> None:
    with tenant_context(tenant_a):
        hook = Webhook.objects.create(url="https://hooks.example.com/a", events=["alert.escalated"], secret="s" * 40)
        alert = raise_test_alert(world.north, severity="CRITICAL", title="SOS at the gate")
        NotificationLog.objects.all().delete()
    raised = alert.first_seen_at

    assert run_at(raised + timedelta(minutes=4, seconds=59)) == 0
    first_run = raised + timedelta(minutes=5)
    assert run_at(first_run) == 1
    with tenant_context(tenant_a):
        alert.refresh_from_db()
        assert (alert.status, alert.escalation_level, alert.escalate_at) == (
            "ESCALATED",
            1,
            first_run + timedelta(minutes=5),
        )
        event = alert.events.get(kind="ESCALATED")
        assert (event.actor_id, event.at, event.from_status, event.to_status) == (None, first_run, "NEW", "ESCALATED")
        assert event.note == "Not acknowledged in time; escalated to level 1."
        level_one = sorted([world.in_charge.pk, tenant_a_supervisor.person.pk])
        assert event.data == {"level": 1, "waited_minutes": 5, "notified": level_one}
        delivery = WebhookDelivery.objects.get(webhook=hook)
        assert (delivery.event, delivery.payload["level"], delivery.payload["alert"]["escalation_level"]) == (
            "alert.escalated",
            1,
            1,
        )
    assert notified(tenant_a) == level_one
    assert run_at(first_run + timedelta(minutes=1)) == 0  # already done for this due time

    second_run = first_run + timedelta(minutes=5)
    assert run_at(second_run) == 1
    with tenant_context(tenant_a):
        alert.refresh_from_db()
        assert (alert.status, alert.escalation_level, alert.escalate_at) == ("ESCALATED", 2, None)
        assert alert.events.filter(kind="ESCALATED").count() == 2
    assert notified(tenant_a) == sorted([*level_one, tenant_a_admin.person.pk])
    assert run_at(second_run + timedelta(days=1)) == 0  # level 2 is the top


def test_acknowledging_stops_escalation(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        quiet = raise_test_alert(world.north, severity="CRITICAL")
        services.acknowledge_alert(tenant_a_admin.person, quiet)
        escalated = raise_test_alert(world.north, severity="HIGH")
    assert run_at(timezone.now() + timedelta(minutes=16)) == 1
    with tenant_context(tenant_a):
        escalated.refresh_from_db()
        services.acknowledge_alert(tenant_a_admin.person, escalated, note="Now on it")
        escalated.refresh_from_db()
        assert (escalated.status, escalated.escalation_level, escalated.escalate_at) == ("ACKNOWLEDGED", 1, None)
        assert Alert.objects.get(pk=quiet.pk).escalation_level == 0
    assert run_at(timezone.now() + timedelta(days=1)) == 0


def test_low_alerts_never_escalate_and_medium_after_an_hour(tenant_a: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        low = raise_test_alert(world.north, severity="LOW")
        medium = raise_test_alert(world.north, severity="MEDIUM")
    assert low.escalate_at is None
    assert run_at(medium.first_seen_at + timedelta(minutes=59)) == 0
    assert run_at(medium.first_seen_at + timedelta(minutes=60)) == 1
    with tenant_context(tenant_a):
        assert sorted(Alert.objects.values_list("severity", "status")) == [("LOW", "NEW"), ("MEDIUM", "ESCALATED")]


def test_delays_come_from_the_tenant_then_the_setting_then_the_defaults(
    tenant_a: Any, tenant_b: Any, world: Any, settings: Any
) -> None:
    settings.NOC_ESCALATION_MINUTES = {**settings.NOC_ESCALATION_MINUTES, "CRITICAL": 2}
    tenant_a.settings = {"noc": {"escalation_minutes": {"MEDIUM": 10, "LOW": 30, "HIGH": True, "BOGUS": 5}}}
    tenant_a.save(update_fields=["settings"])
    with tenant_context(tenant_a):
        assert escalation.escalation_minutes() == {"CRITICAL": 2, "HIGH": 15, "MEDIUM": 10, "LOW": 30}
        low = raise_test_alert(world.north, severity="LOW")
        assert low.escalate_at == low.first_seen_at + timedelta(minutes=30)
    with tenant_context(tenant_b):
        assert escalation.escalation_minutes() == {"CRITICAL": 2, "HIGH": 15, "MEDIUM": 60, "LOW": None}
        other = raise_test_alert(None, severity="CRITICAL")
        assert other.escalate_at == other.first_seen_at + timedelta(minutes=2)


def test_an_alert_without_site_people_escalates_to_the_admins(
    tenant_a: Any, tenant_a_admin: Any, tenant_b: Any, tenant_b_admin: Any, world: Any
) -> None:
    with tenant_context(tenant_a):
        raise_test_alert(None, severity="CRITICAL", type="DEVICE_OFFLINE")
        raise_test_alert(world.south, severity="CRITICAL")  # nobody works at south
    with tenant_context(tenant_b):
        raise_test_alert(None, severity="CRITICAL")
    assert run_at(timezone.now() + timedelta(minutes=6)) == 3
    assert notified(tenant_a) == [tenant_a_admin.person.pk, tenant_a_admin.person.pk]
    assert notified(tenant_b) == [tenant_b_admin.person.pk]


def test_the_task_is_registered_retries_and_reports(tenant_a: Any, world: Any) -> None:
    task = celery_app.tasks["noc.escalate_alerts"]
    assert isinstance(task, YoutilityTask)
    assert task.max_retries == 5
    with tenant_context(tenant_a):
        alert = raise_test_alert(world.north, severity="CRITICAL")
        Alert.objects.filter(pk=alert.pk).update(escalate_at=timezone.now() - timedelta(seconds=1))
    report = {"task": "noc.escalate_alerts", "tenants": 1, "done": 1, "failed": {}}
    assert escalate_alerts.apply().get() == {
        **report,
        "total": {"escalated": 1},
        "results": {"alpha": {"escalated": 1}},
    }
    assert escalate_alerts.apply().get() == {**report, "total": {"escalated": 0}, "results": {}}


def test_a_failing_tenant_does_not_stop_the_others_and_is_reported(
    tenant_a: Any, tenant_b: Any, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with tenant_context(tenant_a):
        ours = raise_test_alert(world.north, severity="CRITICAL")
    with tenant_context(tenant_b):
        theirs = raise_test_alert(None, severity="CRITICAL")
    real = escalation.escalate_tenant

    def broken(tenant: Any, now: datetime) -> int:
        if tenant.pk == tenant_a.pk:
            raise ConnectionError("dedicated database unreachable")
        return real(tenant, now)

    monkeypatch.setattr(escalation, "escalate_tenant", broken)
    with structlog.testing.capture_logs() as logs:
        run = escalation.escalate_due_alerts(timezone.now() + timedelta(minutes=6))

    assert run.as_dict() == {
        "task": "noc.escalate_alerts",
        "tenants": 2,
        "done": 1,
        "failed": {"alpha": "ConnectionError"},
        "total": {"escalated": 1},
        "results": {"bravo": {"escalated": 1}},
    }
    assert [(e["event"], e["tenant"]) for e in logs if e["log_level"] == "error"] == [("task.tenant_failed", "alpha")]
    with tenant_context(tenant_a):
        assert Alert.objects.get(pk=ours.pk).status == "NEW"
    with tenant_context(tenant_b):
        assert Alert.objects.get(pk=theirs.pk).status == "ESCALATED"
