"""Person profiles: onboarding, edits, deactivation and the sites a person may work at.

Part of the people services (re-exported by ``apps.people.services``). Every foreign id
a caller sends is looked up in the tenant in context, so an id of another tenant is
answered exactly like an id that does not exist (``unknown_<field>``), and nothing is
written when any check fails.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from apps.audit import services as changelog
from apps.core import tenancy
from apps.core.errors import DomainError
from apps.sites.models import Client, Site, SiteAssignment, SiteGroup
from apps.tenants.models import Lookup

from .credentials import check_password_strength, revoke_all_sessions
from .models import Person, Role, RoleAssignment
from .roles import check_keeps_an_admin

# Profile fields a service caller may set directly (ids are resolved in the tenant first).
TEXT_FIELDS = ("login", "name", "email", "code", "mobile", "bound_device_id")
REFERENCE_FIELDS = ("home_site", "reports_to", "department", "designation", "client")
_LOOKUP_KIND = {"department": Lookup.Kind.DEPARTMENT, "designation": Lookup.Kind.DESIGNATION}
_UNIQUE_CONSTRAINTS = {
    "people_person_tenant_login": ("duplicate_login", "login"),
    "people_person_tenant_code": ("duplicate_code", "code"),
}
# Deep enough for any real org chart; stops a walk over corrupt data from running forever.
_MAX_REPORTING_DEPTH = 1000


def _unknown(field: str, value: Any) -> DomainError:
    label = field.replace("_", " ")
    return DomainError(
        f"There is no {label} with id {value} in this tenant.",
        code=f"unknown_{field}",
        details={"field": field, "id": value},
    )


def _reference(field: str, value: Any) -> models.Model | None:
    """The object an id field names, looked up in the tenant in context (None clears it)."""
    if value is None:
        return None
    if isinstance(value, models.Model):
        value = value.pk
    queryset: models.QuerySet[Any]
    if field == "home_site":
        queryset = Site.objects.all()
    elif field == "reports_to":
        queryset = Person.objects.all()
    elif field == "client":
        queryset = Client.objects.all()
    else:
        queryset = Lookup.objects.filter(kind=_LOOKUP_KIND[field])
    found = queryset.filter(pk=value).first() if isinstance(value, int) else None
    if found is None:
        raise _unknown(field, value)
    return found


def resolve_roles(roles: Sequence[Role | str]) -> list[Role]:
    """Roles given as objects or codes, checked to be roles of the tenant in context."""
    codes = sorted({role if isinstance(role, str) else role.code for role in roles})
    found = {role.code: role for role in Role.objects.filter(code__in=codes)}
    missing = [code for code in codes if code not in found]
    if missing:
        raise DomainError(
            f"Unknown role(s): {', '.join(missing)}.", code="unknown_role", details={"field": "roles", "codes": missing}
        )
    return [found[code] for code in codes]


def _check_reporting_line(person: Person, manager: Person | None) -> None:
    if manager is None or person.pk is None:
        return
    if manager.pk == person.pk:
        raise DomainError(
            "A person cannot report to themselves.", code="reports_to_self", details={"field": "reports_to"}
        )
    seen: set[int] = set()
    current: int | None = manager.pk
    for _ in range(_MAX_REPORTING_DEPTH):
        if current is None or current in seen:
            return
        if current == person.pk:
            raise DomainError(
                "This reporting line would make a cycle.",
                code="reports_to_cycle",
                details={"field": "reports_to", "id": manager.pk},
            )
        seen.add(current)
        current = Person.objects.filter(pk=current).values_list("reports_to_id", flat=True).first()


def _check_unique(person: Person) -> None:
    others = Person.objects.exclude(pk=person.pk) if person.pk else Person.objects.all()
    if others.filter(login=person.login).exists():
        raise DomainError(
            f"The login {person.login!r} is taken in this tenant.",
            code="duplicate_login",
            details={"field": "login", "value": person.login},
        )
    if person.code and others.filter(code=person.code).exists():
        raise DomainError(
            f"The code {person.code!r} is taken in this tenant.",
            code="duplicate_code",
            details={"field": "code", "value": person.code},
        )


def _apply(person: Person, fields: dict[str, Any]) -> None:
    """Set text fields and resolved references on ``person`` and validate it (no write)."""
    for name in TEXT_FIELDS:
        if name in fields:
            setattr(person, name, fields[name] if fields[name] is not None else "")
    for name in REFERENCE_FIELDS:
        key = f"{name}_id"
        if key in fields:
            setattr(person, name, _reference(name, fields[key]))
    if "reports_to_id" in fields:
        _check_reporting_line(person, person.reports_to)
    try:
        person.full_clean(exclude=["password", "tenant", *REFERENCE_FIELDS], validate_constraints=False)
    except DjangoValidationError as exc:
        raise DomainError("The person is not valid.", code="invalid", details={"fields": exc.message_dict}) from exc
    _check_unique(person)


def _save(person: Person, **kwargs: Any) -> None:
    """Save; a unique constraint lost to a concurrent writer still gets its stable code."""
    try:
        with transaction.atomic(using=tenancy.db_alias()):
            person.save(**kwargs)
    except IntegrityError as exc:
        for constraint, (code, field) in _UNIQUE_CONSTRAINTS.items():
            if constraint in str(exc):
                raise DomainError(
                    f"The {field} {getattr(person, field)!r} is taken in this tenant.",
                    code=code,
                    details={"field": field, "value": getattr(person, field)},
                ) from exc
        raise


def _set_roles(person: Person, roles: list[Role]) -> None:
    wanted = {role.pk for role in roles}
    RoleAssignment.objects.filter(person=person).exclude(role_id__in=wanted).delete()
    have = set(RoleAssignment.objects.filter(person=person).values_list("role_id", flat=True))
    for role in roles:
        if role.pk not in have:
            RoleAssignment.objects.create(person=person, role=role)
    person.__dict__.pop("_capabilities", None)  # recomputed from the new roles on next use
    if hasattr(person, "_prefetched_objects_cache"):
        person._prefetched_objects_cache.pop("roles", None)


def create_person(
    *,
    login: str,
    name: str,
    password: str | None,
    roles: Sequence[Role | str],
    email: str = "",
    code: str = "",
    mobile: str = "",
    bound_device_id: str = "",
    home_site_id: int | None = None,
    reports_to_id: int | None = None,
    department_id: int | None = None,
    designation_id: int | None = None,
    client_id: int | None = None,
    is_active: bool = True,
) -> Person:
    """Onboard a person in the tenant in context with roles (objects or codes) and a profile.

    A password is checked against the installation's validators; ``None`` makes the
    account unable to sign in until one is set. ``is_active=False`` records the person
    as already gone (inactive, ``left_on`` today), as deactivating them at once would.
    """
    person = Person()
    _apply(
        person,
        {
            "login": login,
            "name": name,
            "email": email,
            "code": code,
            "mobile": mobile,
            "bound_device_id": bound_device_id,
            "home_site_id": home_site_id,
            "reports_to_id": reports_to_id,
            "department_id": department_id,
            "designation_id": designation_id,
            "client_id": client_id,
        },
    )
    resolved = resolve_roles(roles)
    if password is None:
        person.set_unusable_password()
    else:
        check_password_strength(password, person)
        person.set_password(password)
    with transaction.atomic(using=tenancy.db_alias()):
        _save(person)
        _set_roles(person, resolved)
        if not is_active:
            deactivate_person(person)
    return person


def update_person(person: Person, *, by: Person | None = None, **fields: Any) -> Person:
    """Edit a person's profile. Keys: the text fields, ``<reference>_id``, ``roles`` (objects
    or codes; replaces the set), ``password`` and ``is_active`` (false deactivates)."""
    allowed = {*TEXT_FIELDS, *(f"{name}_id" for name in REFERENCE_FIELDS), "roles", "password", "is_active"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"update_person() got unexpected fields {sorted(unknown)}")
    _apply(person, fields)
    roles = resolve_roles(fields["roles"]) if fields.get("roles") is not None else None
    password = fields.get("password")
    if password:
        check_password_strength(password, person)
        person.set_password(password)
    with transaction.atomic(using=tenancy.db_alias()):
        if roles is not None:
            check_keeps_an_admin(person, roles)
        _save(person)
        if roles is not None:
            _set_roles(person, roles)
        if password:
            revoke_all_sessions(person)
        if fields.get("is_active") is False and person.is_active:
            deactivate_person(person, by=by)
        elif fields.get("is_active") is True and not person.is_active:
            reactivate_person(person)
    return person


def deactivate_person(person: Person, *, left_on: datetime.date | None = None, by: Person | None = None) -> Person:
    """A person left: inactive from now on, ``left_on`` recorded, every sign-in revoked.

    The row stays, so jobs, attendance and reports that name them remain intact.
    """
    if by is not None and by.pk == person.pk:
        raise DomainError("You cannot deactivate your own account.", code="cannot_deactivate_self", status=409)
    with transaction.atomic(using=tenancy.db_alias()):
        person.is_active = False
        person.left_on = left_on or person.left_on or timezone.localdate()
        person.save(update_fields=["is_active", "left_on", "modified_at", "modified_by"])
        revoke_all_sessions(person)
    return person


def reactivate_person(person: Person) -> Person:
    """Take a person back: active again, ``left_on`` cleared (old sessions stay revoked)."""
    with transaction.atomic(using=tenancy.db_alias()):
        person.is_active = True
        person.left_on = None
        person.save(update_fields=["is_active", "left_on", "modified_at", "modified_by"])
    return person


def _resolve_ids(model: type[models.Model], field: str, ids: Iterable[int]) -> list[int]:
    wanted = sorted(set(ids))
    found = set(model.objects.filter(pk__in=wanted).values_list("pk", flat=True))  # type: ignore[attr-defined]
    missing = [value for value in wanted if value not in found]
    if missing:
        raise DomainError(
            f"Unknown {field.replace('_', ' ')} id(s) in this tenant: {', '.join(map(str, missing))}.",
            code=f"unknown_{field}",
            details={"field": f"{field}s", "ids": missing},
        )
    return wanted


def set_site_assignments(
    person: Person, *, home_site_id: int | None, site_ids: Iterable[int], site_group_ids: Iterable[int]
) -> Person:
    """Replace where a person may work: home site, assigned sites and assigned site groups.

    These feed ``apps.sites.selectors.sites_for``; every id must be of the tenant in context.
    """
    home_site = _reference("home_site", home_site_id)
    sites = _resolve_ids(Site, "site", site_ids)
    groups = _resolve_ids(SiteGroup, "site_group", site_group_ids)
    with transaction.atomic(using=tenancy.db_alias()):
        if person.home_site_id != (home_site.pk if home_site else None):
            person.home_site = home_site  # type: ignore[assignment]
            person.save(update_fields=["home_site", "modified_at", "modified_by"])
        current = SiteAssignment.objects.filter(person=person)
        current.filter(site__isnull=False).exclude(site_id__in=sites).delete()
        current.filter(site_group__isnull=False).exclude(site_group_id__in=groups).delete()
        have_sites = set(current.filter(site__isnull=False).values_list("site_id", flat=True))
        have_groups = set(current.filter(site_group__isnull=False).values_list("site_group_id", flat=True))
        added = SiteAssignment.objects.bulk_create(
            [SiteAssignment(person=person, site_id=pk) for pk in sites if pk not in have_sites]
            + [SiteAssignment(person=person, site_group_id=pk) for pk in groups if pk not in have_groups]
        )
        # Removals above are logged row by row; these inserts bypass the receivers.
        changelog.record_bulk(
            SiteAssignment,
            changelog.Action.BULK_CREATE,
            count=len(added),
            ids=[row.pk for row in added],
            related=person,
            summary=f"{len(added)} site assignments added",
        )
    return person
