"""Uploaded files checked by what their bytes are, for every app that accepts files.

The type of an upload is never taken from its name or from the content type the client
declared: images are opened with Pillow (header and size first, then a full decode, so a
truncated or crafted file is refused), other formats are recognised by their magic bytes.
Every check raises a ``DomainError`` with a stable code and names the form field the file
came in (``details["field"]``).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from PIL import Image, UnidentifiedImageError

from .errors import DomainError

#: The only Pillow decoders an upload is offered to.
IMAGE_DECODERS = ("JPEG", "PNG", "WEBP")
#: Longest side accepted, in pixels. Read from the header, before any pixel is decoded,
#: so a small file that would decompress into a huge bitmap is refused cheaply.
MAX_IMAGE_SIDE = 6000
#: How much of a file the magic-byte sniffers look at.
HEADER_BYTES = 64


@dataclass(frozen=True, slots=True)
class FileType:
    """What a file was found to be: its content type and the suffix it is stored with."""

    content_type: str
    suffix: str


JPEG = FileType("image/jpeg", ".jpg")
PNG = FileType("image/png", ".png")
WEBP = FileType("image/webp", ".webp")
PDF = FileType("application/pdf", ".pdf")
MP4_VIDEO = FileType("video/mp4", ".mp4")
QUICKTIME = FileType("video/quicktime", ".mov")
WEBM_VIDEO = FileType("video/webm", ".webm")
GPP_VIDEO = FileType("video/3gpp", ".3gp")
MP4_AUDIO = FileType("audio/mp4", ".m4a")
MPEG_AUDIO = FileType("audio/mpeg", ".mp3")
OGG_AUDIO = FileType("audio/ogg", ".ogg")
WAV_AUDIO = FileType("audio/wav", ".wav")
AAC_AUDIO = FileType("audio/aac", ".aac")

IMAGE_TYPES = frozenset({JPEG, PNG, WEBP})
#: Pillow's format names. MPO is what the JPEG decoder calls the JPEG files many phone
#: cameras write (a JPEG with extra frames).
_PILLOW_FORMATS = {"JPEG": JPEG, "MPO": JPEG, "PNG": PNG, "WEBP": WEBP}
#: Content types by file suffix, for serving files stored under the suffix of their type.
CONTENT_TYPES_BY_SUFFIX = {
    ".jpeg": JPEG.content_type,
    **{t.suffix: t.content_type for t in (JPEG, PNG, WEBP, PDF)},
}


def too_large(limit: int, field: str) -> DomainError:
    return DomainError(
        f"Files up to {limit} bytes are accepted here.",
        code="file_too_large",
        details={"field": field, "max_bytes": limit},
    )


def read_limited(upload: IO[bytes] | Any, limit: int, *, field: str) -> bytes:
    """The upload's bytes, refusing more than ``limit`` (``file_too_large``) before reading them all."""
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise too_large(limit, field)
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_large(limit, field)
    return bytes(data)


@dataclass(frozen=True, slots=True)
class Digest:
    """Size, SHA-256 and first bytes of a file, read once in chunks."""

    size: int
    sha256: str
    header: bytes


def digest(upload: Any, limit: int, *, field: str) -> Digest:
    """Read the upload in chunks (never all in memory) for its size, hash and header.

    Refuses more than ``limit`` bytes with ``file_too_large`` as soon as it is passed, and
    leaves the file at its start for whoever stores it.
    """
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise too_large(limit, field)
    hasher, total, header = hashlib.sha256(), 0, b""
    upload.seek(0)
    chunks: Iterable[bytes] = upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b"")
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise too_large(limit, field)
        if len(header) < HEADER_BYTES:
            header += chunk[: HEADER_BYTES - len(header)]
        hasher.update(chunk)
    upload.seek(0)
    return Digest(size=total, sha256=hasher.hexdigest(), header=header)


