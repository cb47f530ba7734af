"""Per-tenant caching of read-mostly lists, invalidated by version on commit.

Keys look like ``t<tenant>:<namespace>:v<version>:<parts>``. A write bumps the
namespace's version for its tenant once its transaction commits, so the next read
misses and recomputes; old entries simply expire. No key scans, and a key always
names its tenant, so one tenant's entry can never answer another's read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

from . import tenancy

T = TypeVar("T")
DEFAULT_TIMEOUT = 300
VERSION_TIMEOUT = 7 * 24 * 3600


def _version_key(tenant_id: int, namespace: str) -> str:
    return f"t{tenant_id}:{namespace}:version"


def current_version(tenant_id: int, namespace: str) -> int:
    key = _version_key(tenant_id, namespace)
    cache.add(key, 1, timeout=VERSION_TIMEOUT)
    return int(cache.get(key) or 1)


def cached(namespace: str, parts: str, compute: Callable[[], T], timeout: int = DEFAULT_TIMEOUT) -> T:
    """Return the cached value for the current tenant, computing it on a miss."""
    tenant_id = tenancy.current_tenant().id
    key = f"t{tenant_id}:{namespace}:v{current_version(tenant_id, namespace)}:{parts}"
    hit = cache.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    value = compute()
    cache.set(key, value, timeout=timeout)
    return value


def bump_on_commit(namespace: str, tenant_id: int | None = None) -> None:
    """Invalidate the namespace of the tenant once the current transaction commits."""
    tenant = tenant_id if tenant_id is not None else tenancy.current_tenant().id

    def bump() -> None:
        key = _version_key(tenant, namespace)
        if not cache.add(key, 2, timeout=VERSION_TIMEOUT):
            try:
                cache.incr(key)
            except ValueError:  # expired in between
                cache.set(key, 2, timeout=VERSION_TIMEOUT)

    transaction.on_commit(bump, using=tenancy.db_alias())


def invalidate_on_change(namespace: str) -> Callable[[type[Any]], type[Any]]:
    """Class decorator for models: any save or delete bumps ``namespace`` on commit.

    Bulk ``update()``/``delete()`` send no signals; services doing those call
    ``bump_on_commit`` themselves.
    """
    from django.db.models.signals import post_delete, post_save

    def decorate(model: type[Any]) -> type[Any]:
        def handler(sender: Any, instance: Any, **kwargs: Any) -> None:
            bump_on_commit(namespace, instance.tenant_id)

        post_save.connect(handler, sender=model, weak=False, dispatch_uid=f"cache:{namespace}:{model.__name__}")
        post_delete.connect(handler, sender=model, weak=False, dispatch_uid=f"cache-del:{namespace}:{model.__name__}")
        return model

    return decorate
