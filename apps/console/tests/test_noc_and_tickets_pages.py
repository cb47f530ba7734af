"""The console's alert and ticket pages, through signed-in sessions.

Tenant A has two sites: NORTH, where the supervisor is assigned, the guard is based and
whose client the client viewer belongs to, and SOUTH, where nobody of the test works but
the second guard. Tenant B has an alert and a ticket of its own. Alerts and tickets are
made through the services, as every door makes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone

from apps.console.tests.test_pages import external_urls, inline_scripts, signed_in
from apps.core.tenancy import tenant_context
from apps.helpdesk import services as helpdesk
from apps.helpdesk.models import Ticket, TicketComment
from apps.noc import services as noc
from apps.noc.models import Alert, AlertEvent
from apps.people.models import Person, Role, Team, TeamMembership
from apps.people.services import create_person
from apps.sites.models import Client as SiteClient
from apps.sites.models import Site, SiteAssignment
from apps.tenants.models import Lookup
from conftest import Persona, make_persona


class Rows(HTMLParser):
    """The text of each cell of each body row of one table (by id), and each row's id."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.depth, self.in_body = table_id, 0, False
        self.rows: list[tuple[str, list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self.depth += 1 if (self.depth or found.get("id") == self.table_id) else 0
        elif self.depth and tag == "tbody":
            self.in_body = True
        elif self.depth and self.in_body and tag == "tr":
            self.rows.append((found.get("id") or "", []))
        elif self.depth and self.in_body and tag == "td":
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif tag == "tbody":
            self.in_body = False
        elif tag == "td" and self.cell is not None:
            self.rows[-1][1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def rows(response: Any, table_id: str) -> list[list[str]]:
    parser = Rows(table_id)
    parser.feed(response.content.decode())
    return [cells for _, cells in parser.rows]


def column(response: Any, table_id: str, index: int) -> list[str]:
    """One column of a list; an empty list's single row reads as its message."""
    return [cells[index] if len(cells) > index else cells[0] for cells in rows(response, table_id)]


def row_ids(response: Any, table_id: str) -> list[str]:
    parser = Rows(table_id)
    parser.feed(response.content.decode())
    return [row_id for row_id, _ in parser.rows]


def html(response: Any) -> str:
    return str(response.content.decode())


def options(response: Any, name: str) -> list[tuple[str, str]]:
    """(value, label) of each option of the select named ``name``."""
    select = html(response).split(f'name="{name}"')[1].split("</select>")[0]
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)


def nav_links(response: Any) -> list[str]:
    nav = html(response).split('<nav class="main-nav"')[1].split("</nav>")[0]
    return re.findall(r"<a [^>]*>([^<]*)</a>", nav)


@dataclass
class World:
    north: Site
    south: Site
    maintenance: Lookup
    south_guard: Persona
    watcher: Persona  # noc.view without noc.manage, based at NORTH
    crew: Team
    alerts: dict[str, Alert]
    tickets: dict[str, Ticket]
    other_alert: Alert  # tenant B's
    other_ticket: Ticket  # tenant B's


def _alert(site: Site | None, title: str, severity: str, minutes_ago: int) -> Alert:
    alert = noc.raise_alert(
        type=Alert.Type.TOUR_MISSED, severity=severity, dedupe_key=f"test:{title}", title=title, site=site
    )
    at = timezone.now() - timedelta(minutes=minutes_ago)
    Alert.objects.filter(pk=alert.pk).update(first_seen_at=at, last_seen_at=at)
    return Alert.objects.get(pk=alert.pk)


@pytest.fixture
def world(
    tenant_a: Any,
    tenant_b: Any,
    tenant_a_admin: Persona,
    tenant_a_supervisor: Persona,
    tenant_a_guard: Persona,
    tenant_a_client: Persona,
    tenant_b_admin: Persona,
) -> World:
    south_guard = make_persona(tenant_a, "guard", login="south_guard")
    with tenant_context(tenant_a):
        north_client = SiteClient.objects.create(code="NC", name="North client")
        south_client = SiteClient.objects.create(code="SC", name="South client")
        north = Site.objects.create(client=north_client, code="NORTH", name="North Gate", location=Point(72.9, 18.9))
        south = Site.objects.create(client=south_client, code="SOUTH", name="South Yard", location=Point(72.9, 18.8))
        SiteAssignment.objects.create(person=tenant_a_supervisor.person, site=north)
        Person.objects.filter(pk=tenant_a_guard.person.pk).update(home_site=north)
        Person.objects.filter(pk=south_guard.person.pk).update(home_site=south)
        Person.objects.filter(pk=tenant_a_client.person.pk).update(client=north_client)
        watch_role = Role.objects.create(
            code="noc_watch", name="NOC watch", capabilities=["console.access", "noc.view"]
        )
        watcher_person = create_person(
            login="watcher", name="Wendy Watcher", password="pw-watcher-123", roles=[watch_role], home_site_id=north.pk
        )
        crew = Team.objects.create(code="CREW", name="Crew")
        TeamMembership.objects.create(team=crew, person=tenant_a_guard.person)
        maintenance = Lookup.objects.create(kind=Lookup.Kind.TICKET_CATEGORY, code="MAINT", name="Maintenance")

        alerts = {
            "pump": _alert(north, "Pump pressure low", Alert.Severity.MEDIUM, 5),
            "sos": _alert(north, "SOS at the north gate", Alert.Severity.CRITICAL, 10),
            "tour": _alert(south, "Tour missed at the south yard", Alert.Severity.HIGH, 20),
            "panic": _alert(north, "Panic button offline", Alert.Severity.LOW, 2),
        }
        supervisor = Person.objects.prefetch_related("roles").get(pk=tenant_a_supervisor.person.pk)
        alerts["panic"] = noc.resolve_alert(supervisor, alerts["panic"], note="Battery replaced.")

        guard = Person.objects.prefetch_related("roles").get(pk=tenant_a_guard.person.pk)
        tickets = {}
        tickets["lock"], _ = helpdesk.create_ticket(
            guard, site_id=north.pk, title="Broken gate lock", priority="HIGH", category_id=maintenance.pk
        )
        tickets["roof"] = helpdesk.raise_ticket(site=south, category=None, title="Leaking roof", priority="MEDIUM")
        tickets["lights"], _ = helpdesk.create_ticket(
            supervisor,
            site_id=north.pk,
            title="Car park lights out",
            priority="LOW",
            assignee_person_id=supervisor.pk,
        )
    with tenant_context(tenant_b):
        other_site = Site.objects.create(
            client=SiteClient.objects.create(code="BC", name="Bravo client"),
            code="BRAVO",
            name="Bravo HQ",
            location=Point(0, 51),
        )
        other_alert = _alert(other_site, "Bravo alarm", Alert.Severity.HIGH, 1)
        other_ticket = helpdesk.raise_ticket(site=other_site, category=None, title="Bravo ticket")
    watcher = Persona(person=watcher_person, tenant=tenant_a, login="watcher", password="pw-watcher-123")
    return World(
        north=north,
        south=south,
        maintenance=maintenance,
        south_guard=south_guard,
        watcher=watcher,
        crew=crew,
        alerts=alerts,
        tickets=tickets,
        other_alert=other_alert,
        other_ticket=other_ticket,
    )


def alert_row(tenant: Any, alert: Alert) -> Alert:
    with tenant_context(tenant):
        return Alert.objects.select_related("acknowledged_by", "assigned_to", "resolved_by").get(pk=alert.pk)


def ticket_row(tenant: Any, ticket: Ticket) -> Ticket:
    with tenant_context(tenant):
        return Ticket.objects.select_related("assignee_person", "assignee_team").get(pk=ticket.pk)


def alert_path(alert: Alert) -> str:
    return f"/noc/alerts/{alert.pk}/"


def ticket_path(ticket: Ticket) -> str:
    return f"/tickets/{ticket.pk}/"


# --- the alert list -----------------------------------------------------------------------------


def list_titles(response: Any) -> list[tuple[str, str, str, str]]:
    """(severity, status, title, site) of each row."""
    return [(cells[0], cells[1], cells[2], cells[3]) for cells in rows(response, "alerts")]


def test_admin_sees_every_alert_open_first_newest_first(world: World, tenant_a_admin: Persona) -> None:
    response = signed_in(tenant_a_admin).get("/noc/alerts/")

    assert response.status_code == 200
    assert list_titles(response) == [
        ("Medium", "New", "Pump pressure low", "NORTH"),
        ("Critical", "New", "SOS at the north gate", "NORTH"),
        ("High", "New", "Tour missed at the south yard", "SOUTH"),
        ("Low", "Resolved", "Panic button offline", "NORTH"),
    ]
    assert row_ids(response, "alerts") == [f"alert-{world.alerts[k].pk}" for k in ("pump", "sos", "tour", "panic")]
    assert f'<a href="/noc/alerts/{world.alerts["sos"].pk}/">SOS at the north gate</a>' in html(response)
    assert (inline_scripts(html(response)), external_urls(html(response))) == ([], [])


def test_supervisor_sees_the_alerts_of_their_site_only(world: World, tenant_a_supervisor: Persona) -> None:
    response = signed_in(tenant_a_supervisor).get("/noc/alerts/")

    assert list_titles(response) == [
        ("Medium", "New", "Pump pressure low", "NORTH"),
        ("Critical", "New", "SOS at the north gate", "NORTH"),
        ("Low", "Resolved", "Panic button offline", "NORTH"),
    ]
    # The site filter offers the supervisor's sites only.
    assert f'<option value="{world.north.pk}">NORTH · North Gate</option>' in html(response)
    assert "SOUTH · South Yard" not in html(response)


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("status=RESOLVED", ["Panic button offline"]),
        ("status=open", ["Pump pressure low", "SOS at the north gate", "Tour missed at the south yard"]),
        ("severity=CRITICAL", ["SOS at the north gate"]),
        ("status=open&severity=LOW", []),
    ],
)
def test_alert_filters(world: World, tenant_a_admin: Persona, query: str, titles: list[str]) -> None:
    response = signed_in(tenant_a_admin).get(f"/noc/alerts/?{query}")

    assert column(response, "alerts", 2) == (titles or ["No alerts match these filters."])


