"""States of the grid editor (Prestations › Grilles), « Quotients familiaux » and « Aide cantine
à 1 € ». Thin: each handler makes one use-case call (usecases/backoffice/pricing.py) and copies
its result into vars; ids stay in backend-only lists, the browser only sends row positions."""

from __future__ import annotations

import reflex as rx

from cantine_portal import clock
from cantine_portal.french import format_euros
from cantine_portal.state.admin import StaffState, form_text
from cantine_portal.state.handlers import staff_event
from cantine_portal.state.offload import in_thread
from cantine_portal.state.upload_reset import clear_upload
from cantine_portal.usecases.backoffice import pricing as cases
from cantine_portal.usecases.backoffice.common import Outcome, ServiceChoice

QF_IMPORT_UPLOAD_ID = "import-qf-csv"
GRID_FIELDS = tuple(f"{k}_{i}" for i in range(cases.BRACKET_ROWS) for k in ("min", "max", "price")) + (
    "no_qf",
    "outside",
    "sibling_percent",
    "sibling_from_rank",
    "valid_from",
    "preview_qf",
)


class AdminGridsState(StaffState):
    service_names: list[str] = []
    service_choice: str = "0"
    history: list[dict[str, str]] = []
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    preview: str = ""
    verdict: str = ""
    verdict_ok: bool = False
    checked: bool = False
    success_message: str = ""
    error_message: str = ""
    form_key: int = 0
    _service_ids: list[int] = []
    _checked_values: dict[str, str] = {}

    def _show(self, page: cases.GridsPage) -> None:
        self._service_ids = [s.id for s in page.services]
        self.service_names = [s.name for s in page.services]
        self.service_choice = str(page.service_index)
        self.history = [
            {"from": g.valid_from, "lines": " ; ".join(g.lines), "verdict": g.verdict} for g in page.history
        ]
        self.values = page.values
        self.checked, self.preview, self.verdict, self.errors = False, "", "", {}
        self.form_key += 1

    @staff_event(on_load=True)
    def load(self):
        self.success_message = self.error_message = ""
        self._show(cases.grids_page(self._actor(), now=clock.now()))

    @staff_event
    def choose_service(self, value: str):
        index = self._position_or_refuse(value, len(self._service_ids))
        if index is None:
            return
        self.success_message = self.error_message = ""
        self._show(cases.grids_page(self._actor(), now=clock.now(), service_index=index))

    @staff_event
    def check(self, form_data: dict):
        """« Vérifier »: errors next to the fields, or the preview and the « cantine à 1 € » verdict."""
        values = {name: form_text(form_data, name, 40) for name in GRID_FIELDS}
        result = cases.check_grid(self._actor(), now=clock.now(), values=values)
        self.values, self.errors, self.success_message = values, result.errors, ""
        self.checked, self.preview, self.verdict = result.ok, result.preview, result.verdict
        self.verdict_ok = result.verdict.startswith("Cette grille remplit")
        self.error_message = "" if result.ok else result.message
        self._checked_values = values if result.ok else {}

    @staff_event
    def save(self):
        """Saves the grid last checked (the page shows what it is)."""
        index = self._position_or_refuse(self.service_choice, len(self._service_ids))
        if index is None or not self._checked_values:
            return
        result: Outcome[cases.GridsPage] = cases.save_grid(
            self._actor(),
            now=clock.now(),
            service_id=self._service_ids[index],
            service_index=index,
            values=self._checked_values,
        )
        if result.ok and result.page is not None:
            self._show(result.page)
            self.success_message, self.error_message = result.message, ""
        else:
            self.errors, self.checked = result.errors, False
            self.success_message, self.error_message = "", result.message


def _input(form_data: dict) -> cases.QuotientInput:
    return cases.QuotientInput(
        form_text(form_data, "qf", 20),
        form_text(form_data, "source", 20),
        form_text(form_data, "valid_from", 20),
        form_text(form_data, "valid_to", 20),
    )


