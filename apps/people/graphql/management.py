"""Person and team mutations: parse, call the people services, return the object or a coded error."""

from __future__ import annotations

from typing import Any

import graphene

from apps.core.errors import NotFound
from apps.core.graphql import require_capability
from apps.people import selectors, services
from apps.people.models import Person, Team

from .types import PersonType, TeamType

MANAGE = "people.manage"


def _person(viewer: Any, person_id: str) -> Person:
    person = selectors.get_person_for(viewer, person_id)
    if person is None:
        raise NotFound("No such person.")
    return person


def _team(viewer: Any, team_id: str) -> Team:
    team = selectors.get_team_for(viewer, team_id)
    if team is None:
        raise NotFound("No such team.")
    return team


class _PersonArguments:
    email = graphene.String()
    code = graphene.String()
    mobile = graphene.String()
    bound_device_id = graphene.String()
    home_site_id = graphene.Int(description="Id of a site of the tenant; null clears it.")
    reports_to_id = graphene.Int(description="Id of a person of the tenant; null clears it.")
    department_id = graphene.Int(description="Id of a DEPARTMENT lookup; null clears it.")
    designation_id = graphene.Int(description="Id of a DESIGNATION lookup; null clears it.")
    client_id = graphene.Int(description="For client viewers: id of their client; null clears it.")
    roles = graphene.List(graphene.NonNull(graphene.String), description="Role codes (replaces the set).")
    password = graphene.String(description="Checked against the password rules.")


class CreatePerson(graphene.Mutation):
    """Onboard a person with roles and a profile (needs people.manage)."""

    class Arguments(_PersonArguments):
        login = graphene.String(required=True)
        name = graphene.String(required=True)

    person = graphene.Field(PersonType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, **fields: Any) -> CreatePerson:
        require_capability(info, MANAGE)
        fields.setdefault("roles", [])
        fields.setdefault("password", None)
        if fields["roles"] is None:
            fields["roles"] = []
        person = services.create_person(**fields)
        return CreatePerson(person=person)


class UpdatePerson(graphene.Mutation):
    """Edit a person; only the arguments given change (needs people.manage)."""

    class Arguments(_PersonArguments):
        id = graphene.ID(required=True)
        login = graphene.String()
        name = graphene.String()
        is_active = graphene.Boolean(description="false deactivates, true takes the person back.")

    person = graphene.Field(PersonType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, **fields: Any) -> UpdatePerson:
        viewer = require_capability(info, MANAGE)
        person = services.update_person(_person(viewer, id), by=viewer, **fields)
        return UpdatePerson(person=person)


class DeactivatePerson(graphene.Mutation):
    """A person left: they can no longer sign in and their sessions end (needs people.manage)."""

    class Arguments:
        id = graphene.ID(required=True)
        left_on = graphene.Date(description="Last working day; today when omitted.")

    person = graphene.Field(PersonType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, left_on: Any = None) -> DeactivatePerson:
        viewer = require_capability(info, MANAGE)
        person = services.deactivate_person(_person(viewer, id), left_on=left_on, by=viewer)
        return DeactivatePerson(person=person)


class TeamMemberInput(graphene.InputObjectType):
    person_id = graphene.Int(required=True)
    is_lead = graphene.Boolean(default_value=False)


def _members(rows: list[Any] | None) -> list[services.Member] | None:
    if rows is None:
        return None
    return [services.Member(person_id=row.person_id, is_lead=bool(row.is_lead)) for row in rows]


class CreateTeam(graphene.Mutation):
    """Create a team with its members (needs people.manage)."""

    class Arguments:
        code = graphene.String(required=True)
        name = graphene.String(required=True)
        is_active = graphene.Boolean()
        members = graphene.List(graphene.NonNull(TeamMemberInput))

    team = graphene.Field(TeamType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, code: str, name: str, **fields: Any) -> CreateTeam:
        viewer = require_capability(info, MANAGE)
        team = services.create_team(
            code=code,
            name=name,
            is_active=fields.get("is_active", True) is not False,
            members=_members(fields.get("members")) or [],
            by=viewer,
        )
        return CreateTeam(team=selectors.team_as_written_by(viewer, team))


class UpdateTeam(graphene.Mutation):
    """Edit a team; ``members``, when given, replaces the membership (needs people.manage)."""

    class Arguments:
        id = graphene.ID(required=True)
        code = graphene.String()
        name = graphene.String()
        is_active = graphene.Boolean()
        members = graphene.List(graphene.NonNull(TeamMemberInput))

    team = graphene.Field(TeamType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str, **fields: Any) -> UpdateTeam:
        viewer = require_capability(info, MANAGE)
        members = _members(fields.pop("members", None))
        changes = {k: v for k, v in fields.items() if v is not None}
        team = services.update_team(_team(viewer, id), members=members, by=viewer, **changes)
        return UpdateTeam(team=selectors.team_as_written_by(viewer, team))


class DeactivateTeam(graphene.Mutation):
    """Retire a team; history that names it stays (needs people.manage)."""

    class Arguments:
        id = graphene.ID(required=True)

    team = graphene.Field(TeamType, required=True)

    @staticmethod
    def mutate(root: Any, info: Any, id: str) -> DeactivateTeam:
        viewer = require_capability(info, MANAGE)
        team = services.deactivate_team(_team(viewer, id))
        return DeactivateTeam(team=selectors.team_as_written_by(viewer, team))


class PeopleMutations(graphene.ObjectType):
    create_person = CreatePerson.Field()
    update_person = UpdatePerson.Field()
    deactivate_person = DeactivatePerson.Field()
    create_team = CreateTeam.Field()
    update_team = UpdateTeam.Field()
    deactivate_team = DeactivateTeam.Field()
