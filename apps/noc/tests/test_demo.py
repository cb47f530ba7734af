"""The demo alerts load once: running the demo step again adds nothing."""

from __future__ import annotations

from typing import Any

import pytest

from apps.core.tenancy import tenant_context
from apps.noc.demo import DEMO_ALERTS, DEMO_STEPS, load_alerts
from apps.noc.models import Alert, AlertEvent, MaintenanceWindow

from .factories import make_site

pytestmark = pytest.mark.django_db


def snapshot() -> tuple[Any, ...]:
    return (
        sorted(Alert.objects.values_list("dedupe_key", "type", "severity", "status", "site__code")),
        sorted(AlertEvent.objects.values_list("alert__dedupe_key", "kind")),
        list(MaintenanceWindow.objects.values_list("site__code", "reason")),
    )


def test_demo_alerts_are_loaded_once(tenant_a: Any, tenant_a_supervisor: Any) -> None:
    said: list[str] = []
    assert DEMO_STEPS == [(60, load_alerts)]  # after sites (20), people (30) and assets (40)
    with tenant_context(tenant_a):
        for code in ("S1", "S2", "S3", "S4", "S5"):
            make_site(code)
        load_alerts(tenant_a, said.append)
        first = snapshot()
        load_alerts(tenant_a, said.append)
        assert snapshot() == first
    assert said == [
        "  noc: 7 alerts added, maintenance window at S5",
        "  noc: 0 alerts added, maintenance window at S5",
    ]
    alerts, events, windows = first
    assert len(alerts) == len(DEMO_ALERTS) + 1
    assert {row[3] for row in alerts} == {"NEW", "ACKNOWLEDGED", "SUPPRESSED"}
    assert {row[4] for row in alerts} == {"S1", "S2", "S3", "S4", "S5"}
    assert {row[2] for row in alerts} == {"LOW", "MEDIUM", "HIGH", "CRITICAL"}
    assert len({row[1] for row in alerts}) == 6
    assert [kind for key, kind in events if key == "demo:2"] == ["ACKNOWLEDGED", "CREATED"]
    assert len(events) == len(alerts) + 1
    assert windows == [("S5", "Demo: generator and fire-panel servicing")]
