"""The GraphQL endpoint end to end: JWT mutations, auth, permissions, cost limits, hardening.

Every request goes through the real ``/graphql/`` view and middleware with Django's test
client, as JSON POSTs (or GETs where the case is about GET).
"""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.test import Client
from graphql import GraphQLError

from apps.core.errors import DomainError
from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql
from apps.people.models import Person, RefreshToken
from apps.people.services import verify_access
from conftest import make_persona
from youtility.graphql_view import YoutilityGraphQLView

TOKEN_AUTH = """
mutation SignIn($tenant: String!, $username: String!, $password: String!) {
  tokenAuth(tenant: $tenant, username: $username, password: $password) {
    token refreshToken payload refreshExpiresIn
  }
}
"""
REFRESH = """
mutation Refresh($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) { token refreshToken payload refreshExpiresIn }
}
"""
VERIFY = "mutation Verify($token: String!) { verifyToken(token: $token) { payload } }"
REVOKE = "mutation Revoke($refreshToken: String!) { revokeToken(refreshToken: $refreshToken) { revoked } }"
ME = "query Me { me { login tenant roles } }"
PEOPLE = "query People { people { id login } }"

PAYLOAD_KEYS = {"sub", "tid", "tenant", "roles", "dev", "fam", "jti", "iat", "exp"}


def gql(query: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return post_graphql(Client(), query, variables, **kwargs)


def sign_in(persona: Any, password: str | None = None, tenant: str | None = None) -> Any:
    return gql(
        TOKEN_AUTH,
        {
            "tenant": tenant or persona.tenant.slug,
            "username": persona.login,
            "password": password if password is not None else persona.password,
        },
    )


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body["errors"]]


def refresh_token_count(tenant: Any) -> int:
    with tenant_context(tenant):
        return RefreshToken.objects.count()


# --- tokenAuth ---------------------------------------------------------------------------


def test_token_auth_returns_tokens_and_payload(tenant_a_admin: Any) -> None:
    before = int(time.time())
    response = sign_in(tenant_a_admin)

    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    result = body["data"]["tokenAuth"]
    payload = result["payload"]
    assert set(payload) == PAYLOAD_KEYS
    assert payload["sub"] == str(tenant_a_admin.person.pk)
    assert payload["tid"] == tenant_a_admin.tenant.pk
    assert payload["tenant"] == "alpha"
    assert payload["roles"] == ["admin"]
    assert payload["dev"] == ""
    assert payload["exp"] - payload["iat"] == settings.JWT_ACCESS_TTL_SECONDS
    assert verify_access(result["token"]).as_payload() == payload
    assert result["refreshToken"].startswith(f"rt1.{tenant_a_admin.tenant.pk}.")
    assert before + settings.JWT_REFRESH_TTL_SECONDS <= result["refreshExpiresIn"]
    assert result["refreshExpiresIn"] <= int(time.time()) + settings.JWT_REFRESH_TTL_SECONDS
    assert refresh_token_count(tenant_a_admin.tenant) == 1


@pytest.mark.parametrize(
    ("tenant", "password", "code", "message"),
    [
        ("alpha", "wrong-password", "invalid_credentials", "Invalid login or password."),
        ("nowhere", None, "unknown_tenant", "No such tenant."),
    ],
)
def test_token_auth_refusals(tenant_a_admin: Any, tenant: str, password: str | None, code: str, message: str) -> None:
    response = sign_in(tenant_a_admin, password=password, tenant=tenant)

    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"tokenAuth": None}
    assert body["errors"] == [
        {
            "message": message,
            "locations": [{"line": 3, "column": 3}],
            "path": ["tokenAuth"],
            "extensions": {"code": code, "details": {}},
        }
    ]
    assert refresh_token_count(tenant_a_admin.tenant) == 0


# --- refreshToken ------------------------------------------------------------------------


