"""Bulk import of people and teams (sheets ``people`` and ``teams``).

``people``: one row per person, matched on ``login`` (re-importing a file updates the
people it names). Columns: login, name, code, email, mobile, roles (role codes separated
by "|"), home_site_code, reports_to_login, department and designation (lookup codes,
stored or defined by the ``lookups`` sheet of the same file), is_active. There is no
password column: a spreadsheet is no place for passwords, so an imported person gets an
unusable password and can sign in once an admin sets one. Re-importing leaves the
password of an existing person alone.

``reports_to_login`` may name a person defined anywhere in the same sheet, earlier or
later; a row whose manager comes later gets its reporting line when the manager's row
is written.

``teams``: code, name, member_logins and lead_logins ("|"-separated logins; a lead need
not be listed as a member too); the membership in the file replaces the team's.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from apps.core.importing import ImportContext, Importer, Prepared, RowError, register_importer, value
from apps.sites.models import Site
from apps.tenants.importers import defines_lookup
from apps.tenants.models import Lookup

from .models import Person, Role, Team
from .profiles import create_person, update_person
from .teams import Member, create_team, update_team

_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n"}
_MAX_LENGTH = {"login": 150, "name": 200, "code": 50, "email": 254, "mobile": 32}
# reports_to chains longer than this in one file are treated as broken data, not walked further.
_MAX_CHAIN = 10_000


def split_list(text: str) -> list[str]:
    """``"a | b|c"`` -> ``["a", "b", "c"]`` (blanks dropped)."""
    return [part.strip() for part in text.split("|") if part.strip()]


def parse_bool(text: str, default: bool) -> bool | None:
    """A yes/no cell: blank gives ``default``; None when the text is not a yes or a no."""
    lowered = text.strip().lower()
    if not lowered:
        return default
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def _acting_person(context: ImportContext) -> Person | None:
    actor = context.actor
    return actor if isinstance(actor, Person) else None


@register_importer
class PeopleImporter(Importer):
    sheet = "people"
    order = 50
    required = ("login", "name", "roles")
    optional = (
        "code",
        "email",
        "mobile",
        "home_site_code",
        "reports_to_login",
        "department",
        "designation",
        "is_active",
    )

    def __init__(self, context: ImportContext | None = None) -> None:
        super().__init__(context)
        # Managers not written yet -> people (ids) to point at them once they are.
        self._waiting: dict[str, list[int]] = {}
        self._unwritten: set[str] | None = None

    def prepare(
        self, rows: list[tuple[int, dict[str, str]]], context: ImportContext, errors: list[RowError]
    ) -> list[Prepared]:
        logins = [value(row, "login") for _, row in rows]
        codes = [value(row, "code") for _, row in rows]
        existing = {
            login: (code, manager)
            for login, code, manager in Person.objects.values_list("login", "code", "reports_to__login")
        }
        code_owner = {code: login for login, (code, _) in existing.items() if code}
        roles = set(Role.objects.values_list("code", flat=True))
        sites = set(
            Site.objects.filter(code__in=[value(r, "home_site_code") for _, r in rows]).values_list("code", flat=True)
        )
        lookups = {
            (kind, code)
            for kind, code in Lookup.objects.filter(
                kind__in=[Lookup.Kind.DEPARTMENT, Lookup.Kind.DESIGNATION]
            ).values_list("kind", "code")
        }
        file_logins = {login for login in logins if login}
        seen_logins: set[str] = set()
        seen_codes: set[str] = set()
        managers: dict[str, str] = {}  # login -> reports_to login, as the file says
        prepared: list[Prepared] = []

        for (number, row), login, code in zip(rows, logins, codes, strict=True):
            before = len(errors)

            def fail(column: str, error: str, message: str, number: int = number) -> None:
                errors.append(RowError(number, column, error, message))

            if not login:
                fail("login", "required", "A person needs a login.")
            elif login in seen_logins:
                fail("login", "duplicate_code_in_file", f"The login {login!r} appears more than once in this sheet.")
            seen_logins.add(login)
            if not value(row, "name"):
                fail("name", "required", "A person needs a name.")
            for column, limit in _MAX_LENGTH.items():
                if len(value(row, column)) > limit:
                    fail(column, "too_long", f"At most {limit} characters.")
            if code:
                if code in seen_codes:
                    fail("code", "duplicate_code_in_file", f"The code {code!r} appears more than once in this sheet.")
                elif code_owner.get(code, login) != login:
                    fail("code", "duplicate_code", f"The code {code!r} belongs to another person.")
                seen_codes.add(code)
            email = value(row, "email")
            if email:
                try:
                    validate_email(email)
                except ValidationError:
                    fail("email", "invalid_email", f"{email!r} is not an e-mail address.")
            role_codes = split_list(value(row, "roles"))
            if not role_codes:
                fail("roles", "required", "A person needs at least one role.")
            missing_roles = [role for role in role_codes if role not in roles]
            if missing_roles:
                fail("roles", "unknown_role", f"Unknown role(s): {', '.join(missing_roles)}.")
            site_code = value(row, "home_site_code")
            if site_code and site_code not in sites and not context.defines("sites", site_code):
                fail("home_site_code", "unknown_site", f"There is no site {site_code!r} in this tenant.")
            for column, kind in (("department", Lookup.Kind.DEPARTMENT), ("designation", Lookup.Kind.DESIGNATION)):
                lookup_code = value(row, column)
                if (
                    lookup_code
                    and (kind, lookup_code) not in lookups
                    and not defines_lookup(context, kind, lookup_code)
                ):
                    fail(column, f"unknown_{column}", f"There is no {column} {lookup_code!r} in this tenant.")
            manager = value(row, "reports_to_login")
            if manager:
                if manager == login:
                    fail("reports_to_login", "reports_to_self", "A person cannot report to themselves.")
                elif manager not in file_logins and manager not in existing:
                    fail("reports_to_login", "unknown_person", f"There is no person {manager!r} in this tenant.")
                else:
                    managers[login] = manager
            active = parse_bool(value(row, "is_active"), default=True)
            if active is None:
                fail("is_active", "invalid_boolean", "Write yes or no.")
            if len(errors) > before:
                continue
            prepared.append(
                Prepared(
                    number,
                    {
                        # "code" is what other sheets refer to (teams name people by login).
                        "code": login,
                        "person_code": code,
                        "name": value(row, "name"),
                        "email": email,
                        "mobile": value(row, "mobile"),
                        "roles": role_codes,
                        "home_site_code": site_code,
                        "reports_to_login": manager,
                        "department": value(row, "department"),
                        "designation": value(row, "designation"),
                        "is_active": active,
                    },
                )
            )
        self._check_cycles(prepared, managers, {login: m for login, (_, m) in existing.items()}, errors)
        return prepared

    @staticmethod
    def _check_cycles(
        prepared: list[Prepared], managers: dict[str, str], stored: dict[str, str | None], errors: list[RowError]
    ) -> None:
        """Report each row whose reporting line, as it will be after the import, loops back."""
        for row in prepared:
            login = row.data["code"]
            seen = {login}
            current: str | None = managers.get(login)
            for _ in range(_MAX_CHAIN):
                if current is None:
                    break
                if current in seen:
                    if current == login:
                        errors.append(
                            RowError(
                                row.row,
                                "reports_to_login",
                                "reports_to_cycle",
                                "This reporting line makes a cycle.",
                            )
                        )
                    break
                seen.add(current)
                current = managers[current] if current in managers else stored.get(current)

    def apply_row(self, prepared: Prepared) -> bool:
        data = prepared.data
        login, manager_login = data["code"], data["reports_to_login"]
        if self._unwritten is None:
            self._unwritten = set(self.context.codes.get(self.sheet, set()))
        # A manager this import writes later gets its people when its own row is written.
        later = bool(manager_login) and manager_login in self._unwritten
        manager_id = None
        if manager_login and not later:
            manager_id = Person.objects.filter(login=manager_login).values_list("pk", flat=True).first()
        fields: dict[str, Any] = {
            "name": data["name"],
            "email": data["email"],
            "code": data["person_code"],
            "mobile": data["mobile"],
            "home_site_id": self._site_id(data["home_site_code"]),
            "reports_to_id": manager_id,
            "department_id": self._lookup_id(Lookup.Kind.DEPARTMENT, data["department"]),
            "designation_id": self._lookup_id(Lookup.Kind.DESIGNATION, data["designation"]),
        }
        by = _acting_person(self.context)
        person = Person.objects.filter(login=login).first()
        created = person is None
        if person is None:
            person = create_person(login=login, password=None, roles=data["roles"], **fields)
            if not data["is_active"]:
                update_person(person, by=by, is_active=False)
        else:
            update_person(person, by=by, roles=data["roles"], is_active=data["is_active"], **fields)
        self._unwritten.discard(login)
        if later:
            self._waiting.setdefault(manager_login, []).append(person.pk)
        for waiting in Person.objects.filter(pk__in=self._waiting.pop(login, [])):
            update_person(waiting, reports_to_id=person.pk)
        return created

    @staticmethod
    def _site_id(code: str) -> int | None:
        if not code:
            return None
        return Site.objects.filter(code=code).values_list("pk", flat=True).first()

    @staticmethod
    def _lookup_id(kind: str, code: str) -> int | None:
        if not code:
            return None
        return Lookup.objects.filter(kind=kind, code=code).values_list("pk", flat=True).first()


@register_importer
class TeamsImporter(Importer):
    sheet = "teams"
    order = 60
    required = ("code", "name")
    optional = ("member_logins", "lead_logins", "is_active")

    def prepare(
        self, rows: list[tuple[int, dict[str, str]]], context: ImportContext, errors: list[RowError]
    ) -> list[Prepared]:
        named = {
            login for _, row in rows for c in ("member_logins", "lead_logins") for login in split_list(value(row, c))
        }
        people = set(Person.objects.filter(login__in=named).values_list("login", flat=True))
        seen: set[str] = set()
        prepared: list[Prepared] = []
        for number, row in rows:
            before = len(errors)
            code, name = value(row, "code"), value(row, "name")
            if not code:
                errors.append(RowError(number, "code", "required", "A team needs a code."))
            elif code in seen:
                errors.append(
                    RowError(number, "code", "duplicate_code_in_file", f"The code {code!r} appears more than once.")
                )
            seen.add(code)
            if not name:
                errors.append(RowError(number, "name", "required", "A team needs a name."))
            for column, limit in (("code", 50), ("name", 200)):
                if len(value(row, column)) > limit:
                    errors.append(RowError(number, column, "too_long", f"At most {limit} characters."))
            members = split_list(value(row, "member_logins"))
            leads = split_list(value(row, "lead_logins"))
            for column, logins in (("member_logins", members), ("lead_logins", leads)):
                unknown = [login for login in logins if login not in people and not context.defines("people", login)]
                if unknown:
                    errors.append(
                        RowError(number, column, "unknown_person", f"Unknown login(s): {', '.join(unknown)}.")
                    )
                if len(set(logins)) != len(logins):
                    errors.append(RowError(number, column, "duplicate_member", "A login is listed twice."))
            active = parse_bool(value(row, "is_active"), default=True)
            if active is None:
                errors.append(RowError(number, "is_active", "invalid_boolean", "Write yes or no."))
            if len(errors) == before:
                lead_set = set(leads)
                logins = list(dict.fromkeys([*members, *leads]))
                prepared.append(
                    Prepared(
                        number,
                        {
                            "code": code,
                            "name": name,
                            "is_active": active,
                            "members": [(login, login in lead_set) for login in logins],
                        },
                    )
                )
        return prepared

    def apply_row(self, prepared: Prepared) -> bool:
        data = prepared.data
        ids = dict(Person.objects.filter(login__in=[login for login, _ in data["members"]]).values_list("login", "pk"))
        members = [Member(ids[login], is_lead) for login, is_lead in data["members"]]
        team = Team.objects.filter(code=data["code"]).first()
        if team is None:
            create_team(code=data["code"], name=data["name"], members=members, is_active=data["is_active"])
            return True
        update_team(team, name=data["name"], is_active=data["is_active"], members=members)
        return False
