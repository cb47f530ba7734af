"""Django admin of scheduling: schedules written through the services (a tour's stops as a
list of checkpoint codes), jobs and reminders read-only (they change by their workflow)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.assets.models import Asset
from apps.core.admin import ServiceAdmin, ServiceForm, acting_as
from apps.core.errors import DomainError
from apps.people.models import Team
from apps.people.selectors import people_for
from apps.sites.selectors import site_groups_for, sites_for
from apps.tenants.models import Lookup

from . import selectors, services
from .models import Job, Reminder, Schedule, ScheduleStop

# What the services let a caller write; enabling and disabling are the list's actions.
SCHEDULE_FIELDS = [name for name in services.WRITABLE if name != "is_active"]
STOP_FIELDS: list[Any] = [
    "position",
    "checkpoint",
    "checklist",
    "offset_minutes",
    "duration_minutes",
    "grace_minutes",
]
# Service key -> stop attribute of the settings a kept checkpoint carries over.
STOP_SETTINGS = {
    "checklist": "checklist_id",
    "offset_minutes": "offset_minutes",
    "duration_minutes": "duration_minutes",
    "grace_minutes": "grace_minutes",
}


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ScheduleStopInline(_ReadOnlyInline):
    model = ScheduleStop
    fields = readonly_fields = STOP_FIELDS
    verbose_name_plural = "stops (edit them as the list of checkpoint codes above)"


class ScheduleForm(ServiceForm):
    stop_checkpoints = forms.CharField(
        label="Stops",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Internal tours: checkpoint codes of the site in tour order, separated by spaces, commas or "
        "new lines. A checkpoint kept keeps its stop settings; per-stop timing is edited through the API.",
    )
    error_fields = {"stops_required": "stop_checkpoints", "too_many_stops": "stop_checkpoints"}

    class Meta:
        model = Schedule
        fields = SCHEDULE_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current_stops: list[ScheduleStop] = []
        if self.instance.pk is not None:
            self.current_stops = list(self.instance.stops.select_related("checkpoint").order_by("position"))
            self.initial["stop_checkpoints"] = "\n".join(stop.checkpoint.code for stop in self.current_stops)

    def error_field(self, exc: DomainError) -> str | None:
        # "stops[2].checkpoint" and the like concern the list of codes.
        if str(exc.details.get("field") or "").startswith("stops"):
            return "stop_checkpoints"
        return super().error_field(exc)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        codes = [code for code in re.split(r"[\s,]+", data.get("stop_checkpoints") or "") if code]
        site = data.get("site")
        known: dict[str, int] = {}
        if codes and site is not None:
            checkpoints = Asset.objects.filter(site=site, kind=Asset.Kind.CHECKPOINT, code__in=codes)
            known = dict(checkpoints.values_list("code", "pk"))
        missing = [code for code in codes if code not in known]
        if missing:
            self.add_error("stop_checkpoints", f"No checkpoint with code {missing[0]!r} at the site.")
        data["stop_checkpoints"] = [known[code] for code in codes if code in known]
        return data

    def stops(self, checkpoint_ids: list[int]) -> list[dict[str, Any]]:
        """The stops in the order given; a checkpoint already on the tour keeps its settings."""
        kept = {stop.checkpoint_id: stop for stop in self.current_stops}
        stops = []
        for pk in checkpoint_ids:
            stop = kept.get(pk)
            settings = {} if stop is None else {name: getattr(stop, attr) for name, attr in STOP_SETTINGS.items()}
            stops.append({"checkpoint": pk, **settings})
        return stops

    def write(self, data: dict[str, Any]) -> Schedule:
        fields = {name: data.get(name) for name in SCHEDULE_FIELDS}
        fields["cron"] = fields["cron"] or ""
        fields["reminder_offsets"] = fields["reminder_offsets"] or []
        fields["notify_person_ids"] = fields["notify_person_ids"] or []
        checkpoints = data.get("stop_checkpoints") or []
        if self.instance.pk is None:
            return services.create_schedule(self.actor, stops=self.stops(checkpoints) or None, **fields)
        changed = {name: value for name, value in fields.items() if name in self.changed_data}
        stops = self.stops(checkpoints) if "stop_checkpoints" in self.changed_data else None
        return services.update_schedule(self.actor, self.instance, stops=stops, **changed)


@admin.register(Schedule)
class ScheduleAdmin(ServiceAdmin):
    """Schedules of the signed-in person's sites. "Delete" disables (jobs keep pointing at the
    schedule); "Enable selected" turns disabled ones back on."""

    form = ScheduleForm
    list_display = ["name", "kind", "site", "site_group", "cron", "assignee_person", "assignee_team", "is_active"]
    list_filter = ["is_active", "kind", "priority"]
    search_fields = ["name"]
    list_select_related = ["site", "site_group", "assignee_person", "assignee_team"]
    inlines = [ScheduleStopInline]
    actions = ["deactivate_selected", "enable_selected"]
    fields = [*SCHEDULE_FIELDS[:15], "stop_checkpoints", *SCHEDULE_FIELDS[15:], "is_active", "generated_until"]
    readonly_fields = ["is_active", "generated_until"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Schedule]:
        return selectors.schedules_for(request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "site":
            kwargs["queryset"] = sites_for(request.user).filter(is_active=True)
        elif db_field.name == "site_group":
            kwargs["queryset"] = site_groups_for(request.user).filter(is_active=True)
        elif db_field.name == "assignee_person":
            kwargs["queryset"] = people_for(request.user).filter(is_active=True)
        elif db_field.name == "assignee_team":
            kwargs["queryset"] = Team.objects.filter(is_active=True)
        elif db_field.name == "ticket_category":
            kwargs["queryset"] = Lookup.objects.filter(kind=Lookup.Kind.TICKET_CATEGORY)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def remove(self, request: HttpRequest, obj: Schedule) -> None:
        services.disable_schedule(request.user, obj)

    @admin.action(description="Enable selected schedules", permissions=["change"])
    def enable_selected(self, request: HttpRequest, queryset: QuerySet[Schedule]) -> None:
        enabled = 0
        for schedule in queryset:
            try:
                with acting_as(request.user):
                    services.enable_schedule(request.user, schedule)
            except DomainError as exc:
                self.message_user(request, f"{schedule}: {exc.message} ({exc.code})", messages.ERROR)
                continue
            enabled += 1
        self.message_user(request, f"Enabled {enabled} of {len(queryset)} schedules.")


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


JOB_FIELDS: list[Any] = [
    "title",
    "kind",
    "origin",
    "status",
    "site",
    "schedule",
    "occurrence_at",
    "seq",
    "parent",
    "asset",
    "checklist_version",
    "assignee_person",
    "assignee_team",
    "priority",
    "scan_type",
    "plan_at",
    "duration_minutes",
    "expires_at",
    "started_at",
    "ended_at",
    "performed_by",
    "alert",
    "deviation",
    "remarks",
    "miss_pending",
]


JOB_STOP_FIELDS: list[Any] = ["seq", "title", "site", "status", "plan_at", "expires_at", "started_at", "ended_at"]
REMINDER_FIELDS: list[Any] = ["job", "offset_minutes", "remind_at", "status", "sent_at", "recipients", "error"]


class JobStopInline(_ReadOnlyInline):
    model = Job
    fk_name = "parent"
    fields = readonly_fields = JOB_STOP_FIELDS
    verbose_name_plural = "stops"


@admin.register(Job)
class JobAdmin(_ReadOnlyAdmin):
    """Jobs of the signed-in person's sites, read-only: they change as they are worked."""

    list_display = ["title", "kind", "status", "site", "plan_at", "expires_at", "assignee_person", "assignee_team"]
    list_filter = ["status", "kind", "origin", "priority"]
    search_fields = ["title"]
    list_select_related = ["site", "assignee_person", "assignee_team"]
    inlines = [JobStopInline]
    fields = readonly_fields = JOB_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Job]:
        return selectors.jobs_for(request.user)


@admin.register(Reminder)
class ReminderAdmin(_ReadOnlyAdmin):
    """Maintenance reminders and what became of them, read-only."""

    list_display = ["job", "offset_minutes", "remind_at", "status", "sent_at", "recipients", "error"]
    list_filter = ["status"]
    list_select_related = ["job"]
    fields = readonly_fields = REMINDER_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Reminder]:
        return Reminder.objects.filter(job__in=selectors.jobs_for(request.user).values("pk"))
