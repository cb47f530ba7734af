"""Queries and mutations of this app, mixed into the root schema in youtility/schema.py."""

from .mutations import NocMutations
from .queries import NocQueries


class Queries(NocQueries):
    """Alerts and maintenance windows (see queries.py)."""


class Mutations(NocMutations):
    """Acting on alerts and editing maintenance windows (see mutations.py)."""