def test_refresh_rotates_and_reuse_revokes_the_family(
    tenant_a_admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first = sign_in(tenant_a_admin).json()["data"]["tokenAuth"]

    second = gql(REFRESH, {"refreshToken": first["refreshToken"]}).json()["data"]["refreshToken"]
    assert second["refreshToken"] != first["refreshToken"]
    assert second["token"] != first["token"]
    assert second["payload"]["fam"] == first["payload"]["fam"]
    assert second["payload"]["sub"] == str(tenant_a_admin.person.pk)

    # The new refresh token works in turn.
    third = gql(REFRESH, {"refreshToken": second["refreshToken"]}).json()["data"]["refreshToken"]
    assert third["refreshToken"] not in {first["refreshToken"], second["refreshToken"]}

    # Reusing a rotated token is theft or a bug: refused, and the whole family dies.
    with django_capture_on_commit_callbacks(execute=True):
        reused = gql(REFRESH, {"refreshToken": first["refreshToken"]}).json()
    assert reused["data"] == {"refreshToken": None}
    assert error_codes(reused) == ["token_revoked"]

    newest = gql(REFRESH, {"refreshToken": third["refreshToken"]}).json()
    assert newest["data"] == {"refreshToken": None}
    assert error_codes(newest) == ["token_revoked"]

    me = gql(ME, token=third["token"])
    assert me.status_code == 401
    assert me.json() == {
        "errors": [{"message": "The access token has been revoked.", "extensions": {"code": "token_revoked"}}]
    }


def test_refresh_with_garbage_is_token_invalid(tenant_a_admin: Any) -> None:
    body = gql(REFRESH, {"refreshToken": "not-a-refresh-token"}).json()

    assert body["data"] == {"refreshToken": None}
    assert error_codes(body) == ["token_invalid"]


# --- verifyToken -------------------------------------------------------------------------


def test_verify_token_returns_the_payload(tenant_a_admin: Any) -> None:
    signed_in = sign_in(tenant_a_admin).json()["data"]["tokenAuth"]

    body = gql(VERIFY, {"token": signed_in["token"]}).json()

    assert body == {"data": {"verifyToken": {"payload": signed_in["payload"]}}}


def test_verify_token_refuses_expired(tenant_a_admin: Any, settings: Any) -> None:
    settings.JWT_ACCESS_TTL_SECONDS = -60  # issued already expired
    token = tenant_a_admin.tokens().access

    body = gql(VERIFY, {"token": token}).json()

    assert body["data"] == {"verifyToken": None}
    assert error_codes(body) == ["token_expired"]
    assert body["errors"][0]["message"] == "The access token has expired."


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        jwt.encode(
            {"sub": "1", "tid": 1, "jti": "x", "iat": 1, "exp": 4102444800},
            "a-signing-key-that-is-not-this-installation-s-key",
            algorithm="HS256",
        ),
    ],
    ids=["not-a-jwt", "foreign-signature"],
)
def test_verify_token_refuses_invalid(db: Any, token: str) -> None:
    body = gql(VERIFY, {"token": token}).json()

    assert body["data"] == {"verifyToken": None}
    assert error_codes(body) == ["token_invalid"]
    assert body["errors"][0]["message"] == "The access token is not valid."


# --- revokeToken -------------------------------------------------------------------------


def test_revoke_token_kills_refresh_and_access(tenant_a_admin: Any, django_capture_on_commit_callbacks: Any) -> None:
    signed_in = sign_in(tenant_a_admin).json()["data"]["tokenAuth"]
    assert gql(ME, token=signed_in["token"]).json() == {
        "data": {"me": {"login": "admin", "tenant": "alpha", "roles": ["admin"]}}
    }
    before = int(time.time())

    with django_capture_on_commit_callbacks(execute=True):
        revoked = gql(REVOKE, {"refreshToken": signed_in["refreshToken"]}).json()

    assert "errors" not in revoked
    assert before <= revoked["data"]["revokeToken"]["revoked"] <= int(time.time())
    refreshed = gql(REFRESH, {"refreshToken": signed_in["refreshToken"]}).json()
    assert refreshed["data"] == {"refreshToken": None}
    assert error_codes(refreshed) == ["token_revoked"]
    me = gql(ME, token=signed_in["token"])
    assert me.status_code == 401
    assert me.json() == {
        "errors": [{"message": "The access token has been revoked.", "extensions": {"code": "token_revoked"}}]
    }


# --- me ----------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["Bearer", "JWT"])
def test_me_with_token(tenant_a_supervisor: Any, scheme: str) -> None:
    response = gql(ME, token=tenant_a_supervisor.tokens().access, scheme=scheme)

    assert response.status_code == 200
    assert response.json() == {"data": {"me": {"login": "supervisor", "tenant": "alpha", "roles": ["supervisor"]}}}


def test_me_without_token_is_not_authenticated(db: Any) -> None:
    response = gql(ME)

    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "Authentication is required.",
                "locations": [{"line": 1, "column": 12}],
                "path": ["me"],
                "extensions": {"code": "not_authenticated"},
            }
        ],
    }


