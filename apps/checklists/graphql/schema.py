import graphene


class Queries(graphene.ObjectType):
    """Queries of this app, mixed into the root Query in youtility/schema.py."""


class Mutations(graphene.ObjectType):
    """Mutations of this app, mixed into the root Mutation in youtility/schema.py."""
