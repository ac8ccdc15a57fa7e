"""States of Effectifs, Documents, Messages and Paiements. Each handler makes one use-case call
(usecases/backoffice/) and copies its result into vars; ids stay in backend-only lists."""

from __future__ import annotations

from datetime import date

import reflex as rx

from cantine_portal import clock
from cantine_portal.french import format_long_date
from cantine_portal.state.admin import StaffState, form_text, list_position
from cantine_portal.state.handlers import staff_event
from cantine_portal.state.offload import in_thread
from cantine_portal.state.upload_reset import clear_upload
from cantine_portal.usecases.backoffice import attendance as attendance_cases
from cantine_portal.usecases.backoffice import documents as document_cases
from cantine_portal.usecases.backoffice import messages as message_cases
from cantine_portal.usecases.backoffice import payments as payment_cases
from cantine_portal.usecases.backoffice.common import Outcome
from cantine_portal.usecases.errors import Refused

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
    absent_count: int = 0
    shown: bool = False
    error_message: str = ""
    csv_url: str = ""
    pdf_url: str = ""
    form_key: int = 0
    _service_ids: list[int] = []

    def _display(self, data: attendance_cases.Attendance) -> None:
        self.day_label = format_long_date(data.day)
        self.rows = [
            {
                "child": r.child_name,
                "family": r.family_name,
                "school": r.school,
                "class_name": r.class_name,
                "diet": r.diet,
                "pai": "1" if r.pai else "",
                "pai_notes": r.pai_notes,
            }
            for r in data.rows
        ]
        self.by_school = [[label, str(n)] for label, n in data.by_school]
        self.by_diet = [[label, str(n)] for label, n in data.by_diet]
        self.total, self.pai_count, self.shown = data.total, data.pai_count, True
        self.absent_count = data.absent_count
        query = f"jour={data.day.isoformat()}&prestation={data.service_id}"
        self.csv_url = f"/api/{self.portal_slug}/admin/effectifs.csv?{query}"
        self.pdf_url = f"/api/{self.portal_slug}/admin/effectifs.pdf?{query}"

    def _no_service(self) -> None:
        self.error_message = "Choisissez une prestation."
        self.shown = False

    @staff_event(on_load=True)
    def load(self):
        page = attendance_cases.attendance_page(
            self._actor(), now=clock.now(), requested_day=str(self.router.url.query_parameters.get("jour", ""))
        )
        self._service_ids = [s.id for s in page.services]
        self.service_names = [s.name for s in page.services]
        self.day = page.day.isoformat()
        self.service_choice = "0"
        self.form_key += 1
        self.error_message = ""
        if page.sheet is None:
            self._no_service()
        else:
            self._display(page.sheet)

    @staff_event
    def show(self, form_data: dict):
        self.day = form_text(form_data, "day", 20)
        self.service_choice = form_text(form_data, "service", 10)
        self.error_message = ""
        try:
            day = date.fromisoformat(self.day)
        except ValueError:
            self.error_message = "Saisissez un jour (jj/mm/aaaa)."
            self.shown = False
            return
        index = list_position(self.service_choice, len(self._service_ids))
        if index is None:
            self._no_service()
            return
        self._display(attendance_cases.attendance_sheet(self._actor(), day=day, service_id=self._service_ids[index]))


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

    def _show_rows(self, documents: list[document_cases.DocumentAdminRow]) -> None:
        self._document_ids = [d.id for d in documents]
        slug = self.portal_slug
        self.rows = [
            {
                "title": d.title,
                "category": d.category,
                "published": "1" if d.published else "",
                "status": d.status_label,
                "date": d.date_label,
                "size": d.size_label,
                "href": f"/api/{slug}/admin/documents/{d.id}",
            }
            for d in documents
        ]
        self.form_key += 1

    def _done(self, result: Outcome[list[document_cases.DocumentAdminRow]]) -> None:
        self.errors = result.errors
        if result.ok:
            self.success_message, self.error_message = result.message, ""
            self._show_rows(result.page or [])
        else:
            self.success_message, self.error_message = "", result.message

    @staff_event(on_load=True)
    def load(self):
        self.success_message = self.error_message = ""
        self.errors = {}
        page = document_cases.documents_page(self._actor())
        self.max_size_label = page.max_size_label
        self._show_rows(page.rows)

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
    def _read_upload(files: list[rx.UploadFile]) -> tuple[bytes | None, str]:
        """The one chosen file, read up to the limit plus one byte (None when not exactly one)."""
        if len(files) != 1:
            return None, ""
        return files[0].file.read(document_cases.upload_limit() + 1), files[0].filename or ""

    @staff_event
    async def upload(self, files: list[rx.UploadFile]):
        data, name = self._read_upload(files)
        actor, now, title, category, published = (
            self._actor(),
            clock.now(),
            self.new_title,
            self.new_category,
            self.new_published,
        )
        result = await in_thread(
            lambda: document_cases.upload_document(
                actor, now=now, title=title, category=category, data=data, filename=name, published=published
            )
        )
        self._done(result)
        if result.ok:
            self.new_title = ""
        return clear_upload(DOCUMENT_UPLOAD_ID)

    @staff_event
    async def replace(self, files: list[rx.UploadFile]):
        index = list_position(self.replace_choice, len(self._document_ids))
        if index is None:
            self.error_message = "Choisissez le document dont le fichier est à remplacer."
            return clear_upload(REPLACE_UPLOAD_ID)
        data, name = self._read_upload(files)
        actor, now, document_id = self._actor(), clock.now(), self._document_ids[index]
        try:
            result = await in_thread(
                lambda: document_cases.replace_file(actor, now=now, document_id=document_id, data=data, filename=name)
            )
        except Refused as refused:
            self._show_refusal(refused.message)
            return clear_upload(REPLACE_UPLOAD_ID)
        self._done(result)
        return clear_upload(REPLACE_UPLOAD_ID)

    @staff_event
    def toggle_published(self, index: int):
        position = self._position_or_refuse(index, len(self._document_ids))
        if position is None:
            return
        self._done(
            document_cases.set_published(
                self._actor(),
                now=clock.now(),
                document_id=self._document_ids[position],
                published=not self.rows[position]["published"],
            )
        )

    @staff_event
    def save_meta(self, form_data: dict):
        position = self._position_or_refuse(form_data.get("row"), len(self._document_ids))
        if position is None:
            return
        self._done(
            document_cases.update_document(
                self._actor(),
                now=clock.now(),
                document_id=self._document_ids[position],
                title=form_text(form_data, "title", 300),
                category=form_text(form_data, "category", 100),
            )
        )


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

    def _show_rows(self, messages: list[message_cases.MessageRow]) -> None:
        self._message_ids = [m.id for m in messages]
        slug = self.portal_slug
        self.rows = [
            {
                "date": m.date_label,
                "family": m.family_name,
                "email": m.account_email,
                "child": m.child_name,
                "subject": m.subject,
                "body": m.body,
                "attachment": m.attachment_name,
                "attachment_href": f"/api/{slug}/admin/messages/{m.id}/piece-jointe" if m.attachment_name else "",
                "handled": "1" if m.handled else "",
                "handled_label": m.handled_label,
            }
            for m in messages
        ]
        self.replies = [m.replies for m in messages]
        self.form_key += 1

    @staff_event(on_load=True)
    def load(self):
        self.success_message = self.error_message = self.reply_error = self.error_row = ""
        self._show_rows(message_cases.messages_page(self._actor(), show=self.show))

    @staff_event
    def set_show(self, value: str):
        self.show = value if value in message_cases.SHOWS else "open"
        self._show_rows(message_cases.messages_page(self._actor(), show=self.show))

    @staff_event
    def toggle_handled(self, index: int):
        position = self._position_or_refuse(index, len(self._message_ids))
        if position is None:
            return
        result = message_cases.set_handled(
            self._actor(),
            now=clock.now(),
            message_id=self._message_ids[position],
            handled=not self.rows[position]["handled"],
            show=self.show,
        )
        self.success_message, self.error_message = result.message, ""
        if result.page is not None:
            self._show_rows(result.page)

    @staff_event
    def reply(self, form_data: dict):
        position = self._position_or_refuse(form_data.get("row"), len(self._message_ids))
        if position is None:
            return
        result = message_cases.reply(
            self._actor(),
            now=clock.now(),
            message_id=self._message_ids[position],
            text=form_text(form_data, "reply", 6000),
            show=self.show,
        )
        self.error_row = str(position)
        if result.ok:
            self.success_message, self.error_message, self.reply_error = result.message, "", ""
            self._show_rows(result.page or [])
        else:
            self.success_message, self.error_message = "", result.message
            self.reply_error = result.errors.get("reply", "")


