"""Hostile input on every REST operation: each is refused with a 4xx in the error shape and
changes nothing, never a 500.

Operations, their query parameters and their body fields are discovered from the OpenAPI
schema the code generates (``apps/core/testing/hostile.py``), so a new route or field is
covered as soon as it exists. What each case sends:

- NUL in the query string (every operation, before any credentials are even read);
- NUL, a lone surrogate and nesting 100 levels deep in a JSON body, and NUL in a
  multipart form field (every operation that takes a body);
- dates outside the supported range (1900-9000, offsets within ±15:59) in every date
  parameter and body field;
- numbers beyond PostgreSQL's ``bigint`` in every integer parameter and body field.

Lone surrogates cannot arrive in a query string or a form: Django decodes both with
replacement characters, so only JSON can carry one.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import resolve

from apps.core.cleaning import MAX_JSON_DEPTH
from apps.core.testing import hostile

OPERATIONS = hostile.rest_operations()
JSON_OPERATIONS = [op for op in OPERATIONS if "application/json" in op.media_types]
MULTIPART_OPERATIONS = [op for op in OPERATIONS if "multipart/form-data" in op.media_types]
NOT_FOUND: tuple[int, str, dict[str, Any]] = (404, "not_found", {})


def _inputs(kind: str) -> list[tuple[hostile.Operation, str, str, str]]:
    """(operation, "query" or "body", name, format) for every date (or integer) input."""
    found = []
    for op in OPERATIONS:
        for parameter in op.query_parameters():
            schema = parameter.get("schema", {})
            fmt = hostile.is_date_schema(schema) if kind == "date" else "integer" * hostile.is_integer_schema(schema)
            if fmt:
                found.append((op, "query", parameter["name"], fmt))
        if "application/json" in op.media_types:
            for name, schema in op.body_properties().items():
                fmt = (
                    hostile.is_date_schema(schema) if kind == "date" else "integer" * hostile.is_integer_schema(schema)
                )
                if fmt:
                    found.append((op, "body", name, fmt))
    return found


DATE_INPUTS = _inputs("date")
INTEGER_INPUTS = _inputs("integer")


def _id(case: tuple[hostile.Operation, str, str, str]) -> str:
    op, where, name, _fmt = case
    return f"{op} {where}:{name}"


def _send(client: Any, operation: hostile.Operation, path: str, *, query: str = "", body: Any = None) -> Any:
    url = f"{path}?{query}" if query else path
    if body is None:
        return client.generic(operation.method.upper(), url)
    return client.generic(operation.method.upper(), url, json.dumps(body), content_type="application/json")


def _expect_refused(response: Any, operation: hostile.Operation, path: str) -> tuple[int, str, dict[str, Any]]:
    status, code, details = hostile.error_of(response)
    assert 400 <= status < 500, (str(operation), response.content)
    assert code in hostile.documented_codes(), f"{operation}: the code {code!r} is not in docs/api.md"
    return status, code, details


@pytest.fixture
def admin_client(tenant_a_admin: Any) -> Any:
    client = tenant_a_admin.client()
    client.raise_request_exception = False  # a 500 is an answer to assert on, not a test crash
    return client


def test_discovery_reaches_every_api_route_and_finds_the_inputs() -> None:
    assert hostile.unlisted_api_routes() == []
    names = {str(op) for op in OPERATIONS}
    assert {"POST /api/v1/auth/token/", "GET /api/v1/people/autocomplete/", "PATCH /api/v1/teams/{id}/"} <= names
    assert {"POST /api/v1/imports/", "PUT /api/v1/people/{id}/photo/"} <= {str(op) for op in MULTIPART_OPERATIONS}
    dates = {_id(case) for case in DATE_INPUTS}
    assert {
        "GET /api/v1/jobs/board/ query:date",
        "GET /api/v1/alerts/ query:created_before",
        "GET /api/v1/jobs/ query:plan_after",
        "POST /api/v1/schedules/ body:valid_from",
        "POST /api/v1/schedules/preview/ body:valid_from",
    } <= dates
    integers = {_id(case) for case in INTEGER_INPUTS}
    assert {"GET /api/v1/questions/autocomplete/ query:page", "GET /api/v1/jobs/ query:site"} <= integers


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_nul_in_a_query_string_is_refused_on_every_operation(operation: hostile.Operation) -> None:
    client = Client(raise_request_exception=False)
    response = _send(client, operation, operation.path.replace("{", "").replace("}", ""), query="hostile=%00&q=x")
    assert hostile.error_of(response) == (
        400,
        "invalid_characters",
        {"in": "query", "name": "hostile", "character": "U+0000"},
    )


@pytest.mark.parametrize("path", ["/api/v1/people/%00/", "/api/v1/sites/autocomplete%00/"])
def test_nul_in_a_url_path_is_refused(path: str) -> None:
    response = Client(raise_request_exception=False).get(path)
    assert hostile.error_of(response) == (400, "invalid_characters", {"in": "path", "character": "U+0000"})


def test_nul_in_a_graphql_query_string_is_refused_in_graphqls_shape() -> None:
    response = Client(raise_request_exception=False).get("/graphql/", {"query": '{ people(login: "\x00") { id } }'})
    assert (response.status_code, response.json()) == (
        400,
        {
            "errors": [
                {
                    "message": "The request contains a character that cannot be stored (NUL or an unpaired surrogate).",
                    "extensions": {
                        "code": "invalid_characters",
                        "details": {"in": "query", "name": "query", "character": "U+0000"},
                    },
                }
            ]
        },
    )


@pytest.mark.django_db
def test_nul_in_a_console_form_gets_the_bad_request_page() -> None:
    response = Client(raise_request_exception=False).post(
        "/login/", "tenant=acme&login=admin%00&password=x", content_type="application/x-www-form-urlencoded"
    )
    html = response.content.decode()
    assert (response.status_code, response["Content-Type"]) == (400, "text/html; charset=utf-8")
    assert "<title>Bad request · Youtility</title>" in html  # the console's own page
    assert "admin" not in html and "\x00" not in html


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("operation", JSON_OPERATIONS, ids=str)
def test_json_bodies_with_nul_surrogates_or_deep_nesting_change_nothing(
    operation: hostile.Operation, tenant_a_admin: Any, admin_client: Any
) -> None:
    path = hostile.fill_path(operation, tenant_a_admin.tenant)
    name = next(iter(operation.body_properties()), "value")
    key = json.dumps(name)
    before = hostile.data_fingerprint(tenant_a_admin.tenant)
    cases = [
        (f'{{{key}: "a\\u0000b"}}', "invalid_characters", {"path": f"$.{name}", "character": "U+0000"}),
        (f'{{{key}: ["ok", "\\ud800"]}}', "invalid_characters", {"path": f"$.{name}[1]", "character": "U+D800"}),
        (f'{{"\\u0000": 1, {key}: 1}}', "invalid_characters", {"path": '$["\\u0000"]', "character": "U+0000"}),
        (f"{{{key}: {_deep(100)}}}", "too_deeply_nested", {"max_depth": MAX_JSON_DEPTH}),
        (f'{{{key}: {{"x": 1e999}}}}', "value_out_of_range", {"value": "1e999"}),
    ]
    for raw, code, details in cases:
        response = admin_client.generic(operation.method.upper(), path, raw, content_type="application/json")
        if "987654321" in path:
            # A route whose own ids the test cannot make (a delivery of a webhook): it
            # answers 404 before reading the body, and must still not fail.
            assert hostile.error_of(response) == NOT_FOUND, (str(operation), raw, response.content)
        else:
            assert hostile.error_of(response) == (400, code, details), (str(operation), raw, response.content)
    assert hostile.data_fingerprint(tenant_a_admin.tenant) == before, f"{operation} changed data while refusing"


@pytest.mark.parametrize("operation", MULTIPART_OPERATIONS, ids=str)
def test_multipart_fields_with_nul_change_nothing(
    operation: hostile.Operation, tenant_a_admin: Any, admin_client: Any
) -> None:
    path = hostile.fill_path(operation, tenant_a_admin.tenant)
    before = hostile.data_fingerprint(tenant_a_admin.tenant)
    body = encode_multipart(BOUNDARY, {"kind": "ok", "hostile": "a\x00b"})
    response = admin_client.generic(operation.method.upper(), path, body, content_type=MULTIPART_CONTENT)
    assert hostile.error_of(response) == (
        400,
        "invalid_characters",
        {"in": "form", "name": "hostile", "character": "U+0000"},
    ), str(operation)
    assert hostile.data_fingerprint(tenant_a_admin.tenant) == before


EXTREME = {
    "date": ["9999-12-31", "0001-01-01", "1899-12-31", "9001-01-01"],
    "date-time": [
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00+05:30",
        "2590-07-02T21:29:47-17:17",
        "2026-03-04T05:06:07+16:00",
    ],
}


@pytest.mark.parametrize("case", DATE_INPUTS, ids=_id)
def test_dates_outside_the_supported_range_are_refused(
    case: tuple[hostile.Operation, str, str, str], tenant_a_admin: Any, admin_client: Any
) -> None:
    operation, where, name, fmt = case
    path = hostile.fill_path(operation, tenant_a_admin.tenant)
    before = hostile.data_fingerprint(tenant_a_admin.tenant)
    for value in EXTREME[fmt]:
        if where == "query":
            response = _send(admin_client, operation, path, query=f"{name}={value.replace('+', '%2B')}")
        else:
            response = _send(admin_client, operation, path, body={name: value})
        status, code, details = _expect_refused(response, operation, path)
        assert (status, code) == (400, "value_out_of_range"), (str(operation), name, value, response.content)
        messages = details["fields"][name]
        assert messages in (
            ["Dates from 1900-01-01 to 9000-12-31 are accepted."],
            ["UTC offsets from -15:59 to +15:59 are accepted."],
        ), (name, value, messages)
    assert hostile.data_fingerprint(tenant_a_admin.tenant) == before


# Read as their maximum, as documented: a page size beyond 200 is 200, a radius beyond
# the largest is the largest (and ``within_m`` means nothing without ``near``).
CLAMPED = {"page_size", "within_m"}


@pytest.mark.parametrize("case", INTEGER_INPUTS, ids=_id)
def test_numbers_beyond_bigint_are_refused(
    case: tuple[hostile.Operation, str, str, str], tenant_a_admin: Any, admin_client: Any
) -> None:
    operation, where, name, _fmt = case
    path = hostile.fill_path(operation, tenant_a_admin.tenant)
    before = hostile.data_fingerprint(tenant_a_admin.tenant)
    for value in (2**63, 10**30, -(2**63) - 1):
        if where == "query":
            response = _send(admin_client, operation, path, query=f"{name}={value}")
        else:
            response = _send(admin_client, operation, path, body={name: value})
        if where == "query" and name in CLAMPED:
            assert response.status_code == 200, response.content
            continue
        status, code, details = _expect_refused(response, operation, path)
        if where == "query" and name == "page":
            assert (status, code) == (404, "invalid_page")
        elif where == "query" and name in _filter_names(operation):
            assert (status, code) == (400, "invalid"), response.content
            assert list(details["fields"]) == [name]
    assert hostile.data_fingerprint(tenant_a_admin.tenant) == before


def _filter_names(operation: hostile.Operation) -> set[str]:
    """The filterset parameters of a list operation (other actions do not filter)."""
    match = resolve(operation.path)
    if operation.method != "get" or (getattr(match.func, "actions", None) or {}).get("get") != "list":
        return set()
    filterset = getattr(hostile.view_class(operation), "filterset_class", None)
    return set(filterset.base_filters) if filterset is not None else set()


def test_ids_in_the_path_beyond_bigint_name_nothing(tenant_a_admin: Any, admin_client: Any) -> None:
    """Every operation on one object, asked for an id beyond PostgreSQL's ``bigint``: not
    found, never a 500 from the database, and nothing changes."""
    before = hostile.data_fingerprint(tenant_a_admin.tenant)
    failures = []
    for operation in OPERATIONS:
        if not operation.path_parameters:
            continue
        path = re.sub(r"{\w+}", str(2**64), operation.path)
        body: dict[str, Any] | None = {} if operation.method in {"post", "put", "patch"} else None
        response = _send(admin_client, operation, path, body=body)
        # 404; or 400 from an action that checks its (empty) body before the object.
        if hostile.error_of(response)[:2] not in {(404, "not_found"), (400, "invalid")}:
            failures.append(f"{operation}: {response.status_code} {response.content[:200]!r}")
    assert not failures, "\n".join(failures)
    assert hostile.data_fingerprint(tenant_a_admin.tenant) == before
