"""The filterset of the change log, shared by REST and GraphQL."""

from __future__ import annotations

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from apps.core import tenancy
from apps.core.context import Door
from apps.core.filters import DateTimeFilter, IdFilter

from .capture import logged_models
from .models import Action, ChangeLog


def type_choices() -> list[tuple[str, str]]:
    """``app.model`` of every logged model (read when the form is built: apps are loaded)."""
    return [(model._meta.label_lower, str(model._meta.verbose_name)) for model in logged_models()]


class ChangeLogFilterSet(django_filters.FilterSet):
    object_type = django_filters.ChoiceFilter(
        choices=type_choices, method="filter_type", help_text="The changed object's type, as app.model (people.person)."
    )
    object_id = IdFilter(field_name="object_id", help_text="The changed object's id (with object_type).")
    related_type = django_filters.ChoiceFilter(
        choices=type_choices, method="filter_type", help_text="The related object's type, as app.model."
    )
    related_id = IdFilter(field_name="related_id", help_text="The related object's id (with related_type).")
    actor = IdFilter(field_name="actor_id", help_text="Id of the person who acted.")
    door = django_filters.MultipleChoiceFilter(choices=Door.choices)
    action = django_filters.MultipleChoiceFilter(choices=Action.choices)
    request_id = django_filters.CharFilter(max_length=128, help_text="The correlation id of a request or task.")
    time_after = DateTimeFilter(field_name="time", lookup_expr="gte")
    time_before = DateTimeFilter(field_name="time", lookup_expr="lt")

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
