"""The logged-in staff member: every back-office page and handler re-checks the session here.

Separate from the parents' AuthState on purpose: another cookie (``cp_staff_{slug}``), another
role. A parent's session never satisfies :meth:`StaffState._require_staff`, and a staff session
never satisfies ``AuthState._require_parent``.
"""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from cantine_portal import clock
from cantine_portal.infra.http import staff_cookie_name
from cantine_portal.state.accounts import LoginPageBase
from cantine_portal.state.handlers import staff_event
from cantine_portal.state.portal import PortalState
from cantine_portal.usecases.backoffice.common import StaffActor
from cantine_portal.usecases.errors import MSG_REFUSED_STAFF
from cantine_portal.usecases.identity import MSG_WRONG_ROLE, Area, StaffIdentity, staff_by_session

MSG_REFUSED = MSG_REFUSED_STAFF
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
    # The account's role (StaffRole): the menu shows what it opens; the server checks each handler.
    staff_role: str = ""
    # This page's load was refused to the account's role: the page shows access_message instead.
    access_refused: bool = False
    access_message: str = ""
    _staff_account_id: int | None = None

    @rx.var
    def is_administration(self) -> bool:
        """The menu's test: an « administration » account sees every entry."""
        return self.staff_role == "administration"

    def _require_staff_quietly(self) -> StaffIdentity | None:
        """``_require_staff`` for what the page sends by itself: not activity (idle timeout)."""
        return self._require_staff(activity=False)

    def _require_staff(self, activity: bool = True) -> StaffIdentity | None:
        """This tab's staff session, checked in the database now; None otherwise."""
        if not self._portal_ready():
            return None
        assert self._structure_id is not None
        cookie = self._cookie(staff_cookie_name(self._current_slug()))
        staff = staff_by_session(self._structure_id, cookie, clock.now(), activity=activity)
        if staff is None:
            self._staff_account_id = None
            self.staff_logged_in = False
            self.staff_email = ""
            self.staff_role = ""
            return None
        self._staff_account_id = staff.account_id
        self.staff_email = staff.email
        self.staff_role = staff.role
        self.staff_logged_in = True
        return staff

    def _refused_area(self, staff: StaffIdentity, area: Area, on_load: bool) -> bool:
        """True (and the French refusal shown) when ``staff``'s role does not open ``area``.

        Called by ``@staff_event`` after the session check, before the handler's body: a page load
        refused shows the refusal instead of the page; another handler shows it as its message."""
        if staff.allows(area):
            if on_load:
                self.access_refused, self.access_message = False, ""
            return False
        if on_load:
            self.access_refused, self.access_message = True, MSG_WRONG_ROLE
        self._show_refusal(MSG_WRONG_ROLE)
        return True

    def _show_refusal(self, message: str) -> None:
        if hasattr(self, "error_message"):
            self.error_message = message

    def _position_or_refuse(self, value: object, size: int) -> int | None:
        """Like list_position; a forged or stale row number also shows MSG_REFUSED.

        Only for subclasses that declare ``error_message``, as every back-office page state does.
        """
        position = list_position(value, size)
        if position is None:
            self.error_message = MSG_REFUSED
        return position

    def _actor(self) -> StaffActor:
        """The staff member acting in this tab, for a use case (after ``_require_staff`` succeeded)."""
        assert self._structure_id is not None and self._staff_account_id is not None
        return StaffActor(self._structure_id, self._staff_account_id, self._client_ip())

    def _staff_login_redirect(self):
        slug = self._current_slug()
        return rx.redirect(f"/{slug}/admin/connexion?suite={quote(self.router.url.path)}", replace=True)

    @staff_event(on_load=True, area=Area.RESTAURATION)
    def load_staff(self):
        """on_load of every back-office page: commune, then the staff session; else the staff login."""
        return None


class StaffLoginState(LoginPageBase, StaffState):
    """The back office's login page: the parents' one (``LoginPageBase``) at the staff door."""

    def _staff_door(self) -> bool:
        return True
