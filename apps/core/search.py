"""Case- and accent-insensitive substring search, backed by trigram GIN indexes.

A model opts in with ``search_index(...)`` in its ``Meta.indexes`` and is queried with
``search(queryset, fields, q)``: both use the same expression, ``yt_unaccent(lower(col))``,
so PostgreSQL can answer ``LIKE '%q%'`` from the index (tenant first, via btree_gin).
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db.models import CharField, F, Func, Q, QuerySet, Value
from django.db.models.functions import Lower

MAX_QUERY_LENGTH = 100


class Unaccent(Func):
    function = "yt_unaccent"
    output_field = CharField()


def folded(expression: Any) -> Func:
    """What is indexed and compared: lower case, accents removed."""
    return Unaccent(Lower(expression))


def search_index(field: str, name: str) -> GinIndex:
    return GinIndex(F("tenant_id"), OpClass(folded(F(field)), name="gin_trgm_ops"), name=name)


def search(queryset: QuerySet, fields: list[str] | tuple[str, ...], q: str) -> QuerySet:
    """Rows where any of ``fields`` contains ``q``, ignoring case and accents.

    The needle is folded by the same immutable SQL expression as the indexed column, so
    the planner folds it to a constant and can use the trigram index.
    """
    needle = folded(Value(q[:MAX_QUERY_LENGTH]))
    aliases = {f"_search_{index}": folded(F(field)) for index, field in enumerate(fields)}
    condition = reduce(or_, (Q(**{f"{alias}__contains": needle}) for alias in aliases))
    return queryset.alias(**aliases).filter(condition)
