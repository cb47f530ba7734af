from __future__ import annotations

from typing import Any

import graphene

from apps.core.graphql import SizedList, require_capability, require_user
from apps.people import selectors
from apps.people.models import Person

from .types import MeType, PersonType, TeamType

# Neither list is paged; the cost rule counts them at this many people and teams.
PEOPLE_COSTED = 200
TEAMS_COSTED = 20


class PeopleQueries(graphene.ObjectType):
    me = graphene.Field(MeType, required=True, description="The signed-in person.")
    people = SizedList(
        PersonType,
        max_items=PEOPLE_COSTED,
        required=True,
        description="People of the caller's tenant the caller may see by site (needs people.view).",
    )
    person = graphene.Field(
        PersonType,
        id=graphene.ID(required=True),
        description="One person, or null when unknown or outside the caller's sites (needs people.view).",
    )
    teams = SizedList(
        TeamType,
        max_items=TEAMS_COSTED,
        required=True,
        description="Teams with a member the caller may see, and those members (needs people.view).",
    )

    @staticmethod
    def resolve_me(root: object, info: graphene.ResolveInfo) -> dict:
        return selectors.me_payload(require_user(info))

    @staticmethod
    def resolve_people(root: object, info: graphene.ResolveInfo) -> object:
        viewer = require_capability(info, "people.view")
        return selectors.people_for(viewer)

    @staticmethod
    def resolve_person(root: object, info: graphene.ResolveInfo, id: str) -> Person | None:
        viewer = require_capability(info, "people.view")
        return selectors.get_person_for(viewer, id)

    @staticmethod
    def resolve_teams(root: object, info: graphene.ResolveInfo) -> Any:
        viewer = require_capability(info, "people.view")
        return selectors.teams_for(viewer)
