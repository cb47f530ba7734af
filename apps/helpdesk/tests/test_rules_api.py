"""The escalation matrix and SLA policies over REST: CRUD, validation and who may change them."""

from __future__ import annotations

from typing import Any

import pytest

from apps.core.tenancy import tenant_context
from apps.helpdesk.models import EscalationRecipient, EscalationRule, SlaPolicy

from .helpers import error

pytestmark = pytest.mark.django_db

RULES = "/api/v1/escalation-rules/"
POLICIES = "/api/v1/sla-policies/"


def test_a_supervisor_builds_a_matrix(
    tenant_a: Any, tenant_a_admin: Any, tenant_a_supervisor: Any, tenant_a_guard: Any, world: Any
) -> None:
    client = tenant_a_supervisor.client()
    body = {
        "category": world.maintenance.pk,
        "level": 1,
        "wait_minutes": 30,
        "assignee_person": tenant_a_guard.person.pk,
        "notify_people": [tenant_a_supervisor.person.pk, tenant_a_supervisor.person.pk],
        "notify_teams": [world.crew.pk],
    }
    created = client.post(RULES, body, format="json")
    assert created.status_code == 201, created.content
    with tenant_context(tenant_a):
        rule = EscalationRule.objects.get(pk=created.json()["id"])
    assert created.json() == {
        "id": rule.pk,
        "uuid": str(rule.uuid),
        "category": world.maintenance.pk,
        "level": 1,
        "wait_minutes": 30,
        "assignee_person": tenant_a_guard.person.pk,
        "assignee_team": None,
        "notify_people": [tenant_a_supervisor.person.pk],
        "notify_teams": [world.crew.pk],
        "is_active": True,
        "version": rule.version,
        "created_at": rule.created_at.isoformat().replace("+00:00", "Z"),
        "modified_at": rule.modified_at.isoformat().replace("+00:00", "Z"),
    }
    patched = client.patch(
        f"{RULES}{rule.pk}/",
        {"assignee_person": None, "assignee_team": world.crew.pk, "notify_people": [tenant_a_guard.person.pk]},
        format="json",
    )
    assert patched.status_code == 200, patched.content
    assert {k: patched.json()[k] for k in ("assignee_person", "assignee_team", "notify_people", "notify_teams")} == {
        "assignee_person": None,
        "assignee_team": world.crew.pk,
        "notify_people": [tenant_a_guard.person.pk],
        "notify_teams": [world.crew.pk],  # not sent: unchanged
    }
    default = client.post(RULES, {"level": 1, "wait_minutes": 15}, format="json").json()
    assert default["category"] is None
    assert [r["id"] for r in client.get(f"{RULES}?default=true").json()["results"]] == [default["id"]]
    assert [r["id"] for r in client.get(f"{RULES}?category={world.maintenance.pk}").json()["results"]] == [rule.pk]
    assert client.delete(f"{RULES}{rule.pk}/").status_code == 204
    with tenant_context(tenant_a):
        assert list(EscalationRule.objects.values_list("pk", flat=True)) == [default["id"]]
        assert EscalationRecipient.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"level": 0, "wait_minutes": 5}, 400, "invalid_level"),
        ({"level": 11, "wait_minutes": 5}, 400, "invalid_level"),
        ({"level": 1, "wait_minutes": 0}, 400, "invalid_wait_minutes"),
        ({"level": 1, "wait_minutes": 50_000}, 400, "invalid_wait_minutes"),
        ({"level": 1, "wait_minutes": 5, "category": "dept"}, 400, "unknown_category"),
        ({"level": 1, "wait_minutes": 5, "assignee_person": 999999}, 400, "unknown_person"),
        ({"level": 1, "wait_minutes": 5, "assignee_team": 999999}, 400, "unknown_team"),
        ({"level": 1, "wait_minutes": 5, "notify_people": list(range(1, 23))}, 400, "too_many_recipients"),
        ({"level": 1, "wait_minutes": 5, "notify_teams": [999999]}, 400, "unknown_team"),
    ],
)
def test_bad_rules_are_refused(
    tenant_a: Any, tenant_a_admin: Any, world: Any, body: dict[str, Any], status: int, code: str
) -> None:
    if body.get("category") == "dept":
        body = {**body, "category": world.department.pk}
        code = "invalid_category"
    assert error(tenant_a_admin.client().post(RULES, body, format="json"))[:2] == (status, code)
    with tenant_context(tenant_a):
        assert EscalationRule.objects.count() == EscalationRecipient.objects.count() == 0


