"""QR images of tags, and the Select2 autocomplete of assets and checkpoints."""

from __future__ import annotations

import io
from typing import Any

import pytest
import segno
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from apps.assets import qr
from apps.assets.models import Asset
from apps.core.tenancy import tenant_context

from .factories import make_asset, make_site

pytestmark = pytest.mark.django_db

TAG = "YT:alpha:CP-GATE-1/ü"
NO_TAG = {"error": {"code": "no_tag", "message": "CP-1 has no tag to print.", "details": {}}}
NOT_FOUND = {"error": {"code": "not_found", "message": "Not found.", "details": {}}}


def _luma(pixel: Any) -> int:
    assert isinstance(pixel, int)  # an "L" image has one channel
    return pixel


def png_modules(png: bytes) -> list[list[int]]:
    """Read the PNG back module by module (1 = dark), without the quiet zone."""
    image = Image.open(io.BytesIO(png)).convert("L")
    modules = image.width // qr.SCALE - 2 * qr.BORDER
    assert image.width == image.height == (modules + 2 * qr.BORDER) * qr.SCALE
    centre = qr.SCALE // 2
    return [
        [
            int(
                _luma(image.getpixel(((qr.BORDER + col) * qr.SCALE + centre, (qr.BORDER + row) * qr.SCALE + centre)))
                < 128
            )
            for col in range(modules)
        ]
        for row in range(modules)
    ]


def segno_modules(payload: str) -> list[list[int]]:
    return [[int(bool(value)) for value in row] for row in segno.make_qr(payload, error="m", boost_error=False).matrix]


def segno_svg(payload: str) -> bytes:
    buffer = io.BytesIO()
    segno.make_qr(payload, error="m", boost_error=False).save(buffer, kind="svg", scale=8, border=4)
    return buffer.getvalue()


@pytest.fixture
def tagged(tenant_a: Any, world: Any) -> tuple[Asset, Asset, Asset]:
    with tenant_context(tenant_a):
        return (
            make_asset(world.north, "CP-1", kind=Asset.Kind.CHECKPOINT, tag=TAG),
            make_asset(world.north, "PUMP-1", tag="pump-1"),
            make_asset(world.south, "CP-S", kind=Asset.Kind.CHECKPOINT, tag="south"),
        )


@pytest.mark.parametrize("prefix", ["/api/v1/assets/", "/api/v1/checkpoints/"])
def test_qr_svg_and_png_encode_exactly_the_tag(tenant_a_admin: Any, tagged: Any, prefix: str) -> None:
    checkpoint = tagged[0]
    client = tenant_a_admin.client()

    svg = client.get(f"{prefix}{checkpoint.pk}/qr.svg", HTTP_ACCEPT="image/svg+xml")
    assert (svg.status_code, svg["Content-Type"]) == (200, "image/svg+xml")
    assert svg.content == segno_svg(TAG)
    assert svg.content != segno_svg(TAG + "x")  # the image depends on the payload
    assert b'xmlns="http://www.w3.org/2000/svg"' in svg.content

    png = client.get(f"{prefix}{checkpoint.pk}/qr.png")
    assert (png.status_code, png["Content-Type"]) == (200, "image/png")
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert png_modules(png.content) == segno_modules(TAG)
    assert png_modules(png.content) != segno_modules("pump-1")


def test_qr_of_an_asset_without_tag_is_404_no_tag(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        untagged = make_asset(world.north, "CP-1", kind=Asset.Kind.CHECKPOINT)
    client = tenant_a_admin.client()
    for suffix in ("qr.svg", "qr.png"):
        # Asking for an image still gets the JSON error shape.
        response = client.get(f"/api/v1/checkpoints/{untagged.pk}/{suffix}", HTTP_ACCEPT="image/png")
        assert (response.status_code, response["Content-Type"], response.json()) == (
            404,
            "application/json",
            NO_TAG,
        )


def test_qr_is_scoped_to_tenant_site_and_kind(tenant_a_supervisor: Any, tenant_b_admin: Any, tagged: Any) -> None:
    mine, pump, south = tagged
    supervisor = tenant_a_supervisor.client()
    assert supervisor.get(f"/api/v1/assets/{mine.pk}/qr.svg").status_code == 200
    for path in (
        f"/api/v1/assets/{south.pk}/qr.svg",  # a site the supervisor is not assigned to
        f"/api/v1/checkpoints/{south.pk}/qr.png",
        f"/api/v1/checkpoints/{pump.pk}/qr.svg",  # an asset is not a checkpoint
    ):
        response = supervisor.get(path)
        assert (response.status_code, response.json()) == (404, NOT_FOUND), path
    other = tenant_b_admin.client().get(f"/api/v1/assets/{mine.pk}/qr.png")
    assert (other.status_code, other.json()) == (404, NOT_FOUND)


def test_qr_needs_authentication(tagged: Any, api: Any) -> None:
    response = api.get(f"/api/v1/assets/{tagged[0].pk}/qr.svg")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "not_authenticated")


# --- autocomplete ----------------------------------------------------------------------


