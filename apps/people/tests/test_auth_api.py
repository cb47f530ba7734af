"""REST authentication as a phone uses it: sign in, refresh, revoke, device binding."""

from __future__ import annotations

import time

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from apps.core.tenancy import tenant_context
from apps.people import throttling
from apps.people.models import Person, RefreshToken
from apps.people.tokens import decode_access
from conftest import make_persona

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
REVOKE_URL = "/api/v1/auth/token/revoke/"


def sign_in(api: APIClient, persona, **extra):  # type: ignore[no-untyped-def]
    body = {"tenant": persona.tenant.slug, "login": persona.login, "password": persona.password, **extra}
    return api.post(TOKEN_URL, body, format="json")


def bearer(access: str, device: str | None = None) -> APIClient:
    client = APIClient()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {access}"}
    if device is not None:
        headers["HTTP_X_DEVICE_ID"] = device
    client.credentials(**headers)
    return client


def error_of(response) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    return response.status_code, response.json()["error"]["code"]


def test_sign_in_returns_tokens_with_claims(api, tenant_a_supervisor):
    response = sign_in(api, tenant_a_supervisor)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "access_expires_in", "refresh_expires_at", "device_token"}
    assert throttling.trusted_device("alpha", "supervisor", body["device_token"]) is not None
    assert body["access_expires_in"] == settings.JWT_ACCESS_TTL_SECONDS
    claims = decode_access(body["access"])
    assert (claims.tenant_id, claims.tenant_slug, claims.person_id, claims.roles, claims.device_id) == (
        tenant_a_supervisor.tenant.pk,
        "alpha",
        tenant_a_supervisor.person.pk,
        ["supervisor"],
        "",
    )
    assert body["refresh"].startswith(f"rt1.{tenant_a_supervisor.tenant.pk}.")
    me = bearer(body["access"]).get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json() == {
        "id": tenant_a_supervisor.person.pk,
        "uuid": str(tenant_a_supervisor.person.uuid),
        "login": "supervisor",
        "name": "Supervisor",
        "email": "",
        "tenant": "alpha",
        "roles": ["supervisor"],
        "capabilities": [
            "console.access",
            "noc.manage",
            "noc.view",
            "people.view",
            "reports.view",
            "schedules.manage",
            "sites.view",
            "tickets.manage",
        ],
        "device_id": "",
    }


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"tenant": "alpha", "login": "supervisor", "password": "wrong-password"}, 401, "invalid_credentials"),
        ({"tenant": "alpha", "login": "nobody", "password": "whatever1"}, 401, "invalid_credentials"),
        ({"tenant": "no-such-company", "login": "supervisor", "password": "x"}, 401, "unknown_tenant"),
        ({"tenant": "alpha", "login": "supervisor"}, 400, "invalid"),
        ({"tenant": "alpha", "login": ["supervisor"], "password": "x"}, 400, "invalid"),
        ({"tenant": "Not A Slug!", "login": "a", "password": "x"}, 400, "invalid"),
    ],
)
def test_sign_in_failures_have_specific_codes(api, tenant_a_supervisor, body, status, code):
    response = api.post(TOKEN_URL, body, format="json")
    assert error_of(response) == (status, code)
    assert "access" not in response.json()


