"""States of Familles (list, search, creation, CSV import) and of one family's page."""

from __future__ import annotations

import reflex as rx

from cantine_portal import clock
from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.services.backoffice import families as admin_families
from cantine_portal.services.backoffice import csv_import
from cantine_portal.services.families import family as family_rules
from cantine_portal.services.backoffice.access import NotAllowed
from cantine_portal.infra.mail import Mailer
from cantine_portal.state.admin import MSG_REFUSED, StaffState, form_text
from cantine_portal.state.upload_reset import clear_upload

IMPORT_UPLOAD_ID = "import-csv"
GUARDIAN_KEYS = family_rules.GUARDIAN_FIELDS
CHILD_KEYS = ("last_name", "first_name", "birth_date", "school", "class_name", "diet", "pai", "pai_notes")


class AdminFamiliesState(StaffState):
    query: str = ""
    rows: list[dict[str, str]] = []
    success_message: str = ""
    error_message: str = ""
    errors: dict[str, str] = {}
    import_message: str = ""
    import_ok: bool = False
    import_errors: list[str] = []
    form_key: int = 0

    def _read(self) -> None:
        with get_database().session() as session:
            found = admin_families.search_families(session, self._structure_id, self._staff_account_id, self.query)
        slug = self.portal_slug
        self.rows = [{"name": r.name, "reference": r.reference, "guardians": r.guardians, "emails": r.emails,
                      "children": r.children, "account": r.account,
                      "href": f"/{slug}/admin/famille?id={r.id}"} for r in found]

    @rx.event
    def load(self):
        self.success_message = self.error_message = self.import_message = ""
        self.import_errors, self.errors = [], {}
        if self.require_staff() is None:
            return
        self._read()

    @rx.event
    def search(self, form_data: dict):
        if self.require_staff() is None:
            return self.staff_login_redirect()
        self.query = form_text(form_data, "q", 100)
        self._read()
        return None

    @rx.event
    def create(self, form_data: dict):
        if self.require_staff() is None:
            return self.staff_login_redirect()
        settings = get_settings()
        guardian = {key: form_text(form_data, key, 300) for key in ("civility", "last_name", "first_name", "email",
                                                                "mobile", "address_line", "postal_code", "city")}
        with get_database().write_session() as session:
            result = admin_families.create_family(
                session, clock.now(), structure_id=self._structure_id, account_id=self._staff_account_id,
                name=form_text(form_data, "family_name", 200), reference=form_text(form_data, "reference", 60),
                guardian=guardian, mailer=Mailer(settings), base_url=settings.base_url,
                invite=bool(form_data.get("invite")), ip=self.client_ip())
        self.errors = result.errors
        if result.ok:
            self.success_message, self.error_message = result.message, ""
            self.form_key += 1
            self._read()
        else:
            self.success_message, self.error_message = "", result.message
        return None

    @rx.event
    async def import_csv(self, files: list[rx.UploadFile]):
        if self.require_staff() is None:
            return self.staff_login_redirect()
        self.import_errors, self.import_ok = [], False
        if len(files) != 1:
            self.import_message = "Choisissez un fichier CSV (un seul)."
            return clear_upload(IMPORT_UPLOAD_ID)
        data = files[0].file.read(csv_import.MAX_BYTES + 1)
        settings = get_settings()
        with get_database().write_session() as session:
            result = csv_import.import_families(
                session, clock.now(), structure_id=self._structure_id, account_id=self._staff_account_id,
                data=data, mailer=Mailer(settings), base_url=settings.base_url, ip=self.client_ip())
        self.import_ok = result.ok
        self.import_message = result.message
        self.import_errors = [str(e) for e in result.errors]
        if result.ok:
            self._read()
        return clear_upload(IMPORT_UPLOAD_ID)


