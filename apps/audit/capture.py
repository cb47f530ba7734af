"""The one mechanism that writes CRUD history: generic receivers on every logged model.

``connect_receivers`` (run once, from the app's ``ready``) connects ``pre_save``,
``post_save``, ``post_delete`` and ``m2m_changed`` for every ``TenantModel`` that keeps
``changelog = True``, by sender, so a model left out (logs, tokens, counters) keeps
Django's fast bulk delete. Per save:

- ``pre_save`` reads the stored values once, with the base manager, and only of the
  fields being saved (``update_fields``, minus deferred ones); a new row reads nothing;
- ``post_save`` writes one entry with the fields that changed, or none when nothing did;
- ``post_delete`` writes the row as it was; ``m2m_changed`` the ids before and after.

The entry is written on the connection of the change, inside its transaction: a change
that rolls back leaves no entry. Who, when, the door and the request id come from
``apps.core.context``, set at each edge. These receivers record and decide nothing else
(no business rule lives here); set-based writes that bypass the ORM call
``services.record_bulk`` instead, and ``quiet`` lets a service fold the per-row entries
of an ORM bulk delete into its own summary.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.utils import timezone

from apps.core import context
from apps.core.models import TenantModel

from .models import REPR_LENGTH, Action, ChangeLog
from .values import current, is_empty, normalize, render, tracked_fields

_quiet: contextvars.ContextVar[frozenset[type[models.Model]]] = contextvars.ContextVar(
    "youtility_changelog_quiet", default=frozenset()
)
#: Where ``pre_save`` leaves the stored values for ``post_save`` (on the instance itself).
_BEFORE = "_changelog_before"
_M2M_BEFORE = "_changelog_m2m_before"


def concrete(model: type[models.Model]) -> type[models.Model]:
    """The model a proxy stands for (entries name the concrete model), or the model itself."""
    return model._meta.concrete_model or model


def is_logged(model: type[models.Model]) -> bool:
    """Whether the change log records ``model`` (a tenant-owned model not opted out)."""
    base = concrete(model)
    return issubclass(base, TenantModel) and base._meta.managed and bool(getattr(base, "changelog", True))


def logged_models() -> list[type[models.Model]]:
    """Every concrete model whose changes are logged, by label."""
    found = [model for model in apps.get_models() if not model._meta.proxy and is_logged(model)]
    return sorted(found, key=lambda model: model._meta.label_lower)


@contextmanager
def quiet(*models_: type[models.Model]) -> Iterator[None]:
    """Write no per-row entries for ``models_`` in this block: the caller records one
    summary of what it did there (``services.record_bulk``)."""
    token = _quiet.set(_quiet.get() | {concrete(model) for model in models_})
    try:
        yield
    finally:
        _quiet.reset(token)


def _skipped(sender: type[models.Model]) -> bool:
    return concrete(sender) in _quiet.get()


def object_repr(instance: models.Model) -> str:
    try:
        text = str(instance)
    except ObjectDoesNotExist:  # __str__ reads a related row deleted in the same cascade
        text = f"{instance._meta.verbose_name} {instance.pk}"
    text = normalize(text)
    return text if len(text) <= REPR_LENGTH else text[: REPR_LENGTH - 1] + "…"


def related_of(instance: models.Model, using: str) -> tuple[int | None, int | None]:
    """(content type id, id) of the object whose history also shows ``instance``'s changes."""
    for name in getattr(instance, "changelog_related", ()):
        field = instance._meta.get_field(name)
        if isinstance(field, GenericForeignKey):
            owner_type = getattr(instance, f"{field.ct_field}_id")
            object_id = getattr(instance, field.fk_field)
            if owner_type is not None and object_id is not None:
                return owner_type, int(object_id)
        elif isinstance(field, models.ForeignKey):
            object_id = getattr(instance, field.attname)
            if object_id is not None:
                return type_id(field.related_model, using), int(object_id)
    return None, None


def type_id(model: Any, using: str) -> int:
    """The content type id of ``model`` in database ``using`` (cached per process and database:
    a tenant in a dedicated database has its own content type table)."""
    return ContentType.objects.db_manager(using).get_for_model(model).pk


def write(
    *,
    model: type[models.Model],
    tenant_id: int,
    using: str,
    action: str,
    object_id: int | None,
    object_repr: str,
    changes: dict[str, Any],
    related: tuple[int | None, int | None] = (None, None),
    count: int = 1,
    object_ids: list[int] | None = None,
) -> ChangeLog:
    """Insert one entry, attributed to the actor, door and request in context."""
    entry = ChangeLog(
        tenant_id=tenant_id,
        time=timezone.now(),
        actor_id=context.current_actor_id(),
        actor_label=context.current_actor_label()[:200],
        door=context.current_door(),
        request_id=(context.current_request_id() or "")[:128],
        action=action,
        object_type_id=type_id(model, using),
        object_id=object_id,
        object_repr=object_repr,
        related_type_id=related[0],
        related_id=related[1],
        changes=changes,
        count=count,
        object_ids=object_ids or [],
    )
    entry.save(using=using, force_insert=True)
    return entry


