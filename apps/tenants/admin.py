from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from . import selectors, services
from .models import Lookup, Tenant


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    """Tenants are platform-wide: platform operators see and change them, tenant admins never
    (``Person.has_perm``). A tenant is onboarded by ``manage.py create_tenant``, which also
    makes its roles and first administrator, and is never deleted here: every row of the
    tenant points at it. Unticking "active" is how a tenant is switched off.

    The slug (what its people sign in with, and what marks the platform tenant) and the
    database (changing it would move no rows) stay as they were created."""

    list_display = ["slug", "name", "db_alias", "is_active"]
    search_fields = ["slug", "name"]
    readonly_fields = ["slug", "db_alias"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

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
