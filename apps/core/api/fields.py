"""Serializer fields shared by every app's REST API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

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
