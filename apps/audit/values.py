"""What the change log keeps of a row: which fields, and each value as JSON-safe text.

Values are compared in full (``normalize``) and stored shortened (``render``), so a long
text or a large geofence changed near its end still counts as a change, while the entry
stays small. Secrets are compared but never stored: a field whose name holds one of
``SECRET_WORDS`` (``password``, ``token_hash``, ``secret``...) or that its model lists
in ``changelog_masked`` is rendered as ``MASK`` (empty values stay empty, so "set" and
"cleared" still read as such), never as its value or a hash of it.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID

from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.fields.files import FieldFile

MASK = "********"
SECRET_WORDS = frozenset({"password", "secret", "token", "key", "hash", "credentials"})
#: Columns every tenant-owned row has and whose changes say nothing (the entry itself
#: records who and when; ``version`` moves on every write).
BOOKKEEPING = frozenset({"id", "tenant", "uuid", "created_at", "modified_at", "created_by", "modified_by", "version"})
#: Longest text kept of one value, and longest JSON kept of a list, object or geometry.
MAX_TEXT = 500
MAX_JSON = 2000
ELLIPSIS = "…"


@cache
def tracked_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    """The concrete fields of ``model`` whose changes are logged, in declaration order."""
    ignored = BOOKKEEPING | set(getattr(model, "changelog_ignored", ()))
    return tuple(field for field in model._meta.concrete_fields if field.name not in ignored)


def is_masked(model: type[models.Model], field: models.Field) -> bool:
    """Masked by name (a word of it is a secret word) or by the model's ``changelog_masked``;
    a model's ``changelog_unmasked`` names fields the rule would hide wrongly (a dedupe key)."""
    if field.name in getattr(model, "changelog_unmasked", ()):
        return False
    words = set(field.name.lower().split("_"))
    return bool(words & SECRET_WORDS) or field.name in getattr(model, "changelog_masked", ())


def _clean_text(value: str) -> str:
    # PostgreSQL's jsonb refuses NUL, and a lone surrogate cannot be encoded at all.
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def normalize(value: Any) -> Any:
    """``value`` as JSON-safe data, in full: the form two values are compared in."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return _clean_text(str(value))
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo is not None else value).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize()) if value.is_finite() else str(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, GEOSGeometry):
        return value.wkt
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, list | tuple | set | frozenset):
        return [normalize(item) for item in value]
    if isinstance(value, dict):
        return {_clean_text(str(key)): normalize(item) for key, item in value.items()}
    return _clean_text(str(value))


def shorten(value: Any) -> Any:
    """A normalized value cut to size for storage: long texts end in "…", and a list or
    object too large becomes its JSON text, cut the same way."""
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + ELLIPSIS
    if isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        return value if len(text) <= MAX_JSON else text[: MAX_JSON - 1] + ELLIPSIS
    return value


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def render(model: type[models.Model], field: models.Field, normalized: Any) -> Any:
    """The stored form of a normalized value of ``field``: masked, or shortened."""
    if is_masked(model, field):
        return normalized if is_empty(normalized) else MASK
    return shorten(normalized)


def current(instance: models.Model, field: models.Field) -> Any:
    """The normalized value ``instance`` holds for ``field`` (a foreign key as its id).

    Read through ``to_python`` so a value a service set as text (a date, a number) compares
    equal to what the database returns for it.
    """
    value = getattr(instance, field.attname)
    if isinstance(value, str) and not isinstance(field, models.CharField | models.TextField):
        try:
            value = field.to_python(value)
        except (ValidationError, TypeError, ValueError):
            pass
    return normalize(value)
