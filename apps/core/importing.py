"""Reading spreadsheets for bulk import: xlsx or csv in, validated rows or every error out.

The reader refuses what should never reach a service: files over the size limit, zip
bombs, formulas (a formula's cached value is not what the user sees, and re-exported
cells starting with "=" are an injection risk), wrong or missing headers, too many rows.
Each problem is reported with its row number and column, all at once, so a user can fix
the whole file in one pass. Nothing here writes; the importers validate every row, then
write all or nothing.
"""

from __future__ import annotations

import csv
import io
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from apps.core.errors import DomainError

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_ROWS = 20_000


@dataclass(frozen=True)
class RowError:
    row: int | None
    column: str | None
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


class ImportRejected(DomainError):
    """The file, or some of its rows, cannot be imported; ``errors`` lists every problem."""

    code = "import_rejected"
    status = 400

    def __init__(self, errors: list[RowError], message: str | None = None) -> None:
        self.errors = errors
        summary = message or f"The file was not imported: {len(errors)} problem(s) found."
        super().__init__(summary, details={"errors": [e.as_dict() for e in errors]})


@dataclass
class Sheet:
    """One table: its name (the xlsx sheet, or the given kind for csv), headers, rows."""

    name: str
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _reject(code: str, message: str) -> ImportRejected:
    return ImportRejected([RowError(None, None, code, message)], message)


def _normalise_header(value: Any) -> str:
    return str(value or "").strip().lower().replace(" ", "_")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def _looks_like_formula(text: str) -> bool:
    return text.startswith("=")


