import time
from typing import Any

import graphene
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template import Context, Template
from django.urls import include, path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from apps.core.graphql import SizedList
from youtility.graphql_view import YoutilityGraphQLView
from youtility.urls import handler400, handler403, handler404, handler500  # the project's error pages here too


@api_view(["GET"])
@permission_classes([AllowAny])
def boom(request):  # type: ignore[no-untyped-def]
    raise RuntimeError("secret internal detail")


def console_boom(request: HttpRequest) -> HttpResponse:
    """A console page that fails: the product's 500 page, not Django's."""
    raise RuntimeError("secret internal detail")


@api_view(["GET"])
@permission_classes([AllowAny])
def data_error(request):  # type: ignore[no-untyped-def]
    """A value that gets past validation and that PostgreSQL refuses (a DataError)."""
    value = {"out_of_range": str(2**64), "not_a_number": "abc"}[request.query_params["value"]]
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::bigint", [value])
    return Response({})


@api_view(["GET"])
@permission_classes([AllowAny])
def sleep(request):  # type: ignore[no-untyped-def]
    """Hold the database for ``?seconds=``: what a slow statement does to a request."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s), pg_backend_pid()", [float(request.GET.get("seconds", "0"))])
        pid = cursor.fetchone()[1]
    return Response({"backend_pid": pid})


class SlowNumber(graphene.ObjectType):
    value = graphene.Int(required=True)

    @staticmethod
    def resolve_value(root: int, info: Any) -> int:
        time.sleep(0.02)  # Python work between fields, for the execution deadline
        return root


class SlowQuery(graphene.ObjectType):
    sleep = graphene.Int(seconds=graphene.Float(required=True), description="pg_sleep, then the backend's pid.")
    backend_pid = graphene.Int()
    numbers = SizedList(SlowNumber, max_items=100, page_argument="first", first=graphene.Int(default_value=10))

    @staticmethod
    def resolve_sleep(root: Any, info: Any, seconds: float) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(%s), pg_backend_pid()", [seconds])
            return cursor.fetchone()[1]

    @staticmethod
    def resolve_backend_pid(root: Any, info: Any) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    @staticmethod
    def resolve_numbers(root: Any, info: Any, first: int) -> list[int]:
        return list(range(first))


slow_schema = graphene.Schema(query=SlowQuery)

# A console page breaking the policy on purpose: an inline script (which must not run)
# and an image from another origin (which must not load).
_VIOLATION_PAGE = Template(
    '{% extends "console/base.html" %}{% block body %}<main><h1 id="ok">A page with violations</h1>'
    '<script>document.title = "inline script ran";</script>'
    '<img id="foreign" alt="" src="https://images.example.com/x.png?session=secret-value">'
    "</main>{% endblock %}"
)


def violation_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_VIOLATION_PAGE.render(Context({})))


urlpatterns = [
    path("api/v1/boom/", boom),
    path("boom/", console_boom),
    path("api/v1/data-error/", data_error),
    path("api/v1/sleep/", sleep),
    path("graphql-slow/", YoutilityGraphQLView.as_view(schema=slow_schema)),
    path("test-csp-violation/", violation_page),
    path("", include("youtility.urls")),
]
__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
