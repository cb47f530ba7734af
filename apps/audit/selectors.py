"""Reads of the change log: the tenant's entries (tenant admins only) and one object's history.

Every query leads with the tenant (the manager adds it) and is served by an index:
``audit_changelog_recent`` for the list newest first, ``audit_changelog_object`` and
``audit_changelog_related`` for an object's history.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q, QuerySet

from apps.core import tenancy
from apps.core.errors import NotFound, PermissionDenied

from .models import ChangeLog

READ_CAPABILITY = "admin.manage"
#: Entries an object's history shows at most (the newest).
HISTORY_LIMIT = 100


def type_label(type_id: int | None) -> str | None:
    """``app.model`` of a content type of the tenant's database (cached: no query after the first)."""
    if type_id is None:
        return None
    content_type = ContentType.objects.db_manager(tenancy.db_alias()).get_for_id(type_id)
    return f"{content_type.app_label}.{content_type.model}"


def may_read(person: Any) -> bool:
    return person is not None and person.has_capability(READ_CAPABILITY)


def entries_for(person: Any) -> QuerySet[ChangeLog]:
    """The tenant's entries, newest first, if ``person`` may read them (else ``PermissionDenied``)."""
    if not may_read(person):
        raise PermissionDenied()
    return ChangeLog.objects.order_by("-time", "-id")


def get_entry_for(person: Any, entry_id: Any) -> ChangeLog:
    text = str(entry_id)
    pk = int(text) if text.isdigit() and len(text) < 19 else None
    entry = entries_for(person).filter(pk=pk).first() if pk is not None else None
    if entry is None:
        raise NotFound()
    return entry


def history_of(obj: models.Model) -> QuerySet[ChangeLog]:
    """The entries of ``obj`` and of the rows that name it as their related object (a
    person's role assignments, a schedule's stops and jobs), newest first.

    No permission check: the callers (console, admin) check ``may_read`` first.
    """
    type_id = ContentType.objects.db_manager(tenancy.db_alias()).get_for_model(obj).pk
    mine = Q(object_type_id=type_id, object_id=obj.pk) | Q(related_type_id=type_id, related_id=obj.pk)
    return ChangeLog.objects.filter(mine).order_by("-time", "-id")


def history(obj: models.Model, limit: int = HISTORY_LIMIT) -> list[ChangeLog]:
    """The newest ``limit`` entries of ``history_of(obj)``."""
    return list(history_of(obj)[:limit])