def test_alert_site_filter_and_another_sites_id(world: World, tenant_a_supervisor: Persona) -> None:
    client = signed_in(tenant_a_supervisor)

    north = client.get(f"/noc/alerts/?site={world.north.pk}&status=open")
    south = client.get(f"/noc/alerts/?site={world.south.pk}")

    assert column(north, "alerts", 2) == ["Pump pressure low", "SOS at the north gate"]
    # SOUTH is not the supervisor's: filtering by its id shows nothing, not its alerts.
    assert rows(south, "alerts") == [["No alerts match these filters."]]


def test_alert_list_is_paginated_with_its_filters(world: World, tenant_a: Any, tenant_a_admin: Persona) -> None:
    with tenant_context(tenant_a):
        for n in range(30):
            _alert(world.south, f"Sensor {n:02d} offline", Alert.Severity.LOW, 100 + n)
    client = signed_in(tenant_a_admin)

    first = client.get("/noc/alerts/?severity=LOW")
    second = client.get("/noc/alerts/?severity=LOW&page=2")

    assert column(first, "alerts", 2) == [f"Sensor {n:02d} offline" for n in range(25)]
    assert '<a rel="next" href="?severity=LOW&amp;page=2">' in html(first)
    assert column(second, "alerts", 2) == [
        *[f"Sensor {n:02d} offline" for n in range(25, 30)],
        "Panic button offline",
    ]
    assert "Page 2 of 2" in html(second)


