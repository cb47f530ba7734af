"""An object's history as people see it: the admin's "History" of every tenant model and the
"History" section of the console's alert, ticket and job pages (tenant admins only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client as WebClient
from django.utils import timezone

from apps.audit.admin_history import history_view
from apps.audit.capture import is_logged
from apps.core.tenancy import tenant_context
from apps.helpdesk.models import Ticket
from apps.helpdesk.services import create_ticket
from apps.noc.models import Alert
from apps.noc.services import raise_alert
from apps.people.models import Person, Role
from apps.scheduling.services import create_adhoc_job
from apps.scheduling.tests.factories import make_site
from apps.sites.models import SiteAssignment
from conftest import Persona

from .helpers import entries

pytestmark = pytest.mark.django_db


def signed_in(persona: Persona) -> WebClient:
    browser = WebClient()
    response = browser.post(
        "/login/", {"tenant": persona.tenant.slug, "username": persona.login, "password": persona.password}
    )
    assert response.status_code == 302, response.content
    return browser


def test_every_tenant_model_admin_shows_the_change_log_as_its_history() -> None:
    patched = {
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if getattr(model_admin.history_view, "__func__", None) is history_view
    }
    logged = {model._meta.label_lower for model in admin.site._registry if is_logged(model)}
    assert patched == logged
    assert {"people.person", "scheduling.schedule", "notifications.webhook", "tenants.lookup"} <= patched


def test_a_persons_admin_history_lists_their_role_changes(
    tenant_a: Any, tenant_a_admin: Persona, tenant_a_guard: Persona
) -> None:
    guard = tenant_a_guard.person
    with tenant_context(tenant_a):
        supervisor_role = Role.objects.get(code="supervisor")
        Person.objects.get(pk=guard.pk).roles.add(supervisor_role)
    response = signed_in(tenant_a_admin).get(f"/admin/people/person/{guard.pk}/history/")
    assert response.status_code == 200
    rows = response.context["rows"]
    log = entries(tenant_a, Person, object_id=guard.pk) + [
        entry
        for entry in entries(tenant_a)
        if (entry.related_type_id, entry.related_id) == (ContentType.objects.get_for_model(Person).pk, guard.pk)
    ]
    assert sorted(row.entry.pk for row in rows) == sorted(entry.pk for entry in log)
    newest = rows[0]
    assert newest.what == f"Changed person “{guard.name} ({guard.login})”"
    assert newest.changes[0][0] == "roles"
    page = response.content.decode()
    assert f'id="change-{newest.entry.pk}"' in page and "Created role assignment" in page


def test_another_tenants_admin_gets_no_history_of_its_objects(
    tenant_a: Any, tenant_a_guard: Persona, tenant_b_admin: Persona
) -> None:
    response = signed_in(tenant_b_admin).get(f"/admin/people/person/{tenant_a_guard.person.pk}/history/")
    assert response.status_code == 302  # the admin's "no such object", back to its index
    assert "rows" not in (response.context or {})


@pytest.fixture
def pages(
    tenant_a: Any, tenant_a_admin: Persona, tenant_a_supervisor: Persona, tenant_a_guard: Persona
) -> dict[str, str]:
    """An alert, a ticket and a job (the guard's) at a site the supervisor works at; their page paths."""
    with tenant_context(tenant_a):
        site = make_site("NORTH", name="North Gate")
        SiteAssignment.objects.create(person=tenant_a_supervisor.person, site=site)
        SiteAssignment.objects.create(person=tenant_a_guard.person, site=site)
        alert = raise_alert(
            site=site, type=Alert.Type.PANIC, severity=Alert.Severity.HIGH, dedupe_key="panic:north", title="Panic"
        )
        ticket, _ = create_ticket(tenant_a_admin.person, site_id=site.pk, title="Broken fence")
        job = create_adhoc_job(
            tenant_a_admin.person,
            title="Check the fence",
            site=site.pk,
            plan_at=timezone.now() + timedelta(hours=1),
            assignee_person=tenant_a_guard.person.pk,
        )
    return {"alert": f"/noc/alerts/{alert.pk}/", "ticket": f"/tickets/{ticket.pk}/", "job": f"/jobs/{job.pk}/"}


def test_console_pages_show_the_history_to_tenant_admins_only(
    tenant_a: Any, tenant_a_admin: Persona, tenant_a_supervisor: Persona, pages: dict[str, str]
) -> None:
    admin_browser, supervisor_browser = signed_in(tenant_a_admin), signed_in(tenant_a_supervisor)
    for kind, path in pages.items():
        shown = admin_browser.get(path)
        assert shown.status_code == 200, (kind, shown.status_code)
        page = shown.content.decode()
        assert '<div class="card" id="changelog">' in page, kind
        object_id = int(path.rstrip("/").rsplit("/", 1)[1])
        model = {"alert": Alert, "ticket": Ticket, "job": None}[kind]
        if model is not None:
            created = entries(tenant_a, model, object_id=object_id, action="CREATE")
            assert len(created) == 1 and f'id="change-{created[0].pk}"' in page, kind
        hidden = supervisor_browser.get(path)
        assert hidden.status_code == 200, (kind, hidden.status_code)
        assert 'id="changelog"' not in hidden.content.decode(), kind


def test_the_job_page_history_shows_who_started_it(
    tenant_a: Any, tenant_a_admin: Persona, pages: dict[str, str]
) -> None:
    from apps.scheduling.models import Job

    job_id = int(pages["job"].rstrip("/").rsplit("/", 1)[1])
    started = tenant_a_admin.client().post(f"/api/v1/jobs/{job_id}/start/", {}, format="json")
    assert started.status_code == 200, started.content
    page = signed_in(tenant_a_admin).get(pages["job"]).content.decode()
    (update,) = entries(tenant_a, Job, object_id=job_id, action="UPDATE")
    assert update.changes["status"] == ["ASSIGNED", "INPROGRESS"]
    assert f'id="change-{update.pk}"' in page
    assert "<strong>status</strong>: ASSIGNED → INPROGRESS" in page


def test_the_admins_change_log_list_is_the_tenants_own(
    tenant_a: Any, tenant_b: Any, tenant_a_admin: Persona, tenant_b_admin: Persona
) -> None:
    response = signed_in(tenant_b_admin).get("/admin/audit/changelog/", {"all": "1"})
    assert response.status_code == 200
    listed = {entry.pk for entry in response.context["cl"].result_list}
    assert listed == {entry.pk for entry in entries(tenant_b)}
    assert not listed & {entry.pk for entry in entries(tenant_a)}
    foreign = entries(tenant_a)[0].pk
    assert signed_in(tenant_b_admin).get(f"/admin/audit/changelog/{foreign}/change/").status_code == 302
