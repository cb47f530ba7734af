"""Assets and checkpoints over REST: CRUD, scope, every validation rule, scrap and deactivate."""

from __future__ import annotations

from typing import Any

import pytest

from apps.assets.models import Asset
from apps.core.tenancy import tenant_context

from .factories import make_asset, make_site

pytestmark = pytest.mark.django_db

ASSETS = "/api/v1/assets/"
CHECKPOINTS = "/api/v1/checkpoints/"


def body(world: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "kind": "ASSET",
        "code": "PUMP-1",
        "name": "Fire pump 1",
        "site": world.north.pk,
        "area": world.north_area.pk,
        "asset_class": world.pump.pk,
        "location": {"type": "Point", "coordinates": [55.2708, 25.2048]},
        "tag": "QR-PUMP-1",
        "meter": {"unit": "bar", "min": 0, "max": 16, "multiplier": 1.5},
    }
    data.update(overrides)
    return data


def expected(asset: Asset, **values: Any) -> dict[str, Any]:
    """The representation of ``asset``: volatile columns from the row, the rest as given."""
    return {
        "id": asset.pk,
        "uuid": str(asset.uuid),
        "version": asset.version,
        "created_at": asset.created_at.isoformat().replace("+00:00", "Z"),
        "modified_at": asset.modified_at.isoformat().replace("+00:00", "Z"),
        **values,
    }


def count(tenant: Any) -> int:
    with tenant_context(tenant):
        return Asset.objects.count()


def row(tenant: Any, pk: int) -> Asset:
    with tenant_context(tenant):
        return Asset.objects.get(pk=pk)


def error(response: Any) -> tuple[int, str, dict[str, Any]]:
    payload = response.json()["error"]
    return response.status_code, payload["code"], payload["details"]


# --- CRUD ------------------------------------------------------------------------------