def test_me_with_garbage_token_is_401(db: Any) -> None:
    response = gql(ME, token="garbage")

    assert response.status_code == 401
    assert response.json() == {
        "errors": [{"message": "The access token is not valid.", "extensions": {"code": "token_invalid"}}]
    }


# --- people ------------------------------------------------------------------------------


def test_people_needs_people_view(tenant_a_guard: Any) -> None:
    body = gql(PEOPLE, token=tenant_a_guard.tokens().access).json()

    assert body["data"] is None
    assert error_codes(body) == ["permission_denied"]
    assert body["errors"][0]["path"] == ["people"]


def test_people_lists_exactly_own_tenant(
    tenant_a_admin: Any, tenant_a_guard: Any, tenant_b_admin: Any, tenant_b_guard: Any
) -> None:
    make_persona(tenant_b_admin.tenant, "guard", login="bravo-only")

    body = gql(PEOPLE, token=tenant_a_admin.tokens().access).json()

    assert "errors" not in body
    assert body["data"]["people"] == [
        {"id": str(tenant_a_admin.person.pk), "login": "admin"},
        {"id": str(tenant_a_guard.person.pk), "login": "guard"},
    ]


# --- cost limits -------------------------------------------------------------------------


def test_depth_limit_refuses_and_does_not_execute(tenant_a_admin: Any, settings: Any) -> None:
    settings.GRAPHQL_MAX_DEPTH = 1  # tokenAuth { token } nests 2 deep
    variables = {"tenant": "alpha", "username": "admin", "password": tenant_a_admin.password}

    response = gql(TOKEN_AUTH, variables)

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "Operation 'SignIn' nests fields deeper than 1.",
                "locations": [{"line": 2, "column": 1}],
                "extensions": {"code": "query_too_deep", "max_depth": 1},
            }
        ]
    }
    assert refresh_token_count(tenant_a_admin.tenant) == 0  # the mutation did not run
    with tenant_context(tenant_a_admin.tenant):
        assert Person.objects.get(pk=tenant_a_admin.person.pk).last_login is None

    settings.GRAPHQL_MAX_DEPTH = 2  # at the limit it runs
    assert "errors" not in gql(TOKEN_AUTH, variables).json()
    assert refresh_token_count(tenant_a_admin.tenant) == 1


def test_depth_counts_through_fragments(tenant_a_admin: Any, settings: Any) -> None:
    settings.GRAPHQL_MAX_DEPTH = 1
    query = "query Q { ...Top } fragment Top on Query { me { ...Who } } fragment Who on MeType { login }"

    body = gql(query, token=tenant_a_admin.tokens().access).json()

    assert "data" not in body
    assert error_codes(body) == ["query_too_deep"]


def test_depth_limit_default_refuses_a_deep_query(tenant_a_admin: Any) -> None:
    depth = settings.GRAPHQL_MAX_DEPTH + 1
    query = "{ me " + "{ login " * (depth - 1) + "}" * (depth - 1) + " }"

    body = gql(query, token=tenant_a_admin.tokens().access).json()

    assert "data" not in body
    assert {
        "message": f"Operation 'anonymous' nests fields deeper than {settings.GRAPHQL_MAX_DEPTH}.",
        "locations": [{"line": 1, "column": 1}],
        "extensions": {"code": "query_too_deep", "max_depth": settings.GRAPHQL_MAX_DEPTH},
    } in body["errors"]


def _aliases(count: int) -> str:
    return "query Wide { " + " ".join(f"a{i}: me {{ login }}" for i in range(count)) + " }"


