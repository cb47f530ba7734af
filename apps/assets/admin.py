"""Django admin for assets and checkpoints: only the signed-in person's sites, writes through the service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from apps.core import context
from apps.core.errors import DomainError
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


class AssetAdminForm(forms.ModelForm):
    """Runs the service inside form validation, so a broken rule is shown on the form, not as a 500."""

    class Meta:
        model = Asset
        fields = FORM_FIELDS

    def _post_clean(self) -> None:
        # The model's own full_clean is replaced by the service, which validates and saves.
        if self.errors:
            return
        data = self.cleaned_data
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
        actor = self.request_user  # type: ignore[attr-defined]
        # The admin's session sets the tenant but not the actor; the audit columns need it.
        token = context.set_actor(actor.pk)
        try:
            if self.instance.pk is None:
                self.instance = services.create_asset(actor, **fields)
            else:
                self.instance = services.update_asset(actor, self.instance, **fields)
        except DomainError as exc:
            self.add_error(None, ValidationError(f"{exc.message} ({exc.code})", code=exc.code))
        finally:
            context.reset_actor(token)


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    form = AssetAdminForm
    list_display = ["code", "name", "kind", "status", "site", "tag", "is_active"]
    list_filter = ["kind", "status", "is_active"]
    search_fields = ["code", "name", "tag"]
    fields = FORM_FIELDS

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.assets_for(request.user)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_user = request.user  # type: ignore[attr-defined]
        return form

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

    def save_model(self, request: HttpRequest, obj: Asset, form: Any, change: bool) -> None:
        pass  # saved by the service while the form was validated (AssetAdminForm._post_clean)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # scrap or deactivate instead: jobs and reports refer to assets
