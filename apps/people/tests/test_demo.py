"""The named demo people are placed at the demo sites by the people app's own step."""

from __future__ import annotations

from typing import Any

import pytest

from apps.core.tenancy import tenant_context
from apps.people.demo import DEMO_STEPS, load_users, load_workforce, place_users
from apps.people.models import Person
from apps.sites.demo import DEMO_STEPS as SITE_STEPS
from apps.sites.demo import load_sites
from apps.sites.models import Site, SiteAssignment

pytestmark = pytest.mark.django_db


def placement() -> tuple[Any, ...]:
    people = {p.login: p for p in Person.objects.select_related("home_site", "client")}
    return (
        sorted(Site.objects.values_list("code", "in_charge__login")),
        sorted(SiteAssignment.objects.values_list("person__login", "site__code", "site_group__code")),
        {
            login: (person.home_site.code if person.home_site else None, person.client.code if person.client else None)
            for login, person in people.items()
        },
    )


def test_the_named_demo_people_are_placed_once_sites_exist(tenant_a: Any) -> None:
    # Users first, then sites, then the placement: the order load_demo runs the steps in.
    assert [order for order, _ in SITE_STEPS] == [20]
    assert DEMO_STEPS == [(10, load_users), (25, place_users), (30, load_workforce)]
    said: list[str] = []
    with tenant_context(tenant_a):
        load_users(tenant_a, said.append)
        load_sites(tenant_a, said.append)
        assert set(Site.objects.values_list("in_charge", flat=True)) == {None}
        place_users(tenant_a, said.append)
        first = placement()
        place_users(tenant_a, said.append)
        load_sites(tenant_a, said.append)  # a second run of the demo leaves the placement alone
        place_users(tenant_a, said.append)
        assert placement() == first
    sites, assignments, people = first
    # tenant_a is not a demo tenant: it gets acme's places.
    assert sites == [
        ("CRM-AND", "supervisor"),
        ("CRM-AND-P", "supervisor"),
        ("CRM-PNQ", "supervisor"),
        ("HBR-BHW", "supervisor"),
        ("HBR-CHK", "supervisor"),
        ("HBR-JNPT", "supervisor"),
    ]
    assert assignments == [("supervisor", None, "HARBOR-ROUTE")]
    assert people == {
        "admin": (None, None),
        "supervisor": ("HBR-JNPT", None),
        "guard1": ("HBR-JNPT", None),
        "guard2": ("HBR-JNPT", None),
        "client1": (None, "HARBOR"),
    }
