"""Files of a ticket over REST: upload checked by content, stored under random names,
downloaded only by who may see the ticket, limits on size, type and count."""

from __future__ import annotations

import hashlib
import io
import random
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.core.models import Attachment
from apps.core.tenancy import tenant_context

from .factories import image_bytes, make_ticket, photo
from .helpers import TICKETS, deliveries, error, events, subscribe, url

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
MiB = 1024 * 1024
#: The entries this app asks for in settings.UPLOAD_BODY_LIMITS (see docs/operations.md).
BODY_LIMITS = {
    r"/api/v1/tickets/$": 24 * MiB,
    r"/api/v1/tickets/[0-9]+/attachments/$": 20 * MiB + 64 * 1024,
}


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored(media_root: Path) -> list[Path]:
    return sorted(p for p in media_root.rglob("*") if p.is_file())


def attach(client: Any, ticket_id: int, file: Any, **fields: Any) -> Any:
    return client.post(url(ticket_id, "attachments/"), {"file": file, **fields}, format="multipart")


@pytest.fixture
def ticket(tenant_a: Any, world: Any) -> Any:
    with tenant_context(tenant_a):
        return make_ticket(world.north, "Cracked window")


def test_a_photo_is_stored_by_content_under_a_random_name(
    tenant_a: Any, tenant_a_supervisor: Any, ticket: Any, media_root: Path
) -> None:
    data = image_bytes("JPEG", (40, 30))
    client = tenant_a_supervisor.client()
    response = attach(
        client,
        ticket.pk,
        upload("../../etc/window.png", data, "image/png"),
        point='{"type": "Point", "coordinates": [55.1, 25.1]}',
    )
    assert response.status_code == 201, response.content
    body = response.json()
    with tenant_context(tenant_a):
        row = Attachment.objects.get(pk=body["id"])
    assert body == {
        "id": row.pk,
        "uuid": str(row.uuid),
        "kind": "PHOTO",
        "name": "window.jpg",
        "content_type": "image/jpeg",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "point": {"type": "Point", "coordinates": [55.1, 25.1]},
        "uploaded_by": tenant_a_supervisor.person.pk,
        "created_at": row.created_at.isoformat().replace("+00:00", "Z"),
        "url": f"/api/v1/tickets/{ticket.pk}/attachments/{row.pk}/",
    }
    assert re.fullmatch(rf"attachments/t{tenant_a.pk}/\d{{4}}/\d{{2}}/[0-9a-f]{{32}}\.jpg", row.file.name)
    assert [p.read_bytes() for p in stored(media_root)] == [data]
    got = client.get(body["url"], HTTP_ACCEPT="application/json")
    assert (got.status_code, got["Content-Type"], b"".join(got.streaming_content)) == (200, "image/jpeg", data)
    assert got["Content-Disposition"] == 'inline; filename="window.jpg"'
    assert got["Cache-Control"] == "private, no-cache"
    assert events(tenant_a, ticket.pk)[-1] == ("ATTACHED", "", None, None)
    assert client.get(url(ticket.pk, "attachments/")).json() == [body]


def test_a_document_may_be_a_pdf_and_downloads_as_a_file(tenant_a_supervisor: Any, ticket: Any) -> None:
    client = tenant_a_supervisor.client()
    response = attach(client, ticket.pk, upload("report.pdf", PDF), kind="DOCUMENT")
    assert response.status_code == 201, response.content
    assert (response.json()["content_type"], response.json()["name"]) == ("application/pdf", "report.pdf")
    got = client.get(response.json()["url"])
    assert (got["Content-Type"], got["Content-Disposition"]) == ("application/pdf", 'attachment; filename="report.pdf"')
    assert b"".join(got.streaming_content) == PDF


@pytest.mark.parametrize(
    ("kind", "name", "data", "code", "details"),
    [
        ("PHOTO", "x.png", b"%PDF-1.4 not a photo" * 4, "invalid_image", {"field": "file"}),
        ("PHOTO", "x.png", image_bytes("GIF"), "invalid_image", {"field": "file"}),
        ("PHOTO", "x.png", image_bytes("PNG")[:-20], "invalid_image", {"field": "file"}),
        ("PHOTO", "x.png", image_bytes("PNG", (6001, 1)), "image_too_large", None),
        (
            "DOCUMENT",
            "x.pdf",
            b"<html><script>alert(1)</script></html>",
            "unsupported_file_type",
            {"field": "file", "allowed": ["application/pdf", "image/jpeg", "image/png", "image/webp"]},
        ),
        ("PHOTO", "x.png", b"", "empty_file", {"field": "file"}),
        ("SELFIE", "x.png", image_bytes(), "invalid_kind", None),
    ],
)
def test_refused_files_write_nothing(
    tenant_a: Any,
    tenant_a_supervisor: Any,
    ticket: Any,
    media_root: Path,
    kind: str,
    name: str,
    data: bytes,
    code: str,
    details: dict[str, Any] | None,
) -> None:
    response = attach(tenant_a_supervisor.client(), ticket.pk, upload(name, data), kind=kind)
    status, got, got_details = error(response)
    assert (status, got) == (400, code)
    if details is not None:
        assert got_details == details
    assert stored(media_root) == []
    with tenant_context(tenant_a):
        assert Attachment.objects.count() == 0
    assert [kind for kind, *_ in events(tenant_a, ticket.pk)] == ["CREATED"]


