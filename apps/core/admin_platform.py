"""The platform/tenant boundary of the Django admin: which side a model is on, and who may use it.

Two kinds of people use the admin, and they never share a model:

- a **tenant admin** (a person whose roles grant ``admin.manage``) governs their tenant:
  tenant-owned models only (subclasses of ``TenantModel``), which the tenant in context
  scopes to their own rows;
- a **platform operator** (``Person.is_platform_operator``) governs the installation:
  every model that is not tenant-owned (tenants, Celery beat schedules, task results).
  An operator sees no tenant's rows in the admin: support work inside a tenant must be
  a deliberate feature, not a side effect of a flag.

The side is read from the model's class, never from a list of names, so a model
registered tomorrow is classified the day it is registered. A model that is not tenant-
owned but points at a tenant (a ``ForeignKey`` to ``tenants.Tenant``) holds one tenant's
data without the tenant scoping: it is on neither side, nobody is granted it, and the
system check ``core.E010`` refuses to start until it becomes a ``TenantModel``.

``Person.has_perm``, ``has_perms`` and ``has_module_perms`` answer through here; a
``ModelAdmin`` that overrides ``has_*_permission`` only narrows what these grant.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from django.apps import apps
from django.db import models

from .models import is_tenant_model

Side = Literal["tenant", "platform"]
TENANT: Side = "tenant"
PLATFORM: Side = "platform"

#: The actions of Django's default model permissions (``<app>.<action>_<model>``).
ACTIONS = frozenset({"view", "add", "change", "delete"})


def points_at_a_tenant(model: type[models.Model]) -> bool:
    """Whether ``model`` has a foreign key or one-to-one field to ``tenants.Tenant``."""
    tenant_model = apps.get_model("tenants", "Tenant")
    return any(field.is_relation and field.related_model is tenant_model for field in model._meta.fields)


def admin_side(model: type[models.Model]) -> Side | None:
    """``tenant`` for tenant-owned models, ``platform`` for models of no tenant, None when undecided."""
    if is_tenant_model(model):
        return TENANT
    if points_at_a_tenant(model):
        return None
    return PLATFORM


def person_side(person: Any) -> Side | None:
    """The side of the admin ``person`` works on, or None when they may not use the admin."""
    if not getattr(person, "is_active", False):
        return None
    if person.is_platform_operator:
        return PLATFORM  # operators stay on their side even if a role says admin.manage
    if person.has_capability("admin.manage"):
        return TENANT
    return None


def model_of_permission(perm: str) -> type[models.Model] | None:
    """The model a default permission (``app_label.<action>_<model_name>``) is about, else None."""
    app_label, _, codename = perm.partition(".")
    action, _, model_name = codename.partition("_")
    if action not in ACTIONS or not model_name:
        return None
    try:
        return apps.get_model(app_label, model_name)
    except LookupError:
        return None


def admin_permits(person: Any, perm: str) -> bool:
    """Whether ``person`` holds the default permission ``perm`` (custom permissions: never)."""
    side = person_side(person)
    model = model_of_permission(perm)
    return side is not None and model is not None and admin_side(model) == side


def admin_permits_all(person: Any, perms: Iterable[str]) -> bool:
    return all(admin_permits(person, perm) for perm in perms)


def admin_permits_app(person: Any, app_label: str) -> bool:
    """Whether ``person`` may use at least one model of ``app_label``."""
    side = person_side(person)
    if side is None:
        return False
    try:
        config = apps.get_app_config(app_label)
    except LookupError:
        return False
    return any(admin_side(model) == side for model in config.get_models())
