"""The commune whose portal is on screen, from the URL's first segment."""

from __future__ import annotations

import reflex as rx

from cantine_portal.infra.db import get_database
from cantine_portal.state.offload import db_event
from cantine_portal.services.shared.tenants import structure_by_slug


def slug_from_path(path: str) -> str:
    return path.strip("/").split("/", 1)[0].lower()


class PortalState(rx.State):
    """Public facts about the commune; nothing here is private to a family."""

    # "loading" | "found" | "missing"
    portal_status: str = "loading"
    portal_slug: str = ""
    commune_name: str = ""
    commune_address: str = ""
    commune_phone: str = ""
    commune_email: str = ""
    _structure_id: int | None = None

    def current_slug(self) -> str:
        return slug_from_path(self.router.url.path)

    @db_event
    def load_portal(self):
        """on_load of every commune page: (re)read the commune from the database."""
        self._load_portal()

    def _load_portal(self) -> None:
        """The commune of the URL, from the database (called by handlers already in a thread)."""
        slug = self.current_slug()
        with get_database().session() as session:
            structure = structure_by_slug(session, slug)
        if structure is None:
            self.portal_status = "missing"
            self._structure_id = None
            self.portal_slug = ""
            self.commune_name = "Portail introuvable"
            return
        self._structure_id = structure.id
        self.portal_slug = structure.slug
        self.commune_name = structure.name
        self.commune_address = ", ".join(
            part for part in (structure.address_line, f"{structure.postal_code} {structure.city}".strip()) if part
        )
        self.commune_phone = structure.phone
        self.commune_email = structure.email
        self.portal_status = "found"
