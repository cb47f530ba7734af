"""The scheduling suite's world and clock, for the change log of schedules and jobs."""

from apps.scheduling.tests.conftest import clock, world  # noqa: F401
