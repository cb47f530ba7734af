"""Django admin of the helpdesk: tickets read-only (they change through their workflow, in the
console and the API), the escalation matrix and SLA policies written through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from apps.core.admin import ServiceAdmin, ServiceForm
from apps.people.models import Person, Team
from apps.people.selectors import people_for
from apps.tenants.models import Lookup

from . import selectors, services
from .models import EscalationRule, SlaPolicy, Ticket, TicketComment, TicketEvent

EVENT_FIELDS: list[Any] = ["created_at", "kind", "field", "old_value", "new_value", "actor", "note"]
COMMENT_FIELDS: list[Any] = ["created_at", "author", "body"]
TICKET_FIELDS: list[Any] = [
    "number",
    "site",
    "title",
    "description",
    "category",
    "priority",
    "status",
    "source",
    "raised_by",
    "assignee_person",
    "assignee_team",
    "escalation_level",
    "level_since",
    "sla_due_at",
    "sla_breached_at",
    "resolved_at",
    "closed_at",
    "dedupe_key",
]


def _id(row: Any) -> int | None:
    return row.pk if row is not None else None


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TicketEventInline(_ReadOnlyInline):
    model = TicketEvent
    fields = readonly_fields = EVENT_FIELDS
    verbose_name_plural = "history"


class TicketCommentInline(_ReadOnlyInline):
    model = TicketComment
    fields = readonly_fields = COMMENT_FIELDS


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Tickets the signed-in staff member may see, read-only, with their history and comments."""

    list_display = ["number", "title", "site", "status", "priority", "escalation_level", "sla_due_at", "created_at"]
    list_filter = ["status", "priority", "source"]
    search_fields = ["number", "title"]
    list_select_related = ["site"]
    inlines = [TicketCommentInline, TicketEventInline]
    fields = readonly_fields = TICKET_FIELDS

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.tickets_for(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EscalationRuleForm(ServiceForm):
    # Querysets set per request in __init__: the people the editor may see.
    notify_people = forms.ModelMultipleChoiceField(queryset=Person.objects.none(), required=False)
    notify_teams = forms.ModelMultipleChoiceField(queryset=Team.objects.none(), required=False)
    error_fields = {"duplicate_rule": "level", "one_assignee": "assignee_person"}

    class Meta:
        model = EscalationRule
        fields = ["category", "level", "wait_minutes", "assignee_person", "assignee_team", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["notify_people"].queryset = people_for(self.actor).filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["notify_teams"].queryset = Team.objects.filter(is_active=True)  # type: ignore[attr-defined]
        if self.instance.pk is not None:
            recipients = list(self.instance.recipients.all())
            self.initial["notify_people"] = [row.person_id for row in recipients if row.person_id is not None]
            self.initial["notify_teams"] = [row.team_id for row in recipients if row.team_id is not None]

    def write(self, data: dict[str, Any]) -> EscalationRule:
        fields = {
            "category_id": _id(data.get("category")),
            "level": data["level"],
            "wait_minutes": data["wait_minutes"],
            "assignee_person_id": _id(data.get("assignee_person")),
            "assignee_team_id": _id(data.get("assignee_team")),
            "notify_people": [person.pk for person in data.get("notify_people") or []],
            "notify_teams": [team.pk for team in data.get("notify_teams") or []],
            "is_active": data["is_active"],
        }
        if self.instance.pk is None:
            return services.create_escalation_rule(self.actor, **fields)
        return services.update_escalation_rule(self.actor, self.instance, **fields)


def _category_field(db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> None:
    if db_field.name == "category":
        kwargs["queryset"] = Lookup.objects.filter(kind=Lookup.Kind.TICKET_CATEGORY)


@admin.register(EscalationRule)
class EscalationRuleAdmin(ServiceAdmin):
    """The escalation matrix; deleting a rule removes that level."""

    form = EscalationRuleForm
    delete_deactivates = False
    list_display = ["category", "level", "wait_minutes", "assignee_person", "assignee_team", "is_active"]
    list_filter = ["is_active", "level"]
    fields = [
        "category",
        "level",
        "wait_minutes",
        "assignee_person",
        "assignee_team",
        "notify_people",
        "notify_teams",
        "is_active",
    ]

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.escalation_rules()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        _category_field(db_field, request, kwargs)
        if db_field.name == "assignee_person":
            kwargs["queryset"] = people_for(request.user).filter(is_active=True)
        elif db_field.name == "assignee_team":
            kwargs["queryset"] = Team.objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def remove(self, request: HttpRequest, obj: EscalationRule) -> None:
        services.delete_escalation_rule(request.user, obj)


class SlaPolicyForm(ServiceForm):
    error_fields = {"duplicate_policy": "priority"}

    class Meta:
        model = SlaPolicy
        fields = ["category", "priority", "resolve_within_minutes"]

    def write(self, data: dict[str, Any]) -> SlaPolicy:
        fields = {
            "category_id": _id(data.get("category")),
            "priority": data["priority"],
            "resolve_within_minutes": data["resolve_within_minutes"],
        }
        if self.instance.pk is None:
            return services.create_sla_policy(self.actor, **fields)
        return services.update_sla_policy(self.actor, self.instance, **fields)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ServiceAdmin):
    """Time to resolve by category and priority; a policy without category is the default."""

    form = SlaPolicyForm
    delete_deactivates = False
    list_display = ["category", "priority", "resolve_within_minutes"]
    list_filter = ["priority"]
    fields = ["category", "priority", "resolve_within_minutes"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.sla_policies()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        _category_field(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def remove(self, request: HttpRequest, obj: SlaPolicy) -> None:
        services.delete_sla_policy(request.user, obj)
