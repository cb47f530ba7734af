"""Real threads with their own database connections: concurrent raises of one alert make
one row, and overlapping escalation runs escalate an alert once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from apps.core.tenancy import tenant_context
from apps.noc import escalation, services
from apps.noc.models import Alert, AlertEvent
from apps.notifications.models import NotificationLog

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 6


def run_together(tenant: Any, calls: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Start the calls at the same moment, each in its own thread (own connection) as ``tenant``."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, Any]] = [("pending", None)] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            with tenant_context(tenant):
                barrier.wait()
                results[index] = ("ok", call())
        except Exception as exc:
            results[index] = ("error", repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_concurrent_raises_of_one_key_make_one_alert(tenant_a: Any, world: Any) -> None:
    def raise_it() -> int:
        alert = services.raise_alert(
            type="PANIC", severity="HIGH", dedupe_key="panic:button-3", title="Panic button", site=world.north
        )
        return alert.pk

    results = run_together(tenant_a, [raise_it] * WORKERS)
    assert [kind for kind, _ in results] == ["ok"] * WORKERS, results
    with tenant_context(tenant_a):
        alert = Alert.objects.get()
        assert {value for _, value in results} == {alert.pk}
        assert (alert.status, alert.occurrences) == ("NEW", WORKERS)
        assert AlertEvent.objects.filter(kind="CREATED").count() == 1
        # Only the raise that created it told the site's people.
        assert NotificationLog.objects.filter(event="alert.created").count() == 2


def test_overlapping_escalation_runs_escalate_once(tenant_a: Any, tenant_a_supervisor: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        alerts = [
            services.raise_alert(
                type="SOS", severity="CRITICAL", dedupe_key=f"sos:{n}", title=f"SOS {n}", site=world.north
            )
            for n in range(3)
        ]
        NotificationLog.objects.all().delete()
    later = timezone.now() + timedelta(minutes=6)

    results = run_together(tenant_a, [lambda: escalation.escalate_due_alerts(later).total["escalated"]] * WORKERS)
    assert [kind for kind, _ in results] == ["ok"] * WORKERS, results
    assert sum(value for _, value in results) == 3
    with tenant_context(tenant_a):
        assert sorted(Alert.objects.values_list("pk", "status", "escalation_level")) == [
            (alert.pk, "ESCALATED", 1) for alert in alerts
        ]
        assert AlertEvent.objects.filter(kind="ESCALATED").count() == 3
        assert NotificationLog.objects.filter(event="alert.escalated").count() == 3 * 2
