"""Roles are edited through the roles service: no duplicate codes, no unknown capabilities,
and never a change that leaves the company without anyone able to administer it."""

from __future__ import annotations

from typing import Any

import pytest

from apps.core.errors import DomainError
from apps.core.tenancy import tenant_context
from apps.people import services
from apps.people.models import Role
from conftest import make_persona

from .test_admin_saves import signed_in

pytestmark = pytest.mark.django_db


def code_of(call: Any) -> str:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value.code


def test_create_update_and_delete_a_role(tenant_a: Any) -> None:
    with tenant_context(tenant_a):
        services.ensure_seed_roles()
        role = services.create_role(code="dispatcher", name="Dispatcher", capabilities=["noc.view", "noc.view"])
        assert (role.code, role.capabilities) == ("dispatcher", ["noc.view"])
        assert (
            code_of(lambda: services.create_role(code="dispatcher", name="Again", capabilities=["noc.view"]))
            == "duplicate_code"
        )
        assert code_of(lambda: services.create_role(code="x", name="X", capabilities=["fly"])) == (
            "invalid_capabilities"
        )
        services.update_role(role, capabilities=["noc.view", "noc.manage"])
        assert Role.objects.get(code="dispatcher").capabilities == ["noc.manage", "noc.view"]
        services.delete_role(role)
        assert not Role.objects.filter(code="dispatcher").exists()


def test_the_last_administering_role_and_person_stay(tenant_a: Any, tenant_a_admin: Any) -> None:
    with tenant_context(tenant_a):
        admin_role = Role.objects.get(code="admin")
        without_admin = [cap for cap in admin_role.capabilities if cap != "admin.manage"]
        assert code_of(lambda: services.update_role(admin_role, capabilities=without_admin)) == "last_admin"
        assert code_of(lambda: services.delete_role(admin_role)) == "role_in_use"
        person = tenant_a_admin.person
        assert code_of(lambda: services.update_person(person, roles=["supervisor"])) == "last_admin"
        assert Role.objects.get(code="admin").capabilities == admin_role.capabilities
        assert person.role_codes() == ["admin"]
    # With a second admin, either change is fine.
    make_persona(tenant_a, "admin", login="second")
    with tenant_context(tenant_a):
        services.update_person(tenant_a_admin.person, roles=["supervisor"])
        assert tenant_a_admin.person.role_codes() == ["supervisor"]


def test_the_api_refuses_to_demote_the_last_admin(tenant_a_admin: Any) -> None:
    api = tenant_a_admin.client()
    response = api.patch(f"/api/v1/people/{tenant_a_admin.person.pk}/", {"roles": ["guard"]}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "last_admin")
    with tenant_context(tenant_a_admin.tenant):
        assert tenant_a_admin.person.role_codes() == ["admin"]


def test_role_admin_refuses_a_duplicate_and_keeps_a_role_in_use(tenant_a: Any, tenant_a_admin: Any) -> None:
    browser = signed_in(tenant_a_admin)
    response = browser.post(
        "/admin/people/role/add/", {"code": "guard", "name": "Guard again", "capabilities": ["jobs.perform"]}
    )
    assert response.status_code == 200
    assert "duplicate_code" in str(response.context["adminform"].form.errors["code"])
    created = browser.post(
        "/admin/people/role/add/", {"code": "dispatcher", "name": "Dispatcher", "capabilities": ["noc.view"]}
    )
    assert created.status_code == 302
    with tenant_context(tenant_a):
        guard = Role.objects.get(code="guard")
        dispatcher = Role.objects.get(code="dispatcher")
        assert dispatcher.capabilities == ["noc.view"]
    make_persona(tenant_a, "guard", login="g1")
    browser.post(f"/admin/people/role/{guard.pk}/delete/", {"post": "yes"})
    browser.post(f"/admin/people/role/{dispatcher.pk}/delete/", {"post": "yes"})
    with tenant_context(tenant_a):
        assert sorted(Role.objects.values_list("code", flat=True)) == ["admin", "client_viewer", "guard", "supervisor"]
