"""Storing and reading attachments: the one way a file becomes an ``Attachment`` row.

Every app that takes files (tickets, jobs, answers, attendance, work orders) calls
``store_attachment`` with the row that owns the file. The checks are the same for all of
them: a size limit per kind (the ``ATTACHMENT_MAX_BYTES`` setting, bytes by kind)
and a type found in the bytes (``apps.core.uploads``). Who may attach to
or read an owner's files is the owner's app's business: it fetches the owner through its
own scoped selector first, then calls these.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import structlog
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import Point
from django.core.files import File
from django.db import models

from . import tenancy, uploads
from .errors import DomainError, NotFound
from .geo import parse_geojson
from .models import Attachment

log = structlog.get_logger(__name__)

Kind = Attachment.Kind

ALLOWED_TYPES: dict[str, frozenset[uploads.FileType]] = {
    Kind.PHOTO: uploads.IMAGE_TYPES,
    Kind.SIGNATURE: uploads.IMAGE_TYPES,
    Kind.AUDIO: frozenset(
        {uploads.MP4_AUDIO, uploads.MPEG_AUDIO, uploads.OGG_AUDIO, uploads.WAV_AUDIO, uploads.AAC_AUDIO}
    ),
    Kind.VIDEO: frozenset({uploads.MP4_VIDEO, uploads.QUICKTIME, uploads.WEBM_VIDEO, uploads.GPP_VIDEO}),
    Kind.DOCUMENT: uploads.IMAGE_TYPES | {uploads.PDF},
}

MAX_NAME_CHARS = 120


def max_bytes(kind: str) -> int:
    """The size limit of an attachment of ``kind``, in bytes."""
    return settings.ATTACHMENT_MAX_BYTES[kind]


def largest_limit(kinds: Iterable[str] | None = None) -> int:
    return max(max_bytes(kind) for kind in (kinds or Kind.values))


@dataclass(frozen=True, slots=True)
class CheckedUpload:
    """An upload that passed the checks of its kind, ready to be stored."""

    upload: Any
    kind: str
    file_type: uploads.FileType
    size: int
    sha256: str
    name: str


def _display_name(raw: Any, file_type: uploads.FileType) -> str:
    """The client's file name without folders or control characters, with the suffix of
    the type found: a PNG sent as ``x.html`` downloads as ``x.png``."""
    base = str(raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    stem = PurePath(base).stem.strip(" .") if base else ""
    return f"{stem[:MAX_NAME_CHARS] or 'file'}{file_type.suffix}"


def check_upload(upload: Any, *, kind: str, field: str = "file") -> CheckedUpload:
    """Check an upload for an attachment of ``kind`` without storing anything.

    Raises ``invalid_kind``, ``file_too_large`` (``details.max_bytes``), ``invalid_image`` /
    ``image_too_large`` (kinds that take only images) or ``unsupported_file_type``
    (``details.allowed``).
    """
    if kind not in ALLOWED_TYPES:
        raise DomainError(
            f"Unknown attachment kind {kind!r}.",
            code="invalid_kind",
            details={"field": "kind", "allowed": sorted(ALLOWED_TYPES)},
        )
    if upload is None or not hasattr(upload, "read"):
        raise DomainError("A file is required.", code="file_required", details={"field": field})
    found = uploads.digest(upload, max_bytes(kind), field=field)
    if found.size == 0:
        raise DomainError("The file is empty.", code="empty_file", details={"field": field})
    file_type = uploads.detect_type(upload, found.header, ALLOWED_TYPES[kind], field=field)
    return CheckedUpload(
        upload=upload,
        kind=kind,
        file_type=file_type,
        size=found.size,
        sha256=found.sha256,
        name=_display_name(getattr(upload, "name", ""), file_type),
    )


def _point(value: Any) -> Point | None:
    if value is None or isinstance(value, Point):
        return value
    point = parse_geojson(value, "Point")
    assert isinstance(point, Point)
    return point


def save_checked(owner: models.Model, checked: CheckedUpload, *, point: Any = None, by: Any = None) -> Attachment:
    """Store a checked upload under a random name and record it against ``owner``.

    If the row cannot be written, the stored file is deleted again. The file is written
    before the surrounding transaction commits; a rollback after this returns leaves it
    without a row (harmless, and never served: files are only reached through rows).
    """
    tenant_id = tenancy.current_tenant().id
    if getattr(owner, "tenant_id", None) != tenant_id or owner.pk is None:
        raise DomainError("Attachments belong to a saved row of the tenant in context.", code="invalid_owner")
    attachment = Attachment(
        tenant_id=tenant_id,
        owner_type=ContentType.objects.get_for_model(owner),
        owner_id=owner.pk,
        kind=checked.kind,
        name=checked.name,
        content_type=checked.file_type.content_type,
        size=checked.size,
        sha256=checked.sha256,
        point=_point(point),
        uploaded_by=by if getattr(by, "pk", None) else None,
    )
    checked.upload.seek(0)
    content = checked.upload if isinstance(checked.upload, File) else File(checked.upload)
    attachment.file.save(f"{secrets.token_hex(16)}{checked.file_type.suffix}", content, save=False)
    try:
        attachment.save()
    except BaseException:
        attachment.file.storage.delete(attachment.file.name)
        raise
    log.info(
        "core.attachment_stored",
        attachment_id=attachment.pk,
        owner=f"{owner._meta.label}:{owner.pk}",
        kind=attachment.kind,
        size=attachment.size,
    )
    return attachment


def store_attachment(
    owner: models.Model, upload: Any, *, kind: str, point: Any = None, by: Any = None, field: str = "file"
) -> Attachment:
    """Check ``upload`` for ``kind`` (size and type by content) and store it as an
    attachment of ``owner``, a saved row of the tenant in context.

    ``point`` is where it was taken (GEOS Point or GeoJSON); ``by`` the person uploading.
    Raises the errors of ``check_upload`` and stores nothing then.
    """
    return save_checked(owner, check_upload(upload, kind=kind, field=field), point=point, by=by)


def attachments_of(owner: models.Model) -> models.QuerySet[Attachment]:
    """The attachments of ``owner``, oldest first (of the tenant in context)."""
    return Attachment.objects.filter(
        owner_type=ContentType.objects.get_for_model(owner), owner_id=owner.pk
    ).select_related("uploaded_by")


def count_of(owner: models.Model) -> int:
    return attachments_of(owner).count()


def get_attachment_of(owner: models.Model, attachment_id: Any) -> Attachment:
    """One attachment of ``owner`` by id; any other id (another owner's, another tenant's) is ``NotFound``."""
    pk = str(attachment_id)
    row = attachments_of(owner).filter(pk=int(pk)).first() if pk.isdigit() else None
    if row is None:
        raise NotFound()
    return row


def open_attachment(attachment: Attachment) -> File:
    """The stored file, opened for reading; ``NotFound`` (``file_missing``) if it is gone."""
    try:
        return attachment.file.storage.open(attachment.file.name, "rb")
    except FileNotFoundError as exc:
        raise NotFound("The file of this attachment is missing.", code="file_missing") from exc
