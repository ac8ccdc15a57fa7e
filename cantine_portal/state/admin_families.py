"""States of Familles (list, search, creation, CSV import) and of one family's page. Each handler
makes one use-case call (usecases/backoffice/families.py); ids stay in backend-only lists."""

from __future__ import annotations

import reflex as rx

from cantine_portal import clock
from cantine_portal.state.admin import StaffState, form_text
from cantine_portal.state.handlers import staff_event
from cantine_portal.state.offload import in_thread
from cantine_portal.state.upload_reset import clear_upload
from cantine_portal.usecases.backoffice import families as cases
from cantine_portal.usecases.backoffice.common import Outcome

IMPORT_UPLOAD_ID = "import-csv"
GUARDIAN_KEYS = cases.GUARDIAN_KEYS
CHILD_KEYS = ("last_name", "first_name", "birth_date", "school", "class_name", "diet", "pai", "pai_notes")
NEW_GUARDIAN_KEYS = ("civility", "last_name", "first_name", "email", "mobile", "address_line", "postal_code", "city")


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

    def _show_rows(self, found: list[cases.FamilyRow]) -> None:
        slug = self.portal_slug
        self.rows = [
            {
                "name": r.name,
                "reference": r.reference,
                "guardians": r.guardians,
                "emails": r.emails,
                "children": r.children,
                "account": r.account,
                "href": f"/{slug}/admin/famille?id={r.id}",
            }
            for r in found
        ]

    @staff_event(on_load=True)
    def load(self):
        self.success_message = self.error_message = self.import_message = ""
        self.import_errors, self.errors = [], {}
        self._show_rows(cases.families_page(self._actor(), query=self.query))

    @staff_event
    def search(self, form_data: dict):
        self.query = form_text(form_data, "q", 100)
        self._show_rows(cases.families_page(self._actor(), query=self.query))

    @staff_event
    def create(self, form_data: dict):
        result = cases.create_family(
            self._actor(),
            now=clock.now(),
            name=form_text(form_data, "family_name", 200),
            reference=form_text(form_data, "reference", 60),
            guardian={key: form_text(form_data, key, 300) for key in NEW_GUARDIAN_KEYS},
            invite=bool(form_data.get("invite")),
            query=self.query,
        )
        self.errors = result.errors
        if result.ok:
            self.success_message, self.error_message = result.message, ""
            self.form_key += 1
            self._show_rows(result.page or [])
        else:
            self.success_message, self.error_message = "", result.message

    @staff_event
    async def import_csv(self, files: list[rx.UploadFile]):
        self.import_errors, self.import_ok = [], False
        if len(files) != 1:
            self.import_message = "Choisissez un fichier CSV (un seul)."
            return clear_upload(IMPORT_UPLOAD_ID)
        data = files[0].file.read(cases.CSV_MAX_BYTES + 1)
        actor, now, query = self._actor(), clock.now(), self.query
        result = await in_thread(lambda: cases.import_families(actor, now=now, data=data, query=query))
        self.import_ok = result.ok
        self.import_message = result.message
        self.import_errors = result.errors
        if result.page is not None:
            self._show_rows(result.page)
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

    def _show_page(self, page: cases.FamilyPage) -> None:
        self.found = True
        self.family_name, self.reference, self.accounts = page.name, page.reference, page.accounts
        self._guardian_ids = [g.id for g in page.guardians]
        self._guardian_versions = [g.version for g in page.guardians]
        self.guardians = [{**g.values, "login": "1" if g.has_login else ""} for g in page.guardians]
        self._child_ids = [c.id for c in page.children]
        self._child_versions = [c.version for c in page.children]
        self.children = [dict(c.values) for c in page.children]
        self._service_ids = [s.id for s in page.services]
        self.service_names = [s.name for s in page.services]
        self.child_services = [["1" if s.id in c.service_ids else "" for s in page.services] for c in page.children]
        self.diets = page.diets
        self.basket_lines, self.reservations = page.basket_lines, page.reservations
        self.credit_balance, self.credits = page.credit_balance, page.credits
        self.payments, self.receipts = page.payments, page.receipts
        self.form_key += 1

    def _show_refusal(self, message: str) -> None:
        """A family of another commune (or gone): nothing of it stays on screen."""
        self.found = False
        self.error_message = message

    @staff_event(on_load=True)
    def load(self):
        self.success_message = self.error_message = self.error_form = ""
        self.errors = {}
        self.found = False
        raw = str(self.router.url.query_parameters.get("id", ""))
        self._family_id = int(raw) if raw.isdigit() and len(raw) < 12 else None
        self._show_page(cases.family_page(self._actor(), family_id=self._family_id))

    def _result(self, result: Outcome[cases.FamilyPage], form: str) -> None:
        self.errors, self.error_form = result.errors, form
        if result.ok:
            self.success_message, self.error_message = result.message, ""
        else:
            self.success_message, self.error_message = "", result.message
        if result.page is not None:  # saved, or someone else saved first: show the database again
            self._show_page(result.page)

    @staff_event
    def save_family(self, form_data: dict):
        self._result(
            cases.update_family(
                self._actor(),
                now=clock.now(),
                family_id=self._family_id,
                name=form_text(form_data, "family_name", 200),
                reference=form_text(form_data, "reference", 60),
            ),
            "family",
        )

    @staff_event
    def save_guardian(self, form_data: dict):
        row = str(form_data.get("row", ""))
        guardian_id = version = None
        if row != "new":
            index = self._position_or_refuse(row, len(self._guardian_ids))
            if index is None:
                return
            guardian_id, version = self._guardian_ids[index], self._guardian_versions[index]
        self._result(
            cases.save_guardian(
                self._actor(),
                now=clock.now(),
                family_id=self._family_id,
                guardian_id=guardian_id,
                expected_version=version,
                values={key: form_text(form_data, key, 300) for key in GUARDIAN_KEYS},
            ),
            "g" + row,
        )

    @staff_event
    def save_child(self, form_data: dict):
        row = str(form_data.get("row", ""))
        child_id = version = None
        if row != "new":
            index = self._position_or_refuse(row, len(self._child_ids))
            if index is None:
                return
            child_id, version = self._child_ids[index], self._child_versions[index]
        values = {key: form_text(form_data, key) for key in CHILD_KEYS}
        values["pai"] = "1" if form_data.get("pai") else ""
        service_ids = {sid for i, sid in enumerate(self._service_ids) if form_data.get(f"service{i}")}
        self._result(
            cases.save_child(
                self._actor(),
                now=clock.now(),
                family_id=self._family_id,
                child_id=child_id,
                expected_version=version,
                values=values,
                service_ids=service_ids,
            ),
            "c" + row,
        )

    @staff_event
    def invite(self):
        self._result(cases.invite_family(self._actor(), now=clock.now(), family_id=self._family_id), "invite")
