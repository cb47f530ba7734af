"""Health, readiness, metrics, and the error pages: JSON for API clients, the console's own pages otherwise."""

from __future__ import annotations

import hmac
import ipaddress
import select
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import structlog
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .api.errors import error_response, internal_error_response
from .context import current_request_id
from .http import bearer_token, client_ip
from .metrics import redis_client, render_metrics
from .middleware import is_api_path

log = structlog.get_logger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Checks nothing else on purpose."""
    return JsonResponse({"status": "ok"})


# Each dependency gets this long to answer. Kubernetes-style probes give up after a few
# seconds, so a dead dependency must make /readyz answer 503 in time, not hang it.
CHECK_TIMEOUT_SECONDS = 2.0


def _check_database() -> None:
    """``SELECT 1`` on the default database.

    The connect timeout comes from ``DATABASE_URL`` (``?connect_timeout=2``); without it
    libpq waits for the operating system to give up on an unreachable host.
    """
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_redis() -> None:
    redis_client().ping()


def _check_mqtt(timeout: float = CHECK_TIMEOUT_SECONDS) -> None:
    """Open an MQTT session with the broker and wait for its CONNACK, within ``timeout`` seconds.

    The TCP connect, the TLS handshake and the wait for CONNACK share one deadline: paho's
    own ``connect()`` waits 5 s by default and counting ``loop()`` calls bounds nothing,
    because each call returns as soon as any byte arrives. ``loop()`` also opens a socket
    pair per client, so this reads with ``loop_read()`` after our own ``select()`` instead.
    """
    import paho.mqtt.client as mqtt

    url = urlparse(settings.MQTT_URL)
    deadline = time.monotonic() + timeout
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="", protocol=mqtt.MQTTv311)
    client.connect_timeout = timeout
    acks: list[Any] = []
    client.on_connect = lambda _client, _userdata, _flags, reason, _properties: acks.append(reason)
    if url.username:
        client.username_pw_set(url.username, url.password)
    if url.scheme == "mqtts":
        client.tls_set()
    try:
        client.connect(url.hostname or "127.0.0.1", url.port or (8883 if url.scheme == "mqtts" else 1883), keepalive=5)
        sock = client.socket()
        while not acks:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or sock is None:
                raise TimeoutError("no CONNACK from the broker in time")
            # A TLS socket may hold decrypted bytes that select() cannot see.
            pending = sock.pending() if hasattr(sock, "pending") else 0
            readable = pending > 0 or bool(select.select([sock], [], [], remaining)[0])
            if readable and client.loop_read() != mqtt.MQTT_ERR_SUCCESS and not acks:
                raise ConnectionError("the broker closed the connection before CONNACK")
        if acks[0].is_failure:
            raise ConnectionError(f"the broker refused the session: {acks[0]}")
    finally:
        client.disconnect()
        sock = client.socket()
        if sock is not None:
            sock.close()


CHECKS: dict[str, Callable[[], None]] = {"database": _check_database, "redis": _check_redis, "mqtt": _check_mqtt}


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, Redis and the MQTT broker answer; 503 names the ones that do not."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure of a dependency means not ready
            log.warning("readyz.check_failed", check=name, error=type(exc).__name__)
            results[name] = "unavailable"
    failing = [name for name, state in results.items() if state != "ok"]
    if failing:
        return error_response(
            "not_ready", f"Not ready: {', '.join(failing)} unavailable.", 503, {"checks": results, "failing": failing}
        )
    return JsonResponse({"status": "ready", "checks": results})


def _is_loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _may_scrape(request: HttpRequest) -> bool:
    """A scraper on this host, or one that shows ``METRICS_TOKEN``.

    The address is the client's as ``TRUSTED_PROXY_COUNT`` reads ``X-Forwarded-For``, so a
    request that came through the proxy from elsewhere is not loopback even though the
    proxy connects from 127.0.0.1. A bearer token, when one is sent, must be the right one,
    wherever the request comes from.
    """
    given = bearer_token(request.headers.get("Authorization", ""))
    if given is not None:
        expected = settings.METRICS_TOKEN
        if expected and hmac.compare_digest(given.encode(), expected.encode()):
            return True
        log.warning("metrics.token_refused", client=client_ip(request))
        return False
    return _is_loopback(client_ip(request))


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition, for loopback clients and holders of ``METRICS_TOKEN`` only.

    Anyone else gets the 404 of an unknown page, whatever the method: the endpoint's
    existence is not advertised, and its figures (routes, volumes, error rates, task
    names) are nobody's business but the operator's.
    """
    if not _may_scrape(request):
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return HttpResponse(render_metrics(), content_type="text/plain; version=0.0.4; charset=utf-8")


# The console's error pages: a title and a sentence each, in the console's look.
ERROR_PAGES: dict[int, tuple[str, str]] = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "You do not have permission to open this page."),
    404: ("Page not found", "There is no page at this address."),
    500: ("Something went wrong", "An unexpected error occurred on our side; it has been logged."),
}
ERROR_TEMPLATE = "console/error.html"


def error_page(request: HttpRequest | None, status: int, message: str | None = None) -> HttpResponse:
    """The console's page for ``status``. Without ``request`` it renders without context
    processors, so it touches neither the session nor the database (the 500 page)."""
    title, default_message = ERROR_PAGES[status]
    context = {
        "status": status,
        "title": title,
        "message": message or default_message,
        "request_id": current_request_id() if status >= 500 else None,
    }
    return HttpResponse(loader.render_to_string(ERROR_TEMPLATE, context, request), status=status)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return error_response("not_found", "Not found.", 404)
    return error_page(request, 404)


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return error_response("permission_denied", "You do not have permission to do this.", 403)
    return error_page(request, 403)


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # A 400 comes from a request Django could not trust (a foreign Host header, a broken
    # cookie or form): the page renders without it rather than run context processors on it.
    if isinstance(exception, DisallowedHost):
        if is_api_path(request.path):
            return error_response("disallowed_host", "This server does not answer to that host name.", 400)
        return error_page(None, 400, "This server does not answer to that host name.")
    if is_api_path(request.path):
        return error_response("bad_request", "The request is not valid.", 400)
    return error_page(None, 400)


def handler500(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    if is_api_path(request.path):
        return internal_error_response()
    return error_page(None, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form posted without a valid CSRF token (an expired page, or
    another site posting on the user's behalf). The reason is logged, not shown."""
    log.warning("http.csrf_failed", path=request.path, reason=reason)
    if is_api_path(request.path):
        return error_response("csrf_failed", "CSRF verification failed.", 403)
    return error_page(
        request, 403, "This form has expired or was sent from another site. Reload the page and try again."
    )


__all__ = [
    "csrf_failure",
    "error_page",
    "handler400",
    "handler403",
    "handler404",
    "handler500",
    "healthz",
    "metrics",
    "readyz",
]