#: Session, person, roles, the site picker, the count and the page of rows (with their joins).
ALERT_LIST_QUERIES = 6


def test_alert_list_queries_do_not_grow_with_rows(
    world: World, tenant_a: Any, tenant_a_admin: Persona, django_assert_num_queries: Any
) -> None:
    client = signed_in(tenant_a_admin)
    client.get("/noc/alerts/")  # warm the caches
    with django_assert_num_queries(ALERT_LIST_QUERIES):
        client.get("/noc/alerts/")
    with tenant_context(tenant_a):
        for n in range(20):
            _alert(world.north, f"More {n}", Alert.Severity.HIGH, 60 + n)
    with django_assert_num_queries(ALERT_LIST_QUERIES):
        client.get("/noc/alerts/")


def test_without_noc_view_the_alert_pages_are_forbidden(world: World, tenant_a_guard: Persona) -> None:
    client = signed_in(tenant_a_guard)

    assert client.get("/noc/alerts/").status_code == 403
    assert client.get(alert_path(world.alerts["sos"])).status_code == 403


def test_signed_out_the_alert_list_sends_to_sign_in(world: World) -> None:
    response = Client().get("/noc/alerts/")

    assert (response.status_code, response["Location"]) == (302, "/login/?next=/noc/alerts/")


