"""Sign-in throttling that slows an attacker down without locking the owner out.

Three counters of failed sign-ins, each forgotten after ``LOGIN_FAILURE_WINDOW_SECONDS``
without a failure:

- per login (tenant + login): the first ``LOGIN_SLOWDOWN_AFTER`` failures are free; after
  the n-th failure beyond them the next attempt must wait 2**n seconds (1, 2, 4 ... capped
  at ``LOGIN_MAX_DELAY_SECONDS``);
- per client address: the same progression, but only after ``LOGIN_IP_SLOWDOWN_AFTER``
  failures, far above what an office behind one NAT address produces;
- per trusted device: a device that signed in to this login before presents the signed
  token it was given then (``device_token``); its attempts are counted on their own and
  skip the two counters above, so an attacker hammering the login from elsewhere, or from
  the same office, cannot keep the owner out. The token is signed with the secret key
  (salted), names tenant, login and a random device key, and lasts
  ``LOGIN_TRUSTED_DEVICE_SECONDS``.

An attempt inside a wait is refused with ``Throttled`` (429 ``auth_throttled``,
Retry-After) before the password is looked at, and is not counted. Every other attempt
is counted atomically before the password is checked (a Lua script in Redis reserves it
and sets the wait a failure would earn), so parallel guesses cannot slip through
together; a success takes the reservation back. Nothing ever sleeps on the server.

Counts live in the shared cache (Redis), so every process sees the same numbers. When
Redis cannot be reached, each process keeps the same counters in its own memory (logged
as ``auth.throttle_store_unavailable``): sign-in keeps working and keeps being slowed
down, per process rather than across them, until Redis is back.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
import structlog
from django.conf import settings
from django.core import signing
from django.core.cache import cache

from apps.core.errors import Throttled

log = structlog.get_logger(__name__)

DEVICE_TOKEN_SALT = "youtility.people.trusted-device"
#: The console keeps a browser's device token in this cookie (HttpOnly, sent to the sign-in page only).
DEVICE_COOKIE = "youtility_device"


@dataclass(frozen=True)
class Counter:
    """One failure count and the wait it imposes: free failures, then 2**n seconds."""

    key: str
    free: int

    @property
    def wait_key(self) -> str:
        return f"{self.key}:wait"


def delay_after(failures: int, free: int) -> int:
    """Seconds the next attempt waits after ``failures`` failures (0 while they are free)."""
    if failures < free:
        return 0
    return int(min(2 ** (failures - free), settings.LOGIN_MAX_DELAY_SECONDS))


def _digest(*parts: str) -> str:
    # Hashed: logins and addresses arrive from outside, of any length and content.
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _login(tenant_slug: str, login: str) -> tuple[str, str]:
    return tenant_slug.strip().lower(), login.strip().lower()


def counters(tenant_slug: str, login: str, ip: str | None, device: str | None) -> list[Counter]:
    """What an attempt is counted against: its trusted device alone, or the login and the address."""
    tenant, name = _login(tenant_slug, login)
    if device is not None:
        return [Counter(f"signin:device:{_digest(tenant, name, device)}", settings.LOGIN_SLOWDOWN_AFTER)]
    found = [Counter(f"signin:login:{_digest(tenant, name)}", settings.LOGIN_SLOWDOWN_AFTER)]
    if ip:
        found.append(Counter(f"signin:ip:{_digest(ip)}", settings.LOGIN_IP_SLOWDOWN_AFTER))
    return found


# --- trusted devices ---------------------------------------------------------------------------


def trusted_device(tenant_slug: str, login: str, token: str | None) -> str | None:
    """The device key of a valid ``device_token`` for this login, else None."""
    if not token:
        return None
    try:
        payload = signing.loads(token, salt=DEVICE_TOKEN_SALT, max_age=settings.LOGIN_TRUSTED_DEVICE_SECONDS)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(payload, dict) or [payload.get("t"), payload.get("l")] != list(_login(tenant_slug, login)):
        return None
    device = payload.get("d")
    return device if isinstance(device, str) and device else None


def device_token(tenant_slug: str, login: str, presented: str | None = None) -> str:
    """A token that marks this device as trusted by this login, for a sign-in that has just
    succeeded; a device that presented a valid one keeps its key (and its counter)."""
    device = trusted_device(tenant_slug, login, presented) or secrets.token_urlsafe(16)
    tenant, name = _login(tenant_slug, login)
    return signing.dumps({"t": tenant, "l": name, "d": device}, salt=DEVICE_TOKEN_SALT)


# --- stores ------------------------------------------------------------------------------------

# KEYS: per counter its count key and its wait key (the end of the wait, in ms; it expires
# with the window, the comparison with ``now`` decides). ARGV: now (ms), window (s), the
# longest wait (s), then each counter's free failures. The wait a count earns follows the
# rule of ``delay_after``: min(2^(n - free), longest) seconds.
_RESERVE = """
local now, window, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local latest = 0
for i = 1, #KEYS, 2 do
    local wait = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
    if wait > now and wait > latest then latest = wait end
