"""The « Quotient familial » section of Famille: the family's QF and brackets, why the « no QF »
price applies, and the attestation sent to the mairie. Its own substate: the guardians' tabs do
not reload when an attestation is sent. Each handler makes one call to ``usecases/pricing.py``."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from cantine_portal import clock
from cantine_portal.state.auth import AuthState
from cantine_portal.state.handlers import parent_event
from cantine_portal.state.upload_reset import clear_upload
from cantine_portal.usecases import pricing as usecases

QF_UPLOAD_ID = "attestation-qf"


class FamilyQuotientState(AuthState):
    current: str = ""
    tariffs: list[str] = []
    pending: list[str] = []
    refused: list[str] = []
    sent_message: str = ""
    upload_error: str = ""

    def _show(self, status: usecases.QuotientStatus) -> None:
        self.current = status.current
        self.tariffs, self.pending, self.refused = list(status.tariffs), list(status.pending), list(status.refused)

    @parent_event
    def load(self) -> None:
        self.sent_message = self.upload_error = ""
        self._show(usecases.quotient_section(self._actor(), now=clock.now()))

    @parent_event
    def send(self, files: list[rx.UploadFile]) -> EventSpec | None:
        """The attestation chosen: one PDF, JPEG or PNG file of at most 5 Mo, checked by its content."""
        self.sent_message = self.upload_error = ""
        if len(files) != 1:
            self.upload_error = "Choisissez un fichier (un seul) : PDF, JPEG ou PNG."
            return clear_upload(QF_UPLOAD_ID)
        upload = files[0]
        if upload.size is not None and upload.size > usecases.MAX_BYTES:
            self.upload_error = "Le fichier dépasse 5 Mo : envoyez une photo moins lourde ou un PDF."
            return clear_upload(QF_UPLOAD_ID)
        data = upload.file.read(usecases.MAX_BYTES + 1)
        result = usecases.send_attestation(self._actor(), now=clock.now(), data=data, filename=upload.filename or "")
        self._show(result.status)
        if result.ok:
            self.sent_message = result.message
        else:
            self.upload_error = result.message
        return clear_upload(QF_UPLOAD_ID)
