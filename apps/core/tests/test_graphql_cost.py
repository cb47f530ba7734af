"""GraphQL query cost: what a document may make the server do is measured before anything
runs, against a budget per request and role (apps/core/graphql_limits.py).

Requests go through the real ``/graphql/`` view; exact costs follow from the declared list
sizes (``SizedList``): ``jobs`` pages up to 500 (100 by default), a tour's ``stops`` are
costed at 10, ``people`` at 200.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, get_named_type, is_composite_type, parse

from apps.checklists.tests.test_graphql_queries import CHECKLISTS
from apps.core.graphql import list_sizes
from apps.core.graphql_limits import COST_CEILING, operation_costs
from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql
from apps.people.models import RefreshToken
from apps.people.services import ensure_seed_roles
from apps.scheduling.tests.test_graphql import JOBS
from conftest import make_persona
from youtility.schema import schema

FLOOD = "query Flood { " + " ".join(f"a{i}: jobs(first: 500) {{ id }}" for i in range(150)) + " }"


def gql(query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> Any:
    return post_graphql(Client(), query, variables, token=token)


def cost(query: str, variables: dict[str, Any] | None = None) -> dict[str, int]:
    return operation_costs(schema.graphql_schema, parse(query), variables)


def too_expensive(name: str, cost: int, max_cost: int, line: int = 1, column: int = 1) -> dict[str, Any]:
    return {
        "message": (
            f"Operation '{name}' costs {cost}, over the limit of {max_cost}; "
            "ask for fewer items (first) or fewer nested lists."
        ),
        "locations": [{"line": line, "column": column}],
        "extensions": {"code": "query_too_expensive", "cost": cost, "max_cost": max_cost},
    }


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


# --- the flood of the issue --------------------------------------------------------------


def test_the_150_alias_flood_is_refused_with_its_cost_before_any_job_is_read(tenant_a_admin: Any) -> None:
    token = tenant_a_admin.tokens().access
    gql("{ me { login } }", token=token)  # the first request of a token also reads its tenant
    # Within the size limit (20,000 bytes) and the field-count limit (300): only its cost gives it away.
    assert len(FLOOD) < settings.GRAPHQL_MAX_QUERY_BYTES
    with CaptureQueriesContext(connection) as unparsable:
        assert gql("query Broken { jobs", token=token).status_code == 400
    with CaptureQueriesContext(connection) as flood:
        response = gql(FLOOD, token=token)

    assert response.status_code == 400
    # 150 times (the list, plus 500 items of one field)
    assert response.json() == {"errors": [too_expensive("Flood", 150 * (1 + 500), 15_000)]}
    # Only the sign-in was read, exactly as for a query that does not even parse.
    assert [query["sql"] for query in flood.captured_queries] == [q["sql"] for q in unparsable.captured_queries]
    assert not any("scheduling_job" in query["sql"] for query in flood.captured_queries)


def test_what_the_docs_and_the_phone_ask_for_fits(tenant_a_supervisor: Any, tenant_a_guard: Any) -> None:
    documented = "{ me { login tenant roles } people { login roles } }"  # docs/api.md
    assert cost(documented) == {"anonymous": 4 + 1 + 200 * 2}
    body = gql(documented, token=tenant_a_supervisor.tokens().access).json()
    assert body == {
        "data": {
            "me": {"login": "supervisor", "tenant": "alpha", "roles": ["supervisor"]},
            "people": [{"login": "supervisor", "roles": ["supervisor"]}],
        }
    }
    guard = settings.GRAPHQL_MAX_COST_BY_ROLE["guard"]
    # The phone's checklist sync and its jobs with their stops (a page of 100 by default).
    assert cost(CHECKLISTS) == {"Checklists": 8_591}
    assert cost(JOBS) == {"Jobs": 6_001}
    assert max(cost(CHECKLISTS).values()) <= guard and max(cost(JOBS).values()) <= guard
    token = tenant_a_guard.tokens().access
    assert gql(CHECKLISTS, token=token).json() == {"data": {"checklists": []}}
    assert gql(JOBS, token=token).json() == {"data": {"jobs": []}}


# --- how the cost is counted -------------------------------------------------------------


def test_nested_lists_multiply_and_meta_fields_are_free() -> None:
    assert cost("{ jobs(first: 20) { id title } }") == {"anonymous": 1 + 20 * 2}
    assert cost("{ jobs { id } }") == {"anonymous": 1 + 100}  # the argument's default page
    assert cost("{ jobs(first: 20) { id stops { id seq } } }") == {"anonymous": 1 + 20 * (1 + 1 + 10 * 2)}
    assert cost("{ __typename jobs(first: 2) { __typename id } }") == {"anonymous": 1 + 2}
    assert cost("{ __schema { types { name fields { name } } } }") == {"anonymous": 0}


def test_variables_and_their_defaults_set_the_page() -> None:
    query = "query Page($n: Int) { jobs(first: $n) { id } }"
    assert cost(query, {"n": 7}) == {"Page": 1 + 7}
    assert cost(query, {}) == {"Page": 1 + 100}  # unset: the argument's default
    assert cost("query Page($n: Int = 300) { jobs(first: $n) { id } }", {}) == {"Page": 1 + 300}
    assert cost("query Page($n: Int = 300) { jobs(first: $n) { id } }", {"n": 3}) == {"Page": 1 + 3}


def test_a_page_from_a_variable_is_refused_over_the_budget(tenant_a_admin: Any) -> None:
    token = tenant_a_admin.tokens().access
    query = "query Pages($n: Int) { " + " ".join(f"a{i}: jobs(first: $n) {{ id }}" for i in range(30)) + " }"

    small = gql(query, {"n": 10}, token=token)
    assert small.status_code == 200
    assert small.json()["data"]["a29"] == []

    large = gql(query, {"n": 500}, token=token)
    assert large.status_code == 400
    assert large.json() == {"errors": [too_expensive("Pages", 30 * 501, 15_000)]}


def test_fragments_and_aliases_count_each_time_they_are_used(tenant_a_admin: Any) -> None:
    fragment = "fragment J on JobType { id title stops { seq } }"
    one = f"query One {{ jobs(first: 50) {{ ...J }} }} {fragment}"
    assert cost(one) == {"One": 1 + 50 * (2 + 1 + 10)}
    spreads = " ".join(f"a{i}: jobs(first: 50) {{ ...J ...J }}" for i in range(12))
    many = f"query Many {{ {spreads} }} {fragment}"
    assert cost(many) == {"Many": 12 * (1 + 50 * 2 * 13)}

    response = gql(many, token=tenant_a_admin.tokens().access)

    assert response.status_code == 400
    assert response.json() == {"errors": [too_expensive("Many", 15_612, 15_000)]}


def test_mutations_are_costed_and_a_refused_one_signs_nobody_in(tenant_a_admin: Any) -> None:
    sign_in = (
        '{n}: tokenAuth(tenant: "alpha", username: "admin", password: "pw-admin-123") '
        "{{ token refreshToken payload refreshExpiresIn }}"
    )
    batch = "mutation Batch { " + " ".join(sign_in.format(n=f"a{i}") for i in range(41)) + " }"

    response = gql(batch)  # anonymous: 41 sign-ins of 5 fields each

    assert response.status_code == 400
    assert response.json() == {"errors": [too_expensive("Batch", 41 * 5, 200)]}
    with tenant_context(tenant_a_admin.tenant):
        assert RefreshToken.objects.count() == 0
    one = gql("mutation One { " + sign_in.format(n="a") + " }").json()
    assert set(one["data"]["a"]) == {"token", "refreshToken", "payload", "refreshExpiresIn"}


# --- budgets by role ---------------------------------------------------------------------


def test_a_guard_has_a_smaller_budget_than_an_admin(tenant_a_admin: Any, tenant_a_guard: Any) -> None:
    query = "query Wide { " + " ".join(f"a{i}: jobs(first: 500) {{ id }}" for i in range(25)) + " }"
    assert cost(query) == {"Wide": 12_525}

    admin = gql(query, token=tenant_a_admin.tokens().access)
    guard = gql(query, token=tenant_a_guard.tokens().access)

    assert admin.status_code == 200
    assert admin.json()["data"]["a0"] == []
    assert guard.status_code == 400
    assert guard.json() == {"errors": [too_expensive("Wide", 12_525, 10_000)]}


def test_a_person_gets_the_largest_budget_of_their_roles_and_unlisted_roles_the_default(
    tenant_a: Any, settings: Any
) -> None:
    settings.GRAPHQL_MAX_COST_BY_ROLE = {"guard": 300, "supervisor": 600}
    settings.GRAPHQL_MAX_COST = 150
    with tenant_context(tenant_a):
        roles = ensure_seed_roles()
    both = make_persona(tenant_a, "guard", login="both")
    with tenant_context(tenant_a):
        both.person.roles.add(roles["supervisor"])
    viewer = make_persona(tenant_a, "client_viewer", login="viewer")
    token = both.tokens().access

    # 400 is over the guard's 300 but within the supervisor's 600; two pages of 300 are not.
    assert gql("query Page { jobs(first: 399) { id } }", token=token).json() == {"data": {"jobs": []}}
    refused = gql("query Page { a: jobs(first: 300) { id } b: jobs(first: 300) { id } }", token=token).json()
    assert refused["errors"][0]["extensions"] == {"code": "query_too_expensive", "cost": 602, "max_cost": 600}
    viewed = gql("query Page { jobs(first: 150) { id } }", token=viewer.tokens().access).json()
    assert viewed["errors"][0]["extensions"] == {"code": "query_too_expensive", "cost": 151, "max_cost": 150}


# --- hostile documents: a 4xx with a code, never a 500 -----------------------------------


def test_a_page_outside_the_declared_range_is_refused_before_it_runs(tenant_a_admin: Any) -> None:
    token = tenant_a_admin.tokens().access
    for literal in ("-1", "0", "501", "null"):
        response = gql(f"query P {{ jobs(first: {literal}) {{ id }} }}", token=token)
        assert response.status_code == 400, literal
        assert response.json() == {
            "errors": [
                {
                    "message": "first is 1-500 on 'Query.jobs'.",
                    "locations": [{"line": 1, "column": 11}],
                    "extensions": {"code": "invalid_page", "argument": "first", "max": 500},
                }
            ]
        }
    for value in (-5, 10**20, None):
        refused = gql("query P($n: Int) { jobs(first: $n) { id } }", {"n": value}, token=token)
        assert refused.status_code == 400, value
        assert codes(refused.json()) == ["invalid_page"]


def test_a_huge_literal_is_refused_by_type_once(tenant_a_admin: Any) -> None:
    response = gql("query P { jobs(first: 99999999999999999999) { id } }", token=tenant_a_admin.tokens().access)

    # Beyond GraphQL's 32-bit Int the literal is the type rules' to refuse, not the page range's.
    assert response.status_code == 400
    assert codes(response.json()) == ["invalid_query"]
    assert response.json()["errors"][0]["message"] == (
        "Int cannot represent non 32-bit signed integer value: 99999999999999999999"
    )


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            "query Q { jobs(first: 5) { ...A } } fragment A on JobType { id ...B } fragment B on JobType { ...A }",
            ["invalid_query"],
        ),
        (
            "query Q { jobs(first: 5) { ...Missing } }",
            ["invalid_query"],
        ),
        (
            "query Q { jobs(first: 5) { ... on NoSuchType { id } } }",
            ["invalid_query"],
        ),
        (
            'query Q { jobs(first: 5) { id } } query Q { jobs(first: "five") { id } }',
            ["invalid_query", "invalid_query"],
        ),
    ],
    ids=["fragment-cycle", "unknown-fragment", "unknown-type", "string-page"],
)
def test_invalid_documents_get_a_code_and_no_500(tenant_a_admin: Any, document: str, expected: list[str]) -> None:
    response = gql(document, token=tenant_a_admin.tokens().access)

    assert response.status_code == 400
    assert codes(response.json()) == expected


def test_a_deep_fragment_cycle_and_a_fragment_bomb_are_refused(tenant_a_admin: Any) -> None:
    token = tenant_a_admin.tokens().access
    count = 500  # a chain longer than Python's recursion limit allows walking naively, closed into a cycle
    chain = " ".join(f"fragment f{i} on JobType {{ id ...f{(i + 1) % count} }}" for i in range(count))
    cycle = gql(f"query Cycle {{ jobs(first: 5) {{ ...f0 }} }} {chain}", token=token)
    assert cycle.status_code == 400
    # The standard rules report the cycle (and give up after many errors); the limits say the rest.
    assert set(codes(cycle.json())) == {"invalid_query", "query_too_deep", "query_too_complex"}

    # Each fragment spreads the previous one twice: 2^60 copies of a list of 500 jobs.
    levels = 60
    bomb = [f"fragment b{i} on Query {{ ...b{i - 1} ...b{i - 1} }}" for i in range(1, levels + 1)]
    document = f"query Bomb {{ ...b{levels} }} fragment b0 on Query {{ jobs(first: 500) {{ id }} }} " + " ".join(bomb)
    assert len(document) < settings.GRAPHQL_MAX_QUERY_BYTES

    response = gql(document, token=token)

    assert response.status_code == 400
    assert codes(response.json()) == ["query_too_complex", "query_too_expensive"]
    assert response.json()["errors"][1] == too_expensive("Bomb", COST_CEILING, 15_000)


# --- every list declares its size --------------------------------------------------------


def test_every_list_of_objects_in_the_schema_declares_its_size() -> None:
    graphql_schema = schema.graphql_schema
    sizes = list_sizes(graphql_schema)
    lists = {
        (type_name, field_name)
        for type_name, graphql_type in graphql_schema.type_map.items()
        if isinstance(graphql_type, GraphQLObjectType) and not type_name.startswith("__")
        for field_name, field in graphql_type.fields.items()
        if isinstance(field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type, GraphQLList)
        and is_composite_type(get_named_type(field.type))
    }

    assert lists - set(sizes) == set()
    assert ("Query", "jobs") in lists and sizes[("Query", "jobs")].page_argument == "first"
    # Every declared page argument is a real argument of its field.
    for (type_name, field_name), size in sizes.items():
        if size.page_argument is not None:
            field = graphql_schema.type_map[type_name].fields[field_name]  # type: ignore[union-attr]
            assert size.page_argument in field.args, (type_name, field_name)


def test_the_budget_settings_read_name_number_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from youtility.settings.env import env_int_map

    default = {"admin": 15_000, "guard": 10_000}
    monkeypatch.setenv("GRAPHQL_MAX_COST_BY_ROLE", "guard=2000, dispatcher=8000")
    assert env_int_map("GRAPHQL_MAX_COST_BY_ROLE", default) == {"admin": 15_000, "guard": 2_000, "dispatcher": 8_000}
    monkeypatch.setenv("GRAPHQL_MAX_COST_BY_ROLE", "guard")
    with pytest.raises(ImproperlyConfigured, match="GRAPHQL_MAX_COST_BY_ROLE entries look like name=integer"):
        env_int_map("GRAPHQL_MAX_COST_BY_ROLE", default)
    monkeypatch.setenv("GRAPHQL_MAX_COST_BY_ROLE", "guard=lots")
    with pytest.raises(ImproperlyConfigured):
        env_int_map("GRAPHQL_MAX_COST_BY_ROLE", default)


def test_introspection_is_free_even_without_a_sign_in(db: Any, settings: Any) -> None:
    settings.GRAPHQL_INTROSPECTION = True
    query = "query I { __schema { types { name fields { name args { name } type { name ofType { name } } } } } }"

    response = gql(query)

    assert response.status_code == 200
    assert {"name": "Query"} in [{"name": t["name"]} for t in response.json()["data"]["__schema"]["types"]]
    assert json.dumps(cost(query)) == '{"I": 0}'
