"""The one filterset per model, shared by the REST lists and the GraphQL list fields."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from apps.core.filters import DateTimeFilter, IdFilter

from .models import Alert, MaintenanceWindow


class AlertFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Alert.Status.choices, help_text="Repeat for several.")
    open = django_filters.BooleanFilter(method="filter_open", help_text="Only open (true) or only resolved (false).")
    site = IdFilter(field_name="site_id")
    type = django_filters.MultipleChoiceFilter(choices=Alert.Type.choices, help_text="Repeat for several.")
    severity = django_filters.MultipleChoiceFilter(choices=Alert.Severity.choices, help_text="Repeat for several.")
    assigned_to = IdFilter(field_name="assigned_to_id")
    created_after = DateTimeFilter(
        field_name="first_seen_at", lookup_expr="gte", help_text="First raised at or after (ISO 8601)."
    )
    created_before = DateTimeFilter(
        field_name="first_seen_at", lookup_expr="lt", help_text="First raised before (ISO 8601)."
    )

    class Meta:
        model = Alert
        fields = ["status", "open", "site", "type", "severity", "assigned_to", "created_after", "created_before"]

    def filter_open(self, queryset: QuerySet[Alert], name: str, value: Any) -> QuerySet[Alert]:
        if value is None:
            return queryset
        if value:
            return queryset.filter(status__in=Alert.OPEN_STATUSES)
        return queryset.exclude(status__in=Alert.OPEN_STATUSES)


class MaintenanceWindowFilterSet(django_filters.FilterSet):
    site = IdFilter(field_name="site_id")
    active_at = DateTimeFilter(method="filter_active_at", help_text="In force at this moment.")
    ends_after = DateTimeFilter(field_name="ends_at", lookup_expr="gt")
    starts_before = DateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = MaintenanceWindow
        fields = ["site", "active_at", "ends_after", "starts_before"]

    def filter_active_at(self, queryset: QuerySet[MaintenanceWindow], name: str, value: Any) -> Any:
        return queryset.filter(starts_at__lte=value, ends_at__gt=value) if value is not None else queryset
