"""State of the money block of a family's back-office page: its ledger with a running balance, and
the régie's forms (counter payment, unpaid cheque, refund of the credit). Each handler makes one
use-case call (usecases/backoffice/regie.py). Each form carries an idempotency key made when the
form is shown and kept in a backend var: a double click records one payment, one refund."""

from __future__ import annotations

import secrets

from cantine_portal import clock
from cantine_portal.french import format_euros, format_paris_datetime
from cantine_portal.state.admin import StaffState, form_text
from cantine_portal.state.admin_families import AdminFamilyState
from cantine_portal.state.handlers import staff_event
from cantine_portal.usecases.backoffice import regie as cases

COUNTER_LIMITS = {
    "method": 20,
    "amount": 20,
    "bank": 80,
    "cheque_number": 40,
    "cesu_numbers": 2000,
    "cesu_count": 4,
    "transfer_reference": 80,
}


def _key() -> str:
    return secrets.token_urlsafe(24)


class AdminFamilyMoneyState(StaffState):
    ledger: list[dict[str, str]] = []
    balance: str = ""
    basket_total: str = ""  # what the open basket costs (after the credit); "" without one
    # which form the messages belong to: "counter", "reject", "refund"
    form: str = ""
    success_message: str = ""
    error_message: str = ""
    errors: dict[str, str] = {}
    method: str = "especes"
    form_key: int = 0
    _family_id: int | None = None
    _counter_ids: list[int] = []  # per ledger line: the counter payment (0: none)
    _counter_key: str = ""
    _refund_key: str = ""

    def _show(self, money: cases.FamilyMoney) -> None:
        self._counter_ids = [line.counter_payment_id or 0 for line in money.lines]
        self.ledger = [
            {
                "date": format_paris_datetime(line.at),
                "kind": line.kind[:1].upper() + line.kind[1:],
                "label": line.label,
                "paid": format_euros(line.paid_cents) if line.paid_cents else "",
                "credit": format_euros(line.credit_cents) if line.credit_cents else "",
                "balance": format_euros(line.balance_cents),
                "rejectable": "1" if line.rejectable else "",
            }
            for line in money.lines
        ]
        self.balance = format_euros(money.balance_cents)
        total = money.basket_total_cents
        self.basket_total = format_euros(total) if total is not None and total > 0 else ""
        self._counter_key, self._refund_key = _key(), _key()  # a new form, a new key
        self.form_key += 1

    def _after(self, outcome: cases.RegieOutcome, form: str) -> None:
        self.form, self.errors = form, outcome.errors
        self.success_message, self.error_message = (outcome.message, "") if outcome.ok else ("", outcome.message)

    @staff_event(on_load=True)
    def load(self):
        self.form = self.success_message = self.error_message = ""
        self.errors, self.method = {}, "especes"
        raw = str(self.router.url.query_parameters.get("id", ""))
        self._family_id = int(raw) if raw.isdigit() and len(raw) < 12 else None
        self._show(cases.family_money(self._actor(), family_id=self._family_id, now=clock.now()))

    @staff_event
    def refresh(self):
        """After a recorded form: the ledger again, the message kept, fresh idempotency keys."""
        self._show(cases.family_money(self._actor(), family_id=self._family_id, now=clock.now()))

    @staff_event
    def set_method(self, value: str):
        """The method select shows the fields of that method (cheque: bank and number…)."""
        self.method = value if value in ("especes", "cheque", "cesu", "virement") else "especes"

    @staff_event
    def record_payment(self, form_data: dict):
        form = {name: form_text(form_data, name, limit) for name, limit in COUNTER_LIMITS.items()}
        outcome = cases.counter_payment_form(
            self._actor(),
            now=clock.now(),
            family_id=self._family_id,
            pay_basket=form_text(form_data, "target", 10) == "basket",
            form=form,
            key=self._counter_key,
        )
        self._after(outcome, "counter")
        if outcome.ok:  # the family's basket, reservations and receipts changed too
            return [AdminFamilyMoneyState.refresh, AdminFamilyState.load]
        return None

    @staff_event
    def reject_cheque(self, form_data: dict):
        index = self._position_or_refuse(form_data.get("row", ""), len(self._counter_ids))
        if index is None or not self._counter_ids[index]:
            self.form, self.success_message = "reject", ""
            self.error_message = self.error_message or "Action refusée."
            return None
        outcome = cases.reject_cheque(
            self._actor(),
            now=clock.now(),
            counter_payment_id=self._counter_ids[index],
            reason=form_text(form_data, "reason", 200),
        )
        self._after(outcome, "reject")
        return [AdminFamilyMoneyState.refresh] if outcome.ok else None

    @staff_event
    def refund(self, form_data: dict):
        outcome = cases.refund_credit(
            self._actor(),
            now=clock.now(),
            family_id=self._family_id or 0,
            amount=form_text(form_data, "amount", 20),
            method=form_text(form_data, "method", 20),
            reference=form_text(form_data, "reference", 80),
            reason=form_text(form_data, "reason", 200),
            key=self._refund_key,
        )
        self._after(outcome, "refund")
        return [AdminFamilyMoneyState.refresh] if outcome.ok else None
