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
from django.db import connection
from django.db.models import BooleanField, CharField, F, Func, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from apps.core import tenancy

MAX_QUERY_LENGTH = 100
MAX_CANDIDATES = 1000


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

    For a tenant in context the matching ids come from ``yt_search_ids`` (a SECURITY
    DEFINER function, see migration core 0003), the only way the trigram indexes can
    answer under row-level security; the rows themselves are then read through RLS as
    usual, by primary key. At most ``MAX_CANDIDATES`` matches are considered, so a very
    common fragment pages through a subset of its matches. Without a tenant (system
    jobs) the plain expression is used.
    """
    needle = q[:MAX_QUERY_LENGTH]
    if isinstance(tenancy.current(), tenancy.TenantContext):
        meta = queryset.model._meta
        columns = [meta.get_field(field).column for field in fields]
        pk = f"{connection.ops.quote_name(meta.db_table)}.{connection.ops.quote_name(meta.pk.column)}"
        return queryset.filter(
            RawSQL(  # noqa: S611 - identifiers come from model metadata, every value is a bound parameter
                f"{pk} = ANY(ARRAY(SELECT yt_search_ids(%s::regclass, %s::text[], %s, %s)))",
                (meta.db_table, columns, needle, MAX_CANDIDATES),
                output_field=BooleanField(),
            )
        )
    folded_needle = folded(Value(needle))
    aliases = {f"_search_{index}": folded(F(field)) for index, field in enumerate(fields)}
    condition = reduce(or_, (Q(**{f"{alias}__contains": folded_needle}) for alias in aliases))
    return queryset.alias(**aliases).filter(condition)
