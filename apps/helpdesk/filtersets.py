"""The filtersets of tickets, escalation rules and SLA policies, shared by REST and GraphQL."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from apps.core.filters import DateTimeFilter, IdFilter, IntegerFilter

from .models import EscalationRule, Priority, SlaPolicy, Status, Ticket


class TicketFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, help_text="One or more statuses.")
    site = IdFilter(field_name="site_id")
    category = IdFilter(field_name="category_id")
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, help_text="One or more priorities.")
    source = django_filters.ChoiceFilter(choices=Ticket.Source.choices)
    assignee_person = IdFilter(field_name="assignee_person_id")
    assignee_team = IdFilter(field_name="assignee_team_id")
    raised_by = IdFilter(field_name="raised_by_id")
    escalation_level = IntegerFilter()
    created_from = DateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_to = DateTimeFilter(field_name="created_at", lookup_expr="lt", help_text="Created before (ISO 8601).")
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
    category = IdFilter(field_name="category_id")
    default = django_filters.BooleanFilter(field_name="category", lookup_expr="isnull", help_text="The default matrix.")
    level = IntegerFilter()
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = EscalationRule
        fields = ["category", "default", "level", "is_active"]


class SlaPolicyFilterSet(django_filters.FilterSet):
    category = IdFilter(field_name="category_id")
    default = django_filters.BooleanFilter(field_name="category", lookup_expr="isnull", help_text="Default policies.")
    priority = django_filters.ChoiceFilter(choices=Priority.choices)

    class Meta:
        model = SlaPolicy
        fields = ["category", "default", "priority"]
