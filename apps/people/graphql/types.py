import graphene
from graphene_django import DjangoObjectType

from apps.people.models import Person


class PersonType(DjangoObjectType):
    """A person of the caller's tenant."""

    roles = graphene.List(graphene.NonNull(graphene.String), required=True, description="Role codes.")

    class Meta:
        model = Person
        fields = ["id", "uuid", "login", "name", "email", "is_active", "version"]

    @staticmethod
    def resolve_roles(root: Person, info: graphene.ResolveInfo) -> list[str]:
        return root.role_codes()


class MeType(graphene.ObjectType):
    """The signed-in person, their tenant and roles."""

    id = graphene.ID(required=True)
    uuid = graphene.UUID(required=True)
    login = graphene.String(required=True)
    name = graphene.String(required=True)
    email = graphene.String(required=True)
    tenant = graphene.String(required=True, description="Slug of the person's tenant.")
    roles = graphene.List(graphene.NonNull(graphene.String), required=True)
    capabilities = graphene.List(graphene.NonNull(graphene.String), required=True)
    device_id = graphene.String(required=True)
