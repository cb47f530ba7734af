"""Django admin of people, teams and lookups: the signed-in tenant only."""

from __future__ import annotations

from typing import Any

from django.test import Client

from apps.core.tenancy import tenant_context
from apps.people.models import Person
from apps.people.services import Member, create_team
from apps.tenants.models import Lookup

from .helpers import make_lookup, make_site


def console_login(client: Client, persona: Any) -> None:
    response = client.post(
        "/login/", {"tenant": persona.tenant.slug, "username": persona.login, "password": persona.password}
    )
    assert response.status_code == 302, response.content


def test_person_admin_shows_profile_fields_of_own_tenant_only(
    tenant_a_admin: Any, tenant_a_guard: Any, tenant_b_guard: Any
) -> None:
    make_site(tenant_a_admin.tenant, "HQ")
    make_lookup(tenant_a_admin.tenant, "DESIGNATION", "GRD")
    make_lookup(tenant_a_admin.tenant, "DEPARTMENT", "OPS")
    client = Client()
    console_login(client, tenant_a_admin)

    listing = client.get("/admin/people/person/")
    assert listing.status_code == 200
    assert [p.login for p in listing.context["cl"].result_list] == ["admin", "guard"]
    assert client.get(f"/admin/people/person/{tenant_b_guard.person.pk}/change/").status_code == 302

    page = client.get(f"/admin/people/person/{tenant_a_guard.person.pk}/change/")
    form = page.context["adminform"].form
    assert list(form.fields) == [
        "login",
        "name",
        "new_password",
        "code",
        "email",
        "mobile",
        "roles",
        "home_site",
        "reports_to",
        "department",
        "designation",
        "client",
        "photo",
        "bound_device_id",
        "is_active",
    ]
    with tenant_context(tenant_a_admin.tenant):  # the choices are querysets, evaluated here
        assert [str(c) for c in form.fields["department"].queryset] == ["Department: Ops"]
        assert [str(c) for c in form.fields["designation"].queryset] == ["Designation: Grd"]
        assert [s.code for s in form.fields["home_site"].queryset] == ["HQ"]


def test_deactivating_in_admin_records_the_leaving_date(tenant_a_admin: Any, tenant_a_guard: Any) -> None:
    client = Client()
    console_login(client, tenant_a_admin)
    response = client.post(
        f"/admin/people/person/{tenant_a_guard.person.pk}/change/",
        {"login": "guard", "name": "Guard", "code": "", "email": "", "mobile": "", "bound_device_id": ""},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else None
    with tenant_context(tenant_a_admin.tenant):
        person = Person.objects.get(pk=tenant_a_guard.person.pk)
    assert (person.is_active, person.left_on is not None) == (False, True)


def test_team_and_lookup_admin_are_tenant_scoped(tenant_a_admin: Any, tenant_a_guard: Any, tenant_b_admin: Any) -> None:
    with tenant_context(tenant_a_admin.tenant):
        create_team(code="A-TEAM", name="Alpha team", members=[Member(tenant_a_guard.person.pk, is_lead=True)])
    with tenant_context(tenant_b_admin.tenant):
        foreign_team = create_team(code="B-TEAM", name="Bravo team")
    make_lookup(tenant_a_admin.tenant, "DEPARTMENT", "A-OPS")
    foreign_lookup = make_lookup(tenant_b_admin.tenant, "DEPARTMENT", "B-OPS")
    client = Client()
    console_login(client, tenant_a_admin)

    assert [t.code for t in client.get("/admin/people/team/").context["cl"].result_list] == ["A-TEAM"]
    assert client.get(f"/admin/people/team/{foreign_team.pk}/change/").status_code == 302
    assert [lk.code for lk in client.get("/admin/tenants/lookup/").context["cl"].result_list] == ["A-OPS"]
    assert client.get(f"/admin/tenants/lookup/{foreign_lookup.pk}/change/").status_code == 302

    added = client.post(
        "/admin/tenants/lookup/add/", {"kind": "DEPARTMENT", "code": "A-NEW", "name": "New", "position": 0}
    )
    assert added.status_code == 302
    with tenant_context(tenant_a_admin.tenant):
        assert sorted(Lookup.objects.values_list("code", flat=True)) == ["A-NEW", "A-OPS"]
