"""The reference photo over REST: upload, read back, replace and remove, with its checks."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.core.tenancy import tenant_context
from apps.people.models import Person, Role
from apps.people.services import create_person, set_person_photo
from conftest import Persona

from .helpers import assign, make_site

PHOTO_DIR = "people/photos"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Every file these tests write lands in a temporary media root."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def image_bytes(fmt: str, size: tuple[int, int] = (8, 6), noise: bool = False) -> bytes:
    if noise:
        image = Image.frombytes("RGB", size, random.Random(7).randbytes(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 30, 90))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def url(person: Person) -> str:
    return f"/api/v1/people/{person.pk}/photo/"


def stored_files(media_root: Path) -> list[str]:
    folder = media_root / PHOTO_DIR
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def photo_name(persona_or_tenant: Any, person: Person) -> str:
    tenant = getattr(persona_or_tenant, "tenant", persona_or_tenant)
    with tenant_context(tenant):
        return Person.objects.get(pk=person.pk).photo.name


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def make_manager(tenant: Any, login: str = "manager", **fields: Any) -> Persona:
    """Not an admin, but may view and manage people (of the sites they are given)."""
    password = f"pw-{login}-123"
    with tenant_context(tenant):
        role, _ = Role.objects.get_or_create(
            code="people_manager",
            defaults={"name": "People manager", "capabilities": ["console.access", "people.view", "people.manage"]},
        )
        person = create_person(login=login, name="Manager", password=password, roles=[role], **fields)
    return Persona(person=person, tenant=tenant, login=login, password=password)


def test_upload_read_replace(
    tenant_a_admin: Any, tenant_a_guard: Any, media_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    client, guard = tenant_a_admin.client(), tenant_a_guard.person
    png = image_bytes("PNG")
    with django_capture_on_commit_callbacks(execute=True):
        put = client.put(url(guard), {"photo": upload("passport scan.png", png)}, format="multipart")
    assert put.status_code == 200, put.content
    assert put.json()["photo"] == f"http://testserver/api/v1/people/{guard.pk}/photo/"
    assert client.get(f"/api/v1/people/{guard.pk}/").json()["photo"] == put.json()["photo"]
    first = photo_name(tenant_a_admin, guard)
    assert first.startswith(f"{PHOTO_DIR}/") and first.endswith(".png")
    assert "passport" not in first and len(Path(first).stem) == 32
    assert stored_files(media_root) == [Path(first).name]

    got = client.get(url(guard))
    assert (got.status_code, got["Content-Type"], body(got)) == (200, "image/png", png)
    assert got["Cache-Control"] == "private, no-cache"

    # The client's name and declared type say PNG; the bytes are JPEG, and the bytes win.
    jpeg = image_bytes("JPEG")
    with django_capture_on_commit_callbacks(execute=True):
        replaced = client.put(url(guard), {"photo": upload("face.png", jpeg, "image/png")}, format="multipart")
    assert replaced.status_code == 200, replaced.content
    second = photo_name(tenant_a_admin, guard)
    assert second != first and second.endswith(".jpg")
    assert stored_files(media_root) == [Path(second).name]  # the PNG is gone
    got = client.get(url(guard), HTTP_ACCEPT="image/jpeg")
    assert (got.status_code, got["Content-Type"], body(got)) == (200, "image/jpeg", jpeg)


def test_webp_is_accepted(tenant_a_admin: Any, tenant_a_guard: Any) -> None:
    client, guard = tenant_a_admin.client(), tenant_a_guard.person
    webp = image_bytes("WEBP")
    assert client.put(url(guard), {"photo": upload("a.webp", webp)}, format="multipart").status_code == 200
    got = client.get(url(guard))
    assert (got["Content-Type"], body(got)) == ("image/webp", webp)


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("notes.png", b"these are notes, not pixels\n" * 20, "invalid_image"),
        ("empty.png", b"", "invalid_image"),
        ("cut.png", image_bytes("PNG", (64, 64), noise=True)[:-200], "invalid_image"),
        ("cut.jpg", image_bytes("JPEG", (64, 64), noise=True)[:400], "invalid_image"),
        ("anim.gif", image_bytes("GIF"), "invalid_image"),
        ("wide.png", image_bytes("PNG", (6001, 1)), "image_too_large"),
        ("tall.png", image_bytes("PNG", (1, 6001)), "image_too_large"),
    ],
)
def test_refused_uploads_write_nothing(
    tenant_a_admin: Any, tenant_a_guard: Any, media_root: Path, name: str, data: bytes, code: str
) -> None:
    guard = tenant_a_guard.person
    response = tenant_a_admin.client().put(url(guard), {"photo": upload(name, data)}, format="multipart")
    assert error(response) == (400, code)
    assert response.json()["error"]["details"]["field"] == "photo"
    assert photo_name(tenant_a_admin, guard) == ""
    assert stored_files(media_root) == []


def test_decompression_bomb_is_refused(tenant_a_admin: Any, tenant_a_guard: Any, media_root: Path) -> None:
    # A few kilobytes that would decode to 3000x3000 pixels: within the side limit, and
    # still refused when it is over Pillow's own pixel limit.
    Image.MAX_IMAGE_PIXELS, saved = 1000, Image.MAX_IMAGE_PIXELS
    try:
        data = image_bytes("PNG", (3000, 3000))
        response = tenant_a_admin.client().put(
            url(tenant_a_guard.person), {"photo": upload("bomb.png", data)}, format="multipart"
        )
    finally:
        Image.MAX_IMAGE_PIXELS = saved
    assert len(data) < 100_000
    assert error(response) == (400, "image_too_large")
    assert stored_files(media_root) == []


def test_oversized_file_is_refused(settings: Any, tenant_a_admin: Any, tenant_a_guard: Any, media_root: Path) -> None:
    settings.PERSON_PHOTO_MAX_BYTES = 1000
    data = image_bytes("PNG", (32, 32), noise=True)
    assert len(data) > 1000
    response = tenant_a_admin.client().put(
        url(tenant_a_guard.person), {"photo": upload("big.png", data)}, format="multipart"
    )
    assert error(response) == (400, "file_too_large")
    assert response.json()["error"]["details"] == {"field": "photo", "max_bytes": 1000}
    assert photo_name(tenant_a_admin, tenant_a_guard.person) == ""
    assert stored_files(media_root) == []


def test_missing_field_and_wrong_media_type(tenant_a_admin: Any, tenant_a_guard: Any) -> None:
    client = tenant_a_admin.client()
    assert error(client.put(url(tenant_a_guard.person), {}, format="multipart")) == (400, "invalid")
    assert error(client.put(url(tenant_a_guard.person), {"photo": "x"}, format="json")) == (
        415,
        "unsupported_media_type",
    )


def test_no_photo_is_404_and_null(tenant_a_admin: Any, tenant_a_guard: Any) -> None:
    client = tenant_a_admin.client()
    got = client.get(url(tenant_a_guard.person), HTTP_ACCEPT="image/png")
    assert got.json() == {"error": {"code": "no_photo", "message": "This person has no photo.", "details": {}}}
    assert got.status_code == 404
    assert client.get(f"/api/v1/people/{tenant_a_guard.person.pk}/").json()["photo"] is None


def test_delete_removes(
    tenant_a_admin: Any, tenant_a_guard: Any, media_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    client, guard = tenant_a_admin.client(), tenant_a_guard.person
    assert client.put(url(guard), {"photo": upload("a.png", image_bytes("PNG"))}, format="multipart").status_code == 200
    assert len(stored_files(media_root)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        deleted = client.delete(url(guard))
    assert deleted.status_code == 204
    assert photo_name(tenant_a_admin, guard) == ""
    assert stored_files(media_root) == []
    assert error(client.get(url(guard))) == (404, "no_photo")
    assert client.get(f"/api/v1/people/{guard.pk}/").json()["photo"] is None
    assert client.delete(url(guard)).status_code == 204  # nothing left to remove: still done


def test_another_tenants_person_is_404(
    tenant_a_guard: Any, tenant_b_admin: Any, tenant_a_admin: Any, media_root: Path
) -> None:
    guard = tenant_a_guard.person
    with tenant_context(tenant_a_guard.tenant):
        set_person_photo(guard, upload("a.png", image_bytes("PNG")))
    before = stored_files(media_root)
    client = tenant_b_admin.client()
    assert error(client.put(url(guard), {"photo": upload("b.png", image_bytes("PNG"))}, format="multipart")) == (
        404,
        "not_found",
    )
    assert error(client.get(url(guard))) == (404, "not_found")
    assert error(client.delete(url(guard))) == (404, "not_found")
    assert stored_files(media_root) == before
    assert photo_name(tenant_a_admin, guard).endswith(".png")


def test_managing_needs_people_manage(tenant_a_supervisor: Any, tenant_a_guard: Any, media_root: Path) -> None:
    supervisor = tenant_a_supervisor.person
    client = tenant_a_supervisor.client()
    put = client.put(url(supervisor), {"photo": upload("me.png", image_bytes("PNG"))}, format="multipart")
    assert error(put) == (403, "permission_denied")
    assert error(client.delete(url(supervisor))) == (403, "permission_denied")
    assert photo_name(tenant_a_supervisor, supervisor) == ""
    assert stored_files(media_root) == []
    # Reading needs people.view, which a supervisor has and a guard has not.
    assert error(client.get(url(supervisor))) == (404, "no_photo")
    assert error(tenant_a_guard.client().get(url(tenant_a_guard.person))) == (403, "permission_denied")


def test_person_outside_the_callers_sites_is_404(tenant_a: Any, media_root: Path) -> None:
    north, south = make_site(tenant_a, "NORTH"), make_site(tenant_a, "SOUTH")
    manager = make_manager(tenant_a)
    assign(tenant_a, manager.person, site=north)
    with tenant_context(tenant_a):
        here = create_person(login="here", name="Here", password=None, roles=[], home_site_id=north.pk)
        away = create_person(login="away", name="Away", password=None, roles=[], home_site_id=south.pk)
        set_person_photo(away, upload("away.png", image_bytes("PNG")))
    before = stored_files(media_root)
    client = manager.client()

    assert client.put(url(here), {"photo": upload("h.png", image_bytes("PNG"))}, format="multipart").status_code == 200
    put = client.put(url(away), {"photo": upload("a.png", image_bytes("JPEG"))}, format="multipart")
    assert error(put) == (404, "not_found")
    assert error(client.get(url(away))) == (404, "not_found")
    assert error(client.delete(url(away))) == (404, "not_found")
    assert photo_name(tenant_a, away) == f"{PHOTO_DIR}/{before[0]}"
    assert set(before) < set(stored_files(media_root))


def test_a_photo_over_the_general_body_limit_is_accepted(
    settings: Any, tenant_a_admin: Any, tenant_a_guard: Any, media_root: Path
) -> None:
    """Phone photos are larger than the 1 MB that other requests may send: the photo route
    has its own body limit (the photo's limit plus multipart overhead)."""
    data = image_bytes("PNG", (800, 800), noise=True)
    assert settings.MAX_REQUEST_BODY_BYTES < len(data) < settings.PERSON_PHOTO_MAX_BYTES
    client = tenant_a_admin.client()
    response = client.put(url(tenant_a_guard.person), {"photo": upload("large.png", data)}, format="multipart")
    assert response.status_code == 200, response.content
    assert b"".join(client.get(url(tenant_a_guard.person)).streaming_content) == data
    settings.PERSON_PHOTO_MAX_BYTES = 512 * 1024
    settings.UPLOAD_BODY_LIMITS = {r"/api/v1/people/[^/]+/photo/$": 512 * 1024 + 64 * 1024}
    refused = client.put(url(tenant_a_guard.person), {"photo": upload("large.png", data)}, format="multipart")
    assert (refused.status_code, refused.json()["error"]["code"]) == (413, "payload_too_large")
