"""Celery signal handlers: carry tenant and correlation id across the queue; count tasks.

A task acts through the TASK door under the label ``task:<name>`` (the change log's
"who" when no person started it; the person who did, if any, stays the actor).
"""

from __future__ import annotations

from typing import Any

import structlog
from celery.signals import before_task_publish, task_postrun, task_prerun

from . import context, tenancy

log = structlog.get_logger(__name__)

TENANT_HEADER = "youtility_tenant"
REQUEST_ID_HEADER = "youtility_request_id"
ACTOR_HEADER = "youtility_actor"

# Per running task: the tenant, actor and door tokens to reset, and the caller's structlog
# context to put back (a task run eagerly, with ``apply()``, shares the caller's context).
_saved: dict[str, tuple[Any, Any, Any, dict[str, Any]]] = {}


@before_task_publish.connect(dispatch_uid="core.task_headers")
def add_context_headers(headers: dict[str, Any] | None = None, **_: Any) -> None:
    if headers is None:
        return
    tenant_id = tenancy.current_tenant_id()
    if tenant_id is not None and TENANT_HEADER not in headers:
        headers[TENANT_HEADER] = tenant_id
    request_id = context.current_request_id()
    if request_id and REQUEST_ID_HEADER not in headers:
        headers[REQUEST_ID_HEADER] = request_id
    actor = context.current_actor_id()
    if actor is not None and ACTOR_HEADER not in headers:
        headers[ACTOR_HEADER] = actor


def _header(task: Any, name: str) -> Any:
    request = task.request
    value = getattr(request, name, None)
    if value is None and isinstance(getattr(request, "headers", None), dict):
        value = request.headers.get(name)
    return value


@task_prerun.connect(dispatch_uid="core.task_context")
def restore_context(task_id: str, task: Any, **_: Any) -> None:
    previous_log_context = structlog.contextvars.get_contextvars()
    # A task run eagerly (``apply()``) is never published, so it has no headers: it runs
    # in the caller's context, as it would have had it been published from there.
    eager = bool(getattr(task.request, "is_eager", False))
    structlog.contextvars.clear_contextvars()
    request_id = (
        _header(task, REQUEST_ID_HEADER)
        or (previous_log_context.get("request_id") if eager else None)
        or context.new_request_id()
    )
    structlog.contextvars.bind_contextvars(request_id=request_id, task=task.name, task_id=task_id)
    tenant_ctx: tenancy.TenantContext | tenancy.SystemContext | None = tenancy.current() if eager else None
    tenant_id = _header(task, TENANT_HEADER)
    if tenant_id is not None:
        tenant_ctx = tenancy.active_context(tenant_id)
        if tenant_ctx is None:
            log.warning("celery.tenant_inactive", tenant_id=tenant_id)
    if isinstance(tenant_ctx, tenancy.TenantContext):
        structlog.contextvars.bind_contextvars(tenant=tenant_ctx.slug)
    actor = _header(task, ACTOR_HEADER)
    if actor is None and eager:
        actor = context.current_actor_id()
    _saved[task_id] = (
        tenancy.set_tenant(tenant_ctx),
        context.set_actor(actor, label=f"task:{task.name}"),
        context.set_door(context.Door.TASK),
        previous_log_context,
    )


@task_postrun.connect(dispatch_uid="core.task_context_reset")
def reset_context(task_id: str, task: Any, state: str | None = None, **_: Any) -> None:
    import redis

    from .metrics import record_celery_task

    try:
        record_celery_task(task.name, state or "UNKNOWN")
    except redis.RedisError as exc:
        log.warning("celery.metrics_unavailable", error=type(exc).__name__)
    saved = _saved.pop(task_id, None)
    structlog.contextvars.clear_contextvars()
    if saved is not None:
        tenancy.reset(saved[0])
        context.reset_actor(saved[1])
        context.reset_door(saved[2])
        structlog.contextvars.bind_contextvars(**saved[3])
