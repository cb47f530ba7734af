import graphene
from graphene_django import DjangoObjectType

from apps.core.graphql import SizedList
from apps.people.models import Person, Team

# Not paged: the cost rule counts a team's members at this many.
MEMBERS_COSTED = 20


class PersonType(DjangoObjectType):
    """A person of the caller's tenant."""

    roles = graphene.List(graphene.NonNull(graphene.String), required=True, description="Role codes.")
    home_site_id = graphene.Int(description="Id of the home site.")
    reports_to_id = graphene.Int(description="Id of the person this one reports to.")
    department_id = graphene.Int(description="Id of the DEPARTMENT lookup.")
    designation_id = graphene.Int(description="Id of the DESIGNATION lookup.")
    client_id = graphene.Int(description="For client viewers: id of their client.")

    class Meta:
        model = Person
        fields = [
            "id",
            "uuid",
            "login",
            "name",
            "email",
            "is_active",
            "version",
            "code",
            "mobile",
            "bound_device_id",
            "left_on",
        ]

    @staticmethod
    def resolve_roles(root: Person, info: graphene.ResolveInfo) -> list[str]:
        return root.role_codes()


class TeamMemberType(graphene.ObjectType):
    """One member of a team."""

    person_id = graphene.Int(required=True)
    is_lead = graphene.Boolean(required=True)


class TeamType(DjangoObjectType):
    """A team of the caller's tenant with its members."""

    members = SizedList(TeamMemberType, max_items=MEMBERS_COSTED, required=True, description="Leads first.")

    class Meta:
        model = Team
        fields = ["id", "uuid", "code", "name", "is_active", "version"]

    @staticmethod
    def resolve_members(root: Team, info: graphene.ResolveInfo) -> list[TeamMemberType]:
        return [TeamMemberType(person_id=row.person_id, is_lead=row.is_lead) for row in root.memberships.all()]


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
