"""``/api/v1/changelog/`` and GraphQL ``changelog``: exact bodies, every filter, keyset pages,
tenant admins only, another tenant's entries never, and the queries a page costs."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext

from apps.audit.models import ChangeLog
from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql
from apps.tenants.models import Lookup
from apps.tenants.services import create_lookup, save_lookup
from conftest import Persona

from .helpers import entries

pytestmark = pytest.mark.django_db

URL = "/api/v1/changelog/"
DENIED = {"error": {"code": "permission_denied", "message": "You do not have permission to do this.", "details": {}}}
NOT_FOUND = {"error": {"code": "not_found", "message": "Not found.", "details": {}}}


def iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def body_of(entry: ChangeLog) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "time": iso(entry.time),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "door": entry.door,
        "request_id": entry.request_id,
        "action": entry.action,
        "object_type": "tenants.lookup",
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "related_type": None,
        "related_id": None,
        "changes": entry.changes,
        "count": 1,
        "object_ids": [],
    }


def renamed_over_rest(persona: Persona, code: str = "OPS") -> Lookup:
    """A lookup made in the tenant's context, then renamed over REST with request id ``rename-<code>``."""
    with tenant_context(persona.tenant):
        lookup = create_lookup(kind=Lookup.Kind.DEPARTMENT, code=code, name="Operations")
    response = persona.client().patch(
        f"/api/v1/lookups/{lookup.pk}/", {"name": "Ops"}, format="json", HTTP_X_REQUEST_ID=f"rename-{code}"
    )
    assert response.status_code == 200, response.content
    return lookup


def test_list_and_detail_show_exact_entries_newest_first(tenant_a: Any, tenant_a_admin: Persona) -> None:
    lookup = renamed_over_rest(tenant_a_admin)
    created, renamed = entries(tenant_a, Lookup, object_id=lookup.pk)
    api = tenant_a_admin.client()
    page = api.get(URL, {"object_type": "tenants.lookup", "object_id": str(lookup.pk)})
    assert page.status_code == 200
    assert page.json() == {"next": None, "previous": None, "results": [body_of(renamed), body_of(created)]}
    newest = page.json()["results"][0]
    assert {key: newest[key] for key in ("actor", "actor_label", "door", "request_id", "action", "object_repr")} == {
        "actor": tenant_a_admin.person.pk,
        "actor_label": "admin",
        "door": "REST",
        "request_id": "rename-OPS",
        "action": "UPDATE",
        "object_repr": "Department: Ops",
    }
    assert newest["changes"] == {"name": ["Operations", "Ops"]}
    detail = api.get(f"{URL}{renamed.pk}/")
    assert (detail.status_code, detail.json()) == (200, body_of(renamed))


