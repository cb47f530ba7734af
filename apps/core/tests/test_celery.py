"""Celery: configuration, routing, the beat schedule, and tenant and correlation id
travelling with a task into a real worker (Redis broker, django-db results)."""

from __future__ import annotations

import shlex
import uuid
from datetime import timedelta

import pytest
import structlog
import structlog.testing
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler
from django_celery_results.models import TaskResult

from apps.core import context, tenancy
from apps.core.tenancy import tenant_context
from apps.people import tasks as people_tasks
from apps.people.models import RefreshToken
from apps.people.tasks import purge_expired_refresh_tokens
from conftest import make_persona, make_tenant
from youtility.celery import YoutilityTask
from youtility.celery import app as celery_app

from .tasks_for_tests import TEST_QUEUE, celery_worker, context_probe, flaky  # noqa: F401

RESULT_TIMEOUT = 20


@pytest.fixture
def request_id():
    """Bind a correlation id the way RequestIdMiddleware does, and unbind it afterwards."""
    value = f"req-{uuid.uuid4().hex[:12]}"
    tokens = context.bind_request_id(value)
    yield value
    context.reset_request_id(tokens)


def _worker_queues() -> set[str]:
    line = next(
        line for line in (settings.BASE_DIR / "Procfile").read_text().splitlines() if line.startswith("worker:")
    )
    args = shlex.split(line.partition(":")[2])
    flag = next(i for i, arg in enumerate(args) if arg in {"--queues", "-Q"})
    return set(args[flag + 1].split(","))


def test_settings_reach_the_celery_app():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_url == settings.REDIS_URL
    assert conf.broker_url.startswith("redis://")
    assert conf.result_backend == "django-db"
    assert type(celery_app.backend).__module__ == "django_celery_results.backends.database"
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    assert conf.task_default_queue == "default"


def test_every_task_retries_transient_failures_with_backoff():
    from django.db import InterfaceError, OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError

    task = celery_app.tasks["people.purge_expired_refresh_tokens"]
    assert isinstance(task, YoutilityTask)
    assert task.max_retries == 5
    assert task.retry_backoff is True
    assert task.retry_backoff_max == 600
    assert task.retry_jitter is True
    for error in (ConnectionError, TimeoutError, OperationalError, InterfaceError, RedisConnectionError):
        assert error in task.autoretry_for
    # Celery wraps run() for autoretry when the task is created; without the wrapper the
    # class attributes above would be decoration only.
    assert hasattr(task, "_orig_run")


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        ("reports.task_summary", "reports"),
        ("notifications.send_email", "notifications"),
        ("scheduling.expand_schedules", "scheduling"),
        ("people.purge_expired_refresh_tokens", "default"),
        ("celery.backend_cleanup", "default"),
    ],
)
def test_tasks_are_routed_by_name_prefix(task_name, queue):
    route = celery_app.amqp.router.route({}, task_name, (), {})
    assert route["queue"].name == queue
    # Delivered to that queue only: the routing key binds to no other declared queue.
    assert (route["queue"].exchange.name, route["queue"].routing_key) == (queue, queue)
    others = [q for q in celery_app.amqp.queues.values() if q.name != queue]
    assert all((q.exchange.name, q.routing_key) != (queue, queue) for q in others)


def test_every_routed_queue_is_consumed_by_the_procfile_worker():
    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {celery_app.conf.task_default_queue}
    assert routed == {"default", "notifications", "reports", "scheduling"}
    assert routed <= declared
    assert _worker_queues() == declared


def test_the_suite_publishes_under_its_own_broker_prefix():
    """A `make run` worker on the same Redis reads the plain queue names; the suite's
    tasks must never reach it (nor its tasks the suite's test worker)."""
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    prefix = settings.TEST_BROKER_KEY_PREFIX  # type: ignore[misc]
    queue = f"prefix-probe-{uuid.uuid4().hex}"
    try:
        celery_app.send_task("coretests.add", args=(1, 2), queue=queue)
        assert client.llen(f"{prefix}{queue}") == 1
        assert client.llen(queue) == 0
    finally:
        client.delete(f"{prefix}{queue}", queue)


