"""One error shape for every 4xx/5xx of the API: ``{"error": {"code", "message", "details"}}``.

Codes are stable strings clients can switch on; messages are for people; details carry
field errors or values such as ``retry_after``. Tracebacks never leave the server.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response

from apps.core.context import current_request_id
from apps.core.errors import SPECIFIC_FIELD_CODES, DomainError, refused_by_database, statement_cancelled

log = structlog.get_logger(__name__)

_DRF_CODES: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.ParseError, "malformed_request"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "authentication_failed"),
    (exceptions.PermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "throttled"),
    (exceptions.ValidationError, "invalid"),
]


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(
    code: str, message: str, status: int, details: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> JsonResponse:
    response = JsonResponse(error_body(code, message, details), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def graphql_error_response(code: str, message: str, status: int, details: dict[str, Any] | None = None) -> JsonResponse:
    """A refusal on ``/graphql/`` before the GraphQL view runs, in GraphQL's error shape."""
    extensions: dict[str, Any] = {"code": code}
    if details:
        extensions["details"] = details
    return JsonResponse({"errors": [{"message": message, "extensions": extensions}]}, status=status)


def _validation_details(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {"fields": detail}
    return {"non_field_errors": detail if isinstance(detail, list) else [detail]}


def _flat_codes(codes: Any) -> list[str]:
    if isinstance(codes, dict):
        return [c for value in codes.values() for c in _flat_codes(value)]
    if isinstance(codes, list):
        return [c for value in codes for c in _flat_codes(value)]
    return [str(codes)]


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: map every known failure to the error shape."""
    cancelled = statement_cancelled(exc)
    if cancelled is not None:
        log.warning("db.statement_cancelled", view=type(context.get("view")).__name__)
        exc = cancelled
    if isinstance(exc, DataError):
        exc = refused_by_database(exc)
    if isinstance(exc, DomainError):
        headers = dict(exc.headers)
        if exc.status == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status, headers=headers)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("payload_too_large", "The request body is too large."),
            status=413,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # unexpected: ApiErrorMiddleware logs it and answers 500 without a traceback
    code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.ValidationError):
        message = "The request is not valid."
        details = _validation_details(exc.detail)
        code = next((c for c in _flat_codes(exc.get_codes()) if c in SPECIFIC_FIELD_CODES), code)
    elif isinstance(exc, exceptions.ParseError):
        message = "The request body could not be parsed."
        details = {"reason": str(exc.detail)}
        code = "malformed_json" if "JSON" in str(exc.detail) else code
    else:
        message = str(exc.detail)
        details = {}
        detail_code = exc.get_codes()
        if isinstance(detail_code, str) and detail_code not in {"error", "invalid"}:
            code = detail_code
    response_headers: dict[str, str] = {}
    wait = getattr(exc, "wait", None)
    if wait:
        details["retry_after"] = int(wait)
        response_headers["Retry-After"] = str(int(wait))
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response_headers["WWW-Authenticate"] = 'Bearer realm="api"'
        status = 401
    else:
        status = exc.status_code
    return Response(error_body(code, message, details), status=status, headers=response_headers)


def internal_error_response() -> JsonResponse:
    return error_response(
        "internal_error",
        "An unexpected error occurred; it has been logged.",
        500,
        {"request_id": current_request_id()},
    )
