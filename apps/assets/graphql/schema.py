from .mutations import AssetMutations
from .queries import AssetQueries


class Queries(AssetQueries):
    """Queries of this app, mixed into the root Query in youtility/schema.py."""


class Mutations(AssetMutations):
    """Mutations of this app, mixed into the root Mutation in youtility/schema.py."""
