"""``?near=`` and ``?contains=`` on the site list, and the GiST indexes behind them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connections

from apps.core import tenancy
from apps.core.tenancy import tenant_context
from apps.sites import selectors
from apps.sites.models import Site

from . import factories as f


@pytest.fixture
def placed(tenant_a: Any) -> dict[str, Site]:
    """Sites along the equator: 0.01 degree of longitude there is about 1113 m."""
    with tenant_context(tenant_a):
        acme = f.client("ACME")
        return {
            "origin": f.site("ORIGIN", of=acme, lon=10.0, lat=0.0, geofence=f.square(10.0, 0.0, 0.02)),
            "east1": f.site("EAST1", of=acme, lon=10.01, lat=0.0, geofence=f.square(10.01, 0.0, 0.005)),
            "east3": f.site("EAST3", of=acme, lon=10.03, lat=0.0),
            "far": f.site("FAR", of=acme, lon=11.0, lat=0.0, geofence=f.square(11.0, 0.0, 0.01)),
        }


def _rows(persona: Any, **params: Any) -> list[tuple[str, Any]]:
    response = persona.client().get("/api/v1/sites/", params)
    assert response.status_code == 200, response.content
    return [(row["code"], row["distance_m"]) for row in response.json()["results"]]


def test_near_lists_sites_within_the_radius_nearest_first(tenant_a_admin: Any, placed: dict[str, Site]) -> None:
    rows = _rows(tenant_a_admin, near="10.005,0", within_m="4000")
    assert [code for code, _ in rows] == ["ORIGIN", "EAST1", "EAST3"]
    assert [round(distance) for _, distance in rows] == [557, 557, 2783]
    assert [code for code, _ in _rows(tenant_a_admin, near="10.0,0.0", within_m="1200")] == ["ORIGIN", "EAST1"]
    assert [code for code, _ in _rows(tenant_a_admin, near="10.0,0.0", within_m="1")] == ["ORIGIN"]


def test_near_radius_is_capped_at_100_km(tenant_a_admin: Any, placed: dict[str, Site]) -> None:
    # FAR is about 111 km away: a radius of 500 km is cut to 100 km and does not reach it.
    assert [code for code, _ in _rows(tenant_a_admin, near="10,0", within_m="500000")] == ["ORIGIN", "EAST1", "EAST3"]
    assert [code for code, _ in _rows(tenant_a_admin, near="10.9,0", within_m="20000")] == ["FAR"]


def test_contains_lists_sites_whose_geofence_covers_the_point(tenant_a_admin: Any, placed: dict[str, Site]) -> None:
    assert [code for code, _ in _rows(tenant_a_admin, contains="10.012,0.001")] == ["EAST1", "ORIGIN"]
    assert [code for code, _ in _rows(tenant_a_admin, contains="9.99,0")] == ["ORIGIN"]
    assert _rows(tenant_a_admin, contains="10.5,0") == []
    assert [code for code, _ in _rows(tenant_a_admin, contains="11.0,0.0")] == ["FAR"]


def test_spatial_queries_are_scoped(tenant_a_supervisor: Any, tenant_b_admin: Any, placed: dict[str, Site]) -> None:
    from apps.people.models import Person

    with tenant_context(tenant_a_supervisor.tenant):
        Person.objects.filter(pk=tenant_a_supervisor.person.pk).update(home_site=placed["east1"])
    assert [code for code, _ in _rows(tenant_a_supervisor, near="10,0", within_m="5000")] == ["EAST1"]
    assert [code for code, _ in _rows(tenant_a_supervisor, contains="10.012,0.001")] == ["EAST1"]
    assert _rows(tenant_b_admin, near="10,0", within_m="5000") == []
    assert _rows(tenant_b_admin, contains="10.012,0.001") == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"near": "abc"}, "invalid_coordinates"),
        ({"near": "10"}, "invalid_coordinates"),
        ({"near": "10,0,5"}, "invalid_coordinates"),
        ({"contains": "x,y"}, "invalid_coordinates"),
        ({"contains": ""}, "invalid_coordinates"),
        ({"near": "10,200"}, "latitude_out_of_range"),
        ({"contains": "200,10"}, "longitude_out_of_range"),
        ({"near": "10,0", "within_m": "-5"}, "invalid_distance"),
        ({"near": "10,0", "within_m": "nan"}, "invalid_distance"),
        ({"near": "10,0", "within_m": "far"}, "invalid_distance"),
    ],
)
def test_malformed_spatial_parameters_are_400(
    tenant_a_admin: Any, placed: dict[str, Site], params: dict[str, str], code: str
) -> None:
    response = tenant_a_admin.client().get("/api/v1/sites/", params)
    assert (response.status_code, response.json()["error"]["code"]) == (400, code)


def _owner_connection(alias: str):  # type: ignore[no-untyped-def]
    """The schema owner: it may ANALYZE, and may act as the search role to plan its queries."""
    import psycopg

    db = connections[alias].settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        user=settings.TEST_OWNER_USER,  # type: ignore[misc]
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        password=db["PASSWORD"] or None,
        autocommit=True,
    )


@pytest.mark.django_db(transaction=True)
def test_near_and_contains_use_the_gist_indexes(tenant_a: Any) -> None:
    """On a few thousand (committed, analysed) sites, the lookups the spatial functions run
    (as their owner, which bypasses row-level security) are answered from the GiST indexes,
    and the filters built on them return exactly the covering/nearby site."""
    with tenant_context(tenant_a):
        acme = f.client("BULK")
        Site.objects.bulk_create(
            Site(
                client=acme,
                code=f"B{i:05d}",
                name=f"Bulk {i}",
                location=Point(-60 + (i % 100) * 0.5, -40 + (i // 100) * 0.5, srid=4326),
                geofence=f.square(-60 + (i % 100) * 0.5, -40 + (i // 100) * 0.5, 0.01),
            )
            for i in range(4000)
        )
        point = Point(-50.0, -30.0, srid=4326)
        assert [site.code for site in selectors.near(Site.objects.all(), point, 2000)] == ["B02020"]
        assert [site.code for site in selectors.covering(Site.objects.all(), point)] == ["B02020"]
        alias = tenancy.db_alias()
    with _owner_connection(alias) as owner:
        owner.execute("ANALYZE sites_site")
        (function_owner,) = owner.execute(
            "SELECT r.rolname FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner WHERE p.proname = 'yt_sites_near'"
        ).fetchone()
        assert function_owner == "youtility_search"
        owner.execute("SET ROLE youtility_search")
        near_plan = "\n".join(
            row[0]
            for row in owner.execute(
                "EXPLAIN SELECT id FROM sites_site WHERE tenant_id = %s "
                "AND ST_DWithin(location, ST_SetSRID(ST_MakePoint(-50, -30), 4326)::geography, 2000)",
                [tenant_a.pk],
            ).fetchall()
        )
        contains_plan = "\n".join(
            row[0]
            for row in owner.execute(
                "EXPLAIN SELECT id FROM sites_site WHERE tenant_id = %s "
                "AND ST_Covers(geofence, ST_SetSRID(ST_MakePoint(-50, -30), 4326))",
                [tenant_a.pk],
            ).fetchall()
        )
    assert re.search(r"(Index Scan using|Bitmap Index Scan on) sites_site_location_\w+_id", near_plan), near_plan
    assert re.search(r"(Index Scan using|Bitmap Index Scan on) sites_site_geofence_\w+_id", contains_plan), (
        contains_plan
    )