def test_one_rule_per_category_and_level(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    client = tenant_a_admin.client()
    assert client.post(RULES, {"level": 1, "wait_minutes": 5}, format="json").status_code == 201
    assert error(client.post(RULES, {"level": 1, "wait_minutes": 9}, format="json")) == (
        409,
        "duplicate_rule",
        {"field": "level"},
    )
    other = client.post(RULES, {"level": 1, "wait_minutes": 9, "category": world.security.pk}, format="json")
    assert other.status_code == 201


def test_a_person_of_another_tenant_cannot_be_on_a_rule(
    tenant_a: Any, tenant_a_admin: Any, tenant_b_admin: Any
) -> None:
    body = {"level": 1, "wait_minutes": 5, "notify_people": [tenant_b_admin.person.pk]}
    assert error(tenant_a_admin.client().post(RULES, body, format="json")) == (
        400,
        "unknown_person",
        {"field": "notify_people"},
    )


def test_a_supervisor_names_only_people_they_see(tenant_a: Any, tenant_a_supervisor: Any, world: Any) -> None:
    body = {"level": 1, "wait_minutes": 5, "assignee_person": world.south_guard.person.pk}
    assert error(tenant_a_supervisor.client().post(RULES, body, format="json"))[:2] == (400, "unknown_person")


def test_sla_policies(tenant_a: Any, tenant_a_supervisor: Any, world: Any) -> None:
    client = tenant_a_supervisor.client()
    created = client.post(POLICIES, {"priority": "URGENT", "resolve_within_minutes": 120}, format="json")
    assert created.status_code == 201, created.content
    with tenant_context(tenant_a):
        policy = SlaPolicy.objects.get()
    assert created.json() == {
        "id": policy.pk,
        "uuid": str(policy.uuid),
        "category": None,
        "priority": "URGENT",
        "resolve_within_minutes": 120,
        "version": policy.version,
        "created_at": policy.created_at.isoformat().replace("+00:00", "Z"),
        "modified_at": policy.modified_at.isoformat().replace("+00:00", "Z"),
    }
    assert error(client.post(POLICIES, {"priority": "URGENT", "resolve_within_minutes": 60}, format="json")) == (
        409,
        "duplicate_policy",
        {"field": "priority"},
    )
    security = {"priority": "URGENT", "resolve_within_minutes": 30, "category": world.security.pk}
    assert client.post(POLICIES, security, format="json").status_code == 201
    assert error(client.post(POLICIES, {"priority": "SOON", "resolve_within_minutes": 5}, format="json"))[:2] == (
        400,
        "invalid_priority",
    )
    assert error(client.post(POLICIES, {"priority": "LOW", "resolve_within_minutes": -1}, format="json"))[:2] == (
        400,
        "invalid_resolve_within_minutes",
    )
    patched = client.patch(f"{POLICIES}{policy.pk}/", {"resolve_within_minutes": 90}, format="json")
    assert patched.json()["resolve_within_minutes"] == 90
    assert [p["priority"] for p in client.get(f"{POLICIES}?default=true").json()["results"]] == ["URGENT"]
    assert client.delete(f"{POLICIES}{policy.pk}/").status_code == 204
    with tenant_context(tenant_a):
        assert SlaPolicy.objects.count() == 1


def test_only_handlers_and_admins_see_or_change_the_matrix(
    tenant_a: Any, tenant_a_guard: Any, tenant_a_client: Any, tenant_b_admin: Any
) -> None:
    for persona in (tenant_a_guard, tenant_a_client):
        client = persona.client()
        for path in (RULES, POLICIES):
            assert error(client.get(path))[:2] == (403, "permission_denied")
        assert error(client.post(RULES, {"level": 1, "wait_minutes": 5}, format="json"))[:2] == (
            403,
            "permission_denied",
        )
    with tenant_context(tenant_a):
        from apps.helpdesk import services

        rule = services.create_escalation_rule(None, level=1, wait_minutes=5)
    other = tenant_b_admin.client()
    assert error(other.patch(f"{RULES}{rule.pk}/", {"wait_minutes": 1}, format="json")) == (404, "not_found", {})
    assert error(other.delete(f"{RULES}{rule.pk}/")) == (404, "not_found", {})
    with tenant_context(tenant_a):
        assert EscalationRule.objects.get().wait_minutes == 5
