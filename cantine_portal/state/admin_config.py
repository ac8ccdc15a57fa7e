"""States of Paramètres, Prestations and Calendrier. Thin: the services decide and re-check."""

from __future__ import annotations

from datetime import timedelta

import reflex as rx

from cantine_portal import clock
from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.services.backoffice import calendar as admin_calendar
from cantine_portal.services.backoffice import prestations as admin_services
from cantine_portal.services.backoffice import settings as admin_settings
from cantine_portal.french import PARIS
from cantine_portal.infra.mail import Mailer
from cantine_portal.state.admin import StaffState, form_text


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

    def _read_payment_status(self, session) -> None:
        status = admin_settings.payment_status(session, self._structure_id, self._staff_account_id, get_settings())
        self.payment_notice, self.payment_ok = status.staff_message, status.ok

    @rx.event
    def load(self):
        self.success_message = self.error_message = ""
        self.errors = {}
        if self._require_staff() is None:
            return
        with get_database().session() as session:
            self.values = admin_settings.settings_values(session, self._structure_id, self._staff_account_id)
            self._read_payment_status(session)
        self.deadline_text = admin_settings.deadline_description(self.values)
        self.form_key += 1

    @rx.event
    def save(self, form_data: dict):
        if self._require_staff() is None:
            return self._staff_login_redirect()
        values = {name: form_text(form_data, name) for name in admin_settings.SETTINGS_FIELDS}
        for name in ("allow_family_edit", "allow_children_edit"):
            values[name] = "1" if form_data.get(name) else ""
        with get_database().write_session() as session:
            result = admin_settings.save_settings(session, clock.now(), structure_id=self._structure_id,
                                                  account_id=self._staff_account_id, values=values,
                                                  ip=self._client_ip(),
                                                  simulated_allowed=get_settings().simulated_bank_allowed)
            self._read_payment_status(session)
        self.values = values
        self.errors = result.errors
        if result.ok:
            self.success_message, self.error_message = result.message, ""
            self.deadline_text = admin_settings.deadline_description(values)
            self._load_portal()  # the header shows the (new) name at once
        else:
            self.success_message, self.error_message = "", result.message
        return None


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

    def _read(self) -> None:
        with get_database().session() as session:
            services = admin_services.list_services(session, self._structure_id, self._staff_account_id,
                                                    clock.now().astimezone(PARIS).date())
        self._service_ids = [s.id for s in services]
        rows = []
        for s in services:
            row = {"name": s.name, "weekdays_label": s.weekdays_label, "price_label": s.price_label,
                   "active": "1" if s.active else "", "status": "Active" if s.active else "Désactivée",
                   "prices": " ; ".join(f"{label} depuis le {d:%d/%m/%Y}" for d, label in reversed(s.prices))}
            for i, key in enumerate(WEEKDAY_KEYS):
                row[key] = "1" if i in s.weekdays else ""
            rows.append(row)
        self.rows = rows
        self.form_key += 1

    def _done(self, result) -> None:
        if result.ok:
            self.success_message, self.error_message, self.errors, self.error_row = result.message, "", {}, ""
            self._read()
        else:
            self.success_message, self.error_message, self.errors = "", result.message, result.errors

    @rx.event
    def load(self):
        self.success_message = self.error_message = self.error_row = ""
        self.errors = {}
        if self._require_staff() is None:
            return
        self._read()

    @staticmethod
    def _weekdays(form_data: dict) -> list[int]:
        return [i for i, key in enumerate(WEEKDAY_KEYS) if form_data.get(key)]

    @rx.event
    def create(self, form_data: dict):
        if self._require_staff() is None:
            return self._staff_login_redirect()
        with get_database().write_session() as session:
            result = admin_services.create_service(
                session, clock.now(), structure_id=self._structure_id, account_id=self._staff_account_id,
                name=form_text(form_data, "name", 200), weekdays=self._weekdays(form_data),
                price=form_text(form_data, "price", 40), ip=self._client_ip())
        self.error_row = "new"
        self._done(result)
        return None

    @rx.event
    def update(self, form_data: dict):
        if self._require_staff() is None:
            return self._staff_login_redirect()
        index = self._position_or_refuse(form_data.get("row"), len(self._service_ids))
        if index is None:
            return None
        result = self._staff_write_or_refuse(
            admin_services.update_service, service_id=self._service_ids[index], name=form_text(form_data, "name", 200),
            weekdays=self._weekdays(form_data), active=bool(form_data.get("active")))
        if result is None:
            return None
        self.error_row = str(index)
        self._done(result)
        return None

    @rx.event
    def change_price(self, form_data: dict):
        if self._require_staff() is None:
            return self._staff_login_redirect()
        index = self._position_or_refuse(form_data.get("row"), len(self._service_ids))
        if index is None:
            return None
        result = self._staff_write_or_refuse(
            admin_services.change_price, service_id=self._service_ids[index], price=form_text(form_data, "price", 40),
            valid_from=form_text(form_data, "valid_from", 20))
        if result is None:
            return None
        self.error_row = f"price{index}"
        self._done(result)
        return None


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

    def _read(self) -> None:
        today = clock.now().astimezone(PARIS).date()
        first, last = admin_calendar.school_year_bounds(today)
        self.school_year = f"{first.year}-{last.year}"
        with get_database().session() as session:
            rows = admin_calendar.list_closed_periods(session, self._structure_id, self._staff_account_id,
                                                      first, last + timedelta(days=365))
            services = admin_services.list_services(session, self._structure_id, self._staff_account_id)
        self._closed_ids = [r.ids for r in rows]
        self.rows = [{"day": r.label, "kind": r.kind_label, "reason": r.reason, "service": r.service_name,
                      "days": str(len(r.ids))} for r in rows]
        self._service_ids = [s.id for s in services if s.active]
        self.service_names = [s.name for s in services if s.active]

    def _done(self, result) -> None:
        self.errors = result.errors
        if result.ok:
            self.success_message, self.error_message = result.message, ""
            self.form_key += 1
            self._read()
        else:
            self.success_message, self.error_message = "", result.message

    @rx.event
    def load(self):
        self.success_message = self.error_message = ""
        self.errors = {}
        if self._require_staff() is None:
            return
        self._read()

    @rx.event
    def add_public_holidays(self):
        if self._require_staff() is None:
            return self._staff_login_redirect()
        with get_database().write_session() as session:
            result = admin_calendar.add_public_holidays(session, clock.now(), structure_id=self._structure_id,
                                                        account_id=self._staff_account_id, ip=self._client_ip())
        self._done(result)
        return None

    @rx.event
    def add_school_holidays(self, form_data: dict):
        if self._require_staff() is None:
            return self._staff_login_redirect()
        with get_database().write_session() as session:
            result = admin_calendar.add_school_holidays(
                session, clock.now(), structure_id=self._structure_id, account_id=self._staff_account_id,
                label=form_text(form_data, "label", 300), first=form_text(form_data, "first", 20),
                last=form_text(form_data, "last", 20), ip=self._client_ip())
        self._done(result)
        return None

    @rx.event
    def close_day(self, form_data: dict):
        if self._require_staff() is None:
            return self._staff_login_redirect()
        choice = form_text(form_data, "service", 10)
        service_id = None
        if choice:
            index = self._position_or_refuse(choice, len(self._service_ids))
            if index is None:
                return None
            service_id = self._service_ids[index]
        day = form_text(form_data, "day", 20)
        if not form_data.get("confirm"):
            # Paid days are cancelled and credited: say how many, and ask for the tick first.
            with get_database().session() as session:
                impact = admin_calendar.closure_impact(session, structure_id=self._structure_id,
                                                       account_id=self._staff_account_id, day=day,
                                                       service_id=service_id)
            if impact is not None and impact.paid:
                self.success_message = ""
                self.error_message = (f"Ce jour compte {impact.paid} réservation(s) payée(s) ({impact.families} "
                                      "famille(s)) : elles seront annulées et remboursées en avoir, et les familles "
                                      "prévenues par e-mail. Cochez la confirmation puis validez à nouveau.")
                self.errors = {"confirm": "Cochez pour confirmer l'annulation des réservations payées."}
                return None
        result = self._staff_write_or_refuse(admin_calendar.close_day, day=day, service_id=service_id,
                                             reason=form_text(form_data, "reason", 300), mailer=Mailer(get_settings()))
        if result is not None:
            self._done(result)
        return None

    @rx.event
    def delete_row(self, index: int):
        if self._require_staff() is None:
            return self._staff_login_redirect()
        position = self._position_or_refuse(index, len(self._closed_ids))
        if position is None:
            return None
        result = self._staff_write_or_refuse(admin_calendar.delete_closed_days,
                                             closed_day_ids=self._closed_ids[position])
        if result is not None:
            self._done(result)
        return None
