"""One loop for periodic work over every tenant, or every database.

A beat task that walks the tenants must not let one of them stop the rest: a tenant whose
dedicated database is down, or whose data breaks an assumption, would otherwise hold up
escalation, auto-close or generation for every tenant after it, every minute, until
someone noticed. ``for_each_tenant`` is the one place that loop is written: for each
active tenant in primary-key order it

- sets the tenant context, so the tenant's managers, row-level security and database
  router see that tenant and its database, and binds the tenant's slug to every log line;
- runs the work, in one transaction of the tenant's database unless the work commits in
  batches of its own (``atomic=False``);
- catches a failure, logs it with its traceback (``task.tenant_failed``: task, tenant,
  error class), drops a database connection the failure left broken, and goes on;
- returns a ``TaskRun``: how many tenants ran, which failed and with what error class,
  and each tenant's counts. The Celery task returns ``as_dict()`` as its result, so the
  result backend (the admin's task results) shows a failing tenant without a log search.

``for_each_database`` is the sibling for work that spans the tenants of one database in
one statement (purges, the redispatch sweep): the same isolation, per database alias,
in a system context.

The work returns its counts by name (``{"escalated": 3}``); the run sums them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, cast

import structlog
from django.apps import apps
from django.conf import settings
from django.db import connections, transaction

from . import tenancy

if TYPE_CHECKING:
    from apps.tenants.models import Tenant

log = structlog.get_logger(__name__)

#: What a unit of work reports: counts by name (``{"closed": 4}``).
Counts = Mapping[str, int]


@dataclass
class TaskRun:
    """What one run of a periodic task did, per tenant (or per database alias).

    ``results`` holds the counts of every tenant that finished, ``failed`` the error class
    of every tenant that did not; both keep the order the tenants ran in.
    """

    task: str
    #: What was walked: ``"tenants"`` or ``"databases"`` (the name of the count in ``as_dict``).
    over: str = "tenants"
    results: dict[str, dict[str, int]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> dict[str, int]:
        """The counts summed over the tenants that finished (empty when none did)."""
        total: dict[str, int] = {}
        for counts in self.results.values():
            for name, value in counts.items():
                total[name] = total.get(name, 0) + value
        return total

    def as_dict(self) -> dict[str, Any]:
        """The task's result (JSON). ``results`` lists only the tenants that did something:
        a run every minute over hundreds of idle tenants would otherwise store their
        names each time; ``done`` still counts them."""
        return {
            "task": self.task,
            self.over: len(self.results) + len(self.failed),
            "done": len(self.results),
            "failed": dict(self.failed),
            "total": self.total,
            "results": {key: dict(counts) for key, counts in self.results.items() if any(counts.values())},
        }


def for_each_tenant(task: str, work: Callable[[Tenant], Counts], *, atomic: bool = True) -> TaskRun:
    """Run ``work(tenant)`` for every active tenant, each in its own context, isolated from
    the others' failures; ``task`` names the run in the logs and the result (the Celery
    task's name).

    ``atomic`` (the default) runs each tenant's work in one transaction of its database,
    so a tenant that fails leaves nothing half done. Pass ``atomic=False`` only for work
    that commits in batches of its own on purpose (to bound how long it holds row locks,
    or so that an e-mail leaves as soon as its row commits): one outer transaction would
    hold every lock and every e-mail of the tenant until its last batch.
    """
    # By label, not by import: apps.core sits below the tenants app.
    tenant_model = cast("type[Tenant]", apps.get_model("tenants", "Tenant"))
    run = TaskRun(task=task, over="tenants")
    for tenant in list(tenant_model.objects.filter(is_active=True).order_by("pk")):
        with tenancy.tenant_context(tenant) as ctx:
            _run_one(run, tenant.slug, "tenant", partial(work, tenant), ctx.db_alias, atomic)
    return run


def for_each_database(task: str, work: Callable[[str], Counts], *, reason: str, atomic: bool = True) -> TaskRun:
    """Run ``work(alias)`` once per configured database (``default`` first), in
    ``system_context(reason)`` on that database, isolated from the other databases'
    failures: a dedicated database that is down does not stop the purge of the shared
    one. ``atomic`` as in ``for_each_tenant``."""
    run = TaskRun(task=task, over="databases")
    for alias in settings.DATABASES:
        with tenancy.system_context(reason, db_alias=alias):
            _run_one(run, alias, "database", partial(work, alias), alias, atomic)
    return run


def _run_one(run: TaskRun, key: str, label: str, call: Callable[[], Counts], alias: str, atomic: bool) -> None:
    scope: AbstractContextManager[Any] = transaction.atomic(using=alias) if atomic else nullcontext()
    with structlog.contextvars.bound_contextvars(**{label: key}):
        try:
            with scope:
                counts = call()
        except Exception as exc:  # logged with its traceback; one failure must not starve the rest
            run.failed[key] = type(exc).__name__
            log.exception(f"task.{label}_failed", task=run.task, error=type(exc).__name__, **{label: key})
            _drop_broken_connections()
            return
    run.results[key] = dict(counts)


def _drop_broken_connections() -> None:
    """Close every connection a failure left unusable (a database that went away mid-run),
    so the next tenant on that database connects afresh instead of failing on a dead
    socket. A connection inside an outer transaction (a caller's ``atomic``, the test
    suite's) is left alone: closing it would abort that transaction."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()
