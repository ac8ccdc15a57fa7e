"""States of the payment pages: the simulated bank, the return page (ticket), the receipts.

Each handler makes one call to ``usecases/payments.py`` and copies the result. The simulated bank
is not a portal page (a bank knows only its payment session, not the parent's login): its load is a
plain database handler, and its buttons post the signed notification to the portal's own route
over HTTP, as a real bank's server would.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass

import httpx
import reflex as rx

from cantine_portal import clock
from cantine_portal.config import get_settings
from cantine_portal.french import format_euros, format_long_date, format_paris_date, format_paris_datetime
from cantine_portal.services.payments.fulfilment import SIMULATED_SESSION_ENDED
from cantine_portal.state.auth import AuthState
from cantine_portal.state.handlers import parent_event
from cantine_portal.state.offload import db_event
from cantine_portal.usecases import debt, payments
from cantine_portal.usecases.payments import PaymentReturn

# One HTTP client per event loop for the bank's notifications: creating one per payment cost
# about 20 ms of CPU on the event loop (a TLS context with the system's certificates), and a kept
# connection saves the TCP handshake too.
_bank_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = weakref.WeakKeyDictionary()


def _bank_client() -> httpx.AsyncClient:
    loop = asyncio.get_running_loop()
    client = _bank_clients.get(loop)
    if client is None:
        client = _bank_clients[loop] = httpx.AsyncClient(timeout=20)
    return client


BANK_DISABLED_MESSAGE = (
    "La banque simulée est désactivée sur ce serveur : aucun paiement ne peut y être fait. "
    "Retournez sur le portail de votre commune."
)


class SimulatedBankState(rx.State):
    """The embedded bank's page. It knows only the payment session's random id."""

    bank_status: str = "loading"  # loading | open | closed | unknown
    commune_label: str = ""
    amount_label: str = ""
    reference: str = ""
    error_message: str = ""
    _session_id: str = ""
    _amount_cents: int = 0
    _return_path: str = ""

    @db_event
    def load_bank(self):
        self._session_id = self.router.url.path.rstrip("/").rsplit("/", 1)[-1][:100]
        self.error_message = ""
        if not get_settings().simulated_bank_allowed:  # production: this bank moves no money
            self.bank_status, self.error_message = "closed", BANK_DISABLED_MESSAGE
            return
        page = payments.simulated_bank_page(self._session_id)
        if page is None:
            self.bank_status = "unknown"
            return
        self.commune_label = page.commune_name
        self.amount_label = format_euros(page.amount_cents)
        self.reference = page.reference
        self._amount_cents = page.amount_cents
        self._return_path = page.return_path
        self.bank_status = "open" if page.open else "closed"

    async def _notify(self, event_type: str, extra: str = ""):
        """Tell the portal, server to server and signed, as a real bank would; then return."""
        if self.bank_status != "open" or not get_settings().simulated_bank_allowed:
            return None
        signed = payments.simulated_bank_notification(event_type, self._session_id, self._amount_cents, now=clock.now())
        try:
            response = await _bank_client().post(signed.url, content=signed.body, headers=signed.headers)
            response.raise_for_status()
        except httpx.HTTPError:
            self.error_message = (
                "La banque n'a pas pu joindre le portail. Aucun paiement n'a été enregistré ; "
                "réessayez dans un instant."
            )
            return None
        self.bank_status = "closed"
        if response.json().get("outcome") == "closed":  # another tab already ended this session
            self.error_message = SIMULATED_SESSION_ENDED
            return None
        return rx.redirect(self._return_path + extra, replace=True)

    @rx.event
    async def pay(self):
        return await self._notify("payment.succeeded")

    @rx.event
    async def refuse(self):
        return await self._notify("payment.failed")

    @rx.event
    async def cancel(self):
        return await self._notify("payment.cancelled", "&annule=1")


@dataclass
class TicketLine:
    child: str
    service: str
    day: str
    price: str


class PaymentReturnState(AuthState):
    """Where the bank sends the parent back. It shows; it never marks anything paid."""

    return_status: str = "loading"  # loading | paid | pending | failed | unknown
    ticket_reference: str = ""
    ticket_date: str = ""
    ticket_amount: str = ""
    ticket_credit: str = ""
    ticket_debt: str = ""  # the sum owed to the régie paid with it
    ticket_receipt_number: str = ""
    ticket_receipt_url: str = ""
    ticket_lines: list[TicketLine] = []
    return_message: str = ""

    @parent_event
    def load_return(self):
        self._show_return()

    @parent_event
    def refresh(self):
        self._show_return()

    def _show_return(self) -> None:
        reference = str(self.router.url.query_parameters.get("ref", ""))[:40]
        cancelled = bool(self.router.url.query_parameters.get("annule"))
        shown = payments.payment_return(self._actor(), reference, now=clock.now())
        self.return_status = shown.status
        self.ticket_reference = shown.reference
        if shown.status == "paid":
            self._show_ticket(shown)
        elif shown.status == "pending":
            self.return_message = (
                "Votre paiement est en cours de confirmation par la banque. "
                "Actualisez cette page dans quelques instants."
            )
        elif shown.status == "failed":
            self.return_message = (
                "Paiement annulé. " if cancelled or shown.cancelled else "Le paiement n'a pas abouti. "
            ) + (
                "Rien n'a été débité. Vos réservations restent dans votre panier (en bleu) : "
                "vous pouvez le régler à nouveau depuis Réservations."
            )

    def _show_ticket(self, paid: PaymentReturn) -> None:
        self.ticket_lines = [
            TicketLine(line.child, line.service, format_long_date(line.day), format_euros(line.price_cents))
            for line in paid.lines
        ]
        self.ticket_date = format_paris_datetime(paid.completed_at) if paid.completed_at else ""
        self.ticket_amount = format_euros(paid.amount_cents)
        self.ticket_credit = format_euros(paid.credit_cents) if paid.credit_cents else ""
        self.ticket_debt = format_euros(paid.debt_cents) if paid.debt_cents else ""
        self.ticket_receipt_number = paid.receipt_number
        self.ticket_receipt_url = f"/api/{self.portal_slug}/recus/{paid.receipt_id}" if paid.receipt_id else ""
        self.return_message = (
            "Paiement reçu : vos réservations sont confirmées."
            if paid.lines
            else "Paiement reçu : la somme due à la régie est réglée."
        )


@dataclass
class ReceiptUI:
    number: str
    date: str
    amount: str
    url: str
    download_url: str


@dataclass
class OwedUI:
    date: str
    child: str
    service: str
    amount: str


@dataclass
class RefundUI:
    date: str
    amount: str
    method: str
    reference: str


class ReceiptsState(AuthState):
    """Factures: the family's receipts and the refunds of its credit, newest first, and its credit."""

    receipt_rows: list[ReceiptUI] = []
    refund_rows: list[RefundUI] = []
    credit_label: str = ""  # « Avoir disponible : … » or, after an unpaid cheque, the sum owed
    owed_rows: list[OwedUI] = []  # meals taken without a reservation, billed: part of the sum owed
    debt_payable: bool = False  # « Régler la somme due » (nothing else in the basket)
    debt_with_days: bool = False  # the sum owed is paid with the basket, from Réservations
    pay_message: str = ""

    @parent_event
    def load_receipts(self):
        invoices = payments.family_invoices(self._actor())
        base = f"/api/{self.portal_slug}/recus/"
        self.receipt_rows = [
            ReceiptUI(
                r.number,
                format_paris_date(r.issued_at),
                format_euros(r.amount_cents),
                f"{base}{r.id}",
                f"{base}{r.id}?telecharger=1",
            )
            for r in invoices.receipts
        ]
        self.refund_rows = [
            RefundUI(format_paris_date(r.at), format_euros(r.amount_cents), r.method_label, r.reference or "—")
            for r in invoices.refunds
        ]
        self.owed_rows = [
            OwedUI(format_long_date(m.day), m.child, m.service, format_euros(m.amount_cents))
            for m in invoices.owed_meals
        ]
        balance = invoices.credit_balance_cents
        self.debt_payable = balance < 0 and not invoices.basket_has_days
        self.debt_with_days = balance < 0 and invoices.basket_has_days
        self.pay_message = ""
        self.credit_label = (
            f"Somme due à la régie : {format_euros(-balance)}"
            if balance < 0
            else f"Avoir disponible : {format_euros(balance)}"
        )

    @parent_event
    def pay_debt(self):
        """« Régler la somme due »: to the commune's payment provider, the sum owed alone."""
        started = debt.pay_debt(self._actor(), now=clock.now(), answered_at=clock.now)
        if started.ok and started.redirect_url:
            return rx.redirect(started.redirect_url)
        if started.ok:
            return rx.redirect(f"/{self.portal_slug}/paiement/retour?ref={started.paid_reference}")
        self.pay_message = started.message
        return None
