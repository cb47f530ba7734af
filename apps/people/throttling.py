"""Login throttling: repeated failures slow a login (and an address) down, then lock it out.

Counts live in the shared cache (Redis), so every web process sees the same numbers.
An attempt is counted atomically *before* the password is checked (and taken back when
it succeeds), so a burst of parallel guesses cannot all slip through before the first
failure is recorded. After ``LOGIN_SLOWDOWN_AFTER`` failures each further attempt must
wait an increasing delay (1, 2, 4 ... up to 60 s); after ``LOGIN_LOCKOUT_AFTER`` the login
is locked for ``LOGIN_LOCKOUT_SECONDS``. The server never sleeps: it answers 429 with
Retry-After.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from apps.core.errors import Throttled

MAX_DELAY_SECONDS = 60


@dataclass(frozen=True)
class _Counter:
    key: str
    slowdown: int
    lockout: int

    @property
    def wait_key(self) -> str:
        return f"{self.key}:wait"


def _counters(tenant_slug: str, login: str, ip: str | None) -> list[_Counter]:
    counters = [
        _Counter(
            f"login-fail:{tenant_slug.lower()}:{login.lower()}",
            settings.LOGIN_SLOWDOWN_AFTER,
            settings.LOGIN_LOCKOUT_AFTER,
        )
    ]
    if ip:
        counters.append(
            _Counter(f"login-fail-ip:{ip}", settings.LOGIN_IP_SLOWDOWN_AFTER, settings.LOGIN_IP_LOCKOUT_AFTER)
        )
    return counters


def _refuse(locked: bool, until: float, now: float) -> Throttled:
    retry_after = max(1, math.ceil(until - now))
    if locked:
        return Throttled(
            "Too many failed sign-in attempts; this sign-in is locked for a while.",
            code="auth_locked",
            retry_after=retry_after,
        )
    return Throttled(
        "Too many failed sign-in attempts; wait before trying again.", code="auth_throttled", retry_after=retry_after
    )


def _increment(key: str, delta: int = 1) -> int:
    cache.add(key, 0, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    try:
        return cache.incr(key, delta)
    except ValueError:  # expired between add() and incr()
        cache.set(key, max(delta, 0), timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
        return max(delta, 0)


def begin_attempt(tenant_slug: str, login: str, ip: str | None) -> None:
    """Raise ``Throttled`` (``auth_throttled``/``auth_locked``) or count the attempt as a failure-to-be."""
    now = time.time()
    counters = _counters(tenant_slug, login, ip)
    for counter in counters:
        wait = cache.get(counter.wait_key)
        if wait and wait["until"] > now:
            raise _refuse(wait["locked"], wait["until"], now)
    for counter in counters:
        if _increment(counter.key) > counter.lockout:
            until = now + settings.LOGIN_LOCKOUT_SECONDS
            cache.set(counter.wait_key, {"until": until, "locked": True}, timeout=settings.LOGIN_LOCKOUT_SECONDS)
            raise _refuse(True, until, now)


def record_failure(tenant_slug: str, login: str, ip: str | None) -> None:
    """The attempt failed: impose the delay (or lockout) its count has earned."""
    now = time.time()
    for counter in _counters(tenant_slug, login, ip):
        failures = cache.get(counter.key) or 0
        if failures >= counter.lockout:
            until, locked = now + settings.LOGIN_LOCKOUT_SECONDS, True
        elif failures >= counter.slowdown:
            until, locked = now + min(2 ** (failures - counter.slowdown), MAX_DELAY_SECONDS), False
        else:
            continue
        cache.set(counter.wait_key, {"until": until, "locked": locked}, timeout=max(1, math.ceil(until - now)))


def record_success(tenant_slug: str, login: str, ip: str | None) -> None:
    """The attempt succeeded: forget the login's failures and take the attempt back from the address."""
    counters = _counters(tenant_slug, login, ip)
    cache.delete_many([counters[0].key, counters[0].wait_key])
    for counter in counters[1:]:
        if cache.get(counter.key):
            cache.decr(counter.key)
