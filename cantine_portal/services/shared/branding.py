"""The commune's look, wherever it appears: header (logo URL, colour), e-mails, receipts.

The logo is a public image, but each commune's route serves only its own: ``/api/{slug}/logo``
reads the commune of the URL and its stored file, nothing else (no id, no path in the request).
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from cantine_portal.config import Settings
from cantine_portal.infra import storage
from cantine_portal.infra.images import raster_logo
from cantine_portal.infra.mail import Brand
from cantine_portal.models import Structure
from cantine_portal.services.shared.colours import DEFAULT_COLOUR, normalise_hex
from cantine_portal.services.shared.tenants import structure_by_slug

log = logging.getLogger(__name__)


def colour_of(structure: Structure) -> str:
    return normalise_hex(structure.primary_color or "") or DEFAULT_COLOUR


def logo_url(structure: Structure) -> str:
    """The header's ``<img src>``, "" without a logo. The stored file's random name is part of
    the URL, so a new logo is a new URL (browsers may cache each one)."""
    if not structure.logo_path:
        return ""
    version = structure.logo_path.rsplit("/", 1)[-1].split(".", 1)[0][:12]
    return f"/api/{structure.slug}/logo?v={version}"


def read_logo(settings: Settings, structure: Structure) -> tuple[bytes, str] | None:
    """(bytes, MIME type) of the commune's logo; None without one or when the file is gone."""
    if not structure.logo_path:
        return None
    try:
        return storage.read_bytes(settings, structure.logo_path), structure.logo_mime
    except (storage.StorageError, OSError):
        log.warning("logo of commune %s is missing from storage", structure.slug)
        return None


def public_logo(session: Session, settings: Settings, slug: str) -> tuple[bytes, str] | None:
    """The logo of the commune of ``slug`` (active communes only)."""
    structure = structure_by_slug(session, slug)
    return read_logo(settings, structure) if structure is not None else None


def raster_logo_of(settings: Settings, structure: Structure) -> tuple[bytes, str] | None:
    """The logo as PNG/JPEG for a PDF or an e-mail (an SVG logo is left out there)."""
    found = read_logo(settings, structure)
    if found is None:
        return None
    data = raster_logo(*found)
    return (data, found[1]) if data is not None else None


def mail_brand(settings: Settings, structure: Structure) -> Brand:
    """What an e-mail of this commune wears: its name, colour and (raster) logo."""
    logo = raster_logo_of(settings, structure)
    return Brand(structure.name, colour_of(structure), logo[0] if logo else None, logo[1] if logo else "")
