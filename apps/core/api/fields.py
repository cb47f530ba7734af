"""Serializer fields shared by every app's REST API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.fields import empty

from apps.core.bounds import date_error
from apps.core.geo import GeometryError, parse_geojson, to_geojson

POINT_SCHEMA = {
    "type": "object",
    "description": 'GeoJSON Point in WGS 84: {"type": "Point", "coordinates": [longitude, latitude]}',
    "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
    },
    "required": ["type", "coordinates"],
}
POLYGON_SCHEMA = {
    "type": "object",
    "description": "GeoJSON Polygon in WGS 84; rings are closed lists of [longitude, latitude].",
    "properties": {
        "type": {"type": "string", "enum": ["Polygon"]},
        "coordinates": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
        },
    },
    "required": ["type", "coordinates"],
}


class _GeoJSONField(serializers.Field):
    geom_type = ""

    def to_representation(self, value: Any) -> Any:
        return to_geojson(value)

    def to_internal_value(self, data: Any) -> Any:
        try:
            return parse_geojson(data, self.geom_type)
        except GeometryError as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from exc


@extend_schema_field(POINT_SCHEMA)
class PointField(_GeoJSONField):
    geom_type = "Point"


@extend_schema_field(POLYGON_SCHEMA)
class PolygonField(_GeoJSONField):
    geom_type = "Polygon"


class DateField(serializers.DateField):
    """A date from 1900-01-01 to 9000-12-31 (``apps.core.bounds``): every date a client
    writes goes through this or ``DateTimeField``, refused with ``value_out_of_range``."""

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        error = date_error(value)
        if error is not None:
            raise serializers.ValidationError(error.message, code=error.code)
        return value


class DateTimeField(serializers.DateTimeField):
    """A date-time in the supported years with a UTC offset PostgreSQL can store (±15:59).

    Checked as sent, before DRF moves it to UTC (which overflows for 0001-01-01+05:30)."""

    def enforce_timezone(self, value: Any) -> Any:
        error = date_error(value)
        if error is not None:
            raise serializers.ValidationError(error.message, code=error.code)
        return super().enforce_timezone(value)


# An item of a list that replaces what is stored (a team's members, a tour's stops, a
# checklist's sections) is sent whole, in a PATCH too. DRF makes every field of a partial
# update optional, nested items included, so a PATCH with ``{"members": [{}]}`` passed an
# empty item on to the service (a 500), where the same body in a POST was refused. Here
# the item's required fields stay required and its defaults apply, whatever the parent's
# ``partial``. (The docstring is the API schema's description of each such item.)
class WholeItemSerializer(serializers.Serializer):
    """One item of a list that replaces the stored one: sent whole, in a PATCH too."""

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if not getattr(self.root, "partial", False):
            return value
        missing: dict[str, list[Any]] = {}
        for name, field in self.fields.items():
            if field.read_only or field.source_attrs[0] in value:
                continue
            if field.required:
                missing[name] = [ErrorDetail(str(field.error_messages["required"]), code="required")]
            elif field.default is not empty:
                value[field.source_attrs[0]] = field.default() if callable(field.default) else field.default
        if missing:
            raise serializers.ValidationError(missing)
        return value
