"""Queries of this app, mixed into the root schema in youtility/schema.py."""

from .queries import AuditQueries


class Queries(AuditQueries):
    """The change log."""
