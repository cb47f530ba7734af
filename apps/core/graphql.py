"""GraphQL helpers shared by every app's schema: authentication and capability checks,
which nested fields a query selects (so resolvers prefetch exactly those relations), and
list fields that declare how many items they may return (what the cost rule multiplies by).

A ``DomainError`` raised in a resolver needs no handling here: the view renders it with
its code (``extensions.code``) and details, like REST does.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import graphene
from graphene.utils.str_converters import to_camel_case
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
)

from apps.core.bounds import check_date
from apps.core.errors import SPECIFIC_FIELD_CODES


def require_user(info: Any) -> Any:
    user = getattr(info.context, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        raise GraphQLError("Authentication is required.", extensions={"code": "not_authenticated"})
    return user


def require_capability(info: Any, capability: str) -> Any:
    user = require_user(info)
    if not user.has_capability(capability):
        raise GraphQLError("You do not have permission to do this.", extensions={"code": "permission_denied"})
    return user


def require_any_capability(info: Any, capabilities: Iterable[str]) -> Any:
    """The signed-in person, if they hold at least one of ``capabilities``."""
    user = require_user(info)
    if not user.has_any_capability(capabilities):
        raise GraphQLError("You do not have permission to do this.", extensions={"code": "permission_denied"})
    return user


def _plain(value: Any) -> Any:
    """A GraphQL enum member (or a list of them) as the value a filterset expects."""
    if isinstance(value, list):
        return [getattr(item, "value", item) for item in value]
    return getattr(value, "value", value)


def filtered(filterset_class: Any, queryset: Any, arguments: dict[str, Any]) -> Any:
    """``queryset`` narrowed by the app's filterset (the one REST uses) from the given
    arguments (None: not given); an invalid one is ``invalid_filter`` with its field errors
    (or the field's own code when it is one of ``SPECIFIC_FIELD_CODES``)."""
    data = {key: _plain(value) for key, value in arguments.items() if value is not None}
    filterset = filterset_class(data=data, queryset=queryset)
    if not filterset.is_valid():
        details = filterset.errors.get_json_data()
        # A value outside the supported range says so, as it does over REST.
        codes = [error["code"] for errors in details.values() for error in errors]
        code = next((code for code in codes if code in SPECIFIC_FIELD_CODES), "invalid_filter")
        raise GraphQLError("The filter is not valid.", extensions={"code": code, "details": details})
    return filterset.qs


def filtered_page(
    filterset_class: Any, queryset: Any, arguments: dict[str, Any], first: int, offset: int, max_page: int
) -> Any:
    """One page (``first`` rows from ``offset``) of ``filtered``; ``invalid_page`` outside
    1..``max_page`` rows or below offset 0."""
    if not 0 < first <= max_page or offset < 0:
        raise GraphQLError(f"first is 1-{max_page} and offset at least 0.", extensions={"code": "invalid_page"})
    return filtered(filterset_class, queryset, arguments)[offset : offset + first]


def selected_paths(info: Any) -> frozenset[str]:
    """Dotted paths of the object fields selected under the field being resolved
    (``versions``, ``versions.sections``, ``versions.sections.items`` …), through fragments.

    ``@skip``/``@include`` are not evaluated: a skipped field is prefetched all the same.
    """
    paths: set[str] = set()
    for node in info.field_nodes:
        _collect(node.selection_set, info.fragments, "", paths)
    return frozenset(paths)


def _collect(selection_set: SelectionSetNode | None, fragments: dict[str, Any], prefix: str, paths: set[str]) -> None:
    if selection_set is None:
        return
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            if node.selection_set is not None:
                path = f"{prefix}{node.name.value}"
                paths.add(path)
                _collect(node.selection_set, fragments, f"{path}.", paths)
        elif isinstance(node, InlineFragmentNode):
            _collect(node.selection_set, fragments, prefix, paths)
        elif isinstance(node, FragmentSpreadNode):
            fragment = fragments.get(node.name.value)
            if fragment is not None:
                _collect(fragment.selection_set, fragments, prefix, paths)


@dataclass(frozen=True)
class ListSize:
    """How many items a list field may return, as the query cost rule counts them.

    ``max_items`` is the field's page cap when ``page_argument`` names the argument that
    asks for fewer (``first``: the rule also refuses values outside 1..max_items before
    anything runs), otherwise a cap the domain enforces (stops of a tour, items of a
    checklist) or, for a list that has neither, the size it is costed at.
    """

    max_items: int
    page_argument: str | None = None


class SizedList(graphene.Field):
    """A list field with its declared size: ``SizedList(JobType, max_items=500, page_argument="first", ...)``.

    Takes the item type (NonNull is added) and the usual ``graphene.Field`` keywords;
    other keywords are the field's arguments, as with ``graphene.List``.
    """

    def __init__(self, of_type: Any, *, max_items: int, page_argument: str | None = None, **kwargs: Any) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1.")
        super().__init__(graphene.List(graphene.NonNull(of_type)), **kwargs)
        self.list_size = ListSize(max_items, page_argument)


_SIZES: weakref.WeakKeyDictionary[GraphQLSchema, dict[tuple[str, str], ListSize]] = weakref.WeakKeyDictionary()


def list_sizes(schema: GraphQLSchema) -> dict[tuple[str, str], ListSize]:
    """Declared sizes of the ``SizedList`` fields of ``schema``, by (type name, field name).

    graphene keeps the class a GraphQL type was built from on ``graphene_type``; its
    fields carry their ``list_size``. Field names are camel-cased as graphene does (the
    schema is built with ``auto_camelcase``) unless the field names itself.
    """
    sizes = _SIZES.get(schema)
    if sizes is None:
        sizes = {}
        for type_name, graphql_type in schema.type_map.items():
            meta = getattr(getattr(graphql_type, "graphene_type", None), "_meta", None)
            for attribute, field in (getattr(meta, "fields", None) or {}).items():
                size = getattr(field, "list_size", None)
                if isinstance(size, ListSize):
                    sizes[(type_name, getattr(field, "name", None) or to_camel_case(attribute))] = size
        _SIZES[schema] = sizes
    return sizes


class ArgumentBounds:
    """Graphene middleware: refuse a date or date-time argument (at any depth of an input
    object) outside the supported range of ``apps.core.bounds``, before the resolver runs.

    GraphQL's ``Date`` and ``DateTime`` accept whatever Python can hold (9999-12-31, an
    offset of -17:17), which services and PostgreSQL cannot; REST refuses the same values
    in its fields and filters (``value_out_of_range``).
    """

    def resolve(self, next_: Any, root: Any, info: Any, **args: Any) -> Any:
        if args:
            _check_dates(args)
        return next_(root, info, **args)


def _check_dates(arguments: dict[str, Any]) -> None:
    # Resolvers see Python names; the client is told the schema's (``input.validFrom``).
    pending: list[tuple[str, Any]] = [(to_camel_case(name), value) for name, value in arguments.items()]
    while pending:
        name, value = pending.pop()
        if isinstance(value, date):
            check_date(value, argument=name)
        elif isinstance(value, dict):
            # dict.items: an input object may have a field named ``items`` (a checklist section).
            pending.extend((f"{name}.{to_camel_case(key)}", item) for key, item in dict.items(value))
        elif isinstance(value, list | tuple):
            pending.extend((f"{name}[{index}]", item) for index, item in enumerate(value))
