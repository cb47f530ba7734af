"""Request plumbing: correlation id, metrics, body-size limit, clean query strings and
forms, API errors without tracebacks."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import structlog
from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse

from . import cleaning
from .api.errors import error_response, graphql_error_response, internal_error_response
from .context import clean_request_id
from .errors import DomainError, statement_cancelled
from .metrics import HTTP_LATENCY, HTTP_REQUESTS, method_label, route_label, status_label

log = structlog.get_logger("youtility.http")

API_PREFIXES = ("/api/", "/graphql")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


class RequestIdMiddleware:
    """Take ``X-Request-ID`` (if plain) or make one; bind it to every log line; echo it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        structlog.contextvars.clear_contextvars()
        request_id = clean_request_id(request.headers.get("X-Request-ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            log.info(
                "http.request",
                method=request.method,
                path=request.path,
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            return response
        finally:
            structlog.contextvars.clear_contextvars()


class MetricsMiddleware:
    """Count requests and time them, labelled by the URL pattern (not the raw path), with
    every label bounded (``apps.core.metrics``): what a client sends never names a series."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        method, route = method_label(request.method), route_label(match.route if match is not None else None)
        HTTP_REQUESTS.labels(method, route, status_label(response.status_code)).inc()
        HTTP_LATENCY.labels(method, route).observe(time.perf_counter() - started)
        return response


class BodySizeLimitMiddleware:
    """Refuse bodies over ``MAX_REQUEST_BODY_BYTES`` (or the upload limit of the path,
    the first of ``UPLOAD_BODY_LIMITS`` whose pattern matches it) with 413 before
    anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            size = int(length)
        except ValueError:
            return error_response("malformed_request", "Content-Length is not a number.", 400)
        limit = next(
            (limit for pattern, limit in settings.UPLOAD_BODY_LIMITS.items() if re.match(pattern, request.path)),
            settings.MAX_REQUEST_BODY_BYTES,
        )
        if size > limit:
            return error_response("payload_too_large", "The request body is too large.", 413, {"max_bytes": limit})
        return self.get_response(request)


class CleanInputMiddleware:
    """Refuse a URL path, query string or url-encoded form holding NUL or a lone surrogate,
    on every path, before any view runs (``?q=%00`` reached SQL and failed there).

    API paths answer 400 ``invalid_characters`` in the error shape (GraphQL's on
    ``/graphql/``); other paths (console, admin) get the project's 400 page. JSON bodies
    are cleaned by their parsers (``apps.core.cleaning.loads``) and multipart forms by
    ``CleanMultiPartParser``: reading a multipart body here would consume the upload
    before the view's own limits apply.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            self.check(request)
        except DomainError as exc:
            if request.path.startswith("/graphql"):
                return graphql_error_response(exc.code, exc.message, exc.status, exc.details)
            if not is_api_path(request.path):
                raise BadRequest(exc.message) from exc
            return error_response(exc.code, exc.message, exc.status, exc.details)
        return self.get_response(request)

    @staticmethod
    def check(request: HttpRequest) -> None:
        cleaning.check_text(request.path, **{"in": "path"})
        sources = [("query", request.GET)]
        if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
            try:
                sources.append(("form", request.POST))
            except (RequestDataTooBig, TooManyFieldsSent):
                pass  # unread, so the view meets the same error and answers it as it does today
        for where, params in sources:
            for name, values in params.lists():
                cleaning.check_text(name, **{"in": where})
                for value in values:
                    cleaning.check_text(value, **{"in": where, "name": name})


class ApiErrorMiddleware:
    """An unexpected exception on an API path becomes a 500 in the error shape (logged, no traceback)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api_path(request.path):
            return None
        cancelled = statement_cancelled(exception)
        if cancelled is not None:
            # Outside a DRF view (authentication, for one): the same answer as inside.
            log.warning("db.statement_cancelled", path=request.path)
            return error_response(cancelled.code, cancelled.message, cancelled.status)
        log.exception("http.unhandled_exception", path=request.path)
        return internal_error_response()
