"""Token mutations with graphql-jwt's names and fields, so its clients keep working."""

from __future__ import annotations

from typing import Any

import graphene
from graphene.types.generic import GenericScalar

from apps.people import services
from apps.people.backends import client_ip


def _payload(claims: Any) -> dict[str, Any]:
    return claims.as_payload()


class TokenAuth(graphene.Mutation):
    """Sign in with tenant, login (``username``) and password."""

    class Arguments:
        tenant = graphene.String(required=True)
        username = graphene.String(required=True, description="The login, unique within the tenant.")
        password = graphene.String(required=True)
        device_id = graphene.String()
        device_token = graphene.String(
            description="The deviceToken of this device's last successful sign-in: failed attempts of others "
            "do not slow this device down."
        )

    token = graphene.String(required=True)
    refresh_token = graphene.String(required=True)
    payload = GenericScalar(required=True)
    refresh_expires_in = graphene.Int(required=True, description="Unix time the refresh token expires.")
    device_token = graphene.String(
        required=True, description="Keep it on the device and send it with its next sign-in."
    )

    @staticmethod
    def mutate(
        root: Any, info: Any, tenant: str, username: str, password: str, device_id: str = "", device_token: str = ""
    ) -> TokenAuth:
        pair = services.obtain_tokens(
            tenant_slug=tenant,
            login=username,
            password=password,
            device_id=device_id or "",
            ip=client_ip(info.context),
            channel="graphql",
            device_token=device_token or "",
        )
        return TokenAuth(
            token=pair.access,
            refresh_token=pair.refresh,
            payload=_payload(pair.claims),
            refresh_expires_in=pair.refresh_expires_at,
            device_token=pair.device_token,
        )


class RefreshToken(graphene.Mutation):
    """Rotate a refresh token: returns a new access token and a new refresh token."""

    class Arguments:
        refresh_token = graphene.String(required=True)
        device_id = graphene.String()

    token = graphene.String(required=True)
    refresh_token = graphene.String(required=True)
    payload = GenericScalar(required=True)
    refresh_expires_in = graphene.Int(required=True)

    @staticmethod
    def mutate(root: Any, info: Any, refresh_token: str, device_id: str = "") -> RefreshToken:
        pair = services.refresh_tokens(refresh=refresh_token, device_id=device_id or "")
        return RefreshToken(
            token=pair.access,
            refresh_token=pair.refresh,
            payload=_payload(pair.claims),
            refresh_expires_in=pair.refresh_expires_at,
        )


class VerifyToken(graphene.Mutation):
    """Check an access token and return its claims."""

    class Arguments:
        token = graphene.String(required=True)

    payload = GenericScalar(required=True)

    @staticmethod
    def mutate(root: Any, info: Any, token: str) -> VerifyToken:
        claims = services.verify_access(token)
        return VerifyToken(payload=_payload(claims))


class RevokeToken(graphene.Mutation):
    """Log out: revoke a refresh token, its rotations and their access tokens."""

    class Arguments:
        refresh_token = graphene.String(required=True)

    revoked = graphene.Int(required=True, description="Unix time of the revocation.")

    @staticmethod
    def mutate(root: Any, info: Any, refresh_token: str) -> RevokeToken:
        import time

        services.revoke_refresh(refresh=refresh_token)
        return RevokeToken(revoked=int(time.time()))


class AuthMutations(graphene.ObjectType):
    token_auth = TokenAuth.Field()
    refresh_token = RefreshToken.Field()
    verify_token = VerifyToken.Field()
    revoke_token = RevokeToken.Field()
