"""Checks of an uploaded photo (JPEG or PNG) by its content, as infra/pdf/validation checks PDFs.

The parent's phone photo of a CAF attestation: the bytes must start like a JPEG or a PNG, stay
under the size limit, and declare sane dimensions; the browser's file name and type are ignored.
"""

from __future__ import annotations

import struct

from cantine_portal.french import format_size

MSG_NOT_IMAGE = "Le fichier n'est ni un PDF, ni une photo JPEG ou PNG lisible."
MAX_SIDE = 20_000


class ImageRejected(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise ImageRejected(MSG_NOT_IMAGE)
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Walk the JPEG markers up to the first start-of-frame, which holds the dimensions."""
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            raise ImageRejected(MSG_NOT_IMAGE)
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(width), int(height)
        i += 2 + length
    raise ImageRejected(MSG_NOT_IMAGE)


def validate_image(data: bytes, max_bytes: int) -> tuple[str, tuple[int, int]]:
    """(media type, (width, height)) of a JPEG or PNG, or ImageRejected with a French message."""
    if not data:
        raise ImageRejected("Le fichier est vide.")
    if len(data) > max_bytes:
        raise ImageRejected(f"Le fichier dépasse la taille maximale de {format_size(max_bytes)}.")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        media, size = "image/png", _png_size(data)
    elif data.startswith(b"\xff\xd8\xff"):
        media, size = "image/jpeg", _jpeg_size(data)
    else:
        raise ImageRejected(MSG_NOT_IMAGE)
    if not all(0 < side <= MAX_SIDE for side in size):
        raise ImageRejected(MSG_NOT_IMAGE)
    return media, size