def test_every_filter(tenant_a: Any, tenant_a_admin: Persona, tenant_a_supervisor: Persona) -> None:
    ops = renamed_over_rest(tenant_a_admin, "OPS")
    hr = renamed_over_rest(tenant_a_admin, "HR")
    with tenant_context(tenant_a):
        hr.name = "People"
        save_lookup(hr)  # no person, no door: the system
    all_lookups = entries(tenant_a, Lookup)
    by_key = {(entry.object_id, entry.action, entry.door): entry.pk for entry in all_lookups}
    api = tenant_a_admin.client()

    def ids(**params: Any) -> list[int]:
        response = api.get(URL, {"object_type": "tenants.lookup", **params})
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["results"]]

    assert ids() == [entry.pk for entry in reversed(all_lookups)]
    assert ids(object_id=ops.pk) == [by_key[ops.pk, "UPDATE", "REST"], by_key[ops.pk, "CREATE", "SYSTEM"]]
    assert ids(action="UPDATE", door="REST") == [by_key[hr.pk, "UPDATE", "REST"], by_key[ops.pk, "UPDATE", "REST"]]
    assert ids(door=["SYSTEM"], action=["UPDATE"]) == [by_key[hr.pk, "UPDATE", "SYSTEM"]]
    assert ids(actor=tenant_a_admin.person.pk) == [by_key[hr.pk, "UPDATE", "REST"], by_key[ops.pk, "UPDATE", "REST"]]
    assert ids(actor=tenant_a_supervisor.person.pk) == []
    assert ids(request_id="rename-HR") == [by_key[hr.pk, "UPDATE", "REST"]]
    middle = next(entry for entry in all_lookups if entry.pk == by_key[hr.pk, "CREATE", "SYSTEM"])
    assert ids(time_after=iso(middle.time)) == [
        entry.pk for entry in reversed(all_lookups) if entry.time >= middle.time
    ]
    assert ids(time_before=iso(middle.time)) == [
        entry.pk for entry in reversed(all_lookups) if entry.time < middle.time
    ]
    # The role assignments of the supervisor persona name them as their related object.
    related = api.get(URL, {"related_type": "people.person", "related_id": tenant_a_supervisor.person.pk}).json()
    assert [(item["object_type"], item["action"]) for item in related["results"]] == [
        ("people.roleassignment", "CREATE")
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"object_type": "people.nothing"}, "object_type"),
        ({"object_type": "audit.changelog"}, "object_type"),  # not logged, so not a choice
        ({"object_id": "9223372036854775808"}, "object_id"),
        ({"actor": "-1"}, "actor"),
        ({"door": "TELEPATHY"}, "door"),
        ({"time_after": "9999-12-31T23:00:00-05:00"}, "time_after"),  # past the last year once in UTC
        ({"time_before": "0001-01-01T00:00:00+05:00"}, "time_before"),
        ({"time_after": "yesterday"}, "time_after"),
    ],
)
def test_bad_filters_are_400_in_the_error_shape(tenant_a_admin: Persona, params: dict[str, str], field: str) -> None:
    response = tenant_a_admin.client().get(URL, params)
    assert response.status_code == 400
    error = response.json()["error"]
    # Dates and times outside the supported range share one code with every other filter.
    code = "value_out_of_range" if field.startswith("time_") and params[field] != "yesterday" else "invalid"
    assert (error["code"], list(error["details"]["fields"])) == (code, [field])


def test_an_offset_the_database_cannot_take_is_refused(tenant_a_admin: Persona) -> None:
    response = tenant_a_admin.client().get(URL, {"time_after": "2590-07-02T21:29:47-17:17"})
    assert (response.status_code, response.json()["error"]["code"]) == (400, "value_out_of_range")


def test_pages_are_keyset_pages_newest_first(tenant_a: Any, tenant_a_admin: Persona) -> None:
    with tenant_context(tenant_a):
        for n in range(5):
            create_lookup(kind=Lookup.Kind.DEPARTMENT, code=f"D{n}", name=f"Department {n}")
    expected = [entry.pk for entry in reversed(entries(tenant_a, Lookup))]
    api = tenant_a_admin.client()
    seen: list[int] = []
    url: str | None = f"{URL}?object_type=tenants.lookup&page_size=2"
    while url:
        page = api.get(url).json()
        seen += [item["id"] for item in page["results"]]
        url = page["next"]
    assert seen == expected
    assert api.get(URL, {"cursor": "not-a-cursor"}).json()["error"]["code"] == "not_found"


def test_only_tenant_admins_read_the_log(
    tenant_a: Any, tenant_a_admin: Persona, tenant_a_supervisor: Persona, tenant_a_guard: Persona
) -> None:
    renamed_over_rest(tenant_a_admin)
    entry = entries(tenant_a)[-1]
    for persona in (tenant_a_supervisor, tenant_a_guard):
        api = persona.client()
        for path in (URL, f"{URL}{entry.pk}/"):
            response = api.get(path)
            assert (response.status_code, response.json()) == (403, DENIED)
    assert WebClient().get(URL).status_code == 401
    gql = post_graphql(WebClient(), "{ changelog { id } }", token=tenant_a_supervisor.tokens().access).json()
    assert gql["data"] is None
    assert [error["extensions"]["code"] for error in gql["errors"]] == ["permission_denied"]


