"""Django admin for clients, sites, groups, shifts, areas and assignments.

Querysets go through the same selectors as the API, so the admin shows only the
signed-in person's tenant and sites, and every write goes through ``services``, so the
admin obeys the API's rules: "delete" deactivates (assignments alone are deleted, as the
service does). Geometries are edited as text (GeoJSON or WKT) and checked like the API's:
the map widgets load scripts from a CDN, which the console does not allow.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from apps.core.admin import ServiceAdmin, ServiceForm
from apps.core.geo import SRID, GeometryError, parse_geojson, to_geojson
from apps.tenants.models import Lookup

from . import selectors, services
from .models import Client, Location, Shift, Site, SiteAssignment, SiteGroup


def _pk(row: Model | None) -> int | None:
    return row.pk if row is not None else None


class GeometryText(forms.Field):
    """A point or polygon typed as GeoJSON or WKT, checked by ``parse_geojson`` as the API's are."""

    def __init__(self, geom_type: str, rows: int, **kwargs: Any) -> None:
        self.geom_type = geom_type
        super().__init__(widget=forms.Textarea(attrs={"rows": rows}), **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return json.dumps(to_geojson(value)) if isinstance(value, GEOSGeometry) else value

    def to_python(self, value: Any) -> Any:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            if not text.startswith("{"):
                geometry = GEOSGeometry(text)
                if geometry.srid not in (None, SRID):
                    raise GeometryError("Only WGS 84 (EPSG:4326) coordinates are accepted.", code="invalid_srid")
                return parse_geojson(to_geojson(geometry), self.geom_type)
            return parse_geojson(text, self.geom_type)
        except GeometryError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc
        except (GEOSException, ValueError) as exc:
            raise ValidationError("Enter GeoJSON or WKT.", code="invalid_geometry") from exc


class ClientForm(ServiceForm):
    error_fields = {"contract_end_before_start": "contract_end", "duplicate_code": "code"}

    class Meta:
        model = Client
        fields = ["code", "name", "contract_start", "contract_end", "preferences", "is_active"]

    def write(self, data: dict[str, Any]) -> Client:
        values = {name: data[name] for name in ("code", "name", "contract_start", "contract_end", "is_active")}
        values["preferences"] = data.get("preferences") or {}
        client = self.instance
        if client.pk is None:
            return services.create_client(actor=self.actor, **values)
        was_active = client.is_active
        services.update_client(client, actor=self.actor, **values)
        if was_active and not client.is_active:
            services.deactivate_client(client, actor=self.actor)  # its sites too, as "delete" does
        return client


class SiteForm(ServiceForm):
    location = GeometryText("Point", rows=2, help_text='GeoJSON {"type": "Point", ...} or WKT POINT(lon lat).')
    geofence = GeometryText("Polygon", rows=4, required=False, help_text="GeoJSON or WKT polygon; empty for none.")
    error_fields = {
        "duplicate_code": "code",
        "invalid_geometry": "location",
        "invalid_polygon": "geofence",
        "unknown_person": "in_charge",
    }

    class Meta:
        model = Site
        fields = [
            "client",
            "code",
            "name",
            "address",
            "location",
            "geofence",
            "radius_m",
            "timezone",
            "in_charge",
            "options",
            "is_active",
        ]

    def write(self, data: dict[str, Any]) -> Site:
        values = {
            name: data[name]
            for name in ("code", "name", "address", "location", "geofence", "radius_m", "timezone", "is_active")
        }
        values.update(
            client_id=data["client"].pk, in_charge_id=_pk(data.get("in_charge")), options=data.get("options") or {}
        )
        if self.instance.pk is None:
            return services.create_site(actor=self.actor, **values)
        return services.update_site(self.instance, actor=self.actor, **values)


class SiteGroupForm(ServiceForm):
    member_sites = forms.CharField(
        label="Sites",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Site codes in route order, separated by spaces, commas or new lines.",
    )
    error_fields = {"duplicate_code": "code", "duplicate_member": "member_sites", "unknown_site": "member_sites"}

    class Meta:
        model = SiteGroup
        fields = ["code", "name", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            members = self.instance.members.select_related("site").order_by("position", "pk")
            self.initial["member_sites"] = "\n".join(member.site.code for member in members)

    def clean_member_sites(self) -> list[int]:
        """The sites' ids in the order given; the service checks them again (scope, repeats)."""
        codes = [code for code in re.split(r"[\s,]+", self.cleaned_data["member_sites"]) if code]
        known = dict(selectors.sites_for(self.actor).filter(code__in=codes).values_list("code", "pk"))
        missing = [code for code in codes if code not in known]
        if missing:
            raise ValidationError(f"No site with code {missing[0]!r}.", code="unknown_site")
        return [known[code] for code in codes]

    def write(self, data: dict[str, Any]) -> SiteGroup:
        values = {name: data[name] for name in ("code", "name", "is_active")}
        values["site_ids"] = data["member_sites"]
        if self.instance.pk is None:
            return services.create_site_group(actor=self.actor, **values)
        return services.update_site_group(self.instance, actor=self.actor, **values)


class ShiftForm(ServiceForm):
    error_fields = {"duplicate_code": "name", "empty_shift": "end_time", "invalid_headcount": "headcount"}

    class Meta:
        model = Shift
        fields = ["site", "name", "start_time", "end_time", "headcount", "designation", "is_active"]

    def write(self, data: dict[str, Any]) -> Shift:
        values = {name: data[name] for name in ("name", "start_time", "end_time", "headcount", "is_active")}
        values.update(site_id=data["site"].pk, designation_id=_pk(data.get("designation")))
        if self.instance.pk is None:
            return services.create_shift(actor=self.actor, **values)
        return services.update_shift(self.instance, actor=self.actor, **values)


class LocationForm(ServiceForm):
    error_fields = {"duplicate_code": "code", "parent_in_other_site": "parent", "parent_cycle": "parent"}

    class Meta:
        model = Location
        fields = ["site", "parent", "code", "name", "is_active"]

    def write(self, data: dict[str, Any]) -> Location:
        values = {name: data[name] for name in ("code", "name", "is_active")}
        values.update(site_id=data["site"].pk, parent_id=_pk(data.get("parent")))
        if self.instance.pk is None:
            return services.create_location(actor=self.actor, **values)
        return services.update_location(self.instance, actor=self.actor, **values)


class SiteAssignmentForm(ServiceForm):
    class Meta:
        model = SiteAssignment
        fields = ["person", "site", "site_group"]

    def write(self, data: dict[str, Any]) -> SiteAssignment:
        # Only ever an add: the service has no update, so existing assignments are view-only.
        return services.create_site_assignment(
            person_id=data["person"].pk,
            site_id=_pk(data.get("site")),
            site_group_id=_pk(data.get("site_group")),
            actor=self.actor,
        )


class ScopedAdmin(ServiceAdmin):
    """Rows and foreign-key choices come from the selectors; "delete" calls ``remove_service``."""

    selector: Any = None
    remove_service: Any = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return type(self).selector(request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        scoped = {
            "client": selectors.clients_for,
            "site": selectors.sites_for,
            "site_group": selectors.site_groups_for,
            "parent": selectors.locations_for,
        }
        if db_field.name in scoped:
            kwargs["queryset"] = scoped[db_field.name](request.user)
        elif db_field.name == "designation":
            kwargs["queryset"] = Lookup.objects.filter(kind=Lookup.Kind.DESIGNATION)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def remove(self, request: HttpRequest, obj: Any) -> None:
        type(self).remove_service(obj, actor=request.user)


@admin.register(Client)
class ClientAdmin(ScopedAdmin):
    """Unticking "active" (or "delete") deactivates the client and its sites, as the API's DELETE does."""

    form = ClientForm
    selector = staticmethod(selectors.clients_for)
    remove_service = staticmethod(services.deactivate_client)
    list_display = ["code", "name", "contract_start", "contract_end", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


@admin.register(Site)
class SiteAdmin(ScopedAdmin):
    form = SiteForm
    selector = staticmethod(selectors.sites_for)
    remove_service = staticmethod(services.deactivate_site)
    list_display = ["code", "name", "client", "timezone", "is_active"]
    list_filter = ["is_active", "client"]
    search_fields = ["code", "name"]
    raw_id_fields = ["client", "in_charge"]


@admin.register(SiteGroup)
class SiteGroupAdmin(ScopedAdmin):
    """Members are edited as a list of site codes: the service replaces them in that order."""

    form = SiteGroupForm
    selector = staticmethod(selectors.site_groups_for)
    remove_service = staticmethod(services.deactivate_site_group)
    list_display = ["code", "name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "member_sites", "is_active"]


@admin.register(Shift)
class ShiftAdmin(ScopedAdmin):
    form = ShiftForm
    selector = staticmethod(selectors.shifts_for)
    remove_service = staticmethod(services.deactivate_shift)
    list_display = ["name", "site", "start_time", "end_time", "headcount", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "site__code", "site__name"]
    raw_id_fields = ["site", "designation"]


@admin.register(Location)
class LocationAdmin(ScopedAdmin):
    form = LocationForm
    selector = staticmethod(selectors.locations_for)
    remove_service = staticmethod(services.deactivate_location)
    list_display = ["code", "name", "site", "parent", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["site", "parent"]


@admin.register(SiteAssignment)
class SiteAssignmentAdmin(ScopedAdmin):
    """Added and deleted, never changed: the service has no update (delete and add instead)."""

    form = SiteAssignmentForm
    selector = staticmethod(selectors.site_assignments_for)
    remove_service = staticmethod(services.delete_site_assignment)
    delete_deactivates = False  # nothing refers to an assignment, so the service deletes it
    list_display = ["person", "site", "site_group"]
    raw_id_fields = ["person", "site", "site_group"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)
