"""States of the Documents and Contact pages (guide sections 6 and 7).

Thin: each handler checks the session (``@parent_event``), reads its inputs, makes one call to
``usecases/content.py`` and copies the result. Only reading the upload stays here (Reflex's files).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from cantine_portal import clock
from cantine_portal.config import get_settings
from cantine_portal.services.content import contact
from cantine_portal.state.auth import AuthState
from cantine_portal.state.handlers import parent_event
from cantine_portal.state.upload_reset import clear_upload
from cantine_portal.usecases import content as usecases

ATTACHMENT_UPLOAD_ID = "piece-jointe"


@dataclasses.dataclass
class DocumentRow:
    title: str
    date_label: str
    view_url: str
    download_url: str


@dataclasses.dataclass
class DocumentSection:
    category: str
    documents: list[DocumentRow]


class DocumentsState(AuthState):
    sections: list[DocumentSection] = []
    documents_loaded: bool = False

    @parent_event
    def load(self) -> None:
        groups = usecases.published_documents(self._actor())
        base = f"/api/{self.portal_slug}/documents/"
        self.sections = [
            DocumentSection(
                group.category,
                [
                    DocumentRow(item.title, item.date_label, f"{base}{item.id}", f"{base}{item.id}?telecharger=1")
                    for item in group.documents
                ],
            )
            for group in groups
        ]
        self.documents_loaded = True


class ContactState(AuthState):
    subject: str = ""
    body: str = ""
    # "" (no child in particular) or the position of the child in the list, as a string:
    # the browser never sees a database id, and the server maps the choice back itself.
    child_choice: str = ""
    child_labels: list[str] = []
    subject_error: str = ""
    body_error: str = ""
    child_error: str = ""
    attachment_error: str = ""
    form_error: str = ""
    sent_message: str = ""
    max_size_label: str = ""
    _child_ids: list[int] = []

    @rx.var
    def commune_phone_href(self) -> str:
        return "tel:" + "".join(ch for ch in self.commune_phone if ch.isdigit() or ch == "+")

    def _clear_errors(self) -> None:
        self.subject_error = self.body_error = self.child_error = self.attachment_error = self.form_error = ""

    @parent_event
    def load(self) -> None:
        self._clear_errors()
        self.sent_message = ""
        form = usecases.contact_form(self._actor())
        self.max_size_label = form.max_size_label
        self._child_ids, self.child_labels = form.child_ids, form.child_labels
        if not self._chosen_child_id()[1]:
            self.child_choice = ""

    @parent_event
    def set_subject(self, value: str) -> None:
        self.subject = value[: contact.SUBJECT_MAX]
        self.subject_error = ""

    @parent_event
    def set_body(self, value: str) -> None:
        self.body = value[: contact.BODY_MAX]
        self.body_error = ""

    @parent_event
    def set_child_choice(self, value: str) -> None:
        self.child_choice = value[:10]
        self.child_error = ""

    @parent_event
    def attachment_rejected(self, rejected: list[dict[str, Any]]) -> None:
        self.attachment_error = "Seuls les fichiers PDF sont acceptés, un seul à la fois."

    @parent_event
    def new_message(self) -> None:
        self._clear_errors()
        self.sent_message = ""

    def _chosen_child_id(self) -> tuple[int | None, bool]:
        """(child id or None, valid): the choice is an index into this family's own children."""
        if self.child_choice == "":
            return None, True
        if not self.child_choice.isdigit() or int(self.child_choice) >= len(self._child_ids):
            return None, False
        return self._child_ids[int(self.child_choice)], True

    @parent_event
    def send(self, files: list[rx.UploadFile]) -> EventSpec | None:
        self._clear_errors()
        settings = get_settings()
        name, attachment = "", None
        if len(files) > 1:
            self.attachment_error = "Joignez un seul fichier PDF."
        elif files:
            upload = files[0]
            if upload.size is not None and upload.size > settings.upload_max_bytes:
                # Refused without reading it: the announced size is enough.
                self.attachment_error = contact.too_large_message(settings)
            else:
                # Never more than the limit plus one byte in memory, whatever size was announced;
                # the service checks the real length again.
                name, attachment = upload.filename or "", upload.file.read(settings.upload_max_bytes + 1)
        child_id, child_valid = self._chosen_child_id()
        if not child_valid:
            self.child_error = contact.MSG_CHILD_UNKNOWN
        if self.attachment_error or self.child_error:
            self.form_error = "Le message n'a pas été envoyé : corrigez les champs signalés."
            return clear_upload(ATTACHMENT_UPLOAD_ID) if self.attachment_error else None
        result = usecases.send_contact_message(
            self._actor(),
            subject=self.subject,
            body=self.body,
            child_id=child_id,
            attachment_name=name,
            attachment=attachment,
            now=clock.now(),
        )
        if not result.ok:
            self.subject_error = result.errors.get("subject", "")
            self.body_error = result.errors.get("body", "")
            self.child_error = result.errors.get("child", "")
            self.attachment_error = result.errors.get("attachment", "")
            self.form_error = result.message
            return clear_upload(ATTACHMENT_UPLOAD_ID) if self.attachment_error else None
        self.subject = self.body = self.child_choice = ""
        self.sent_message = result.message
        return clear_upload(ATTACHMENT_UPLOAD_ID)
