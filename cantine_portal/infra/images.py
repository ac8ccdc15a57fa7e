"""The commune's logo: checked by content, cleaned, and never served as the staff uploaded it.

- PNG and JPEG are recognised by their magic bytes, fully decoded by Pillow (a truncated or forged
  file fails here), limited in pixels, and **re-encoded**: what is stored holds pixels only, no EXIF,
  GPS, comments or trailing bytes.
- SVG is parsed as XML (no DOCTYPE, so no entity expansion), every element must be a drawing element
  of an allow-list (no ``script``, no ``foreignObject``), no ``on…`` handler attribute, every link
  internal (``#id``), no ``javascript:`` and no external ``url(...)``; the stored file is our own
  re-serialisation of the parsed tree, and it is served with a CSP that forbids scripts anyway.
- Nothing else is accepted (a renamed executable, a PDF, a GIF...).

Messages are French: they are shown as is on « Paramètres ».
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_PIXELS = 4000
# stored PNG/JPEG are scaled down to this size (a header shows them 48 px high)
LOGO_STORED_SIZE = 512
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_SVG_ELEMENTS = frozenset(
    {
        "svg",
        "g",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "text",
        "tspan",
        "title",
        "desc",
        "defs",
        "lineargradient",
        "radialgradient",
        "stop",
        "clippath",
        "mask",
        "use",
        "symbol",
        "style",
        "metadata",
    }
)
_URL = re.compile(r"url\(\s*['\"]?\s*([^)'\"\s]*)", re.IGNORECASE)
_FONT = Path(__file__).resolve().parent.parent / "resources" / "fonts" / "DejaVuSans-Bold.ttf"

MSG_TOO_BIG = "Le logo dépasse 1 Mo : choisissez une image plus légère."
MSG_EMPTY = "Le fichier du logo est vide."
MSG_FORMAT = "Le logo doit être une image PNG, JPEG ou SVG."
MSG_BROKEN = "Cette image est illisible ou endommagée : enregistrez-la à nouveau puis réessayez."
MSG_PIXELS = f"Le logo dépasse {LOGO_MAX_PIXELS} × {LOGO_MAX_PIXELS} pixels : réduisez sa taille."
MSG_SVG_UNSAFE = (
    "Ce fichier SVG contient des éléments interdits (script, contenu HTML, gestionnaire "
    "d'événement ou lien externe) : exportez le logo en PNG ou en SVG simple."
)


class LogoError(ValueError):
    """A refused logo; ``message`` is the French sentence shown to staff."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Logo:
    data: bytes
    mime: str
    suffix: str


def sniff(data: bytes) -> str | None:
    """The logo's format from its first bytes: "png", "jpeg", "svg" or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<?xml", b"<svg", b"<!--")) and b"<svg" in data[:4096]:
        return "svg"
    return None


def check_logo(data: bytes) -> Logo:
    """The cleaned logo to store, or LogoError with the French reason."""
    if not data:
        raise LogoError(MSG_EMPTY)
    if len(data) > LOGO_MAX_BYTES:
        raise LogoError(MSG_TOO_BIG)
    kind = sniff(data)
    if kind is None:
        raise LogoError(MSG_FORMAT)
    if kind == "svg":
        return Logo(_clean_svg(data), "image/svg+xml", "svg")
    return _reencode(data, kind)


def _reencode(data: bytes, kind: str) -> Logo:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != kind.upper():
                raise LogoError(MSG_FORMAT)
            width, height = image.size
            if not (0 < width <= LOGO_MAX_PIXELS and 0 < height <= LOGO_MAX_PIXELS):
                raise LogoError(MSG_PIXELS)
            image.load()
            if kind == "png":
                clean = image.convert("RGBA")
            else:
                clean = image.convert("RGB")
    except LogoError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise LogoError(MSG_BROKEN) from error
    clean.thumbnail((LOGO_STORED_SIZE, LOGO_STORED_SIZE))
    out = io.BytesIO()
    if kind == "png":
        clean.save(out, format="PNG", optimize=True)
        return Logo(out.getvalue(), "image/png", "png")
    clean.save(out, format="JPEG", quality=90)
    return Logo(out.getvalue(), "image/jpeg", "jpg")


def _local(name: str) -> tuple[str, str]:
    """("namespace", "local name") of an ElementTree tag or attribute name."""
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return "", name


def _safe_value(value: str) -> bool:
    lowered = re.sub(r"\s", "", value).lower()
    if "javascript:" in lowered or "data:" in lowered or "@import" in lowered:
        return False
    return all(target.startswith("#") for target in _URL.findall(value))


def _clean_svg(data: bytes) -> bytes:
    upper = data.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise LogoError(MSG_SVG_UNSAFE)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise LogoError(MSG_BROKEN) from error
    if _local(root.tag) != (SVG_NS, "svg"):
        raise LogoError(MSG_FORMAT)
    for element in root.iter():
        namespace, local = _local(element.tag) if isinstance(element.tag, str) else ("", "")
        if namespace != SVG_NS or local.lower() not in _SVG_ELEMENTS:
            raise LogoError(MSG_SVG_UNSAFE)
        if not _safe_value(element.text or ""):
            raise LogoError(MSG_SVG_UNSAFE)
        for name, value in element.attrib.items():
            attr_ns, attr = _local(name)
            if attr.lower().startswith("on") or attr_ns not in ("", XLINK_NS):
                raise LogoError(MSG_SVG_UNSAFE)
            if attr == "href" and not value.strip().startswith("#"):
                raise LogoError(MSG_SVG_UNSAFE)
            if not _safe_value(value):
                raise LogoError(MSG_SVG_UNSAFE)
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    cleaned: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return cleaned


def raster_logo(logo: bytes, mime: str) -> bytes | None:
    """The logo as PNG/JPEG bytes for an e-mail or a PDF; None for an SVG (no rasteriser is
    installed: the e-mails and receipts then show the commune's name in its colour, without logo)."""
    return logo if mime in ("image/png", "image/jpeg") else None


def generated_logo(initials: str, colour: str, *, round_shape: bool) -> bytes:
    """A simple PNG logo (white initials on a coloured disc or square), for the demo communes."""
    size = 192
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if round_shape:
        draw.ellipse((4, 4, size - 4, size - 4), fill=colour)
    else:
        draw.rounded_rectangle((4, 4, size - 4, size - 4), radius=36, fill=colour)
    font = ImageFont.truetype(str(_FONT), 84)
    draw.text((size / 2, size / 2), initials, fill="#ffffff", font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
