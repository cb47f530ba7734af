"""GraphQL list fields and site/client mutations: scope, GeoJSON, typed errors."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.test import Client as HttpClient

from apps.core.tenancy import tenant_context
from apps.core.testing import post_graphql
from apps.people.models import Person
from apps.sites import services
from apps.sites.models import Client, Site

from . import factories as f

CREATE_SITE = """
mutation Create($clientId: ID!, $code: String!, $name: String!, $location: GenericScalar!, $geofence: GenericScalar) {
  createSite(clientId: $clientId, code: $code, name: $name, location: $location, geofence: $geofence,
             timezone: "Asia/Kolkata") {
    site { code name clientId timezone location geofence isActive }
  }
}
"""
POINT: dict[str, Any] = {"type": "Point", "coordinates": [77.5946, 12.9716]}
SQUARE = {"type": "Polygon", "coordinates": [[[77.5, 12.9], [77.7, 12.9], [77.7, 13.1], [77.5, 13.1], [77.5, 12.9]]]}


def gql(persona: Any, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = post_graphql(HttpClient(), query, variables, token=persona.tokens().access)
    assert response.status_code == 200, response.content
    return response.json()


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def test_create_update_and_deactivate_a_site(tenant_a_admin: Any) -> None:
    with tenant_context(tenant_a_admin.tenant):
        acme = f.client("ACME")
    variables = {"clientId": str(acme.pk), "code": "BLR", "name": "Bangalore", "location": POINT, "geofence": SQUARE}
    body = gql(tenant_a_admin, CREATE_SITE, variables)
    assert "errors" not in body, body
    assert body["data"]["createSite"]["site"] == {
        "code": "BLR",
        "name": "Bangalore",
        "clientId": str(acme.pk),
        "timezone": "Asia/Kolkata",
        "location": POINT,
        "geofence": SQUARE,
        "isActive": True,
    }
    with tenant_context(tenant_a_admin.tenant):
        site_id = Site.objects.get(code="BLR").pk
    updated = gql(
        tenant_a_admin,
        'mutation U($id: ID!) { updateSite(id: $id, name: "Bengaluru", geofence: null) { site { name geofence } } }',
        {"id": str(site_id)},
    )
    assert updated["data"]["updateSite"]["site"] == {"name": "Bengaluru", "geofence": None}
    gone = gql(
        tenant_a_admin, "mutation D($id: ID!) { deactivateSite(id: $id) { site { isActive } } }", {"id": site_id}
    )
    assert gone["data"]["deactivateSite"]["site"] == {"isActive": False}


def test_bad_geometry_and_foreign_ids_are_typed_errors_that_write_nothing(tenant_a_admin: Any, tenant_b: Any) -> None:
    with tenant_context(tenant_a_admin.tenant):
        acme = f.client("ACME")
    with tenant_context(tenant_b):
        foreign = f.client("FOREIGN")
    base = {"clientId": str(acme.pk), "code": "BAD", "name": "Bad", "location": POINT}
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"geofence": bowtie}, "invalid_polygon"),
        ({"location": {"type": "Point", "coordinates": [10, 200]}}, "latitude_out_of_range"),
        ({"location": SQUARE}, "wrong_geometry_type"),
        ({"location": {**POINT, "crs": {"type": "name", "properties": {"name": "EPSG:3857"}}}}, "invalid_srid"),
        ({"clientId": str(foreign.pk)}, "unknown_client"),
    ]
    for overrides, code in cases:
        body = gql(tenant_a_admin, CREATE_SITE, {**base, **overrides})
        assert codes(body) == [code], (overrides, body)
        assert body["data"] == {"createSite": None}
    with tenant_context(tenant_a_admin.tenant):
        assert Site.objects.count() == 0


def test_client_mutations_and_permission(tenant_a_admin: Any, tenant_a_supervisor: Any) -> None:
    create = 'mutation { createClient(code: "ACME", name: "Acme") { client { id code name isActive } } }'
    body = gql(tenant_a_admin, create)
    client = body["data"]["createClient"]["client"]
    assert (client["code"], client["name"], client["isActive"]) == ("ACME", "Acme", True)
    assert codes(gql(tenant_a_admin, create)) == ["duplicate_code"]
    update = 'mutation U($id: ID!) { updateClient(id: $id, name: "Acme Ltd") { client { name } } }'
    assert gql(tenant_a_admin, update, {"id": client["id"]})["data"]["updateClient"]["client"] == {"name": "Acme Ltd"}
    bad_dates = 'mutation { createClient(code: "X", name: "X", contractStart: "2026-02-01", contractEnd: "2026-01-01") { client { id } } }'
    assert codes(gql(tenant_a_admin, bad_dates)) == ["contract_end_before_start"]
    assert codes(gql(tenant_a_supervisor, create.replace("ACME", "SUP"))) == ["permission_denied"]
    with tenant_context(tenant_a_admin.tenant):
        assert list(Client.objects.values_list("code", "name")) == [("ACME", "Acme Ltd")]


def test_lists_are_scoped_and_filtered(tenant_a_admin: Any, tenant_a_supervisor: Any, tenant_b_admin: Any) -> None:
    with tenant_context(tenant_a_admin.tenant):
        acme = f.client("ACME")
        home, other = f.site("HOME", of=acme), f.site("OTHER", of=acme)
        group = services.create_site_group(code="R", name="Route", site_ids=[other.pk, home.pk])
        services.create_shift(site_id=home.pk, name="Night", start_time=time(22), end_time=time(6))
        services.create_location(site_id=other.pk, code="GATE", name="Gate")
        Person.objects.filter(pk=tenant_a_supervisor.person.pk).update(home_site=home)
    query = """{ sites { code } clients { code } siteGroups { code siteIds } shifts { name overnight siteId }
                 locations { code } }"""
    admin = gql(tenant_a_admin, query)["data"]
    assert admin == {
        "sites": [{"code": "HOME"}, {"code": "OTHER"}],
        "clients": [{"code": "ACME"}],
        "siteGroups": [{"code": "R", "siteIds": [str(other.pk), str(home.pk)]}],
        "shifts": [{"name": "Night", "overnight": True, "siteId": str(home.pk)}],
        "locations": [{"code": "GATE"}],
    }
    supervisor = gql(tenant_a_supervisor, query)["data"]
    assert supervisor == {
        "sites": [{"code": "HOME"}],
        "clients": [{"code": "ACME"}],
        "siteGroups": [{"code": "R", "siteIds": [str(home.pk)]}],
        "shifts": [{"name": "Night", "overnight": True, "siteId": str(home.pk)}],
        "locations": [],
    }
    assert gql(tenant_b_admin, query)["data"] == {
        "sites": [],
        "clients": [],
        "siteGroups": [],
        "shifts": [],
        "locations": [],
    }
    filtered = gql(tenant_a_admin, '{ sites(code: "other") { code } }')["data"]
    assert filtered == {"sites": [{"code": "OTHER"}]}
    assert gql(tenant_a_admin, f'{{ sites(siteGroup: "{group.pk}", name: "home") {{ code }} }}')["data"] == {
        "sites": [{"code": "HOME"}]
    }
