"""Reading spreadsheets for bulk import: xlsx or csv in, validated rows or every error out.

The reader refuses what should never reach a service: files over the size limit, zip
bombs (too many parts, too large once uncompressed, compressed too well), workbooks
whose XML declares a DTD (entities are expanded by the XML parser, so a DTD is refused
before openpyxl reads anything) or another encoding than UTF-8, CSV cells over the csv
module's field limit, cells holding NUL or a lone surrogate (``apps.core.cleaning``),
formulas (a formula's cached value is not what the user sees, and re-exported cells
starting with "=" are an injection risk), wrong or missing headers, too many rows.
Each problem is reported with its row number and column, all at once, so a user can fix
the whole file in one pass. Nothing here writes; the importers validate every row, then
write all or nothing.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from apps.core import cleaning
from apps.core.errors import DomainError

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_ROWS = 20_000
#: An .xlsx is a zip of a few dozen XML parts; thousands of parts is not a workbook.
MAX_ARCHIVE_MEMBERS = 1000
#: XML compresses about 10-30 times; a part above this ratio (and over 1 MiB) is a bomb.
MAX_COMPRESSION_RATIO = 200
_RATIO_FLOOR_BYTES = 1024 * 1024
# Parts openpyxl hands to an XML parser.
_XML_PARTS = (".xml", ".rels", ".vml")
_DTD_MARKERS = (b"<!doctype", b"<!entity")
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


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


def _bad_characters(number: int, column: str | None, text: str) -> RowError | None:
    character = cleaning.bad_character(text)
    if character is None:
        return None
    return RowError(
        number,
        column,
        cleaning.InvalidCharacters.code,
        f"The cell holds {cleaning.character_name(character)}, which cannot be stored; remove it.",
    )


def _rows_to_sheet(name: str, rows: Iterable[tuple[int, list[Any]]], errors: list[RowError]) -> Sheet | None:
    iterator = iter(rows)
    try:
        _, header_cells = next(iterator)
    except StopIteration:
        return None
    headers = [_normalise_header(cell) for cell in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    for header in headers:
        problem = _bad_characters(1, None, header)
        if problem is not None:
            raise ImportRejected([problem])  # every other message would name the column
    sheet = Sheet(name=name, headers=headers)
    for number, cells in iterator:
        texts = [_cell_text(cell) for cell in cells[: len(headers)]]
        if not any(texts):
            continue
        if len(sheet.rows) >= MAX_ROWS:
            raise _reject("too_many_rows", f"A sheet holds at most {MAX_ROWS} rows.")
        for index, (column, text) in enumerate(zip(headers, texts, strict=False)):
            if _looks_like_formula(text):
                errors.append(
                    RowError(number, column, "formula_not_allowed", "Formulas are not imported; paste values.")
                )
            problem = _bad_characters(number, column, text)
            if problem is not None:
                errors.append(problem)
                texts[index] = ""  # importers may echo a cell in their messages; never this one
        sheet.rows.append((number, dict(zip(headers, texts + [""] * (len(headers) - len(texts)), strict=True))))
    return sheet


def _check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse a zip that is no plain workbook before any XML in it is parsed.

    Sizes are the ones the archive declares; ``zipfile`` never inflates a part beyond its
    declared size, so the limits hold for what openpyxl reads too.
    """
    members = archive.infolist()
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise _reject("too_many_parts", f"A workbook has at most {MAX_ARCHIVE_MEMBERS} parts.")
    if sum(info.file_size for info in members) > MAX_UNCOMPRESSED_BYTES:
        raise _reject("file_too_large", "The workbook is too large once uncompressed.")
    for info in members:
        if info.file_size > _RATIO_FLOOR_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(1, info.compress_size):
            raise _reject("compression_ratio_too_high", "The workbook is compressed beyond any real spreadsheet.")
    for info in members:
        if info.filename.lower().endswith(_XML_PARTS):
            _check_xml_part(archive, info)


def _check_xml_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse a part that declares a DTD (its entities would be expanded: "billion laughs",
    external files) or is not UTF-8 (where a DTD could hide from the byte scan below)."""
    tail = b""
    with archive.open(info) as part:
        head = part.read(64 * 1024)
        chunk = head.removeprefix(b"\xef\xbb\xbf").lstrip()
        if b"\x00" in chunk[:4] or chunk[:1] not in (b"<", b""):
            raise _reject("unsupported_encoding", f"The part {info.filename} is not UTF-8 XML.")
        declared = _XML_ENCODING.match(chunk)
        if declared is not None and declared.group(1).lower() not in (b"utf-8", b"utf8"):
            raise _reject("unsupported_encoding", f"The part {info.filename} is not UTF-8 XML.")
        while chunk:
            window = (tail + chunk).lower()
            if any(marker in window for marker in _DTD_MARKERS):
                raise _reject("dtd_not_allowed", "Workbooks with a DTD (<!DOCTYPE ...>) are not imported.")
            tail = window[-16:]
            chunk = part.read(64 * 1024)


# What a damaged workbook makes zipfile, zlib, the XML parser or openpyxl raise.
_UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, OSError, SyntaxError)


def _read_xlsx(data: bytes) -> list[Sheet]:
    from openpyxl import load_workbook

    try:
        _check_archive(zipfile.ZipFile(io.BytesIO(data)))
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except ImportRejected:
        raise
    except _UNREADABLE as exc:  # SyntaxError: xml.etree's ParseError
        raise _reject("unreadable_file", "The file is not a readable .xlsx workbook.") from exc
    errors: list[RowError] = []
    sheets = []
    try:
        for worksheet in workbook.worksheets:
            rows = ((number, [cell.value for cell in row]) for number, row in enumerate(worksheet.iter_rows(), start=1))
            sheet = _rows_to_sheet(_normalise_header(worksheet.title), rows, errors)
            if sheet is not None:
                sheets.append(sheet)
    except ImportRejected:
        raise
    except _UNREADABLE as exc:  # a read-only workbook parses its sheets only now
        raise _reject("unreadable_file", "The file is not a readable .xlsx workbook.") from exc
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
    sheet = _rows_to_sheet(name, _csv_rows(text, dialect), errors)
    if errors:
        raise ImportRejected(errors)
    return [sheet] if sheet is not None else []


def _csv_rows(text: str, dialect: Any) -> Iterable[tuple[int, list[str]]]:
    """Numbered records; a record the csv module cannot read (a cell over its 128 KiB field
    limit, a stray quote) is reported with its number, and the file stops there: past
    such a record the reader's idea of where records start cannot be trusted."""
    reader = csv.reader(io.StringIO(text), dialect)
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            too_large = "field larger than field limit" in str(exc)
            code, message = (
                ("cell_too_large", f"A cell is larger than {csv.field_size_limit() // 1024} KiB.")
                if too_large
                else ("unreadable_row", "The row is not valid CSV.")
            )
            raise ImportRejected([RowError(number, None, code, message)], message) from exc
        yield number, cells


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
