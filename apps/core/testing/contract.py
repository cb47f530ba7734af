"""The serializer-to-service contract: every writable field a viewset's create or update
offers must reach its service and be stored.

A serializer that offers a field its service does not take fails only when a client
sends it (``POST /api/v1/people/`` with ``is_active`` was a TypeError, a 500). The test
in ``apps/core/tests/test_serializer_contract.py`` therefore sends, for every ``create``
and ``partial_update`` of every viewset under ``/api/v1/``, each writable field of the
request body in turn and reads the object back.

This module holds what is generic: discovery (from the generated OpenAPI schema, whose
request bodies list exactly the writable fields, ``writeOnly`` marking those never read
back), plain valid values for plain fields, and the comparison of what was sent with
what is read. Fields that need a specific value (ids, geometries, lists of objects) get
it from the test's table; one without an entry fails, saying so.
"""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.urls import resolve
from django.utils.dateparse import parse_datetime

from apps.core.testing import hostile


@dataclass(frozen=True)
class WriteOperation:
    operation: hostile.Operation
    action: str  # "create" or "partial_update"

    @property
    def resource(self) -> str:
        """The route's collection, ``people`` for ``/api/v1/people/{id}/``."""
        return self.operation.path.removeprefix("/api/v1/").split("/")[0]

    @property
    def list_path(self) -> str:
        return f"/api/v1/{self.resource}/"

    @property
    def model(self) -> Any:
        return hostile.view_class(self.operation).queryset.model

    def fields(self) -> dict[str, dict[str, Any]]:
        return self.operation.body_properties()

    def __str__(self) -> str:
        return f"{self.action} {self.resource}"


def write_operations() -> list[WriteOperation]:
    """The ``create`` (POST on a list) and ``partial_update`` (PATCH on an object) of every
    viewset routed under ``/api/v1/``."""
    found = []
    for operation in hostile.rest_operations():
        if operation.method not in {"post", "patch"}:
            continue
        match = resolve(re.sub(r"{\w+}", "1", operation.path))
        action = (getattr(match.func, "actions", None) or {}).get(operation.method)
        if action in {"create", "partial_update"}:
            found.append(WriteOperation(operation, action))
    return found


def resolved(schema: dict[str, Any]) -> dict[str, Any]:
    """A property's schema with ``$ref`` and single ``allOf``/``oneOf`` wrappers followed."""
    components = hostile.openapi_schema()["components"]["schemas"]
    while True:
        if "$ref" in schema:
            schema = {
                **components[schema["$ref"].rsplit("/", 1)[-1]],
                **{k: v for k, v in schema.items() if k != "$ref"},
            }
            continue
        for wrapper in ("allOf", "oneOf"):
            options = [option for option in schema.get(wrapper, []) if option.get("type") != "null"]
            if wrapper == "oneOf" and len(options) > 1:
                # An optional formatted text: a value of its format, or blank (``maxLength: 0``).
                options = [option for option in options if option.get("maxLength") != 0]
            if len(options) == 1:
                rest = {k: v for k, v in schema.items() if k != wrapper}
                schema = {**options[0], **rest}
                break
        else:
            return schema


class NoGenericValue(LookupError):
    """The field needs a specific valid value: an entry in the test's table."""


def generic_value(schema: dict[str, Any], current: Any = None) -> list[Any]:
    """Plain valid values for a plain field, different from ``current`` (what is stored now,
    or None), so that storing them is observable; a boolean gets both values on create."""
    schema = resolved(schema)
    if "enum" in schema:
        choices = [choice for choice in schema["enum"] if choice not in (None, "", current, schema.get("default"))]
        if choices:
            return [choices[-1]]
        raise NoGenericValue("an enum with no second value")
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "boolean":
        return [not current] if current is not None else [True, False]
    if kind == "string":
        token = uuid.uuid4().hex[:8]
        by_format = {
            "email": f"contract-{token}@example.com",
            "date": "2031-02-03",
            "date-time": "2031-02-03T04:05:06Z",
            "time": "07:08:00",
            "uuid": str(uuid.uuid4()),
        }
        if fmt in by_format:
            return [by_format[fmt]]
        text = f"v{token}"[: schema.get("maxLength", 9)]
        if fmt is None and re.fullmatch(schema.get("pattern", ".*").strip("^$"), text):
            return [text]
    if kind == "integer" and "minimum" in schema and "maximum" in schema:
        low, high = int(schema["minimum"]), int(schema["maximum"])
        value = min(high, low + 7)
        return [value if value != current else min(high, low + 8)]
    raise NoGenericValue(f"type {kind!r} format {fmt!r}")


def matches(sent: Any, stored: Any) -> bool:
    """Whether what was read back is what was sent: objects by the keys sent, lists item by
    item, numbers by value (``"1.5"`` and ``1.500000``; floats to 1e-9), date-times by instant."""
    if isinstance(sent, dict):
        return isinstance(stored, dict) and all(
            key in stored and matches(value, stored[key]) for key, value in sent.items()
        )
    if isinstance(sent, list):
        return isinstance(stored, list) and len(sent) == len(stored) and all(map(matches, sent, stored))
    if isinstance(sent, bool) or isinstance(stored, bool):
        return sent is stored
    if isinstance(sent, float) or isinstance(stored, float):
        # Coordinates come back through PostGIS: equal to the micro-degree, not to the last bit.
        return isinstance(sent, int | float) and isinstance(stored, int | float) and abs(sent - stored) < 1e-9
    if isinstance(sent, int | Decimal) or isinstance(stored, int | Decimal):
        try:
            return Decimal(str(sent)) == Decimal(str(stored))
        except InvalidOperation:
            return False
    if isinstance(sent, str) and isinstance(stored, str) and "T" in sent:
        moments = parse_datetime(sent), parse_datetime(stored)
        if all(isinstance(moment, datetime.datetime) for moment in moments):
            return moments[0] == moments[1]
    return bool(sent == stored)
