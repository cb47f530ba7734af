"""Validation rules that bound the cost of a GraphQL query before it runs.

Depth comes from graphene's ``depth_limit_validator``; this module adds a size limit:
the number of fields the query selects once fragments are expanded, counted per
operation, so a wide query (or one multiplied by aliases) is refused up front.
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


def field_count_limit_validator(max_fields: int) -> type[ValidationRule]:
    class FieldCountLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            fragments = {d.name.value: d for d in context.document.definitions if isinstance(d, FragmentDefinitionNode)}
            for definition in context.document.definitions:
                if isinstance(definition, OperationDefinitionNode):
                    count = _count(definition.selection_set, fragments, set(), max_fields)
                    if count > max_fields:
                        name = definition.name.value if definition.name else "anonymous"
                        context.report_error(
                            GraphQLError(
                                f"Operation '{name}' selects more than {max_fields} fields.",
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
