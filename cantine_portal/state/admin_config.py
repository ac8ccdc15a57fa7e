"""States of Paramètres, Prestations and Calendrier. Thin: each handler makes one use-case call
(usecases/backoffice/) and copies its result into vars; ids stay in backend-only lists."""

from __future__ import annotations

import reflex as rx

from cantine_portal import clock
from cantine_portal.state.admin import StaffState, form_text
from cantine_portal.state.handlers import staff_event
from cantine_portal.state.offload import in_thread
from cantine_portal.state.upload_reset import clear_upload
from cantine_portal.usecases.backoffice import calendar as calendar_cases
from cantine_portal.usecases.backoffice import prestations as services_cases
from cantine_portal.usecases.backoffice import settings as settings_cases
from cantine_portal.usecases.backoffice.common import Outcome


class AdminSettingsState(StaffState):
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    success_message: str = ""
    error_message: str = ""
    deadline_text: str = ""
    form_key: int = 0
    # Online payment on this server: why it is off, or a caution (services/shared/payment_availability.py).
    payment_notice: str = ""
    payment_ok: bool = True
    # the logo form's own messages (its own form, beside the settings form)
    logo_message: str = ""
    logo_error: str = ""

    @staff_event(on_load=True)
    def load(self):
        self.success_message = self.error_message = self.logo_message = self.logo_error = ""
        self.errors = {}
        page = settings_cases.settings_page(self._actor())
        self.values, self.deadline_text = page.values, page.deadline_text
        self.payment_notice, self.payment_ok = page.payment_notice, page.payment_ok
        self.form_key += 1

    @staff_event
    def save(self, form_data: dict):
        values = {name: form_text(form_data, name) for name in settings_cases.SETTINGS_FIELDS}
        for name in settings_cases.CHECKBOX_FIELDS:
            values[name] = "1" if form_data.get(name) else ""
        result = settings_cases.save_settings(self._actor(), now=clock.now(), values=values)
        self.values = values
        self.payment_notice, self.payment_ok = result.payment_notice, result.payment_ok
        self.errors = result.errors
        if result.ok:
            self.success_message, self.error_message = result.message, ""
            self.deadline_text = result.deadline_text
            self._load_portal()  # the header shows the (new) name at once
        else:
            self.success_message, self.error_message = "", result.message

    @staff_event
    async def upload_logo(self, files: list[rx.UploadFile]):
        """« Enregistrer le logo »: the file is read up to the limit plus one byte, then checked by
        the use case (content, size, SVG sanitising); the header shows the new logo at once."""
        self.success_message = self.error_message = ""
        if len(files) != 1:
            self.logo_error = "Choisissez un fichier image (PNG, JPEG ou SVG)."
            return clear_upload(LOGO_UPLOAD_ID)
        data = files[0].file.read(settings_cases.LOGO_READ_LIMIT)
        actor, now = self._actor(), clock.now()
        result = await in_thread(lambda: settings_cases.upload_logo(actor, now=now, data=data))
        self._logo_done(result)
        if result.ok:
            await in_thread(self._load_portal)
        return clear_upload(LOGO_UPLOAD_ID)

    @staff_event
    def remove_logo(self):
        self.success_message = self.error_message = ""
        self._logo_done(settings_cases.remove_logo(self._actor(), now=clock.now()))
        self._load_portal()

    def _logo_done(self, result: settings_cases.LogoSaved) -> None:
        self.logo_error = "" if result.ok else result.message
        self.logo_message = result.message if result.ok else ""


LOGO_UPLOAD_ID = "logo-upload"
WEEKDAY_KEYS = [f"wd{i}" for i in range(7)]


