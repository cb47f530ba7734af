"""The GraphQL endpoint: JWT authentication, tenant context, and cost limits.

Authentication uses the same access tokens as REST (``Authorization: Bearer <token>``;
``JWT <token>`` is accepted for graphql-jwt clients). Without a token the console's
session is used, and then CSRF is enforced. Depth, field-count, cost and body-size limits
are checked before execution, the execution itself stops at a deadline, and statements
run under the web statement timeout; introspection and GraphiQL have settings of their
own (``GRAPHQL_INTROSPECTION``, ``GRAPHIQL``), on in the local profile only. GraphiQL is
the project's own page (``console/graphiql.html``): vendored scripts, no inline code, so
it works offline and under the content security policy.

Every error carries ``extensions.code``: request-level failures (bad JSON, bad
parameters) answer 400 with one, a query that does not parse or validate gets
``invalid_query`` unless a rule gave a more precise code, and an unexpected exception in a resolver is logged and
answered as ``internal_error`` without its message, which may hold SQL or internals.
A statement cancelled by the statement timeout is ``query_timeout`` on its field; an
execution stopped at its deadline answers 503 with ``query_timeout`` and no data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import structlog
from django.conf import settings
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from graphene_django.views import GraphQLView, HttpError
from graphql import ExecutionResult, GraphQLError, specified_rules

from apps.core import cleaning
from apps.core.context import current_request_id
from apps.core.errors import DomainError, refused_by_database, statement_cancelled
from apps.core.graphql_limits import (
    CleanStringLiterals,
    ExecutionDeadlineExceeded,
    IntrospectionDisabled,
    cost_limit_validator,
    deadline_execution_context,
    depth_limit_validator,
    field_count_limit_validator,
)
from apps.core.http import bearer_token
from apps.people.api.authentication import activate_principal
from apps.people.services import authenticate_access

log = structlog.get_logger(__name__)

_INTERNAL_MESSAGE = "An unexpected error occurred; it has been logged."
# Codes for graphene-django's own request errors, which carry only an HTTP status.
_HTTP_ERROR_CODES = {400: "malformed_request", 405: "method_not_allowed"}


def _errors(message: str, code: str, status: int, **details: Any) -> HttpResponse:
    body = {"errors": [{"message": message, "extensions": {"code": code, **details}}]}
    return HttpResponse(json.dumps(body), status=status, content_type="application/json")


class RequestError(HttpError):
    """A request the endpoint cannot read (bad JSON, wrong parameter types): HTTP 400 with a code."""

    def __init__(self, message: str, code: str, status: int = 400, details: dict[str, Any] | None = None) -> None:
        super().__init__(HttpResponse(status=status), message)
        self.code = code
        self.details = details or {}


def _decode(text: bytes, malformed_message: str) -> Any:
    """JSON from the client through ``apps.core.cleaning.loads``, its refusals as ``RequestError``."""
    try:
        return cleaning.loads(text)
    except cleaning.MalformedJSON as exc:
        raise RequestError(malformed_message, "malformed_json") from exc
    except DomainError as exc:
        raise RequestError(exc.message, exc.code, exc.status, exc.details) from exc


def _noop_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def _validation_rules(max_cost: int, variables: Any) -> tuple:
    # graphql-core runs exactly the rules it is given, so the specification's own rules
    # (fields exist, fragments resolve, arguments type-check...) must be listed too.
    rules: list = [
        *specified_rules,
        depth_limit_validator(settings.GRAPHQL_MAX_DEPTH),
        field_count_limit_validator(settings.GRAPHQL_MAX_FIELDS),
        CleanStringLiterals,
        cost_limit_validator(max_cost, variables),
    ]
    if not settings.GRAPHQL_INTROSPECTION:
        rules.append(IntrospectionDisabled)
    return tuple(rules)


def cost_budget(user: Any) -> int:
    """The query cost one request of ``user`` may spend: the largest budget of their roles
    (``GRAPHQL_MAX_COST_BY_ROLE``), ``GRAPHQL_MAX_COST`` when none of them is listed, and
    ``GRAPHQL_MAX_COST_ANONYMOUS`` without a sign-in (enough for the token mutations)."""
    if user is None or not user.is_authenticated:
        return int(settings.GRAPHQL_MAX_COST_ANONYMOUS)
    by_role = settings.GRAPHQL_MAX_COST_BY_ROLE
    return max((by_role[code] for code in user.role_codes() if code in by_role), default=settings.GRAPHQL_MAX_COST)


def _internal_error(error: BaseException, formatted: Mapping[str, Any] | None = None) -> dict[str, Any]:
    log.error("graphql.unexpected_error", exc_info=error)
    body = dict(formatted or {})
    body["message"] = _INTERNAL_MESSAGE
    body["extensions"] = {"code": "internal_error", "request_id": current_request_id()}
    return body


@method_decorator(csrf_exempt, name="dispatch")
class YoutilityGraphQLView(GraphQLView):
    graphiql_template = "console/graphiql.html"

    def __init__(self, **kwargs: Any) -> None:
        # Read per request (as_view builds a view per request), so settings changes apply at once.
        kwargs.setdefault("graphiql", settings.GRAPHIQL)
        super().__init__(**kwargs)
        self.deadline_exceeded = False

    def execute_graphql_request(
        self,
        request: HttpRequest,
        data: Any,
        query: Any,
        variables: Any,
        operation_name: Any,
        show_graphiql: bool = False,
    ) -> Any:
        # The cost rule needs what only the request knows: the caller's budget and the variables.
        self.validation_rules = _validation_rules(cost_budget(getattr(request, "user", None)), variables)
        self.execution_context_class = deadline_execution_context(settings.GRAPHQL_MAX_SECONDS)
        try:
            return super().execute_graphql_request(request, data, query, variables, operation_name, show_graphiql)
        except ExecutionDeadlineExceeded:
            # A mutation's transaction has rolled back on the way out; nothing is returned half done.
            log.warning("graphql.deadline_exceeded", max_seconds=settings.GRAPHQL_MAX_SECONDS)
            self.deadline_exceeded = True
            error = GraphQLError(
                f"The query ran longer than {settings.GRAPHQL_MAX_SECONDS} seconds and was stopped; ask for less.",
                extensions={"code": "query_timeout", "max_seconds": settings.GRAPHQL_MAX_SECONDS},
            )
            return ExecutionResult(data=None, errors=[error])

    def get_response(self, request: HttpRequest, data: Any, show_graphiql: bool = False) -> tuple[Any, int]:
        result, status = super().get_response(request, data, show_graphiql)
        # The server gave up, not the query was wrong: 503 as REST answers query_timeout.
        return result, 503 if self.deadline_exceeded else status

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if len(request.body) > settings.GRAPHQL_MAX_QUERY_BYTES and request.method == "POST":
            return _errors(
                "The GraphQL request is too large.",
                "query_too_large",
                413,
                max_bytes=settings.GRAPHQL_MAX_QUERY_BYTES,
            )
        query_string = request.GET.get("query", "")
        if len(query_string) > settings.GRAPHQL_MAX_QUERY_BYTES:
            return _errors("The GraphQL query is too large.", "query_too_large", 413)
        token = bearer_token(request.headers.get("Authorization", ""))
        if token is not None:
            try:
                person, tenant, _claims = authenticate_access(token, request.headers.get("X-Device-ID"))
            except DomainError as exc:
                return _errors(exc.message, exc.code, exc.status)
            activate_principal(person, tenant)
            request.user = person
        elif getattr(request, "user", None) is not None and request.user.is_authenticated:
            # The session is ambient credentials: check CSRF before acting as its person.
            reason = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, _noop_view, (), {})
            if reason is not None:
                return _errors("CSRF verification failed.", "csrf_failed", 403)
            activate_principal(request.user, request.session_tenant)  # type: ignore[attr-defined]
        return super().dispatch(request, *args, **kwargs)

    def parse_body(self, request: HttpRequest) -> Any:
        content_type = self.get_content_type(request)
        if content_type == "application/graphql":
            try:
                return {"query": request.body.decode("utf-8")}
            except UnicodeDecodeError as exc:
                raise RequestError("The query is not UTF-8 text.", "malformed_request") from exc
        if content_type != "application/json":
            return super().parse_body(request)
        # The project's decoder: the query, the operation name and every variable are
        # refused here if they hold NUL or a lone surrogate, or nest too deeply.
        data = _decode(request.body, "The request body is not valid JSON.")
        if not isinstance(data, dict):
            raise RequestError("The request body must be a JSON object with a 'query'.", "malformed_request")
        return data

    @staticmethod
    def get_graphql_params(request: HttpRequest, data: Any) -> tuple[Any, Any, Any, Any]:
        # graphene-django's reading of the parameters, but variables sent as JSON text (a
        # GET, or a form) go through the same decoder as a JSON body.
        query = request.GET.get("query") or data.get("query")
        variables = request.GET.get("variables") or data.get("variables")
        if isinstance(variables, str) and variables:
            variables = _decode(variables.encode("utf-8", "surrogatepass"), "Variables are invalid JSON.")
        operation_name = request.GET.get("operationName") or data.get("operationName")
        if operation_name == "null":
            operation_name = None
        id_ = request.GET.get("id") or data.get("id")
        if query is not None and not isinstance(query, str):
            raise RequestError("'query' must be a string.", "malformed_request")
        if variables is not None and not isinstance(variables, dict):
            raise RequestError("'variables' must be a JSON object.", "malformed_request")
        if operation_name is not None and not isinstance(operation_name, str):
            raise RequestError("'operationName' must be a string.", "malformed_request")
        return query, variables, operation_name, id_

    @staticmethod
    def format_error(error: Any) -> dict[str, Any]:
        if isinstance(error, HttpError):
            code = getattr(error, "code", None) or _HTTP_ERROR_CODES.get(error.response.status_code, "bad_request")
            extensions: dict[str, Any] = {"code": code}
            if getattr(error, "details", None):
                extensions["details"] = error.details
            return {"message": error.message, "extensions": extensions}
        if not isinstance(error, GraphQLError):
            return _internal_error(error)
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            formatted = dict(error.formatted)
            if error.path is None and "code" not in (error.extensions or {}):
                # Syntax and validation errors: the query itself is wrong and nothing ran.
                formatted["extensions"] = {**(error.extensions or {}), "code": "invalid_query"}
            return formatted
        cancelled = statement_cancelled(original)
        if cancelled is not None:
            log.warning("db.statement_cancelled", path=error.path)
            original = cancelled
        if isinstance(original, DataError):
            # A value the database refused: a validation gap, logged so it gets closed.
            original = refused_by_database(original)
        if isinstance(original, DomainError):
            formatted = dict(error.formatted)
            formatted["message"] = original.message
            formatted["extensions"] = {"code": original.code, "details": original.details}
            return formatted
        return _internal_error(original, error.formatted)