# --- an alert -----------------------------------------------------------------------------------


def test_another_tenants_or_sites_alert_is_not_found(
    world: World, tenant_a_admin: Persona, tenant_a_supervisor: Persona
) -> None:
    admin, supervisor = signed_in(tenant_a_admin), signed_in(tenant_a_supervisor)

    assert admin.get(alert_path(world.other_alert)).status_code == 404
    assert admin.post(alert_path(world.other_alert), {"action": "acknowledge"}).status_code == 404
    assert supervisor.get(alert_path(world.alerts["tour"])).status_code == 404
    assert supervisor.get("/noc/alerts/99999999999999999999/").status_code == 404


def test_alert_page_shows_the_timeline_and_the_forms_its_status_allows(
    world: World, tenant_a_supervisor: Persona
) -> None:
    client = signed_in(tenant_a_supervisor)

    new = client.get(alert_path(world.alerts["sos"]))
    resolved = client.get(alert_path(world.alerts["panic"]))

    assert new.status_code == 200
    assert '<dd id="alert-status">New</dd>' in html(new)
    for form in ("form-acknowledge", "form-assign", "form-resolve", "form-comment"):
        assert f'id="{form}"' in html(new)
    assert html(new).count('name="csrfmiddlewaretoken"') == 5  # four forms and sign-out
    assert '<dd id="alert-status">Resolved</dd>' in html(resolved)
    assert ["form-comment"] == [
        f for f in ("form-acknowledge", "form-assign", "form-resolve", "form-comment") if f'id="{f}"' in html(resolved)
    ]
    assert "Battery replaced." in html(resolved)
    assert (inline_scripts(html(new)), external_urls(html(new))) == ([], [])


def test_acknowledge_through_the_form(world: World, tenant_a: Any, tenant_a_supervisor: Persona) -> None:
    client = signed_in(tenant_a_supervisor)
    sos = world.alerts["sos"]

    response = client.post(alert_path(sos), {"action": "acknowledge", "acknowledge-note": "On my way."})

    assert (response.status_code, response["Location"]) == (302, alert_path(sos))
    row = alert_row(tenant_a, sos)
    assert (row.status, row.acknowledged_by.pk, row.escalate_at) == (  # type: ignore[union-attr]
        "ACKNOWLEDGED",
        tenant_a_supervisor.person.pk,
        None,
    )
    page = client.get(alert_path(sos))
    assert '<dd id="alert-status">Acknowledged</dd>' in html(page)
    assert '<p class="message" role="status">Alert acknowledged.</p>' in html(page)
    assert "On my way." in html(page)
    assert 'id="form-acknowledge"' not in html(page)
    listed = client.get("/noc/alerts/")
    assert rows(listed, "alerts")[1][:3] == ["Critical", "Acknowledged", "SOS at the north gate"]