def test_another_tenants_admin_sees_none_of_its_entries(
    tenant_a: Any, tenant_b: Any, tenant_a_admin: Persona, tenant_b_admin: Persona
) -> None:
    renamed_over_rest(tenant_a_admin)
    a_ids = {entry.pk for entry in entries(tenant_a)}
    b_ids = {entry.pk for entry in entries(tenant_b)}
    assert a_ids and b_ids
    api = tenant_b_admin.client()
    listed: set[int] = set()
    url: str | None = f"{URL}?page_size=200"
    while url:
        page = api.get(url).json()
        listed |= {item["id"] for item in page["results"]}
        url = page["next"]
    assert listed == b_ids
    for pk in sorted(a_ids)[:5]:
        response = api.get(f"{URL}{pk}/")
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    gql = post_graphql(WebClient(), "{ changelog(first: 500) { id } }", token=tenant_b_admin.tokens().access).json()
    assert {int(item["id"]) for item in gql["data"]["changelog"]} == b_ids


def test_graphql_filters_and_types(tenant_a: Any, tenant_a_admin: Persona) -> None:
    lookup = renamed_over_rest(tenant_a_admin)
    created, renamed = entries(tenant_a, Lookup, object_id=lookup.pk)
    query = """
    query($id: ID!) {
      changelog(objectType: "tenants.lookup", objectId: $id, door: [REST], action: [UPDATE]) {
        id time actorId actorLabel door requestId action objectType objectId objectRepr
        relatedType relatedId changes count objectIds
      }
    }"""
    body = post_graphql(WebClient(), query, {"id": lookup.pk}, token=tenant_a_admin.tokens().access).json()
    assert body == {
        "data": {
            "changelog": [
                {
                    "id": str(renamed.pk),
                    "time": renamed.time.isoformat(),
                    "actorId": str(tenant_a_admin.person.pk),
                    "actorLabel": "admin",
                    "door": "REST",
                    "requestId": "rename-OPS",
                    "action": "UPDATE",
                    "objectType": "tenants.lookup",
                    "objectId": str(lookup.pk),
                    "objectRepr": "Department: Ops",
                    "relatedType": None,
                    "relatedId": None,
                    "changes": {"name": ["Operations", "Ops"]},
                    "count": 1,
                    "objectIds": [],
                }
            ]
        }
    }
    everything = post_graphql(
        WebClient(),
        '{ changelog(objectType: "tenants.lookup", first: 1, offset: 1) { id } }',
        token=tenant_a_admin.tokens().access,
    ).json()
    assert everything == {"data": {"changelog": [{"id": str(created.pk)}]}}
    bad = post_graphql(
        WebClient(), '{ changelog(objectType: "nothing.here") { id } }', token=tenant_a_admin.tokens().access
    ).json()
    assert [error["extensions"]["code"] for error in bad["errors"]] == ["invalid_filter"]


def test_a_page_costs_the_same_queries_for_two_entries_and_forty(tenant_a: Any, tenant_a_admin: Persona) -> None:
    api = tenant_a_admin.client()
    api.get(URL)  # content types cached, as in a running process

    def queries(**params: Any) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = api.get(URL, {"object_type": "tenants.lookup", **params})
        assert response.status_code == 200
        return len(captured)

    with tenant_context(tenant_a):
        for n in range(2):
            create_lookup(kind=Lookup.Kind.DEPARTMENT, code=f"A{n}", name=f"A {n}")
    few = queries()
    with tenant_context(tenant_a):
        for n in range(38):
            create_lookup(kind=Lookup.Kind.DEPARTMENT, code=f"B{n}", name=f"B {n}")
    many = queries()
    # Signing in by token and the page itself: nothing per entry (types come from a cache).
    assert few == many == 3


def test_a_graphql_page_costs_the_same_queries_for_two_entries_and_forty(
    tenant_a: Any, tenant_a_admin: Persona
) -> None:
    token = tenant_a_admin.tokens().access
    query = '{ changelog(objectType: "tenants.lookup") { id objectType relatedType actorLabel changes } }'

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            body = post_graphql(WebClient(), query, token=token).json()
        assert "errors" not in body, body
        return len(captured)

    queries()  # content types cached, as in a running process
    with tenant_context(tenant_a):
        for n in range(2):
            create_lookup(kind=Lookup.Kind.DEPARTMENT, code=f"A{n}", name=f"A {n}")
    few = queries()
    with tenant_context(tenant_a):
        for n in range(38):
            create_lookup(kind=Lookup.Kind.DEPARTMENT, code=f"B{n}", name=f"B {n}")
    many = queries()
    assert few == many == 3
