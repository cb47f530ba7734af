"""Tenant context for session-authenticated requests (console, admin) and its cleanup."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.core import context, tenancy
from apps.tenants.selectors import active_tenant

SESSION_TENANT_KEY = "_tenant_id"


class SessionTenantMiddleware:
    """Sets the tenant of the signed-in session before Django loads the user, and
    resets tenant and actor after every request so nothing leaks into the next one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = None
        tenant_id = request.session.get(SESSION_TENANT_KEY) if hasattr(request, "session") else None
        if tenant_id is not None:
            tenant = active_tenant(tenant_id)
        request.session_tenant = tenant  # type: ignore[attr-defined]
        token = tenancy.set_tenant(tenancy.TenantContext.of(tenant) if tenant else None)
        actor_token = context.set_actor(None)
        try:
            return self.get_response(request)
        finally:
            tenancy.reset(token)
            context.reset_actor(actor_token)