class AdminFamilyState(StaffState):
    """One family: identity, guardians, children (editable), and read-only money summaries."""

    found: bool = False
    family_name: str = ""
    reference: str = ""
    accounts: list[str] = []
    guardians: list[dict[str, str]] = []
    children: list[dict[str, str]] = []
    service_names: list[str] = []
    # per child: "1"/"" per service, in service_names order
    child_services: list[list[str]] = []
    diets: list[str] = []
    basket_lines: list[dict[str, str]] = []
    reservations: list[dict[str, str]] = []
    credit_balance: str = ""
    credits: list[dict[str, str]] = []
    payments: list[dict[str, str]] = []
    receipts: list[dict[str, str]] = []
    success_message: str = ""
    error_message: str = ""
    errors: dict[str, str] = {}
    # which form the errors belong to: "family", "g0", "gnew", "c1", "cnew"
    error_form: str = ""
    form_key: int = 0
    _family_id: int | None = None
    _guardian_ids: list[int] = []
    _guardian_versions: list[int] = []
    _child_ids: list[int] = []
    _child_versions: list[int] = []
    _service_ids: list[int] = []

    def _read(self) -> None:
        with get_database().session() as session:
            summary = admin_families.family_summary(session, self._structure_id, self._staff_account_id,
                                                    self._family_id)
            diets = family_rules.diet_choices(session, self._structure_id)
        self.found = True
        self.family_name, self.reference, self.accounts = summary.name, summary.reference, summary.accounts
        self._guardian_ids = [g.id for g in summary.guardians]
        self._guardian_versions = [g.version for g in summary.guardians]
        self.guardians = [{**{k: str(getattr(g, k) or "") for k in GUARDIAN_KEYS},
                           "login": "1" if g.id in summary.guardian_logins else ""} for g in summary.guardians]
        self._child_ids = [c.id for c in summary.children]
        self._child_versions = [c.version for c in summary.children]
        self.children = [{**family_rules.child_form_values(c)} for c in summary.children]
        active = [s for s in summary.services if s.active]
        self._service_ids = [s.id for s in active]
        self.service_names = [s.name for s in active]
        self.child_services = [["1" if s.id in summary.enrollments.get(c.id, set()) else "" for s in active]
                               for c in summary.children]
        self.diets = diets
        self.basket_lines, self.reservations = summary.basket_lines, summary.reservations
        self.credit_balance, self.credits = summary.credit_balance, summary.credits
        self.payments, self.receipts = summary.payments, summary.receipts
        self.form_key += 1

    def _refuse(self) -> None:
        self.found = False
        self.error_message = MSG_REFUSED

    @rx.event
    def load(self):
        self.success_message = self.error_message = self.error_form = ""
        self.errors = {}
        self.found = False
        if self.require_staff() is None:
            return
        raw = str(self.router.url.query_parameters.get("id", ""))
        self._family_id = int(raw) if raw.isdigit() and len(raw) < 12 else None
        try:
            self._read()
        except NotAllowed:
            self._refuse()

    def _result(self, result, form: str) -> None:
        self.errors, self.error_form = result.errors, form
        if result.ok:
            self.success_message, self.error_message = result.message, ""
            self._read()
        else:
            self.success_message, self.error_message = "", result.message
            if getattr(result, "conflict", False):
                self._read()

    @rx.event
    def save_family(self, form_data: dict):
        if self.require_staff() is None:
            return self.staff_login_redirect()
        try:
            with get_database().write_session() as session:
                result = admin_families.update_family(
                    session, clock.now(), structure_id=self._structure_id, account_id=self._staff_account_id,
                    family_id=self._family_id, name=form_text(form_data, "family_name", 200),
                    reference=form_text(form_data, "reference", 60), ip=self.client_ip())
        except NotAllowed:
            self._refuse()
            return None
        self._result(result, "family")
        return None

    @rx.event
    def save_guardian(self, form_data: dict):
        if self.require_staff() is None:
            return self.staff_login_redirect()
        row = str(form_data.get("row", ""))
        guardian_id = version = None
        if row != "new":
            index = self._position_or_refuse(row, len(self._guardian_ids))
            if index is None:
                return None
            guardian_id, version = self._guardian_ids[index], self._guardian_versions[index]
        values = {key: form_text(form_data, key, 300) for key in GUARDIAN_KEYS}
        try:
            with get_database().write_session() as session:
                result = admin_families.save_guardian(
                    session, clock.now(), structure_id=self._structure_id, account_id=self._staff_account_id,
                    family_id=self._family_id, guardian_id=guardian_id, expected_version=version, values=values,
                    ip=self.client_ip())
        except NotAllowed:
            self._refuse()
            return None
        self._result(result, "g" + row)
        return None

    @rx.event
    def save_child(self, form_data: dict):
        if self.require_staff() is None:
            return self.staff_login_redirect()
        row = str(form_data.get("row", ""))
        child_id = version = None
        if row != "new":
            index = self._position_or_refuse(row, len(self._child_ids))
            if index is None:
                return None
            child_id, version = self._child_ids[index], self._child_versions[index]
        values = {key: form_text(form_data, key) for key in CHILD_KEYS}
        values["pai"] = "1" if form_data.get("pai") else ""
        service_ids = {sid for i, sid in enumerate(self._service_ids) if form_data.get(f"service{i}")}
        try:
            with get_database().write_session() as session:
                result = admin_families.save_child(
                    session, clock.now(), structure_id=self._structure_id, account_id=self._staff_account_id,
                    family_id=self._family_id, child_id=child_id, expected_version=version, values=values,
                    service_ids=service_ids, ip=self.client_ip())
        except NotAllowed:
            self._refuse()
            return None
        self._result(result, "c" + row)
        return None

    @rx.event
    def invite(self):
        if self.require_staff() is None:
            return self.staff_login_redirect()
        settings = get_settings()
        try:
            with get_database().write_session() as session:
                result = admin_families.invite_family(
                    session, clock.now(), structure_id=self._structure_id, account_id=self._staff_account_id,
                    family_id=self._family_id, mailer=Mailer(settings), base_url=settings.base_url)
        except NotAllowed:
            self._refuse()
            return None
        self._result(result, "invite")
        return None