def test_an_action_without_the_csrf_token_is_refused(world: World, tenant_a: Any, tenant_a_supervisor: Persona) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")
    token = client.cookies["csrftoken"].value
    credentials = {"tenant": "alpha", "username": "supervisor", "password": tenant_a_supervisor.password}
    assert client.post("/login/", {**credentials, "csrfmiddlewaretoken": token}).status_code == 302
    sos = world.alerts["sos"]

    forged = client.post(alert_path(sos), {"action": "acknowledge"})
    with_token = client.post(
        alert_path(sos), {"action": "acknowledge", "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    )

    assert (forged.status_code, with_token.status_code) == (403, 302)
    with tenant_context(tenant_a):
        assert list(AlertEvent.objects.filter(alert=sos).values_list("kind", flat=True)) == ["CREATED", "ACKNOWLEDGED"]


def test_a_refused_action_shows_the_service_message(world: World, tenant_a: Any, tenant_a_supervisor: Persona) -> None:
    client = signed_in(tenant_a_supervisor)
    sos = world.alerts["sos"]
    client.post(alert_path(sos), {"action": "acknowledge"})
    before = alert_row(tenant_a, sos).modified_at

    # A second operator, with the page loaded before the first acknowledged it.
    again = client.post(alert_path(sos), {"action": "acknowledge", "acknowledge-note": "Me too"})

    assert again.status_code == 409
    assert (
        '<div class="errors" role="alert" id="action-error">An alert that is ACKNOWLEDGED cannot be acknowledged.</div>'
        in html(again)
    )
    assert alert_row(tenant_a, sos).modified_at == before


def test_resolve_needs_a_note_then_resolves(world: World, tenant_a: Any, tenant_a_supervisor: Persona) -> None:
    client = signed_in(tenant_a_supervisor)
    pump = world.alerts["pump"]

    refused = client.post(alert_path(pump), {"action": "resolve", "resolve-note": "   "})
    assert refused.status_code == 400
    assert "A note is required." in html(refused)
    assert alert_row(tenant_a, pump).status == "NEW"

    done = client.post(alert_path(pump), {"action": "resolve", "resolve-note": "Valve reopened."})

    assert done.status_code == 302
    row = alert_row(tenant_a, pump)
    assert (row.status, row.resolution_note, row.resolved_by.pk) == (  # type: ignore[union-attr]
        "RESOLVED",
        "Valve reopened.",
        tenant_a_supervisor.person.pk,
    )
    listed = client.get("/noc/alerts/")
    assert [cells[1:3] for cells in rows(listed, "alerts")] == [
        ["New", "SOS at the north gate"],
        ["Resolved", "Panic button offline"],  # raised 2 minutes ago, the pump 5
        ["Resolved", "Pump pressure low"],
    ]


def test_alert_comment_through_the_form(world: World, tenant_a: Any, tenant_a_admin: Persona) -> None:
    panic = world.alerts["panic"]

    response = signed_in(tenant_a_admin).post(
        alert_path(panic), {"action": "comment", "comment-note": "Checked twice."}
    )

    assert response.status_code == 302
    with tenant_context(tenant_a):
        last = AlertEvent.objects.filter(alert=panic).order_by("-at", "-pk").first()
        assert (last.kind, last.note, last.actor_id) == ("COMMENTED", "Checked twice.", tenant_a_admin.person.pk)  # type: ignore[union-attr]


def test_assign_offers_the_people_who_may_see_the_site(
    world: World, tenant_a: Any, tenant_a_admin: Persona, tenant_a_supervisor: Persona, tenant_a_guard: Persona
) -> None:
    sos = world.alerts["sos"]

    as_supervisor = signed_in(tenant_a_supervisor).get(alert_path(sos))
    as_admin = signed_in(tenant_a_admin)
    page = as_admin.get(alert_path(sos))

    def names(response: Any) -> list[str]:
        return [label for _, label in options(response, "assign-person")]

    # The rule of assign_alert: people the actor may see who may see NORTH themselves and
    # respond to alerts. Not the south guard; for the supervisor not the admin either (based
    # nowhere the supervisor works); never the client viewer, whose client owns NORTH but who
    # does not respond to alarms.
    assert names(as_supervisor) == ["Choose a person", "Guard", "Supervisor", "Wendy Watcher"]
    assert names(page) == ["Choose a person", "Admin", "Guard", "Supervisor", "Wendy Watcher"]

    response = as_admin.post(alert_path(sos), {"action": "assign", "assign-person": tenant_a_guard.person.pk})

    assert response.status_code == 302
    row = alert_row(tenant_a, sos)
    assert (row.status, row.assigned_to.pk) == ("ASSIGNED", tenant_a_guard.person.pk)  # type: ignore[union-attr]
    assert '<dd id="alert-assigned-to">Guard</dd>' in html(as_admin.get(alert_path(sos)))

    south = as_admin.post(alert_path(sos), {"action": "assign", "assign-person": world.south_guard.person.pk})
    assert south.status_code == 400
    assert f"Person {world.south_guard.person.pk} may not see the alert&#x27;s site." in html(south)
    assert alert_row(tenant_a, sos).assigned_to_id == tenant_a_guard.person.pk


def test_noc_view_without_noc_manage_reads_but_cannot_act(world: World, tenant_a: Any) -> None:
    client = signed_in(world.watcher)
    sos = world.alerts["sos"]

    page = client.get(alert_path(sos))
    refused = client.post(alert_path(sos), {"action": "acknowledge"})

    assert page.status_code == 200
    assert 'id="alert-actions"' not in html(page)
    assert refused.status_code == 403
    assert alert_row(tenant_a, sos).status == "NEW"


# --- the ticket list ----------------------------------------------------------------------------


def numbers(response: Any) -> list[str]:
    return column(response, "tickets", 0)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("tenant_a_admin", ["NORTH#2", "SOUTH#1", "NORTH#1"]),
        ("tenant_a_supervisor", ["NORTH#2", "NORTH#1"]),
        ("tenant_a_guard", ["NORTH#1"]),
        ("tenant_a_client", ["NORTH#2", "NORTH#1"]),
    ],
)
def test_ticket_list_follows_the_helpdesk_scope(
    world: World, request: pytest.FixtureRequest, persona: str, expected: list[str]
) -> None:
    response = signed_in(request.getfixturevalue(persona)).get("/tickets/")

    assert response.status_code == 200
    assert numbers(response) == expected
    assert (inline_scripts(html(response)), external_urls(html(response))) == ([], [])