class AdminQuotientsState(StaffState):
    families: list[dict[str, str]] = []
    family_names: list[str] = []
    attestations: list[dict[str, str]] = []
    expiring: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    error_row: str = ""
    success_message: str = ""
    error_message: str = ""
    import_ok: bool = False
    import_messages: list[str] = []
    form_key: int = 0
    _family_ids: list[int] = []
    _document_ids: list[int] = []

    def _show(self, page: cases.QuotientsPage) -> None:
        self._family_ids = [f.family_id for f in page.families]
        self.family_names = [f"{f.name} ({f.reference})" if f.reference else f.name for f in page.families]
        self.families = [
            {"name": f.name, "reference": f.reference, "qf": f.qf_today, "outside": f.outside} for f in page.families
        ]
        self._document_ids = [a.document_id for a in page.attestations]
        self.attestations = [
            {
                "family": a.family_name,
                "sent": a.sent_on,
                "kind": a.file_kind,
                "href": f"/api/{self.portal_slug}/admin/quotients/attestations/{a.document_id}",
            }
            for a in page.attestations
        ]
        self.expiring = [{"family": e.family_name, "qf": e.qf_label, "to": e.valid_to} for e in page.expiring]
        self.form_key += 1

    def _done(self, result: Outcome[cases.QuotientsPage], row: str) -> None:
        self.errors, self.error_row = result.errors, row
        if result.ok:
            self.success_message, self.error_message = result.message, ""
            if result.page is not None:
                self._show(result.page)
        else:
            self.success_message, self.error_message = "", result.message

    @staff_event(on_load=True)
    def load(self):
        self.success_message = self.error_message = self.error_row = ""
        self.errors, self.import_messages = {}, []
        self._show(cases.quotients_page(self._actor(), now=clock.now()))

    @staff_event
    def add(self, form_data: dict):
        index = self._position_or_refuse(form_data.get("family"), len(self._family_ids))
        if index is None:
            return
        self._done(
            cases.add_quotient(
                self._actor(), now=clock.now(), family_id=self._family_ids[index], data=_input(form_data)
            ),
            "new",
        )

    @staff_event
    def accept(self, form_data: dict):
        index = self._position_or_refuse(form_data.get("row"), len(self._document_ids))
        if index is None:
            return
        self._done(
            cases.accept_attestation(
                self._actor(), now=clock.now(), document_id=self._document_ids[index], data=_input(form_data)
            ),
            f"att{index}",
        )

    @staff_event
    def refuse(self, form_data: dict):
        index = self._position_or_refuse(form_data.get("row"), len(self._document_ids))
        if index is None:
            return
        self._done(
            cases.refuse_attestation(
                self._actor(),
                now=clock.now(),
                document_id=self._document_ids[index],
                message=form_text(form_data, "message", 2000),
            ),
            f"ref{index}",
        )

    @staff_event
    def set_outside(self, form_data: dict):
        index = self._position_or_refuse(form_data.get("row"), len(self._family_ids))
        if index is None:
            return
        choice = {"": None, "1": True, "0": False}.get(form_text(form_data, "outside", 2), None)
        self._done(
            cases.set_outside_commune(
                self._actor(), now=clock.now(), family_id=self._family_ids[index], outside=choice
            ),
            f"out{index}",
        )

    @staff_event
    async def import_csv(self, files: list[rx.UploadFile]):
        self.import_messages, self.import_ok = [], False
        if len(files) != 1:
            self.import_messages = ["Choisissez un fichier CSV (un seul)."]
            return clear_upload(QF_IMPORT_UPLOAD_ID)
        data = files[0].file.read(cases.CSV_MAX_BYTES + 1)
        actor, now = self._actor(), clock.now()
        result = await in_thread(lambda: cases.import_quotients(actor, now=now, data=data))
        self.import_ok, self.import_messages = result.ok, result.messages
        if result.page is not None:
            self._show(result.page)
        return clear_upload(QF_IMPORT_UPLOAD_ID)


class AdminClaimState(StaffState):
    service_names: list[str] = []
    period_values: list[str] = []
    period_labels: list[str] = []
    service_choice: str = "0"
    period: str = ""
    egalim: bool = False
    rows: list[dict[str, str]] = []
    total_meals: str = "0"
    total_amount: str = ""
    aid_per_meal: str = ""
    csv_href: str = ""
    pdf_href: str = ""
    error_message: str = ""
    form_key: int = 0
    _service_ids: list[int] = []

    def _show(self, services: list[ServiceChoice], claim: cases.Claim | None, index: int) -> None:
        self._service_ids = [s.id for s in services]
        self.service_names = [s.name for s in services]
        self.service_choice = str(max(0, min(index, len(services) - 1)))
        self.rows, self.csv_href, self.pdf_href = [], "", ""
        if claim is None:
            return
        self.rows = [
            {"month": r.month, "school": r.school, "meals": str(r.meals), "amount": format_euros(r.amount_cents)}
            for r in claim.rows
        ]
        self.total_meals, self.total_amount = str(claim.meals), format_euros(claim.amount_cents)
        self.aid_per_meal = format_euros(claim.aid_per_meal_cents)
        query = (
            f"?prestation={self._service_ids[int(self.service_choice)]}&periode={self.period}"
            f"&egalim={'1' if self.egalim else '0'}"
        )
        base = f"/api/{self.portal_slug}/admin/aide-cantine-1-euro"
        self.csv_href, self.pdf_href = base + ".csv" + query, base + ".pdf" + query

    @staff_event(on_load=True)
    def load(self):
        self.error_message = ""
        periods = cases.claim_periods(clock.now())
        self.period_values = [f"{p.year}-{p.part}" for p in periods]
        self.period_labels = [p.label for p in periods]
        self.period, self.egalim = self.period_values[0], False
        services, claim = cases.claim_page(self._actor(), service_index=0, period=self.period, egalim=False)
        self._show(services, claim, 0)
        self.form_key += 1

    @staff_event
    def show(self, form_data: dict):
        """The figures for the service, the period and the EGAlim choice of the form."""
        index = self._position_or_refuse(form_data.get("service"), len(self._service_ids))
        period = form_text(form_data, "period", 10)
        if index is None:
            return
        self.error_message = ""
        egalim = bool(form_data.get("egalim"))
        services, claim = cases.claim_page(self._actor(), service_index=index, period=period, egalim=egalim)
        self.period, self.egalim = period, egalim
        self._show(services, claim, index)
