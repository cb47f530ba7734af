"""Raising and reading tickets over REST: numbering, scope, photos, validation, filters."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from apps.core.models import Attachment
from apps.core.tenancy import tenant_context
from apps.helpdesk.models import Ticket

from .factories import make_ticket, photo
from .helpers import TICKETS, error, events, notifications, ticket_count, ticket_row, url

pytestmark = pytest.mark.django_db


def iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def expected(ticket: Ticket, **values: Any) -> dict[str, Any]:
    """The representation of ``ticket``: volatile columns from the row, the rest as given."""
    return {
        "id": ticket.pk,
        "uuid": str(ticket.uuid),
        "level_since": iso(ticket.level_since),
        "sla_due_at": iso(ticket.sla_due_at),
        "version": ticket.version,
        "created_at": iso(ticket.created_at),
        "modified_at": iso(ticket.modified_at),
        **values,
    }


def test_a_supervisor_raises_a_ticket_at_their_site(tenant_a: Any, tenant_a_supervisor: Any, world: Any) -> None:
    client = tenant_a_supervisor.client()
    body = {
        "site": world.north.pk,
        "title": "  Water leak in the lobby ",
        "description": "Dripping near the lift.",
        "category": world.maintenance.pk,
        "priority": "HIGH",
    }
    created = client.post(TICKETS, body, format="json")
    assert created.status_code == 201, created.content
    ticket = ticket_row(tenant_a, created.json()["id"])
    assert created.json() == expected(
        ticket,
        number="NORTH#1",
        site=world.north.pk,
        site_code="NORTH",
        site_name="North Gate",
        category=world.maintenance.pk,
        category_name="Maintenance",
        priority="HIGH",
        title="Water leak in the lobby",
        description="Dripping near the lift.",
        status="NEW",
        next_statuses=["OPEN", "CANCELLED"],
        source="USER",
        raised_by=tenant_a_supervisor.person.pk,
        assignee_person=None,
        assignee_team=None,
        assignee_name=None,
        escalation_level=0,
        sla_breached_at=None,
        resolved_at=None,
        closed_at=None,
    )
    assert (ticket.created_by_id, ticket.tenant_id, ticket.sla_due_at) == (
        tenant_a_supervisor.person.pk,
        tenant_a.pk,
        None,
    )
    assert events(tenant_a, ticket.pk) == [("CREATED", "status", None, "NEW")]
    assert client.get(url(ticket.pk)).json() == created.json()
    second = client.post(TICKETS, {**body, "title": "Second"}, format="json").json()
    assert second["number"] == "NORTH#2"


def test_numbers_count_per_site(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    client = tenant_a_admin.client()
    numbers = [
        client.post(TICKETS, {"site": site.pk, "title": f"T{n}"}, format="json").json()["number"]
        for n, site in enumerate([world.north, world.south, world.north, world.south, world.south])
    ]
    assert numbers == ["NORTH#1", "SOUTH#1", "NORTH#2", "SOUTH#2", "SOUTH#3"]


def test_the_site_in_charge_gets_a_ticket_raised_without_assignee(
    tenant_a: Any, tenant_a_guard: Any, tenant_a_supervisor: Any, world: Any
) -> None:
    with tenant_context(tenant_a):
        type(world.north).objects.filter(pk=world.north.pk).update(in_charge=tenant_a_supervisor.person)
    response = tenant_a_guard.client().post(TICKETS, {"site": world.north.pk, "title": "Broken light"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["assignee_person"], body["assignee_name"], body["raised_by"]) == (
        tenant_a_supervisor.person.pk,
        "Supervisor",
        tenant_a_guard.person.pk,
    )
    assert notifications(tenant_a) == [("ticket.created", "supervisor")]
    assert events(tenant_a, body["id"]) == [
        ("CREATED", "status", None, "NEW"),
        ("CHANGED", "assignee", None, {"type": "person", "id": tenant_a_supervisor.person.pk, "name": "Supervisor"}),
    ]


def test_a_handler_may_assign_on_creation_and_the_team_is_told(
    tenant_a: Any, tenant_a_supervisor: Any, world: Any
) -> None:
    response = tenant_a_supervisor.client().post(
        TICKETS, {"site": world.north.pk, "title": "Patrol gap", "assignee_team": world.crew.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    assert (response.json()["assignee_team"], response.json()["assignee_name"]) == (world.crew.pk, "Crew")
    assert sorted(notifications(tenant_a)) == [("ticket.created", "guard"), ("ticket.created", "south_guard")]


def test_a_guard_raises_with_photos_from_the_phone(tenant_a: Any, tenant_a_guard: Any, world: Any) -> None:
    client = tenant_a_guard.client()
    point = '{"type": "Point", "coordinates": [55.2708, 25.2048]}'
    response = client.post(
        TICKETS,
        {
            "site": world.north.pk,
            "title": "Graffiti on the wall",
            "photos": [photo("wall.png"), photo("close up.jpg", content_type="image/jpeg")],
            "point": point,
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    ticket_id = response.json()["id"]
    listed = client.get(url(ticket_id, "attachments/")).json()
    assert [(a["kind"], a["name"], a["content_type"], a["uploaded_by"]) for a in listed] == [
        ("PHOTO", "wall.png", "image/png", tenant_a_guard.person.pk),
        ("PHOTO", "close up.png", "image/png", tenant_a_guard.person.pk),  # PNG bytes, whatever the name said
    ]
    assert listed[0]["point"] == {"type": "Point", "coordinates": [55.2708, 25.2048]}
    assert [kind for kind, *_ in events(tenant_a, ticket_id)] == ["CREATED", "ATTACHED", "ATTACHED"]
    download = client.get(listed[0]["url"])
    assert (download.status_code, download["Content-Type"]) == (200, "image/png")


def test_a_bad_photo_refuses_the_whole_ticket(tenant_a: Any, tenant_a_guard: Any, world: Any, media_root: Any) -> None:
    response = tenant_a_guard.client().post(
        TICKETS,
        {"site": world.north.pk, "title": "Broken", "photos": [photo(), photo("notes.png", b"not an image" * 10)]},
        format="multipart",
    )
    assert error(response) == (400, "invalid_image", {"field": "photos"})
    assert ticket_count(tenant_a) == 0
    with tenant_context(tenant_a):
        assert Attachment.objects.count() == 0
    assert list(media_root.rglob("*.*")) == []


def test_too_many_photos(tenant_a: Any, tenant_a_guard: Any, world: Any) -> None:
    response = tenant_a_guard.client().post(
        TICKETS, {"site": world.north.pk, "title": "Many", "photos": [photo() for _ in range(6)]}, format="multipart"
    )
    assert error(response) == (400, "too_many_files", {"field": "photos", "max_files": 5})
    assert ticket_count(tenant_a) == 0


def test_the_same_uuid_twice_makes_one_ticket(tenant_a: Any, tenant_a_guard: Any, world: Any) -> None:
    client, key = tenant_a_guard.client(), str(uuid.uuid4())
    body = {"uuid": key, "site": world.north.pk, "title": "Sent offline"}
    first = client.post(TICKETS, body, format="json")
    again = client.post(TICKETS, {**body, "title": "Edited on the phone"}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert first.json()["uuid"] == key
    assert ticket_count(tenant_a) == 1
    # Another person's ticket uuid is not theirs to replay.
    other = world.south_guard.client().post(TICKETS, {**body, "site": world.south.pk}, format="json")
    assert error(other) == (409, "duplicate_uuid", {"field": "uuid"})


@pytest.mark.parametrize(
    ("changes", "code", "details"),
    [
        ({"title": "  "}, "title_required", {"field": "title"}),
        ({"title": "x" * 201}, "title_too_long", {"field": "title", "max_length": 200, "length": 201}),
        (
            {"description": "d" * 4001},
            "description_too_long",
            {"field": "description", "max_length": 4000, "length": 4001},
        ),
        ({"title": "nul \x00 byte"}, "invalid_characters", {"path": "$.title", "character": "U+0000"}),
        (
            {"priority": "SOON"},
            "invalid_priority",
            {"field": "priority", "choices": ["LOW", "MEDIUM", "HIGH", "URGENT"]},
        ),
        ({"category": 999999}, "unknown_category", {"field": "category"}),
    ],
)
def test_bad_input_changes_nothing(
    tenant_a: Any, tenant_a_supervisor: Any, world: Any, changes: dict[str, Any], code: str, details: dict[str, Any]
) -> None:
    body = {"site": world.north.pk, "title": "Fine", **changes}
    assert error(tenant_a_supervisor.client().post(TICKETS, body, format="json")) == (400, code, details)
    assert ticket_count(tenant_a) == 0


def test_a_category_must_be_a_ticket_category(tenant_a: Any, tenant_a_supervisor: Any, world: Any) -> None:
    body = {"site": world.north.pk, "title": "Fine", "category": world.department.pk}
    assert error(tenant_a_supervisor.client().post(TICKETS, body, format="json")) == (
        400,
        "invalid_category",
        {"field": "category"},
    )


def test_sites_outside_the_callers_scope_are_unknown(
    tenant_a: Any, tenant_a_supervisor: Any, tenant_a_guard: Any, tenant_b_admin: Any, world: Any
) -> None:
    for persona in (tenant_a_supervisor, tenant_a_guard, tenant_b_admin):
        response = persona.client().post(TICKETS, {"site": world.south.pk, "title": "Not mine"}, format="json")
        assert error(response)[:2] == (400, "unknown_site")
    assert ticket_count(tenant_a) == 0


def test_only_handlers_choose_the_assignee(
    tenant_a: Any, tenant_a_guard: Any, tenant_a_supervisor: Any, world: Any
) -> None:
    body = {"site": world.north.pk, "title": "Mine", "assignee_person": tenant_a_guard.person.pk}
    assert error(tenant_a_guard.client().post(TICKETS, body, format="json"))[:2] == (403, "permission_denied")
    assert ticket_count(tenant_a) == 0


def test_client_viewers_read_their_sites_and_write_nothing(tenant_a: Any, tenant_a_client: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        north, south = make_ticket(world.north, "North one"), make_ticket(world.south, "South one")
    client = tenant_a_client.client()
    assert [t["number"] for t in client.get(TICKETS).json()["results"]] == [north.number]
    assert client.get(url(south.pk)).status_code == 404
    assert client.get(url(north.pk, "history/")).status_code == 200
    assert error(client.post(TICKETS, {"site": world.north.pk, "title": "x"}, format="json"))[:2] == (
        403,
        "permission_denied",
    )
    assert error(client.post(url(north.pk, "comments/"), {"body": "hello"}, format="json"))[:2] == (
        403,
        "permission_denied",
    )


def test_who_sees_which_ticket(
    tenant_a: Any, tenant_a_admin: Any, tenant_a_supervisor: Any, tenant_a_guard: Any, world: Any
) -> None:
    guard = tenant_a_guard.client()
    own = guard.post(TICKETS, {"site": world.north.pk, "title": "Raised by the guard"}, format="json").json()
    with tenant_context(tenant_a):
        other_north = make_ticket(world.north, "Raised by the system")
        south = make_ticket(world.south, "At the south yard")
        crew_south = make_ticket(world.south, "For the crew")
        Ticket.objects.filter(pk=crew_south.pk).update(assignee_team=world.crew)

    def numbers(persona: Any) -> list[str]:
        return sorted(t["number"] for t in persona.client().get(TICKETS).json()["results"])

    assert numbers(tenant_a_admin) == ["NORTH#1", "NORTH#2", "SOUTH#1", "SOUTH#2"]
    assert numbers(tenant_a_supervisor) == ["NORTH#1", "NORTH#2"]
    # A guard: what they raised, and what is assigned to a team of theirs, wherever it is.
    assert numbers(tenant_a_guard) == [own["number"], crew_south.number]
    for hidden in (other_north, south):
        assert error(guard.get(url(hidden.pk))) == (404, "not_found", {})
    assert error(tenant_a_supervisor.client().get(url(south.pk))) == (404, "not_found", {})


def test_another_tenant_gets_nothing(tenant_a: Any, tenant_b_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        ticket = make_ticket(world.north)
    client = tenant_b_admin.client()
    assert client.get(TICKETS).json()["count"] == 0
    for tail in ("", "history/", "comments/", "attachments/"):
        assert error(client.get(url(ticket.pk, tail))) == (404, "not_found", {})
    assert error(client.post(url(ticket.pk, "transition/"), {"to": "OPEN"}, format="json"))[:2] == (404, "not_found")
    assert ticket_row(tenant_a, ticket.pk).status == "NEW"


def test_filters(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        leak = make_ticket(world.north, "Leak", category=world.maintenance, priority="HIGH")
        fight = make_ticket(world.south, "Fight", category=world.security, priority="URGENT")
        lamp = make_ticket(world.north, "Lamp", priority="LOW")
        Ticket.objects.filter(pk=fight.pk).update(assignee_team=world.crew, status="OPEN")
        Ticket.objects.filter(pk=lamp.pk).update(created_at=timezone.now() - timedelta(days=10))
    client = tenant_a_admin.client()

    def numbers(query: str) -> list[str]:
        response = client.get(f"{TICKETS}?{query}")
        assert response.status_code == 200, response.content
        return [t["number"] for t in response.json()["results"]]

    assert numbers(f"site={world.north.pk}") == [leak.number, lamp.number]
    assert numbers("status=OPEN") == [fight.number]
    assert numbers("status=NEW&status=OPEN") == [fight.number, leak.number, lamp.number]
    assert numbers(f"category={world.security.pk}") == [fight.number]
    assert numbers("priority=HIGH&priority=LOW") == [leak.number, lamp.number]
    assert numbers(f"assignee_team={world.crew.pk}") == [fight.number]
    assert numbers(f"assignee_person={tenant_a_admin.person.pk}") == []
    since = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert numbers(f"created_from={since}") == [fight.number, leak.number]
    assert numbers(f"created_to={since}") == [lamp.number]
    assert numbers("number=north%232") == [lamp.number]
    assert numbers("number=1") == [fight.number, leak.number]
    assert numbers("source=USER") == []
    assert error(client.get(f"{TICKETS}?status=DONE"))[:2] == (400, "invalid")


def test_the_filterset_covers_what_the_issue_asks_for() -> None:
    from apps.helpdesk.filtersets import TicketFilterSet

    wanted = {
        "status",
        "site",
        "category",
        "priority",
        "assignee_person",
        "assignee_team",
        "created_from",
        "created_to",
        "number",
    }
    assert wanted <= set(TicketFilterSet.base_filters)


def test_the_list_costs_the_same_for_one_ticket_or_many(
    tenant_a: Any, tenant_a_supervisor: Any, world: Any, django_assert_num_queries: Any
) -> None:
    client = tenant_a_supervisor.client()
    with tenant_context(tenant_a):
        make_ticket(world.north, "One", category=world.maintenance)
    client.get(TICKETS)  # warm the token check and the content types
    # the caller and their roles (two), the count, the page: joins, no query per row
    with django_assert_num_queries(4):
        assert client.get(TICKETS).json()["count"] == 1
    with tenant_context(tenant_a):
        for n in range(5):
            ticket = make_ticket(world.north, f"More {n}", category=world.security)
            Ticket.objects.filter(pk=ticket.pk).update(assignee_team=world.crew)
    with django_assert_num_queries(4):
        assert client.get(TICKETS).json()["count"] == 6
