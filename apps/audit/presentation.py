"""How an entry reads on a page (console and admin): one line per changed field."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType

from apps.core import tenancy

from .models import ChangeLog


@dataclass(frozen=True)
class Row:
    entry: ChangeLog
    what: str
    changes: list[tuple[str, str, str]]


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _what(entry: ChangeLog) -> str:
    content_type = ContentType.objects.db_manager(tenancy.db_alias()).get_for_id(entry.object_type_id)  # cached
    model = content_type.model_class()
    label = str(model._meta.verbose_name) if model is not None else content_type.model
    if entry.is_bulk:
        return f"{entry.get_action_display()}: {entry.count} × {label}. {entry.object_repr}"
    return f"{entry.get_action_display()} {label} “{entry.object_repr}”"


def rows_of(entries: list[ChangeLog]) -> list[Row]:
    """Entries ready for a template: what happened, and (field, before, after) per change."""
    rows = []
    for entry in entries:
        changes = [
            (field, _text(pair[0]), _text(pair[1]))
            for field, pair in sorted(entry.changes.items())
            if isinstance(pair, list) and len(pair) == 2
        ]
        rows.append(Row(entry=entry, what=_what(entry), changes=changes))
    return rows
