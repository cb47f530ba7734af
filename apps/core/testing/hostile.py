"""Discovery for the hostile-input tests: every REST operation and every GraphQL argument.

REST operations come from the OpenAPI schema the code generates (the same one
``openapi.yaml`` is checked against), so a new route, parameter or body field is sent
hostile values as soon as it exists; ``unlisted_api_routes`` guards the discovery itself
by finding every DRF view routed under ``/api/v1/`` that the schema leaves out.

GraphQL arguments come from the executable schema: every argument of every query and
mutation field, and every field of the input objects they take, with a document
builder that fills the other required arguments with plain valid literals, so one
argument at a time can carry the value under test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.urls import Resolver404, get_resolver, resolve
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
)
from graphql.pyutils import Undefined
from rest_framework.views import APIView

from apps.core import tenancy
from apps.core.models import is_tenant_model
from apps.core.testing import isolation

# --- REST ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One method on one path of the REST API, as the OpenAPI schema describes it."""

    method: str
    path: str
    operation_id: str
    media_types: tuple[str, ...]
    parameters: tuple[dict[str, Any], ...] = field(compare=False)
    body: dict[str, Any] | None = field(compare=False)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def writes(self) -> bool:
        return self.method in {"post", "put", "patch", "delete"}

    @property
    def path_parameters(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    def query_parameters(self) -> list[dict[str, Any]]:
        return [p for p in self.parameters if p["in"] == "query"]

    def body_properties(self) -> dict[str, dict[str, Any]]:
        return dict((self.body or {}).get("properties", {}))


@cache
def openapi_schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _component(schema: dict[str, Any], ref: str | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return dict(schema["components"]["schemas"][ref.rsplit("/", 1)[-1]])


def rest_operations() -> list[Operation]:
    """Every operation of the generated schema, in schema order."""
    schema = openapi_schema()
    found = []
    for path, item in schema["paths"].items():
        for method, spec in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            content = (spec.get("requestBody") or {}).get("content", {})
            body = None
            for media in ("application/json", "multipart/form-data"):
                if media in content:
                    body = _component(schema, content[media]["schema"].get("$ref"))
                    break
            found.append(
                Operation(
                    method=method,
                    path=path,
                    operation_id=spec["operationId"],
                    media_types=tuple(content),
                    parameters=tuple(spec.get("parameters", [])),
                    body=body,
                )
            )
    return found


def _placeholder_path(path: str) -> str:
    return re.sub(r"{\w+}", "1", path)


def view_class(operation: Operation) -> Any:
    return resolve(_placeholder_path(operation.path)).func.cls  # type: ignore[attr-defined]


def unlisted_api_routes() -> list[str]:
    """DRF views routed under ``/api/v1/`` that no operation of the schema reaches."""
    reached = {view_class(op) for op in rest_operations()}
    missing = []
    for pattern, route, _namespace in isolation._walk(get_resolver().url_patterns):
        view = getattr(pattern.callback, "cls", None)
        if route.startswith(isolation.API_PREFIX) and isinstance(view, type) and issubclass(view, APIView):
            if "format" in pattern.pattern.regex.groupindex or view in reached:
                continue
            if view.__module__.startswith("drf_spectacular."):
                continue  # the schema and its documentation pages describe the API, they are not in it
            missing.append(f"/{route} ({view.__name__})")
    return missing


def fill_path(operation: Operation, tenant: Any) -> str:
    """The operation's path with real ids: ``{id}`` names an object of the viewset's model
    made for ``tenant`` by its isolation factory; other parameters get an id that exists
    nowhere (their routes then answer 404 before reading anything)."""
    path = operation.path
    if "{id}" in path:
        model = getattr(getattr(view_class(operation), "queryset", None), "model", None)
        if model is not None and is_tenant_model(model):
            obj = isolation.make_object(model, tenant, str(operation))
            path = path.replace("{id}", str(obj.pk))
    return re.sub(r"{\w+}", "987654321", path)


def path_is_real(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def is_date_schema(schema: dict[str, Any]) -> str | None:
    """``date`` or ``date-time`` when a parameter or property takes one (either, for a
    ``oneOf`` of both: ``date-time``), else None."""
    formats = {schema.get("format")} | {option.get("format") for option in schema.get("oneOf", [])}
    if "date-time" in formats:
        return "date-time"
    if "date" in formats:
        return "date"
    return None


def is_integer_schema(schema: dict[str, Any]) -> bool:
    return schema.get("type") in {"integer", "number"} and not schema.get("readOnly")


# --- what a refusal must look like ------------------------------------------------------


@cache
def documented_codes() -> frozenset[str]:
    """Every code docs/api.md names in backticks: each code a client can meet must be there."""
    text = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text()
    return frozenset(re.findall(r"`([a-z][a-z0-9_]*)`", text))


def error_of(response: Any) -> tuple[int, str, dict[str, Any]]:
    """(status, code, details) of an error response, asserting the one error shape."""
    body = json.loads(response.content)
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    return response.status_code, body["error"]["code"], body["error"]["details"]


def data_fingerprint(tenant: Any) -> dict[str, tuple[int, Any]]:
    """Rows and the latest change of every tenant-owned table of ``tenant``: equal before
    and after a refused request when it changed nothing."""
    models = [model for model in apps.get_models() if is_tenant_model(model)]
    parts = []
    for model in models:
        table = connections["default"].ops.quote_name(model._meta.db_table)
        label = model._meta.label.replace("'", "")
        # Identifiers from model metadata; the tenant id is a bound parameter.
        parts.append(f"SELECT '{label}', count(*), max(modified_at)::text FROM {table} WHERE tenant_id = %s")  # noqa: S608
    with tenancy.tenant_context(tenant), connections[tenancy.db_alias()].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), [tenant.pk] * len(parts))
        return {label: (count, latest) for label, count, latest in cursor.fetchall()}


# --- GraphQL ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphQLArgument:
    """One argument of a root field, or one field (at any depth) of an input object it takes."""

    root: str  # "query" or "mutation"
    field: str
    path: tuple[str, ...]  # ("input", "name") for a field of an input object
    type_name: str

    def __str__(self) -> str:
        return f"{self.root} {self.field}({'.'.join(self.path)}: {self.type_name})"


def _graphql_schema() -> Any:
    from youtility.schema import schema

    return schema.graphql_schema


def graphql_arguments(type_names: set[str]) -> list[GraphQLArgument]:
    """Every argument (and input-object field) whose named type is one of ``type_names``."""
    schema = _graphql_schema()
    found: list[GraphQLArgument] = []
    for root, root_type in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        for name, spec in root_type.fields.items():
            for argument, arg in spec.args.items():
                found += _arguments_in(root, name, (argument,), arg.type, type_names, set())
    return found


def _arguments_in(
    root: str, field_name: str, path: tuple[str, ...], type_: Any, type_names: set[str], seen: set[str]
) -> list[GraphQLArgument]:
    named = get_named_type(type_)
    if named.name in type_names:
        return [GraphQLArgument(root, field_name, path, named.name)]
    if isinstance(named, GraphQLInputObjectType) and named.name not in seen:
        found = []
        for name, spec in named.fields.items():
            found += _arguments_in(root, field_name, (*path, name), spec.type, type_names, seen | {named.name})
        return found
    return []


_SCALAR_LITERALS = {
    "String": '"x"',
    "ID": '"1"',
    "Int": "1",
    "Float": "1.0",
    "Boolean": "false",
    "Date": '"2026-01-05"',
    "DateTime": '"2026-01-05T08:00:00Z"',
    "Time": '"08:00:00"',
    "Decimal": '"1"',
    "UUID": '"00000000-0000-4000-8000-000000000000"',
    "GenericScalar": "{}",
}


def _literal(type_: Any, path: tuple[str, ...], value: str) -> str:
    """A literal of ``type_``: ``value`` where ``path`` ends, plain valid values elsewhere."""
    if not path:
        return value
    return _filled(type_, path, value)


def _filled(type_: Any, path: tuple[str, ...], value: str) -> str:
    if isinstance(type_, GraphQLNonNull):
        return _filled(type_.of_type, path, value)
    if isinstance(type_, GraphQLList):
        return f"[{_filled(type_.of_type, path, value)}]" if path else "[]"
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        parts = []
        for name, spec in type_.fields.items():
            if path and name == path[0]:
                parts.append(f"{name}: {_literal(spec.type, path[1:], value)}")
            elif is_non_null_type(spec.type) and spec.default_value is Undefined:
                parts.append(f"{name}: {_filled(spec.type, (), value)}")
        return "{" + ", ".join(parts) + "}"
    return _SCALAR_LITERALS[type_.name]


def graphql_document(argument: GraphQLArgument, value: str) -> str:
    """An operation calling ``argument.field`` with ``value`` (a GraphQL literal) at the
    argument's path and plain valid literals for every other required argument."""
    schema = _graphql_schema()
    root_type = schema.query_type if argument.root == "query" else schema.mutation_type
    spec = root_type.fields[argument.field]
    parts = []
    for name, arg in spec.args.items():
        if name == argument.path[0]:
            parts.append(f"{name}: {_literal(arg.type, argument.path[1:], value)}")
        elif is_non_null_type(arg.type) and arg.default_value is Undefined:
            parts.append(f"{name}: {_filled(arg.type, (), value)}")
    call = f"{argument.field}({', '.join(parts)})" if parts else argument.field
    selection = "" if is_leaf_type(get_named_type(spec.type)) else " { __typename }"
    return f"{argument.root} {{ {call}{selection} }}"


def iter_codes(body: dict[str, Any]) -> Iterator[str]:
    """The ``extensions.code`` of every error of a GraphQL answer."""
    for error in body.get("errors") or []:
        yield str((error.get("extensions") or {}).get("code"))
