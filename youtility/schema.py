"""GraphQL root: each app contributes its query and mutation classes here."""

import graphene

from apps.assets.graphql.schema import Mutations as AssetMutations
from apps.assets.graphql.schema import Queries as AssetQueries
from apps.audit.graphql.schema import Queries as AuditQueries
from apps.checklists.graphql.schema import Mutations as ChecklistMutations
from apps.checklists.graphql.schema import Queries as ChecklistQueries
from apps.helpdesk.graphql.schema import Mutations as HelpdeskMutations
from apps.helpdesk.graphql.schema import Queries as HelpdeskQueries
from apps.noc.graphql.schema import Mutations as NocMutations
from apps.noc.graphql.schema import Queries as NocQueries
from apps.notifications.graphql.schema import Mutations as NotificationMutations
from apps.notifications.graphql.schema import Queries as NotificationQueries
from apps.people.graphql.management import PeopleMutations
from apps.people.graphql.mutations import AuthMutations
from apps.people.graphql.queries import PeopleQueries
from apps.scheduling.graphql.schema import Mutations as SchedulingMutations
from apps.scheduling.graphql.schema import Queries as SchedulingQueries
from apps.sites.graphql.schema import Mutations as SiteMutations
from apps.sites.graphql.schema import Queries as SiteQueries
from apps.tenants.graphql.schema import Mutations as TenantMutations
from apps.tenants.graphql.schema import Queries as TenantQueries


class Query(
    PeopleQueries,
    TenantQueries,
    SiteQueries,
    AssetQueries,
    ChecklistQueries,
    NocQueries,
    HelpdeskQueries,
    NotificationQueries,
    SchedulingQueries,
    AuditQueries,
    graphene.ObjectType,
):
    pass


class Mutation(
    AuthMutations,
    PeopleMutations,
    TenantMutations,
    SiteMutations,
    AssetMutations,
    ChecklistMutations,
    NocMutations,
    HelpdeskMutations,
    NotificationMutations,
    SchedulingMutations,
    graphene.ObjectType,
):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation)
