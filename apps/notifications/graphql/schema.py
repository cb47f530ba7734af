"""Queries and mutations of this app, mixed into the root schema in youtility/schema.py."""

from .mutations import NotificationMutations
from .queries import NotificationQueries


class Queries(NotificationQueries):
    """Webhooks, deliveries, e-mail logs, the caller's preferences and the known events."""


class Mutations(NotificationMutations):
    """Webhook management and the caller's preferences."""
