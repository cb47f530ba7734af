"""GeoJSON in and out: the one place geometries from clients are parsed and validated.

REST serializers and GraphQL inputs both call ``parse_geojson``; a bad geometry gets a
``GeometryError`` with a stable code, never a GEOS exception or a 500.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.gis.geos import GEOSException, GEOSGeometry, Point, Polygon

from apps.core import cleaning
from apps.core.errors import SPECIFIC_FIELD_CODES, DomainError

SRID = 4326
MAX_POLYGON_POINTS = 2000
GEOMETRY_CODES = frozenset(
    {
        "invalid_coordinates",
        "longitude_out_of_range",
        "latitude_out_of_range",
        "invalid_srid",
        "invalid_geojson",
        "wrong_geometry_type",
        "invalid_polygon",
        "polygon_too_large",
        "ring_not_closed",
        "invalid_geometry",
    }
)
SPECIFIC_FIELD_CODES.update(GEOMETRY_CODES)


class GeometryError(DomainError):
    code = "invalid_geometry"
    message = "The geometry is not valid."


def _coordinate(pair: Any) -> tuple[float, float]:
    if not isinstance(pair, list | tuple) or len(pair) not in (2, 3):
        raise GeometryError("A position is [longitude, latitude].", code="invalid_coordinates")
    try:
        lon, lat = float(pair[0]), float(pair[1])
    except (TypeError, ValueError) as exc:
        raise GeometryError("Coordinates must be numbers.", code="invalid_coordinates") from exc
    if not -180 <= lon <= 180:
        raise GeometryError(f"Longitude {lon} is outside -180..180.", code="longitude_out_of_range")
    if not -90 <= lat <= 90:
        raise GeometryError(f"Latitude {lat} is outside -90..90.", code="latitude_out_of_range")
    return lon, lat


def _check_crs(value: dict[str, Any]) -> None:
    crs = value.get("crs")
    if crs is None:
        return
    name = str((crs.get("properties") or {}).get("name", "")) if isinstance(crs, dict) else ""
    if name not in {"EPSG:4326", "urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:OGC:1.3:CRS84"}:
        raise GeometryError("Only WGS 84 (EPSG:4326) coordinates are accepted.", code="invalid_srid")


def parse_geojson(value: Any, geom_type: str) -> Point | Polygon:
    """Parse a GeoJSON ``Point`` or ``Polygon`` into a GEOS geometry with SRID 4326."""
    if isinstance(value, str):
        # GeoJSON typed into a spreadsheet cell or a form field: the project's decoder,
        # so a fence nested thousands of levels deep is refused before it is parsed.
        try:
            value = cleaning.loads(value)
        except cleaning.MalformedJSON as exc:
            raise GeometryError("The geometry is not valid JSON.", code="invalid_geojson") from exc
        except DomainError as exc:
            raise GeometryError(exc.message, code=exc.code, details=exc.details) from exc
    if not isinstance(value, dict) or "type" not in value or "coordinates" not in value:
        raise GeometryError('Send GeoJSON: {"type": ..., "coordinates": [...]}.', code="invalid_geojson")
    if value["type"] != geom_type:
        raise GeometryError(f"Expected a {geom_type}, got {value['type']!r}.", code="wrong_geometry_type")
    _check_crs(value)
    coordinates = value["coordinates"]
    try:
        if geom_type == "Point":
            return Point(*_coordinate(coordinates), srid=SRID)
        if not isinstance(coordinates, list) or not coordinates:
            raise GeometryError("A polygon has at least one ring.", code="invalid_polygon")
        rings = []
        for ring in coordinates:
            if not isinstance(ring, list) or len(ring) < 4:
                raise GeometryError("A polygon ring has at least four positions.", code="invalid_polygon")
            if len(ring) > MAX_POLYGON_POINTS:
                raise GeometryError(f"A ring has at most {MAX_POLYGON_POINTS} positions.", code="polygon_too_large")
            points = [_coordinate(pair) for pair in ring]
            if points[0] != points[-1]:
                raise GeometryError("A polygon ring must end where it starts.", code="ring_not_closed")
            rings.append(points)
        polygon = Polygon(*rings, srid=SRID)
    except GEOSException as exc:
        raise GeometryError("The geometry is not valid.", code="invalid_geometry") from exc
    if not polygon.valid:
        raise GeometryError(
            f"The polygon is not valid: {polygon.valid_reason}.",
            code="invalid_polygon",
            details={"reason": polygon.valid_reason},
        )
    return polygon


def to_geojson(geometry: GEOSGeometry | None) -> dict[str, Any] | None:
    if geometry is None:
        return None
    return {"type": geometry.geom_type, "coordinates": json.loads(geometry.geojson)["coordinates"]}