end
if latest > 0 then return latest end
for i = 1, #KEYS, 2 do
    local count = redis.call('INCR', KEYS[i])
    redis.call('EXPIRE', KEYS[i], window)
    local free = tonumber(ARGV[3 + (i + 1) / 2])
    if count >= free then
        local delay = math.min(2 ^ (count - free), cap) * 1000
        redis.call('SET', KEYS[i + 1], now + delay, 'EX', window)
    end
end
return 0
"""


class _LocalStore:
    """The same counters in this process's memory, for when Redis cannot be reached."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}  # key -> (count, forget at)
        self._waits: dict[str, float] = {}  # key -> until

    def reserve(self, found: Sequence[Counter], now: float) -> float:
        with self._lock:
            self._forget(now)
            latest = max((self._waits.get(c.key, 0.0) for c in found), default=0.0)
            if latest > now:
                return latest
            for counter in found:
                count = self._counts.get(counter.key, (0, 0.0))[0] + 1
                self._counts[counter.key] = (count, now + settings.LOGIN_FAILURE_WINDOW_SECONDS)
                delay = delay_after(count, counter.free)
                if delay:
                    self._waits[counter.key] = now + delay
            return 0.0

    def succeeded(self, found: Sequence[Counter], forget: bool) -> None:
        with self._lock:
            for index, counter in enumerate(found):
                if index == 0 and forget:
                    self._counts.pop(counter.key, None)
                    self._waits.pop(counter.key, None)
                elif counter.key in self._counts:
                    count, until = self._counts[counter.key]
                    self._counts[counter.key] = (max(count - 1, 0), until)

    def _forget(self, now: float) -> None:
        if len(self._counts) + len(self._waits) < 10_000:
            return
        self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
        self._waits = {k: v for k, v in self._waits.items() if v > now}


_local = _LocalStore()


def _redis() -> Any:
    """The default cache's Redis client, or None when the cache is not Redis."""
    backend: Any = getattr(cache, "_cache", None)
    return backend.get_client(write=True) if hasattr(backend, "get_client") else None


def _unavailable(error: Exception) -> None:
    log.warning("auth.throttle_store_unavailable", error=type(error).__name__)


def _reserve(found: Sequence[Counter], now: float) -> float:
    """Count the attempt against ``found`` unless a wait is in force; returns the end of
    the longest wait in force (0: counted, go ahead)."""
    client = _redis()
    if client is not None:
        keys: list[str] = []
        for counter in found:
            keys += [cache.make_and_validate_key(counter.key), cache.make_and_validate_key(counter.wait_key)]
        args = [int(now * 1000), settings.LOGIN_FAILURE_WINDOW_SECONDS, settings.LOGIN_MAX_DELAY_SECONDS]
        args += [counter.free for counter in found]
        try:
            return int(client.register_script(_RESERVE)(keys=keys, args=args)) / 1000
        except redis.RedisError as error:
            _unavailable(error)
    return _local.reserve(found, now)


def _succeeded(found: Sequence[Counter], forget: bool) -> None:
    """Take the attempt back: forget the first counter's failures (``forget``) and uncount it
    from the others."""
    client = _redis()
    if client is not None:
        try:
            pipe = client.pipeline()
            for index, counter in enumerate(found):
                key = cache.make_and_validate_key(counter.key)
                if index == 0 and forget:
                    pipe.delete(key, cache.make_and_validate_key(counter.wait_key))
                else:
                    # Never below zero, and never creating a key without a window.
                    pipe.eval(
                        "if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end",
                        1,
                        key,
                    )
            pipe.execute()
            return
        except redis.RedisError as error:
            _unavailable(error)
    _local.succeeded(found, forget)


# --- the attempt -------------------------------------------------------------------------------


def _now() -> float:
    return time.time()


def begin_attempt(tenant_slug: str, login: str, ip: str | None, token: str | None = None) -> None:
    """Refuse an attempt inside a wait (``Throttled``), otherwise count it as a failure-to-be."""
    now = _now()
    found = counters(tenant_slug, login, ip, trusted_device(tenant_slug, login, token))
    until = _reserve(found, now)
    if until > now:
        retry_after = max(1, math.ceil(until - now))
        raise Throttled(
            f"Too many failed sign-in attempts; try again in {retry_after} s.",
            code="auth_throttled",
            retry_after=retry_after,
        )


def record_success(tenant_slug: str, login: str, ip: str | None, token: str | None = None) -> None:
    """The attempt succeeded: the login's (or the trusted device's) failures are forgotten
    and the attempt is taken back from the address."""
    _succeeded(counters(tenant_slug, login, ip, trusted_device(tenant_slug, login, token)), forget=True)
