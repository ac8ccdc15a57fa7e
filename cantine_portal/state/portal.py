"""The commune whose portal is on screen, from the URL's first segment, and what every state reads
of its own request (cookies, the client's address)."""

from __future__ import annotations

import reflex as rx

from cantine_portal.config import get_settings
from cantine_portal.infra.http import forwarded_client_ip, read_cookie
from cantine_portal.state.offload import db_event
from cantine_portal.usecases.identity import commune_by_slug


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
    # the commune's own identity: main colour (CSS variable --commune-primary) and logo URL ("" = none)
    commune_colour: str = "#1d4e89"
    commune_logo_url: str = ""
    _structure_id: int | None = None

    # Helpers start with "_": Reflex turns every public method of a state into an event a client may send.
    def _current_slug(self) -> str:
        return slug_from_path(self.router.url.path)

    def _cookie(self, name: str) -> str | None:
        return read_cookie(self.router.headers.raw_headers.get("cookie", ""), name)

    def _client_ip(self) -> str:
        """The browser's address, believing X-Forwarded-For only from a trusted reverse proxy."""
        return forwarded_client_ip(
            self.router.session.client_ip or "",
            self.router.headers.raw_headers.get("x-forwarded-for"),
            get_settings().trusted_proxies,
        )

    @db_event
    def load_portal(self):
        """on_load of every commune page: (re)read the commune from the database."""
        self._load_portal()

    def _load_portal(self) -> None:
        """The commune of the URL, from the database (called by handlers already in a thread)."""
        commune = commune_by_slug(self._current_slug())
        if commune is None:
            self.portal_status = "missing"
            self._structure_id = None
            self.portal_slug = ""
            self.commune_name = "Portail introuvable"
            return
        self._structure_id = commune.structure_id
        self.portal_slug = commune.slug
        self.commune_name = commune.name
        self.commune_address = commune.address
        self.commune_phone = commune.phone
        self.commune_email = commune.email
        self.commune_colour = commune.colour
        self.commune_logo_url = commune.logo_url
        self.portal_status = "found"

    def _portal_ready(self) -> bool:
        """This tab knows the commune of its URL (read again when the URL names another one)."""
        if self._structure_id is None or self.portal_slug != self._current_slug():
            self._load_portal()
        return self._structure_id is not None
