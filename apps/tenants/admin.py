from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from . import selectors, services
from .models import Lookup, Tenant


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    """Tenants are platform-wide: only superusers (support staff) see or change them."""

    list_display = ["slug", "name", "db_alias", "is_active"]
    search_fields = ["slug", "name"]

    @staticmethod
    def _support_staff(request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._support_staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._support_staff(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._support_staff(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._support_staff(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._support_staff(request)

    def save_model(self, request: HttpRequest, obj: Tenant, form: Any, change: bool) -> None:
        # Through the service, which also keeps the tenant row in its dedicated database.
        services.update_tenant(obj)


@admin.register(Lookup)
class LookupAdmin(admin.ModelAdmin):
    """The signed-in tenant's code lists; every change makes the cached lists stale."""

    list_display = ["kind", "code", "name", "position", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    fields = ["kind", "code", "name", "position", "is_active"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.lookups()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["kind"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Lookup, form: Any, change: bool) -> None:
        services.save_lookup(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: other rows point at lookups
