"""DRF authentication: JWT bearer tokens (phones, integrations) and console sessions.

Both set the tenant context from the authenticated principal; a client never names its
tenant by header or parameter. The context is reset by ``SessionTenantMiddleware``.
"""

from __future__ import annotations

from typing import Any

import structlog
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.request import Request

from apps.core import context, tenancy
from apps.core.http import bearer_token
from apps.people.services import authenticate_access


def activate_principal(person: Any, tenant: Any) -> None:
    """Make an authenticated person's tenant and identity the context of this request."""
    tenancy.set_tenant(tenancy.TenantContext.of(tenant))
    context.set_actor(person.pk, label=person.login)
    structlog.contextvars.bind_contextvars(tenant=tenant.slug, person_id=person.pk)


class JWTAuthentication(BaseAuthentication):
    www_authenticate_realm = "api"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        token = bearer_token(request.headers.get("Authorization", ""))
        if token is None:
            return None
        person, tenant, claims = authenticate_access(token, request.headers.get("X-Device-ID"))
        activate_principal(person, tenant)
        return person, claims

    def authenticate_header(self, request: Request) -> str:
        return f'Bearer realm="{self.www_authenticate_realm}"'


class TenantSessionAuthentication(SessionAuthentication):
    """The console's session, whose tenant ``SessionTenantMiddleware`` already set (CSRF enforced)."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            tenant = getattr(request._request, "session_tenant", None)
            if tenant is None:
                return None
            activate_principal(result[0], tenant)
        return result
