"""Database router: a tenant's rows live in the database its ``db_alias`` names.

Tenant-owned models (and the admin's action log, which references people) follow the
tenant in context; everything else (tenants, sessions, Celery results and schedules,
content types) stays in ``default``. Every database gets
the full schema, so a tenant can move between them.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from . import tenancy
from .models import is_tenant_model

# Models that are not tenant-owned but point at people, so they must live beside them:
# the admin's action log references a person id, and ids repeat across databases.
FOLLOW_TENANT = frozenset({"admin.LogEntry"})


class TenantDatabaseRouter:
    def _route(self, model: type[models.Model], hints: dict[str, Any]) -> str | None:
        if not (is_tenant_model(model) or model._meta.label in FOLLOW_TENANT):
            return None
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db
        ctx = tenancy.current()
        if ctx is not None:
            return ctx.db_alias
        return None

    def db_for_read(self, model: type[models.Model], **hints: Any) -> str | None:
        return self._route(model, hints)

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str | None:
        return self._route(model, hints)

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool | None:
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return True
