"""Validation rules that bound the cost of a GraphQL query before it runs.

- depth: how deeply fields nest (``query_too_deep``);
- size: the number of fields the query selects once fragments are expanded, counted
  per operation, so a wide query (or one multiplied by aliases or fragments) is refused
  up front (``query_too_complex``);
- cost: what the operation may make the server do, with list sizes multiplied, against
  a budget per request (``query_too_expensive``), and page sizes outside a list field's
  declared range (``invalid_page``);
- introspection: ``__schema`` and ``__type`` are refused when it is off
  (``introspection_disabled``);
- string literals: one holding NUL or a lone surrogate is refused before anything runs
  (``invalid_characters``), as ``apps.core.cleaning`` refuses them in variables and
  every other input.

Execution itself is bounded in time by ``deadline_execution_context`` (``query_timeout``),
the backstop for what a cost figure cannot foresee (rows that are slow to build, a list
larger than the size it is costed at).

Each error carries a stable ``extensions.code``. The rules must survive any document the
parser accepts: unknown fragments and fragment cycles are left to the standard rules
(which report them), never turned into a server error here.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLSchema,
    get_named_type,
)
from graphql.execution import ExecutionContext
from graphql.language import (
    ArgumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
)
from graphql.pyutils import Path, Undefined
from graphql.utilities import TypeInfo
from graphql.validation import ValidationContext, ValidationRule

from apps.core import cleaning
from apps.core.graphql import ListSize, list_sizes

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


# Costs are added up exactly but stop growing here: every client parses a figure up to
# 2^53 - 1 exactly, and a document that multiplies lists through fragments could
# otherwise produce a number too long to print.
COST_CEILING = 2**53 - 1
# A list field of an object type that declares no size (see ``apps.core.graphql.SizedList``)
# is costed as the largest page any field serves; a test keeps every such field declared.
UNDECLARED_LIST_SIZE = 500


def cost_limit_validator(max_cost: int, variables: Mapping[str, Any] | None) -> type[ValidationRule]:
    """Refuse operations that cost more than ``max_cost``, before anything runs.

    Each field costs 1; a list field multiplies the cost of its selection by the number
    of items it may return: its page argument (a literal, or the request's ``variables``,
    or the variable's default, or the argument's default) or else its declared size.
    Nested lists multiply, aliases and fragment spreads count each time they appear,
    ``__typename`` and introspection are free. Mutations are costed like queries.

    A page argument outside the field's 1..max range (or null) is refused with
    ``invalid_page``, the code the resolvers use, so that it fails before execution too;
    the operation is then not costed.
    """
    values: Mapping[str, Any] = variables if isinstance(variables, Mapping) else {}

    class CostLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.sizes = list_sizes(context.schema)
            self.defaults = _variable_defaults(context)
            self.invalid_page = False

        def enter_field(self, node: FieldNode, *_args: Any) -> None:
            parent, field_def = self.context.get_parent_type(), self.context.get_field_def()
            if parent is None or field_def is None:
                return
            size = self.sizes.get((parent.name, node.name.value))
            if size is None or size.page_argument is None:
                return
            requested = _page_argument(node, field_def, size.page_argument, values, self.defaults)
            if requested is _ABSENT or requested is Undefined:
                return  # not given, or of a wrong type that the standard rules (or variable coercion) refuse
            if isinstance(requested, int) and 1 <= requested <= size.max_items:
                return
            self.invalid_page = True
            self.report_error(
                GraphQLError(
                    f"{size.page_argument} is 1-{size.max_items} on '{parent.name}.{node.name.value}'.",
                    node,
                    extensions={"code": "invalid_page", "argument": size.page_argument, "max": size.max_items},
                )
            )

        def leave_document(self, *_args: Any) -> None:
            if self.invalid_page:
                return
            measure = _CostMeasure(self.context, self.sizes, values, self.defaults)
            for operation in _operations(self.context):
                cost = measure.operation(operation)
                if cost > max_cost:
                    self.report_error(
                        GraphQLError(
                            f"Operation '{_operation_name(operation)}' costs {cost}, over the limit of {max_cost}; "
                            "ask for fewer items (first) or fewer nested lists.",
                            operation,
                            extensions={"code": "query_too_expensive", "cost": cost, "max_cost": max_cost},
                        )
                    )

    return CostLimit


def operation_costs(
    schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any] | None = None
) -> dict[str, int]:
    """The cost of each operation of ``document`` as ``cost_limit_validator`` counts it, by
    operation name (``anonymous`` for an unnamed one). For tests and for sizing budgets."""
    context = ValidationContext(schema, document, TypeInfo(schema), lambda error: None)
    measure = _CostMeasure(context, list_sizes(schema), variables or {}, _variable_defaults(context))
    return {_operation_name(operation): measure.operation(operation) for operation in _operations(context)}


class _Absent:
    """The page argument is not given at all (neither literally nor by a variable or a default)."""


_ABSENT = _Absent()


def _variable_defaults(context: ValidationContext) -> dict[str, Any]:
    """Literal defaults of the document's variables (``$first: Int = 20``), by name."""
    defaults: dict[str, Any] = {}
    for operation in _operations(context):
        for definition in operation.variable_definitions or ():
            if definition.default_value is not None:
                defaults.setdefault(definition.variable.name.value, _literal(definition.default_value))
    return defaults


