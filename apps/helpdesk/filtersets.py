"""The filtersets of tickets, escalation rules and SLA policies, shared by REST and GraphQL."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from .models import EscalationRule, Priority, SlaPolicy, Status, Ticket


class TicketFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, help_text="One or more statuses.")
    site = django_filters.NumberFilter(field_name="site_id")
    category = django_filters.NumberFilter(field_name="category_id")
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, help_text="One or more priorities.")
    source = django_filters.ChoiceFilter(choices=Ticket.Source.choices)
    assignee_person = django_filters.NumberFilter(field_name="assignee_person_id")
    assignee_team = django_filters.NumberFilter(field_name="assignee_team_id")
    raised_by = django_filters.NumberFilter(field_name="raised_by_id")
    escalation_level = django_filters.NumberFilter()
    created_from = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_to = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Created before (ISO 8601)."
    )
    number = django_filters.CharFilter(method="filter_number", help_text="NORTH#12, or 12 for that number at any site.")
    sla_breached = django_filters.BooleanFilter(method="filter_sla_breached")

    class Meta:
        model = Ticket
        fields = [
            "status",
            "site",
            "category",
            "priority",
            "source",
            "assignee_person",
            "assignee_team",
            "raised_by",
            "escalation_level",
            "created_from",
            "created_to",
            "number",
            "sla_breached",
        ]

    def filter_number(self, queryset: QuerySet[Ticket], name: str, value: Any) -> QuerySet[Ticket]:
        value = str(value).strip()
        if value.isdigit():
            return queryset.filter(seq=int(value))
        return queryset.filter(number__iexact=value)

    def filter_sla_breached(self, queryset: QuerySet[Ticket], name: str, value: Any) -> QuerySet[Ticket]:
        return queryset.filter(~Q(sla_breached_at=None) if value else Q(sla_breached_at=None))


class EscalationRuleFilterSet(django_filters.FilterSet):
    category = django_filters.NumberFilter(field_name="category_id")
    default = django_filters.BooleanFilter(field_name="category", lookup_expr="isnull", help_text="The default matrix.")
    level = django_filters.NumberFilter()
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = EscalationRule
        fields = ["category", "default", "level", "is_active"]


class SlaPolicyFilterSet(django_filters.FilterSet):
    category = django_filters.NumberFilter(field_name="category_id")
    default = django_filters.BooleanFilter(field_name="category", lookup_expr="isnull", help_text="Default policies.")
    priority = django_filters.ChoiceFilter(choices=Priority.choices)

    class Meta:
        model = SlaPolicy
        fields = ["category", "default", "priority"]
