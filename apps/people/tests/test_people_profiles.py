"""People onboarding over REST: profile fields, foreign ids, duplicates, deactivation, site scope."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from apps.core.errors import AuthenticationFailed
from apps.core.tenancy import tenant_context
from apps.people.models import Person, RefreshToken
from apps.people.services import obtain_tokens
from apps.sites.models import SiteAssignment
from apps.sites.selectors import sites_for
from conftest import make_persona

from .helpers import assign, make_client, make_group, make_lookup, make_site

URL = "/api/v1/people/"


def people_logins(tenant: Any) -> list[str]:
    with tenant_context(tenant):
        return sorted(Person.objects.values_list("login", flat=True))


@pytest.fixture
def profile_refs(tenant_a_admin: Any) -> dict[str, Any]:
    tenant = tenant_a_admin.tenant
    return {
        "site": make_site(tenant, "HQ"),
        "client": make_client(tenant, "ACME"),
        "department": make_lookup(tenant, "DEPARTMENT", "OPS"),
        "designation": make_lookup(tenant, "DESIGNATION", "GRD"),
    }


def test_admin_creates_a_person_with_profile_and_roles(tenant_a_admin: Any, profile_refs: dict[str, Any]) -> None:
    response = tenant_a_admin.client().post(
        URL,
        {
            "login": "newguard",
            "name": "New Guard",
            "email": "new@example.com",
            "code": "EMP-1",
            "mobile": "+91 98450 00000",
            "roles": ["guard", "supervisor"],
            "home_site": profile_refs["site"].pk,
            "reports_to": tenant_a_admin.person.pk,
            "department": profile_refs["department"].pk,
            "designation": profile_refs["designation"].pk,
            "bound_device_id": "phone-1",
            "password": "correct-horse-battery",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: v for k, v in body.items() if k not in {"id", "uuid", "version"}} == {
        "login": "newguard",
        "name": "New Guard",
        "email": "new@example.com",
        "is_active": True,
        "roles": ["guard", "supervisor"],
        "code": "EMP-1",
        "mobile": "+91 98450 00000",
        "home_site": profile_refs["site"].pk,
        "reports_to": tenant_a_admin.person.pk,
        "department": profile_refs["department"].pk,
        "designation": profile_refs["designation"].pk,
        "client": None,
        "bound_device_id": "phone-1",
        "left_on": None,
        "photo": None,
    }
    with tenant_context(tenant_a_admin.tenant):
        person = Person.objects.get(login="newguard")
        assert person.check_password("correct-horse-battery")
        assert person.role_codes() == ["guard", "supervisor"]


def test_client_viewer_gets_a_client(tenant_a_admin: Any, profile_refs: dict[str, Any]) -> None:
    response = tenant_a_admin.client().post(
        URL,
        {"login": "viewer", "name": "Viewer", "roles": ["client_viewer"], "client": profile_refs["client"].pk},
        format="json",
    )
    assert (response.status_code, response.json()["client"], response.json()["roles"]) == (
        201,
        profile_refs["client"].pk,
        ["client_viewer"],
    )
    with tenant_context(tenant_a_admin.tenant):
        assert not Person.objects.get(login="viewer").has_usable_password()


@pytest.mark.parametrize("field", ["home_site", "reports_to", "department", "designation", "client"])
def test_another_tenants_id_is_refused_and_nothing_is_written(
    tenant_a_admin: Any, tenant_b_admin: Any, field: str
) -> None:
    tenant_b = tenant_b_admin.tenant
    foreign = {
        "home_site": lambda: make_site(tenant_b, "B-HQ").pk,
        "reports_to": lambda: tenant_b_admin.person.pk,
        "department": lambda: make_lookup(tenant_b, "DEPARTMENT", "B-OPS").pk,
        "designation": lambda: make_lookup(tenant_b, "DESIGNATION", "B-GRD").pk,
        "client": lambda: make_client(tenant_b, "B-CL").pk,
    }[field]()
    before = people_logins(tenant_a_admin.tenant)

    response = tenant_a_admin.client().post(
        URL, {"login": "intruder", "name": "Intruder", "roles": ["guard"], field: foreign}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": f"unknown_{field}",
            "message": f"There is no {field.replace('_', ' ')} with id {foreign} in this tenant.",
            "details": {"field": field, "id": foreign},
        }
    }
    assert people_logins(tenant_a_admin.tenant) == before


def test_lookup_of_the_wrong_kind_is_refused(tenant_a_admin: Any, profile_refs: dict[str, Any]) -> None:
    response = tenant_a_admin.client().post(
        URL, {"login": "x", "name": "X", "department": profile_refs["designation"].pk}, format="json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "unknown_department")
    assert people_logins(tenant_a_admin.tenant) == ["admin"]


def test_duplicates_unknown_roles_and_weak_passwords(tenant_a_admin: Any, tenant_a_guard: Any) -> None:
    client = tenant_a_admin.client()
    with tenant_context(tenant_a_admin.tenant):
        Person.objects.filter(pk=tenant_a_guard.person.pk).update(code="EMP-7")

    cases = [
        ({"login": "guard", "name": "Second guard"}, "duplicate_login"),
        ({"login": "other", "name": "Other", "code": "EMP-7"}, "duplicate_code"),
        ({"login": "other", "name": "Other", "roles": ["guard", "pilot"]}, "unknown_role"),
        ({"login": "other", "name": "Other", "password": "password"}, "invalid_password"),
    ]
    for payload, code in cases:
        response = client.post(URL, payload, format="json")
        assert (response.status_code, response.json()["error"]["code"]) == (400, code), payload
    assert client.post(URL, cases[2][0], format="json").json()["error"]["details"] == {
        "field": "roles",
        "codes": ["pilot"],
    }
    assert people_logins(tenant_a_admin.tenant) == ["admin", "guard"]


def test_reports_to_cannot_be_self_or_a_cycle(
    tenant_a_admin: Any, tenant_a_supervisor: Any, tenant_a_guard: Any
) -> None:
    client = tenant_a_admin.client()
    guard, supervisor = tenant_a_guard.person, tenant_a_supervisor.person
    assert client.patch(f"{URL}{guard.pk}/", {"reports_to": supervisor.pk}, format="json").status_code == 200

    self_ = client.patch(f"{URL}{guard.pk}/", {"reports_to": guard.pk}, format="json")
    assert (self_.status_code, self_.json()["error"]["code"]) == (400, "reports_to_self")
    cycle = client.patch(f"{URL}{supervisor.pk}/", {"reports_to": guard.pk}, format="json")
    assert (cycle.status_code, cycle.json()["error"]["code"]) == (400, "reports_to_cycle")
    with tenant_context(tenant_a_admin.tenant):
        assert dict(Person.objects.values_list("login", "reports_to_id")) == {
            "admin": None,
            "guard": supervisor.pk,
            "supervisor": None,
        }


def test_update_profile_and_roles(tenant_a_admin: Any, tenant_a_guard: Any, profile_refs: dict[str, Any]) -> None:
    response = tenant_a_admin.client().patch(
        f"{URL}{tenant_a_guard.person.pk}/",
        {"name": "Renamed", "roles": ["supervisor"], "home_site": profile_refs["site"].pk, "mobile": "123"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["roles"], body["home_site"], body["mobile"]) == (
        "Renamed",
        ["supervisor"],
        profile_refs["site"].pk,
        "123",
    )
    cleared = tenant_a_admin.client().patch(f"{URL}{tenant_a_guard.person.pk}/", {"home_site": None}, format="json")
    assert cleared.json()["home_site"] is None


def test_delete_deactivates_ends_sessions_and_blocks_sign_in(
    tenant_a_admin: Any, tenant_a_guard: Any, django_capture_on_commit_callbacks: Any
) -> None:
    guard_tokens = tenant_a_guard.tokens()
    guard_client = tenant_a_guard.client()
    assert guard_client.get("/api/v1/me/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = tenant_a_admin.client().delete(f"{URL}{tenant_a_guard.person.pk}/")

    assert response.status_code == 204
    with tenant_context(tenant_a_admin.tenant):
        person = Person.objects.get(pk=tenant_a_guard.person.pk)
        assert (person.is_active, person.left_on) == (False, timezone.localdate())
        assert RefreshToken.objects.filter(person=person, revoked_at__isnull=True).count() == 0
    me = guard_client.get("/api/v1/me/")
    assert (me.status_code, me.json()["error"]["code"]) == (401, "token_revoked")
    refreshed = guard_client.post("/api/v1/auth/token/refresh/", {"refresh": guard_tokens.refresh}, format="json")
    assert (refreshed.status_code, refreshed.json()["error"]["code"]) == (401, "token_revoked")
    with pytest.raises(AuthenticationFailed) as excinfo:
        tenant_a_guard.tokens()
    assert excinfo.value.code == "invalid_credentials"
    # Still listed for history, as inactive.
    listed = tenant_a_admin.client().get(f"{URL}?is_active=false").json()["results"]
    assert [(p["login"], p["left_on"]) for p in listed] == [("guard", timezone.localdate().isoformat())]


def test_deactivate_with_date_and_not_oneself(tenant_a_admin: Any, tenant_a_guard: Any) -> None:
    client = tenant_a_admin.client()
    response = client.post(f"{URL}{tenant_a_guard.person.pk}/deactivate/", {"left_on": "2026-01-31"}, format="json")
    assert (response.status_code, response.json()["is_active"], response.json()["left_on"]) == (
        200,
        False,
        "2026-01-31",
    )
    own = client.delete(f"{URL}{tenant_a_admin.person.pk}/")
    assert (own.status_code, own.json()["error"]["code"]) == (409, "cannot_deactivate_self")
    with tenant_context(tenant_a_admin.tenant):
        assert Person.objects.get(pk=tenant_a_admin.person.pk).is_active is True
        assert Person.objects.get(pk=tenant_a_guard.person.pk).left_on == datetime.date(2026, 1, 31)


def test_supervisor_reads_but_cannot_write(tenant_a_supervisor: Any, tenant_a_guard: Any) -> None:
    client = tenant_a_supervisor.client()
    created = client.post(URL, {"login": "x", "name": "X"}, format="json")
    assert (created.status_code, created.json()["error"]["code"]) == (403, "permission_denied")
    deleted = client.delete(f"{URL}{tenant_a_guard.person.pk}/")
    assert deleted.status_code == 403
    with tenant_context(tenant_a_guard.tenant):
        assert Person.objects.get(pk=tenant_a_guard.person.pk).is_active is True


def test_supervisor_sees_people_of_their_sites_only(tenant_a_admin: Any, tenant_a_supervisor: Any) -> None:
    tenant = tenant_a_admin.tenant
    north, south, east, far = (make_site(tenant, code) for code in ("NORTH", "SOUTH", "EAST", "FAR"))
    group = make_group(tenant, "RING", [east])
    supervisor = tenant_a_supervisor.person
    with tenant_context(tenant):
        Person.objects.filter(pk=supervisor.pk).update(home_site=north)
    assign(tenant, supervisor, site=south)
    make_persona(tenant, "guard", login="g_home_north", home_site_id=north.pk)
    g_south = make_persona(tenant, "guard", login="g_assigned_south")
    assign(tenant, g_south.person, site=south)
    g_group = make_persona(tenant, "guard", login="g_group_east")
    assign(tenant, g_group.person, group=group)
    make_persona(tenant, "guard", login="g_far", home_site_id=far.pk)
    make_persona(tenant, "guard", login="g_nowhere")
    # The supervisor reaches EAST through a group of their own.
    assign(tenant, supervisor, group=group)

    seen = [p["login"] for p in tenant_a_supervisor.client().get(URL).json()["results"]]
    assert seen == ["g_assigned_south", "g_group_east", "g_home_north", "supervisor"]
    everyone = [p["login"] for p in tenant_a_admin.client().get(URL + "?page_size=20").json()["results"]]
    assert everyone == [
        "admin",
        "g_assigned_south",
        "g_far",
        "g_group_east",
        "g_home_north",
        "g_nowhere",
        "supervisor",
    ]
    with tenant_context(tenant):
        far_guard = Person.objects.get(login="g_far")
    hidden = tenant_a_supervisor.client().get(f"{URL}{far_guard.pk}/")
    assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "not_found")


def test_sites_for_supervisor_is_home_direct_and_group_sites(tenant_a_supervisor: Any) -> None:
    tenant = tenant_a_supervisor.tenant
    home, direct, g1, g2, other = (make_site(tenant, code) for code in ("HOME", "DIRECT", "G1", "G2", "OTHER"))
    group = make_group(tenant, "PAIR", [g1, g2])
    with tenant_context(tenant):
        Person.objects.filter(pk=tenant_a_supervisor.person.pk).update(home_site=home)
    assign(tenant, tenant_a_supervisor.person, site=direct)
    assign(tenant, tenant_a_supervisor.person, group=group)

    with tenant_context(tenant):
        person = Person.objects.prefetch_related("roles").get(pk=tenant_a_supervisor.person.pk)
        assert sorted(sites_for(person).values_list("code", flat=True)) == ["DIRECT", "G1", "G2", "HOME"]
        assert sites_for(person).count() == 4
    assert other.code == "OTHER"


def test_site_assignments_get_and_put(tenant_a_admin: Any, tenant_a_guard: Any, tenant_b_admin: Any) -> None:
    tenant = tenant_a_admin.tenant
    home, s1, s2, g_site = (make_site(tenant, code) for code in ("HOME", "S1", "S2", "GS"))
    group = make_group(tenant, "GRP", [g_site])
    url = f"{URL}{tenant_a_guard.person.pk}/sites/"
    client = tenant_a_admin.client()
    assert client.get(url).json() == {"home_site": None, "sites": [], "site_groups": []}

    put = client.put(url, {"home_site": home.pk, "sites": [s2.pk, s1.pk], "site_groups": [group.pk]}, format="json")
    assert (put.status_code, put.json()) == (
        200,
        {"home_site": home.pk, "sites": sorted([s1.pk, s2.pk]), "site_groups": [group.pk]},
    )
    again = client.put(url, {"home_site": None, "sites": [s2.pk], "site_groups": []}, format="json")
    assert again.json() == {"home_site": None, "sites": [s2.pk], "site_groups": []}
    with tenant_context(tenant):
        assert list(SiteAssignment.objects.values_list("site_id", "site_group_id")) == [(s2.pk, None)]

    foreign_site = make_site(tenant_b_admin.tenant, "B-SITE")
    foreign_group = make_group(tenant_b_admin.tenant, "B-GRP", [])
    for payload, code in [
        ({"home_site": foreign_site.pk, "sites": [], "site_groups": []}, "unknown_home_site"),
        ({"home_site": None, "sites": [s1.pk, foreign_site.pk], "site_groups": []}, "unknown_site"),
        ({"home_site": None, "sites": [], "site_groups": [foreign_group.pk]}, "unknown_site_group"),
    ]:
        refused = client.put(url, payload, format="json")
        assert (refused.status_code, refused.json()["error"]["code"]) == (400, code)
    with tenant_context(tenant):
        assert list(SiteAssignment.objects.values_list("site_id", "site_group_id")) == [(s2.pk, None)]
    # Tenant B's admin cannot even see the person.
    assert tenant_b_admin.client().get(url).status_code == 404


def test_autocomplete_matches_login_name_and_code_ignoring_case_and_accents(
    tenant_a_admin: Any, tenant_b_admin: Any
) -> None:
    tenant = tenant_a_admin.tenant
    make_persona(tenant, "guard", login="jose")
    make_persona(tenant, "guard", login="zoe", code="EMP-ALV")
    make_persona(tenant_b_admin.tenant, "guard", login="alvaro")
    with tenant_context(tenant):
        Person.objects.filter(login="jose").update(name="José Álvarez")
        Person.objects.filter(login="zoe").update(name="Zoë Smith")
    client = tenant_a_admin.client()

    body = client.get(f"{URL}autocomplete/?q=ALV").json()
    with tenant_context(tenant):
        ids = dict(Person.objects.values_list("login", "pk"))
    assert body == {
        "results": [
            {"id": str(ids["jose"]), "text": "José Álvarez (jose)"},
            {"id": str(ids["zoe"]), "text": "Zoë Smith (zoe)"},
        ],
        "pagination": {"more": False},
    }
    assert client.get(f"{URL}autocomplete/?q=zoe").json()["results"] == [
        {"id": str(ids["zoe"]), "text": "Zoë Smith (zoe)"}
    ]


def test_a_person_can_be_onboarded_inactive(tenant_a_admin: Any) -> None:
    """``is_active`` is offered on create and reaches the service (it was a TypeError, a 500)."""
    response = tenant_a_admin.client().post(
        URL, {"login": "leaver", "name": "Lee Ver", "is_active": False, "password": "Leaver-pass-4412"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert (response.json()["is_active"], response.json()["left_on"]) == (False, timezone.localdate().isoformat())
    with pytest.raises(AuthenticationFailed):
        obtain_tokens(tenant_slug=tenant_a_admin.tenant.slug, login="leaver", password="Leaver-pass-4412")