def test_admin_creates_reads_updates_an_asset(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    client = tenant_a_admin.client()
    created = client.post(ASSETS, body(world), format="json")
    assert created.status_code == 201, created.content
    asset = row(tenant_a, created.json()["id"])
    want = {
        "kind": "ASSET",
        "code": "PUMP-1",
        "name": "Fire pump 1",
        "status": "WORKING",
        "site": world.north.pk,
        "area": world.north_area.pk,
        "parent": None,
        "asset_class": world.pump.pk,
        "location": {"type": "Point", "coordinates": [55.2708, 25.2048]},
        "tag": "QR-PUMP-1",
        "meter": {"unit": "bar", "min": 0, "max": 16, "multiplier": 1.5},
        "is_active": True,
    }
    assert created.json() == expected(asset, **want)
    assert (asset.tenant_id, asset.created_by_id, asset.modified_by_id) == (
        tenant_a.pk,
        tenant_a_admin.person.pk,
        tenant_a_admin.person.pk,
    )
    assert asset.location is not None
    assert (asset.location.x, asset.location.y, asset.location.srid) == (55.2708, 25.2048, 4326)

    detail = client.get(f"{ASSETS}{asset.pk}/")
    assert (detail.status_code, detail.json()) == (200, expected(asset, **want))

    patched = client.patch(f"{ASSETS}{asset.pk}/", {"status": "MAINTENANCE", "area": None}, format="json")
    assert patched.status_code == 200, patched.content
    asset = row(tenant_a, asset.pk)
    assert patched.json() == expected(asset, **{**want, "status": "MAINTENANCE", "area": None})
    assert asset.version > created.json()["version"]

    listed = client.get(ASSETS)
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    assert listed.json()["results"] == [patched.json()]


def test_put_replaces_and_a_part_can_hang_under_its_parent(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    client = tenant_a_admin.client()
    pump = client.post(ASSETS, body(world), format="json").json()
    motor = client.post(
        ASSETS, {"code": "MOTOR-1", "name": "Motor", "site": world.north.pk, "parent": pump["id"]}, format="json"
    )
    assert motor.status_code == 201, motor.content
    assert (motor.json()["parent"], motor.json()["tag"], motor.json()["meter"], motor.json()["location"]) == (
        pump["id"],
        "",
        {},
        None,
    )
    put = client.put(
        f"{ASSETS}{motor.json()['id']}/",
        {"code": "MOTOR-1", "name": "Main motor", "site": world.north.pk, "kind": "ASSET"},
        format="json",
    )
    assert put.status_code == 200, put.content
    # Optional fields a PUT leaves out keep their value: only what is sent reaches the service.
    assert (put.json()["name"], put.json()["parent"]) == ("Main motor", pump["id"])


def test_checkpoints_route_forces_the_kind_and_lists_only_checkpoints(
    tenant_a: Any, tenant_a_admin: Any, world: Any
) -> None:
    client = tenant_a_admin.client()
    client.post(ASSETS, body(world), format="json")
    created = client.post(
        CHECKPOINTS,
        {"kind": "ASSET", "code": "CP-1", "name": "Gate 1", "site": world.north.pk, "tag": "cp-gate-1"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert (created.json()["kind"], row(tenant_a, created.json()["id"]).kind) == ("CHECKPOINT", "CHECKPOINT")

    assert [item["code"] for item in client.get(CHECKPOINTS).json()["results"]] == ["CP-1"]
    assert [item["code"] for item in client.get(ASSETS).json()["results"]] == ["CP-1", "PUMP-1"]
    assert [item["code"] for item in client.get(ASSETS, {"kind": "CHECKPOINT"}).json()["results"]] == ["CP-1"]
    assert [item["code"] for item in client.get(ASSETS, {"kind": "ASSET"}).json()["results"]] == ["PUMP-1"]
    pump = client.get(ASSETS, {"code": "pump-1"}).json()["results"][0]
    # An asset is not a checkpoint: the checkpoints route does not serve it.
    assert client.get(f"{CHECKPOINTS}{pump['id']}/").status_code == 404


def test_filters(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        make_asset(world.north, "A-1", name="Chiller north", asset_class=world.pump, tag="t-1")
        make_asset(world.south, "A-2", name="Chiller south", status=Asset.Status.STANDBY)
        make_asset(world.south, "A-3", name="Generator", is_active=False)
    client = tenant_a_admin.client()

    def codes(**params: Any) -> list[str]:
        response = client.get(ASSETS, params)
        assert response.status_code == 200, response.content
        return [item["code"] for item in response.json()["results"]]

    assert codes() == ["A-1", "A-2", "A-3"]
    assert codes(site=world.south.pk) == ["A-2", "A-3"]
    assert codes(status="STANDBY") == ["A-2"]
    assert codes(asset_class=world.pump.pk) == ["A-1"]
    assert codes(tag="t-1") == ["A-1"]
    assert codes(code="a-3") == ["A-3"]
    assert codes(is_active="false") == ["A-3"]
    assert codes(name="CHILLER") == ["A-1", "A-2"]
    bad = client.get(ASSETS, {"status": "BROKEN"})
    assert error(bad)[:2] == (400, "invalid")


# --- scope -----------------------------------------------------------------------------


def test_supervisor_sees_only_assets_of_assigned_sites(tenant_a: Any, tenant_a_supervisor: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        mine = make_asset(world.north, "N-1")
        theirs = make_asset(world.south, "S-1")
    client = tenant_a_supervisor.client()
    assert [item["id"] for item in client.get(ASSETS).json()["results"]] == [mine.pk]
    assert client.get(f"{ASSETS}{mine.pk}/").status_code == 200
    hidden = client.get(f"{ASSETS}{theirs.pk}/")
    assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "not_found")
    assert client.get(ASSETS, {"site": world.south.pk}).json()["results"] == []


def test_supervisor_may_read_but_not_write(tenant_a: Any, tenant_a_supervisor: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        mine = make_asset(world.north, "N-1")
    client = tenant_a_supervisor.client()
    denied = client.post(ASSETS, body(world), format="json")
    assert error(denied)[:2] == (403, "permission_denied")
    assert error(client.patch(f"{ASSETS}{mine.pk}/", {"name": "x"}, format="json"))[:2] == (403, "permission_denied")
    assert error(client.delete(f"{ASSETS}{mine.pk}/"))[:2] == (403, "permission_denied")
    assert count(tenant_a) == 1
    assert (row(tenant_a, mine.pk).name, row(tenant_a, mine.pk).is_active) == ("Asset N-1", True)


def test_guard_without_sites_view_is_refused(tenant_a: Any, tenant_a_guard: Any, world: Any) -> None:
    assert error(tenant_a_guard.client().get(ASSETS))[:2] == (403, "permission_denied")


def test_other_tenant_gets_nothing_and_cannot_write(
    tenant_a: Any, tenant_a_admin: Any, tenant_b_admin: Any, world: Any
) -> None:
    with tenant_context(tenant_a):
        asset = make_asset(world.north, "N-1")
    client = tenant_b_admin.client()
    assert client.get(ASSETS).json()["results"] == []
    assert error(client.get(f"{ASSETS}{asset.pk}/"))[:2] == (404, "not_found")
    assert error(client.patch(f"{ASSETS}{asset.pk}/", {"name": "x"}, format="json"))[:2] == (404, "not_found")
    assert error(client.delete(f"{ASSETS}{asset.pk}/"))[:2] == (404, "not_found")
    assert error(client.post(f"{ASSETS}{asset.pk}/scrap/"))[:2] == (404, "not_found")
    # Tenant A's site id is unknown to tenant B.
    created = client.post(ASSETS, {"code": "X", "name": "X", "site": world.north.pk}, format="json")
    assert error(created) == (400, "unknown_site", {"field": "site"})
    assert count(tenant_a) == 1
    assert (row(tenant_a, asset.pk).name, row(tenant_a, asset.pk).is_active) == ("Asset N-1", True)


def test_a_writer_limited_to_some_sites_cannot_place_an_asset_elsewhere(
    tenant_a: Any, tenant_a_supervisor: Any, world: Any
) -> None:
    from apps.people.models import Role

    with tenant_context(tenant_a):
        role = Role.objects.get(code="supervisor")
        role.capabilities = [*role.capabilities, "sites.manage"]
        role.save()
        mine = make_asset(world.north, "N-1")
    client = tenant_a_supervisor.client()
    outside = client.post(ASSETS, {"code": "S-9", "name": "x", "site": world.south.pk}, format="json")
    assert error(outside) == (400, "unknown_site", {"field": "site"})
    moved = client.patch(f"{ASSETS}{mine.pk}/", {"site": world.south.pk}, format="json")
    assert error(moved) == (400, "unknown_site", {"field": "site"})
    inside = client.post(ASSETS, {"code": "N-2", "name": "x", "site": world.north.pk}, format="json")
    assert inside.status_code == 201, inside.content
    assert count(tenant_a) == 2
    assert row(tenant_a, mine.pk).site_id == world.north.pk


# --- validation: every rule, with its code, and nothing written ------------------------


@pytest.mark.parametrize(
    ("overrides", "status", "code", "details"),
    [
        ({"site": 987654}, 400, "unknown_site", {"field": "site"}),
        ({"area": 987654}, 400, "unknown_area", {"field": "area"}),
        ({"area": "SOUTH_AREA"}, 400, "area_not_in_site", {"field": "area"}),
        ({"parent": 987654}, 400, "unknown_parent", {"field": "parent"}),
        ({"parent": "SOUTH_ASSET"}, 400, "parent_not_in_site", {"field": "parent"}),
        ({"asset_class": 987654}, 400, "unknown_asset_class", {"field": "asset_class"}),
        ({"asset_class": "DEPARTMENT"}, 400, "invalid_asset_class", {"field": "asset_class"}),
        ({"code": "TAKEN"}, 409, "duplicate_code", {"field": "code"}),
        ({"tag": "taken-tag"}, 409, "duplicate_tag", {"field": "tag"}),
        ({"meter": {"unit": "bar", "colour": "red"}}, 400, "invalid_meter", {"field": "meter", "unknown": ["colour"]}),
        ({"meter": {"min": "zero"}}, 400, "invalid_meter", {"field": "meter.min"}),
        ({"meter": {"max": True}}, 400, "invalid_meter", {"field": "meter.max"}),
        ({"meter": {"min": 10, "max": 1}}, 400, "invalid_meter", {"field": "meter"}),
        ({"meter": {"multiplier": 0}}, 400, "invalid_meter", {"field": "meter.multiplier"}),
        ({"meter": {"unit": 5}}, 400, "invalid_meter", {"field": "meter.unit"}),
        ({"meter": [1, 2]}, 400, "invalid_meter", {"field": "meter"}),
    ],
    ids=lambda value: str(value),
)
def test_invalid_create_is_refused_and_writes_nothing(
    tenant_a: Any, tenant_a_admin: Any, world: Any, overrides: dict, status: int, code: str, details: dict
) -> None:
    with tenant_context(tenant_a):
        south_asset = make_asset(world.south, "TAKEN", tag="taken-tag")
    symbolic = {
        "SOUTH_AREA": world.south_area.pk,
        "SOUTH_ASSET": south_asset.pk,
        "DEPARTMENT": world.department.pk,
    }
    data = body(
        world,
        **{key: symbolic.get(value, value) if isinstance(value, str) else value for key, value in overrides.items()},
    )
    response = tenant_a_admin.client().post(ASSETS, data, format="json")
    assert error(response) == (status, code, details)
    assert count(tenant_a) == 1


@pytest.mark.parametrize(
    ("location", "code", "message"),
    [
        (
            {"type": "Point", "coordinates": [55.0, 200.0]},
            "latitude_out_of_range",
            "Latitude 200.0 is outside -90..90.",
        ),
        (
            {"type": "Point", "coordinates": [190.0, 25.0]},
            "longitude_out_of_range",
            "Longitude 190.0 is outside -180..180.",
        ),
        ({"type": "Polygon", "coordinates": []}, "wrong_geometry_type", "Expected a Point, got 'Polygon'."),
        (
            {
                "type": "Point",
                "coordinates": [55.0, 25.0],
                "crs": {"type": "name", "properties": {"name": "EPSG:3857"}},
            },
            "invalid_srid",
            "Only WGS 84 (EPSG:4326) coordinates are accepted.",
        ),
    ],
)
def test_invalid_location_is_refused(
    tenant_a: Any, tenant_a_admin: Any, world: Any, location: dict, code: str, message: str
) -> None:
    response = tenant_a_admin.client().post(ASSETS, body(world, location=location), format="json")
    assert error(response) == (400, code, {"fields": {"location": [message]}})
    assert count(tenant_a) == 0


def test_invalid_code_format_is_refused(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    response = tenant_a_admin.client().post(ASSETS, body(world, code="bad code!"), format="json")
    assert error(response)[:2] == (400, "invalid")
    assert list(response.json()["error"]["details"]["fields"]) == ["code"]
    assert count(tenant_a) == 0


def test_parent_cycle_is_refused(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        top = make_asset(world.north, "TOP")
        middle = make_asset(world.north, "MID", parent=top)
        bottom = make_asset(world.north, "BOT", parent=middle)
    client = tenant_a_admin.client()
    to_grandchild = client.patch(f"{ASSETS}{top.pk}/", {"parent": bottom.pk}, format="json")
    assert error(to_grandchild) == (400, "parent_cycle", {"field": "parent"})
    to_itself = client.patch(f"{ASSETS}{top.pk}/", {"parent": top.pk}, format="json")
    assert error(to_itself) == (400, "parent_cycle", {"field": "parent"})
    assert row(tenant_a, top.pk).parent_id is None


def test_update_keeps_uniqueness_and_allows_its_own_code(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        first = make_asset(world.north, "ONE", tag="tag-one")
        make_asset(world.north, "TWO", tag="tag-two")
    client = tenant_a_admin.client()
    same = client.patch(f"{ASSETS}{first.pk}/", {"code": "ONE", "tag": "tag-one", "name": "Renamed"}, format="json")
    assert (same.status_code, same.json()["name"]) == (200, "Renamed")
    assert error(client.patch(f"{ASSETS}{first.pk}/", {"code": "TWO"}, format="json")) == (
        409,
        "duplicate_code",
        {"field": "code"},
    )
    assert error(client.patch(f"{ASSETS}{first.pk}/", {"tag": "tag-two"}, format="json")) == (
        409,
        "duplicate_tag",
        {"field": "tag"},
    )
    # Empty tags do not collide: many assets have none.
    assert client.patch(f"{ASSETS}{first.pk}/", {"tag": ""}, format="json").status_code == 200
    with tenant_context(tenant_a):
        make_asset(world.north, "THREE")
    assert (row(tenant_a, first.pk).code, row(tenant_a, first.pk).tag) == ("ONE", "")


def test_same_code_and_tag_in_another_tenant_are_fine(
    tenant_a: Any, tenant_a_admin: Any, tenant_b: Any, tenant_b_admin: Any, world: Any
) -> None:
    tenant_a_admin.client().post(ASSETS, body(world), format="json")
    with tenant_context(tenant_b):
        site_b = make_site("B-SITE")
    created = tenant_b_admin.client().post(
        ASSETS, {"code": "PUMP-1", "name": "Pump", "site": site_b.pk, "tag": "QR-PUMP-1"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert (count(tenant_a), count(tenant_b)) == (1, 1)


def test_moving_an_asset_with_parts_to_another_site_is_refused(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        top = make_asset(world.north, "TOP")
        make_asset(world.north, "PART", parent=top)
    response = tenant_a_admin.client().patch(f"{ASSETS}{top.pk}/", {"site": world.south.pk}, format="json")
    assert error(response) == (400, "has_parts", {"field": "site"})
    assert row(tenant_a, top.pk).site_id == world.north.pk


def test_moving_to_another_site_needs_an_area_of_that_site(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        asset = make_asset(world.north, "A", area=world.north_area)
    client = tenant_a_admin.client()
    kept_area = client.patch(f"{ASSETS}{asset.pk}/", {"site": world.south.pk}, format="json")
    assert error(kept_area) == (400, "area_not_in_site", {"field": "area"})
    moved = client.patch(f"{ASSETS}{asset.pk}/", {"site": world.south.pk, "area": world.south_area.pk}, format="json")
    assert (moved.status_code, moved.json()["site"], moved.json()["area"]) == (
        200,
        world.south.pk,
        world.south_area.pk,
    )


# --- scrap and deactivate --------------------------------------------------------------


def test_scrap_keeps_the_row_and_it_still_lists_with_status_scrapped(
    tenant_a: Any, tenant_a_admin: Any, world: Any
) -> None:
    with tenant_context(tenant_a):
        asset = make_asset(world.north, "OLD", tag="old-tag")
        make_asset(world.north, "NEW")
    client = tenant_a_admin.client()
    scrapped = client.post(f"{ASSETS}{asset.pk}/scrap/")
    assert scrapped.status_code == 200, scrapped.content
    assert (scrapped.json()["status"], scrapped.json()["is_active"]) == ("SCRAPPED", True)
    assert row(tenant_a, asset.pk).status == "SCRAPPED"
    assert count(tenant_a) == 2
    assert [item["code"] for item in client.get(ASSETS, {"status": "SCRAPPED"}).json()["results"]] == ["OLD"]
    assert client.get(f"{ASSETS}{asset.pk}/").json()["status"] == "SCRAPPED"
    # Scrapping again changes nothing.
    again = client.post(f"{ASSETS}{asset.pk}/scrap/")
    assert (again.status_code, again.json()["version"]) == (200, scrapped.json()["version"])


def test_scrapped_asset_is_frozen_except_for_an_admin_sending_a_status(
    tenant_a: Any, tenant_a_admin: Any, tenant_a_supervisor: Any, world: Any
) -> None:
    from apps.people.models import Role

    with tenant_context(tenant_a):
        asset = make_asset(world.north, "OLD", status=Asset.Status.SCRAPPED)
        role = Role.objects.get(code="supervisor")
        role.capabilities = [*role.capabilities, "sites.manage"]
        role.save()
    manager = tenant_a_supervisor.client()
    refused = manager.patch(f"{ASSETS}{asset.pk}/", {"status": "WORKING"}, format="json")
    assert error(refused)[:2] == (409, "asset_scrapped")
    assert row(tenant_a, asset.pk).status == "SCRAPPED"

    admin = tenant_a_admin.client()
    renamed = admin.patch(f"{ASSETS}{asset.pk}/", {"name": "Old pump"}, format="json")
    assert (renamed.json()["name"], renamed.json()["status"]) == ("Old pump", "SCRAPPED")
    restored = admin.patch(f"{ASSETS}{asset.pk}/", {"status": "STANDBY"}, format="json")
    assert (restored.status_code, restored.json()["status"]) == (200, "STANDBY")
    assert row(tenant_a, asset.pk).status == "STANDBY"


def test_delete_deactivates_instead_of_deleting(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        asset = make_asset(world.north, "GONE")
    client = tenant_a_admin.client()
    response = client.delete(f"{ASSETS}{asset.pk}/")
    assert (response.status_code, response.content) == (204, b"")
    assert (count(tenant_a), row(tenant_a, asset.pk).is_active) == (1, False)
    assert client.get(f"{ASSETS}{asset.pk}/").json()["is_active"] is False
    assert [item["code"] for item in client.get(ASSETS, {"is_active": "false"}).json()["results"]] == ["GONE"]
    reactivated = client.patch(f"{ASSETS}{asset.pk}/", {"is_active": True}, format="json")
    assert reactivated.json()["is_active"] is True