def test_field_limit_refuses_aliased_query(tenant_a_admin: Any) -> None:
    limit = settings.GRAPHQL_MAX_FIELDS
    token = tenant_a_admin.tokens().access

    refused = gql(_aliases(limit // 2 + 1), token=token)  # two fields per alias

    assert refused.status_code == 400
    assert refused.json() == {
        "errors": [
            {
                "message": f"Operation 'Wide' selects more than {limit} fields.",
                "locations": [{"line": 1, "column": 1}],
                "extensions": {"code": "query_too_complex", "max_fields": limit},
            }
        ]
    }

    allowed = gql(_aliases(limit // 2), token=token).json()  # exactly at the limit
    assert "errors" not in allowed
    assert len(allowed["data"]) == limit // 2
    assert allowed["data"]["a0"] == {"login": "admin"}


def test_fragments_are_counted_each_time_they_are_spread(tenant_a_admin: Any) -> None:
    limit = settings.GRAPHQL_MAX_FIELDS
    spreads = " ".join(f"a{i}: me {{ ...Who }}" for i in range(limit // 2 + 1))
    query = f"query Spread {{ {spreads} }} fragment Who on MeType {{ login }}"

    body = gql(query, token=tenant_a_admin.tokens().access).json()

    assert "data" not in body
    assert error_codes(body) == ["query_too_complex"]


def test_body_over_the_limit_is_413(db: Any) -> None:
    limit = settings.GRAPHQL_MAX_QUERY_BYTES

    def body_of(size: int) -> str:
        empty = json.dumps({"query": "{ me { login } } #"})
        return json.dumps({"query": "{ me { login } } #" + "x" * (size - len(empty))})

    assert len(body_of(limit + 1)) == limit + 1
    too_large = Client().post("/graphql/", body_of(limit + 1), content_type="application/json")
    assert too_large.status_code == 413
    assert too_large.json() == {
        "errors": [
            {
                "message": "The GraphQL request is too large.",
                "extensions": {"code": "query_too_large", "max_bytes": limit},
            }
        ]
    }

    at_limit = Client().post("/graphql/", body_of(limit), content_type="application/json")
    assert at_limit.status_code == 200  # parsed and run: `me` then asks for a token
    assert error_codes(at_limit.json()) == ["not_authenticated"]


# --- invalid documents are refused before anything runs, never with a 500 -------------


@pytest.mark.parametrize(
    ("query", "message", "column"),
    [
        ("query Q { me { nonexistent } }", "Cannot query field 'nonexistent' on type 'MeType'.", 16),
        ("query Q { me { login(x: 1) } }", "Unknown argument 'x' on field 'MeType.login'.", 22),
        ("query Q { me { ...Missing } }", "Unknown fragment 'Missing'.", 19),
        (
            "query Q { me { ...Loop } } fragment Loop on MeType { login ...Loop }",
            "Cannot spread fragment 'Loop' within itself.",
            60,
        ),
        ("query Q { me { login }", "Syntax Error: Expected Name, found <EOF>.", 23),
    ],
    ids=["unknown-field", "unknown-argument", "unknown-fragment", "fragment-cycle", "syntax"],
)
def test_invalid_documents_are_refused(tenant_a_admin: Any, query: str, message: str, column: int) -> None:
    response = gql(query, token=tenant_a_admin.tokens().access)

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"message": message, "locations": [{"line": 1, "column": column}], "extensions": {"code": "invalid_query"}}
        ]
    }


def test_long_fragment_chain_is_refused_not_crashed(tenant_a_admin: Any) -> None:
    count = 550  # spreads chained deeper than Python's recursion limit allows walking naively
    fragments = " ".join(f"fragment f{i} on MeType{{...f{i + 1}}}" for i in range(count))
    query = f"query Chain{{me{{...f0}}}} {fragments} fragment f{count} on MeType{{login}}"
    assert len(query) < settings.GRAPHQL_MAX_QUERY_BYTES

    response = gql(query, token=tenant_a_admin.tokens().access)

    assert response.status_code == 400
    assert "data" not in response.json()
    assert "query_too_deep" in error_codes(response.json())


# --- introspection, GraphiQL -------------------------------------------------------------


def test_introspection_is_refused_when_debug_is_off(tenant_a_admin: Any) -> None:
    assert settings.DEBUG is False
    token = tenant_a_admin.tokens().access

    schema = gql("{ __schema { types { name } } }", token=token)
    type_ = gql('{ __type(name: "PersonType") { name } }', token=token)

    assert schema.status_code == 400
    assert schema.json() == {
        "errors": [
            {
                "message": "Cannot query '__schema': introspection is disabled.",
                "locations": [{"line": 1, "column": 3}],
                "extensions": {"code": "introspection_disabled"},
            }
        ]
    }
    assert type_.status_code == 400
    assert error_codes(type_.json()) == ["introspection_disabled"]


def test_introspection_works_when_enabled(tenant_a_admin: Any, settings: Any) -> None:
    settings.GRAPHQL_INTROSPECTION = True

    body = gql('{ __type(name: "MeType") { name } }', token=tenant_a_admin.tokens().access).json()

    assert body == {"data": {"__type": {"name": "MeType"}}}


def test_typename_is_not_introspection(tenant_a_admin: Any) -> None:
    """Apollo and other clients add ``__typename`` everywhere; it must work in production."""
    body = gql("{ me { __typename login } }", token=tenant_a_admin.tokens().access).json()

    assert body == {"data": {"me": {"__typename": "MeType", "login": "admin"}}}


def test_graphiql_is_not_served_when_its_setting_is_off(db: Any) -> None:
    assert settings.GRAPHIQL is False

    response = Client().get("/graphql/", HTTP_ACCEPT="text/html")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert b"graphiql" not in response.content.lower()
    assert response.json() == {
        "errors": [{"message": "Must provide query string.", "extensions": {"code": "malformed_request"}}]
    }


def test_graphiql_is_served_when_its_setting_is_on(db: Any, settings: Any) -> None:
    """GraphiQL has a setting of its own (on in the local profile): DEBUG stays off."""
    settings.GRAPHIQL = True
    assert settings.DEBUG is False

    response = Client().get("/graphql/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b'<div id="graphiql" data-endpoint="/graphql/"' in response.content


# --- console session and CSRF ------------------------------------------------------------


def _console_client(persona: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")
    signed_in = client.post(
        "/login/",
        {
            "tenant": persona.tenant.slug,
            "username": persona.login,
            "password": persona.password,
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )
    assert signed_in.status_code == 302, signed_in.content
    return client


def test_session_request_without_csrf_token_is_refused(tenant_a_admin: Any) -> None:
    client = _console_client(tenant_a_admin)
    sign_in_again = json.dumps(
        {
            "query": TOKEN_AUTH,
            "variables": {"tenant": "alpha", "username": "admin", "password": tenant_a_admin.password},
        }
    )

    refused = client.post("/graphql/", sign_in_again, content_type="application/json")

    assert refused.status_code == 403
    assert refused.json() == {
        "errors": [{"message": "CSRF verification failed.", "extensions": {"code": "csrf_failed"}}]
    }
    assert refresh_token_count(tenant_a_admin.tenant) == 0

    me = client.post(
        "/graphql/",
        json.dumps({"query": ME}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert me.status_code == 200
    assert me.json() == {"data": {"me": {"login": "admin", "tenant": "alpha", "roles": ["admin"]}}}


# --- malformed requests ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (b"{not json", "malformed_json", "The request body is not valid JSON."),
        (b"\xff\xfe{", "malformed_json", "The request body is not valid JSON."),
        (b"[" * 15000, "too_deeply_nested", "The JSON nests deeper than 64 levels."),
        (b"[1, 2]", "malformed_request", "The request body must be a JSON object with a 'query'."),
        (b'{"query": 123}', "malformed_request", "'query' must be a string."),
        (b'{"query": "{ me { login } }", "variables": [1]}', "malformed_request", "'variables' must be a JSON object."),
        (
            b'{"query": "{ me { login } }", "operationName": 5}',
            "malformed_request",
            "'operationName' must be a string.",
        ),
        (b"{}", "malformed_request", "Must provide query string."),
    ],
    ids=[
        "syntax",
        "not-utf8",
        "nested-too-deep",
        "not-an-object",
        "query-not-string",
        "variables-not-object",
        "operation-not-string",
        "no-query",
    ],
)
def test_malformed_body_is_400_json(db: Any, body: bytes, code: str, message: str) -> None:
    response = Client().post("/graphql/", body, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    extensions = {"code": code, **({"details": {"max_depth": 64}} if code == "too_deeply_nested" else {})}
    assert response.json() == {"errors": [{"message": message, "extensions": extensions}]}


# --- error formatting --------------------------------------------------------------------


def test_unexpected_resolver_error_is_masked() -> None:
    error = GraphQLError("wrapped", path=["people"], original_error=ValueError('relation "secret" does not exist'))

    formatted = YoutilityGraphQLView.format_error(error)

    assert formatted["message"] == "An unexpected error occurred; it has been logged."
    assert formatted["extensions"]["code"] == "internal_error"
    assert formatted["path"] == ["people"]
    assert "secret" not in json.dumps(formatted)


def test_domain_error_from_resolver_keeps_its_code() -> None:
    original = DomainError("Site is closed.", code="site_closed", details={"site": 3})
    error = GraphQLError("wrapped", path=["x"], original_error=original)

    formatted = YoutilityGraphQLView.format_error(error)

    assert formatted == {
        "message": "Site is closed.",
        "path": ["x"],
        "extensions": {"code": "site_closed", "details": {"site": 3}},
    }
