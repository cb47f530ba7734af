"""Every door records its changes: who (person or job), through which door, the request id,
and the fields changed from and to, with secrets masked.

Each test acts as a user does (REST through the API client, GraphQL through POST
/graphql/, the admin and the console through a signed-in browser client, an upload and
``manage.py import_master_data``, a Celery task) and then reads the entries back.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client as WebClient

from apps.audit.models import ChangeLog
from apps.core import context
from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql
from apps.core.tests.tasks_for_tests import TEST_QUEUE, celery_worker  # noqa: F401
from apps.noc.models import Alert
from apps.noc.services import raise_alert
from apps.notifications.models import Webhook
from apps.people.models import Person, Role, RoleAssignment
from apps.tenants.models import Lookup
from conftest import Persona

from .helpers import HOOK_URL, entries, related_to, summary, who
from .tasks_for_tests import rename_lookup

pytestmark = pytest.mark.django_db

MASK = "********"


def signed_in(persona: Persona) -> WebClient:
    browser = WebClient()
    response = browser.post(
        "/login/", {"tenant": persona.tenant.slug, "username": persona.login, "password": persona.password}
    )
    assert response.status_code == 302, response.content
    return browser


def webhook_created(url: str, description: str) -> dict[str, list[Any]]:
    return {
        "url": [None, url],
        "events": [None, ["alert.*"]],
        "secret": [None, MASK],
        "active": [None, True],
        "description": [None, description],
    }


def test_rest_create_change_rotate_and_delete(tenant_a: Any, tenant_a_admin: Persona) -> None:
    api = tenant_a_admin.client()
    created = api.post(
        "/api/v1/webhooks/",
        {"url": HOOK_URL, "events": ["alert.*"], "description": "ERP"},
        format="json",
        HTTP_X_REQUEST_ID="req-create",
    )
    assert created.status_code == 201, created.content
    hook, first_secret = created.json()["id"], created.json()["secret"]
    changed = api.patch(
        f"/api/v1/webhooks/{hook}/", {"description": "ERP v2"}, format="json", HTTP_X_REQUEST_ID="req-change"
    )
    unchanged = api.patch(f"/api/v1/webhooks/{hook}/", {"description": "ERP v2"}, format="json")
    rotated = api.post(f"/api/v1/webhooks/{hook}/rotate-secret/", HTTP_X_REQUEST_ID="req-rotate")
    deleted = api.delete(f"/api/v1/webhooks/{hook}/", HTTP_X_REQUEST_ID="req-delete")
    assert [changed.status_code, unchanged.status_code, rotated.status_code, deleted.status_code] == [
        200,
        200,
        200,
        204,
    ]

    log = entries(tenant_a, Webhook)
    admin = tenant_a_admin.person.pk
    assert [who(entry) for entry in log] == [
        ("REST", admin, "admin", "req-create"),
        ("REST", admin, "admin", "req-change"),
        ("REST", admin, "admin", "req-rotate"),
        ("REST", admin, "admin", "req-delete"),
    ]
    assert [summary(entry) for entry in log] == [
        ("CREATE", "notifications.webhook", hook, webhook_created(HOOK_URL, "ERP")),
        ("UPDATE", "notifications.webhook", hook, {"description": ["ERP", "ERP v2"]}),  # the same PATCH again: none
        ("UPDATE", "notifications.webhook", hook, {"secret": [MASK, MASK]}),  # a rotation shows, its secret never
        (
            "DELETE",
            "notifications.webhook",
            hook,
            {
                "url": [HOOK_URL, None],
                "events": [["alert.*"], None],
                "secret": [MASK, None],
                "active": [True, None],
                "description": ["ERP v2", None],
            },
        ),
    ]
    assert [entry.object_repr for entry in log] == [HOOK_URL] * 4
    with tenant_context(tenant_a):
        stored = json.dumps(list(ChangeLog.objects.values_list("changes", flat=True)))
    assert first_secret not in stored and rotated.json()["secret"] not in stored


def test_graphql_create_change_and_delete(tenant_a: Any, tenant_a_admin: Persona) -> None:
    token = tenant_a_admin.tokens().access
    created = post_graphql(
        WebClient(),
        "mutation($input: WebhookInput!) { createWebhook(input: $input) { webhook { id } secret } }",
        {"input": {"url": HOOK_URL, "events": ["alert.*"], "description": "Payroll"}},
        token=token,
        HTTP_X_REQUEST_ID="gql-create",
    ).json()
    hook = int(created["data"]["createWebhook"]["webhook"]["id"])
    changed = post_graphql(
        WebClient(),
        "mutation($id: ID!) { updateWebhook(id: $id, input: {active: false}) { webhook { active } } }",
        {"id": hook},
        token=token,
        HTTP_X_REQUEST_ID="gql-change",
    ).json()
    deleted = post_graphql(
        WebClient(),
        "mutation($id: ID!) { deleteWebhook(id: $id) { deleted } }",
        {"id": hook},
        token=token,
        HTTP_X_REQUEST_ID="gql-delete",
    ).json()
    assert (changed["data"], deleted["data"]) == (
        {"updateWebhook": {"webhook": {"active": False}}},
        {"deleteWebhook": {"deleted": True}},
    )

    log = entries(tenant_a, Webhook)
    admin = tenant_a_admin.person.pk
    assert [who(entry) for entry in log] == [
        ("GRAPHQL", admin, "admin", "gql-create"),
        ("GRAPHQL", admin, "admin", "gql-change"),
        ("GRAPHQL", admin, "admin", "gql-delete"),
    ]
    assert [(entry.action, entry.changes) for entry in log[:2]] == [
        ("CREATE", webhook_created(HOOK_URL, "Payroll")),
        ("UPDATE", {"active": [True, False]}),
    ]
    assert log[2].action == "DELETE" and log[2].changes["active"] == [False, None]


def test_a_role_change_in_the_admin_shows_in_the_persons_history(
    tenant_a: Any, tenant_a_admin: Persona, tenant_a_guard: Persona
) -> None:
    with tenant_context(tenant_a):
        guard = Person.objects.prefetch_related("roles").get(pk=tenant_a_guard.person.pk)
        roles = {role.code: role for role in Role.objects.all()}
        old = RoleAssignment.objects.get(person=guard)
    browser = signed_in(tenant_a_admin)
    form = {
        "login": guard.login,
        "name": guard.name,
        "new_password": "",
        "code": "",
        "email": "",
        "mobile": "",
        "roles": [roles["supervisor"].pk],
        "home_site": "",
        "reports_to": "",
        "department": "",
        "designation": "",
        "client": "",
        "bound_device_id": "",
        "is_active": "on",
    }
    response = browser.post(f"/admin/people/person/{guard.pk}/change/", form, HTTP_X_REQUEST_ID="admin-roles")
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response

    with tenant_context(tenant_a):
        new = RoleAssignment.objects.get(person=guard)
    log = [entry for entry in related_to(tenant_a, guard) if entry.request_id == "admin-roles"]
    assert [who(entry) for entry in log] == [("ADMIN", tenant_a_admin.person.pk, "admin", "admin-roles")] * 2
    assert [summary(entry) for entry in log] == [
        ("DELETE", "people.roleassignment", old.pk, {"person": [guard.pk, None], "role": [roles["guard"].pk, None]}),
        (
            "CREATE",
            "people.roleassignment",
            new.pk,
            {"person": [None, guard.pk], "role": [None, roles["supervisor"].pk]},
        ),
    ]
    # Nothing else of the person changed, so the person itself has no entry from this save.
    assert [entry.action for entry in entries(tenant_a, Person, object_id=guard.pk)] == ["CREATE"]


def test_a_role_change_over_rest(tenant_a: Any, tenant_a_admin: Persona, tenant_a_guard: Persona) -> None:
    guard = tenant_a_guard.person
    response = tenant_a_admin.client().patch(
        f"/api/v1/people/{guard.pk}/", {"roles": ["guard", "supervisor"]}, format="json", HTTP_X_REQUEST_ID="roles"
    )
    assert response.status_code == 200, response.content
    with tenant_context(tenant_a):
        added = RoleAssignment.objects.get(person=guard, role__code="supervisor")
    log = [entry for entry in related_to(tenant_a, guard) if entry.request_id == "roles"]
    assert [(who(entry), summary(entry)) for entry in log] == [
        (
            ("REST", tenant_a_admin.person.pk, "admin", "roles"),
            ("CREATE", "people.roleassignment", added.pk, {"person": [None, guard.pk], "role": [None, added.role_id]}),
        )
    ]


def test_a_console_action_is_recorded_with_the_signed_in_person(tenant_a: Any, tenant_a_admin: Persona) -> None:
    with tenant_context(tenant_a):
        alert = raise_alert(
            site=None, type=Alert.Type.PANIC, severity=Alert.Severity.HIGH, dedupe_key="panic:1", title="Panic"
        )
    browser = signed_in(tenant_a_admin)
    response = browser.post(
        f"/noc/alerts/{alert.pk}/", {"action": "acknowledge", "note": "On it"}, HTTP_X_REQUEST_ID="console-ack"
    )
    assert response.status_code == 302

    with tenant_context(tenant_a):
        after = Alert.objects.get(pk=alert.pk)
    log = entries(tenant_a, Alert, request_id="console-ack")
    assert [who(entry) for entry in log] == [("CONSOLE", tenant_a_admin.person.pk, "admin", "console-ack")]
    action, kind, object_id, changes = summary(log[0])
    assert (action, kind, object_id) == ("UPDATE", "noc.alert", alert.pk)
    assert changes["status"] == ["NEW", "ACKNOWLEDGED"]
    assert changes["acknowledged_by"] == [None, tenant_a_admin.person.pk]
    assert changes["acknowledged_at"] == [None, after.acknowledged_at.isoformat()]  # type: ignore[union-attr]
    # Raised by no one in particular (a test, like a system job): the label says so.
    assert [who(entry) for entry in entries(tenant_a, Alert, action="CREATE")] == [("SYSTEM", None, "system", "")]
    # A dedupe key is no secret, though its name holds "key": the naming rule gives way.
    assert entries(tenant_a, Alert, action="CREATE")[0].changes["dedupe_key"] == [None, "panic:1"]


LOOKUPS_CSV = b"kind,code,name\nDEPARTMENT,OPS,Operations\n"


def lookup_created(code: str, name: str) -> dict[str, list[Any]]:
    return {
        "kind": [None, "DEPARTMENT"],
        "code": [None, code],
        "name": [None, name],
        "position": [None, 0],
        "is_active": [None, True],
    }


def test_an_upload_is_recorded_as_an_import_by_its_person(tenant_a: Any, tenant_a_admin: Persona) -> None:
    upload = io.BytesIO(LOOKUPS_CSV)
    upload.name = "lookups.csv"
    response = tenant_a_admin.client().post(
        "/api/v1/imports/", {"file": upload, "kind": "lookups"}, format="multipart", HTTP_X_REQUEST_ID="upload-1"
    )
    assert response.status_code == 200, response.content
    with tenant_context(tenant_a):
        lookup = Lookup.objects.get(code="OPS")
    log = entries(tenant_a, Lookup)
    assert [(who(entry), summary(entry)) for entry in log] == [
        (
            ("IMPORT", tenant_a_admin.person.pk, "admin", "upload-1"),
            ("CREATE", "tenants.lookup", lookup.pk, lookup_created("OPS", "Operations")),
        )
    ]


def test_manage_py_runs_every_command_in_the_command_door(monkeypatch: pytest.MonkeyPatch) -> None:
    import django.core.management

    import manage

    seen: list[tuple[str, str, str | None]] = []

    def probe(argv: list[str]) -> None:
        seen.append((context.current_door(), context.current_actor_label(), context.current_request_id()))

    monkeypatch.setattr(django.core.management, "execute_from_command_line", probe)
    manage.main(["manage.py", "load_demo"])
    manage.main(["manage.py"])
    assert [(door, label) for door, label, _ in seen] == [("COMMAND", "command:load_demo"), ("COMMAND", "command:help")]
    assert all(request_id is not None and len(request_id) == 32 for _, _, request_id in seen)
    assert seen[0][2] != seen[1][2]
    # The context ends with the command.
    assert (context.current_door(), context.current_actor_label()) == ("SYSTEM", "system")


def test_the_import_command_is_recorded_as_an_import_by_the_command(tenant_a: Any, tmp_path: Any) -> None:
    """What ``manage.py import_master_data`` runs (manage.main wraps it as above; here the
    command is called in-process, since a real run closes the test's connection)."""
    path = tmp_path / "lookups.csv"
    path.write_bytes(LOOKUPS_CSV)
    with context.command_context("import_master_data"):
        call_command("import_master_data", tenant_a.slug, str(path), "--kind", "lookups", stdout=io.StringIO())
    path.write_bytes(b"kind,code,name\nDEPARTMENT,OPS,Operations and security\n")
    with context.command_context("import_master_data"):
        call_command("import_master_data", tenant_a.slug, str(path), "--kind", "lookups", stdout=io.StringIO())

    log = entries(tenant_a, Lookup)
    assert [(entry.door, entry.actor_id, entry.actor_label) for entry in log] == [
        ("IMPORT", None, "command:import_master_data")
    ] * 2
    # One correlation id per command run, a different one for the next run.
    assert len({entry.request_id for entry in log}) == 2 and all(len(entry.request_id) == 32 for entry in log)
    assert [entry.changes for entry in log] == [
        lookup_created("OPS", "Operations"),
        {"name": ["Operations", "Operations and security"]},
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_a_task_is_recorded_under_its_name_for_the_person_who_started_it(
    tenant_a: Any, tenant_a_admin: Persona
) -> None:
    """Published from a request (tenant, actor and request id travel in the headers), run
    by a real worker: the TASK door, the task's name, and the person who asked."""
    with tenant_context(tenant_a):
        lookup = Lookup.objects.create(kind=Lookup.Kind.DEPARTMENT, code="OPS", name="Operations")
    tokens = context.bind_request_id("req-task")
    actor = context.set_actor(tenant_a_admin.person.pk, label="admin")
    try:
        with tenant_context(tenant_a):
            result = rename_lookup.apply_async(args=(lookup.pk, "Ops"), queue=TEST_QUEUE)
    finally:
        context.reset_actor(actor)
        context.reset_request_id(tokens)
    assert result.get(timeout=20) == "Ops"
    update = entries(tenant_a, Lookup, action="UPDATE")
    assert [(who(entry), entry.changes) for entry in update] == [
        (
            ("TASK", tenant_a_admin.person.pk, "task:audittests.rename_lookup", "req-task"),
            {"name": ["Operations", "Ops"]},
        )
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
def test_a_scheduled_task_without_a_person_is_recorded_as_the_task(tenant_a: Any) -> None:
    with tenant_context(tenant_a):
        lookup = Lookup.objects.create(kind=Lookup.Kind.DEPARTMENT, code="OPS", name="Operations")
        result = rename_lookup.apply_async(args=(lookup.pk, "Ops"), queue=TEST_QUEUE)
    assert result.get(timeout=20) == "Ops"
    (update,) = entries(tenant_a, Lookup, action="UPDATE")
    assert (update.door, update.actor_id, update.actor_label) == ("TASK", None, "task:audittests.rename_lookup")


def test_an_admin_edit_of_a_plain_model_admin_names_the_signed_in_person(
    tenant_a: Any, tenant_a_admin: Persona
) -> None:
    """The lookup admin saves through its service without naming an actor: the session does."""
    with tenant_context(tenant_a):
        lookup = Lookup.objects.create(kind=Lookup.Kind.DEPARTMENT, code="OPS", name="Operations")
    response = signed_in(tenant_a_admin).post(
        f"/admin/tenants/lookup/{lookup.pk}/change/",
        {"code": "OPS", "name": "Operations and security", "position": "2", "is_active": "on"},
        HTTP_X_REQUEST_ID="admin-lookup",
    )
    assert response.status_code == 302
    (update,) = entries(tenant_a, Lookup, action="UPDATE")
    assert (who(update), update.changes) == (
        ("ADMIN", tenant_a_admin.person.pk, "admin", "admin-lookup"),
        {"name": ["Operations", "Operations and security"], "position": [0, 2]},
    )


def test_a_ticket_raised_in_the_console_is_a_console_creation(tenant_a: Any, tenant_a_admin: Persona) -> None:
    from apps.helpdesk.models import Ticket
    from apps.scheduling.tests.factories import make_site

    with tenant_context(tenant_a):
        site = make_site("NORTH", name="North Gate")
    browser = signed_in(tenant_a_admin)
    form = browser.get("/tickets/new/").content.decode()
    token = form.split('name="uuid" value="')[1].split('"')[0]
    response = browser.post(
        "/tickets/new/",
        {"site": site.pk, "priority": "HIGH", "title": "Gate jammed", "description": "", "uuid": token},
        HTTP_X_REQUEST_ID="console-ticket",
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        ticket = Ticket.objects.get(title="Gate jammed")
    (created,) = entries(tenant_a, Ticket, action="CREATE")
    assert who(created) == ("CONSOLE", tenant_a_admin.person.pk, "admin", "console-ticket")
    assert (created.object_id, created.object_repr) == (ticket.pk, str(ticket))
    assert {field: created.changes[field] for field in ("title", "priority", "status", "site", "raised_by")} == {
        "title": [None, "Gate jammed"],
        "priority": [None, "HIGH"],
        "status": [None, "NEW"],
        "site": [None, site.pk],
        "raised_by": [None, tenant_a_admin.person.pk],
    }
