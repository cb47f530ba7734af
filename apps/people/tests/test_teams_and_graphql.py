"""Teams over REST and GraphQL; people profile queries and mutations over GraphQL."""

from __future__ import annotations

from typing import Any

from django.test import Client

from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql
from apps.people.models import Person, RefreshToken, Team, TeamMembership
from conftest import make_persona

from .helpers import make_site

URL = "/api/v1/teams/"


def memberships(tenant: Any) -> list[tuple[str, str, bool]]:
    with tenant_context(tenant):
        return sorted(TeamMembership.objects.values_list("team__code", "person__login", "is_lead"))


def test_team_crud(tenant_a_admin: Any, tenant_a_guard: Any, tenant_a_supervisor: Any) -> None:
    client = tenant_a_admin.client()
    guard, supervisor = tenant_a_guard.person.pk, tenant_a_supervisor.person.pk
    created = client.post(
        URL,
        {
            "code": "NIGHT",
            "name": "Night patrol",
            "members": [{"person": guard}, {"person": supervisor, "is_lead": True}],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert {k: body[k] for k in ("code", "name", "is_active", "members")} == {
        "code": "NIGHT",
        "name": "Night patrol",
        "is_active": True,
        "members": [{"person": supervisor, "is_lead": True}, {"person": guard, "is_lead": False}],
    }
    pk = body["id"]

    patched = client.patch(f"{URL}{pk}/", {"members": [{"person": guard, "is_lead": True}]}, format="json")
    assert patched.json()["members"] == [{"person": guard, "is_lead": True}]
    assert memberships(tenant_a_admin.tenant) == [("NIGHT", "guard", True)]
    renamed = client.patch(f"{URL}{pk}/", {"name": "Nights"}, format="json")
    assert (renamed.json()["name"], renamed.json()["members"]) == ("Nights", [{"person": guard, "is_lead": True}])

    assert client.delete(f"{URL}{pk}/").status_code == 204
    with tenant_context(tenant_a_admin.tenant):
        assert list(Team.objects.values_list("code", "is_active")) == [("NIGHT", False)]
    assert [t["code"] for t in client.get(URL + "?is_active=false").json()["results"]] == ["NIGHT"]
    # The supervisor shares no site with the guard, the team's only member: no team, even by person.
    supervisor = tenant_a_supervisor.client()
    assert supervisor.get(URL + "?is_active=false").json()["results"] == []
    assert supervisor.get(f"{URL}?person={guard}").json()["results"] == []
    assert [t["code"] for t in client.get(f"{URL}?person={guard}").json()["results"]] == ["NIGHT"]


def test_team_refusals_write_nothing(tenant_a_admin: Any, tenant_a_guard: Any, tenant_b_guard: Any) -> None:
    client = tenant_a_admin.client()
    guard = tenant_a_guard.person.pk
    assert client.post(URL, {"code": "DAY", "name": "Day"}, format="json").status_code == 201
    cases = [
        ({"code": "DAY", "name": "Again"}, "duplicate_code", None),
        (
            {"code": "X", "name": "X", "members": [{"person": tenant_b_guard.person.pk}]},
            "unknown_person",
            [tenant_b_guard.person.pk],
        ),
        ({"code": "X", "name": "X", "members": [{"person": guard}, {"person": guard}]}, "duplicate_member", [guard]),
    ]
    for payload, code, ids in cases:
        response = client.post(URL, payload, format="json")
        assert (response.status_code, response.json()["error"]["code"]) == (400, code)
        if ids is not None:
            assert response.json()["error"]["details"] == {"field": "members", "ids": ids}
    with tenant_context(tenant_a_admin.tenant):
        assert list(Team.objects.values_list("code", flat=True)) == ["DAY"]
    assert memberships(tenant_a_admin.tenant) == []
    denied = tenant_a_guard.client().get(URL)
    assert (denied.status_code, denied.json()["error"]["code"]) == (403, "permission_denied")


def gql(persona: Any, query: str, variables: dict[str, Any] | None = None) -> Any:
    return post_graphql(Client(), query, variables, token=persona.tokens().access).json()


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


PEOPLE = "query { people { login homeSiteId codeValue: code } }"
PERSON = "query P($id: ID!) { person(id: $id) { login mobile homeSiteId roles } }"
CREATE = """
mutation C($login: String!, $name: String!, $homeSiteId: Int, $roles: [String!], $password: String) {
  createPerson(login: $login, name: $name, homeSiteId: $homeSiteId, roles: $roles, password: $password) {
    person { login name homeSiteId roles isActive }
  }
}
"""
UPDATE = """
mutation U($id: ID!, $mobile: String, $reportsToId: Int) {
  updatePerson(id: $id, mobile: $mobile, reportsToId: $reportsToId) { person { mobile reportsToId } }
}
"""
DEACTIVATE = "mutation D($id: ID!) { deactivatePerson(id: $id) { person { isActive leftOn } } }"


def test_graphql_people_are_site_scoped(tenant_a_admin: Any, tenant_a_supervisor: Any) -> None:
    tenant = tenant_a_admin.tenant
    mine, other = make_site(tenant, "MINE"), make_site(tenant, "OTHER")
    with tenant_context(tenant):
        Person.objects.filter(pk=tenant_a_supervisor.person.pk).update(home_site=mine)
    near = make_persona(tenant, "guard", login="near", home_site_id=mine.pk, code="E1")
    far = make_persona(tenant, "guard", login="far", home_site_id=other.pk)

    assert gql(tenant_a_supervisor, PEOPLE) == {
        "data": {
            "people": [
                {"login": "near", "homeSiteId": mine.pk, "codeValue": "E1"},
                {"login": "supervisor", "homeSiteId": mine.pk, "codeValue": ""},
            ]
        }
    }
    assert gql(tenant_a_supervisor, PERSON, {"id": str(near.person.pk)}) == {
        "data": {"person": {"login": "near", "mobile": "", "homeSiteId": mine.pk, "roles": ["guard"]}}
    }
    assert gql(tenant_a_supervisor, PERSON, {"id": str(far.person.pk)}) == {"data": {"person": None}}
    assert [p["login"] for p in gql(tenant_a_admin, PEOPLE)["data"]["people"]] == ["admin", "far", "near", "supervisor"]


def test_graphql_person_mutations(
    tenant_a_admin: Any, tenant_a_supervisor: Any, tenant_b_admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    site = make_site(tenant_a_admin.tenant, "HQ")
    foreign_site = make_site(tenant_b_admin.tenant, "B-HQ")
    variables = {
        "login": "neo",
        "name": "Neo",
        "homeSiteId": site.pk,
        "roles": ["guard"],
        "password": "a-long-secret-1",
    }
    assert gql(tenant_a_admin, CREATE, variables) == {
        "data": {
            "createPerson": {
                "person": {"login": "neo", "name": "Neo", "homeSiteId": site.pk, "roles": ["guard"], "isActive": True}
            }
        }
    }
    refused = gql(tenant_a_admin, CREATE, {**variables, "login": "trinity", "homeSiteId": foreign_site.pk})
    assert (refused["data"], codes(refused)) == ({"createPerson": None}, ["unknown_home_site"])
    assert refused["errors"][0]["extensions"]["details"] == {"field": "home_site", "id": foreign_site.pk}
    assert codes(gql(tenant_a_admin, CREATE, variables)) == ["duplicate_login"]
    assert codes(gql(tenant_a_supervisor, CREATE, {**variables, "login": "morpheus"})) == ["permission_denied"]
    with tenant_context(tenant_a_admin.tenant):
        assert sorted(Person.objects.values_list("login", flat=True)) == ["admin", "neo", "supervisor"]
        neo = Person.objects.get(login="neo")

    assert gql(
        tenant_a_admin, UPDATE, {"id": str(neo.pk), "mobile": "555", "reportsToId": tenant_a_admin.person.pk}
    ) == {"data": {"updatePerson": {"person": {"mobile": "555", "reportsToId": tenant_a_admin.person.pk}}}}
    # Explicit null clears; an omitted argument stays as it was.
    assert gql(tenant_a_admin, UPDATE, {"id": str(neo.pk), "reportsToId": None}) == {
        "data": {"updatePerson": {"person": {"mobile": "555", "reportsToId": None}}}
    }
    assert codes(gql(tenant_b_admin, UPDATE, {"id": str(neo.pk), "mobile": "666"})) == ["not_found"]

    neo_tokens = post_graphql(
        Client(),
        'mutation { tokenAuth(tenant: "alpha", username: "neo", password: "a-long-secret-1") { token } }',
    ).json()["data"]["tokenAuth"]["token"]
    with django_capture_on_commit_callbacks(execute=True):
        deactivated = gql(tenant_a_admin, DEACTIVATE, {"id": str(neo.pk)})
    assert deactivated["data"]["deactivatePerson"]["person"]["isActive"] is False
    me = post_graphql(Client(), "query { me { login } }", token=neo_tokens)
    assert (me.status_code, me.json()["errors"][0]["extensions"]["code"]) == (401, "token_revoked")
    with tenant_context(tenant_a_admin.tenant):
        assert RefreshToken.objects.filter(person=neo, revoked_at__isnull=True).count() == 0


TEAMS = "query { teams { code members { personId isLead } } }"
CREATE_TEAM = """
mutation T($code: String!, $members: [TeamMemberInput!]) {
  createTeam(code: $code, name: "Team", members: $members) { team { code isActive members { personId isLead } } }
}
"""


def test_graphql_teams(tenant_a_admin: Any, tenant_a_guard: Any, tenant_b_admin: Any) -> None:
    guard = tenant_a_guard.person.pk
    created = gql(tenant_a_admin, CREATE_TEAM, {"code": "A", "members": [{"personId": guard, "isLead": True}]})
    assert created == {
        "data": {
            "createTeam": {"team": {"code": "A", "isActive": True, "members": [{"personId": guard, "isLead": True}]}}
        }
    }
    foreign = gql(tenant_b_admin, CREATE_TEAM, {"code": "B", "members": [{"personId": guard}]})
    assert codes(foreign) == ["unknown_person"]
    assert gql(tenant_b_admin, TEAMS) == {"data": {"teams": []}}
    assert gql(tenant_a_admin, TEAMS) == {
        "data": {"teams": [{"code": "A", "members": [{"personId": guard, "isLead": True}]}]}
    }
    with tenant_context(tenant_a_admin.tenant):
        team = Team.objects.get()
    updated = gql(
        tenant_a_admin,
        'mutation U($id: ID!) { updateTeam(id: $id, name: "Renamed", members: []) { team { name members { personId } } } }',
        {"id": str(team.pk)},
    )
    assert updated == {"data": {"updateTeam": {"team": {"name": "Renamed", "members": []}}}}
    gone = gql(
        tenant_a_admin, "mutation D($id: ID!) { deactivateTeam(id: $id) { team { isActive } } }", {"id": str(team.pk)}
    )
    assert gone == {"data": {"deactivateTeam": {"team": {"isActive": False}}}}


def test_patch_with_an_empty_member_is_refused_like_post(tenant_a_admin: Any, tenant_a_guard: Any) -> None:
    """An item of ``members`` is whole in a PATCH too: ``{}`` lacks its person (it was a 500)."""
    client = tenant_a_admin.client()
    guard = tenant_a_guard.person.pk
    pk = client.post(URL, {"code": "DAY", "name": "Day", "members": [{"person": guard}]}, format="json").json()["id"]
    expected = {"fields": {"members": {"0": {"person": ["This field is required."]}}}}
    for method in (client.post, client.patch):
        path = URL if method == client.post else f"{URL}{pk}/"
        response = method(path, {"code": "DAY2", "name": "Day", "members": [{}]}, format="json")
        assert (response.status_code, response.json()["error"]) == (
            400,
            {"code": "invalid", "message": "The request is not valid.", "details": expected},
        )
    assert memberships(tenant_a_admin.tenant) == [("DAY", "guard", False)]
    # A member without ``is_lead`` in a PATCH takes the default, as in a POST.
    patched = client.patch(f"{URL}{pk}/", {"members": [{"person": guard}]}, format="json")
    assert patched.json()["members"] == [{"person": guard, "is_lead": False}]
