"""States of the payment pages: the simulated bank, the return page (ticket), the receipts."""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass

import httpx
import reflex as rx

from cantine_portal import clock
from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.models import Basket, Structure
from cantine_portal.services.payments import fulfilment, providers, receipts, signatures
from cantine_portal.usecases import payments as payment_cases
from cantine_portal.french import format_euros, format_long_date, format_paris_date, format_paris_datetime
from cantine_portal.state.auth import AuthState
from cantine_portal.state.offload import db_event


# One HTTP client per event loop for the bank's notifications: creating one per payment cost
# about 20 ms of CPU on the event loop (a TLS context with the system's certificates), and a kept
# connection saves the TCP handshake too.
_bank_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]" = weakref.WeakKeyDictionary()


def _bank_client() -> httpx.AsyncClient:
    loop = asyncio.get_running_loop()
    client = _bank_clients.get(loop)
    if client is None:
        client = _bank_clients[loop] = httpx.AsyncClient(timeout=20)
    return client


BANK_DISABLED_MESSAGE = ("La banque simulée est désactivée sur ce serveur : aucun paiement ne peut y être fait. "
                         "Retournez sur le portail de votre commune.")


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
        with get_database().session() as session:
            payment = fulfilment.payment_by_simulated_session(session, self._session_id)
            if payment is None:
                self.bank_status = "unknown"
                return
            structure = session.get(Structure, payment.structure_id)
            self.commune_label = structure.name
            self.amount_label = format_euros(payment.amount_cents)
            self.reference = payment.reference
            self._amount_cents = payment.amount_cents
            self._return_path = f"/{structure.slug}/paiement/retour?ref={payment.reference}"
            self.bank_status = "open" if payment.status == "created" else "closed"

    async def _notify(self, event_type: str, extra: str = ""):
        """Tell the portal, server to server and signed, as a real bank would; then return."""
        settings = get_settings()
        if self.bank_status != "open" or not settings.simulated_bank_allowed:
            return None
        body = providers.simulated_notification(event_type, self._session_id, self._amount_cents)
        header = signatures.signature_header(settings.secret_key, body, clock.now())
        try:
            response = await _bank_client().post(
                f"{settings.base_url}/api/paiement/simule/notification", content=body,
                headers={"content-type": "application/json", "x-cantine-signature": header})
            response.raise_for_status()
        except httpx.HTTPError:
            self.error_message = ("La banque n'a pas pu joindre le portail. Aucun paiement n'a été enregistré ; "
                                  "réessayez dans un instant.")
            return None
        self.bank_status = "closed"
        if response.json().get("outcome") == "closed":  # another tab already ended this session
            self.error_message = fulfilment.SIMULATED_SESSION_ENDED
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
    ticket_receipt_number: str = ""
    ticket_receipt_url: str = ""
    ticket_lines: list[TicketLine] = []
    return_message: str = ""

    @db_event
    def load_return(self):
        if self._require_parent() is None:
            return None
        reference = str(self.router.url.query_parameters.get("ref", ""))[:40]
        cancelled = bool(self.router.url.query_parameters.get("annule"))
        payment_cases.expire_stale_checkouts_if_any(get_database(), clock.now(), self._structure_id, self._family_id)
        with get_database().session() as session:
            payment = fulfilment.family_payment(session, self._structure_id, self._family_id, reference)
            if payment is None:
                self.return_status = "unknown"
                return None
            self.ticket_reference = payment.reference
            if payment.status == "succeeded":
                basket = session.get(Basket, payment.basket_id)
                receipt = receipts.receipt_for_payment(session, payment.id)
                self._show_ticket(payment, basket, receipt)
            elif payment.status == "created":
                self.return_status = "pending"
                self.return_message = ("Votre paiement est en cours de confirmation par la banque. "
                                       "Actualisez cette page dans quelques instants.")
            else:
                self.return_status = "failed"
                self.return_message = (
                    "Paiement annulé. " if cancelled or payment.status == "cancelled" else "Le paiement n'a pas abouti. "
                ) + ("Rien n'a été débité. Vos réservations restent dans votre panier (en bleu) : "
                     "vous pouvez le régler à nouveau depuis Réservations.")
        return None

    def _show_ticket(self, payment, basket, receipt) -> None:
        lines = receipts.snapshot_lines(basket.snapshot_lines)
        from datetime import date

        self.ticket_lines = [TicketLine(line["child"], line["service"], format_long_date(date.fromisoformat(line["day"])),
                                        format_euros(line["price_cents"])) for line in lines]
        self.ticket_date = format_paris_datetime(payment.completed_at)
        self.ticket_amount = format_euros(payment.amount_cents)
        self.ticket_credit = format_euros(payment.credit_cents) if payment.credit_cents else ""
        self.ticket_receipt_number = receipt.number if receipt else ""
        self.ticket_receipt_url = f"/api/{self.portal_slug}/recus/{receipt.id}" if receipt else ""
        self.return_status = "paid"
        self.return_message = "Paiement reçu : vos réservations sont confirmées."

    @db_event
    def refresh(self):
        return self.load_return.run_sync(self)


@dataclass
class ReceiptUI:
    number: str
    date: str
    amount: str
    url: str
    download_url: str


class ReceiptsState(AuthState):
    """Factures: the family's receipts, newest first."""

    receipt_rows: list[ReceiptUI] = []

    @db_event
    def load_receipts(self):
        if self._require_parent() is None:
            return None
        with get_database().session() as session:
            rows = receipts.family_receipts(session, self._structure_id, self._family_id)
        base = f"/api/{self.portal_slug}/recus/"
        self.receipt_rows = [ReceiptUI(r.number, format_paris_date(r.issued_at),
                                       format_euros(r.amount_cents), f"{base}{r.id}", f"{base}{r.id}?telecharger=1")
                             for r in rows]
        return None
