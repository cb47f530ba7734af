"""GraphQL root: each app contributes its query and mutation classes here."""

import graphene

from apps.people.graphql.mutations import AuthMutations
from apps.people.graphql.queries import PeopleQueries


class Query(PeopleQueries, graphene.ObjectType):
    pass


class Mutation(AuthMutations, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation)
