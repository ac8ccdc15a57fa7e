"""State of the « Accès au portail » and « Historique » blocks of a family's back-office page
(issue 20): invite a guardian, remove one guardian's access (after a confirmation), and who did
what. Each handler makes one use-case call (usecases/backoffice/family_logins.py); the browser
sends row numbers only, the ids stay in backend-only vars."""

from __future__ import annotations

from cantine_portal import clock
from cantine_portal.state.admin import StaffState, list_position
from cantine_portal.state.handlers import staff_event
from cantine_portal.usecases.backoffice import family_logins as cases

MSG_REFUSED = "Action refusée."


class AdminFamilyLoginsState(StaffState):
    # name, email, status, status_text, can_invite ("1"/""), can_remove ("1"/"")
    login_rows: list[dict[str, str]] = []
    activity: list[dict[str, str]] = []
    success_message: str = ""
    error_message: str = ""
    # The row whose removal waits for « Confirmer le retrait » (-1: none).
    confirm_row: int = -1
    _family_id: int | None = None
    _guardian_ids: list[int] = []
    _account_ids: list[int] = []

    def _show(self, page: cases.FamilyLogins) -> None:
        self._guardian_ids = [g.guardian_id for g in page.guardians]
        self._account_ids = [g.account_id or 0 for g in page.guardians]
        self.login_rows = [
            {
                "name": g.name or "Responsable",
                "email": g.email,
                "status": g.status,
                "status_text": g.status_text,
                "can_invite": "1" if g.can_invite else "",
                "can_remove": "1" if g.status in ("active", "invited") else "",
            }
            for g in page.guardians
        ]
        self.activity = [{"at": a.at, "who": a.who, "what": a.what} for a in page.activity]
        self.confirm_row = -1

    def _after(self, outcome: cases.LoginsOutcome) -> None:
        if outcome.page is not None:
            self._show(outcome.page)
        self.success_message, self.error_message = (outcome.message, "") if outcome.ok else ("", outcome.message)

    @staff_event(on_load=True)
    def load(self):
        self.success_message = self.error_message = ""
        raw = str(self.router.url.query_parameters.get("id", ""))
        self._family_id = int(raw) if raw.isdigit() and len(raw) < 12 else None
        self._show(cases.family_logins(self._actor(), family_id=self._family_id, now=clock.now()))

    @staff_event
    def invite(self, row: int):
        i = list_position(row, len(self._guardian_ids))
        if i is None:
            self.success_message, self.error_message = "", MSG_REFUSED
            return
        self._after(
            cases.invite_guardian(
                self._actor(), family_id=self._family_id, guardian_id=self._guardian_ids[i], now=clock.now()
            )
        )

    @staff_event
    def ask_remove(self, row: int):
        i = list_position(row, len(self._account_ids))
        self.success_message = self.error_message = ""
        self.confirm_row = i if i is not None and self._account_ids[i] else -1

    @staff_event
    def cancel_remove(self):
        self.confirm_row = -1

    @staff_event
    def remove(self):
        i = self.confirm_row
        if not 0 <= i < len(self._account_ids) or not self._account_ids[i]:
            self.success_message, self.error_message = "", MSG_REFUSED
            return
        self._after(
            cases.remove_access(
                self._actor(), family_id=self._family_id, account_id=self._account_ids[i], now=clock.now()
            )
        )
