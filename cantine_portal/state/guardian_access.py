"""State of the guardians' accesses (issue 20), shown on Famille (who has an access, « Inviter ce
responsable à créer son accès ») and on Préférences (this login's e-mail choices, « Supprimer mon
accès » with a confirmation).

The browser sends a row number only; the guardian ids stay in a backend-only var. Each handler is
a ``@parent_event`` making one call to ``usecases/logins.py``.
"""

from __future__ import annotations

import reflex as rx

from cantine_portal import clock
from cantine_portal.state.auth import AuthState
from cantine_portal.state.handlers import parent_event
from cantine_portal.usecases import logins as usecases
from cantine_portal.usecases.logins import AccessView


class GuardianAccessState(AuthState):
    # One row per guardian: name, email, status ("active", "invited", "removed", "none"),
    # status_text, can_invite ("1" or ""), is_me ("1" or "").
    access_rows: list[dict[str, str]] = []
    access_message: str = ""
    error_message: str = ""
    mail_all_payments: bool = False
    mail_notices: bool = True
    can_leave: bool = False
    confirm_leave: bool = False
    access_loaded: bool = False
    _access_guardian_ids: list[int] = []

    def _show_access(self, view: AccessView) -> None:
        self._access_guardian_ids = [g.guardian_id for g in view.guardians]
        self.access_rows = [
            {
                "name": g.name or "Responsable",
                "email": g.email,
                "status": g.status,
                "status_text": g.status_text,
                "can_invite": "1" if g.can_invite and not g.is_me else "",
                "is_me": "1" if g.is_me else "",
            }
            for g in view.guardians
        ]
        self.mail_all_payments = view.mail_all_payments
        self.mail_notices = view.mail_notices
        self.can_leave = view.can_leave
        self.access_loaded = True

    @parent_event
    def load_access(self) -> None:
        self.access_message = self.error_message = ""
        self.confirm_leave = False
        self._show_access(usecases.access_view(self._actor(), now=clock.now()))

    @parent_event
    def invite_guardian(self, index: int) -> None:
        self.access_message = self.error_message = ""
        try:
            i = int(index)
        except (TypeError, ValueError):
            i = -1
        if not 0 <= i < len(self._access_guardian_ids):
            self.error_message = usecases.MSG_REFUSED
            return
        outcome = usecases.invite(self._actor(), self._access_guardian_ids[i], now=clock.now())
        if outcome.view is not None:
            self._show_access(outcome.view)
        self.access_message, self.error_message = (outcome.message, "") if outcome.ok else ("", outcome.message)

    @parent_event
    def set_mail_all_payments(self, value: bool) -> None:
        view = usecases.set_mail_choices(
            self._actor(), all_payments=bool(value), notices=self.mail_notices, now=clock.now()
        )
        self._show_access(view)
        self.access_message = "Vos choix d'e-mails ont été enregistrés."

    @parent_event
    def set_mail_notices(self, value: bool) -> None:
        view = usecases.set_mail_choices(
            self._actor(), all_payments=self.mail_all_payments, notices=bool(value), now=clock.now()
        )
        self._show_access(view)
        self.access_message = "Vos choix d'e-mails ont été enregistrés."

    @parent_event(db=False)
    def ask_leave(self) -> None:
        """The confirmation step: nothing is changed before « Oui, supprimer mon accès »."""
        self.access_message = self.error_message = ""
        self.confirm_leave = True

    @parent_event(db=False)
    def cancel_leave(self) -> None:
        self.confirm_leave = False

    @parent_event
    def leave(self):
        self.confirm_leave = False
        outcome = usecases.leave(self._actor(), now=clock.now())
        if not outcome.ok:
            self.error_message = outcome.message
            return None
        slug = self._current_slug()
        self._forget()
        return rx.redirect(f"/{slug}/connexion?quitte=1", replace=True)
