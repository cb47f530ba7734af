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
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import BooleanField, CharField, F, Field, Func, Model, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from apps.core import tenancy

MAX_QUERY_LENGTH = 100
MAX_CANDIDATES = 1000
# Matches asked for by search_page before it asks for all: enough for a picker's pages
# in the usual case, small enough that a fragment matching half the tenant stays cheap.
PAGE_CANDIDATES = (100, 2000)


class Unaccent(Func):
    function = "yt_unaccent"
    output_field = CharField()


def folded(expression: Any) -> Func:
    """What is indexed and compared: lower case, accents removed."""
    return Unaccent(Lower(expression))


def search_index(field: str, name: str) -> GinIndex:
    """A trigram index on ``field`` within the tenant.

    ``fastupdate`` is off: with it on, new rows wait in a pending list that every search
    reads in full until a vacuum merges it, which made a search on 100,000 rows several
    times slower after a bulk import. Master data is written rarely and searched often,
    so the write pays instead.
    """
    return GinIndex(F("tenant_id"), OpClass(folded(F(field)), name="gin_trgm_ops"), name=name, fastupdate=False)


def searchable_fields(model: type[Model]) -> set[str]:
    """The fields of ``model`` that have a ``search_index``: the only ones ``search`` may use.

    ``yt_search_ids`` enforces the same rule in the database (it reads the indexes from
    the catalog), so a search on any other column is refused there too.
    """
    found: set[str] = set()
    for index in model._meta.indexes:
        for expression in index.expressions:
            inner = expression.source_expressions[0] if isinstance(expression, OpClass) else expression
            if isinstance(inner, Unaccent) and isinstance(lower := inner.source_expressions[0], Lower):
                column = lower.source_expressions[0]
                if isinstance(column, F):
                    found.add(column.name)
    return found


def _check_searchable(model: type[Model], fields: list[str] | tuple[str, ...]) -> None:
    unindexed = sorted(set(fields) - searchable_fields(model))
    if unindexed:
        raise ImproperlyConfigured(
            f"{model._meta.label} has no search_index on {', '.join(unindexed)}; add one to Meta.indexes."
        )


def _function_call(model: type[Model], fields: list[str] | tuple[str, ...], q: str, limit: int | None) -> tuple:
    meta = model._meta
    # Concrete fields only: _check_searchable admits indexed columns, never relations.
    columns = [field.column for field in map(meta.get_field, fields) if isinstance(field, Field)]
    return "yt_search_ids(%s::regclass, %s::text[], %s, %s)", (meta.db_table, columns, q[:MAX_QUERY_LENGTH], limit)


def _pk_column(model: type[Model]) -> str:
    meta = model._meta
    return f"{connection.ops.quote_name(meta.db_table)}.{connection.ops.quote_name(meta.pk.column)}"


def search(
    queryset: QuerySet, fields: list[str] | tuple[str, ...], q: str, *, limit: int | None = MAX_CANDIDATES
) -> QuerySet:
    """Rows where any of ``fields`` contains ``q``, ignoring case and accents.

    For a tenant in context the matching ids come from ``yt_search_ids`` (a SECURITY
    DEFINER function, see migrations core 0003 and 0004), the only way the trigram
    indexes can answer under row-level security; the rows themselves are then read
    through RLS as usual, by primary key. At most ``limit`` matches are considered
    (``None``: all), so a very common fragment pages through a subset of its matches.
    Without a tenant (system jobs) the plain expression is used.
    """
    _check_searchable(queryset.model, fields)
    if isinstance(tenancy.current(), tenancy.TenantContext):
        call, params = _function_call(queryset.model, fields, q, limit)
        return queryset.filter(
            RawSQL(  # noqa: S611 - identifiers come from model metadata, every value is a bound parameter
                f"{_pk_column(queryset.model)} = ANY(ARRAY(SELECT {call}))", params, output_field=BooleanField()
            )
        )
    folded_needle = folded(Value(q[:MAX_QUERY_LENGTH]))
    aliases = {f"_search_{index}": folded(F(field)) for index, field in enumerate(fields)}
    condition = reduce(or_, (Q(**{f"{alias}__contains": folded_needle}) for alias in aliases))
    return queryset.alias(**aliases).filter(condition)


def search_page(
    queryset: QuerySet,
    fields: list[str] | tuple[str, ...],
    q: str,
    *,
    order_by: list[str] | tuple[str, ...],
    start: int,
    size: int,
) -> list[Model]:
    """Rows ``start`` to ``start + size`` of the matches of ``q`` in ``queryset``, in ``order_by``.

    What a picker needs on every keystroke. The function is asked for a few matches
    first (``PAGE_CANDIDATES``), which on a large tenant is most of the cost; only when
    the queryset's own conditions (site scope, active rows) leave the page short and
    there may be more matches is it asked again for more, and finally for all. So a
    supervisor who sees 3 sites of 100 still gets a full page, and a broad fragment
    costs one small search. Pages are ordered within the matches considered.
    """
    if not isinstance(tenancy.current(), tenancy.TenantContext):
        return list(search(queryset, fields, q, limit=None).order_by(*order_by)[start : start + size])
    _check_searchable(queryset.model, fields)
    pk = _pk_column(queryset.model)
    for limit in (*PAGE_CANDIDATES, None):
        if limit is None:
            rows = search(queryset, fields, q, limit=None)
        else:
            call, params = _function_call(queryset.model, fields, q, limit)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {call}", params)
                ids = [row[0] for row in cursor.fetchall()]
            rows = queryset.filter(
                RawSQL(f"{pk} = ANY(%s)", (ids,), output_field=BooleanField())  # noqa: S611 - values bound
            )
        page = list(rows.order_by(*order_by)[start : start + size])
        if limit is None or len(page) == size or len(ids) < limit:
            return page
    raise AssertionError("unreachable: the last round considers every match")
