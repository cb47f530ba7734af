"""Reading the change log back in tests: entries of one tenant, in the order they were written."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from apps.audit.models import ChangeLog
from apps.core.tenancy import tenant_context

#: A public address literal: the webhook checks accept it without resolving a name, and
#: nothing in these tests delivers to it.
HOOK_URL = "https://8.8.8.8/hooks/erp"


def entries(tenant: Any, model: type[models.Model] | None = None, **filters: Any) -> list[ChangeLog]:
    """The tenant's entries (of ``model``'s rows, if given), oldest first."""
    with tenant_context(tenant):
        rows = ChangeLog.objects.filter(**filters)
        if model is not None:
            rows = rows.filter(object_type=ContentType.objects.get_for_model(model))
        return list(rows.order_by("time", "id"))


def related_to(tenant: Any, obj: models.Model) -> list[ChangeLog]:
    """Entries that name ``obj`` as their related object, oldest first."""
    return entries(tenant, related_type=ContentType.objects.get_for_model(obj), related_id=obj.pk)


def who(entry: ChangeLog) -> tuple[str, int | None, str, str]:
    """(door, actor id, actor label, request id) of an entry."""
    return entry.door, entry.actor_id, entry.actor_label, entry.request_id


def summary(entry: ChangeLog) -> tuple[str, str, int | None, dict[str, Any]]:
    """(action, object type, object id, changes) of an entry."""
    content_type = ContentType.objects.get_for_id(entry.object_type_id)
    return entry.action, f"{content_type.app_label}.{content_type.model}", entry.object_id, entry.changes