def test_ticket_list_rows(world: World, tenant_a_admin: Persona) -> None:
    response = signed_in(tenant_a_admin).get("/tickets/")

    assert [cells[:7] for cells in rows(response, "tickets")] == [
        ["NORTH#2", "Car park lights out", "NORTH", "—", "Low", "New", "Supervisor"],
        ["SOUTH#1", "Leaking roof", "SOUTH", "—", "Medium", "New", "—"],
        ["NORTH#1", "Broken gate lock", "NORTH", "Maintenance", "High", "New", "—"],
    ]
    assert f'<a href="/tickets/{world.tickets["roof"].pk}/">SOUTH#1</a>' in html(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("priority=HIGH", ["NORTH#1"]),
        ("status=NEW&priority=LOW", ["NORTH#2"]),
        ("status=OPEN", []),
        ("mine=on", ["NORTH#2"]),
    ],
)
def test_ticket_filters(world: World, tenant_a_supervisor: Persona, query: str, expected: list[str]) -> None:
    response = signed_in(tenant_a_supervisor).get(f"/tickets/?{query}")

    assert numbers(response) == (expected or ["No tickets match these filters."])


def test_ticket_site_filter(world: World, tenant_a_admin: Persona) -> None:
    response = signed_in(tenant_a_admin).get(f"/tickets/?site={world.south.pk}")

    assert numbers(response) == ["SOUTH#1"]


TICKET_LIST_QUERIES = 6  # the same six


def test_ticket_list_queries_do_not_grow_with_rows(
    world: World, tenant_a: Any, tenant_a_admin: Persona, django_assert_num_queries: Any
) -> None:
    client = signed_in(tenant_a_admin)
    client.get("/tickets/")  # warm the caches
    with django_assert_num_queries(TICKET_LIST_QUERIES):
        client.get("/tickets/")
    with tenant_context(tenant_a):
        for n in range(10):
            helpdesk.raise_ticket(site=world.north, category=world.maintenance, title=f"More {n}")
    with django_assert_num_queries(TICKET_LIST_QUERIES):
        client.get("/tickets/")


def test_tickets_need_a_ticket_capability(world: World) -> None:
    response = signed_in(world.watcher).get("/tickets/")

    assert response.status_code == 403


# --- a ticket -----------------------------------------------------------------------------------


def test_another_tenants_or_out_of_scope_ticket_is_not_found(
    world: World, tenant_a_admin: Persona, tenant_a_supervisor: Persona, tenant_a_guard: Persona
) -> None:
    assert signed_in(tenant_a_admin).get(ticket_path(world.other_ticket)).status_code == 404
    assert signed_in(tenant_a_supervisor).get(ticket_path(world.tickets["roof"])).status_code == 404
    assert signed_in(tenant_a_guard).get(ticket_path(world.tickets["lights"])).status_code == 404


