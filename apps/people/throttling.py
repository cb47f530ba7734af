"""Login throttling: repeated failures slow a login (and an address) down, then lock it out.

Counts live in the shared cache (Redis), so every web process sees the same numbers.
After ``LOGIN_SLOWDOWN_AFTER`` failures each further attempt must wait an increasing
delay (1, 2, 4 ... up to 60 s); after ``LOGIN_LOCKOUT_AFTER`` the login is locked for
``LOGIN_LOCKOUT_SECONDS``. The server never sleeps: it answers 429 with Retry-After.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache

from apps.core.errors import Throttled

MAX_DELAY_SECONDS = 60


def _keys(tenant_slug: str, login: str, ip: str | None) -> list[tuple[str, int, int]]:
    keys = [
        (
            f"login-fail:{tenant_slug.lower()}:{login.lower()}",
            settings.LOGIN_SLOWDOWN_AFTER,
            settings.LOGIN_LOCKOUT_AFTER,
        )
    ]
    if ip:
        keys.append((f"login-fail-ip:{ip}", settings.LOGIN_IP_SLOWDOWN_AFTER, settings.LOGIN_IP_LOCKOUT_AFTER))
    return keys


def check_allowed(tenant_slug: str, login: str, ip: str | None) -> None:
    """Raise ``Throttled`` (``auth_throttled`` or ``auth_locked``) if an attempt must wait."""
    now = time.time()
    for key, _slowdown, lockout in _keys(tenant_slug, login, ip):
        state = cache.get(key)
        if state and state["until"] > now:
            retry_after = max(1, math.ceil(state["until"] - now))
            if state["n"] >= lockout:
                raise Throttled(
                    "Too many failed sign-in attempts; this sign-in is locked for a while.",
                    code="auth_locked",
                    retry_after=retry_after,
                )
            raise Throttled(
                "Too many failed sign-in attempts; wait before trying again.",
                code="auth_throttled",
                retry_after=retry_after,
            )


def record_failure(tenant_slug: str, login: str, ip: str | None) -> None:
    now = time.time()
    for key, slowdown, lockout in _keys(tenant_slug, login, ip):
        state = cache.get(key) or {"n": 0, "until": 0.0}
        n = state["n"] + 1
        until = 0.0
        if n >= lockout:
            until = now + settings.LOGIN_LOCKOUT_SECONDS
        elif n >= slowdown:
            until = now + min(2 ** (n - slowdown), MAX_DELAY_SECONDS)
        ttl = max(settings.LOGIN_FAILURE_WINDOW_SECONDS, math.ceil(until - now))
        cache.set(key, {"n": n, "until": until}, timeout=ttl)


def record_success(tenant_slug: str, login: str) -> None:
    cache.delete(f"login-fail:{tenant_slug.lower()}:{login.lower()}")
