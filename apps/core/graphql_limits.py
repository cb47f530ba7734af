"""Validation rules that bound the cost of a GraphQL query before it runs.

- depth: how deeply fields nest (``query_too_deep``);
- size: the number of fields the query selects once fragments are expanded, counted
  per operation, so a wide query (or one multiplied by aliases or fragments) is refused
  up front (``query_too_complex``);
- introspection: ``__schema`` and ``__type`` are refused when it is off
  (``introspection_disabled``).

Each error carries a stable ``extensions.code``. The rules must survive any document the
parser accepts: unknown fragments and fragment cycles are left to the standard rules
(which report them), never turned into a server error here.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.validation import ValidationContext, ValidationRule

# The only introspection entry points; ``__typename`` is a meta field that clients such
# as Apollo add to every selection, so it stays allowed with introspection off.
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


def _operations(context: ValidationContext) -> list[OperationDefinitionNode]:
    return [d for d in context.document.definitions if isinstance(d, OperationDefinitionNode)]


def _fragments(context: ValidationContext) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in context.document.definitions if isinstance(d, FragmentDefinitionNode)}


def _operation_name(operation: OperationDefinitionNode) -> str:
    return operation.name.value if operation.name else "anonymous"


def depth_limit_validator(max_depth: int) -> type[ValidationRule]:
    """Refuse operations whose fields nest deeper than ``max_depth`` (a top-level field is depth 1).

    Used instead of graphene's validator, which answers an unknown fragment with a
    KeyError and a fragment cycle with a RecursionError (both a 500) and gives its error
    no code. Fields under ``__schema``/``__type`` are not counted: introspection is
    refused outright unless it is on, and GraphiQL's own introspection query nests
    deeper than any data query needs.
    """

    class DepthLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            measure = _DepthMeasure(_fragments(context), cap=max_depth + 1)
            for operation in _operations(context):
                try:
                    depth = measure.selection_set(operation.selection_set)
                except RecursionError:
                    depth = max_depth + 1  # nested beyond what can be measured is too deep
                if depth > max_depth:
                    context.report_error(
                        GraphQLError(
                            f"Operation '{_operation_name(operation)}' nests fields deeper than {max_depth}.",
                            operation,
                            extensions={"code": "query_too_deep", "max_depth": max_depth},
                        )
                    )

    return DepthLimit


class _DepthMeasure:
    """Depth of selection sets, capped at ``cap`` so the walk stops once the answer is known.

    A fragment's depth does not depend on where it is spread, so it is computed once:
    a document that spreads fragments into each other many times costs linear time.
    """

    def __init__(self, fragments: dict[str, FragmentDefinitionNode], cap: int) -> None:
        self.fragments = fragments
        self.cap = cap
        self.memo: dict[str, int] = {}
        self.visiting: set[str] = set()

    def selection_set(self, selection_set: SelectionSetNode | None) -> int:
        if selection_set is None:
            return 0
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in INTROSPECTION_FIELDS:
                    continue
                depth = 1 + (self.selection_set(selection.selection_set) if selection.selection_set else 0)
            elif isinstance(selection, InlineFragmentNode):
                depth = self.selection_set(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                depth = self.fragment(selection.name.value)
            else:  # pragma: no cover - the parser produces no other selection kinds
                continue
            deepest = max(deepest, depth)
            if deepest >= self.cap:
                return self.cap
        return deepest

    def fragment(self, name: str) -> int:
        if name in self.memo:
            return self.memo[name]
        if name in self.visiting or name not in self.fragments:
            return 0  # cycles and unknown fragments are reported by the standard rules
        self.visiting.add(name)
        try:
            depth = self.selection_set(self.fragments[name].selection_set)
        finally:
            self.visiting.discard(name)
        self.memo[name] = depth
        return depth


def field_count_limit_validator(max_fields: int) -> type[ValidationRule]:
    """Refuse operations that select more than ``max_fields`` fields once fragments are expanded."""

    class FieldCountLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            fragments = _fragments(context)
            for operation in _operations(context):
                try:
                    count = _count(operation.selection_set, fragments, set(), max_fields)
                except RecursionError:
                    count = max_fields + 1  # fragments chained beyond what can be counted
                if count > max_fields:
                    context.report_error(
                        GraphQLError(
                            f"Operation '{_operation_name(operation)}' selects more than {max_fields} fields.",
                            operation,
                            extensions={"code": "query_too_complex", "max_fields": max_fields},
                        )
                    )

    return FieldCountLimit


def _count(selection_set: SelectionSetNode | None, fragments: dict[str, Any], visiting: set[str], limit: int) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += 1 + _count(selection.selection_set, fragments, visiting, limit)
        elif isinstance(selection, InlineFragmentNode):
            total += _count(selection.selection_set, fragments, visiting, limit)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in visiting or name not in fragments:
                continue  # cycles and unknown fragments are reported by the standard rules
            total += _count(fragments[name].selection_set, fragments, visiting | {name}, limit)
        if total > limit:
            return total  # stop early: the answer is already "too many"
    return total


class IntrospectionDisabled(ValidationRule):
    """Refuse ``__schema`` and ``__type`` (introspection off outside DEBUG).

    Replaces graphene's ``DisableIntrospection``, which also refused ``__typename`` and
    so broke every client that asks for it (Apollo adds it to each selection).
    """

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        if node.name.value in INTROSPECTION_FIELDS:
            self.report_error(
                GraphQLError(
                    f"Cannot query '{node.name.value}': introspection is disabled.",
                    node,
                    extensions={"code": "introspection_disabled"},
                )
            )