def test_validation_errors_name_the_fields(api, tenant_a_supervisor):
    response = api.post(TOKEN_URL, {"tenant": "alpha", "login": 5, "password": None}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["details"]["fields"] == {"password": ["This field may not be null."]}


def test_inactive_person_and_tenant_cannot_sign_in(api, tenant_a_supervisor):
    with tenant_context(tenant_a_supervisor.tenant):
        Person.objects.filter(pk=tenant_a_supervisor.person.pk).update(is_active=False)
    assert error_of(sign_in(api, tenant_a_supervisor)) == (401, "invalid_credentials")
    tenant_a_supervisor.tenant.is_active = False
    tenant_a_supervisor.tenant.save()
    assert error_of(sign_in(api, tenant_a_supervisor)) == (401, "tenant_inactive")


def test_tokens_of_deactivated_people_stop_working(api, tenant_a_supervisor):
    access = sign_in(api, tenant_a_supervisor).json()["access"]
    with tenant_context(tenant_a_supervisor.tenant):
        Person.objects.filter(pk=tenant_a_supervisor.person.pk).update(is_active=False)
    assert error_of(bearer(access).get("/api/v1/me/")) == (401, "account_inactive")


def test_refresh_rotates_and_reuse_revokes_the_family(api, tenant_a_supervisor):
    first = sign_in(api, tenant_a_supervisor).json()
    second = api.post(REFRESH_URL, {"refresh": first["refresh"]}, format="json")
    assert second.status_code == 200
    second = second.json()
    assert second["refresh"] != first["refresh"]
    assert decode_access(second["access"]).person_id == tenant_a_supervisor.person.pk
    # The old refresh token was used: presenting it again looks like theft.
    assert error_of(api.post(REFRESH_URL, {"refresh": first["refresh"]}, format="json")) == (401, "token_revoked")
    # ...so every token of that sign-in is dead, including the newest ones.
    assert error_of(api.post(REFRESH_URL, {"refresh": second["refresh"]}, format="json")) == (401, "token_revoked")
    assert error_of(bearer(second["access"]).get("/api/v1/me/")) == (401, "token_revoked")
    with tenant_context(tenant_a_supervisor.tenant):
        assert RefreshToken.objects.filter(revoked_at__isnull=True).count() == 0


def test_revoke_logs_out(api, tenant_a_supervisor):
    pair = sign_in(api, tenant_a_supervisor).json()
    other = sign_in(api, tenant_a_supervisor).json()  # another device's sign-in stays valid
    assert api.post(REVOKE_URL, {"refresh": pair["refresh"]}, format="json").status_code == 204
    assert error_of(api.post(REFRESH_URL, {"refresh": pair["refresh"]}, format="json")) == (401, "token_revoked")
    assert error_of(bearer(pair["access"]).get("/api/v1/me/")) == (401, "token_revoked")
    assert error_of(api.post(REVOKE_URL, {"refresh": pair["refresh"]}, format="json")) == (401, "token_revoked")
    assert bearer(other["access"]).get("/api/v1/me/").status_code == 200


@pytest.mark.parametrize(
    "refresh",
    ["garbage", "rt1.abc.def", "rt1.999999.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "rt1.1.short"],
)
def test_bad_refresh_tokens(api, tenant_a_supervisor, refresh):
    code = error_of(api.post(REFRESH_URL, {"refresh": refresh}, format="json"))
    assert code in {(401, "token_invalid"), (401, "tenant_inactive")}


def test_expired_refresh_token(api, tenant_a_supervisor):
    pair = sign_in(api, tenant_a_supervisor).json()
    with tenant_context(tenant_a_supervisor.tenant):
        RefreshToken.objects.update(expires_at="2000-01-01T00:00:00Z")
    assert error_of(api.post(REFRESH_URL, {"refresh": pair["refresh"]}, format="json")) == (401, "token_expired")


def _forge(payload_changes: dict, key: str | None = None) -> str:
    now = int(time.time())
    payload = {
        "sub": "1",
        "tid": 1,
        "jti": "x",
        "iat": now,
        "exp": now + 60,
        "iss": settings.JWT_ISSUER,
        "typ": "access",
        **payload_changes,
    }
    return jwt.encode(payload, key or settings.JWT_SIGNING_KEY, algorithm="HS256")


def test_bad_access_tokens(api, tenant_a_supervisor):
    person = tenant_a_supervisor.person
    base = {"sub": str(person.pk), "tid": person.tenant_id}
    cases = {
        "not-a-jwt": (401, "token_invalid"),
        _forge({**base, "exp": int(time.time()) - 10}): (401, "token_expired"),
        _forge(base, key="another-signing-key-that-is-long-enough-0123456789"): (401, "token_invalid"),
        _forge({**base, "typ": "refresh"}): (401, "token_invalid"),
        _forge({**base, "iss": "someone-else"}): (401, "token_invalid"),
    }
    for token, expected in cases.items():
        assert error_of(bearer(token).get("/api/v1/me/")) == expected, token
    assert bearer(_forge(base)).get("/api/v1/me/").status_code == 200  # the forger above is faithful
    no_token = api.get("/api/v1/me/")
    assert error_of(no_token) == (401, "not_authenticated")
    assert no_token["WWW-Authenticate"] == 'Bearer realm="api"'


def test_tenant_cannot_be_chosen_by_the_client(tenant_a_supervisor, tenant_b_admin):
    client = tenant_a_supervisor.client()
    me = client.get("/api/v1/me/?tenant=bravo", HTTP_X_TENANT="bravo", HTTP_X_TENANT_ID=str(tenant_b_admin.tenant.pk))
    assert me.json()["tenant"] == "alpha"
    people = client.get("/api/v1/people/?tenant=bravo", HTTP_X_TENANT="bravo")
    assert [p["login"] for p in people.json()["results"]] == ["supervisor"]


def test_device_binding(api, tenant_a):
    persona = make_persona(tenant_a, "supervisor", login="bound")
    with tenant_context(tenant_a):
        Person.objects.filter(pk=persona.person.pk).update(bound_device_id="phone-1")
    assert error_of(sign_in(api, persona)) == (403, "device_mismatch")
    assert error_of(sign_in(api, persona, device_id="phone-2")) == (403, "device_mismatch")
    pair = sign_in(api, persona, device_id="phone-1").json()
    assert decode_access(pair["access"]).device_id == "phone-1"
    assert bearer(pair["access"], device="phone-1").get("/api/v1/me/").status_code == 200
    assert error_of(bearer(pair["access"], device="phone-2").get("/api/v1/me/")) == (403, "device_mismatch")
    assert error_of(bearer(pair["access"]).get("/api/v1/me/")) == (403, "device_mismatch")
    refreshed = api.post(REFRESH_URL, {"refresh": pair["refresh"], "device_id": "phone-2"}, format="json")
    assert error_of(refreshed) == (403, "device_mismatch")
    # Re-binding the person to a new phone invalidates tokens issued to the old one.
    with tenant_context(tenant_a):
        Person.objects.filter(pk=persona.person.pk).update(bound_device_id="phone-3")
    assert error_of(bearer(pair["access"], device="phone-1").get("/api/v1/me/")) == (403, "device_mismatch")


def test_deactivating_a_tenant_stops_its_tokens(api, tenant_a_supervisor):
    access = sign_in(api, tenant_a_supervisor).json()["access"]
    assert bearer(access).get("/api/v1/me/").status_code == 200  # the tenant is now cached
    tenant_a_supervisor.tenant.is_active = False
    tenant_a_supervisor.tenant.save()
    assert error_of(bearer(access).get("/api/v1/me/")) == (401, "tenant_inactive")
