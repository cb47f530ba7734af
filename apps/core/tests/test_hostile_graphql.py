"""Hostile input on every GraphQL argument: refused with a code, nothing changed, never an
internal error.

Arguments are discovered from the executable schema (``apps/core/testing/hostile.py``),
input-object fields included, and each is sent on its own in a document whose other
required arguments hold plain valid values:

- NUL in every String (and GenericScalar) literal: refused by validation, before anything
  runs, so these need no account; ``tokenAuth`` is among them;
- NUL, a lone surrogate or deep nesting in variables (the body's decoder);
- dates outside the supported range in every Date and DateTime argument;
- ids beyond ``bigint`` and Ints beyond 32 bits in every ID and Int argument.

A lone surrogate cannot be written as a GraphQL literal at all: the parser refuses
``"\\ud800"`` as a syntax error (``invalid_query``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest
from django.test import Client

from apps.core.cleaning import MAX_JSON_DEPTH
from apps.core.testing import hostile, post_graphql

STRINGS = hostile.graphql_arguments({"String", "GenericScalar"})
DATES = hostile.graphql_arguments({"Date", "DateTime"})
IDS = hostile.graphql_arguments({"ID"})
INTS = hostile.graphql_arguments({"Int"})


def _by_field(arguments: list[hostile.GraphQLArgument]) -> list[tuple[str, list[hostile.GraphQLArgument]]]:
    grouped: dict[str, list[hostile.GraphQLArgument]] = defaultdict(list)
    for argument in arguments:
        grouped[f"{argument.root} {argument.field}"].append(argument)
    return sorted(grouped.items())


def _post(query: str, variables: Any = None, token: str | None = None) -> Any:
    return post_graphql(Client(raise_request_exception=False), query, variables, token=token)


def test_discovery_finds_the_arguments() -> None:
    strings = {str(argument) for argument in STRINGS}
    assert {
        "mutation tokenAuth(username: String)",
        "mutation createSite(name: String)",
        "mutation createSite(options: GenericScalar)",
        "mutation createAsset(input.name: String)",
        "query sites(name: String)",
    } <= strings
    assert {"query jobBoard(date: Date)", "mutation createSchedule(input.validFrom: DateTime)"} <= {
        str(argument) for argument in DATES
    }
    assert len(STRINGS) > 100


@pytest.mark.parametrize("argument", STRINGS, ids=str)
def test_nul_in_a_string_literal_is_refused_before_anything_runs(argument: hostile.GraphQLArgument) -> None:
    literal = '{note: "a\\u0000b"}' if argument.type_name == "GenericScalar" else '"a\\u0000b"'
    response = _post(hostile.graphql_document(argument, literal))
    body = response.json()
    assert response.status_code == 400, body
    assert "data" not in body, body  # validation failed: no resolver ran
    refused = [error for error in body["errors"] if error["extensions"]["code"] == "invalid_characters"]
    assert [error["extensions"]["details"] for error in refused] == [
        {"character": "U+0000", "argument": argument.path[0]}
    ], body


def test_a_lone_surrogate_cannot_be_written_in_a_literal() -> None:
    response = _post('mutation { tokenAuth(tenant: "a", username: "\\ud800", password: "x") { token } }')
    assert response.status_code == 400
    assert list(hostile.iter_codes(response.json())) == ["invalid_query"]


SIGN_IN = 'mutation($u: String!) { tokenAuth(tenant: "acme", username: $u, password: "x") { token } }'


@pytest.mark.parametrize(
    ("variables_json", "code", "details"),
    [
        ('{"u": "a\\u0000"}', "invalid_characters", {"path": "$.variables.u", "character": "U+0000"}),
        ('{"u": "\\udfff"}', "invalid_characters", {"path": "$.variables.u", "character": "U+DFFF"}),
        ('{"u": "x", "\\u0000": 1}', "invalid_characters", {"path": '$.variables["\\u0000"]', "character": "U+0000"}),
        ('{"u": %s}' % ("[" * 200 + "]" * 200), "too_deeply_nested", {"max_depth": MAX_JSON_DEPTH}),
        ('{"u": 1e400}', "value_out_of_range", {"value": "1e400"}),
    ],
)
def test_variables_are_decoded_like_every_body(variables_json: str, code: str, details: dict[str, Any]) -> None:
    body = '{"query": %s, "variables": %s}' % (json.dumps(SIGN_IN), variables_json)  # noqa: UP031
    response = Client(raise_request_exception=False).post("/graphql/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"message": response.json()["errors"][0]["message"], "extensions": {"code": code, "details": details}}
        ]
    }
    # A GET carries variables as JSON text in the query string: the same decoder reads it.
    if code != "too_deeply_nested":
        got = Client(raise_request_exception=False).get(
            "/graphql/", {"query": "query($u: String) { __typename }", "variables": variables_json}
        )
        assert (got.status_code, list(hostile.iter_codes(got.json()))) == (400, [code])


EXTREME = {
    "Date": ['"9999-12-31"', '"0001-01-01"'],
    "DateTime": ['"9999-12-31T23:59:59Z"', '"0001-01-01T00:00:00+05:30"', '"2590-07-02T21:29:47-17:17"'],
}


@pytest.mark.parametrize("argument", DATES, ids=str)
def test_dates_outside_the_supported_range_are_refused(argument: hostile.GraphQLArgument, tenant_a_admin: Any) -> None:
    token = tenant_a_admin.tokens().access
    before = hostile.data_fingerprint(tenant_a_admin.tenant)
    for literal in EXTREME[argument.type_name]:
        document = hostile.graphql_document(argument, literal)
        body = _post(document, token=token).json()
        errors = body.get("errors") or []
        assert [error["extensions"]["code"] for error in errors] == ["value_out_of_range"], (document, body)
        assert errors[0]["extensions"]["details"]["argument"] == ".".join(argument.path), body
        assert errors[0]["message"] in (
            "Dates from 1900-01-01 to 9000-12-31 are accepted.",
            "UTC offsets from -15:59 to +15:59 are accepted.",
        )
    assert hostile.data_fingerprint(tenant_a_admin.tenant) == before


@pytest.mark.parametrize(
    ("field", "arguments"), _by_field(IDS), ids=lambda value: value if isinstance(value, str) else ""
)
def test_ids_beyond_bigint_are_refused_with_a_code(
    field: str, arguments: list[hostile.GraphQLArgument], tenant_a_admin: Any
) -> None:
    token = tenant_a_admin.tokens().access
    before = hostile.data_fingerprint(tenant_a_admin.tenant)
    for argument in arguments:
        for literal in (f'"{2**64}"', '"-1"', '"abc"', '"1.5"'):
            document = hostile.graphql_document(argument, literal)
            response = _post(document, token=token)
            body = response.json()
            codes = list(hostile.iter_codes(body))
            # Refused with a documented code, or (a single object or a list asked for by
            # an id that names nothing) answered with null or nothing.
            assert response.status_code < 500 and "internal_error" not in codes, (document, body)
            assert set(codes) <= hostile.documented_codes(), (document, codes)
    assert hostile.data_fingerprint(tenant_a_admin.tenant) == before


@pytest.mark.parametrize("argument", INTS, ids=str)
def test_ints_beyond_32_bits_are_refused_by_validation(argument: hostile.GraphQLArgument) -> None:
    response = _post(hostile.graphql_document(argument, str(2**40)))
    assert response.status_code == 400
    assert list(hostile.iter_codes(response.json())) == ["invalid_query"]
