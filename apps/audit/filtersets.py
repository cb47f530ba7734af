"""The filterset of the change log, shared by REST and GraphQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from apps.core import tenancy
from apps.core.context import Door

from .capture import logged_models
from .models import Action, ChangeLog

#: Ids are bigint: anything larger is refused as invalid, never sent to the database.
MAX_ID = 2**63 - 1
#: The times PostgreSQL stores; a bound outside (or one that cannot be put in UTC) is invalid.
EARLIEST, LATEST = datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC)


def type_choices() -> list[tuple[str, str]]:
    """``app.model`` of every logged model (read when the form is built: apps are loaded)."""
    return [(model._meta.label_lower, str(model._meta.verbose_name)) for model in logged_models()]


class UtcDateTimeField(forms.DateTimeField):
    """An ISO 8601 date-time, converted to UTC here, so an offset PostgreSQL cannot take
    (-17:17) or a year at the edge of the range is a validation error, not a database one."""

    def to_python(self, value: Any) -> datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            moment = moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        except (OverflowError, ValueError) as exc:
            raise forms.ValidationError("The time is out of range.", code="invalid") from exc
        if not EARLIEST <= moment <= LATEST:
            raise forms.ValidationError("The time is out of range.", code="invalid")
        return moment


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


def _id_filter(field_name: str, help_text: str) -> django_filters.NumberFilter:
    return django_filters.NumberFilter(field_name=field_name, min_value=1, max_value=MAX_ID, help_text=help_text)


class ChangeLogFilterSet(django_filters.FilterSet):
    object_type = django_filters.ChoiceFilter(
        choices=type_choices, method="filter_type", help_text="The changed object's type, as app.model (people.person)."
    )
    object_id = _id_filter("object_id", "The changed object's id (with object_type).")
    related_type = django_filters.ChoiceFilter(
        choices=type_choices, method="filter_type", help_text="The related object's type, as app.model."
    )
    related_id = _id_filter("related_id", "The related object's id (with related_type).")
    actor = _id_filter("actor_id", "Id of the person who acted.")
    door = django_filters.MultipleChoiceFilter(choices=Door.choices)
    action = django_filters.MultipleChoiceFilter(choices=Action.choices)
    request_id = django_filters.CharFilter(max_length=128, help_text="The correlation id of a request or task.")
    time_after = UtcDateTimeFilter(field_name="time", lookup_expr="gte")
    time_before = UtcDateTimeFilter(field_name="time", lookup_expr="lt")

    class Meta:
        model = ChangeLog
        fields = [
            "object_type",
            "object_id",
            "related_type",
            "related_id",
            "actor",
            "door",
            "action",
            "request_id",
            "time_after",
            "time_before",
        ]

    def filter_type(self, queryset: QuerySet[ChangeLog], name: str, value: str) -> QuerySet[ChangeLog]:
        app_label, _, model = value.partition(".")
        content_type = ContentType.objects.db_manager(tenancy.db_alias()).get_by_natural_key(app_label, model)
        return queryset.filter(**{f"{name}_id": content_type.pk})
