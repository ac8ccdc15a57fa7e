"""State of the « Régie » page: the journal of a day or a month, its totals, its downloads and its
closure. Each handler makes one use-case call (usecases/backoffice/regie.py)."""

from __future__ import annotations

from datetime import date

from cantine_portal import clock
from cantine_portal.french import format_euros, format_paris_datetime
from cantine_portal.services.regie import journal
from cantine_portal.state.admin import StaffState, form_text
from cantine_portal.state.handlers import staff_event
from cantine_portal.usecases.backoffice import regie as cases

KINDS = ("day", "month")


def _parse_day(raw: str) -> date | None:
    """The date the form sent (YYYY-MM-DD, or YYYY-MM for a month); None when unreadable."""
    text = raw.strip()
    try:
        return date.fromisoformat(text if len(text) != 7 else text + "-01")
    except ValueError:
        return None


class AdminRegieState(StaffState):
    kind: str = "day"
    day: str = ""
    title: str = ""
    rows: list[list[str]] = []
    totals: list[list[str]] = []
    summary: list[str] = []
    closed: bool = False
    closed_label: str = ""
    confirming: bool = False
    csv_url: str = ""
    pdf_url: str = ""
    success_message: str = ""
    error_message: str = ""
    errors: dict[str, str] = {}

    def _show(self, page: cases.JournalPage) -> None:
        j = page.journal
        self.title = page.title
        self.rows = [list(row) for row in journal.journal_rows(j)]
        self.totals = [[journal.channel_label(c), format_euros(v)] for c, v in j.totals.items()]
        self.summary = [
            f"{j.receipts_count} reçu(s) émis pour {format_euros(j.receipts_cents)} ; encaissements avec reçu : "
            f"{format_euros(j.receipted_cents)}" + (" (concordant)" if j.reconciled else " (ÉCART)"),
            f"Solde net de la période : {format_euros(j.net_cents)}",
            journal.credit_summary(j),
        ]
        self.closed = page.closed
        self.closed_label = (
            ""
            if not page.closed or page.closed_at is None
            else "Période clôturée le "
            + format_paris_datetime(page.closed_at)
            + ("" if page.intact else " — ÉCART avec les totaux figés")
        )
        query = f"?periode={self.kind}&jour={page.first_day.isoformat()}"
        self.csv_url = f"/api/{self.portal_slug}/admin/journal.csv{query}"
        self.pdf_url = f"/api/{self.portal_slug}/admin/journal.pdf{query}&telecharger=1"

    def _period(self) -> date:
        return _parse_day(self.day) or cases.today(clock.now())

    @staff_event(on_load=True)
    def load(self):
        self.success_message = self.error_message = ""
        self.errors, self.confirming = {}, False
        if not self.day:
            self.day = cases.today(clock.now()).isoformat()
        self._show(cases.journal_page(self._actor(), kind=self.kind, day=self._period()))

    @staff_event
    def show(self, form_data: dict):
        kind, raw = form_text(form_data, "kind", 10), form_text(form_data, "day", 10)
        day = _parse_day(raw)
        self.success_message = self.error_message = ""
        self.confirming = False
        if kind not in KINDS or day is None:
            self.errors = (
                {"day": "Date invalide (par exemple 27/11/2026)."}
                if day is None
                else {"kind": "Choisissez « Jour » ou « Mois »."}
            )
            return
        self.errors, self.kind, self.day = {}, kind, day.isoformat()
        self._show(cases.journal_page(self._actor(), kind=kind, day=day))

    @staff_event
    def ask_close(self):
        """First click: the confirmation (nothing closes yet)."""
        self.confirming = not self.closed
        self.success_message = self.error_message = ""

    @staff_event
    def cancel_close(self):
        self.confirming = False

    @staff_event
    def confirm_close(self):
        if not self.confirming:
            return
        self.confirming = False
        outcome, page = cases.close_and_show(self._actor(), now=clock.now(), kind=self.kind, day=self._period())
        self.success_message, self.error_message = (outcome.message, "") if outcome.ok else ("", outcome.message)
        self._show(page)
