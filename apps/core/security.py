"""The content security policy: one header on every response, and the endpoint browsers
report violations to.

The policy is built here and nowhere else. Every page gets the strict base policy: our
own origin only, no inline scripts or styles, no plugins, no framing. A page that cannot
live with it gets a relaxation in ``RELAXATIONS``, by path prefix and with its reason,
adding sources to named directives and nothing more. A response that already carries a
policy keeps it.

Browsers report violations to ``/csp-report``: through ``report-uri`` in the old
``application/csp-report`` format, and over HTTPS through ``report-to`` and
``Reporting-Endpoints`` in the Reporting API's ``application/reports+json``. The endpoint is open to anyone, so it
bounds what it reads and logs: bodies over ``CSP_REPORT_MAX_BYTES`` are refused, a client
address gets ``CSP_REPORTS_PER_MINUTE`` reports a minute, a request carries at most
``MAX_REPORTS_PER_REQUEST`` reports, each becomes one log line of short fields, and URLs
lose their query strings and fragments (where tokens would be).
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import structlog
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .api.errors import error_response
from .http import client_ip

log = structlog.get_logger("youtility.csp")

REPORT_PATH = "/csp-report"
REPORT_GROUP = "csp"

BASE_POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "font-src": ("'self'",),
    # 'self' covers the WebSocket back to the same host and port (ws:/wss:).
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}


@dataclass(frozen=True)
class Relaxation:
    prefix: str
    sources: dict[str, tuple[str, ...]]
    reason: str


RELAXATIONS: tuple[Relaxation, ...] = (
    Relaxation(
        "/api/v1/redoc/",
        {"style-src": ("'unsafe-inline'",), "worker-src": ("blob:",)},
        "Redoc styles itself at run time (styled-components writes <style> elements) and "
        "builds its search index in a worker it creates from a blob: URL.",
    ),
    Relaxation(
        "/graphql/",
        {"font-src": ("data:",)},
        "GraphiQL's stylesheet embeds its fonts as data: URLs.",
    ),
)


@functools.cache
def _policy(relaxation_index: int | None, secure: bool) -> str:
    directives = {name: list(sources) for name, sources in BASE_POLICY.items()}
    if relaxation_index is not None:
        for name, extra in RELAXATIONS[relaxation_index].sources.items():
            # A directive the base leaves out (worker-src) starts from 'self', as its fallbacks do.
            directives.setdefault(name, list(BASE_POLICY["default-src"])).extend(extra)
    directives["report-uri"] = [REPORT_PATH]
    if secure:
        directives["report-to"] = [REPORT_GROUP]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def policy_for(path: str, secure: bool = True) -> str:
    """The policy of the page at ``path``: the base policy plus its relaxation, if any.

    ``report-to`` is named over HTTPS only. Chromium sends reports through the Reporting
    API alone when a policy names ``report-to``, and it accepts ``Reporting-Endpoints``
    from HTTPS responses only: over plain HTTP (``make run``) its reports would wait in a
    queue for ever instead of going to ``report-uri``.
    """
    index = next((i for i, r in enumerate(RELAXATIONS) if path.startswith(r.prefix)), None)
    return _policy(index, secure)


class ContentSecurityPolicyMiddleware:
    """Send the policy (and, over HTTPS, the Reporting API endpoint it names) with every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            secure = request.is_secure()
            response["Content-Security-Policy"] = policy_for(request.path, secure)
            if secure:
                response["Reporting-Endpoints"] = f'{REPORT_GROUP}="{REPORT_PATH}"'
        return response


# --- the report endpoint ---------------------------------------------------------------------

REPORT_CONTENT_TYPES = {"application/csp-report", "application/reports+json", "application/json"}
MAX_REPORTS_PER_REQUEST = 20
MAX_FIELD_CHARS = 256