def test_per_kind_size_limit(settings: Any, tenant_a_supervisor: Any, ticket: Any, media_root: Path) -> None:
    settings.ATTACHMENT_MAX_BYTES = {**settings.ATTACHMENT_MAX_BYTES, "PHOTO": 100}
    data = image_bytes("PNG", (32, 32))
    assert len(data) > 100
    response = attach(tenant_a_supervisor.client(), ticket.pk, upload("big.png", data))
    assert error(response) == (400, "file_too_large", {"field": "file", "max_bytes": 100})
    assert stored(media_root) == []


def test_phone_photos_larger_than_the_general_body_limit(
    settings: Any, tenant_a_guard: Any, world: Any, media_root: Path
) -> None:
    """A phone photo is bigger than the 1 MiB other requests may send: the upload routes
    have their own body limits, and a body over them is refused before it is read."""
    settings.UPLOAD_BODY_LIMITS = {**settings.UPLOAD_BODY_LIMITS, **BODY_LIMITS}
    noise = Image.frombytes("RGB", (700, 700), random.Random(3).randbytes(700 * 700 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    data = buffer.getvalue()
    assert settings.MAX_REQUEST_BODY_BYTES < len(data) < 10 * MiB
    client = tenant_a_guard.client()
    created = client.post(
        TICKETS, {"site": world.north.pk, "title": "Big photo", "photos": [photo("big.png", data)]}, format="multipart"
    )
    assert created.status_code == 201, created.content
    more = attach(client, created.json()["id"], upload("big2.png", data))
    assert more.status_code == 201, more.content
    settings.UPLOAD_BODY_LIMITS = {**settings.UPLOAD_BODY_LIMITS, r"/api/v1/tickets/[0-9]+/attachments/$": 512 * 1024}
    refused = attach(client, created.json()["id"], upload("big3.png", data))
    assert error(refused) == (413, "payload_too_large", {"max_bytes": 512 * 1024})
    assert len(stored(media_root)) == 2


def test_a_ticket_takes_a_limited_number_of_files(
    settings: Any, tenant_a_supervisor: Any, ticket: Any, media_root: Path
) -> None:
    settings.TICKET_MAX_ATTACHMENTS = 2
    client = tenant_a_supervisor.client()
    for n in range(2):
        assert attach(client, ticket.pk, photo(f"{n}.png")).status_code == 201
    assert error(attach(client, ticket.pk, photo("3.png"))) == (
        409,
        "too_many_files",
        {"field": "file", "max_files": 2},
    )
    assert len(stored(media_root)) == 2


def test_downloads_follow_the_ticket_scope(
    tenant_a: Any,
    tenant_a_admin: Any,
    tenant_a_supervisor: Any,
    tenant_a_guard: Any,
    tenant_a_client: Any,
    tenant_b_admin: Any,
    world: Any,
) -> None:
    with tenant_context(tenant_a):
        south = make_ticket(world.south, "South window")
    south_file = attach(tenant_a_admin.client(), south.pk, photo()).json()
    north = tenant_a_guard.client().post(
        TICKETS, {"site": world.north.pk, "title": "North", "photos": [photo()]}, format="multipart"
    )
    north_file = tenant_a_guard.client().get(url(north.json()["id"], "attachments/")).json()[0]
    assert tenant_a_client.client().get(north_file["url"]).status_code == 200  # the client reads its sites
    for persona in (tenant_a_supervisor, tenant_a_guard, tenant_a_client, tenant_b_admin):
        assert error(persona.client().get(south_file["url"])) == (404, "not_found", {})
    assert error(tenant_b_admin.client().get(north_file["url"])) == (404, "not_found", {})
    # A file is reached only through its own ticket.
    crossed = f"/api/v1/tickets/{north.json()['id']}/attachments/{south_file['id']}/"
    assert error(tenant_a_admin.client().get(crossed)) == (404, "not_found", {})
    # Only who may comment may attach: a client viewer may not, a guard not on the ticket neither.
    assert error(attach(tenant_a_client.client(), north.json()["id"], photo()))[:2] == (403, "permission_denied")
    assert error(attach(world.south_guard.client(), north.json()["id"], photo())) == (404, "not_found", {})


def test_no_files_on_a_closed_ticket(tenant_a: Any, tenant_a_admin: Any, ticket: Any, media_root: Path) -> None:
    with tenant_context(tenant_a):
        type(ticket).objects.filter(pk=ticket.pk).update(status="CANCELLED")
    assert error(attach(tenant_a_admin.client(), ticket.pk, photo())) == (409, "ticket_closed", {"status": "CANCELLED"})
    assert stored(media_root) == []


def test_a_new_file_is_told_to_webhooks(tenant_a: Any, tenant_a_supervisor: Any, ticket: Any) -> None:
    subscribe(tenant_a)
    body = attach(tenant_a_supervisor.client(), ticket.pk, photo("w.png")).json()
    [(event, payload)] = deliveries(tenant_a)
    assert event == "ticket.updated"
    assert payload["changes"] == [
        {
            "field": "attachments",
            "from": None,
            "to": {
                "id": body["id"],
                "kind": "PHOTO",
                "name": "w.png",
                "content_type": "image/png",
                "size": body["size"],
                "sha256": body["sha256"],
            },
        }
    ]