def test_ticket_page_offers_only_the_allowed_next_statuses(world: World, tenant_a_supervisor: Persona) -> None:
    response = signed_in(tenant_a_supervisor).get(ticket_path(world.tickets["lock"]))

    assert response.status_code == 200
    assert options(response, "transition-to") == [("OPEN", "Open"), ("CANCELLED", "Cancelled")]
    for form in ("form-transition", "form-assign", "form-comment"):
        assert f'id="{form}"' in html(response)


def test_transition_through_the_form(world: World, tenant_a: Any, tenant_a_supervisor: Persona) -> None:
    client = signed_in(tenant_a_supervisor)
    lock = world.tickets["lock"]

    response = client.post(
        ticket_path(lock), {"action": "transition", "transition-to": "OPEN", "transition-note": "On it."}
    )

    assert (response.status_code, response["Location"]) == (302, ticket_path(lock))
    assert ticket_row(tenant_a, lock).status == "OPEN"
    page = client.get(ticket_path(lock))
    assert '<dd id="ticket-status">Open</dd>' in html(page)
    assert "status: NEW → OPEN" in html(page)
    assert numbers(client.get("/tickets/?status=OPEN")) == ["NORTH#1"]


def test_an_invalid_transition_shows_the_error(world: World, tenant_a: Any, tenant_a_supervisor: Persona) -> None:
    lock = world.tickets["lock"]

    response = signed_in(tenant_a_supervisor).post(
        ticket_path(lock), {"action": "transition", "transition-to": "CLOSED"}
    )

    assert response.status_code == 409
    assert '<div class="errors" role="alert" id="action-error">A ticket cannot go from NEW to CLOSED.</div>' in html(
        response
    )
    assert ticket_row(tenant_a, lock).status == "NEW"


def test_ticket_comment_through_the_form(world: World, tenant_a: Any, tenant_a_guard: Persona) -> None:
    client = signed_in(tenant_a_guard)  # the guard raised it, so may comment
    lock = world.tickets["lock"]

    response = client.post(ticket_path(lock), {"action": "comment", "comment-body": "Still broken at 02:00."})

    assert response.status_code == 302
    with tenant_context(tenant_a):
        assert list(TicketComment.objects.filter(ticket=lock).values_list("body", "author_id")) == [
            ("Still broken at 02:00.", tenant_a_guard.person.pk)
        ]
    page = client.get(ticket_path(lock))
    assert "Still broken at 02:00." in html(page)
    # A guard is not a handler: no status or assignee forms.
    assert ('id="form-transition"' in html(page), 'id="form-assign"' in html(page)) == (False, False)


def test_assign_through_the_form(
    world: World, tenant_a: Any, tenant_a_supervisor: Persona, tenant_a_guard: Persona
) -> None:
    client = signed_in(tenant_a_supervisor)
    lock = world.tickets["lock"]

    to_guard = client.post(
        ticket_path(lock), {"action": "assign", "assign-assignee": f"person:{tenant_a_guard.person.pk}"}
    )
    assert to_guard.status_code == 302
    assert ticket_row(tenant_a, lock).assignee_person_id == tenant_a_guard.person.pk

    to_team = client.post(ticket_path(lock), {"action": "assign", "assign-assignee": f"team:{world.crew.pk}"})
    assert to_team.status_code == 302
    row = ticket_row(tenant_a, lock)
    assert (row.assignee_person_id, row.assignee_team_id) == (None, world.crew.pk)
    assert '<dd id="ticket-assignee">Crew (team)</dd>' in html(client.get(ticket_path(lock)))


def test_a_client_viewer_reads_a_ticket_but_cannot_act(world: World, tenant_a: Any, tenant_a_client: Persona) -> None:
    client = signed_in(tenant_a_client)
    lock = world.tickets["lock"]

    page = client.get(ticket_path(lock))
    refused = client.post(ticket_path(lock), {"action": "comment", "comment-body": "Hello"})

    assert page.status_code == 200
    assert 'id="ticket-actions"' not in html(page)
    assert refused.status_code == 403
    assert "You may not do this to this ticket." in html(refused)
    with tenant_context(tenant_a):
        assert TicketComment.objects.filter(ticket=lock).count() == 0


