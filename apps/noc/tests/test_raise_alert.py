"""raise_alert: one row per open problem, repeats counted, maintenance windows, bad input,
and the e-mails and webhooks a new alert causes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from apps.core.tenancy import tenant_context
from apps.noc import services
from apps.noc.models import Alert, AlertEvent
from apps.notifications.models import NotificationLog, Webhook, WebhookDelivery

from .factories import make_site, make_window, raise_test_alert

pytestmark = pytest.mark.django_db


def _raise(**fields: Any) -> Alert:
    fields.setdefault("type", Alert.Type.SOS)
    fields.setdefault("severity", Alert.Severity.MEDIUM)
    fields.setdefault("dedupe_key", "sos:guard-7")
    fields.setdefault("title", "SOS pressed")
    return services.raise_alert(**fields)


def test_a_new_alert_is_recorded_with_its_timeline(tenant_a: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        before = timezone.now()
        alert = _raise(site=world.north, details={"battery": 41}, source=world.in_charge)
        alert.refresh_from_db()
        assert (alert.type, alert.severity, alert.status, alert.title) == ("SOS", "MEDIUM", "NEW", "SOS pressed")
        assert (alert.site_id, alert.details, alert.occurrences, alert.escalation_level) == (
            world.north.pk,
            {"battery": 41},
            1,
            0,
        )
        assert alert.source == world.in_charge
        assert alert.first_seen_at == alert.last_seen_at >= before
        assert alert.escalate_at == alert.first_seen_at + timedelta(minutes=60)  # MEDIUM's default delay
        events = list(alert.events.values_list("kind", "from_status", "to_status", "actor_id"))
        assert events == [("CREATED", "", "NEW", None)]


def test_the_same_key_while_open_counts_a_repeat(tenant_a: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        first = _raise(site=world.north, details={"n": 1})
        second = _raise(site=world.north, details={"n": 2})
        third = _raise(site=world.north)  # no details: the last ones stay
        assert first.pk == second.pk == third.pk
        assert Alert.objects.count() == 1
        alert = Alert.objects.get()
        assert (alert.occurrences, alert.details) == (3, {"n": 2})
        assert alert.last_seen_at > alert.first_seen_at
        # Repeats within a minute are one timeline entry; the count stays exact.
        assert list(alert.events.values_list("kind", "data")) == [("CREATED", {}), ("REPEATED", {"occurrences": 2})]


def test_a_higher_severity_raises_the_alert_and_brings_escalation_forward(tenant_a: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        alert = _raise(site=world.north, severity="LOW")
        assert alert.escalate_at is None  # LOW never escalates
        alert = _raise(site=world.north, severity="CRITICAL")
        assert alert.severity == "CRITICAL"
        assert alert.escalate_at == alert.last_seen_at + timedelta(minutes=5)
        lower = _raise(site=world.north, severity="MEDIUM")
        assert lower.severity == "CRITICAL"  # never lowered
        assert list(alert.events.values_list("kind", "data")) == [
            ("CREATED", {}),
            ("REPEATED", {"occurrences": 2, "severity": {"from": "LOW", "to": "CRITICAL"}}),
        ]


def test_after_resolution_the_same_key_opens_a_new_alert(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        first = _raise(site=world.north)
        services.resolve_alert(tenant_a_admin.person, first, note="False alarm")
        second = _raise(site=world.north)
        assert second.pk != first.pk
        assert sorted(Alert.objects.values_list("status", "occurrences")) == [("NEW", 1), ("RESOLVED", 1)]


def test_an_open_dedupe_key_is_unique_in_the_database(tenant_a: Any, world: Any) -> None:
    from django.db import IntegrityError, transaction

    with tenant_context(tenant_a):
        alert = _raise(site=world.north)
        constraint = next(c for c in Alert._meta.constraints if c.name == "noc_alert_open_dedupe_key")
        assert sorted(constraint.condition.children[0][1]) == sorted(Alert.OPEN_STATUSES)  # type: ignore[attr-defined]
        now = timezone.now()
        with pytest.raises(IntegrityError), transaction.atomic():
            Alert.objects.create(
                type="SOS", severity="LOW", title="x", dedupe_key=alert.dedupe_key, first_seen_at=now, last_seen_at=now
            )


def test_another_tenant_has_its_own_keys(tenant_a: Any, tenant_b: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        a = _raise(site=world.north)
    with tenant_context(tenant_b):
        b = _raise()
        assert b.pk != a.pk
        assert list(Alert.objects.values_list("pk", "occurrences")) == [(b.pk, 1)]


# --- maintenance windows ---------------------------------------------------------------------


def test_an_alert_at_a_site_under_maintenance_is_suppressed(tenant_a: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        window = make_window(world.north, reason="Fire panel servicing")
        alert = _raise(site=world.north, severity="CRITICAL")
        assert (alert.status, alert.escalate_at) == ("SUPPRESSED", None)
        assert list(alert.events.values_list("kind", "to_status", "note", "data")) == [
            (
                "SUPPRESSED",
                "SUPPRESSED",
                "Raised during maintenance: Fire panel servicing",
                {"maintenance_window": window.pk},
            )
        ]
        # Repeats during the window stay on the one suppressed row.
        again = _raise(site=world.north, severity="CRITICAL")
        assert (again.pk, again.status, again.occurrences) == (alert.pk, "SUPPRESSED", 2)
        # Other sites are not affected, nor are windows that ended or have not started.
        assert _raise(site=world.south, dedupe_key="south").status == "NEW"
        make_window(world.south, starts_in=timedelta(hours=-3), hours=1)
        make_window(world.south, starts_in=timedelta(hours=1), hours=1)
        assert _raise(site=world.south, dedupe_key="south-2").status == "NEW"


def test_a_suppressed_alert_raised_after_the_window_comes_back(tenant_a: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        window = make_window(world.north)
        alert = _raise(site=world.north, severity="HIGH")
        window.ends_at = timezone.now()
        window.save()
        back = _raise(site=world.north, severity="HIGH")
        assert (back.pk, back.status, back.occurrences) == (alert.pk, "NEW", 2)
        assert back.escalate_at == back.last_seen_at + timedelta(minutes=15)
        assert list(back.events.values_list("kind", "from_status", "to_status", "note")) == [
            ("SUPPRESSED", "", "SUPPRESSED", "Raised during maintenance: Generator servicing"),
            ("REPEATED", "SUPPRESSED", "NEW", "Raised again after the maintenance window."),
        ]


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"type": "FIRE"}, "invalid_type", "type"),
        ({"severity": "URGENT"}, "invalid_severity", "severity"),
        ({"dedupe_key": "  "}, "dedupe_key_required", "dedupe_key"),
        ({"dedupe_key": "k" * 201}, "dedupe_key_too_long", "dedupe_key"),
        ({"title": ""}, "title_required", "title"),
        ({"title": "t" * 201}, "title_too_long", "title"),
        ({"title": "nul\x00byte"}, "invalid_title", "title"),
        ({"details": ["not", "an", "object"]}, "invalid_details", "details"),
        ({"details": {"blob": object()}}, "invalid_details", "details"),
        ({"details": {"text": "x" * 20_000}}, "details_too_large", "details"),
        ({"source": "job-17"}, "invalid_source", "source"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    tenant_a: Any, world: Any, fields: Any, code: str, field: str
) -> None:
    with tenant_context(tenant_a):
        with pytest.raises(services.AlertError) as refused:
            _raise(site=world.north, **fields)
        assert (refused.value.code, refused.value.details["field"]) == (code, field)
        assert not Alert.objects.exists()
        assert not AlertEvent.objects.exists()


def test_a_site_or_source_of_another_tenant_is_refused(tenant_a: Any, tenant_b: Any, world: Any) -> None:
    with tenant_context(tenant_b):
        foreign_site = make_site("FOREIGN")
        foreign_alert = raise_test_alert(foreign_site)
    with tenant_context(tenant_a):
        with pytest.raises(services.AlertError) as refused:
            _raise(site=foreign_site)
        assert refused.value.code == "unknown_site"
        with pytest.raises(services.AlertError) as refused:
            _raise(site=world.north, source=foreign_alert)
        assert refused.value.code == "invalid_source"
        assert not Alert.objects.exists()


# --- what a new alert causes ------------------------------------------------------------------


def test_a_high_alert_emails_the_site_in_charge_and_supervisors(
    tenant_a: Any, tenant_a_supervisor: Any, world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(tenant_a), django_capture_on_commit_callbacks(execute=True):
        alert = _raise(site=world.north, severity="HIGH", title="Perimeter breach")
    with tenant_context(tenant_a):
        logged = sorted(NotificationLog.objects.values_list("event", "person_id", "site_id"))
    assert logged == sorted(
        [
            ("alert.created", world.in_charge.pk, world.north.pk),
            ("alert.created", tenant_a_supervisor.person.pk, world.north.pk),
        ]
    )
    assert sorted(message.to[0] for message in mail.outbox) == ["incharge@example.com", "supervisor@example.com"]
    assert mail.outbox[0].subject == "[HIGH] Perimeter breach at North Gate"
    assert f"/noc/alerts/{alert.pk}/" in mail.outbox[0].body


def test_medium_alerts_suppressed_alerts_and_repeats_email_nobody(tenant_a: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        _raise(site=world.north, severity="MEDIUM", dedupe_key="m")
        make_window(world.south)
        _raise(site=world.south, severity="CRITICAL", dedupe_key="s")
        assert not NotificationLog.objects.exists()
        _raise(site=world.north, severity="HIGH", dedupe_key="h")
        assert NotificationLog.objects.count() == 2
        NotificationLog.objects.all().delete()
        _raise(site=world.north, severity="HIGH", dedupe_key="h")  # a repeat
        assert not NotificationLog.objects.exists()


def test_every_created_and_updated_alert_is_emitted_to_webhooks(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        hook = Webhook.objects.create(url="https://hooks.example.com/noc", events=["alert.*"], secret="s" * 40)
        Webhook.objects.create(url="https://hooks.example.com/tickets", events=["ticket.*"], secret="s" * 40)
        make_window(world.south)
        alert = _raise(site=world.north, title="Perimeter breach")
        _raise(site=world.north)
        suppressed = _raise(site=world.south, dedupe_key="quiet")
        services.acknowledge_alert(tenant_a_admin.person, alert, note="On it")
        deliveries = list(WebhookDelivery.objects.order_by("pk").values_list("webhook_id", "event", "payload"))
    assert [(hook_id, event) for hook_id, event, _ in deliveries] == [
        (hook.pk, "alert.created"),
        (hook.pk, "alert.updated"),
        (hook.pk, "alert.created"),
        (hook.pk, "alert.updated"),
    ]
    created = deliveries[0][2]["alert"]
    assert {key: created[key] for key in ("id", "type", "severity", "status", "title", "site_code", "site_name")} == {
        "id": alert.pk,
        "type": "SOS",
        "severity": "MEDIUM",
        "status": "NEW",
        "title": "Perimeter breach",
        "site_code": "NORTH",
        "site_name": "North Gate",
    }
    assert created["url"] == f"/noc/alerts/{alert.pk}/"
    assert deliveries[1][2]["alert"]["occurrences"] == 2
    assert (deliveries[2][2]["alert"]["id"], deliveries[2][2]["alert"]["status"]) == (suppressed.pk, "SUPPRESSED")
    assert deliveries[3][2]["alert"]["acknowledged_by"] == {"id": tenant_a_admin.person.pk, "name": "Admin"}
