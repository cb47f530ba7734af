"""How long one request may hold the database and a worker: the statement timeout of web
processes (a cancelled statement answers ``query_timeout``, and the connection serves the
next request) and the execution deadline of GraphQL.

The slow endpoints live in ``urls_for_tests``: ``/api/v1/sleep/`` (REST) and
``/graphql-slow/`` (a small schema whose ``sleep`` runs ``pg_sleep`` and whose numbers take
20 ms each to resolve). Statement-timeout tests commit for real (``transaction=True``), as
a web request does: a cancelled statement inside the test's own transaction would abort it.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from celery.signals import beat_init, celeryd_init
from django.db import connection
from django.test import Client

from apps.core.dbbackend import process_kind, set_process_kind
from apps.core.errors import QueryTimeout
from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql
from apps.tenants.models import Lookup

TIMEOUT_MS = 300
TIMEOUT_BODY = {"error": {"code": "query_timeout", "message": QueryTimeout.message, "details": {}}}


@pytest.fixture
def slow_urls(settings: Any) -> None:
    """The test-only slow endpoints. Set through pytest-django's ``settings`` like every
    other setting here, so that all of them are restored in order."""
    settings.ROOT_URLCONF = "apps.core.tests.urls_for_tests"


@pytest.fixture
def web_process(settings: Any) -> Iterator[None]:
    """This process serves requests, with a web statement timeout short enough to reach."""
    settings.DB_STATEMENT_TIMEOUT_MS = {**settings.DB_STATEMENT_TIMEOUT_MS, "web": TIMEOUT_MS}
    set_process_kind("web")
    yield
    set_process_kind("command")


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def show_statement_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


def post_slow_graphql(query: str) -> Any:
    return Client().post("/graphql-slow/", json.dumps({"query": query}), content_type="application/json")


# --- the timeout follows the kind of process ---------------------------------------------


def test_each_kind_of_process_gets_its_statement_timeout(db: Any) -> None:
    try:
        set_process_kind("command")
        assert show_statement_timeout() == "0"  # migrations and management commands: none
        set_process_kind("web")
        assert show_statement_timeout() == "10s"
        celeryd_init.send(sender="worker@test")  # what `celery worker` sends before its pool forks
        assert process_kind() == "worker"
        assert show_statement_timeout() == "5min"
        set_process_kind("command")
        beat_init.send(sender=None)
        assert show_statement_timeout() == "5min"
    finally:
        set_process_kind("command")
    assert show_statement_timeout() == "0"
    with pytest.raises(ValueError, match="Unknown process kind 'daemon'"):
        set_process_kind("daemon")


def test_the_web_entry_points_declare_a_web_process() -> None:
    try:
        import youtility.wsgi  # noqa: F401  (gunicorn and runserver load it)

        assert process_kind() == "web"
    finally:
        set_process_kind("command")


# --- a cancelled statement ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_slow_rest_statement_answers_503_and_the_connection_serves_the_next_request(
    slow_urls: None, web_process: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = backend_pid()
    # The suite closes connections after each request (CONN_MAX_AGE=0); keep this one as a
    # running server with persistent connections does.
    monkeypatch.setattr(connection, "close_at", None)
    client = Client(raise_request_exception=False)

    started = time.monotonic()
    response = client.get("/api/v1/sleep/?seconds=30")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json() == TIMEOUT_BODY
    assert b"Traceback" not in response.content and b"canceling statement" not in response.content
    assert elapsed < 3
    connection.close_if_unusable_or_obsolete()  # what Django does when a request ends
    after = client.get("/api/v1/sleep/?seconds=0")
    assert after.status_code == 200
    assert after.json() == {"backend_pid": pid}


@pytest.mark.django_db(transaction=True)
def test_a_slow_graphql_statement_is_query_timeout_on_its_field(slow_urls: None, web_process: None) -> None:
    pid = backend_pid()

    started = time.monotonic()
    response = post_slow_graphql("query Slow { sleep(seconds: 30) }")
    elapsed = time.monotonic() - started

    assert response.status_code == 200  # a field error, as GraphQL reports them
    assert response.json() == {
        "errors": [
            {
                "message": QueryTimeout.message,
                "locations": [{"line": 1, "column": 14}],
                "path": ["sleep"],
                "extensions": {"code": "query_timeout", "details": {}},
            }
        ],
        "data": {"sleep": None},
    }
    assert elapsed < 3
    assert post_slow_graphql("{ backendPid }").json() == {"data": {"backendPid": pid}}


@pytest.mark.django_db(transaction=True)
def test_healthz_answers_while_a_statement_holds_another_worker(
    slow_urls: None, web_process: None, settings: Any
) -> None:
    settings.DB_STATEMENT_TIMEOUT_MS = {**settings.DB_STATEMENT_TIMEOUT_MS, "web": 2_000}
    slow: dict[str, Any] = {}

    def hold() -> None:
        try:
            slow["response"] = Client(raise_request_exception=False).get("/api/v1/sleep/?seconds=30")
        finally:
            connection.close()

    worker = threading.Thread(target=hold)
    worker.start()
    try:
        time.sleep(0.3)
        started = time.monotonic()
        health = Client().get("/healthz")
        assert time.monotonic() - started < 1
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        assert worker.is_alive()  # the slow statement was still running meanwhile
    finally:
        worker.join(timeout=10)
    assert slow["response"].status_code == 503
    assert slow["response"].json() == TIMEOUT_BODY


# --- the GraphQL execution deadline ------------------------------------------------------


def test_a_graphql_request_stops_at_its_deadline(db: Any, slow_urls: None, settings: Any) -> None:
    settings.GRAPHQL_MAX_SECONDS = 0.2
    query = "query Slow { numbers(first: 100) { value } }"  # 100 x 20 ms of Python work

    started = time.monotonic()
    response = post_slow_graphql(query)
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json() == {
        "errors": [
            {
                "message": "The query ran longer than 0.2 seconds and was stopped; ask for less.",
                "extensions": {"code": "query_timeout", "max_seconds": 0.2},
            }
        ]
    }
    assert elapsed < 1
    settings.GRAPHQL_MAX_SECONDS = 15
    assert post_slow_graphql("{ numbers(first: 3) { value } }").json() == {
        "data": {"numbers": [{"value": 0}, {"value": 1}, {"value": 2}]}
    }


def test_a_mutation_stopped_at_its_deadline_writes_nothing(
    tenant_a_admin: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tenant_a_admin.tokens().access
    # A clock that moves one second per reading: the deadline is set (1), checked before
    # the mutation (2, in time) and before `lookup` (3, in time), then before `code` (4, late).
    ticks = itertools.count(1)
    monkeypatch.setattr("apps.core.graphql_limits.time", SimpleNamespace(monotonic=lambda: float(next(ticks))))
    settings.GRAPHQL_MAX_SECONDS = 2.5
    create = 'mutation Add { createLookup(kind: "DEPARTMENT", code: "OPS", name: "Operations") { lookup { code } } }'

    response = post_graphql(Client(), create, token=token)

    assert response.status_code == 503
    assert [error["extensions"]["code"] for error in response.json()["errors"]] == ["query_timeout"]
    assert next(ticks) == 5  # the mutation ran (and wrote) before the deadline stopped the request
    with tenant_context(tenant_a_admin.tenant):
        assert not Lookup.objects.filter(code="OPS").exists()