def test_attachments_link_to_the_rest_download_the_session_can_use(
    world: World, tenant_a: Any, tenant_a_supervisor: Persona, settings: Any, tmp_path: Any
) -> None:
    from apps.helpdesk.tests.factories import image_bytes, photo

    settings.MEDIA_ROOT = tmp_path
    lock = world.tickets["lock"]
    with tenant_context(tenant_a):
        supervisor = Person.objects.prefetch_related("roles").get(pk=tenant_a_supervisor.person.pk)
        attachment = helpdesk.attach_file(supervisor, lock, photo("gate.png"))
    client = signed_in(tenant_a_supervisor)

    page = client.get(ticket_path(lock))
    link = f"/api/v1/tickets/{lock.pk}/attachments/{attachment.pk}/"
    download = client.get(link)

    assert f'<a href="{link}">gate.png</a>' in html(page)
    assert (download.status_code, download["Content-Type"]) == (200, "image/png")
    assert b"".join(download.streaming_content) == image_bytes()  # type: ignore[attr-defined]


# --- raising a ticket ---------------------------------------------------------------------------


def test_raise_a_ticket_at_ones_site(world: World, tenant_a: Any, tenant_a_supervisor: Persona) -> None:
    client = signed_in(tenant_a_supervisor)

    form = client.get("/tickets/new/")
    assert form.status_code == 200
    assert f'<option value="{world.north.pk}">NORTH · North Gate</option>' in html(form)
    assert "SOUTH" not in html(form)
    assert f'<option value="{world.maintenance.pk}">Maintenance</option>' in html(form)
    token = html(form).split('name="uuid" value="')[1].split('"')[0]

    fields = {
        "site": world.north.pk,
        "category": world.maintenance.pk,
        "priority": "URGENT",
        "title": "Fire door propped open",
        "description": "Level 2, east stairwell.",
        "uuid": token,
    }
    response = client.post("/tickets/new/", fields)
    again = client.post("/tickets/new/", fields)  # a double click

    with tenant_context(tenant_a):
        ticket = Ticket.objects.get(title="Fire door propped open")
        assert (ticket.number, ticket.priority, ticket.category_id, ticket.raised_by_id, ticket.status) == (
            "NORTH#3",
            "URGENT",
            world.maintenance.pk,
            tenant_a_supervisor.person.pk,
            "NEW",
        )
        assert Ticket.objects.filter(title="Fire door propped open").count() == 1
    assert (response.status_code, response["Location"]) == (302, ticket_path(ticket))
    assert (again.status_code, again["Location"]) == (302, ticket_path(ticket))
    assert "Ticket NORTH#3 raised." in html(client.get(ticket_path(ticket)))


def test_raising_at_another_site_shows_the_error(world: World, tenant_a: Any, tenant_a_supervisor: Persona) -> None:
    response = signed_in(tenant_a_supervisor).post(
        "/tickets/new/", {"site": world.south.pk, "priority": "LOW", "title": "Not mine"}
    )

    assert response.status_code == 400
    assert f"Site {world.south.pk} does not exist or is not one of yours." in html(response)
    with tenant_context(tenant_a):
        assert not Ticket.objects.filter(title="Not mine").exists()


def test_a_client_viewer_cannot_raise_tickets(world: World, tenant_a_client: Persona) -> None:
    assert signed_in(tenant_a_client).get("/tickets/new/").status_code == 403


# --- navigation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "links"),
    [
        ("tenant_a_admin", ["Home", "Alerts", "Tickets", "Jobs today"]),
        ("tenant_a_supervisor", ["Home", "Alerts", "Tickets", "Jobs today"]),
        ("tenant_a_guard", ["Home", "Tickets"]),
        ("tenant_a_client", ["Home", "Tickets"]),
    ],
)
def test_navigation_shows_what_the_person_may_open(
    world: World, request: pytest.FixtureRequest, persona: str, links: list[str]
) -> None:
    assert nav_links(signed_in(request.getfixturevalue(persona)).get("/")) == links


def test_navigation_without_noc_manage_or_tickets(world: World) -> None:
    page = signed_in(world.watcher).get("/noc/alerts/")

    assert nav_links(page) == ["Home", "Alerts"]
    assert '<a href="/noc/alerts/" aria-current="page">Alerts</a>' in html(page)
