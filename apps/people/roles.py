"""Roles of a tenant: named capability sets that tenant admins edit.

Every change keeps someone able to administer the tenant: a role losing
``admin.manage``, a person losing their last administering role, or a role deleted
while people hold it would otherwise lock the company out of its own settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.core import tenancy
from apps.core.errors import DomainError

from .models import Person, Role, RoleAssignment

ADMIN_CAPABILITY = "admin.manage"


class RoleError(DomainError):
    code = "invalid_role"
    message = "The role is not valid."


def _administering_roles(*, without: Role | None = None) -> set[int]:
    ids = set(Role.objects.filter(capabilities__contains=[ADMIN_CAPABILITY]).values_list("pk", flat=True))
    if without is not None:
        ids.discard(without.pk)
    return ids


def _someone_administers(role_ids: Iterable[int], *, besides: Person | None = None) -> bool:
    holders = Person.objects.filter(is_active=True, roles__in=list(role_ids))
    if besides is not None:
        holders = holders.exclude(pk=besides.pk)
    return holders.exists()


def _last_admin() -> RoleError:
    return RoleError(
        "Nobody else would be left to administer the company: give another active person an administering role first.",
        code="last_admin",
        status=409,
    )


def check_keeps_an_admin(person: Person, roles: Sequence[Role]) -> None:
    """Refuse giving ``person`` only ``roles`` when that leaves the tenant without an admin."""
    if not person.is_active or any(ADMIN_CAPABILITY in role.capabilities for role in roles):
        return
    if not person.roles.filter(capabilities__contains=[ADMIN_CAPABILITY]).exists():
        return  # they were not administering anything
    if not _someone_administers(_administering_roles(), besides=person):
        raise _last_admin()


def _save(role: Role) -> Role:
    try:
        role.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        field = next(iter(exc.message_dict))
        raise RoleError("; ".join(exc.message_dict[field]), code=f"invalid_{field}", details={"field": field}) from exc
    clash = Role.objects.filter(code=role.code)
    if role.pk is not None:
        clash = clash.exclude(pk=role.pk)
    if clash.exists():
        raise RoleError(f"Another role has the code {role.code!r}.", code="duplicate_code", details={"field": "code"})
    try:
        with transaction.atomic(using=tenancy.db_alias()):
            role.save()
    except IntegrityError as exc:
        raise RoleError(
            f"Another role has the code {role.code!r}.", code="duplicate_code", details={"field": "code"}
        ) from exc
    return role


def create_role(*, code: str, name: str, capabilities: Sequence[str] = ()) -> Role:
    """A new role of the tenant in context; capability codes come from ``capabilities.CAPABILITIES``."""
    return _save(Role(code=code, name=name, capabilities=sorted(set(capabilities))))


def update_role(role: Role, **changes: Any) -> Role:
    """Change ``code``, ``name`` or ``capabilities`` (which replaces the set)."""
    unknown = set(changes) - {"code", "name", "capabilities"}
    if unknown:
        raise TypeError(f"update_role() got unexpected fields {sorted(unknown)}")
    with transaction.atomic(using=tenancy.db_alias()):
        locked = Role.objects.select_for_update().get(pk=role.pk)
        loses_admin = ADMIN_CAPABILITY in locked.capabilities and ADMIN_CAPABILITY not in changes.get(
            "capabilities", locked.capabilities
        )
        if loses_admin and not _someone_administers(_administering_roles(without=role)):
            raise _last_admin()
        for name, value in changes.items():
            setattr(role, name, sorted(set(value)) if name == "capabilities" else value)
        return _save(role)


def delete_role(role: Role) -> None:
    """Delete a role nobody holds (people who left included: their history names it)."""
    with transaction.atomic(using=tenancy.db_alias()):
        holders = RoleAssignment.objects.filter(role=role).count()
        if holders:
            raise RoleError(
                f"{holders} people hold the role {role.code!r}; give them another role first.",
                code="role_in_use",
                status=409,
                details={"people": holders},
            )
        role.delete()
