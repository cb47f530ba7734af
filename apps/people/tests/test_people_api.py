"""/api/v1/people/: scoped to the caller's tenant, filterable, paginated, capability-checked."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import make_persona


def test_list_is_paginated_and_tenant_scoped(tenant_a_admin, tenant_a_guard, tenant_b_admin):
    response = tenant_a_admin.client().get("/api/v1/people/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert (body["next"], body["previous"]) == (None, None)
    assert [(p["login"], p["roles"]) for p in body["results"]] == [("admin", ["admin"]), ("guard", ["guard"])]
    assert set(body["results"][0]) == {
        *("id", "uuid", "login", "name", "email", "is_active", "roles", "version"),
        *("code", "mobile", "home_site", "reports_to", "department", "designation", "client"),
        *("bound_device_id", "left_on", "photo"),
    }


def test_filters_and_ordering(tenant_a_admin, tenant_a_guard, tenant_a_supervisor):
    client = tenant_a_admin.client()
    assert [p["login"] for p in client.get("/api/v1/people/?role=guard").json()["results"]] == ["guard"]
    assert [p["login"] for p in client.get("/api/v1/people/?login=SUPERVISOR").json()["results"]] == ["supervisor"]
    assert [p["login"] for p in client.get("/api/v1/people/?ordering=-login").json()["results"]] == [
        "supervisor",
        "guard",
        "admin",
    ]
    page = client.get("/api/v1/people/?page_size=2&page=2").json()
    assert (page["count"], [p["login"] for p in page["results"]]) == (3, ["supervisor"])


def test_detail_and_foreign_detail(tenant_a_admin, tenant_b_admin):
    client = tenant_a_admin.client()
    own = client.get(f"/api/v1/people/{tenant_a_admin.person.pk}/")
    assert (own.status_code, own.json()["login"]) == (200, "admin")
    foreign = client.get(f"/api/v1/people/{tenant_b_admin.person.pk}/")
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (404, "not_found")


def test_list_query_count_does_not_grow_with_people(tenant_a_admin):
    client = tenant_a_admin.client()
    client.get("/api/v1/people/")  # warm the per-process tenant cache
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/people/")
    for n in range(5):
        make_persona(tenant_a_admin.tenant, "guard", login=f"guard{n}")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/people/").json()["count"] == 6
    assert len(many) == len(few)


def test_guards_and_client_viewers_cannot_list_people(tenant_a_guard, tenant_a_client):
    for persona in (tenant_a_guard, tenant_a_client):
        response = persona.client().get("/api/v1/people/")
        assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")