def invalid_image(field: str, message: str = "The file is not a JPEG, PNG or WebP image.") -> DomainError:
    return DomainError(message, code="invalid_image", details={"field": field})


def check_image(source: bytes | IO[bytes] | Any, *, field: str, max_side: int = MAX_IMAGE_SIDE) -> FileType:
    """The type of a JPEG, PNG or WebP image, after checking it decodes and is at most
    ``max_side`` pixels a side.

    Raises ``invalid_image`` (not one of those formats, damaged or truncated) or
    ``image_too_large`` (too many pixels a side, or over Pillow's decompression-bomb limit).
    ``source`` is the bytes or a seekable file.
    """
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        stream.seek(0)
        with Image.open(stream, formats=IMAGE_DECODERS) as image:
            width, height = image.size
            if max(width, height) > max_side:
                raise DomainError(
                    f"Images up to {max_side} pixels a side are accepted; this one is {width}x{height}.",
                    code="image_too_large",
                    details={"field": field, "max_side": max_side, "width": width, "height": height},
                )
            found = _PILLOW_FORMATS[str(image.format)]
            image.verify()
        # verify() checks structure only (and little for JPEG); decoding finds truncated data.
        stream.seek(0)
        with Image.open(stream, formats=IMAGE_DECODERS) as image:
            image.load()
    except Image.DecompressionBombError as exc:
        raise DomainError(
            "The image is too large once decoded.",
            code="image_too_large",
            details={"field": field, "max_side": max_side},
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, IndexError, TypeError, KeyError) as exc:
        # Pillow reports damaged files through any of these, depending on the format plugin.
        raise invalid_image(field) from exc
    finally:
        stream.seek(0)
    return found


def _iso_media(header: bytes) -> FileType | None:
    """ISO base media files (MP4, M4A, QuickTime, 3GP) by the major brand of their ``ftyp`` box."""
    if header[4:8] != b"ftyp":
        return None
    brand = header[8:12]
    if brand in {b"M4A ", b"M4B "}:
        return MP4_AUDIO
    if brand == b"qt  ":
        return QUICKTIME
    if brand.startswith(b"3g"):
        return GPP_VIDEO
    return MP4_VIDEO


def sniff(header: bytes) -> FileType | None:
    """A non-image format recognised by its magic bytes, or None."""
    if header.startswith(b"%PDF-"):
        return PDF
    if (found := _iso_media(header)) is not None:
        return found
    if header.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in header:
        return WEBM_VIDEO
    if header.startswith(b"OggS"):
        return OGG_AUDIO
    if header.startswith(b"RIFF") and header[8:12] == b"WAVE":
        return WAV_AUDIO
    if header.startswith(b"ID3") or header[:2] in {b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"}:
        return MPEG_AUDIO
    if header[:2] in {b"\xff\xf1", b"\xff\xf9"}:
        return AAC_AUDIO
    return None


def detect_type(upload: Any, header: bytes, allowed: Iterable[FileType], *, field: str) -> FileType:
    """The type of ``upload`` if it is one of ``allowed``; refused otherwise.

    Images are decoded (``check_image``); other types go by their magic bytes. When only
    images are allowed a refusal is ``invalid_image``, as for a person's photo; otherwise it
    is ``unsupported_file_type`` with the accepted content types in ``details["allowed"]``.
    """
    allowed = frozenset(allowed)
    images_only = allowed <= IMAGE_TYPES
    found = sniff(header)
    if found is None and allowed & IMAGE_TYPES:
        try:
            found = check_image(upload, field=field)
        except DomainError as exc:
            if images_only or exc.code == "image_too_large":
                raise
            found = None
    if found is not None and found in allowed:
        return found
    if images_only:
        raise invalid_image(field)
    accepted = sorted({t.content_type for t in allowed})
    raise DomainError(
        f"This file type is not accepted here; accepted: {', '.join(accepted)}.",
        code="unsupported_file_type",
        details={"field": field, "allowed": accepted},
    )
