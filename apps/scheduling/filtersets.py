"""The filtersets of schedules and jobs, shared by REST and GraphQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field

from apps.core.filters import IdFilter, check_bounds

from .models import Job, Kind, Schedule


class DateOrDateTimeField(forms.Field):
    """An ISO 8601 date-time (naive: UTC) or a date, parsed to an aware datetime or a date,
    within the supported range (``apps.core.bounds``)."""

    default_error_messages = {"invalid": "An ISO 8601 date (2026-03-04) or date-time (2026-03-04T06:00:00Z)."}

    def to_python(self, value: Any) -> datetime | date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime | date):
            return value
        text = str(value).strip()
        try:
            # A date first: Python reads "2026-03-04" as a date-time at midnight too.
            day = parse_date(text)
            moment = None if day is not None else parse_datetime(text)
        except ValueError:
            day = moment = None
        if day is not None:
            return check_bounds(day)
        if moment is not None:
            return check_bounds(moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC))
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


@extend_schema_field({"oneOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]})
class PlanBoundFilter(django_filters.Filter):
    """A bound on ``plan_at``. A date means a UTC day: ``plan_after`` from its start,
    ``plan_before`` up to its end (the day included)."""

    field_class = DateOrDateTimeField

    def __init__(self, *args: Any, upper: bool = False, **kwargs: Any) -> None:
        self.upper = upper
        super().__init__(*args, field_name="plan_at", lookup_expr="lt" if upper else "gte", **kwargs)

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value is None:
            return qs
        if not isinstance(value, datetime):
            value = datetime.combine(value + timedelta(days=1) if self.upper else value, time.min, tzinfo=UTC)
        return qs.filter(**{f"plan_at__{self.lookup_expr}": value})


class ScheduleFilterSet(django_filters.FilterSet):
    site = IdFilter(field_name="site_id")
    site_group = IdFilter(field_name="site_group_id")
    kind = django_filters.MultipleChoiceFilter(choices=Kind.choices, help_text="Repeat for several.")
    is_active = django_filters.BooleanFilter()
    assignee_person = IdFilter(field_name="assignee_person_id")
    assignee_team = IdFilter(field_name="assignee_team_id")
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Name contains (any case).")

    class Meta:
        model = Schedule
        fields = ["site", "site_group", "kind", "is_active", "assignee_person", "assignee_team", "q"]


class JobFilterSet(django_filters.FilterSet):
    site = IdFilter(field_name="site_id")
    status = django_filters.MultipleChoiceFilter(choices=Job.Status.choices, help_text="Repeat for several.")
    kind = django_filters.MultipleChoiceFilter(choices=Job.Kind.choices, help_text="Repeat for several.")
    origin = django_filters.MultipleChoiceFilter(choices=Job.Origin.choices, help_text="Repeat for several.")
    assignee = IdFilter(field_name="assignee_person_id", help_text="Id of the assigned person.")
    team = IdFilter(field_name="assignee_team_id", help_text="Id of the assigned team.")
    schedule = IdFilter(field_name="schedule_id")
    parent = IdFilter(field_name="parent_id", help_text="The stops of this tour.")
    plan_after = PlanBoundFilter(
        help_text="Planned at or after: an ISO 8601 date-time, or a date (from its start, UTC)."
    )
    plan_before = PlanBoundFilter(
        upper=True, help_text="Planned before: an ISO 8601 date-time, or a date (that day included, UTC)."
    )
    top_level = django_filters.BooleanFilter(
        field_name="parent", lookup_expr="isnull", help_text="true: tasks and tours only; false: tour stops only."
    )

    class Meta:
        model = Job
        fields = [
            "site",
            "status",
            "kind",
            "origin",
            "assignee",
            "team",
            "schedule",
            "parent",
            "plan_after",
            "plan_before",
            "top_level",
        ]
