"""The current tenant, carried in a context variable.

A request, a WebSocket connection, a Celery task and an MQTT message each set the tenant
from their authenticated principal; nothing a client sends chooses it. ``contextvars``
keeps the value correct across threads and asyncio tasks (ASGI, Channels).

Everything below the ORM reads it from here: tenant-scoped managers filter by it, the
database wrapper copies it into the PostgreSQL setting that row-level security checks,
and the database router sends the tenant's queries to its database.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from apps.tenants.models import Tenant


class TenantContextMissing(RuntimeError):
    """Raised when tenant-owned data is touched with no tenant in context.

    This is the fail-closed default: code that really works across tenants (schedulers,
    migrations, support tooling) must say so with ``system_context()``.
    """


@dataclass(frozen=True, slots=True)
class TenantContext:
    """What the lower layers need to know of the current tenant, without a query."""

    id: int
    slug: str
    db_alias: str = "default"

    @classmethod
    def of(cls, tenant: Tenant) -> TenantContext:
        return cls(id=tenant.pk, slug=tenant.slug, db_alias=tenant.db_alias)


@dataclass(frozen=True, slots=True)
class SystemContext:
    """Cross-tenant access for system jobs; ``reason`` says why, for the logs."""

    reason: str
    db_alias: str = "default"


_current: contextvars.ContextVar[TenantContext | SystemContext | None] = contextvars.ContextVar(
    "youtility_tenant", default=None
)


#: How a tenant id becomes the context of an active tenant; the tenants app, which owns the
#: model, registers it from its ``ready()`` (see ``active_context``).
_active_lookup: Callable[[int], TenantContext | None] | None = None


def register_active_lookup(lookup: Callable[[int], TenantContext | None]) -> None:
    """Called once by the app that owns the tenant model, when it is ready."""
    global _active_lookup
    _active_lookup = lookup


def active_context(tenant_id: int) -> TenantContext | None:
    """The context of the active tenant with this id, read now; None for an unknown or
    deactivated tenant. For plumbing that receives a bare id (a task's headers)."""
    if _active_lookup is None:
        raise ImproperlyConfigured("No tenant lookup is registered: is apps.tenants in INSTALLED_APPS?")
    return _active_lookup(tenant_id)


def current() -> TenantContext | SystemContext | None:
    """The tenant or system context in force, or None."""
    return _current.get()


def current_tenant() -> TenantContext:
    """The current tenant; raises ``TenantContextMissing`` when none (or system) is set."""
    value = _current.get()
    if not isinstance(value, TenantContext):
        raise TenantContextMissing(
            "No tenant is set for this operation. Tenant-owned data is only reachable inside "
            "tenant_context(...) (set from the authenticated user) or system_context(...)."
        )
    return value


def current_tenant_id() -> int | None:
    value = _current.get()
    return value.id if isinstance(value, TenantContext) else None


def db_alias() -> str:
    """The database alias of the context in force (``default`` when none)."""
    value = _current.get()
    return value.db_alias if value is not None else "default"


def set_tenant(value: TenantContext | SystemContext | None) -> contextvars.Token:
    """Set the context and return the token to restore it (use in middleware ``finally``)."""
    return _current.set(value)


def reset(token: contextvars.Token) -> None:
    _current.reset(token)


@contextmanager
def tenant_context(tenant: Tenant | TenantContext) -> Iterator[TenantContext]:
    """Run a block as the given tenant."""
    ctx = tenant if isinstance(tenant, TenantContext) else TenantContext.of(tenant)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


@contextmanager
def system_context(reason: str, db_alias: str = "default") -> Iterator[SystemContext]:
    """The greppable escape for system jobs: managers stop filtering and RLS lets rows through.

    Use it only where the code really spans tenants (expanding every tenant's schedules,
    loading demo data, support tooling), never on a request path.
    """
    ctx = SystemContext(reason=reason, db_alias=db_alias)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
