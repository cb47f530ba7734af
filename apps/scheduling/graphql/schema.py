"""Queries and mutations of this app, mixed into the root schema in youtility/schema.py."""

from .mutations import SchedulingMutations
from .queries import SchedulingQueries


class Queries(SchedulingQueries):
    """Schedules, jobs, the day board and occurrence previews."""


class Mutations(SchedulingMutations):
    """Schedule writes, ad-hoc jobs, starting and completing jobs."""
