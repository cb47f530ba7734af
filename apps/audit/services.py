"""Writes of the change log that the generic receivers cannot see: set-based writes.

A service that changes many rows in one statement (COPY/INSERT of generated jobs, the
auto-close UPDATE, the removal of a schedule's future jobs, ``QuerySet.update()``,
``bulk_create``) records ONE summary per operation and tenant with ``record_bulk``, in
the same transaction: what kind of rows, how many, the first ids, the object it was done
for (``related``: the schedule whose jobs were replaced), and why. Never one entry per
row: those writes are set-based precisely so that their cost does not grow per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from apps.core import tenancy

from . import capture
from .models import BULK_ACTIONS, BULK_IDS, REPR_LENGTH, Action, ChangeLog

__all__ = ["Action", "quiet", "record_bulk", "record_replaced"]

quiet = capture.quiet


def record_bulk(
    model: type[models.Model],
    action: str,
    *,
    count: int,
    summary: str,
    ids: Iterable[int] = (),
    related: models.Model | None = None,
    changes: dict[str, list[Any]] | None = None,
) -> ChangeLog | None:
    """Record that ``count`` rows of ``model`` were created, changed, deleted or replaced
    (``action``, one of the bulk actions) by one operation of the tenant in context.

    ``summary`` says what happened and why ("24 future jobs removed: the schedule was
    edited"); ``ids`` are (the first of) the rows concerned, of which the lowest
    ``BULK_IDS`` are kept; ``changes`` is ``{field: [before, after]}`` when every row got
    the same change (``{"is_active": [true, false]}``), or for a replacement
    ``{"rows": [removed, created]}``. Nothing is recorded when no row was touched.
    """
    if action not in BULK_ACTIONS:
        raise ValueError(f"record_bulk takes a bulk action, not {action!r}.")
    if count <= 0 or not capture.is_logged(model):
        return None
    tenant = tenancy.current_tenant()
    related_ref: tuple[int | None, int | None] = (None, None)
    if related is not None:
        related_ref = (capture.type_id(type(related), tenant.db_alias), related.pk)
    text = summary if len(summary) <= REPR_LENGTH else summary[: REPR_LENGTH - 1] + "…"
    return capture.write(
        model=capture.concrete(model),
        tenant_id=tenant.id,
        using=tenant.db_alias,
        action=action,
        object_id=None,
        object_repr=text,
        changes=changes or {},
        related=related_ref,
        count=count,
        object_ids=sorted(int(pk) for pk in ids)[:BULK_IDS],
    )


def record_replaced(
    model: type[models.Model], *, removed: int, created: Iterable[int], related: models.Model, what: str
) -> ChangeLog | None:
    """Record that the ``what`` (plural: "stops", "members") of ``related`` were replaced:
    ``removed`` rows deleted, the rows ``created`` (their ids) inserted, in one operation."""
    ids = list(created)
    if removed and ids:
        action, summary = Action.BULK_REPLACE, f"{removed} {what} replaced by {len(ids)}"
    elif ids:
        action, summary = Action.BULK_CREATE, f"{len(ids)} {what} added"
    else:
        action, summary = Action.BULK_DELETE, f"{removed} {what} removed"
    return record_bulk(
        model,
        action,
        count=removed + len(ids),
        summary=summary,
        ids=ids,
        related=related,
        changes={"rows": [removed, len(ids)]} if action == Action.BULK_REPLACE else None,
    )
