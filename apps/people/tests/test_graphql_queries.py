"""Query counts of the people GraphQL lists: roles and team members are prefetched, so a
list costs the same number of queries for 2 rows as for 6."""

from __future__ import annotations

from typing import Any

from django.test import Client

from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql
from apps.people.models import Person, Team
from apps.people.services import Member, create_person, create_team, ensure_seed_roles

PEOPLE = "query { people { id login name isActive roles homeSiteId reportsToId } }"
TEAMS = "query { teams { id code name isActive members { personId isLead } } }"

# Authentication reads the person and their roles; then the list and one query per prefetched relation.
PEOPLE_QUERIES = 2 + 2  # people, their roles
TEAM_QUERIES = 2 + 2  # teams, their memberships


def counted(persona: Any, query: str, expected: int, assert_num_queries: Any) -> Any:
    client, token = Client(), persona.tokens().access
    post_graphql(client, query, token=token)  # warm the per-process tenant cache
    with assert_num_queries(expected):
        response = post_graphql(client, query, token=token)
    assert response.status_code == 200, response.content
    return response.json()


def make_guard(number: int, reports_to: Person) -> Person:
    roles = ensure_seed_roles()
    return create_person(
        login=f"guard{number}",
        name=f"Guard {number}",
        password=None,
        roles=[roles["guard"], roles["supervisor"]] if number % 2 else [roles["guard"]],
        reports_to_id=reports_to.pk,
    )


def person_row(person: Person) -> dict[str, Any]:
    return {
        "id": str(person.pk),
        "login": person.login,
        "name": person.name,
        "isActive": True,
        "roles": person.role_codes(),
        "homeSiteId": None,
        "reportsToId": person.reports_to_id,
    }


def test_people_cost_the_same_queries_for_two_rows_and_six(tenant_a_admin: Any, django_assert_num_queries: Any) -> None:
    admin = tenant_a_admin.person
    with tenant_context(tenant_a_admin.tenant):
        people = [admin, make_guard(1, admin)]
        expected = [person_row(person) for person in people]
    assert expected[1]["roles"] == ["guard", "supervisor"]
    few = counted(tenant_a_admin, PEOPLE, PEOPLE_QUERIES, django_assert_num_queries)
    assert few == {"data": {"people": expected}}

    with tenant_context(tenant_a_admin.tenant):
        people += [make_guard(number, admin) for number in (2, 3, 4, 5)]
        expected = [person_row(person) for person in people]
    many = counted(tenant_a_admin, PEOPLE, PEOPLE_QUERIES, django_assert_num_queries)
    assert many == {"data": {"people": expected}}  # by login: admin, guard1 … guard5


def make_team(number: int, lead: Person, member: Person) -> Team:
    return create_team(
        code=f"T{number}", name=f"Team {number}", members=[Member(member.pk), Member(lead.pk, is_lead=True)]
    )


def team_row(team: Team, lead: Person, member: Person) -> dict[str, Any]:
    return {
        "id": str(team.pk),
        "code": team.code,
        "name": team.name,
        "isActive": True,
        "members": [{"personId": lead.pk, "isLead": True}, {"personId": member.pk, "isLead": False}],
    }


def test_teams_cost_the_same_queries_for_two_rows_and_six(tenant_a_admin: Any, django_assert_num_queries: Any) -> None:
    admin = tenant_a_admin.person
    with tenant_context(tenant_a_admin.tenant):
        guards = [make_guard(number, admin) for number in range(1, 7)]
        rows = [team_row(make_team(n, guards[n - 1], admin), guards[n - 1], admin) for n in (1, 2)]
    few = counted(tenant_a_admin, TEAMS, TEAM_QUERIES, django_assert_num_queries)
    assert few == {"data": {"teams": rows}}

    with tenant_context(tenant_a_admin.tenant):
        rows += [team_row(make_team(n, guards[n - 1], admin), guards[n - 1], admin) for n in (3, 4, 5, 6)]
    many = counted(tenant_a_admin, TEAMS, TEAM_QUERIES, django_assert_num_queries)
    assert many == {"data": {"teams": rows}}
