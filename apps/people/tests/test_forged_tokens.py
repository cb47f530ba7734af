"""A token signed with the key that used to be the local default is refused at every door,
and rotating the signing key signs everyone out.

The forged token is what an attacker made against ``make run`` installs: a year-long
access token for a tenant's admin, signed with the constant that was once the local
``SECRET_KEY`` (and so the JWT key).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from youtility.asgi import application
from youtility.settings.keys import KNOWN_DEFAULT_KEYS, generate_key

OLD_DEFAULT_KEY = "local-development-key-not-for-production-0123456789abcdefghijkl"


def claims_of(persona: Any) -> dict[str, Any]:
    now = int(time.time())
    person = persona.person
    return {
        "sub": str(person.pk),
        "tid": person.tenant_id,
        "tenant": persona.tenant.slug,
        "roles": ["admin"],
        "dev": "",
        "fam": str(uuid.uuid4()),
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 365 * 24 * 3600,
        "iss": settings.JWT_ISSUER,
        "typ": "access",
    }


def sign(claims: dict[str, Any], key: str) -> str:
    return jwt.encode(claims, key, algorithm="HS256")


def rest_me(token: str) -> Any:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get("/api/v1/me/")


def graphql_me(token: str) -> Any:
    return Client().post(
        "/graphql/",
        json.dumps({"query": "{ me { login } }"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_the_old_default_is_a_known_key_and_not_ours() -> None:
    assert OLD_DEFAULT_KEY in KNOWN_DEFAULT_KEYS
    assert OLD_DEFAULT_KEY not in {settings.SECRET_KEY, settings.JWT_SIGNING_KEY}


def test_rest_refuses_a_token_signed_with_the_old_default(tenant_a_admin: Any) -> None:
    claims = claims_of(tenant_a_admin)
    # The same claims under the real key get in: only the key differs below.
    assert rest_me(sign(claims, settings.JWT_SIGNING_KEY)).json()["login"] == "admin"

    response = rest_me(sign(claims, OLD_DEFAULT_KEY))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"


def test_graphql_refuses_a_token_signed_with_the_old_default(tenant_a_admin: Any) -> None:
    claims = claims_of(tenant_a_admin)
    assert graphql_me(sign(claims, settings.JWT_SIGNING_KEY)).json() == {"data": {"me": {"login": "admin"}}}

    response = graphql_me(sign(claims, OLD_DEFAULT_KEY))

    assert response.status_code == 401
    assert response.json() == {
        "errors": [{"message": "The access token is not valid.", "extensions": {"code": "token_invalid"}}]
    }


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_websocket_refuses_a_token_signed_with_the_old_default(tenant_a_admin: Any) -> None:
    claims = await sync_to_async(claims_of)(tenant_a_admin)

    async def connect(token: str) -> tuple[bool, Any]:
        communicator = WebsocketCommunicator(
            application, "/ws/noc/", headers=[(b"authorization", f"Bearer {token}".encode())]
        )
        try:
            return await communicator.connect(timeout=5)  # type: ignore[no-any-return]
        finally:
            await communicator.disconnect(timeout=1)

    accepted, _ = await connect(sign(claims, settings.JWT_SIGNING_KEY))
    assert accepted is True

    assert await connect(sign(claims, OLD_DEFAULT_KEY)) == (False, 4401)


def test_rotating_the_jwt_key_signs_everyone_out(tenant_a_admin: Any, settings: Any) -> None:
    pair = tenant_a_admin.tokens()
    assert rest_me(pair.access).status_code == 200

    settings.JWT_SIGNING_KEY = generate_key()

    assert rest_me(pair.access).json()["error"]["code"] == "token_invalid"
    refreshed = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": pair.refresh}, format="json")
    assert (refreshed.status_code, refreshed.json()["error"]["code"]) == (401, "token_invalid")
    # Signing in again works under the new key.
    assert rest_me(tenant_a_admin.tokens().access).status_code == 200
