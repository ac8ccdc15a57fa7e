"""States of Effectifs, Documents, Messages and Paiements."""

from __future__ import annotations

from datetime import date, timedelta

import reflex as rx

from cantine_portal import clock
from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.services.backoffice import documents as admin_documents
from cantine_portal.services.backoffice import messages as admin_messages
from cantine_portal.services.backoffice import payments as admin_payments
from cantine_portal.services.backoffice import prestations as admin_services
from cantine_portal.services.backoffice import attendance
from cantine_portal.services.backoffice.access import NotAllowed
from cantine_portal.services.shared.calendar import format_day_fr
from cantine_portal.services.shared.calendar import PARIS
from cantine_portal.services.content.contact import size_label
from cantine_portal.infra.mail import Mailer
from cantine_portal.state.admin import MSG_REFUSED, StaffState, form_text, list_position
from cantine_portal.state.upload_reset import clear_upload

DOCUMENT_UPLOAD_ID = "document-pdf"
REPLACE_UPLOAD_ID = "document-remplacement"


class AdminAttendanceState(StaffState):
    day: str = ""
    day_label: str = ""
    service_choice: str = "0"
    service_names: list[str] = []
    rows: list[dict[str, str]] = []
    by_school: list[list[str]] = []
    by_diet: list[list[str]] = []
    total: int = 0
    pai_count: int = 0
    shown: bool = False
    error_message: str = ""
    csv_url: str = ""
    pdf_url: str = ""
    form_key: int = 0
    _service_ids: list[int] = []

    def _show(self) -> None:
        self.error_message = ""
        try:
            day = date.fromisoformat(self.day)
        except ValueError:
            self.error_message = "Saisissez un jour (jj/mm/aaaa)."
            self.shown = False
            return
        index = list_position(self.service_choice, len(self._service_ids))
        if index is None:
            self.error_message = "Choisissez une prestation."
            self.shown = False
            return
        service_id = self._service_ids[index]
        with get_database().session() as session:
            data = attendance.attendance(session, self._structure_id, self._staff_account_id, day, service_id)
        self.day_label = format_day_fr(day)
        self.rows = [{"child": r.child_name, "family": r.family_name, "school": r.school, "class_name": r.class_name,
                      "diet": r.diet, "pai": "1" if r.pai else "", "pai_notes": r.pai_notes} for r in data.rows]
        self.by_school = [[label, str(n)] for label, n in data.by_school]
        self.by_diet = [[label, str(n)] for label, n in data.by_diet]
        self.total, self.pai_count, self.shown = data.total, data.pai_count, True
        query = f"jour={day.isoformat()}&prestation={service_id}"
        self.csv_url = f"/api/{self.portal_slug}/admin/effectifs.csv?{query}"
        self.pdf_url = f"/api/{self.portal_slug}/admin/effectifs.pdf?{query}"

    @rx.event
    def load(self):
        if self.require_staff() is None:
            return
        with get_database().session() as session:
            services = [s for s in admin_services.list_services(session, self._structure_id, self._staff_account_id)
                        if s.active]
        self._service_ids = [s.id for s in services]
        self.service_names = [s.name for s in services]
        raw = str(self.router.url.query_parameters.get("jour", ""))
        try:
            self.day = date.fromisoformat(raw).isoformat()
        except ValueError:
            today = clock.now().astimezone(PARIS).date()
            # After school hours, the kitchen looks at tomorrow; at the weekend, at Monday.
            while today.weekday() >= 5:
                today += timedelta(days=1)
            self.day = today.isoformat()
        self.service_choice = "0"
        self.form_key += 1
        self._show()

    @rx.event
    def show(self, form_data: dict):
        if self.require_staff() is None:
            return self.staff_login_redirect()
        self.day = form_text(form_data, "day", 20)
        self.service_choice = form_text(form_data, "service", 10)
        try:
            self._show()
        except NotAllowed:
            self.error_message = MSG_REFUSED
        return None


