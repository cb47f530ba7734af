"""Factories for the tenant-isolation test (see apps/core/testing/isolation.py)."""

from __future__ import annotations

from uuid import uuid4

from apps.core.testing import isolation_factory, isolation_graphql_args
from apps.people.models import Person, Team
from apps.people.services import Member, create_person, create_team
from apps.tenants.models import Tenant


@isolation_factory(Person)
def make_person(tenant: Tenant) -> Person:
    suffix = uuid4().hex[:12]
    return create_person(login=f"isolation-{suffix}", name=f"Isolation {suffix}", password=None, roles=[])


@isolation_factory(Team)
def make_team(tenant: Tenant) -> Team:
    suffix = uuid4().hex[:8]
    member = make_person(tenant)
    return create_team(code=f"T-{suffix}", name=f"Isolation team {suffix}", members=[Member(member.pk, is_lead=True)])


@isolation_graphql_args("person")
def person_args(person: Person) -> dict[str, str]:
    return {"id": str(person.pk)}
