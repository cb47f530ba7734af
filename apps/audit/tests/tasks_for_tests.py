"""A task that changes a row, for the change log's task door (run by the core tests' worker)."""

from __future__ import annotations

from celery import shared_task

from apps.tenants.models import Lookup
from apps.tenants.services import save_lookup


@shared_task(name="audittests.rename_lookup")
def rename_lookup(lookup_id: int, name: str) -> str:
    lookup = Lookup.objects.get(pk=lookup_id)
    lookup.name = name
    save_lookup(lookup)
    return lookup.name
