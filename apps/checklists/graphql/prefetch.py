"""The related rows a checklist query asks for, fetched with one query per relation.

graphene-django resolves fields synchronously, one row at a time, so the nested fields
(versions, sections, items, questions) read what the root resolver prefetched. Only the
relations the query selects are prefetched: a picker asking for ``{ checklists { name } }``
does not load every item of every version.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch

from apps.checklists.models import ChecklistItem, ChecklistSection, ChecklistVersion


def _items() -> Any:
    # Every item field but position and mandatory reads the question (its limits and options).
    return ChecklistItem.objects.select_related("question").order_by("position")


def version_lookups(paths: Iterable[str], field: str = "", lookup: str = "") -> list[str | Prefetch]:
    """Prefetch lookups for a version selected at ``field`` (a path of ``paths``; "" when the
    version is the root) and reached from the rows being prefetched by ``lookup``."""
    paths = frozenset(paths)
    at = f"{field}." if field else ""
    to = f"{lookup}__" if lookup else ""
    found: list[str | Prefetch] = []
    if f"{at}publishedBy" in paths:
        found += [f"{to}published_by", f"{to}published_by__roles"]
    if f"{at}sections" in paths:
        found.append(Prefetch(f"{to}sections", queryset=ChecklistSection.objects.order_by("position")))
    if f"{at}sections.items" in paths:
        found.append(Prefetch(f"{to}sections__items", queryset=_items()))
    if f"{at}items" in paths:
        found.append(Prefetch(f"{to}items", queryset=_items()))
    return found


def checklist_lookups(paths: Iterable[str], field: str = "") -> list[str | Prefetch]:
    """Prefetch lookups for checklists selected at ``field`` ("" when the checklists are the
    root), for a queryset or list of checklists whose ``current_version`` is select_related."""
    paths = frozenset(paths)
    at = f"{field}." if field else ""
    found: list[str | Prefetch] = []
    if f"{at}currentVersion" in paths:
        found += version_lookups(paths, f"{at}currentVersion", "current_version")
    if f"{at}versions" in paths:
        found.append(Prefetch("versions", queryset=ChecklistVersion.objects.order_by("-number")))
        found += version_lookups(paths, f"{at}versions", "versions")
    return found
