"""Webhook secrets and signatures.

``X-Youtility-Signature: t=<unix seconds>,v1=<hex>`` where ``v1`` is
HMAC-SHA256(secret, ``"<t>.<raw body>"``). Signing the timestamp with the body lets a
receiver refuse old deliveries replayed by someone who captured one (docs/api.md shows
how to verify).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SIGNATURE_HEADER = "X-Youtility-Signature"
EVENT_HEADER = "X-Youtility-Event"
DELIVERY_HEADER = "X-Youtility-Delivery"


def generate_secret() -> str:
    """A new signing secret: 256 random bits, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The value of ``X-Youtility-Signature`` for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
