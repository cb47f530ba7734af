"""The per-tenant runner of periodic tasks: order, context, transaction, isolation of a
failing tenant (or database), the report a task returns, and the log a failure leaves."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pytest
import structlog
import structlog.testing
from django.conf import settings
from django.db import connection, connections

from apps.core import tenancy
from apps.core.tenant_runner import for_each_database, for_each_tenant
from apps.tenants.models import Lookup, Tenant
from conftest import make_tenant

pytestmark = pytest.mark.django_db


def add_lookup(code: str) -> None:
    Lookup.objects.create(kind=Lookup.Kind.EVENT_TYPE, code=code, name=code)


def lookups(tenant: Tenant) -> list[str]:
    with tenancy.tenant_context(tenant):
        return sorted(Lookup.objects.filter(kind=Lookup.Kind.EVENT_TYPE).values_list("code", flat=True))


def errors(logs: list[MutableMapping[str, Any]]) -> list[dict[str, Any]]:
    return [dict(entry) for entry in logs if entry["log_level"] == "error"]


def test_each_active_tenant_runs_in_key_order_in_its_own_context_and_transaction() -> None:
    # Made out of name order: the runner goes by primary key, whatever the model's ordering.
    charlie, alpha = make_tenant("charlie"), make_tenant("alpha")
    make_tenant("bravo")
    asleep = make_tenant("delta")
    Tenant.objects.filter(pk=asleep.pk).update(is_active=False)
    with tenancy.tenant_context(alpha):
        add_lookup("A1")
        add_lookup("A2")
    with tenancy.tenant_context(charlie):
        add_lookup("C1")
    outside = len(connection.atomic_blocks)
    seen: list[tuple[str, str, str, int, Any]] = []

    def work(tenant: Tenant) -> dict[str, int]:
        ctx = tenancy.current_tenant()
        depth = len(connections[ctx.db_alias].atomic_blocks) - outside
        seen.append((tenant.slug, ctx.slug, ctx.db_alias, depth, structlog.contextvars.get_contextvars().get("tenant")))
        return {"lookups": Lookup.objects.filter(kind=Lookup.Kind.EVENT_TYPE).count()}

    run = for_each_tenant("test.count_lookups", work)

    assert seen == [
        ("charlie", "charlie", "default", 1, "charlie"),
        ("alpha", "alpha", "default", 1, "alpha"),
        ("bravo", "bravo", "default", 1, "bravo"),
    ]
    assert run.results == {"charlie": {"lookups": 1}, "alpha": {"lookups": 2}, "bravo": {"lookups": 0}}
    assert run.as_dict() == {
        "task": "test.count_lookups",
        "tenants": 3,
        "done": 3,
        "failed": {},
        "total": {"lookups": 3},
        "results": {"charlie": {"lookups": 1}, "alpha": {"lookups": 2}},  # bravo had nothing
    }
    assert tenancy.current() is None
    assert "tenant" not in structlog.contextvars.get_contextvars()

    seen.clear()
    for_each_tenant("test.count_lookups", work, atomic=False)
    assert [depth for _, _, _, depth, _ in seen] == [0, 0, 0]


@pytest.mark.parametrize(("atomic", "left_behind"), [(True, []), (False, ["A-HALF"])])
def test_a_failing_tenant_is_logged_reported_and_the_next_ones_still_run(atomic: bool, left_behind: list[str]) -> None:
    alpha, bravo, charlie = make_tenant("alpha"), make_tenant("bravo"), make_tenant("charlie")

    def work(tenant: Tenant) -> dict[str, int]:
        add_lookup(f"{tenant.slug[0].upper()}-HALF")
        if tenant.slug == "alpha":
            raise KeyError("the secret lies here")
        return {"done": 1}

    with structlog.testing.capture_logs() as logs:
        run = for_each_tenant("test.half_done", work, atomic=atomic)

    assert run.as_dict() == {
        "task": "test.half_done",
        "tenants": 3,
        "done": 2,
        "failed": {"alpha": "KeyError"},
        "total": {"done": 2},
        "results": {"bravo": {"done": 1}, "charlie": {"done": 1}},
    }
    # The whole traceback goes to the log (exc_info); the report carries the class only.
    assert errors(logs) == [
        {
            "event": "task.tenant_failed",
            "log_level": "error",
            "task": "test.half_done",
            "tenant": "alpha",
            "error": "KeyError",
            "exc_info": True,
        }
    ]
    # In its own transaction the failing tenant's half-done work is undone; without one
    # (work that commits in batches) what it did before the failure stays.
    assert (lookups(alpha), lookups(bravo), lookups(charlie)) == (left_behind, ["B-HALF"], ["C-HALF"])


@pytest.mark.django_db(transaction=True, databases=["default", "dedicated"])
def test_a_tenant_whose_database_is_down_does_not_stop_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    make_tenant("alpha")
    make_tenant("bravo", db_alias="dedicated")
    make_tenant("charlie")
    # The dedicated database goes away: nothing answers where its server was.
    dedicated = connections["dedicated"]
    dedicated.close()
    monkeypatch.setitem(dedicated.settings_dict, "HOST", "/nonexistent-socket-dir")

    with structlog.testing.capture_logs() as logs:
        run = for_each_tenant("test.count_lookups", lambda _tenant: {"lookups": Lookup.objects.count()})

    assert (list(run.results), run.failed) == (["alpha", "charlie"], {"bravo": "OperationalError"})
    assert [(e["event"], e["tenant"], e["error"]) for e in errors(logs)] == [
        ("task.tenant_failed", "bravo", "OperationalError")
    ]


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_in_one_tenant_is_replaced_for_the_next() -> None:
    """A database restart mid-run kills the worker's connection: the tenants after the one
    that hit it must get a new connection, not the dead one."""
    make_tenant("alpha")
    make_tenant("bravo")

    def work(tenant: Tenant) -> dict[str, int]:
        with connection.cursor() as cursor:
            if tenant.slug == "alpha":
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
            cursor.execute("SELECT 1")
            return {"ran": cursor.fetchone()[0]}

    run = for_each_tenant("test.lost_connection", work, atomic=False)

    assert (run.failed, run.results) == ({"alpha": "OperationalError"}, {"bravo": {"ran": 1}})


@pytest.mark.django_db(databases=["default", "dedicated"])
def test_each_database_runs_in_a_system_context_and_a_failing_one_does_not_stop_the_others() -> None:
    seen: list[tuple[str, Any]] = []

    def work(alias: str) -> dict[str, int]:
        seen.append((alias, tenancy.current()))
        if alias == "default":
            raise ConnectionError("shared database unreachable")
        return {"purged": 3}

    with structlog.testing.capture_logs() as logs:
        run = for_each_database("test.purge", work, reason="test: purge")

    assert list(settings.DATABASES)[:2] == ["default", "dedicated"]
    assert seen == [(alias, tenancy.SystemContext("test: purge", db_alias=alias)) for alias in settings.DATABASES]
    assert run.as_dict() == {
        "task": "test.purge",
        "databases": len(settings.DATABASES),
        "done": len(settings.DATABASES) - 1,
        "failed": {"default": "ConnectionError"},
        "total": {"purged": 3 * (len(settings.DATABASES) - 1)},
        "results": {alias: {"purged": 3} for alias in settings.DATABASES if alias != "default"},
    }
    assert [(e["event"], e["database"], e["task"]) for e in errors(logs)] == [
        ("task.database_failed", "default", "test.purge")
    ]
    assert tenancy.current() is None