class AdminPaymentsState(StaffState):
    month: str = ""
    provider: str = ""
    provider_options: list[list[str]] = [[key, label] for key, label in payment_cases.provider_filters()]
    rows: list[dict[str, str]] = []
    by_day: list[list[str]] = []
    by_month: list[list[str]] = []
    csv_url: str = ""
    error_message: str = ""

    def _show_report(self, report: payment_cases.PaymentsReport) -> None:
        self.rows = [
            {
                "date": r.date_label,
                "family": r.family_name,
                "reference": r.reference,
                "provider": r.provider,
                "provider_reference": r.provider_reference,
                "status": r.status_label,
                "amount": r.amount_label,
                "credit": r.credit_label,
                "receipt": r.receipt_number,
            }
            for r in report.rows
        ]
        self.by_day = [[t.label, str(t.count), t.amount_label] for t in report.by_day]
        self.by_month = [[t.label, str(t.count), t.amount_label] for t in report.by_month]
        query = "&".join(f"{name}={value}" for name, value in (("mois", self.month), ("moyen", self.provider)) if value)
        self.csv_url = f"/api/{self.portal_slug}/admin/paiements.csv" + (f"?{query}" if query else "")

    def _show_month(self, month: str, provider: str) -> None:
        page = payment_cases.payments_page(self._actor(), month=month, provider=provider)
        if page.report is None:
            self.error_message = page.error
            return
        self.month, self.provider, self.error_message = month, provider, ""
        self._show_report(page.report)

    @staff_event(on_load=True)
    def load(self):
        self._show_month(self.month, self.provider)

    @staff_event
    def filter(self, form_data: dict):
        self._show_month(form_text(form_data, "month", 7), form_text(form_data, "provider", 30))
