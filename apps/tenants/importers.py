"""Bulk import of the tenant's code lists (sheet ``lookups``), matched on kind and code.

Columns: ``kind`` (one of ``Lookup.Kind``, in any case), ``code``, ``name`` and, optional,
``is_active`` (blank: active on a new row, unchanged on an existing one). The sheet comes
before every other, so later sheets of the same file may name its entries: a person's
``department`` and ``designation``, an asset's ``asset_class``. A code is unique per kind
only, so those sheets ask ``defines_lookup`` rather than ``ImportContext.defines``.

Writes go through ``services.create_lookup`` and ``services.update_lookup``. The sheet
never deactivates or deletes entries it does not list.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from apps.core.importing import ImportContext, Importer, Prepared, RowError, register_importer, value
from apps.core.validators import code_validator

from . import services
from .models import Lookup

SHEET = "lookups"
_TRUE = frozenset({"1", "true", "yes", "y"})
_FALSE = frozenset({"0", "false", "no", "n"})


def lookup_key(kind: str, code: str) -> str:
    """The key of an entry among the codes a file defines (``KIND:CODE``; codes hold no colon)."""
    return f"{kind}:{code}"


def defines_lookup(context: ImportContext, kind: str, code: str) -> bool:
    """Whether the ``lookups`` sheet of the file being imported defines ``code`` of ``kind``."""
    return context.defines(SHEET, lookup_key(kind, code))


@register_importer
class LookupImporter(Importer):
    sheet = SHEET
    order = 5
    required = ("kind", "code", "name")
    optional = ("is_active",)

    def prepare(
        self, rows: list[tuple[int, dict[str, str]]], context: ImportContext, errors: list[RowError]
    ) -> list[Prepared]:
        kinds = list(Lookup.Kind.values)
        seen: dict[tuple[str, str], int] = {}
        prepared: list[Prepared] = []
        for number, row in rows:
            before = len(errors)

            def fail(column: str, error: str, message: str, number: int = number) -> None:
                errors.append(RowError(number, column, error, message))

            kind = value(row, "kind").upper()
            if not kind:
                fail("kind", "required", "kind is required.")
            elif kind not in kinds:
                fail("kind", "invalid_choice", f"kind is one of {', '.join(kinds)}, not {value(row, 'kind')!r}.")
            code = value(row, "code")
            if not code:
                fail("code", "required", "code is required.")
            else:
                try:
                    code_validator(code)
                except ValidationError:
                    fail("code", "invalid_code", f"{code!r}: {code_validator.message}")
                if (kind, code) in seen:
                    fail("code", "duplicate_code_in_file", f"{kind} {code!r} is already on row {seen[kind, code]}.")
                else:
                    seen[kind, code] = number
            name = value(row, "name")
            if not name:
                fail("name", "required", "name is required.")
            active_text = value(row, "is_active").lower()
            active: bool | None = None
            if active_text in _TRUE:
                active = True
            elif active_text in _FALSE:
                active = False
            elif active_text:
                fail("is_active", "invalid_boolean", f"is_active is yes or no, not {active_text!r}.")
            if len(errors) > before:
                continue
            fields: dict[str, Any] = {"name": name}
            if active is not None:
                fields["is_active"] = active
            # "code" is what the import context records: the entry's kind and code together.
            data = {"code": lookup_key(kind, code), "kind": kind, "lookup_code": code, "fields": fields}
            prepared.append(Prepared(number, data))
        return prepared

    def apply_row(self, prepared: Prepared) -> bool:
        data = prepared.data
        lookup = Lookup.objects.filter(kind=data["kind"], code=data["lookup_code"]).first()
        if lookup is None:
            services.create_lookup(kind=data["kind"], code=data["lookup_code"], **data["fields"])
            return True
        services.update_lookup(lookup, **data["fields"])
        return False
