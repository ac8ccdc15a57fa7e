"""The logged-in family: every protected page and handler re-checks the session here."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote

import reflex as rx

from cantine_portal import clock
from cantine_portal.api.session_routes import forwarded_client_ip, session_cookie_name
from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.state.offload import db_event
from cantine_portal.models import Account, Family, Guardian
from cantine_portal.services.accounts.login import SessionInfo, resolve_session, touch_session
from cantine_portal.state.portal import PortalState

log = logging.getLogger(__name__)
# One background writer for "this session is still active" (once a minute per session): the
# handlers never wait for the database's write lock for it, and a missed touch only means the
# next one, a minute later, moves the inactivity clock instead.
_toucher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="session-touch")


def _touch_later(login_id: int, now: datetime) -> None:
    def work() -> None:
        try:
            with get_database().write_session() as session:
                touch_session(session, login_id, now)
        except Exception:  # noqa: BLE001 - best effort, see above
            log.warning("could not record session activity", exc_info=True)

    _toucher.submit(work)


def read_cookie(cookie_header: str, name: str) -> str | None:
    jar = SimpleCookie()
    try:
        jar.load(cookie_header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


class AuthState(PortalState):
    """Identity of the logged-in parent. Ids stay in backend-only vars."""

    logged_in: bool = False
    display_name: str = ""
    family_name: str = ""
    account_email: str = ""
    _account_id: int | None = None
    _family_id: int | None = None

    def cookie(self, name: str) -> str | None:
        return read_cookie(self.router.headers.raw_headers.get("cookie", ""), name)

    def client_ip(self) -> str:
        return forwarded_client_ip(self.router.session.client_ip or "",
                                   self.router.headers.raw_headers.get("x-forwarded-for"),
                                   get_settings().trusted_proxies)

    def require_parent(self) -> SessionInfo | None:
        """The session of this tab, checked in the database right now; None when not logged in."""
        slug = self.current_slug()
        if self._structure_id is None or self.portal_slug != slug:
            self._load_portal()
        if self._structure_id is None:
            return None
        token = self.cookie(session_cookie_name(slug))
        idle = timedelta(minutes=get_settings().session_minutes)
        with get_database().session() as session:
            info = resolve_session(session, clock.now(), self._structure_id, token, idle, touch=False, lifetime=timedelta(hours=get_settings().session_max_hours))
            if info is None or info.role != "parent" or info.family_id is None:
                self._forget()
                return None
            if self._account_id != info.account_id:
                account = session.get(Account, info.account_id)
                family = session.get(Family, info.family_id)
                guardian = session.get(Guardian, account.guardian_id) if account.guardian_id else None
                self.display_name = f"{guardian.first_name} {guardian.last_name}" if guardian else account.email
                self.family_name = family.name if family else ""
                self.account_email = account.email
        if info.needs_touch and info.login_id is not None:
            _touch_later(info.login_id, clock.now())
        self._account_id = info.account_id
        self._family_id = info.family_id
        self.logged_in = True
        return info

    def _forget(self) -> None:
        self._account_id = None
        self._family_id = None
        self.logged_in = False
        self.display_name = ""
        self.family_name = ""
        self.account_email = ""

    def login_redirect(self):
        slug = self.current_slug()
        return rx.redirect(f"/{slug}/connexion?suite={quote(self.router.url.path)}", replace=True)

    @db_event
    def load_protected(self):
        """on_load of every family page: commune, then session; otherwise to the login page."""
        self._load_portal()
        if self.portal_status != "found":
            return None
        if self.require_parent() is None:
            return self.login_redirect()
        return None
