"""The GraphQL endpoint: JWT authentication, tenant context, and cost limits.

Authentication uses the same access tokens as REST (``Authorization: Bearer <token>``;
``JWT <token>`` is accepted for graphql-jwt clients). Without a token the console's
session is used, and then CSRF is enforced. Depth, field-count and body-size limits are
checked before execution; introspection and GraphiQL are off unless DEBUG.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from graphene.validation import DisableIntrospection, depth_limit_validator
from graphene_django.views import GraphQLView

from apps.core.errors import DomainError
from apps.core.graphql_limits import field_count_limit_validator
from apps.people.api.authentication import activate_principal, bearer_token
from apps.people.services import authenticate_access


def _errors(message: str, code: str, status: int, **details: Any) -> HttpResponse:
    body = {"errors": [{"message": message, "extensions": {"code": code, **details}}]}
    return HttpResponse(json.dumps(body), status=status, content_type="application/json")


def _noop_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def _validation_rules() -> tuple:
    rules: list = [
        depth_limit_validator(max_depth=settings.GRAPHQL_MAX_DEPTH),
        field_count_limit_validator(settings.GRAPHQL_MAX_FIELDS),
    ]
    if not settings.GRAPHQL_INTROSPECTION:
        rules.append(DisableIntrospection)
    return tuple(rules)


@method_decorator(csrf_exempt, name="dispatch")
class YoutilityGraphQLView(GraphQLView):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("graphiql", settings.DEBUG)
        kwargs.setdefault("validation_rules", _validation_rules())
        super().__init__(**kwargs)

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
            activate_principal(request.user, request.session_tenant)  # type: ignore[attr-defined]
            reason = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(request, _noop_view, (), {})
            if reason is not None:
                return _errors("CSRF verification failed.", "csrf_failed", 403)
        return super().dispatch(request, *args, **kwargs)
