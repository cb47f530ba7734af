"""The change log's reads are served by indexes that lead with the tenant: no sequential scan
of the table for the list (newest first, filtered too) nor for one object's history."""

from __future__ import annotations

import re
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.utils import timezone

from apps.audit import selectors
from apps.audit.filtersets import ChangeLogFilterSet
from apps.audit.models import ChangeLog
from apps.core import tenancy
from apps.core.tenancy import tenant_context
from apps.people.models import Person
from apps.tenants.models import Lookup, Tenant

ROWS_PER_TENANT = 3000


def owner_connection(alias: str) -> psycopg.Connection:
    """The schema owner, which may ANALYZE the table the runtime role writes."""
    db = connections[alias].settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        user=settings.TEST_OWNER_USER,  # type: ignore[misc]
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        password=db["PASSWORD"] or None,
        autocommit=True,
    )


def fill(tenant: Tenant, lookup_type: int) -> None:
    now = timezone.now()
    with tenant_context(tenant):
        ChangeLog.objects.bulk_create(
            ChangeLog(
                time=now,
                actor_label="system",
                door="SYSTEM",
                action="UPDATE",
                object_type_id=lookup_type,
                object_id=n % 500,
                object_repr=f"Lookup {n % 500}",
                changes={"name": [str(n), str(n + 1)]},
            )
            for n in range(ROWS_PER_TENANT)
        )


def plan(queryset: Any) -> str:
    return str(queryset.explain())


@pytest.mark.django_db(transaction=True)
def test_the_list_and_an_objects_history_use_the_indexes(
    tenant_a: Tenant, tenant_b: Tenant, tenant_a_admin: Any
) -> None:
    lookup_type = ContentType.objects.get_for_model(Lookup).pk
    fill(tenant_a, lookup_type)
    fill(tenant_b, lookup_type)
    with owner_connection(tenancy.db_alias()) as owner:
        owner.execute("ANALYZE audit_changelog")
    with tenant_context(tenant_a):
        admin = Person.objects.get(pk=tenant_a_admin.person.pk)
        newest = selectors.entries_for(admin)[:50]
        filtered = ChangeLogFilterSet(
            {"object_type": "tenants.lookup", "object_id": "7"}, queryset=selectors.entries_for(admin)
        ).qs[:50]
        by_door = ChangeLogFilterSet({"door": ["REST"]}, queryset=selectors.entries_for(admin)).qs[:50]
        history = selectors.history_of(Lookup(pk=7))[: selectors.HISTORY_LIMIT]
        plans = {"list": plan(newest), "object": plan(filtered), "door": plan(by_door), "history": plan(history)}
        assert len(selectors.history(Lookup(pk=7))) == ROWS_PER_TENANT // 500  # tenant B's never
    for name, text in plans.items():
        assert "Seq Scan on audit_changelog" not in text, (name, text)
    assert re.search(r"Index (Only )?Scan( Backward)? using audit_changelog_recent", plans["list"]), plans["list"]
    assert "audit_changelog_object" in plans["object"], plans["object"]
    assert "audit_changelog_object" in plans["history"], plans["history"]
