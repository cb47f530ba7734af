"""Facts about an HTTP request that several parts of the project need the same way."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str | None:
    """The client address, trusting X-Forwarded-For only as far as our own proxies."""
    if request is None:
        return None
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    hops = settings.TRUSTED_PROXY_COUNT
    if forwarded and hops > 0 and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")


def bearer_token(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` (or graphql-jwt's ``JWT <token>``) header."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() in {"bearer", "jwt"} and token.strip():
        return token.strip()
    return None
