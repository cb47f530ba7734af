"""Uploads checked by content (``apps.core.uploads``) and stored as attachments (``apps.core.attachments``)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.core import attachments, uploads
from apps.core.errors import DomainError
from apps.core.models import Attachment
from apps.core.tenancy import tenant_context
from apps.tenants.models import Lookup

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 40
M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42" + b"\x00" * 40
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 40
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\x00" * 40
OGG = b"OggS\x00\x02" + b"\x00" * 60
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 40
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * 40


def image(fmt: str = "PNG", size: tuple[int, int] = (4, 3)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(buffer, format=fmt)
    return buffer.getvalue()


def upload(data: bytes, name: str = "file.bin") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (PDF, "application/pdf"),
        (MP4, "video/mp4"),
        (M4A, "audio/mp4"),
        (MOV, "video/quicktime"),
        (WEBM, "video/webm"),
        (OGG, "audio/ogg"),
        (WAV, "audio/wav"),
        (MP3, "audio/mpeg"),
        (b"hello, world" * 10, None),
        (image("PNG"), None),  # images are not sniffed: Pillow decides
    ],
)
def test_magic_bytes(data: bytes, content_type: str | None) -> None:
    found = uploads.sniff(data[: uploads.HEADER_BYTES])
    assert (found.content_type if found else None) == content_type


@pytest.mark.parametrize(
    ("kind", "data", "content_type"),
    [
        ("PHOTO", image("JPEG"), "image/jpeg"),
        ("PHOTO", image("WEBP"), "image/webp"),
        ("SIGNATURE", image("PNG"), "image/png"),
        ("DOCUMENT", PDF, "application/pdf"),
        ("DOCUMENT", image("PNG"), "image/png"),
        ("AUDIO", M4A, "audio/mp4"),
        ("AUDIO", OGG, "audio/ogg"),
        ("VIDEO", MP4, "video/mp4"),
        ("VIDEO", WEBM, "video/webm"),
    ],
)
def test_accepted_by_kind(kind: str, data: bytes, content_type: str) -> None:
    checked = attachments.check_upload(upload(data, "clip"), kind=kind)
    assert (checked.file_type.content_type, checked.size, checked.sha256) == (
        content_type,
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    assert checked.name == f"clip{checked.file_type.suffix}"


@pytest.mark.parametrize(
    ("kind", "data", "code"),
    [
        ("PHOTO", PDF, "invalid_image"),
        ("PHOTO", image("BMP"), "invalid_image"),
        ("SIGNATURE", MP4, "invalid_image"),
        ("DOCUMENT", MP4, "unsupported_file_type"),
        ("DOCUMENT", b"MZ\x90\x00 an executable", "unsupported_file_type"),
        ("AUDIO", MP4, "unsupported_file_type"),
        ("AUDIO", image("PNG"), "unsupported_file_type"),
        ("VIDEO", PDF, "unsupported_file_type"),
        ("DOCUMENT", image("PNG", (7000, 2)), "image_too_large"),
    ],
)
def test_refused_by_kind(kind: str, data: bytes, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        attachments.check_upload(upload(data), kind=kind)
    assert refused.value.code == code
    assert refused.value.details["field"] == "file"


def test_size_is_counted_in_the_bytes_not_taken_from_the_client(settings: Any) -> None:
    settings.ATTACHMENT_MAX_BYTES = {**settings.ATTACHMENT_MAX_BYTES, "DOCUMENT": 50}
    lying = upload(PDF * 3)
    lying.size = 10  # what a client could claim
    with pytest.raises(DomainError) as refused:
        attachments.check_upload(lying, kind="DOCUMENT")
    assert (refused.value.code, refused.value.details) == ("file_too_large", {"field": "file", "max_bytes": 50})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("photo.png", "photo.png"),
        ("C:\\Users\\me\\IMG 0001.JPG", "IMG 0001.png"),
        ("../../etc/passwd", "passwd.png"),
        ("evil\x00name\r\n.html", "evilname.png"),
        ("", "file.png"),
        ("." * 5, "file.png"),
        ("x" * 300 + ".png", "x" * 120 + ".png"),
    ],
)
def test_download_names(name: str, expected: str) -> None:
    assert attachments._display_name(name, uploads.PNG) == expected


@pytest.mark.django_db
def test_store_and_read_back(tenant_a: Any, tenant_b: Any, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    data = image("PNG")
    with tenant_context(tenant_a):
        owner = Lookup.objects.create(kind=Lookup.Kind.EVENT_TYPE, code="E1", name="Owner")
        stored = attachments.store_attachment(
            owner, upload(data, "a.png"), kind="PHOTO", point={"type": "Point", "coordinates": [1.5, 2.5]}
        )
        assert [a.pk for a in attachments.attachments_of(owner)] == [stored.pk]
        assert attachments.open_attachment(attachments.get_attachment_of(owner, stored.pk)).read() == data
        assert stored.point is not None and (stored.point.x, stored.point.y) == (1.5, 2.5)
    with tenant_context(tenant_b):
        assert Attachment.objects.filter(pk=stored.pk).count() == 0
        with pytest.raises(DomainError) as refused:
            attachments.store_attachment(owner, upload(data), kind="PHOTO")  # a row of another tenant
        assert refused.value.code == "invalid_owner"
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1