class AdminDocumentsState(StaffState):
    rows: list[dict[str, str]] = []
    new_title: str = ""
    new_category: str = "Menus"
    new_published: bool = True
    replace_choice: str = ""
    success_message: str = ""
    error_message: str = ""
    errors: dict[str, str] = {}
    max_size_label: str = ""
    form_key: int = 0
    _document_ids: list[int] = []

    def _read(self) -> None:
        with get_database().session() as session:
            documents = admin_documents.list_documents(session, self._structure_id, self._staff_account_id)
        self._document_ids = [d.id for d in documents]
        slug = self.portal_slug
        self.rows = [{"title": d.title, "category": d.category, "published": "1" if d.published else "",
                      "status": d.status_label, "date": d.date_label, "size": d.size_label,
                      "href": f"/api/{slug}/admin/documents/{d.id}"} for d in documents]
        self.form_key += 1

    def _done(self, result) -> None:
        self.errors = result.errors
        if result.ok:
            self.success_message, self.error_message = result.message, ""
            self._read()
        else:
            self.success_message, self.error_message = "", result.message

    @rx.event
    def load(self):
        self.success_message = self.error_message = ""
        self.errors = {}
        self.max_size_label = size_label(get_settings())
        if self.require_staff() is None:
            return
        self._read()

    @rx.event
    def set_new_title(self, value: str):
        self.new_title = value[:200]

    @rx.event
    def set_new_category(self, value: str):
        self.new_category = value[:60]

    @rx.event
    def set_new_published(self, value: bool):
        self.new_published = bool(value)

    @rx.event
    def set_replace_choice(self, value: str):
        self.replace_choice = value[:10]

    @staticmethod
    def _read_upload(files: list[rx.UploadFile], limit: int) -> tuple[bytes | None, str]:
        if len(files) != 1:
            return None, ""
        return files[0].file.read(limit + 1), files[0].filename or ""

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        if self.require_staff() is None:
            return self.staff_login_redirect()
        settings = get_settings()
        data, name = self._read_upload(files, settings.upload_max_bytes)
        with get_database().write_session() as session:
            result = admin_documents.upload_document(
                session, settings, clock.now(), structure_id=self._structure_id, account_id=self._staff_account_id,
                title=self.new_title, category=self.new_category, data=data, filename=name,
                published=self.new_published, ip=self.client_ip())
        self._done(result)
        if result.ok:
            self.new_title = ""
        return clear_upload(DOCUMENT_UPLOAD_ID)

    @rx.event
    async def replace(self, files: list[rx.UploadFile]):
        if self.require_staff() is None:
            return self.staff_login_redirect()
        index = list_position(self.replace_choice, len(self._document_ids))
        if index is None:
            self.error_message = "Choisissez le document dont le fichier est à remplacer."
            return clear_upload(REPLACE_UPLOAD_ID)
        settings = get_settings()
        data, name = self._read_upload(files, settings.upload_max_bytes)
        try:
            with get_database().write_session() as session:
                result = admin_documents.replace_file(
                    session, settings, clock.now(), structure_id=self._structure_id,
                    account_id=self._staff_account_id, document_id=self._document_ids[index], data=data,
                    filename=name, ip=self.client_ip())
        except NotAllowed:
            self.error_message = MSG_REFUSED
            return clear_upload(REPLACE_UPLOAD_ID)
        self._done(result)
        return clear_upload(REPLACE_UPLOAD_ID)

    @rx.event
    def toggle_published(self, index: int):
        if self.require_staff() is None:
            return self.staff_login_redirect()
        position = self._position_or_refuse(index, len(self._document_ids))
        if position is None:
            return None
        result = self._staff_write_or_refuse(admin_documents.set_published,
                                             document_id=self._document_ids[position],
                                             published=not self.rows[position]["published"])
        if result is not None:
            self._done(result)
        return None

    @rx.event
    def save_meta(self, form_data: dict):
        if self.require_staff() is None:
            return self.staff_login_redirect()
        position = self._position_or_refuse(form_data.get("row"), len(self._document_ids))
        if position is None:
            return None
        result = self._staff_write_or_refuse(
            admin_documents.update_document, document_id=self._document_ids[position],
            title=form_text(form_data, "title", 300), category=form_text(form_data, "category", 100))
        if result is not None:
            self._done(result)
        return None


