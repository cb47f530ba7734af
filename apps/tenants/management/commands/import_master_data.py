"""``manage.py import_master_data <tenant> <file.xlsx|csv> [--kind sites]``.

An .xlsx workbook may hold several sheets named after what they import (``sites``,
``people``, ``assets``, ``checklists``, ...); a .csv holds one, named by ``--kind``. Every
row is validated first and every problem reported with its row number; only a file
without problems is written, in one transaction. Re-importing the same file updates the
rows (matched by code) instead of duplicating them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.importing import MAX_FILE_BYTES, ImportRejected, import_workbook, load_importers
from apps.core.tenancy import tenant_context
from apps.tenants.models import Tenant


class Command(BaseCommand):
    help = "Import master data of one tenant from an .xlsx workbook or a .csv file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tenant", help="Tenant slug")
        parser.add_argument("file", help="Path to an .xlsx or .csv file")
        parser.add_argument("--kind", default="", help="What a .csv file holds: " + ", ".join(sorted(load_importers())))

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"], is_active=True).first()
        if tenant is None:
            raise CommandError(f"No active tenant {options['tenant']!r}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CommandError(f"Files up to {MAX_FILE_BYTES // (1024 * 1024)} MB are imported.")
        if path.suffix.lower() == ".csv" and not options["kind"]:
            raise CommandError("Say what the .csv holds with --kind.")
        try:
            with tenant_context(tenant):
                result = import_workbook(path.read_bytes(), path.name, options["kind"])
        except ImportRejected as exc:
            for error in exc.errors:
                where = f"row {error.row}" if error.row else "file"
                column = f", column {error.column}" if error.column else ""
                self.stderr.write(f"{where}{column}: {error.message} [{error.code}]")
            raise CommandError(exc.message) from exc
        self.stdout.write(json.dumps(result, sort_keys=True))