# GraphQL's Int is a signed 32-bit integer; outside it, the value is the type rules' to refuse.
_GRAPHQL_INT_MIN, _GRAPHQL_INT_MAX = -(2**31), 2**31 - 1


def _literal(node: Any) -> Any:
    if isinstance(node, IntValueNode):
        value = int(node.value)  # the parser accepts any number of digits; Python ints hold them
        # Beyond GraphQL's 32-bit Int the standard rules refuse the literal (invalid_query).
        return value if _GRAPHQL_INT_MIN <= value <= _GRAPHQL_INT_MAX else Undefined
    if isinstance(node, NullValueNode):
        return None
    return Undefined  # a string, a float...: the standard rules report the type


def _page_argument(
    node: FieldNode, field_def: GraphQLField, name: str, variables: Mapping[str, Any], defaults: Mapping[str, Any]
) -> Any:
    """The value ``name`` will have when the field runs: an int, None (null), ``Undefined``
    (a value of the wrong type, reported elsewhere) or ``_ABSENT``."""
    for argument in node.arguments or ():
        if argument.name.value != name:
            continue
        if isinstance(argument.value, VariableNode):
            variable = argument.value.name.value
            if variable in variables:
                value = variables[variable]
                if value is None or (isinstance(value, int) and not isinstance(value, bool)):
                    return value
                return Undefined
            if variable in defaults:
                return defaults[variable]
            break  # an unset variable leaves the argument to its default
        return _literal(argument.value)
    declared = field_def.args.get(name)
    if declared is not None and declared.default_value is not Undefined:
        return declared.default_value
    return _ABSENT


@dataclass
class _Frame:
    """One selection set being added up: ``base + weight * (sum of its selections)`` goes to its parent."""

    selections: tuple[SelectionNode, ...]
    parent_type: GraphQLNamedType | None
    base: int
    weight: int
    index: int = 0
    total: int = 0


