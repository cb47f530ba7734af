"""``manage.py create_operator <login> --email ...``: create or promote a platform operator.

Operators sign in to the console and the admin with the platform tenant's slug (company
``platform`` unless ``PLATFORM_TENANT_SLUG`` says otherwise) and govern tenants, beat
schedules and task results; see ``apps/people/operators.py``. The password is read from
``--password-env`` (the name of an environment variable) or asked for at a prompt, never
taken on the command line, where it would land in shell history and the process list.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.errors import DomainError
from apps.core.management.passwords import read_password
from apps.people.operators import create_operator


class Command(BaseCommand):
    help = "Create a platform operator, or promote one (new password, active again)."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # No abbreviated options: "--password <secret>" would pass for "--password-env" and the
        # secret would be echoed back as the name of a missing environment variable.
        return super().create_parser(prog_name, subcommand, allow_abbrev=False, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("login", help="The operator's login in the platform tenant")
        parser.add_argument("--name", default="", help="Full name (defaults to the login)")
        parser.add_argument("--email", default="")
        parser.add_argument("--password-env", help="Name of an environment variable holding the password")

    def _password(self, options: dict[str, Any]) -> str:
        return read_password(options["password_env"], "operator")

    def handle(self, *args: Any, **options: Any) -> None:
        password = self._password(options)
        try:
            result = create_operator(
                login=options["login"], password=password, name=options["name"], email=options["email"]
            )
        except DomainError as exc:
            reasons = " ".join(str(reason) for reason in exc.details.get("messages", []))
            raise CommandError(f"{exc.message} {reasons}".strip()) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        verb = "created" if result.created else "promoted"
        self.stdout.write(
            self.style.SUCCESS(
                f"Operator {result.person.login} {verb}; sign in with company {result.tenant.slug} at /admin/."
            )
        )
