"""Django admin for alerts (read only: people act on alerts through the API and console)
and maintenance windows (written through the services, like the API)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.core.admin import ServiceAdmin, ServiceForm
from apps.sites.selectors import sites_for

from . import selectors, services
from .models import Alert, AlertEvent, MaintenanceWindow

EVENT_FIELDS: list[Any] = ["at", "kind", "actor", "from_status", "to_status", "note"]
ALERT_FIELDS: list[Any] = [
    "type",
    "severity",
    "status",
    "title",
    "site",
    "dedupe_key",
    "details",
    "occurrences",
    "first_seen_at",
    "last_seen_at",
    "escalation_level",
    "escalate_at",
    "acknowledged_at",
    "acknowledged_by",
    "assigned_to",
    "assigned_at",
    "resolved_at",
    "resolved_by",
    "resolution_note",
]


class AlertEventInline(admin.TabularInline):
    model = AlertEvent
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS
    extra = 0
    can_delete = False
    ordering = ["at", "pk"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Alerts of the signed-in person's sites with their timelines; nothing is edited here."""

    list_display = ["id", "title", "type", "severity", "status", "site", "occurrences", "first_seen_at"]
    list_filter = ["status", "severity", "type"]
    search_fields = ["title", "dedupe_key"]
    date_hierarchy = "first_seen_at"
    fields = ALERT_FIELDS
    readonly_fields = ALERT_FIELDS
    inlines = [AlertEventInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.alerts_for(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # alerts are the record of what happened; resolve them instead


class MaintenanceWindowForm(ServiceForm):
    error_fields = {"invalid_window": "ends_at", "window_too_long": "ends_at"}

    class Meta:
        model = MaintenanceWindow
        fields = ["site", "starts_at", "ends_at", "reason"]

    def write(self, data: dict[str, Any]) -> MaintenanceWindow:
        fields = {
            "site_id": data["site"].pk,
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "reason": data["reason"],
        }
        if self.instance.pk is None:
            return services.create_maintenance_window(self.actor, **fields)
        return services.update_maintenance_window(self.actor, self.instance, **fields)


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(ServiceAdmin):
    """Maintenance windows of the signed-in person's sites."""

    form = MaintenanceWindowForm
    delete_deactivates = False
    list_display = ["site", "starts_at", "ends_at", "reason", "created_by"]
    search_fields = ["reason", "site__code", "site__name"]
    fields = ["site", "starts_at", "ends_at", "reason"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.windows_for(request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "site":
            kwargs["queryset"] = sites_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def remove(self, request: HttpRequest, obj: MaintenanceWindow) -> None:
        services.delete_maintenance_window(request.user, obj)
