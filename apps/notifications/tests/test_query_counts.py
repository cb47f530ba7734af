"""Query counts of the lists: the same for one row as for five (no query per row)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.tenancy import tenant_context
from apps.notifications import selectors, services

from .factories import ALERT, make_person, make_webhook

pytestmark = pytest.mark.django_db

# Authentication reads the person and their roles; then the page's count and its rows
# (and, for deliveries, the webhook they belong to).
AUTH = 2
PINNED = {"webhooks": AUTH + 2, "deliveries": AUTH + 3, "logs": AUTH + 2}


def counted(client: Any, path: str) -> tuple[int, int]:
    client.get(path)  # warm the per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(captured), response.json()["count"]


def test_lists_cost_the_same_queries_for_one_row_and_five(tenant_a: Any, tenant_a_admin: Any) -> None:
    client = tenant_a_admin.client()
    with tenant_context(tenant_a):
        webhook, _ = make_webhook()
    paths = {
        "webhooks": "/api/v1/webhooks/",
        "deliveries": f"/api/v1/webhooks/{webhook.pk}/deliveries/",
        "logs": "/api/v1/notification-logs/",
    }
    for rows in (1, 5):
        with tenant_context(tenant_a):
            while selectors.webhooks().count() < rows:
                make_webhook()
            while selectors.deliveries_of(webhook).count() < rows:
                services.ping_webhook(None, webhook)
                services.notify("alert.created", people=[make_person()], context={"alert": ALERT})
        assert {name: counted(client, path) for name, path in paths.items()} == {
            name: (PINNED[name], rows) for name in paths
        }