class _CostMeasure:
    """Cost of operations, walked with an explicit stack (nesting never exhausts Python's
    recursion) and each fragment costed once, in dependency order, so a document that
    spreads fragments into each other many times still costs linear time to measure."""

    def __init__(
        self,
        context: ValidationContext,
        sizes: Mapping[tuple[str, str], ListSize],
        variables: Mapping[str, Any],
        defaults: Mapping[str, Any],
    ) -> None:
        self.context = context
        self.schema = context.schema
        self.sizes = sizes
        self.variables = variables
        self.defaults = defaults
        self.fragments = _fragments(context)
        self.fragment_costs: dict[str, int] = {}
        for name in self._dependency_order():
            fragment = self.fragments[name]
            self.fragment_costs[name] = self.selection_set(fragment.selection_set, self._type(fragment.type_condition))

    def operation(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        return self.selection_set(operation.selection_set, root)

    def selection_set(self, selection_set: SelectionSetNode, parent_type: GraphQLNamedType | None) -> int:
        frames = [_Frame(tuple(selection_set.selections), parent_type, base=0, weight=1)]
        while True:
            frame = frames[-1]
            if frame.index == len(frame.selections):
                frames.pop()
                value = min(frame.base + frame.weight * frame.total, COST_CEILING)
                if not frames:
                    return value
                frames[-1].total = min(frames[-1].total + value, COST_CEILING)
                continue
            node = frame.selections[frame.index]
            frame.index += 1
            if isinstance(node, FieldNode):
                if node.name.value.startswith("__"):
                    continue  # __typename, __schema, __type: introspection is free
                field_def = self._field(frame.parent_type, node.name.value)
                child_type = get_named_type(field_def.type) if field_def is not None else None
                if node.selection_set is None:
                    frame.total = min(frame.total + 1, COST_CEILING)
                    continue
                weight = self._items(frame.parent_type, node, field_def)
                frames.append(_Frame(tuple(node.selection_set.selections), child_type, base=1, weight=weight))
            elif isinstance(node, InlineFragmentNode):
                condition = self._type(node.type_condition) if node.type_condition else frame.parent_type
                frames.append(_Frame(tuple(node.selection_set.selections), condition, base=0, weight=1))
            elif isinstance(node, FragmentSpreadNode):
                # Unknown fragments and spreads closing a cycle cost nothing here: the
                # standard rules refuse the document for them.
                spread = self.fragment_costs.get(node.name.value, 0)
                frame.total = min(frame.total + spread, COST_CEILING)

    def _type(self, named: Any) -> GraphQLNamedType | None:
        return self.schema.get_type(named.name.value) if named is not None else None

    @staticmethod
    def _field(parent_type: GraphQLNamedType | None, name: str) -> GraphQLField | None:
        fields = getattr(parent_type, "fields", None)
        return fields.get(name) if isinstance(fields, Mapping) else None

    def _items(self, parent_type: GraphQLNamedType | None, node: FieldNode, field_def: GraphQLField | None) -> int:
        """How many times the field's selection counts: 1, or the items a list may return."""
        if field_def is None:
            return 1
        list_type = field_def.type.of_type if isinstance(field_def.type, GraphQLNonNull) else field_def.type
        if not isinstance(list_type, GraphQLList):
            return 1
        size = self.sizes.get((parent_type.name, node.name.value)) if parent_type is not None else None
        if size is None:
            return UNDECLARED_LIST_SIZE
        if size.page_argument is not None:
            requested = _page_argument(node, field_def, size.page_argument, self.variables, self.defaults)
            if isinstance(requested, int):
                return max(0, min(requested, size.max_items))
        return size.max_items

    def _dependency_order(self) -> list[str]:
        """Fragment names, each after the fragments it spreads (iterative depth-first
        search; a spread that closes a cycle is skipped)."""
        order: list[str] = []
        seen: set[str] = set()
        for start in self.fragments:
            if start in seen:
                continue
            seen.add(start)
            stack = [(start, iter(self._spreads(start)))]
            while stack:
                name, children = stack[-1]
                for child in children:
                    if child in self.fragments and child not in seen:
                        seen.add(child)
                        stack.append((child, iter(self._spreads(child))))
                        break
                else:
                    stack.pop()
                    order.append(name)
        return order

    def _spreads(self, name: str) -> list[str]:
        return [spread.name.value for spread in self.context.get_fragment_spreads(self.fragments[name].selection_set)]


class ExecutionDeadlineExceeded(BaseException):
    """Raised between two fields once a request has run past its deadline.

    A ``BaseException`` on purpose: graphql-core turns every ``Exception`` of a resolver
    into a field error and goes on with the next field (and the next item of a list),
    whereas this must stop the whole execution at once. The view catches it.
    """


def deadline_execution_context(seconds: float) -> type[ExecutionContext]:
    """An execution context that stops the execution once it has run ``seconds``.

    The clock is checked before each field is resolved, so a request ends at most one
    resolver after its deadline; that resolver's SQL is bounded by the statement timeout.
    """
    deadline = time.monotonic() + seconds

    class DeadlineExecutionContext(ExecutionContext):
        def execute_field(self, parent_type: Any, source: Any, field_nodes: list[FieldNode], path: Path) -> Any:
            if time.monotonic() > deadline:
                raise ExecutionDeadlineExceeded
            return super().execute_field(parent_type, source, field_nodes, path)

    return DeadlineExecutionContext


class CleanStringLiterals(ValidationRule):
    """Refuse a string literal (an argument, a default value, a string inside an object or
    list literal) holding NUL or a lone surrogate, which PostgreSQL cannot store.

    Variables are checked by the decoder the request body goes through; this rule covers
    what is written into the query text itself. ``details.argument`` names the argument
    the literal belongs to, when there is one.
    """

    def enter_string_value(self, node: StringValueNode, _key: Any, parent: Any, _path: Any, ancestors: Any) -> None:
        character = cleaning.bad_character(node.value)
        if character is None:
            return
        arguments = [ancestor for ancestor in [*ancestors, parent] if isinstance(ancestor, ArgumentNode)]
        details: dict[str, Any] = {"character": cleaning.character_name(character)}
        if arguments:
            details["argument"] = arguments[-1].name.value
        self.report_error(
            GraphQLError(
                cleaning.InvalidCharacters.message,
                node,
                extensions={"code": cleaning.InvalidCharacters.code, "details": details},
            )
        )
