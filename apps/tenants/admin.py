from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from . import selectors, services
from .models import Lookup, Tenant


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "db_alias", "is_active"]
    search_fields = ["slug", "name"]

    def has_module_permission(self, request):  # type: ignore[no-untyped-def]
        return bool(request.user.is_active and request.user.is_superuser)

    has_view_permission = has_change_permission = has_add_permission = has_delete_permission = (  # type: ignore[assignment]
        lambda self, request, obj=None: bool(request.user.is_active and request.user.is_superuser)
    )


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