class AdminServicesState(StaffState):
    rows: list[dict[str, str]] = []
    success_message: str = ""
    error_message: str = ""
    errors: dict[str, str] = {}
    # which row the errors belong to ("new" for the creation form)
    error_row: str = ""
    form_key: int = 0
    _service_ids: list[int] = []

    def _show_rows(self, services: list[services_cases.ServiceRow]) -> None:
        self._service_ids = [s.id for s in services]
        rows = []
        for s in services:
            row = {
                "name": s.name,
                "weekdays_label": s.weekdays_label,
                "price_label": s.price_label,
                "active": "1" if s.active else "",
                "status": "Active" if s.active else "Désactivée",
                "prices": " ; ".join(f"{label} depuis le {d:%d/%m/%Y}" for d, label in reversed(s.prices)),
            }
            for i, key in enumerate(WEEKDAY_KEYS):
                row[key] = "1" if i in s.weekdays else ""
            rows.append(row)
        self.rows = rows
        self.form_key += 1

    def _done(self, result: Outcome[list[services_cases.ServiceRow]], row: str) -> None:
        self.error_row = row
        if result.ok:
            self.success_message, self.error_message, self.errors, self.error_row = result.message, "", {}, ""
            self._show_rows(result.page or [])
        else:
            self.success_message, self.error_message, self.errors = "", result.message, result.errors

    @staff_event(on_load=True)
    def load(self):
        self.success_message = self.error_message = self.error_row = ""
        self.errors = {}
        self._show_rows(services_cases.services_page(self._actor(), now=clock.now()))

    @staticmethod
    def _weekdays(form_data: dict) -> list[int]:
        return [i for i, key in enumerate(WEEKDAY_KEYS) if form_data.get(key)]

    @staff_event
    def create(self, form_data: dict):
        self._done(
            services_cases.create_service(
                self._actor(),
                now=clock.now(),
                name=form_text(form_data, "name", 200),
                weekdays=self._weekdays(form_data),
                price=form_text(form_data, "price", 40),
            ),
            "new",
        )

    @staff_event
    def update(self, form_data: dict):
        index = self._position_or_refuse(form_data.get("row"), len(self._service_ids))
        if index is None:
            return
        self._done(
            services_cases.update_service(
                self._actor(),
                now=clock.now(),
                service_id=self._service_ids[index],
                name=form_text(form_data, "name", 200),
                weekdays=self._weekdays(form_data),
                active=bool(form_data.get("active")),
            ),
            str(index),
        )

    @staff_event
    def change_price(self, form_data: dict):
        index = self._position_or_refuse(form_data.get("row"), len(self._service_ids))
        if index is None:
            return
        self._done(
            services_cases.change_price(
                self._actor(),
                now=clock.now(),
                service_id=self._service_ids[index],
                price=form_text(form_data, "price", 40),
                valid_from=form_text(form_data, "valid_from", 20),
            ),
            f"price{index}",
        )


class AdminCalendarState(StaffState):
    rows: list[dict[str, str]] = []
    service_names: list[str] = []
    school_year: str = ""
    success_message: str = ""
    error_message: str = ""
    errors: dict[str, str] = {}
    form_key: int = 0
    _service_ids: list[int] = []
    _closed_ids: list[list[int]] = []

    def _show_page(self, page: calendar_cases.CalendarPage) -> None:
        self.school_year = page.school_year
        self._closed_ids = [p.ids for p in page.periods]
        self.rows = [
            {
                "day": p.label,
                "kind": p.kind_label,
                "reason": p.reason,
                "service": p.service_name,
                "days": str(len(p.ids)),
            }
            for p in page.periods
        ]
        self._service_ids = [s.id for s in page.services]
        self.service_names = [s.name for s in page.services]

    def _done(self, result: Outcome[calendar_cases.CalendarPage]) -> None:
        self.errors = result.errors
        if result.ok:
            self.success_message, self.error_message = result.message, ""
            self.form_key += 1
            if result.page is not None:
                self._show_page(result.page)
        else:
            self.success_message, self.error_message = "", result.message

    @staff_event(on_load=True)
    def load(self):
        self.success_message = self.error_message = ""
        self.errors = {}
        self._show_page(calendar_cases.calendar_page(self._actor(), now=clock.now()))

    @staff_event
    def add_public_holidays(self):
        self._done(calendar_cases.add_public_holidays(self._actor(), now=clock.now()))

    @staff_event
    def add_school_holidays(self, form_data: dict):
        self._done(
            calendar_cases.add_school_holidays(
                self._actor(),
                now=clock.now(),
                label=form_text(form_data, "label", 300),
                first=form_text(form_data, "first", 20),
                last=form_text(form_data, "last", 20),
            )
        )

    @staff_event
    def close_day(self, form_data: dict):
        choice = form_text(form_data, "service", 10)
        service_id = None
        if choice:
            index = self._position_or_refuse(choice, len(self._service_ids))
            if index is None:
                return
            service_id = self._service_ids[index]
        self._done(
            calendar_cases.close_day(
                self._actor(),
                now=clock.now(),
                day=form_text(form_data, "day", 20),
                service_id=service_id,
                reason=form_text(form_data, "reason", 300),
                confirmed=bool(form_data.get("confirm")),
            )
        )

    @staff_event
    def delete_row(self, index: int):
        position = self._position_or_refuse(index, len(self._closed_ids))
        if position is None:
            return
        self._done(
            calendar_cases.delete_closed_days(self._actor(), now=clock.now(), closed_day_ids=self._closed_ids[position])
        )
