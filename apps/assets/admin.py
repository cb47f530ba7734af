"""Django admin for assets and checkpoints: only the signed-in person's sites, writes through the service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.core.admin import ServiceAdmin, ServiceForm
from apps.sites.models import Location
from apps.sites.selectors import scope_to_sites, sites_for
from apps.tenants.models import Lookup

from . import selectors, services
from .models import Asset

FORM_FIELDS: list[Any] = [
    "kind",
    "code",
    "name",
    "status",
    "site",
    "area",
    "parent",
    "asset_class",
    "tag",
    "meter",
    "is_active",
]


class AssetAdminForm(ServiceForm):
    """Saved by the service while it is validated, so a broken rule is shown on the form, not as a 500."""

    class Meta:
        model = Asset
        fields = FORM_FIELDS

    def write(self, data: dict[str, Any]) -> Asset:
        fields = {
            "kind": data["kind"],
            "code": data["code"],
            "name": data["name"],
            "status": data["status"],
            "site_id": data["site"].pk if data.get("site") else None,
            "area_id": data["area"].pk if data.get("area") else None,
            "parent_id": data["parent"].pk if data.get("parent") else None,
            "asset_class_id": data["asset_class"].pk if data.get("asset_class") else None,
            "tag": data.get("tag") or "",
            "meter": data.get("meter") or {},
            "is_active": data["is_active"],
        }
        if self.instance.pk is None:
            return services.create_asset(self.actor, **fields)
        return services.update_asset(self.actor, self.instance, **fields)


@admin.register(Asset)
class AssetAdmin(ServiceAdmin):
    """Deleting deactivates, as the API's DELETE does: jobs and reports refer to assets."""

    form = AssetAdminForm
    list_display = ["code", "name", "kind", "status", "site", "tag", "is_active"]
    list_filter = ["kind", "status", "is_active"]
    search_fields = ["code", "name", "tag"]
    fields = FORM_FIELDS

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.assets_for(request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "site":
            kwargs["queryset"] = sites_for(request.user)
        elif db_field.name == "area":
            kwargs["queryset"] = scope_to_sites(Location.objects.all(), request.user)
        elif db_field.name == "parent":
            kwargs["queryset"] = selectors.assets_for(request.user)
        elif db_field.name == "asset_class":
            kwargs["queryset"] = Lookup.objects.filter(kind=Lookup.Kind.ASSET_CLASS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def remove(self, request: HttpRequest, obj: Asset) -> None:
        services.deactivate_asset(request.user, obj)
