"""Lookups: services, /api/v1/lookups/ (cached per tenant and kind), GraphQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.core.errors import DomainError
from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql
from apps.tenants import services
from apps.tenants.models import Lookup

URL = "/api/v1/lookups/"


def lookup(tenant: Any, kind: str, code: str, name: str, position: int = 0) -> Lookup:
    with tenant_context(tenant):
        return services.create_lookup(kind=kind, code=code, name=name, position=position)


def rows(response: Any) -> list[tuple[str, str, str, bool]]:
    assert response.status_code == 200, response.content
    return [(r["kind"], r["code"], r["name"], r["is_active"]) for r in response.json()["results"]]


def test_service_rejects_duplicate_code_per_kind_only(tenant_a: Any) -> None:
    lookup(tenant_a, "DEPARTMENT", "OPS", "Operations")
    lookup(tenant_a, "DESIGNATION", "OPS", "Operator")  # same code, other kind: fine
    with tenant_context(tenant_a), pytest.raises(DomainError) as excinfo:
        services.create_lookup(kind="DEPARTMENT", code="OPS", name="Again")
    assert (excinfo.value.code, excinfo.value.details) == ("duplicate_code", {"field": "code", "value": "OPS"})
    with tenant_context(tenant_a), pytest.raises(DomainError) as excinfo:
        services.create_lookup(kind="COLOUR", code="RED", name="Red")
    assert excinfo.value.code == "invalid_kind"
    with tenant_context(tenant_a):
        assert sorted(Lookup.objects.values_list("kind", "code")) == [("DEPARTMENT", "OPS"), ("DESIGNATION", "OPS")]


def test_list_filters_by_kind_in_picker_order(tenant_a_guard: Any) -> None:
    tenant = tenant_a_guard.tenant
    lookup(tenant, "DEPARTMENT", "SEC", "Security", position=2)
    lookup(tenant, "DEPARTMENT", "FAC", "Facilities", position=1)
    lookup(tenant, "DESIGNATION", "GRD", "Guard")
    client = tenant_a_guard.client()  # reading needs no capability

    assert rows(client.get(URL + "?kind=DEPARTMENT")) == [
        ("DEPARTMENT", "FAC", "Facilities", True),
        ("DEPARTMENT", "SEC", "Security", True),
    ]
    assert rows(client.get(URL)) == [
        ("DEPARTMENT", "FAC", "Facilities", True),
        ("DEPARTMENT", "SEC", "Security", True),
        ("DESIGNATION", "GRD", "Guard", True),
    ]
    bad = client.get(URL + "?kind=COLOUR")
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid")
    assert list(bad.json()["error"]["details"]["fields"]) == ["kind"]


def test_crud_needs_admin_manage_and_delete_deactivates(
    tenant_a_admin: Any, tenant_a_supervisor: Any, django_capture_on_commit_callbacks: Any
) -> None:
    supervisor = tenant_a_supervisor.client()
    denied = supervisor.post(URL, {"kind": "DEPARTMENT", "code": "X", "name": "X"}, format="json")
    assert (denied.status_code, denied.json()["error"]["code"]) == (403, "permission_denied")

    admin = tenant_a_admin.client()
    with django_capture_on_commit_callbacks(execute=True):
        created = admin.post(URL, {"kind": "DEPARTMENT", "code": "OPS", "name": "Operations"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert {k: body[k] for k in ("kind", "code", "name", "position", "is_active")} == {
        "kind": "DEPARTMENT",
        "code": "OPS",
        "name": "Operations",
        "position": 0,
        "is_active": True,
    }
    pk = body["id"]

    duplicate = admin.post(URL, {"kind": "DEPARTMENT", "code": "OPS", "name": "Other"}, format="json")
    assert (duplicate.status_code, duplicate.json()["error"]["code"]) == (400, "duplicate_code")

    with django_capture_on_commit_callbacks(execute=True):
        patched = admin.patch(f"{URL}{pk}/", {"name": "Ops", "position": 3}, format="json")
    assert (patched.status_code, patched.json()["name"], patched.json()["position"]) == (200, "Ops", 3)
    kind_change = admin.patch(f"{URL}{pk}/", {"kind": "DESIGNATION"}, format="json")
    assert (kind_change.status_code, kind_change.json()["error"]["details"]["fields"]["kind"]) == (
        400,
        ["The kind of a lookup cannot change."],
    )

    with django_capture_on_commit_callbacks(execute=True):
        deleted = admin.delete(f"{URL}{pk}/")
    assert deleted.status_code == 204
    with tenant_context(tenant_a_admin.tenant):
        assert list(Lookup.objects.values_list("code", "name", "is_active")) == [("OPS", "Ops", False)]
    assert rows(supervisor.get(URL + "?is_active=false")) == [("DEPARTMENT", "OPS", "Ops", False)]
    assert rows(supervisor.get(URL + "?is_active=true")) == []


def test_cached_list_is_invalidated_on_commit_of_each_write(
    tenant_a_admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    admin = tenant_a_admin.client()
    assert rows(admin.get(URL + "?kind=DEPARTMENT")) == []

    # A row written behind the services' back is not seen: the list really is cached...
    stale = lookup_without_service(tenant_a_admin.tenant)
    assert rows(admin.get(URL + "?kind=DEPARTMENT")) == []

    # ...and each write through the services is visible on the very next read.
    with django_capture_on_commit_callbacks(execute=True):
        created = admin.post(URL, {"kind": "DEPARTMENT", "code": "OPS", "name": "Operations"}, format="json")
    assert rows(admin.get(URL + "?kind=DEPARTMENT")) == [
        ("DEPARTMENT", "OPS", "Operations", True),
        ("DEPARTMENT", "RAW", "Raw", True),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        admin.patch(f"{URL}{created.json()['id']}/", {"name": "Operations 2"}, format="json")
    assert rows(admin.get(URL + "?kind=DEPARTMENT"))[0] == ("DEPARTMENT", "OPS", "Operations 2", True)
    with django_capture_on_commit_callbacks(execute=True):
        admin.delete(f"{URL}{stale.pk}/")
    assert rows(admin.get(URL + "?kind=DEPARTMENT&is_active=true")) == [("DEPARTMENT", "OPS", "Operations 2", True)]


def lookup_without_service(tenant: Any) -> Lookup:
    with tenant_context(tenant):
        return Lookup.objects.create(kind="DEPARTMENT", code="RAW", name="Raw")


def test_a_tenants_cached_list_never_serves_another(tenant_a_admin: Any, tenant_b_admin: Any) -> None:
    lookup(tenant_a_admin.tenant, "DEPARTMENT", "A-ONLY", "Alpha department")
    lookup(tenant_b_admin.tenant, "DEPARTMENT", "B-ONLY", "Bravo department")

    # Same kind, same parameters, A first (fills the cache), then B.
    assert rows(tenant_a_admin.client().get(URL + "?kind=DEPARTMENT")) == [
        ("DEPARTMENT", "A-ONLY", "Alpha department", True)
    ]
    assert rows(tenant_b_admin.client().get(URL + "?kind=DEPARTMENT")) == [
        ("DEPARTMENT", "B-ONLY", "Bravo department", True)
    ]
    assert rows(tenant_a_admin.client().get(URL + "?kind=DEPARTMENT")) == [
        ("DEPARTMENT", "A-ONLY", "Alpha department", True)
    ]


def test_other_tenants_lookup_cannot_be_edited(tenant_a_admin: Any, tenant_b_admin: Any) -> None:
    foreign = lookup(tenant_b_admin.tenant, "DEPARTMENT", "B", "Bravo")
    response = tenant_a_admin.client().patch(f"{URL}{foreign.pk}/", {"name": "Hacked"}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    with tenant_context(tenant_b_admin.tenant):
        assert Lookup.objects.get().name == "Bravo"


LOOKUPS = "query L($kind: String) { lookups(kind: $kind) { code name kind isActive } }"
CREATE = """
mutation C($kind: String!, $code: String!, $name: String!) {
  createLookup(kind: $kind, code: $code, name: $name) { lookup { code name kind } }
}
"""
UPDATE = "mutation U($id: ID!, $name: String) { updateLookup(id: $id, name: $name) { lookup { name } } }"
DEACTIVATE = "mutation D($id: ID!) { deactivateLookup(id: $id) { lookup { isActive } } }"


def gql(persona: Any, query: str, variables: dict[str, Any] | None = None) -> Any:
    return post_graphql(Client(), query, variables, token=persona.tokens().access).json()


def test_graphql_lookups_and_mutations(
    tenant_a_admin: Any, tenant_a_guard: Any, tenant_b_admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    lookup(tenant_b_admin.tenant, "DEPARTMENT", "B", "Bravo")
    with django_capture_on_commit_callbacks(execute=True):
        created = gql(tenant_a_admin, CREATE, {"kind": "DEPARTMENT", "code": "OPS", "name": "Operations"})
    assert created == {
        "data": {"createLookup": {"lookup": {"code": "OPS", "name": "Operations", "kind": "DEPARTMENT"}}}
    }
    assert gql(tenant_a_guard, LOOKUPS, {"kind": "DEPARTMENT"}) == {
        "data": {"lookups": [{"code": "OPS", "name": "Operations", "kind": "DEPARTMENT", "isActive": True}]}
    }

    duplicate = gql(tenant_a_admin, CREATE, {"kind": "DEPARTMENT", "code": "OPS", "name": "Again"})
    assert duplicate["data"] == {"createLookup": None}
    assert [e["extensions"]["code"] for e in duplicate["errors"]] == ["duplicate_code"]
    denied = gql(tenant_a_guard, CREATE, {"kind": "DEPARTMENT", "code": "G", "name": "Guarded"})
    assert [e["extensions"]["code"] for e in denied["errors"]] == ["permission_denied"]

    with tenant_context(tenant_a_admin.tenant):
        pk = Lookup.objects.get(code="OPS").pk
    with django_capture_on_commit_callbacks(execute=True):
        assert gql(tenant_a_admin, UPDATE, {"id": str(pk), "name": "Ops"}) == {
            "data": {"updateLookup": {"lookup": {"name": "Ops"}}}
        }
        assert gql(tenant_a_admin, DEACTIVATE, {"id": str(pk)}) == {
            "data": {"deactivateLookup": {"lookup": {"isActive": False}}}
        }
    assert gql(tenant_a_guard, LOOKUPS, {"kind": "DEPARTMENT"}) == {
        "data": {"lookups": [{"code": "OPS", "name": "Ops", "kind": "DEPARTMENT", "isActive": False}]}
    }
    # Tenant B cannot name tenant A's entry.
    crossed = gql(tenant_b_admin, UPDATE, {"id": str(pk), "name": "Hacked"})
    assert [e["extensions"]["code"] for e in crossed["errors"]] == ["not_found"]
    bad_kind = gql(tenant_a_guard, LOOKUPS, {"kind": "COLOUR"})
    assert [e["extensions"]["code"] for e in bad_kind["errors"]] == ["invalid_kind"]
