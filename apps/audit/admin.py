"""The change log in the Django admin: a read-only list of the tenant's entries.

Each object's "History" button shows its own entries (``admin_history``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from . import selectors
from .models import ChangeLog

FIELDS: list[Any] = [
    "time",
    "actor",
    "actor_label",
    "door",
    "request_id",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "related_type",
    "related_id",
    "changes",
    "count",
    "object_ids",
]


@admin.register(ChangeLog)
class ChangeLogAdmin(admin.ModelAdmin):
    """A record to read: nothing is added, changed or deleted here."""

    list_display = ["time", "actor_label", "door", "action", "object_type", "object_repr", "count"]
    list_filter = ["door", "action"]
    fields = FIELDS
    readonly_fields = FIELDS
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.entries_for(request.user).select_related("object_type")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return selectors.may_read(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return selectors.may_read(request.user)
