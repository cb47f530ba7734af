"""Session authentication for the console and the Django admin, tenant-aware."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.core import tenancy
from apps.core.errors import DomainError
from apps.core.http import client_ip

from . import throttling
from .models import Person
from .services import check_credentials


class TenantLoginBackend:
    """Checks tenant + login + password through the same service as the token endpoint."""

    def authenticate(
        self,
        request: HttpRequest | None,
        tenant: str | None = None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Person | None:
        if not tenant or not username or password is None:
            return None
        presented = request.COOKIES.get(throttling.DEVICE_COOKIE, "") if request is not None else ""
        try:
            person = check_credentials(
                tenant_slug=tenant,
                login=username,
                password=password,
                ip=client_ip(request),
                channel="console",
                device_token=presented,
            )
        except DomainError as exc:
            if request is not None:
                request.auth_error = exc  # type: ignore[attr-defined]
            return None
        if request is not None:
            # The login view keeps it in a cookie: this browser is trusted at its next sign-in.
            request.device_token = throttling.device_token(tenant, username, presented)  # type: ignore[attr-defined]
        return person

    def get_user(self, user_id: int) -> Person | None:
        if tenancy.current_tenant_id() is None:
            return None
        return Person.objects.filter(pk=user_id, is_active=True).prefetch_related("roles").first()
