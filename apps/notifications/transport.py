"""One webhook request over the standard library's ``http.client``, pinned to checked addresses.

The host name is resolved once and every address checked (``netguard``); the socket is
then opened to one of exactly those addresses, while the request keeps the URL's host in
its ``Host`` header and, for https, in SNI and certificate verification. Redirects are
not followed, proxies from the environment are not used, connect and read have their own
timeouts and the whole attempt a deadline, and only the first KiB of the response is read.
Whether that KiB is kept is the caller's decision (``Outcome.private`` tells it the
answer came from a network only the operator's allow-list opened).
"""

from __future__ import annotations

import functools
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from django.conf import settings

from . import netguard
from .netguard import Resolved, Target

EXCERPT_BYTES = 1024


def connect_timeout() -> float:
    return settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS


def read_timeout() -> float:
    return settings.WEBHOOK_READ_TIMEOUT_SECONDS


def total_timeout() -> float:
    return settings.WEBHOOK_TOTAL_TIMEOUT_SECONDS


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: success, or a failure with a stable ``error_code``."""

    ok: bool
    retryable: bool
    status: int | None = None
    error_code: str = ""
    error: str = ""
    excerpt: str = ""
    duration_ms: int = 0
    private: bool = False  # the answer came from an address only the allow-list let through


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to ``target.host`` whose socket goes to one checked address."""

    def __init__(self, target: Target, address: Resolved, connect_timeout: float, read_timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=read_timeout)
        self._address = address
        self._connect_timeout = connect_timeout

    def connect(self) -> None:
        sock = socket.socket(self._address.family, socket.SOCK_STREAM)
        try:
            sock.settimeout(self._connect_timeout)
            sock.connect(self._address.sockaddr)
            sock.settimeout(self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """TLS on the pinned socket, with the URL's host name for SNI and certificate checks."""

    default_port = 443

    def __init__(self, *args: object, context: ssl.SSLContext, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._context = context

    def connect(self) -> None:
        super().connect()
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


def ssl_context() -> ssl.SSLContext:
    """The system's trust store, or ``WEBHOOK_CA_FILE`` when an installation needs its own CA."""
    return _context_for(settings.WEBHOOK_CA_FILE or None)


@functools.lru_cache(maxsize=4)
def _context_for(cafile: str | None) -> ssl.SSLContext:
    # Loading the trust store takes milliseconds; a context is safe to share between connections.
    return ssl.create_default_context(cafile=cafile)


def _connection(target: Target, address: Resolved, connect_in: float) -> _PinnedHTTPConnection:
    if target.is_https:
        return _PinnedHTTPSConnection(target, address, connect_in, read_timeout(), context=ssl_context())
    return _PinnedHTTPConnection(target, address, connect_in, read_timeout())


def _abort(conn: http.client.HTTPConnection, expired: threading.Event) -> None:
    """Unblock a read that outlived the deadline (from the watchdog thread)."""
    expired.set()
    sock = conn.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed: the read has ended by itself


def _failure(code: str, message: str, started: float, *, retryable: bool, status: int | None = None) -> Outcome:
    return Outcome(
        ok=False,
        retryable=retryable,
        status=status,
        error_code=code,
        error=message[:500],
        duration_ms=int((time.monotonic() - started) * 1000),
    )


def _network_error(exc: BaseException, address: str, started: float) -> Outcome:
    if isinstance(exc, TimeoutError | socket.timeout):
        return _failure("timeout", f"Timed out talking to {address}.", started, retryable=True)
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return _failure("tls_error", f"TLS with {address} failed: {exc}", started, retryable=True)
    if isinstance(exc, http.client.HTTPException):
        return _failure("bad_response", f"{address} sent an invalid HTTP response.", started, retryable=True)
    return _failure(
        "connect_failed", f"Could not talk to {address}: {exc.__class__.__name__}.", started, retryable=True
    )


def post(target: Target, *, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST ``body`` to ``target`` once. Never raises for network or HTTP failures."""
    started = time.monotonic()
    deadline = started + total_timeout()
    try:
        addresses = netguard.checked_addresses(target)
    except netguard.AddressRefused as exc:
        why = (
            "webhooks cannot call this installation's own services"
            if exc.reason == netguard.INSTALLATION
            else "the installation does not allow this network"
        )
        return _failure(
            exc.code,
            f"Refused without connecting: {netguard.describe_refusal(target.host, exc)}; {why}.",
            started,
            retryable=False,
        )
    except netguard.ResolutionFailed as exc:
        return _failure("dns_failure", str(exc), started, retryable=True)

    conn: _PinnedHTTPConnection | None = None
    connected_to = ""
    private = False
    failure: Outcome | None = None
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        candidate = _connection(target, address, min(connect_timeout(), remaining))
        try:
            candidate.connect()
        except (OSError, ssl.CertificateError) as exc:
            candidate.close()
            failure = _network_error(exc, str(address.address), started)
            continue
        conn, connected_to, private = candidate, str(address.address), address.private
        break
    if conn is None:
        return failure or _failure(
            "timeout", "The delivery deadline passed before connecting.", started, retryable=True
        )

    # What the reads see once the watchdog shuts the socket (an empty line, a short body)
    # could pass for an answer: the event says the deadline, not the receiver, ended it.
    expired = threading.Event()
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _abort, args=(conn, expired))
    watchdog.daemon = True
    watchdog.start()
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        excerpt = response.read(EXCERPT_BYTES).decode("utf-8", errors="replace")
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            return _failure("timeout", f"{connected_to} did not answer within the deadline.", started, retryable=True)
        return _network_error(exc, connected_to, started)
    finally:
        watchdog.cancel()
        conn.close()
    if expired.is_set():
        return _failure("timeout", f"{connected_to} did not answer within the deadline.", started, retryable=True)

    duration_ms = int((time.monotonic() - started) * 1000)
    if 200 <= status < 300:
        return Outcome(
            ok=True, retryable=False, status=status, excerpt=excerpt, duration_ms=duration_ms, private=private
        )
    retryable = status == 429 or status >= 500
    if 300 <= status < 400:
        code, message = "redirect", f"The receiver answered {status}; redirects are not followed."
    else:
        code, message = "http_error", f"The receiver answered {status}."
    return Outcome(
        ok=False,
        retryable=retryable,
        status=status,
        error_code=code,
        error=message,
        excerpt=excerpt,
        duration_ms=duration_ms,
        private=private,
    )
