"""Queries and mutations of this app, mixed into the root schema in youtility/schema.py."""

from .mutations import TicketMutations
from .queries import TicketQueries


class Queries(TicketQueries):
    """Tickets, the escalation matrix and SLA policies."""


class Mutations(TicketMutations):
    """Ticket writes, the escalation matrix and SLA policies."""
