import graphene

from apps.core.graphql import require_capability, require_user
from apps.people import selectors

from .types import MeType, PersonType


class PeopleQueries(graphene.ObjectType):
    me = graphene.Field(MeType, required=True, description="The signed-in person.")
    people = graphene.List(
        graphene.NonNull(PersonType), required=True, description="People of the caller's tenant (needs people.view)."
    )

    @staticmethod
    def resolve_me(root: object, info: graphene.ResolveInfo) -> dict:
        return selectors.me_payload(require_user(info))

    @staticmethod
    def resolve_people(root: object, info: graphene.ResolveInfo) -> object:
        require_capability(info, "people.view")
        return selectors.people()
