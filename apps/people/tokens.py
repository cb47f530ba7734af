"""Access tokens (JWT) and refresh tokens (opaque, stored hashed).

One token system for REST, GraphQL and WebSocket. Access tokens are short-lived JWTs
carrying tenant, person, roles and device; refresh tokens are random strings that name
their tenant (``rt1.<tenant id>.<secret>``) so the server can find the right tenant (and
database) before looking the hash up.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from django.conf import settings

from apps.core.errors import AuthenticationFailed

REFRESH_PREFIX = "rt1"
# ASCII digits only: str.isdigit() also accepts characters such as "²" that int() refuses.
_TENANT_ID = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class AccessClaims:
    person_id: int
    tenant_id: int
    tenant_slug: str
    roles: list[str]
    device_id: str
    family: str
    jti: str
    issued_at: int
    expires_at: int

    def as_payload(self) -> dict[str, Any]:
        return {
            "sub": str(self.person_id),
            "tid": self.tenant_id,
            "tenant": self.tenant_slug,
            "roles": self.roles,
            "dev": self.device_id,
            "fam": self.family,
            "jti": self.jti,
            "iat": self.issued_at,
            "exp": self.expires_at,
        }


def encode_access(
    *, person_id: int, tenant_id: int, tenant_slug: str, roles: list[str], device_id: str, family: str
) -> tuple[str, AccessClaims]:
    now = datetime.now(UTC)
    claims = AccessClaims(
        person_id=person_id,
        tenant_id=tenant_id,
        tenant_slug=tenant_slug,
        roles=roles,
        device_id=device_id,
        family=family,
        jti=uuid.uuid4().hex,
        issued_at=int(now.timestamp()),
        expires_at=int((now + timedelta(seconds=settings.JWT_ACCESS_TTL_SECONDS)).timestamp()),
    )
    payload = {**claims.as_payload(), "iss": settings.JWT_ISSUER, "typ": "access"}
    return jwt.encode(payload, settings.JWT_SIGNING_KEY, algorithm="HS256"), claims


def decode_access(token: str) -> AccessClaims:
    try:
        payload = jwt.decode(
            token,
            settings.JWT_SIGNING_KEY,
            algorithms=["HS256"],
            issuer=settings.JWT_ISSUER,
            options={"require": ["exp", "iat", "sub", "tid", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthenticationFailed("The access token has expired.", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise AuthenticationFailed("The access token is not valid.", code="token_invalid") from exc
    if payload.get("typ") != "access":
        raise AuthenticationFailed("The access token is not valid.", code="token_invalid")
    try:
        return AccessClaims(
            person_id=int(payload["sub"]),
            tenant_id=int(payload["tid"]),
            tenant_slug=str(payload.get("tenant", "")),
            roles=[str(r) for r in payload.get("roles", [])],
            device_id=str(payload.get("dev", "")),
            family=str(payload.get("fam", "")),
            jti=str(payload["jti"]),
            issued_at=int(payload["iat"]),
            expires_at=int(payload["exp"]),
        )
    except (TypeError, ValueError) as exc:
        raise AuthenticationFailed("The access token is not valid.", code="token_invalid") from exc


def new_refresh_secret(tenant_id: int) -> str:
    return f"{REFRESH_PREFIX}.{tenant_id}.{secrets.token_urlsafe(32)}"


def parse_refresh(token: str) -> int:
    """Return the tenant id a refresh token names, or raise ``token_invalid``."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3 or parts[0] != REFRESH_PREFIX or not _TENANT_ID.fullmatch(parts[1]) or len(parts[2]) < 20:
        raise AuthenticationFailed("The refresh token is not valid.", code="token_invalid")
    return int(parts[1])


def hash_refresh(token: str) -> str:
    """The stored form of a refresh token, keyed by the signing key: rotating
    ``JWT_SIGNING_KEY`` ends refresh tokens as well as access tokens, so it signs everyone out."""
    return hmac.new(settings.JWT_SIGNING_KEY.encode(), token.encode(), hashlib.sha256).hexdigest()
