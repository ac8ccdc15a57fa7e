"""The parent's « Absences » page (reached from Réservations): declare a child ill for booked days
with the medical certificate, and see each declaration's status. One use case per handler
(``usecases/absences.py``); the child ids and dates stay in backend-only vars, the browser sends
positions in the lists it was shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import reflex as rx
from reflex.event import EventSpec

from cantine_portal import clock
from cantine_portal.state.auth import AuthState
from cantine_portal.state.handlers import parent_event
from cantine_portal.state.upload_reset import clear_upload
from cantine_portal.usecases import absences as usecases

CERTIFICATE_UPLOAD_ID = "certificat-absence"
MSG_ONE_FILE = "Joignez le certificat médical (un seul fichier) : un PDF ou une photo (JPEG, PNG)."


@dataclass
class DayUI:
    index: int = 0
    text: str = ""
    chosen: bool = False


@dataclass
class AbsenceUI:
    child: str = ""
    days: str = ""
    status: str = ""  # pending | validated | refused | withdrawn: the badge's class
    status_text: str = ""
    detail: str = ""


class AbsencesState(AuthState):
    explanation: str = ""
    child_names: list[str] = []
    child_index: int = 0
    days: list[DayUI] = []
    absences: list[AbsenceUI] = []
    info_message: str = ""
    error_message: str = ""
    _child_ids: list[int] = []
    _child_days: list[list[tuple[str, str]]] = []  # per child: (ISO date, words)

    def _show(self, page: usecases.AbsencesPage, keep_child: bool = True) -> None:
        self.explanation = page.explanation
        self.child_names = [c.first_name for c in page.children]
        self._child_ids = [c.child_id for c in page.children]
        self._child_days = [[(d.day.isoformat(), d.text) for d in c.days] for c in page.children]
        if not keep_child or not 0 <= self.child_index < len(self._child_ids):
            self.child_index = 0
        self._show_days(set())
        self.absences = [AbsenceUI(a.child_name, a.days_text, a.status, a.status_text, a.detail) for a in page.absences]

    def _show_days(self, chosen: set[int]) -> None:
        days = self._child_days[self.child_index] if self._child_days else []
        self.days = [DayUI(i, text, i in chosen) for i, (_iso, text) in enumerate(days)]

    @parent_event
    def load(self) -> None:
        self.info_message = self.error_message = ""
        self._show(usecases.absences_page(self._actor(), now=clock.now()), keep_child=False)

    @parent_event(db=False)
    def choose_child(self, value: str) -> None:
        """The child chosen in the list (its position, as the browser sends it)."""
        index = int(value) if value.isdigit() else 0
        self.child_index = index if 0 <= index < len(self._child_ids) else 0
        self._show_days(set())

    @parent_event(db=False)
    def toggle_day(self, index: int) -> None:
        chosen = {d.index for d in self.days if d.chosen} ^ {index}
        self._show_days({i for i in chosen if 0 <= i < len(self.days)})

    @parent_event
    def send(self, files: list[rx.UploadFile]) -> EventSpec | None:
        """« Signaler l'absence »: the chosen days and one certificate, checked on the server."""
        self.info_message = self.error_message = ""
        if not self._child_ids:
            self.error_message = "Aucun enfant de votre famille n'a de jour réservé à signaler."
            return clear_upload(CERTIFICATE_UPLOAD_ID)
        chosen = [date.fromisoformat(self._child_days[self.child_index][d.index][0]) for d in self.days if d.chosen]
        if not chosen:
            self.error_message = "Cochez au moins un jour d'absence."
            return None  # the certificate chosen stays
        if len(files) != 1:
            self.error_message = MSG_ONE_FILE
            return clear_upload(CERTIFICATE_UPLOAD_ID)
        upload = files[0]
        data = upload.file.read(usecases.MAX_BYTES + 1)
        result = usecases.declare_absence(
            self._actor(), now=clock.now(), child_id=self._child_ids[self.child_index], days=chosen, data=data
        )
        if result.ok:
            self.info_message = result.message
            self._show(result.page)
        else:
            self.error_message = result.message
            self._show_days({d.index for d in self.days if d.chosen})
        return clear_upload(CERTIFICATE_UPLOAD_ID)