# Transactional: the scheduler closes "old" connections, which includes a test's open transaction.
@pytest.mark.django_db(transaction=True)
def test_every_scheduled_task_name_is_registered():
    celery_app.loader.import_default_modules()
    registered = set(celery_app.tasks)
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} - registered == set()
    # Beat syncs the settings schedule into PeriodicTask rows when it starts.
    DatabaseScheduler(app=celery_app)
    rows = dict(PeriodicTask.objects.values_list("name", "task"))
    assert rows["purge-expired-refresh-tokens"] == "people.purge_expired_refresh_tokens"
    assert {name for name in rows.values()} - registered == set()
    purge = PeriodicTask.objects.select_related("crontab").get(name="purge-expired-refresh-tokens")
    assert (purge.crontab.minute, purge.crontab.hour) == ("17", "3")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_task_runs_in_the_publishers_tenant_with_its_request_id(tenant_a_admin, tenant_b_admin, request_id):
    actor = context.set_actor(tenant_a_admin.person.pk)
    try:
        with tenant_context(tenant_a_admin.tenant):
            result = context_probe.apply_async(
                args=(tenant_a_admin.person.pk, tenant_b_admin.person.pk), queue=TEST_QUEUE
            )
    finally:
        context.reset_actor(actor)
    assert result.get(timeout=RESULT_TIMEOUT) == {
        "tenant": "alpha",
        "request_id": request_id,
        "actor": tenant_a_admin.person.pk,
        "sees": [tenant_a_admin.person.pk],
        "error": None,
    }
    stored = TaskResult.objects.get(task_id=result.id)
    assert (stored.status, stored.task_name) == ("SUCCESS", "coretests.context_probe")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_task_published_without_tenant_runs_without_one(tenant_a_admin, tenant_b_admin):
    structlog.contextvars.clear_contextvars()
    result = context_probe.apply_async(args=(tenant_a_admin.person.pk, tenant_b_admin.person.pk), queue=TEST_QUEUE)
    outcome = result.get(timeout=RESULT_TIMEOUT)
    # No correlation id to carry: the worker makes a fresh one for the task's log lines.
    assert len(outcome.pop("request_id")) == 32
    assert outcome == {"tenant": None, "actor": None, "sees": None, "error": "TenantContextMissing"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_tenant_and_request_id_do_not_leak_into_the_next_task(tenant_a_admin, request_id):
    with tenant_context(tenant_a_admin.tenant):
        first = context_probe.apply_async(args=(tenant_a_admin.person.pk, 0), queue=TEST_QUEUE)
    assert first.get(timeout=RESULT_TIMEOUT)["tenant"] == "alpha"
    structlog.contextvars.clear_contextvars()
    second = context_probe.apply_async(args=(tenant_a_admin.person.pk, 0), queue=TEST_QUEUE)
    outcome = second.get(timeout=RESULT_TIMEOUT)
    assert (outcome["tenant"], outcome["error"]) == (None, "TenantContextMissing")
    assert outcome["request_id"] != request_id


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_database_error_is_retried_in_the_same_context(tenant_a, request_id):
    with tenant_context(tenant_a):
        result = flaky.apply_async(queue=TEST_QUEUE)
    assert result.get(timeout=RESULT_TIMEOUT) == {
        "tenant": "alpha",
        "request_id": request_id,
        "actor": None,
        "retries": 1,
    }


@pytest.mark.django_db
def test_eager_task_keeps_the_callers_context(tenant_a_admin, tenant_b_admin, request_id):
    with tenant_context(tenant_a_admin.tenant):
        outcome = context_probe.apply(args=(tenant_a_admin.person.pk, tenant_b_admin.person.pk)).get()
        assert structlog.contextvars.get_contextvars()["request_id"] == request_id
    assert outcome == {
        "tenant": "alpha",
        "request_id": request_id,
        "actor": None,
        "sees": [tenant_a_admin.person.pk],
        "error": None,
    }


def _token(persona, label: str, expires_in: timedelta) -> RefreshToken:
    with tenant_context(persona.tenant):
        return RefreshToken.objects.create(
            person=persona.person,
            token_hash=f"{persona.tenant.slug}-{label}".ljust(64, "0"),
            family=uuid.uuid4(),
            expires_at=timezone.now() + expires_in,
        )


@pytest.mark.django_db(databases=["default", "dedicated"])
def test_purge_deletes_tokens_expired_over_a_day_ago_in_every_database(tenant_a):
    tenant_x = make_tenant("xray", db_alias="dedicated")
    alpha = make_persona(tenant_a, "guard")
    xray = make_persona(tenant_x, "guard")
    for persona in (alpha, xray):
        _token(persona, "stale", -timedelta(days=1, hours=1))
        _token(persona, "recent", -timedelta(hours=23))
        _token(persona, "live", timedelta(days=10))

    assert purge_expired_refresh_tokens() == {
        "task": "people.purge_expired_refresh_tokens",
        "databases": 2,
        "done": 2,
        "failed": {},
        "total": {"deleted": 2},
        "results": {"default": {"deleted": 1}, "dedicated": {"deleted": 1}},
    }

    for persona, alias in ((alpha, "default"), (xray, "dedicated")):
        with tenant_context(persona.tenant):
            remaining = list(RefreshToken.objects.order_by("token_hash"))
        slug = persona.tenant.slug
        assert [token.token_hash for token in remaining] == [
            f"{slug}-live".ljust(64, "0"),
            f"{slug}-recent".ljust(64, "0"),
        ]
        assert {token._state.db for token in remaining} == {alias}
    assert purge_expired_refresh_tokens()["total"] == {"deleted": 0}


@pytest.mark.django_db(databases=["default", "dedicated"])
def test_a_failing_database_does_not_stop_the_token_purge_of_the_others(tenant_a, monkeypatch):
    tenant_x = make_tenant("xray", db_alias="dedicated")
    alpha, xray = make_persona(tenant_a, "guard"), make_persona(tenant_x, "guard")
    stale = [_token(persona, "stale", -timedelta(days=2)) for persona in (alpha, xray)]
    real = people_tasks._purge_expired

    def broken(cutoff):
        if tenancy.db_alias() == "dedicated":
            raise DatabaseError("dedicated database unreachable")
        return real(cutoff)

    monkeypatch.setattr(people_tasks, "_purge_expired", broken)
    with structlog.testing.capture_logs() as logs:
        report = purge_expired_refresh_tokens()

    assert report == {
        "task": "people.purge_expired_refresh_tokens",
        "databases": 2,
        "done": 1,
        "failed": {"dedicated": "DatabaseError"},
        "total": {"deleted": 1},
        "results": {"default": {"deleted": 1}},
    }
    assert [(e["event"], e["database"]) for e in logs if e["log_level"] == "error"] == [
        ("task.database_failed", "dedicated")
    ]
    for persona, token, left in ((alpha, stale[0], False), (xray, stale[1], True)):
        with tenant_context(persona.tenant):
            assert RefreshToken.objects.filter(pk=token.pk).exists() is left