# --- receivers -------------------------------------------------------------------------


def _before_save(
    sender: type[models.Model], instance: Any, raw: bool = False, using: str = "default", **kwargs: Any
) -> None:
    if raw or _skipped(sender):
        return
    if instance._state.adding or instance.pk is None:
        setattr(instance, _BEFORE, None)
        return
    update_fields = kwargs.get("update_fields")
    deferred = instance.get_deferred_fields()
    fields = [
        field
        for field in tracked_fields(concrete(sender))
        if field.attname not in deferred and (update_fields is None or field.name in update_fields)
    ]
    if not fields:
        setattr(instance, _BEFORE, {})
        return
    stored = (
        sender._base_manager.using(using).filter(pk=instance.pk).values(*[field.attname for field in fields]).first()
    )
    setattr(instance, _BEFORE, None if stored is None else {field: stored[field.attname] for field in fields})


def _after_save(
    sender: type[models.Model],
    instance: Any,
    created: bool = False,
    raw: bool = False,
    using: str = "default",
    **_: Any,
) -> None:
    if raw or _skipped(sender):
        return
    before = instance.__dict__.pop(_BEFORE, None)
    model = concrete(sender)
    changes: dict[str, list[Any]] = {}
    if created or before is None:
        action = Action.CREATE
        for field in tracked_fields(model):
            after = current(instance, field)
            if not is_empty(after):
                changes[field.name] = [None, render(model, field, after)]
    else:
        action = Action.UPDATE
        for field, stored in before.items():
            old, new = normalize(stored), current(instance, field)
            if old != new:
                changes[field.name] = [render(model, field, old), render(model, field, new)]
        if not changes:
            return
    write(
        model=model,
        tenant_id=instance.tenant_id,
        using=using,
        action=action,
        object_id=instance.pk,
        object_repr=object_repr(instance),
        changes=changes,
        related=related_of(instance, using),
    )


def _after_delete(sender: type[models.Model], instance: Any, using: str = "default", **_: Any) -> None:
    if _skipped(sender):
        return
    model = concrete(sender)
    changes: dict[str, list[Any]] = {}
    for field in tracked_fields(model):
        before = current(instance, field)
        if not is_empty(before):
            changes[field.name] = [render(model, field, before), None]
    write(
        model=model,
        tenant_id=instance.tenant_id,
        using=using,
        action=Action.DELETE,
        object_id=instance.pk,
        object_repr=object_repr(instance),
        changes=changes,
        related=related_of(instance, using),
    )


def _m2m_field(instance: models.Model, through: type[models.Model]) -> tuple[str, str] | None:
    """(name shown, accessor) of the many-to-many relation of ``instance`` that ``through`` holds."""
    for field in instance._meta.get_fields():
        if field.many_to_many and getattr(field.remote_field, "through", None) is through:
            return str(field.name), str(field.name)
        if field.many_to_many and getattr(field, "through", None) is through:
            accessor = str(field.get_accessor_name())  # type: ignore[union-attr]
            return accessor, accessor
    return None


def _m2m_ids(instance: models.Model, accessor: str) -> list[int]:
    return sorted(getattr(instance, accessor).values_list("pk", flat=True))


def _m2m_changed(sender: type[models.Model], instance: Any, action: str, using: str = "default", **_: Any) -> None:
    """``add()``/``remove()``/``set()``/``clear()`` write their through rows in bulk, without
    ``post_save``: record the ids before and after on the object they were called on."""
    if _skipped(sender) or not is_logged(type(instance)) or _skipped(type(instance)):
        return
    found = _m2m_field(instance, sender)
    if found is None:
        return
    name, accessor = found
    if action.startswith("pre_"):
        stash = instance.__dict__.setdefault(_M2M_BEFORE, {})
        stash.setdefault(name, _m2m_ids(instance, accessor))
        return
    before = instance.__dict__.get(_M2M_BEFORE, {}).pop(name, None)
    if before is None:
        return
    after = _m2m_ids(instance, accessor)
    if before == after:
        return
    model = concrete(type(instance))
    write(
        model=model,
        tenant_id=instance.tenant_id,
        using=using,
        action=Action.UPDATE,
        object_id=instance.pk,
        object_repr=object_repr(instance),
        changes={name: [before, after]},
        related=related_of(instance, using),
    )


def connect_receivers() -> None:
    """Connect the receivers for every logged model (proxies too: they send as themselves)."""
    for model in apps.get_models():
        if not is_logged(model):
            continue
        uid = model._meta.label_lower
        pre_save.connect(_before_save, sender=model, dispatch_uid=f"audit.pre_save:{uid}")
        post_save.connect(_after_save, sender=model, dispatch_uid=f"audit.post_save:{uid}")
        post_delete.connect(_after_delete, sender=model, dispatch_uid=f"audit.post_delete:{uid}")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through  # type: ignore[attr-defined]
            m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"audit.m2m:{uid}.{field.name}")