def test_autocomplete_ignores_case_and_accents_and_searches_code_name_and_tag(
    tenant_a: Any, tenant_a_admin: Any, world: Any
) -> None:
    with tenant_context(tenant_a):
        pompe = make_asset(world.north, "P-1", name="Pompe à eau")
        tagged = make_asset(world.north, "T-1", name="Chiller", tag="ÉTAGE-3")
        make_asset(world.north, "Z-1", name="Generator")
    client = tenant_a_admin.client()

    def results(q: str, path: str = "/api/v1/assets/autocomplete/") -> Any:
        response = client.get(path, {"q": q})
        assert response.status_code == 200, response.content
        return response.json()

    assert results("POMPE A") == {
        "results": [{"id": str(pompe.pk), "text": "P-1 Pompe à eau"}],
        "pagination": {"more": False},
    }
    assert results("etage") == {
        "results": [{"id": str(tagged.pk), "text": "T-1 Chiller"}],
        "pagination": {"more": False},
    }
    assert results("p-1")["results"] == [{"id": str(pompe.pk), "text": "P-1 Pompe à eau"}]
    assert [item["text"] for item in results("")["results"]] == ["P-1 Pompe à eau", "T-1 Chiller", "Z-1 Generator"]
    assert results("nothing like it") == {"results": [], "pagination": {"more": False}}


def test_autocomplete_is_paginated(tenant_a: Any, tenant_a_admin: Any, world: Any) -> None:
    with tenant_context(tenant_a):
        for n in range(25):
            make_asset(world.north, f"CAM-{n:02d}", name=f"Camera {n}")
        make_asset(world.north, "DOOR-1", name="Door")
    client = tenant_a_admin.client()
    first = client.get("/api/v1/assets/autocomplete/", {"q": "camera"}).json()
    second = client.get("/api/v1/assets/autocomplete/", {"q": "camera", "page": 2}).json()
    assert [item["text"] for item in first["results"]] == [f"CAM-{n:02d} Camera {n}" for n in range(20)]
    assert first["pagination"] == {"more": True}
    assert [item["text"] for item in second["results"]] == [f"CAM-{n:02d} Camera {n}" for n in range(20, 25)]
    assert second["pagination"] == {"more": False}


def test_autocomplete_is_scoped_and_offers_only_usable_assets(
    tenant_a: Any, tenant_a_admin: Any, tenant_a_supervisor: Any, tenant_b: Any, tenant_b_admin: Any, world: Any
) -> None:
    with tenant_context(tenant_a):
        north = make_asset(world.north, "GATE-N", kind=Asset.Kind.CHECKPOINT)
        make_asset(world.south, "GATE-S", kind=Asset.Kind.CHECKPOINT)
        make_asset(world.north, "GATE-PUMP")
        make_asset(world.north, "GATE-OLD", kind=Asset.Kind.CHECKPOINT, status=Asset.Status.SCRAPPED)
        make_asset(world.north, "GATE-OFF", kind=Asset.Kind.CHECKPOINT, is_active=False)
    with tenant_context(tenant_b):
        make_asset(make_site(), "GATE-B", kind=Asset.Kind.CHECKPOINT)

    def codes(persona: Any, path: str) -> list[str]:
        response = persona.client().get(path, {"q": "gate"})
        assert response.status_code == 200, response.content
        return [item["text"].split()[0] for item in response.json()["results"]]

    assert codes(tenant_a_admin, "/api/v1/assets/autocomplete/") == ["GATE-N", "GATE-PUMP", "GATE-S"]
    assert codes(tenant_a_admin, "/api/v1/checkpoints/autocomplete/") == ["GATE-N", "GATE-S"]
    assert codes(tenant_a_supervisor, "/api/v1/checkpoints/autocomplete/") == ["GATE-N"]
    assert codes(tenant_b_admin, "/api/v1/checkpoints/autocomplete/") == ["GATE-B"]
    assert north.pk


@pytest.mark.parametrize(("hidden", "rounds"), [(0, 1), (250, 2), (2100, 3)])
def test_a_scoped_picker_finds_its_few_matches_among_many_hidden_ones(
    tenant_a: Any, tenant_a_supervisor: Any, world: Any, hidden: int, rounds: int
) -> None:
    """The search first considers a few hundred matches; when the supervisor's site scope
    leaves the page short it asks again (250 hidden: the second round; 2,100: the last,
    which considers every match), so the picker never misses what the supervisor may see."""
    with tenant_context(tenant_a):
        Asset.objects.bulk_create(
            [Asset(site=world.south, code=f"PUMP-S{n:04d}", name="Pump south") for n in range(hidden)]
        )
        for n in range(3):
            make_asset(world.north, f"PUMP-N{n}", name="Pump north")
    client = tenant_a_supervisor.client()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/assets/autocomplete/", {"q": "pump"})
    assert sum("yt_search_ids" in query["sql"] for query in queries.captured_queries) == rounds
    with tenant_context(tenant_a):
        visible = list(Asset.objects.filter(site=world.north).order_by("code").values_list("pk", "code"))
    assert response.json() == {
        "results": [{"id": str(pk), "text": f"{code} Pump north"} for pk, code in visible],
        "pagination": {"more": False},
    }
    assert [code for _, code in visible] == ["PUMP-N0", "PUMP-N1", "PUMP-N2"]


def test_search_without_a_tenant_reads_every_tenant(tenant_a: Any, tenant_b: Any, world: Any) -> None:
    """System jobs search with the plain expression (no index under row-level security,
    which only the per-tenant function gets around) and see every tenant's rows."""
    from apps.core.search import search
    from apps.core.tenancy import system_context

    with tenant_context(tenant_a):
        make_asset(world.north, "PMP-A", name="Pompe à eau")
    with tenant_context(tenant_b):
        make_asset(make_site(), "PMP-B", name="POMPE incendie")
    with system_context("search across tenants"):
        found = search(Asset.objects.order_by("code"), ("code", "name", "tag"), "pompe")
        assert list(found.values_list("code", flat=True)) == ["PMP-A", "PMP-B"]
