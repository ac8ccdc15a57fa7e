"""Finding a commune's portal from the first segment of the URL."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from cantine_portal.models import Structure

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")

# First path segments that belong to the platform, never to a commune.
RESERVED_SLUGS = frozenset(
    {"api", "admin", "_event", "_upload", "assets", "static", "ping", "_health", "banque-simulee"}
)


def is_valid_slug(slug: str) -> bool:
    return bool(SLUG_PATTERN.match(slug)) and slug not in RESERVED_SLUGS


def structure_by_slug(session: Session, slug: str) -> Structure | None:
    """The active commune with that slug, or None (unknown, malformed or closed)."""
    if not is_valid_slug(slug):
        return None
    return session.exec(select(Structure).where(Structure.slug == slug, Structure.active == True)).first()  # noqa: E712  (SQL: a column compared with TRUE, not a Python truth test)


def active_slugs(session: Session) -> set[str]:
    return set(session.exec(select(Structure.slug).where(Structure.active == True)).all())  # noqa: E712  (SQL: a column compared with TRUE, not a Python truth test)
