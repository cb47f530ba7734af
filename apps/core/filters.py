"""Filters shared by every app's filterset: ids and dates bounded as ``apps.core.bounds`` says.

django-filter's ``NumberFilter`` takes any decimal (``1.5``, ``1e40``) for an id and
``IsoDateTimeFilter`` any offset Python accepts; PostgreSQL then refused the value (a
500), or the query silently matched nothing. These answer 400 instead, in REST
(``invalid`` with the field errors; ``value_out_of_range`` for a date outside the
supported years) and in GraphQL (``invalid_filter``), because both use the filtersets.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from apps.core.bounds import BIGINT_MAX, date_error


class IdField(forms.IntegerField):
    """A row id: a whole number from 1 to the largest ``bigint``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """Rows whose ``field_name`` is this id."""

    field_class = IdField


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (a level, a count) within PostgreSQL's ``integer``."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", -(2**31))
        kwargs.setdefault("max_value", 2**31 - 1)
        super().__init__(*args, **kwargs)


def check_bounds(value: Any) -> Any:
    """A parsed date or date-time, or ``forms.ValidationError`` (``value_out_of_range``) outside
    the supported range; for form fields, which report errors per field."""
    error = date_error(value) if value is not None else None
    if error is not None:
        raise forms.ValidationError(error.message, code=error.code)
    return value


class BoundedDateTimeField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value: Any) -> Any:
        return check_bounds(super().to_python(value))


class BoundedDateField(forms.DateField):
    def to_python(self, value: Any) -> Any:
        return check_bounds(super().to_python(value))


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time in the supported years, with an offset within ±15:59."""

    field_class = BoundedDateTimeField


class DateFilter(django_filters.DateFilter):
    """A date in the supported years."""

    field_class = BoundedDateField
