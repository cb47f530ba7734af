"""Webhook deliveries against a real local HTTP receiver: signature, headers, retries,
refusals by the SSRF guard, timeouts, and what is recorded.

The receivers listen on loopback, so the operator's allow-list covers it here
(``loopback_allowed``); the tests of refusals empty it again, as it is by default."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import structlog.testing
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from apps.core import tenancy
from apps.core.errors import DomainError
from apps.core.tenancy import tenant_context
from apps.notifications import delivery as delivery_module
from apps.notifications import services
from apps.notifications.delivery import purge_old, redispatch_due
from apps.notifications.models import Webhook, WebhookDelivery
from conftest import make_tenant

from .conftest import FakeDNS, Receiver, deliver
from .factories import ALERT, TICKET, make_webhook

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_allowed")]


def verify(secret: str, received: Any, tolerance: int = 300) -> dict[str, Any]:
    """Check a request exactly as a receiver would; return the parsed body."""
    parts = dict(item.split("=", 1) for item in received.headers["x-youtility-signature"].split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, parts["v1"]), "the signature does not match the body"
    assert abs(time.time() - timestamp) < tolerance
    return json.loads(received.body)


def emit_in(tenant: Any, event: str, payload: dict[str, Any]) -> list[WebhookDelivery]:
    with tenant_context(tenant):
        before = set(WebhookDelivery.objects.values_list("pk", flat=True))
        services.emit(event, payload)
        return list(WebhookDelivery.objects.exclude(pk__in=before).order_by("pk"))


def fresh(tenant: Any, row: Any) -> Any:
    with tenant_context(tenant):
        return type(row).objects.get(pk=row.pk)


def queued() -> int:
    """Run the redispatch sweep as the beat does; every database must finish."""
    run = redispatch_due()
    assert run.failed == {}
    return run.total["queued"]


def test_a_delivery_is_signed_and_carries_the_event_and_its_id(tenant_a: Any, receiver: Receiver) -> None:
    with tenant_context(tenant_a):
        _webhook, secret = make_webhook(receiver.url("/hooks/in?source=yt"), events=["alert.*"])
    (delivery,) = emit_in(tenant_a, "alert.created", {"alert": ALERT})

    assert deliver(tenant_a, delivery) == "SUCCEEDED"

    (request,) = receiver.requests
    assert (request.method, request.path) == ("POST", "/hooks/in?source=yt")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-youtility-event"] == "alert.created"
    assert request.headers["x-youtility-delivery"] == str(delivery.uuid)
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert request.headers["user-agent"] == "Youtility-Webhooks/1.0"
    assert verify(secret, request) == {
        "id": str(delivery.uuid),
        "event": "alert.created",
        "created_at": delivery.created_at.isoformat(),
        "tenant": "alpha",
        "data": {"alert": ALERT},
    }
    done = fresh(tenant_a, delivery)
    assert (done.status, done.attempts, done.response_code, done.response_excerpt) == ("SUCCEEDED", 1, 200, "")
    assert (done.error_code, done.last_error, done.next_attempt_at) == ("", "", None)
    assert done.delivered_at is not None and done.duration_ms is not None


def test_a_tampered_body_fails_verification(tenant_a: Any, receiver: Receiver) -> None:
    with tenant_context(tenant_a):
        _webhook, secret = make_webhook(receiver.url())
    (delivery,) = emit_in(tenant_a, "ticket.created", {"ticket": TICKET})
    deliver(tenant_a, delivery)
    (request,) = receiver.requests
    request.body = request.body.replace(b"Broken fence", b"Fixed fence!")
    with pytest.raises(AssertionError, match="signature does not match"):
        verify(secret, request)


def test_only_active_webhooks_subscribed_to_the_event_get_it(tenant_a: Any, tenant_b: Any) -> None:
    with tenant_context(tenant_a):
        alerts, _ = make_webhook(events=["alert.*"])
        created, _ = make_webhook(events=["ticket.created", "alert.escalated"])
        make_webhook(events=["alert.*"], active=False)
    with tenant_context(tenant_b):
        make_webhook(events=["alert.*", "ticket.*"])

    assert [d.webhook_id for d in emit_in(tenant_a, "alert.created", {"n": 1})] == [alerts.pk]
    assert [d.webhook_id for d in emit_in(tenant_a, "alert.escalated", {"n": 2})] == [alerts.pk, created.pk]
    assert [d.webhook_id for d in emit_in(tenant_a, "ticket.created", {"n": 3})] == [created.pk]
    assert emit_in(tenant_a, "ticket.updated", {"n": 4}) == []
    with tenant_context(tenant_b):
        assert WebhookDelivery.objects.count() == 0


def test_emit_refuses_unknown_events_and_oversized_or_odd_payloads(tenant_a: Any) -> None:
    with tenant_context(tenant_a):
        make_webhook(events=["alert.*"])
        with pytest.raises(ValueError, match=r"Unknown notification event 'alert\.deleted'"):
            services.emit("alert.deleted", {})
        with pytest.raises(ValueError, match="JSON-serialisable"):
            services.emit("alert.created", {"when": object()})
        with pytest.raises(DomainError) as too_big:
            services.emit("alert.created", {"blob": "x" * (256 * 1024)})
        assert (too_big.value.code, too_big.value.status) == ("payload_too_large", 413)
        assert WebhookDelivery.objects.count() == 0


def test_emit_sends_nothing_before_commit_and_nothing_after_a_rollback(
    tenant_a: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(tenant_a):
        make_webhook(receiver.url(), events=["alert.*"])
        with django_capture_on_commit_callbacks() as queued:
            services.emit("alert.created", {"alert": ALERT})
        assert len(queued) == 1  # the publish waits for the commit
        with pytest.raises(RuntimeError), django_capture_on_commit_callbacks() as rolled_back:
            with transaction.atomic():
                services.emit("alert.updated", {"alert": ALERT})
                raise RuntimeError("the alert was not saved")
        assert rolled_back == []
        assert list(WebhookDelivery.objects.values_list("event", flat=True)) == ["alert.created"]
    assert receiver.requests == []


def test_5xx_and_429_are_retried_with_the_same_delivery_id_until_accepted(
    tenant_a: Any, receiver: Receiver, run_on_commit: Any
) -> None:
    receiver.answer(500, 503, 429)
    with tenant_context(tenant_a):
        _webhook, secret = make_webhook(receiver.url(), events=["ticket.*"])
        with run_on_commit():
            services.emit("ticket.escalated", {"ticket": TICKET, "level": 2})
        delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("SUCCEEDED", 4, 200)
    assert len(receiver.requests) == 4
    assert {r.headers["x-youtility-delivery"] for r in receiver.requests} == {str(delivery.uuid)}
    assert len({r.body for r in receiver.requests}) == 1  # the same bytes every time
    for request in receiver.requests:
        assert verify(secret, request)["data"] == {"ticket": TICKET, "level": 2}


def test_a_failed_attempt_records_why_and_when_the_next_one_is_due(tenant_a: Any, receiver: Receiver) -> None:
    receiver.answer(502)
    receiver.body = b"bad gateway " * 200
    with tenant_context(tenant_a):
        make_webhook(receiver.url())
    (delivery,) = emit_in(tenant_a, "alert.created", {"alert": ALERT})
    before = timezone.now()
    assert deliver(tenant_a, delivery) == "PENDING"
    failed = fresh(tenant_a, delivery)
    assert (failed.attempts, failed.response_code, failed.error_code) == (1, 502, "http_error")
    assert failed.last_error == "The receiver answered 502."
    assert failed.response_excerpt == ""  # the answer's body is not kept by default
    # The first retry waits 30 s (plus up to 10 % jitter).
    assert before + timedelta(seconds=29) < failed.next_attempt_at < timezone.now() + timedelta(seconds=34)
    # Not due yet: running the task again (a duplicate message) sends nothing.
    assert deliver(tenant_a, delivery) == "PENDING"
    assert len(receiver.requests) == 1


def test_delivery_gives_up_after_the_last_attempt(
    tenant_a: Any, receiver: Receiver, run_on_commit: Any, settings: Any
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.default_code = 500
    with tenant_context(tenant_a):
        make_webhook(receiver.url())
        with run_on_commit():
            services.emit("alert.created", {"alert": ALERT})
        delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("FAILED", 3, 500)
    assert (delivery.error_code, delivery.next_attempt_at) == ("http_error", None)
    assert len(receiver.requests) == 3


@pytest.mark.parametrize(
    ("code", "error_code", "message"),
    [
        (404, "http_error", "The receiver answered 404."),
        (401, "http_error", "The receiver answered 401."),
        (302, "redirect", "The receiver answered 302; redirects are not followed."),
        (307, "redirect", "The receiver answered 307; redirects are not followed."),
    ],
)
def test_other_answers_fail_at_once_and_redirects_are_not_followed(
    tenant_a: Any, receiver: Receiver, run_on_commit: Any, code: int, error_code: str, message: str
) -> None:
    receiver.answer(code)
    with tenant_context(tenant_a):
        make_webhook(receiver.url())
        with run_on_commit():
            services.emit("alert.created", {"alert": ALERT})
        delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("FAILED", 1, code)
    assert (delivery.error_code, delivery.last_error) == (error_code, message)
    assert [r.path for r in receiver.requests] == ["/hooks/in"]  # never /redirected


def test_a_finished_delivery_is_not_sent_again(tenant_a: Any, receiver: Receiver) -> None:
    with tenant_context(tenant_a):
        make_webhook(receiver.url())
    (delivery,) = emit_in(tenant_a, "alert.created", {"alert": ALERT})
    assert deliver(tenant_a, delivery) == "SUCCEEDED"
    assert deliver(tenant_a, delivery) == "SUCCEEDED"
    assert len(receiver.requests) == 1


def test_a_deactivated_webhook_gets_nothing_already_queued(tenant_a: Any, receiver: Receiver) -> None:
    with tenant_context(tenant_a):
        webhook, _ = make_webhook(receiver.url())
    (delivery,) = emit_in(tenant_a, "alert.created", {"alert": ALERT})
    with tenant_context(tenant_a):
        services.update_webhook(None, webhook, active=False)
    assert deliver(tenant_a, delivery) == "FAILED"
    assert fresh(tenant_a, delivery).error_code == "webhook_inactive"
    assert receiver.connections == 0


# --- The SSRF guard at delivery time ----------------------------------------------------------


def _unchecked_webhook(url: str) -> Webhook:
    """A webhook whose URL passed registration but points somewhere else now (DNS changed,
    the operator narrowed the allow-list, or it was written before the guard): made with
    the ORM, as the service would refuse it."""
    return Webhook.objects.create(url=url, events=["alert.*"], secret="whsec_test")


@pytest.mark.parametrize(
    ("url", "address", "reason"),
    [
        ("http://127.0.0.1:{port}/hooks", "127.0.0.1", "loopback"),
        ("http://localhost:{port}/hooks", "127.0.0.1", "loopback"),
        ("http://10.20.30.40/hooks", "10.20.30.40", "private"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", "link-local"),
    ],
)
def test_delivery_to_a_private_address_is_refused_without_connecting(
    tenant_a: Any, receiver: Receiver, settings: Any, url: str, address: str, reason: str
) -> None:
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = []  # the default
    with tenant_context(tenant_a):
        _unchecked_webhook(url.format(port=receiver.port))
    (delivery,) = emit_in(tenant_a, "alert.created", {"alert": ALERT})
    assert deliver(tenant_a, delivery) == "FAILED"
    refused = fresh(tenant_a, delivery)
    assert (refused.attempts, refused.response_code, refused.error_code) == (1, None, "private_address")
    host = url.split("/")[2].split(":")[0]
    expected = (
        f"{address} is a {reason} address" if host == address else f"{host} resolves to {address}, a {reason} address"
    )
    assert (
        refused.last_error == f"Refused without connecting: {expected}; the installation does not allow this network."
    )
    assert refused.duration_ms is not None and refused.duration_ms < 1000
    assert receiver.connections == 0


def test_delivery_to_ipv6_loopback_is_refused_without_connecting(
    tenant_a: Any, receiver6: Receiver, settings: Any
) -> None:
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]  # IPv4 loopback only
    with tenant_context(tenant_a):
        _unchecked_webhook(receiver6.url())
    (delivery,) = emit_in(tenant_a, "alert.created", {"alert": ALERT})
    assert deliver(tenant_a, delivery) == "FAILED"
    assert fresh(tenant_a, delivery).error_code == "private_address"
    assert receiver6.connections == 0


def test_the_operators_allow_list_lets_a_webhook_reach_ipv6_loopback(tenant_a: Any, receiver6: Receiver) -> None:
    with tenant_context(tenant_a):
        _webhook, secret = make_webhook(receiver6.url())
    (delivery,) = emit_in(tenant_a, "alert.created", {"alert": ALERT})
    assert deliver(tenant_a, delivery) == "SUCCEEDED"
    (request,) = receiver6.requests
    assert request.headers["host"] == f"[::1]:{receiver6.port}"
    assert verify(secret, request)["event"] == "alert.created"


def test_a_name_rebound_to_a_private_address_after_registration_is_refused(
    tenant_a: Any, receiver: Receiver, fake_dns: FakeDNS, settings: Any
) -> None:
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = []
    fake_dns["hooks.partner.test"] = ["8.8.8.8"]
    with tenant_context(tenant_a):
        make_webhook(f"http://hooks.partner.test:{receiver.port}/in")
    fake_dns["hooks.partner.test"] = ["127.0.0.1"]  # the attacker's DNS now answers loopback
    (delivery,) = emit_in(tenant_a, "alert.created", {"alert": ALERT})
    assert deliver(tenant_a, delivery) == "FAILED"
    assert fresh(tenant_a, delivery).error_code == "private_address"
    assert receiver.connections == 0


def test_the_connection_goes_to_the_checked_address_with_the_original_host(
    tenant_a: Any, receiver: Receiver, fake_dns: FakeDNS
) -> None:
    fake_dns["hooks.internal.test"] = ["127.0.0.1"]
    with tenant_context(tenant_a):
        _webhook, secret = make_webhook(f"http://hooks.internal.test:{receiver.port}/in")
    (delivery,) = emit_in(tenant_a, "alert.created", {"alert": ALERT})
    fake_dns.lookups.clear()
    assert deliver(tenant_a, delivery) == "SUCCEEDED"
    assert fake_dns.lookups == ["hooks.internal.test"]  # resolved once: the check and the connection agree
    (request,) = receiver.requests
    assert request.headers["host"] == f"hooks.internal.test:{receiver.port}"
    assert verify(secret, request)["id"] == str(delivery.uuid)


def test_https_uses_the_url_host_for_sni_and_certificate_while_connecting_to_the_checked_address(
    tenant_a: Any, tls_receiver: Receiver, fake_dns: FakeDNS, certificate: Any, settings: Any
) -> None:
    settings.WEBHOOK_CA_FILE = str(certificate[0])
    fake_dns["hooks.example.test"] = ["127.0.0.1"]
    with tenant_context(tenant_a):
        _webhook, secret = make_webhook(tls_receiver.url(host="hooks.example.test", scheme="https"))
    (delivery,) = emit_in(tenant_a, "alert.created", {"alert": ALERT})
    assert deliver(tenant_a, delivery) == "SUCCEEDED"
    assert tls_receiver.server_names == ["hooks.example.test"]
    (request,) = tls_receiver.requests
    assert request.headers["host"] == f"hooks.example.test:{tls_receiver.port}"
    assert verify(secret, request)["event"] == "alert.created"


def test_https_to_a_host_the_certificate_does_not_name_fails_and_is_retried(
    tenant_a: Any, tls_receiver: Receiver, fake_dns: FakeDNS, certificate: Any, settings: Any
) -> None:
    settings.WEBHOOK_CA_FILE = str(certificate[0])
    fake_dns["other.example.test"] = ["127.0.0.1"]
    with tenant_context(tenant_a):
        make_webhook(tls_receiver.url(host="other.example.test", scheme="https"))
    (delivery,) = emit_in(tenant_a, "alert.created", {"alert": ALERT})
    assert deliver(tenant_a, delivery) == "PENDING"
    failed = fresh(tenant_a, delivery)
    assert (failed.error_code, failed.attempts) == ("tls_error", 1)
    assert "certificate" in failed.last_error.lower()
    assert tls_receiver.requests == []


def test_a_slow_receiver_times_out(tenant_a: Any, receiver: Receiver, settings: Any) -> None:
    settings.WEBHOOK_READ_TIMEOUT_SECONDS = 0.3
    receiver.delay = 1.0
    with tenant_context(tenant_a):
        make_webhook(receiver.url())
    (delivery,) = emit_in(tenant_a, "alert.created", {"alert": ALERT})
    assert deliver(tenant_a, delivery) == "PENDING"
    failed = fresh(tenant_a, delivery)
    assert (failed.error_code, failed.response_code, failed.attempts) == ("timeout", None, 1)
    assert failed.next_attempt_at is not None


def test_a_receiver_dripping_its_answer_is_cut_at_the_deadline(
    tenant_a: Any, receiver: Receiver, settings: Any
) -> None:
    settings.WEBHOOK_TOTAL_TIMEOUT_SECONDS = 0.6
    receiver.drip = True  # a header line every 0.2 s: no single read times out
    with tenant_context(tenant_a):
        make_webhook(receiver.url())
    (delivery,) = emit_in(tenant_a, "alert.created", {"alert": ALERT})
    started = time.monotonic()
    assert deliver(tenant_a, delivery) == "PENDING"
    assert time.monotonic() - started < 3
    assert fresh(tenant_a, delivery).error_code == "timeout"


def test_a_closed_port_is_a_retryable_connection_failure(tenant_a: Any, receiver: Receiver) -> None:
    with tenant_context(tenant_a):
        make_webhook("http://127.0.0.1:1/hooks")
    (delivery,) = emit_in(tenant_a, "alert.created", {"alert": ALERT})
    assert deliver(tenant_a, delivery) == "PENDING"
    failed = fresh(tenant_a, delivery)
    assert (failed.error_code, failed.attempts, failed.response_code) == ("connect_failed", 1, None)
    assert failed.last_error == "Could not talk to 127.0.0.1: ConnectionRefusedError."


def test_the_rotated_secret_signs_what_is_sent_next(tenant_a: Any, receiver: Receiver) -> None:
    with tenant_context(tenant_a):
        webhook, old = make_webhook(receiver.url())
    (delivery,) = emit_in(tenant_a, "alert.created", {"alert": ALERT})
    with tenant_context(tenant_a):
        _webhook, new = services.rotate_secret(None, webhook)
    assert new != old and new.startswith("whsec_") and len(new) == 49
    deliver(tenant_a, delivery)
    (request,) = receiver.requests
    assert verify(new, request)
    with pytest.raises(AssertionError):
        verify(old, request)


# --- Concurrency, redispatch, retention ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_running_one_delivery_at_once_send_it_once(receiver: Receiver) -> None:
    tenant = make_tenant("racers")
    receiver.delay = 0.3  # the first attempt is still sending when the second arrives
    with tenant_context(tenant):
        make_webhook(receiver.url())
    (delivery,) = emit_in(tenant, "alert.created", {"alert": ALERT})
    barrier = threading.Barrier(2)
    results: list[str] = []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(deliver(tenant, delivery))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == ["SUCCEEDED", "SUCCEEDED"]
    assert len(receiver.requests) == 1
    assert fresh(tenant, delivery).attempts == 1


@pytest.mark.django_db(databases=["default", "dedicated"])
def test_overdue_deliveries_are_queued_again(tenant_a: Any, tenant_b: Any, receiver: Receiver, eager: None) -> None:
    with tenant_context(tenant_a):
        make_webhook(receiver.url())
    (overdue,) = emit_in(tenant_a, "alert.created", {"alert": ALERT})
    (recent,) = emit_in(tenant_a, "alert.updated", {"alert": ALERT})
    with tenant_context(tenant_a):
        WebhookDelivery.objects.filter(pk=overdue.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=10))

    assert queued() == 1  # the publish of the overdue one was lost; the recent one is not late yet
    assert [r.headers["x-youtility-delivery"] for r in receiver.requests] == [str(overdue.uuid)]
    assert fresh(tenant_a, overdue).status == "SUCCEEDED"
    assert fresh(tenant_a, recent).status == "PENDING"
    assert queued() == 0


@pytest.mark.django_db(databases=["default", "dedicated"])
def test_finished_deliveries_past_retention_are_purged(tenant_a: Any, receiver: Receiver) -> None:
    with tenant_context(tenant_a):
        make_webhook(receiver.url())
    old_done, old_pending, new_done = (emit_in(tenant_a, "alert.created", {"n": n})[0] for n in range(3))
    deliver(tenant_a, old_done)
    deliver(tenant_a, new_done)
    with tenant_context(tenant_a):
        WebhookDelivery.objects.filter(pk__in=[old_done.pk, old_pending.pk]).update(
            created_at=timezone.now() - timedelta(days=91)
        )
    run = purge_old()
    assert (run.failed, run.total) == ({}, {"notification_logs": 0, "webhook_deliveries": 1})
    with tenant_context(tenant_a):
        assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {old_pending.pk, new_done.pk}


def overdue_delivery(tenant: Any, receiver: Receiver) -> WebhookDelivery:
    """A pending delivery of ``tenant`` whose task was lost ten minutes ago."""
    with tenant_context(tenant):
        make_webhook(receiver.url())
    (row,) = emit_in(tenant, "alert.created", {"alert": ALERT})
    with tenant_context(tenant):
        WebhookDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=10))
    return row


@pytest.mark.django_db(databases=["default", "dedicated"])
def test_a_failing_database_does_not_stop_the_redispatch_of_the_others(
    tenant_a: Any, receiver: Receiver, eager: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant_x = make_tenant("xray", db_alias="dedicated")
    ours, theirs = overdue_delivery(tenant_a, receiver), overdue_delivery(tenant_x, receiver)
    real = delivery_module._redispatch

    def broken(alias: str, *args: Any) -> int:
        if alias == "default":
            raise DatabaseError("database unreachable")
        return real(alias, *args)

    monkeypatch.setattr(delivery_module, "_redispatch", broken)
    with structlog.testing.capture_logs() as logs:
        run = redispatch_due()

    assert run.as_dict() == {
        "task": "notifications.redispatch_due",
        "databases": 2,
        "done": 1,
        "failed": {"default": "DatabaseError"},
        "total": {"queued": 1},
        "results": {"dedicated": {"queued": 1}},
    }
    assert [(e["event"], e["database"]) for e in logs if e["log_level"] == "error"] == [
        ("task.database_failed", "default")
    ]
    assert [r.headers["x-youtility-delivery"] for r in receiver.requests] == [str(theirs.uuid)]
    assert (fresh(tenant_a, ours).status, fresh(tenant_x, theirs).status) == ("PENDING", "SUCCEEDED")


@pytest.mark.django_db(databases=["default", "dedicated"])
def test_a_failing_database_does_not_stop_the_purge_of_the_others(
    tenant_a: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant_x = make_tenant("xray", db_alias="dedicated")
    rows = {}
    for tenant in (tenant_a, tenant_x):
        with tenant_context(tenant):
            make_webhook(receiver.url())
        (rows[tenant.slug],) = emit_in(tenant, "alert.created", {"alert": ALERT})
        with tenant_context(tenant):
            WebhookDelivery.objects.filter(pk=rows[tenant.slug].pk).update(
                status="SUCCEEDED", created_at=timezone.now() - timedelta(days=91)
            )
    real = delivery_module._purge_before

    def broken(cutoff: Any) -> dict[str, int]:
        if tenancy.db_alias() == "default":
            raise DatabaseError("database unreachable")
        return real(cutoff)

    monkeypatch.setattr(delivery_module, "_purge_before", broken)
    assert purge_old().as_dict() == {
        "task": "notifications.purge_old",
        "databases": 2,
        "done": 1,
        "failed": {"default": "DatabaseError"},
        "total": {"notification_logs": 0, "webhook_deliveries": 1},
        "results": {"dedicated": {"notification_logs": 0, "webhook_deliveries": 1}},
    }
    with tenant_context(tenant_a):
        assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [rows["alpha"].pk]
    with tenant_context(tenant_x):
        assert not WebhookDelivery.objects.exists()
