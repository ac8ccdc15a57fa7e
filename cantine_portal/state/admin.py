"""The logged-in staff member: every back-office page and handler re-checks the session here.

Separate from the parents' AuthState on purpose: another cookie (``cp_staff_{slug}``), another
role. A parent's session never satisfies :meth:`StaffState.require_staff`, and a staff session
never satisfies ``AuthState.require_parent``.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import reflex as rx

from cantine_portal import clock
from cantine_portal.api.session_routes import FLASH_COOKIE, staff_cookie_name
from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.services.accounts import login as accounts
from cantine_portal.services.accounts.login import SessionInfo, resolve_session
from cantine_portal.services.backoffice.access import NotAllowed, check_staff
from cantine_portal.state.auth import read_cookie
from cantine_portal.state.portal import PortalState

MSG_REFUSED = "Action refusée : cet élément n'existe pas ou n'appartient pas à votre commune."
_MAX_TEXT = 4000


def form_text(form_data: dict, name: str, limit: int = _MAX_TEXT) -> str:
    return str(form_data.get(name, "") or "")[:limit]


def list_position(value: object, size: int) -> int | None:
    """The row number the browser sent, if it names one of the ``size`` rows the state holds."""
    try:
        index = int(str(value))
    except (TypeError, ValueError):
        return None
    return index if 0 <= index < size else None


class StaffState(PortalState):
    staff_logged_in: bool = False
    staff_email: str = ""
    _staff_account_id: int | None = None

    def cookie(self, name: str) -> str | None:
        return read_cookie(self.router.headers.raw_headers.get("cookie", ""), name)

    def client_ip(self) -> str:
        return self.router.session.client_ip or ""

    def require_staff(self) -> SessionInfo | None:
        """This tab's staff session, checked in the database now; None otherwise."""
        slug = self.current_slug()
        if self._structure_id is None or self.portal_slug != slug:
            self._load_portal()
        if self._structure_id is None:
            return None
        token = self.cookie(staff_cookie_name(slug))
        idle = timedelta(minutes=get_settings().session_minutes)
        with get_database().session() as session:
            info = resolve_session(session, clock.now(), self._structure_id, token, idle, lifetime=timedelta(hours=get_settings().session_max_hours))
            try:
                if info is None or info.role != "staff" or info.family_id is not None:
                    raise NotAllowed("pas d'agent")
                check_staff(session, self._structure_id, info.account_id)
            except NotAllowed:
                self._staff_account_id = None
                self.staff_logged_in = False
                self.staff_email = ""
                return None
        self._staff_account_id = info.account_id
        self.staff_email = info.email
        self.staff_logged_in = True
        return info

    def _position_or_refuse(self, value: object, size: int) -> int | None:
        """Like list_position; a forged or stale row number also shows MSG_REFUSED.

        Only for subclasses that declare ``error_message``, as every back-office page state does.
        """
        position = list_position(value, size)
        if position is None:
            self.error_message = MSG_REFUSED
        return position

    def _staff_write_or_refuse(self, action, **fields):
        """Runs the service write ``action`` in one transaction as this staff member, in this commune.

        Returns its result, or None after showing MSG_REFUSED when the service refuses the target
        (NotAllowed: deleted meanwhile, or another commune's). For ``error_message`` see above.
        """
        try:
            with get_database().write_session() as session:
                return action(session, clock.now(), structure_id=self._structure_id,
                              account_id=self._staff_account_id, ip=self.client_ip(), **fields)
        except NotAllowed:
            self.error_message = MSG_REFUSED
            return None

    def staff_login_redirect(self):
        slug = self.current_slug()
        return rx.redirect(f"/{slug}/admin/connexion?suite={quote(self.router.url.path)}", replace=True)

    @rx.event
    def load_staff(self):
        """on_load of every back-office page: commune, then the staff session; else the staff login."""
        self._load_portal()
        if self.portal_status != "found":
            return None
        if self.require_staff() is None:
            return self.staff_login_redirect()
        return None


class StaffLoginState(StaffState):
    error_message: str = ""
    info_message: str = ""
    email_prefill: str = ""
    next_path: str = ""

    @rx.event
    def load_login(self):
        self._load_portal()
        query = self.router.url.query_parameters
        error = query.get("erreur", "")
        self.error_message = accounts.login_error_message(query)
        self.info_message = "Vous êtes déconnecté." if query.get("deconnecte") else ""
        self.email_prefill = (self.cookie(FLASH_COOKIE) or "")[:254] if error else ""
        self.next_path = str(query.get("suite", ""))[:300]
