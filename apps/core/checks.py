"""System checks that keep every tenant-owned model structurally tenant-scoped."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import Error, register
from django.db import models

from .models import SyncVersionField, TenantModel


@register()
def check_tenant_models(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    for model in apps.get_models():
        if not issubclass(model, TenantModel) or model._meta.proxy:
            continue
        label = model._meta.label
        if not isinstance(model._meta.get_field("version"), SyncVersionField):
            errors.append(
                Error(
                    f"{label}.version replaces the sync version of TenantModel.",
                    hint="Name the field something else (e.g. checklist_version).",
                    obj=model,
                    id="core.E005",
                )
            )
        uniques = [c for c in model._meta.constraints if isinstance(c, models.UniqueConstraint)]
        if not any(list(c.fields) == ["tenant", "uuid"] for c in uniques):
            errors.append(
                Error(
                    f"{label} lacks the (tenant, uuid) unique constraint.",
                    hint="Use class Meta(TenantModel.Meta) and keep *TenantModel.Meta.constraints.",
                    obj=model,
                    id="core.E001",
                )
            )
        for constraint in uniques:
            if constraint.fields and constraint.fields[0] != "tenant":
                errors.append(
                    Error(
                        f"{label}: unique constraint {constraint.name} must lead with tenant.",
                        obj=model,
                        id="core.E002",
                    )
                )
        for field in model._meta.fields:
            if field.unique and not field.primary_key:
                errors.append(
                    Error(
                        f"{label}.{field.name} is unique across tenants; use a (tenant, {field.name}) constraint.",
                        obj=model,
                        id="core.E003",
                    )
                )
        for m2m in model._meta.local_many_to_many:
            through = m2m.remote_field.through
            if through is not None and through._meta.auto_created:
                errors.append(
                    Error(
                        f"{label}.{m2m.name} uses an auto-created through table with no tenant column.",
                        hint="Declare a through model that subclasses TenantModel.",
                        obj=model,
                        id="core.E004",
                    )
                )
    return errors


@register()
def check_autocomplete_fields(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Every autocomplete field has a search index: the database refuses to search others."""
    from django.urls import get_resolver

    from .api.autocomplete import AutocompleteMixin
    from .search import searchable_fields

    get_resolver().url_patterns  # noqa: B018 - imports every view module, filling the registry
    errors: list[Error] = []
    for view in AutocompleteMixin.registry:
        queryset = getattr(view, "queryset", None)
        if queryset is None:
            continue
        missing = sorted(set(view.autocomplete_fields) - searchable_fields(queryset.model))
        if missing:
            errors.append(
                Error(
                    f"{view.__name__}.autocomplete_fields names {', '.join(missing)}, "
                    f"which {queryset.model._meta.label} does not index for search.",
                    hint="Add apps.core.search.search_index(<field>, <name>) to the model's Meta.indexes.",
                    obj=view,
                    id="core.E006",
                )
            )
    return errors


@register()
def check_admin_sides(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Every model in the admin is either tenant-owned or the platform's (apps/core/admin_platform.py).

    A model that is not a ``TenantModel`` but points at a tenant would be shown to
    platform operators with every tenant's rows, and to tenant admins without the
    tenant scoping; the admin grants it to nobody, and this check says why.
    """
    from django.contrib import admin

    from .admin_platform import admin_side

    return [
        Error(
            f"{model._meta.label} is registered in the admin and points at a tenant, but is not a TenantModel.",
            hint="Make it a TenantModel (tenant admins then see their own rows), or unregister it.",
            obj=model,
            id="core.E010",
        )
        for model in admin.site._registry
        if admin_side(model) is None
    ]
