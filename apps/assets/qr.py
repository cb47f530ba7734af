"""QR codes of asset and checkpoint tags, rendered with segno (no image library needed).

The payload is the tag exactly as stored, so what a guard's phone reads is what the
scan is matched against.
"""

from __future__ import annotations

import io

import segno

# Error correction M survives a scuffed sticker; 4 modules of quiet zone is the standard.
ERROR = "m"
SCALE = 8
BORDER = 4


def make(tag: str) -> segno.QRCode:
    return segno.make_qr(tag, error=ERROR, boost_error=False)


def render_svg(tag: str) -> bytes:
    buffer = io.BytesIO()
    make(tag).save(buffer, kind="svg", scale=SCALE, border=BORDER)
    return buffer.getvalue()


def render_png(tag: str) -> bytes:
    buffer = io.BytesIO()
    make(tag).save(buffer, kind="png", scale=SCALE, border=BORDER)
    return buffer.getvalue()
