"""Teams: named groups of people with leads (re-exported by ``apps.people.services``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from apps.core import tenancy
from apps.core.errors import DomainError

from .models import Person, Team, TeamMembership


@dataclass(frozen=True)
class Member:
    person_id: int
    is_lead: bool = False


def _members(members: Iterable[Member | dict[str, Any]]) -> list[Member]:
    """Check members: each person once, every person of the tenant in context."""
    parsed = [
        m if isinstance(m, Member) else Member(int(m["person_id"]), bool(m.get("is_lead", False))) for m in members
    ]
    ids = [m.person_id for m in parsed]
    repeated = sorted({pk for pk in ids if ids.count(pk) > 1})
    if repeated:
        raise DomainError(
            "A person is listed more than once.", code="duplicate_member", details={"field": "members", "ids": repeated}
        )
    found = set(Person.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = sorted(pk for pk in ids if pk not in found)
    if missing:
        raise DomainError(
            f"Unknown person id(s) in this tenant: {', '.join(map(str, missing))}.",
            code="unknown_person",
            details={"field": "members", "ids": missing},
        )
    return parsed


def _check(team: Team) -> None:
    try:
        team.full_clean(exclude=["tenant"], validate_constraints=False)
    except DjangoValidationError as exc:
        raise DomainError("The team is not valid.", code="invalid", details={"fields": exc.message_dict}) from exc
    if Team.objects.filter(code=team.code).exclude(pk=team.pk).exists():
        raise DomainError(
            f"The team code {team.code!r} is taken in this tenant.",
            code="duplicate_code",
            details={"field": "code", "value": team.code},
        )


def _save(team: Team, members: list[Member] | None) -> Team:
    try:
        with transaction.atomic(using=tenancy.db_alias()):
            team.save()
            if members is not None:
                wanted = {m.person_id: m for m in members}
                TeamMembership.objects.filter(team=team).exclude(person_id__in=wanted).delete()
                have = {row.person_id: row for row in TeamMembership.objects.filter(team=team)}
                for member in members:
                    row = have.get(member.person_id)
                    if row is None:
                        TeamMembership.objects.create(team=team, person_id=member.person_id, is_lead=member.is_lead)
                    elif row.is_lead != member.is_lead:
                        row.is_lead = member.is_lead
                        row.save(update_fields=["is_lead", "modified_at", "modified_by"])
    except IntegrityError as exc:
        if "people_team_tenant_code" in str(exc):
            raise DomainError(
                f"The team code {team.code!r} is taken in this tenant.",
                code="duplicate_code",
                details={"field": "code", "value": team.code},
            ) from exc
        raise
    return team


def create_team(
    *, code: str, name: str, members: Iterable[Member | dict[str, Any]] = (), is_active: bool = True
) -> Team:
    """Create a team of the tenant in context with its members (``person_id``, ``is_lead``)."""
    team = Team(code=code, name=name, is_active=is_active)
    _check(team)
    return _save(team, _members(members))


def update_team(team: Team, *, members: Iterable[Member | dict[str, Any]] | None = None, **fields: Any) -> Team:
    """Edit code, name or active flag; ``members``, when given, replaces the membership."""
    unknown = set(fields) - {"code", "name", "is_active"}
    if unknown:
        raise TypeError(f"update_team() got unexpected fields {sorted(unknown)}")
    for name, value in fields.items():
        setattr(team, name, value)
    _check(team)
    return _save(team, _members(members) if members is not None else None)


def deactivate_team(team: Team) -> Team:
    """Retire a team; schedules and jobs that named it keep their history."""
    return update_team(team, is_active=False)
