"""Django admin for clients, sites, groups, shifts, areas and assignments.

Querysets go through the same selectors as the API, so the admin shows only the
signed-in person's tenant and sites. Geometries are edited as text (GeoJSON or WKT):
the map widgets load scripts from a CDN, which the console does not allow.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.gis.db import models as gis
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.core.cache import bump_on_commit

from . import selectors
from .models import Client, Location, Shift, Site, SiteAssignment, SiteGroup, SiteGroupMember


class ScopedAdmin(admin.ModelAdmin):
    """Rows come from ``selector(person)``; every change invalidates the cached site lists."""

    selector: Any = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return type(self).selector(request.user)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        bump_on_commit(selectors.CACHE_NAMESPACE)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        bump_on_commit(selectors.CACHE_NAMESPACE)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        super().delete_queryset(request, queryset)
        bump_on_commit(selectors.CACHE_NAMESPACE)


@admin.register(Client)
class ClientAdmin(ScopedAdmin):
    selector = staticmethod(selectors.clients_for)
    list_display = ["code", "name", "contract_start", "contract_end", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


@admin.register(Site)
class SiteAdmin(ScopedAdmin):
    selector = staticmethod(selectors.sites_for)
    list_display = ["code", "name", "client", "timezone", "is_active"]
    list_filter = ["is_active", "client"]
    search_fields = ["code", "name"]
    raw_id_fields = ["client", "in_charge"]
    formfield_overrides = {
        gis.PointField: {"widget": forms.Textarea(attrs={"rows": 2})},
        gis.PolygonField: {"widget": forms.Textarea(attrs={"rows": 4})},
    }


class SiteGroupMemberInline(admin.TabularInline):
    model = SiteGroupMember
    extra = 0
    raw_id_fields = ["site"]
    ordering = ["position"]


@admin.register(SiteGroup)
class SiteGroupAdmin(ScopedAdmin):
    selector = staticmethod(selectors.site_groups_for)
    list_display = ["code", "name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    inlines = [SiteGroupMemberInline]


@admin.register(Shift)
class ShiftAdmin(ScopedAdmin):
    selector = staticmethod(selectors.shifts_for)
    list_display = ["name", "site", "start_time", "end_time", "headcount", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "site__code", "site__name"]
    raw_id_fields = ["site", "designation"]


@admin.register(Location)
class LocationAdmin(ScopedAdmin):
    selector = staticmethod(selectors.locations_for)
    list_display = ["code", "name", "site", "parent", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["site", "parent"]


@admin.register(SiteAssignment)
class SiteAssignmentAdmin(ScopedAdmin):
    selector = staticmethod(selectors.site_assignments_for)
    list_display = ["person", "site", "site_group"]
    raw_id_fields = ["person", "site", "site_group"]