# The legacy format's keys (report-uri) and the Reporting API's (report-to), to one set of names.
_LEGACY_FIELDS = {
    "document-uri": "document_uri",
    "blocked-uri": "blocked_uri",
    "effective-directive": "effective_directive",
    "violated-directive": "violated_directive",
    "disposition": "disposition",
    "source-file": "source_file",
    "line-number": "line_number",
    "column-number": "column_number",
    "script-sample": "sample",
    "status-code": "status_code",
}
_REPORTING_API_FIELDS = {
    "documentURL": "document_uri",
    "blockedURL": "blocked_uri",
    "effectiveDirective": "effective_directive",
    "disposition": "disposition",
    "sourceFile": "source_file",
    "lineNumber": "line_number",
    "columnNumber": "column_number",
    "sample": "sample",
    "statusCode": "status_code",
}
_URL_FIELDS = {"document_uri", "blocked_uri", "source_file"}
_NUMBER_FIELDS = {"line_number", "column_number", "status_code"}


def _short(value: str) -> str:
    return value if len(value) <= MAX_FIELD_CHARS else value[: MAX_FIELD_CHARS - 1] + "…"


def _without_query(value: str) -> str:
    """A URL without its query string and fragment; keywords such as ``inline`` pass through."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return "(unparsable)"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _clean(raw: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, name in names.items():
        value = raw.get(key)
        if name in _NUMBER_FIELDS:
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31:
                fields[name] = value
        elif isinstance(value, str) and value:
            fields[name] = _short(_without_query(value) if name in _URL_FIELDS else value)
    if "effective_directive" not in fields and "violated_directive" in fields:
        fields["effective_directive"] = fields["violated_directive"].split(" ")[0]
    fields.pop("violated_directive", None)
    return fields


def _reports(payload: Any) -> Iterator[dict[str, Any]]:
    """The violations in a body of either format; anything else in it is skipped."""
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        yield _clean(payload["csp-report"], _LEGACY_FIELDS)
    elif isinstance(payload, list):
        for item in payload:
            if isinstance(item, dict) and item.get("type") == "csp-violation" and isinstance(item.get("body"), dict):
                yield _clean(item["body"], _REPORTING_API_FIELDS)


def _over_limit(request: HttpRequest) -> int | None:
    """Seconds to wait when this address sent its share of reports this minute, else None."""
    now = time.time()
    window = int(now // 60)
    key = f"csp-report:{client_ip(request) or 'unknown'}:{window}"
    try:
        cache.add(key, 0, timeout=120)
        count = cache.incr(key)
    except Exception:  # noqa: BLE001 - the limiter's store being down must not turn a report into a 5xx
        log.warning("csp.report_limiter_unavailable")
        return None
    if count > settings.CSP_REPORTS_PER_MINUTE:
        return max(1, int((window + 1) * 60 - now))
    return None


@csrf_exempt
def csp_report(request: HttpRequest) -> HttpResponse:
    """Log the violations a browser reports (204), or say why the request was refused (4xx)."""
    if request.method != "POST":
        return error_response("method_not_allowed", "Reports are sent with POST.", 405, headers={"Allow": "POST"})
    if request.content_type not in REPORT_CONTENT_TYPES:
        return error_response(
            "unsupported_media_type",
            "Reports are application/csp-report or application/reports+json.",
            415,
        )
    wait = _over_limit(request)
    if wait is not None:
        return error_response(
            "throttled",
            "Too many reports from this address; try again later.",
            429,
            {"retry_after": wait},
            {"Retry-After": str(wait)},
        )
    limit = settings.CSP_REPORT_MAX_BYTES
    body = request.read(limit + 1)
    if len(body) > limit:
        return error_response("payload_too_large", "The report is too large.", 413, {"max_bytes": limit})
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return error_response("malformed_json", "The report is not valid JSON.", 400)
    user_agent = _short(request.headers.get("User-Agent", ""))
    count = 0
    for count, fields in enumerate(_reports(payload), start=1):
        if count > MAX_REPORTS_PER_REQUEST:
            log.warning("csp.reports_dropped", reason="too many in one request", kept=MAX_REPORTS_PER_REQUEST)
            break
        log.warning("csp.violation", user_agent=user_agent, **fields)
    if count == 0:
        return error_response("invalid", "The body holds no content security policy report.", 400)
    return HttpResponse(status=204)
