"""Teams over REST are scoped by site: non-admins see the teams and members of their sites."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.tenancy import tenant_context
from apps.people.models import Person, Role, Team, TeamMembership
from apps.people.services import Member, create_person, create_team
from conftest import Persona

from .helpers import assign, make_site

URL = "/api/v1/teams/"


@dataclass
class World:
    north_guard: Person
    south_guard: Person
    mixed: Team  # the supervisor's own site and another
    south: Team  # only people of another site
    own: Team  # only the supervisor
    empty: Team


@pytest.fixture
def world(tenant_a: Any, tenant_a_supervisor: Any) -> World:
    """North is the supervisor's site; south is not."""
    north, south = make_site(tenant_a, "NORTH"), make_site(tenant_a, "SOUTH")
    assign(tenant_a, tenant_a_supervisor.person, site=north)
    with tenant_context(tenant_a):
        north_guard = create_person(login="north", name="North", password=None, roles=[], home_site_id=north.pk)
        south_guard = create_person(login="south", name="South", password=None, roles=[], home_site_id=south.pk)
        return World(
            north_guard=north_guard,
            south_guard=south_guard,
            mixed=create_team(
                code="MIXED", name="Mixed", members=[Member(south_guard.pk, is_lead=True), Member(north_guard.pk)]
            ),
            south=create_team(code="SOUTH", name="South only", members=[Member(south_guard.pk, is_lead=True)]),
            own=create_team(code="OWN", name="Own", members=[Member(tenant_a_supervisor.person.pk)]),
            empty=create_team(code="EMPTY", name="Empty"),
        )


def listed(persona: Any) -> list[tuple[str, list[dict[str, Any]]]]:
    response = persona.client().get(URL)
    assert response.status_code == 200, response.content
    return [(team["code"], team["members"]) for team in response.json()["results"]]


def memberships(tenant: Any, team: Team) -> list[tuple[str, bool]]:
    with tenant_context(tenant):
        return sorted(TeamMembership.objects.filter(team=team).values_list("person__login", "is_lead"))


def make_manager(tenant: Any, site: Any) -> Persona:
    """Not an admin, may manage people, works at ``site``."""
    login, password = "manager", "pw-manager-123"
    with tenant_context(tenant):
        role = Role.objects.create(
            code="people_manager", name="People manager", capabilities=["people.view", "people.manage"]
        )
        person = create_person(login=login, name="Manager", password=password, roles=[role], home_site_id=site.pk)
    return Persona(person=person, tenant=tenant, login=login, password=password)


def test_supervisor_sees_teams_and_members_of_their_sites(tenant_a_supervisor: Any, world: World) -> None:
    me = tenant_a_supervisor.person.pk
    assert listed(tenant_a_supervisor) == [
        ("MIXED", [{"person": world.north_guard.pk, "is_lead": False}]),
        ("OWN", [{"person": me, "is_lead": False}]),
    ]
    client = tenant_a_supervisor.client()
    detail = client.get(f"{URL}{world.mixed.pk}/")
    assert detail.json()["members"] == [{"person": world.north_guard.pk, "is_lead": False}]
    for hidden in (world.south, world.empty):
        assert client.get(f"{URL}{hidden.pk}/").json()["error"]["code"] == "not_found"


def test_admin_sees_every_team_and_member(tenant_a_admin: Any, world: World, tenant_a_supervisor: Any) -> None:
    north, south = world.north_guard.pk, world.south_guard.pk
    assert listed(tenant_a_admin) == [
        ("EMPTY", []),
        ("MIXED", [{"person": south, "is_lead": True}, {"person": north, "is_lead": False}]),
        ("OWN", [{"person": tenant_a_supervisor.person.pk, "is_lead": False}]),
        ("SOUTH", [{"person": south, "is_lead": True}]),
    ]


def test_other_tenant_gets_nothing(tenant_b_admin: Any, world: World) -> None:
    assert listed(tenant_b_admin) == []
    client = tenant_b_admin.client()
    for team in (world.mixed, world.south, world.own, world.empty):
        assert client.get(f"{URL}{team.pk}/").status_code == 404


def test_supervisor_list_query_count_does_not_grow(tenant_a: Any, tenant_a_supervisor: Any, world: World) -> None:
    client = tenant_a_supervisor.client()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    count()  # the first request of a session fills caches the later ones read
    few = count()
    with tenant_context(tenant_a):
        for n in range(5):
            create_team(code=f"MORE{n}", name=f"More {n}", members=[Member(world.north_guard.pk)])
    assert count() == few


def test_manager_cannot_name_people_they_cannot_see(tenant_a: Any, tenant_a_admin: Any, world: World) -> None:
    manager = make_manager(tenant_a, world.north_guard.home_site)
    client = manager.client()
    south = world.south_guard.pk
    refused = client.post(URL, {"code": "NEW", "name": "New", "members": [{"person": south}]}, format="json")
    assert refused.status_code == 400
    # Answered exactly like an id that does not exist: nothing says the person is elsewhere.
    assert refused.json()["error"] == {
        "code": "unknown_person",
        "message": f"Unknown person id(s) in this tenant: {south}.",
        "details": {"field": "members", "ids": [south]},
    }
    patched = client.patch(f"{URL}{world.mixed.pk}/", {"members": [{"person": south}]}, format="json")
    assert (patched.status_code, patched.json()["error"]["code"]) == (400, "unknown_person")
    with tenant_context(tenant_a):
        assert not Team.objects.filter(code="NEW").exists()
    assert memberships(tenant_a, world.mixed) == [("north", False), ("south", True)]

    created = client.post(
        URL, {"code": "NEW", "name": "New", "members": [{"person": world.north_guard.pk}]}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["members"] == [{"person": world.north_guard.pk, "is_lead": False}]


def test_manager_edits_keep_members_they_cannot_see(tenant_a: Any, world: World) -> None:
    manager = make_manager(tenant_a, world.north_guard.home_site)
    client = manager.client()
    north = world.north_guard.pk

    patched = client.patch(f"{URL}{world.mixed.pk}/", {"members": [{"person": north, "is_lead": True}]}, format="json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["members"] == [{"person": north, "is_lead": True}]
    assert memberships(tenant_a, world.mixed) == [("north", True), ("south", True)]

    # Removing every member they can see leaves the others, and the team out of their sight.
    emptied = client.patch(f"{URL}{world.mixed.pk}/", {"members": []}, format="json")
    assert (emptied.status_code, emptied.json()["members"]) == (200, [])
    assert memberships(tenant_a, world.mixed) == [("south", True)]
    assert client.get(f"{URL}{world.mixed.pk}/").status_code == 404


def test_admin_may_name_anyone(tenant_a: Any, tenant_a_admin: Any, world: World) -> None:
    south = world.south_guard.pk
    response = tenant_a_admin.client().patch(f"{URL}{world.mixed.pk}/", {"members": [{"person": south}]}, format="json")
    assert response.json()["members"] == [{"person": south, "is_lead": False}]
    assert memberships(tenant_a, world.mixed) == [("south", False)]