class AdminMessagesState(StaffState):
    rows: list[dict[str, str]] = []
    replies: list[list[str]] = []
    show: str = "open"
    success_message: str = ""
    error_message: str = ""
    reply_error: str = ""
    error_row: str = ""
    form_key: int = 0
    _message_ids: list[int] = []

    def _read(self) -> None:
        with get_database().session() as session:
            messages = admin_messages.list_messages(session, self._structure_id, self._staff_account_id, self.show)
        self._message_ids = [m.id for m in messages]
        slug = self.portal_slug
        self.rows = [{"date": m.date_label, "family": m.family_name, "email": m.account_email, "child": m.child_name,
                      "subject": m.subject, "body": m.body, "attachment": m.attachment_name,
                      "attachment_href": f"/api/{slug}/admin/messages/{m.id}/piece-jointe" if m.attachment_name else "",
                      "handled": "1" if m.handled else "", "handled_label": m.handled_label} for m in messages]
        self.replies = [m.replies for m in messages]
        self.form_key += 1

    @rx.event
    def load(self):
        self.success_message = self.error_message = self.reply_error = self.error_row = ""
        if self.require_staff() is None:
            return
        self._read()

    @rx.event
    def set_show(self, value: str):
        if self.require_staff() is None:
            return self.staff_login_redirect()
        self.show = value if value in ("all", "open", "handled") else "open"
        self._read()
        return None

    @rx.event
    def toggle_handled(self, index: int):
        if self.require_staff() is None:
            return self.staff_login_redirect()
        position = self._position_or_refuse(index, len(self._message_ids))
        if position is None:
            return None
        result = self._staff_write_or_refuse(admin_messages.set_handled, message_id=self._message_ids[position],
                                             handled=not self.rows[position]["handled"])
        if result is None:
            return None
        self.success_message, self.error_message = result.message, ""
        self._read()
        return None

    @rx.event
    def reply(self, form_data: dict):
        if self.require_staff() is None:
            return self.staff_login_redirect()
        position = self._position_or_refuse(form_data.get("row"), len(self._message_ids))
        if position is None:
            return None
        result = self._staff_write_or_refuse(admin_messages.reply, message_id=self._message_ids[position],
                                             text=form_text(form_data, "reply", 6000), mailer=Mailer(get_settings()))
        if result is None:
            return None
        self.error_row = str(position)
        if result.ok:
            self.success_message, self.error_message, self.reply_error = result.message, "", ""
            self._read()
        else:
            self.success_message, self.error_message = "", result.message
            self.reply_error = result.errors.get("reply", "")
        return None


class AdminPaymentsState(StaffState):
    month: str = ""
    rows: list[dict[str, str]] = []
    by_day: list[list[str]] = []
    by_month: list[list[str]] = []
    csv_url: str = ""
    error_message: str = ""

    def _read(self) -> None:
        with get_database().session() as session:
            report = admin_payments.payments_report(session, self._structure_id, self._staff_account_id, self.month)
        self.rows = [{"date": r.date_label, "family": r.family_name, "reference": r.reference,
                      "provider": r.provider, "provider_reference": r.provider_reference, "status": r.status_label,
                      "amount": r.amount_label, "credit": r.credit_label, "receipt": r.receipt_number}
                     for r in report.rows]
        self.by_day = [[t.label, str(t.count), t.amount_label] for t in report.by_day]
        self.by_month = [[t.label, str(t.count), t.amount_label] for t in report.by_month]
        suffix = f"?mois={self.month}" if self.month else ""
        self.csv_url = f"/api/{self.portal_slug}/admin/paiements.csv{suffix}"

    @rx.event
    def load(self):
        self.error_message = ""
        if self.require_staff() is None:
            return
        self._read()

    @rx.event
    def filter(self, form_data: dict):
        if self.require_staff() is None:
            return self.staff_login_redirect()
        month = form_text(form_data, "month", 7)
        if month and not (len(month) == 7 and month[4] == "-" and month.replace("-", "").isdigit()):
            self.error_message = "Choisissez un mois (mm/aaaa)."
            return None
        self.month, self.error_message = month, ""
        self._read()
        return None
