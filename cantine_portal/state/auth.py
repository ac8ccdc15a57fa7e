"""The logged-in family: every protected page and handler re-checks the session here."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from cantine_portal import clock
from cantine_portal.french import format_euros, plural
from cantine_portal.infra.http import session_cookie_name
from cantine_portal.state.handlers import parent_event
from cantine_portal.state.portal import PortalState
from cantine_portal.usecases.actors import ParentActor
from cantine_portal.usecases.booking import WaitingBasket, waiting_basket
from cantine_portal.usecases.identity import ParentIdentity, parent_access_removed, parent_by_session


class AuthState(PortalState):
    """Identity of the logged-in parent. Ids stay in backend-only vars."""

    logged_in: bool = False
    display_name: str = ""
    family_name: str = ""
    account_email: str = ""
    # The unpaid basket, told in the banner of every family page and on Accueil (issue 15 item 4):
    # « 2 réservations en attente de paiement — 7,70 € », and the periods that hold them.
    waiting_text: str = ""
    waiting_periods: str = ""
    waiting_count: int = 0
    waiting_total: str = ""
    # The page's section ("reservations"...): the menu marks its link aria-current="page".
    current_page: str = ""
    _account_id: int | None = None
    _family_id: int | None = None
    _access_removed: bool = False

    def _require_parent(self) -> ParentIdentity | None:
        """The session of this tab, checked in the database right now; None when not logged in."""
        if not self._portal_ready():
            return None
        assert self._structure_id is not None
        token = self._cookie(session_cookie_name(self._current_slug()))
        parent = parent_by_session(self._structure_id, token, clock.now(), known_account_id=self._account_id)
        if parent is None:
            self._forget()
            # The login's access was removed (staff, or the guardian left elsewhere): say so.
            self._access_removed = parent_access_removed(self._structure_id, token)
            return None
        if parent.account_id != self._account_id:
            self.display_name = parent.display_name
            self.family_name = parent.family_name
            self.account_email = parent.email
        self._account_id = parent.account_id
        self._family_id = parent.family_id
        self.logged_in = True
        return parent

    def _actor(self) -> ParentActor:
        """The acting parent for a use case, from the ids ``_require_parent`` just checked."""
        assert self._structure_id is not None and self._family_id is not None and self._account_id is not None
        return ParentActor(self._structure_id, self._family_id, self._account_id, self._client_ip())

    def _show_waiting(self, waiting: WaitingBasket) -> None:
        """Copy the use case's summary of the unpaid basket into the banner's words."""
        self.waiting_count = waiting.count
        self.waiting_total = format_euros(waiting.total_cents)
        if waiting.count == 0:
            self.waiting_text = self.waiting_periods = ""
            return
        self.waiting_text = (
            f"{plural(waiting.count, 'réservation')} en attente de paiement — {format_euros(waiting.total_cents)}"
        )
        self.waiting_periods = " ; ".join(waiting.periods)

    def _refresh_waiting(self) -> None:
        self._show_waiting(waiting_basket(self._actor(), now=clock.now()))

    def _forget(self) -> None:
        self._account_id = None
        self._family_id = None
        self.logged_in = False
        self.display_name = ""
        self.family_name = ""
        self.account_email = ""
        self.waiting_text = self.waiting_periods = ""

    def _parent_known(self) -> bool | None:
        """Memory only, for ``@parent_event(db=False)`` handlers (a tick): this tab was logged in by
        an earlier handler of the page that checked the session in the database. Such a handler
        writes nothing; whatever it changes is saved only by a checked one (Valider)."""
        return True if self._family_id is not None else None

    def _login_redirect(self):
        if self._access_removed:
            return rx.redirect(f"/{self._current_slug()}/connexion?erreur=acces", replace=True)
        return rx.redirect(f"/{self._current_slug()}/connexion?suite={quote(self.router.url.path)}", replace=True)

    def _show_refusal(self, message: str) -> None:
        """Where a refused action's French message goes; pages with their own message var override it."""
        if hasattr(self, "error_message"):
            self.error_message = message

    @parent_event(on_load=True)
    def load_protected(self):
        """on_load of every family page: commune, then session (otherwise to the login page), then
        the unpaid basket for the banner."""
        parts = self.router.url.path.strip("/").split("/")
        self.current_page = parts[1] if len(parts) > 1 else ""
        self._refresh_waiting()
