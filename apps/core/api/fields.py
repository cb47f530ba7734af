"""Serializer fields shared by every app's REST API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

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
