"""A tenant in a dedicated database raises, lists and escalates its alerts there."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.tenancy import system_context, tenant_context
from apps.noc import escalation
from apps.noc.models import Alert
from conftest import make_persona, make_tenant

from .factories import make_site, raise_test_alert

pytestmark = pytest.mark.django_db(databases=["default", "dedicated"])


def test_alerts_of_a_dedicated_tenant_live_in_its_database() -> None:
    tenant = make_tenant("isolated", db_alias="dedicated")
    admin = make_persona(tenant, "admin")
    with tenant_context(tenant):
        site = make_site("ISO")
        alert = raise_test_alert(site, severity="CRITICAL", source=site)
        again = raise_test_alert(site, severity="CRITICAL", dedupe_key=alert.dedupe_key)
        assert again.pk == alert.pk
        assert Alert.objects.using("dedicated").filter(pk=alert.pk).exists()
    with system_context("test: nothing in the shared database"):
        assert not Alert.objects.using("default").exists()

    response = admin.client().get("/api/v1/alerts/")
    assert response.status_code == 200
    [item] = response.json()["results"]
    assert (item["id"], item["occurrences"], item["source"]) == (alert.pk, 2, {"type": "sites.site", "id": site.pk})

    run = escalation.escalate_due_alerts(timezone.now() + timedelta(minutes=6))
    assert (run.failed, run.total) == ({}, {"escalated": 1})
    with tenant_context(tenant):
        assert Alert.objects.get(pk=alert.pk).status == "ESCALATED"