def _rows_to_sheet(name: str, rows: Iterable[tuple[int, list[Any]]], errors: list[RowError]) -> Sheet | None:
    iterator = iter(rows)
    try:
        _, header_cells = next(iterator)
    except StopIteration:
        return None
    headers = [_normalise_header(cell) for cell in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    sheet = Sheet(name=name, headers=headers)
    for number, cells in iterator:
        texts = [_cell_text(cell) for cell in cells[: len(headers)]]
        if not any(texts):
            continue
        if len(sheet.rows) >= MAX_ROWS:
            raise _reject("too_many_rows", f"A sheet holds at most {MAX_ROWS} rows.")
        for column, text in zip(headers, texts, strict=False):
            if _looks_like_formula(text):
                errors.append(
                    RowError(number, column, "formula_not_allowed", "Formulas are not imported; paste values.")
                )
        sheet.rows.append((number, dict(zip(headers, texts + [""] * (len(headers) - len(texts)), strict=True))))
    return sheet


def _read_xlsx(data: bytes) -> list[Sheet]:
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED_BYTES:
            raise _reject("file_too_large", "The workbook is too large once uncompressed.")
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except ImportRejected:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _reject("unreadable_file", "The file is not a readable .xlsx workbook.") from exc
    errors: list[RowError] = []
    sheets = []
    try:
        for worksheet in workbook.worksheets:
            rows = ((number, [cell.value for cell in row]) for number, row in enumerate(worksheet.iter_rows(), start=1))
            sheet = _rows_to_sheet(_normalise_header(worksheet.title), rows, errors)
            if sheet is not None:
                sheets.append(sheet)
    finally:
        workbook.close()
    if errors:
        raise ImportRejected(errors)
    return sheets


def _read_csv(data: bytes, name: str) -> list[Sheet]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _reject("unreadable_file", "CSV files must be UTF-8.") from exc
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    errors: list[RowError] = []
    rows = ((number, cells) for number, cells in enumerate(csv.reader(io.StringIO(text), dialect), start=1))
    sheet = _rows_to_sheet(name, rows, errors)
    if errors:
        raise ImportRejected(errors)
    return [sheet] if sheet is not None else []


def read_workbook(data: bytes, filename: str, default_name: str = "") -> list[Sheet]:
    """Sheets of an .xlsx (named by their titles) or a .csv (named ``default_name``)."""
    if len(data) > MAX_FILE_BYTES:
        raise _reject("file_too_large", f"Files up to {MAX_FILE_BYTES // (1024 * 1024)} MB are imported.")
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        sheets = _read_xlsx(data)
    elif lower.endswith(".csv"):
        sheets = _read_csv(data, default_name)
    else:
        raise _reject("unsupported_file_type", "Import .xlsx or .csv files.")
    if not any(sheet.rows for sheet in sheets):
        raise _reject("empty_file", "The file has no rows to import.")
    return sheets


def check_headers(sheet: Sheet, required: Iterable[str], optional: Iterable[str] = ()) -> list[RowError]:
    """Missing required columns and unknown columns, as row-1 errors."""
    required, optional = list(required), list(optional)
    errors = [
        RowError(1, column, "missing_column", f"The column {column!r} is required.")
        for column in required
        if column not in sheet.headers
    ]
    known = set(required) | set(optional)
    errors += [
        RowError(
            1, column or None, "unknown_column", f"Unknown column {column!r}; expected {', '.join(sorted(known))}."
        )
        for column in sheet.headers
        if column not in known
    ]
    return errors


def value(row: Mapping[str, str], column: str) -> str:
    return row.get(column, "").strip()


# --- Importers: one per sheet kind, registered by the app that owns the data -------------


class SystemActor:
    """The actor of an import with no person behind it (the management command).

    It holds every capability, so site-scoped services let it reach every site of the
    tenant in context, and nothing of another tenant (the tenant context still applies).
    """

    pk = None
    client_id = None
    home_site_id = None
    is_active = True

    def has_capability(self, code: str) -> bool:
        return True


SYSTEM_ACTOR = SystemActor()


@dataclass
class ImportContext:
    """Codes the file itself defines, so a later sheet may refer to an earlier sheet's rows.

    ``actor`` is who imports: the uploading person, or ``SYSTEM_ACTOR`` from the command
    line. Importers pass it to services that scope references to what the actor may see.
    """

    codes: dict[str, set[str]] = field(default_factory=dict)
    actor: Any = SYSTEM_ACTOR
    # The prepared data of each sheet's rows by code, for checks that need more than the
    # code (a checklist item's limits against a question defined earlier in the file).
    rows: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def defines(self, sheet: str, code: str) -> bool:
        return code in self.codes.get(sheet, set())

    def defined(self, sheet: str, code: str) -> dict[str, Any] | None:
        """The prepared data of the row of ``sheet`` with ``code``, if the file defines it."""
        return self.rows.get(sheet, {}).get(code)


@dataclass
class Prepared:
    """A validated row, ready for ``apply``: its row number and whatever the importer needs."""

    row: int
    data: dict[str, Any]


class Importer(ABC):
    """Base class: subclasses validate every row (``prepare``) and then write (``apply_row``).

    ``prepare`` must not write; it reports every problem it finds in ``errors`` and may
    resolve codes of rows defined earlier in the same file through ``context``.
    ``apply_row`` runs inside the import's single transaction, calls the app's services
    and returns True when it created a row (False: updated an existing one, matched by
    code). A ``DomainError`` it raises is reported against the row, and nothing is kept.
    """

    sheet: str = ""
    order: int = 50
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    def __init__(self, context: ImportContext | None = None) -> None:
        self.context = context if context is not None else ImportContext()

    @abstractmethod
    def prepare(
        self, rows: list[tuple[int, dict[str, str]]], context: ImportContext, errors: list[RowError]
    ) -> list[Prepared]: ...

    @abstractmethod
    def apply_row(self, prepared: Prepared) -> bool: ...


IMPORTERS: dict[str, type[Importer]] = {}


def register_importer(cls: type[Importer]) -> type[Importer]:
    IMPORTERS[cls.sheet] = cls
    return cls


def load_importers() -> dict[str, type[Importer]]:
    """Import every app's ``importers`` module, which registers its importers."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    for config in apps.get_app_configs():
        name = f"{config.name}.importers"
        if config.name.startswith("apps.") and find_spec(name) is not None:
            import_module(name)
    return IMPORTERS


def import_workbook(data: bytes, filename: str, kind: str = "", actor: Any = None) -> dict[str, dict[str, int]]:
    """Validate every row of every sheet, then write all of them in one transaction.

    ``actor`` is the importing person (``None``: ``SYSTEM_ACTOR``, every site of the tenant).
    Returns ``{sheet: {"created": n, "updated": m}}``. Raises ``ImportRejected`` listing
    every problem (with row numbers) and writes nothing when any row is wrong.
    """
    from django.db import transaction

    from apps.core import context as request_context
    from apps.core import tenancy

    importers = load_importers()
    sheets = read_workbook(data, filename, default_name=kind)
    errors: list[RowError] = []
    known = [sheet for sheet in sheets if sheet.name in importers]
    for sheet in sheets:
        if sheet.name not in importers:
            errors.append(
                RowError(
                    None,
                    None,
                    "unknown_sheet",
                    f"Unknown sheet {sheet.name!r}; expected {', '.join(sorted(importers))}.",
                )
            )
    known.sort(key=lambda sheet: importers[sheet.name].order)
    context = ImportContext(actor=actor if actor is not None else SYSTEM_ACTOR)
    plan: list[tuple[Importer, list[Prepared]]] = []
    for sheet in known:
        importer = importers[sheet.name](context)
        header_errors = check_headers(sheet, importer.required, importer.optional)
        errors += header_errors
        if header_errors:
            continue
        prepared = importer.prepare(sheet.rows, context, errors)
        context.codes[sheet.name] = {p.data["code"] for p in prepared if "code" in p.data}
        context.rows[sheet.name] = {p.data["code"]: p.data for p in prepared if "code" in p.data}
        plan.append((importer, prepared))
    if errors:
        raise ImportRejected(errors)
    result: dict[str, dict[str, int]] = {}
    # Every row written here is logged as coming through the import door, whoever asked.
    with request_context.entered_through(request_context.Door.IMPORT), transaction.atomic(using=tenancy.db_alias()):
        for importer, prepared in plan:
            counts = {"created": 0, "updated": 0}
            for row in prepared:
                try:
                    with transaction.atomic(using=tenancy.db_alias()):
                        created = importer.apply_row(row)
                except DomainError as exc:
                    errors.append(RowError(row.row, exc.details.get("field"), exc.code, exc.message))
                    continue
                counts["created" if created else "updated"] += 1
            result[importer.sheet] = counts
        if errors:
            raise ImportRejected(errors)  # rolls the whole import back
    return result
