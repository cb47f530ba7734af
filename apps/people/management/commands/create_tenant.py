"""``manage.py create_tenant <slug> "<name>" --admin-login admin``: onboard a company.

Creates the tenant, its standard roles and a first administrator. The password is read
from ``--admin-password-env`` (the name of an environment variable) or asked for
interactively, never taken on the command line where it would land in shell history.

It lives in the people app, beside ``create_operator``: the tenant itself comes from the
tenants app's service, and the first administrator is a person.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from apps.core.errors import DomainError
from apps.core.management.passwords import read_password
from apps.core.tenancy import tenant_context
from apps.people.capabilities import ADMIN
from apps.people.services import create_person, ensure_seed_roles
from apps.tenants.models import Tenant
from apps.tenants.services import create_tenant


class Command(BaseCommand):
    help = "Create a tenant with its standard roles and a first administrator."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # No abbreviated options: "--password <secret>" would pass for "--password-env" and the
        # secret would be echoed back as the name of a missing environment variable.
        return super().create_parser(prog_name, subcommand, allow_abbrev=False, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="Short lowercase id the company signs in with, e.g. acme")
        parser.add_argument("name", help="Company name")
        parser.add_argument("--timezone", default="UTC")
        parser.add_argument("--database", default="default", help="Database alias for a dedicated tenant")
        parser.add_argument("--admin-login", default="admin")
        parser.add_argument("--admin-name", default="Administrator")
        parser.add_argument("--admin-email", default="")
        parser.add_argument("--admin-password-env", help="Name of an environment variable holding the admin's password")

    def _password(self, options: dict[str, Any]) -> str:
        return read_password(options["admin_password_env"], "administrator")

    def _create_admin(self, tenant: Tenant, options: dict[str, Any], password: str) -> None:
        with tenant_context(tenant):
            roles = ensure_seed_roles()
            create_person(
                login=options["admin_login"],
                name=options["admin_name"],
                email=options["admin_email"],
                password=password,
                roles=[roles[ADMIN]],
            )

    def handle(self, *args: Any, **options: Any) -> None:
        if Tenant.objects.filter(slug=options["slug"]).exists():
            raise CommandError(f"A tenant with slug {options['slug']!r} already exists.")
        if options["database"] not in settings.DATABASES:
            raise CommandError(f"Unknown database alias {options['database']!r}.")
        password = self._password(options)
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from exc
        try:
            # One transaction (per database): a failure leaves no tenant without its admin.
            with transaction.atomic(), transaction.atomic(using=options["database"]):
                tenant = create_tenant(
                    slug=options["slug"],
                    name=options["name"],
                    timezone=options["timezone"],
                    db_alias=options["database"],
                )
                self._create_admin(tenant, options, password)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Tenant {tenant.slug} created with administrator {options['admin_login']}.")
        )
