"""Django admin of the helpdesk: tickets read-only and scoped; matrix and policies through the services."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.core.tenancy import tenant_context
from apps.helpdesk import services
from apps.helpdesk.models import EscalationRecipient, EscalationRule, SlaPolicy

from .factories import make_site, make_ticket

pytestmark = pytest.mark.django_db


def signed_in(persona: Any) -> Client:
    client = Client()
    response = client.post(
        "/login/", {"tenant": persona.tenant.slug, "username": persona.login, "password": persona.password}
    )
    assert response.status_code == 302, response.content
    return client


def test_tickets_are_listed_for_the_tenant_and_read_only(
    tenant_a: Any, tenant_a_admin: Any, tenant_b: Any, world: Any
) -> None:
    with tenant_context(tenant_a):
        mine = make_ticket(world.north, "ALPHA-TICKET")
        services.add_comment(None, mine, "A system remark")
    with tenant_context(tenant_b):
        foreign = make_ticket(make_site("BSITE"), "BRAVO-TICKET")
    client = signed_in(tenant_a_admin)
    page = client.get("/admin/helpdesk/ticket/")
    assert page.status_code == 200
    assert b"ALPHA-TICKET" in page.content and b"BRAVO-TICKET" not in page.content
    detail = client.get(f"/admin/helpdesk/ticket/{mine.pk}/change/")
    assert detail.status_code == 200
    assert b"A system remark" in detail.content and b'name="_save"' not in detail.content
    assert client.get(f"/admin/helpdesk/ticket/{foreign.pk}/change/").status_code == 302
    assert client.get("/admin/helpdesk/ticket/add/").status_code == 403
    posted = client.post(f"/admin/helpdesk/ticket/{mine.pk}/change/", {"title": "Changed"})
    assert posted.status_code == 403


def test_a_rule_is_written_through_the_service(
    tenant_a: Any, tenant_a_admin: Any, tenant_a_supervisor: Any, world: Any
) -> None:
    client = signed_in(tenant_a_admin)
    form = {
        "category": world.maintenance.pk,
        "level": 1,
        "wait_minutes": 30,
        "assignee_person": tenant_a_supervisor.person.pk,
        "assignee_team": "",
        "notify_people": [tenant_a_admin.person.pk],
        "notify_teams": [world.crew.pk],
        "is_active": "on",
    }
    added = client.post("/admin/helpdesk/escalationrule/add/", form)
    assert added.status_code == 302, added.content
    with tenant_context(tenant_a):
        rule = EscalationRule.objects.get()
        recipients = {(r.person_id, r.team_id) for r in EscalationRecipient.objects.all()}
    assert (rule.level, rule.wait_minutes, rule.assignee_person_id) == (1, 30, tenant_a_supervisor.person.pk)
    assert recipients == {(None, world.crew.pk), (tenant_a_admin.person.pk, None)}
    duplicate = client.post("/admin/helpdesk/escalationrule/add/", {**form, "wait_minutes": 5})
    assert duplicate.status_code == 200
    assert b"duplicate_rule" in duplicate.content
    both = client.post("/admin/helpdesk/escalationrule/add/", {**form, "level": 2, "assignee_team": world.crew.pk})
    assert b"one_assignee" in both.content
    with tenant_context(tenant_a):
        assert EscalationRule.objects.count() == 1
    assert client.get(f"/admin/helpdesk/escalationrule/{rule.pk}/change/").status_code == 200
    deleted = client.post(f"/admin/helpdesk/escalationrule/{rule.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    with tenant_context(tenant_a):
        assert EscalationRule.objects.count() == 0


def test_a_policy_is_written_through_the_service(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    client = signed_in(tenant_a_admin)
    form = {"category": "", "priority": "URGENT", "resolve_within_minutes": 60}
    assert client.post("/admin/helpdesk/slapolicy/add/", form).status_code == 302
    again = client.post("/admin/helpdesk/slapolicy/add/", {**form, "resolve_within_minutes": 90})
    assert b"duplicate_policy" in again.content
    with tenant_context(tenant_a):
        assert list(SlaPolicy.objects.values_list("priority", "resolve_within_minutes")) == [("URGENT", 60)]
    assert client.get("/admin/helpdesk/slapolicy/").status_code == 200
