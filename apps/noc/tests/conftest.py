"""Fixtures of the NOC tests: two sites of tenant A, the supervisor assigned to one.

Tasks run eagerly here: notifications queued on commit are sent in-process (to the
locmem e-mail backend) instead of piling up in the shared broker.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from apps.core.tenancy import tenant_context
from apps.people.models import Person
from apps.sites.models import Site, SiteAssignment
from youtility.celery import app as celery_app

from .factories import make_site


@pytest.fixture(autouse=True)
def _eager_tasks() -> Iterator[None]:
    before = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = True, True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before


@dataclass
class World:
    north: Site  # the supervisor's site, with an in-charge
    south: Site  # a site the supervisor is not assigned to
    in_charge: Person  # a guard in charge of north


@pytest.fixture
def world(tenant_a: Any, tenant_a_admin: Any, tenant_a_supervisor: Any) -> World:
    from conftest import make_persona

    in_charge = make_persona(tenant_a, "guard", login="incharge", email="incharge@example.com").person
    with tenant_context(tenant_a):
        north = make_site("NORTH", name="North Gate")
        south = make_site("SOUTH", name="South Yard")
        north.in_charge = in_charge
        north.save(update_fields=["in_charge"])
        SiteAssignment.objects.create(person=tenant_a_supervisor.person, site=north)
        Person.objects.filter(pk=tenant_a_supervisor.person.pk).update(email="supervisor@example.com")
        Person.objects.filter(pk=tenant_a_admin.person.pk).update(email="admin@example.com")
        return World(north=north, south=south, in_charge=in_charge)
