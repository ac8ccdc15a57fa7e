"""Online payment of the basket: providers and the one fulfilment every path goes through.

Providers:
- ``SimulatedBank`` (default, no network): the portal's own "bank" pages, which notify the portal
  through the same signed server-to-server path a real provider uses;
- ``StripeCheckout`` (when STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are set and the commune
  chose it): a Checkout Session, confirmed by Stripe's signed webhooks.

Fulfilment (``handle_event``) is idempotent and transactional: every provider event is stored once
(a replay is recognised by its id), the amount and currency are checked against the basket
snapshot, and the basket ends either paid exactly once (with its receipt) or open again.
The return page the parent lands on never marks anything paid.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import json
import secrets
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cantine_portal.config import Settings
from cantine_portal.models import (Account, Basket, ClosedDay, Credit, Payment, PaymentEvent, Receipt, Reservation,
                                   Structure)
from cantine_portal.services.shared import audit
from cantine_portal.services.booking import booking
from cantine_portal.services.payments import receipts
from cantine_portal.services.booking.booking import CheckoutSnapshot, ProviderRedirect
from cantine_portal.french import format_euros, format_long_date, format_paris_datetime
from cantine_portal.infra.mail import Attachment, Mail, Mailer, render_html

if TYPE_CHECKING:
    from cantine_portal.infra.db import Database

log = logging.getLogger(__name__)

CHECKOUT_LIFETIME = booking.CHECKOUT_LIFETIME
SIGNATURE_TOLERANCE = timedelta(minutes=5)
CURRENCY = "eur"


# --- signatures (one scheme for the simulated bank, the same as Stripe's) ------------------

def signature_header(secret: str, payload: bytes, now: datetime) -> str:
    timestamp = int(now.timestamp())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(secret: str, payload: bytes, header: str | None, now: datetime,
                     tolerance: timedelta = SIGNATURE_TOLERANCE) -> bool:
    """``t=…,v1=…`` over ``"{t}." + raw body`` with HMAC-SHA256, as Stripe signs webhooks.

    Checked against ``now`` (not the machine clock) so that "too old" is testable.
    """
    if not header or not secret:
        return False
    parts: dict[str, list[str]] = defaultdict(list)
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts[key].append(value)
    try:
        timestamp = int(parts["t"][0])
    except (IndexError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > tolerance.total_seconds():
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, candidate) for candidate in parts["v1"])


# --- providers ---------------------------------------------------------------------------

class SimulatedBank:
    """The embedded bank: its pages live at /banque-simulee/{session id}."""

    name = "simulated"
    remote = False  # its pages are the portal's own: opening a session is a random id

    def __init__(self, now: datetime):
        self.now = now

    def start(self, snapshot: CheckoutSnapshot) -> ProviderRedirect:
        session_id = "sim_" + secrets.token_urlsafe(24)
        return ProviderRedirect(f"/banque-simulee/{session_id}", session_id, self.now + CHECKOUT_LIFETIME)


def simulated_notification(event_type: str, session_id: str, amount_cents: int, currency: str = CURRENCY) -> bytes:
    """The body the simulated bank posts to the portal (what a provider's webhook carries)."""
    return json.dumps({
        "id": "evt_sim_" + secrets.token_urlsafe(16),
        "type": event_type,
        "session_id": session_id,
        "payment_id": "pay_sim_" + secrets.token_hex(8),
        "amount": amount_cents,
        "currency": currency,
    }).encode()


class StripeCheckout:
    """Stripe Checkout through stripe-python's StripeClient."""

    name = "stripe"
    remote = True

    def __init__(self, settings: Settings, structure: Structure, now: datetime, client=None):
        import stripe

        self.settings = settings
        self.structure = structure
        self.now = now
        self.client = client or stripe.StripeClient(settings.stripe_secret_key)

    def checkout_params(self, snapshot: CheckoutSnapshot) -> dict:
        base = f"{self.settings.base_url}/{self.structure.slug}"
        expires = self.now + CHECKOUT_LIFETIME
        return {
            "mode": "payment",
            "currency": CURRENCY,
            "line_items": stripe_line_items(snapshot),
            "client_reference_id": str(snapshot.payment_id),
            # Ids only: no names, no dates of children in the provider's records.
            "metadata": {"payment_id": str(snapshot.payment_id), "structure_id": str(snapshot.structure_id),
                         "family_id": str(snapshot.family_id), "reference": snapshot.reference},
            "success_url": f"{base}/paiement/retour?ref={snapshot.reference}",
            "cancel_url": f"{base}/paiement/retour?ref={snapshot.reference}&annule=1",
            "expires_at": int(expires.timestamp()),
            "locale": "fr",
        }

    def start(self, snapshot: CheckoutSnapshot) -> ProviderRedirect:
        created = self.client.v1.checkout.sessions.create(
            self.checkout_params(snapshot), options={"idempotency_key": f"checkout-{snapshot.reference}"}
        )
        return ProviderRedirect(created.url, created.id, self.now + CHECKOUT_LIFETIME)


def stripe_line_items(snapshot: CheckoutSnapshot) -> list[dict]:
    """A line per child and service (quantity = days), split by unit price if it changed.

    Stripe has no negative line: when a credit is deducted, one line carries the total.
    """
    if snapshot.credit_cents:
        return [{"quantity": 1, "price_data": {"currency": CURRENCY, "unit_amount": snapshot.amount_cents,
                                               "product_data": {"name": f"Réservations {snapshot.reference} "
                                                                f"(avoir de {format_euros(snapshot.credit_cents)} déduit)"}}}]
    grouped: dict[tuple[str, str, int], int] = defaultdict(int)
    for line in snapshot.lines:
        grouped[(line["child"], line["service"], line["price_cents"])] += 1
    return [{"quantity": days, "price_data": {"currency": CURRENCY, "unit_amount": price,
                                              "product_data": {"name": f"{service} — {child}"}}}
            for (child, service, price), days in grouped.items()]


def provider_for(structure: Structure, settings: Settings, now: datetime):
    if structure.payment_provider == "stripe" and settings.stripe_enabled:
        return StripeCheckout(settings, structure, now)
    return SimulatedBank(now)


# --- provider events ---------------------------------------------------------------------

@dataclass(frozen=True)
class ProviderEvent:
    provider: str
    event_id: str
    # "succeeded" | "failed" | "expired" | "cancelled" | "ignored"
    kind: str
    session_id: str | None
    amount_cents: int | None = None
    currency: str | None = None
    provider_payment_id: str | None = None
    raw: str = ""
    event_type: str = ""


SIMULATED_KINDS = {"payment.succeeded": "succeeded", "payment.failed": "failed", "payment.cancelled": "cancelled"}


def parse_simulated(payload: bytes) -> ProviderEvent:
    data = json.loads(payload)
    return ProviderEvent("simulated", str(data["id"]), SIMULATED_KINDS.get(data["type"], "ignored"),
                         data.get("session_id"), data.get("amount"), data.get("currency"), data.get("payment_id"),
                         payload.decode(), data["type"])


def parse_stripe(payload: bytes) -> ProviderEvent:
    data = json.loads(payload)
    obj = data.get("data", {}).get("object", {})
    event_type = data.get("type", "")
    kind = {
        "checkout.session.async_payment_succeeded": "succeeded",
        "checkout.session.async_payment_failed": "failed",
        "checkout.session.expired": "expired",
    }.get(event_type, "ignored")
    if event_type == "checkout.session.completed":
        # "unpaid" means a delayed method (e.g. SEPA): wait for async_payment_succeeded/failed.
        kind = "succeeded" if obj.get("payment_status") in ("paid", "no_payment_required") else "ignored"
    return ProviderEvent("stripe", str(data.get("id")), kind, obj.get("id"), obj.get("amount_total"),
                         obj.get("currency"), obj.get("payment_intent"), payload.decode(), event_type)


@dataclass
class FulfilmentResult:
    # "paid" | "duplicate" | "reopened" | "ignored" | "anomaly" | "unknown" | "already"
    outcome: str
    message: str = ""
    payment_id: int | None = None
    # Set when a receipt was issued: once committed, send_ticket draws its PDF and e-mails it.
    receipt_id: int | None = None


def _record_event(session: Session, now: datetime, event: ProviderEvent, payment: Payment | None) -> PaymentEvent | None:
    try:
        with session.begin_nested():
            stored = PaymentEvent(payment_id=payment.id if payment else None, provider=event.provider,
                                  event_id=event.event_id, type=event.event_type or event.kind,
                                  payload=event.raw[:20000], received_at=now)
            session.add(stored)
        return stored
    except IntegrityError:
        return None


def _anomaly(session: Session, now: datetime, payment: Payment | None, stored: PaymentEvent, text: str) -> None:
    stored.outcome = text[:200]
    session.add(stored)
    audit.record(session, now, "payment.anomaly", structure_id=payment.structure_id if payment else None,
                 target=payment.reference if payment else stored.event_id, provider=stored.provider, message=text)


def handle_event(session: Session, now: datetime, settings: Settings, event: ProviderEvent) -> FulfilmentResult:
    """Apply one provider event. The caller commits, then calls ``send_ticket`` when
    ``result.receipt_id`` is set (the receipt's PDF is drawn after the commit)."""
    payment = None
    if event.session_id:
        payment = session.exec(select(Payment).where(Payment.provider == event.provider,
                                                     Payment.provider_session_id == event.session_id)
                               .with_for_update()).first()
    stored = _record_event(session, now, event, payment)
    if stored is None:
        return FulfilmentResult("duplicate", "Événement déjà reçu : rien ne change.")
    if event.kind == "ignored":
        stored.outcome = "ignored"
        session.add(stored)
        return FulfilmentResult("ignored", payment_id=payment.id if payment else None)
    if payment is None:
        _anomaly(session, now, None, stored, f"Session de paiement inconnue : {event.session_id}")
        return FulfilmentResult("unknown", "Session de paiement inconnue.")
    if event.kind in ("failed", "expired", "cancelled"):
        if payment.status != "created":
            stored.outcome = f"no change ({payment.status})"
            session.add(stored)
            return FulfilmentResult("already", payment_id=payment.id)
        outcome = booking.checkout_failed(session, now, payment.structure_id, payment.family_id, payment.id,
                                          event.kind)
        stored.outcome = event.kind
        session.add(stored)
        return FulfilmentResult("reopened", outcome.message, payment.id)
    return _succeeded(session, now, settings, event, payment, stored)


def _succeeded(session: Session, now: datetime, settings: Settings, event: ProviderEvent, payment: Payment,
               stored: PaymentEvent) -> FulfilmentResult:
    if payment.status == "succeeded":
        stored.outcome = "no change (succeeded)"
        session.add(stored)
        return FulfilmentResult("already", payment_id=payment.id)
    if (event.currency or "").lower() != CURRENCY:
        _anomaly(session, now, payment, stored, f"Devise inattendue : {event.currency}")
        if payment.status == "created":
            booking.checkout_failed(session, now, payment.structure_id, payment.family_id, payment.id, "failed")
        return FulfilmentResult("anomaly", "Paiement dans une devise inattendue : signalé à la mairie.", payment.id)
    if payment.status != "created" or event.amount_cents != payment.amount_cents:
        # Money arrived that no open payment expects (late success after expiry, wrong amount):
        # it becomes a credit for the family, and the commune is told. Never lost, never half.
        reason = ("Paiement confirmé après l'expiration du panier" if payment.status != "created"
                  else f"Montant payé ({format_euros(event.amount_cents or 0)}) différent du panier "
                       f"({format_euros(payment.amount_cents)})")
        _anomaly(session, now, payment, stored, reason)
        if payment.status == "created":
            booking.checkout_failed(session, now, payment.structure_id, payment.family_id, payment.id, "failed")
        if event.amount_cents and event.amount_cents > 0:
            session.add(Credit(structure_id=payment.structure_id, family_id=payment.family_id,
                               amount_cents=event.amount_cents, payment_id=payment.id, created_at=now,
                               label=f"Avoir : {reason.lower()} (réf. {payment.reference})"))
        return FulfilmentResult("anomaly", reason + " : la somme reçue est portée en avoir sur votre compte.",
                                payment.id)
    outcome = booking.checkout_succeeded(session, now, payment.structure_id, payment.family_id, payment.id,
                                         event.amount_cents)
    if not outcome.ok:
        _anomaly(session, now, payment, stored, outcome.message)
        return FulfilmentResult("anomaly", outcome.message, payment.id)
    payment.provider_payment_id = event.provider_payment_id
    session.add(payment)
    credited = _credit_days_closed_meanwhile(session, now, payment)
    receipt = receipts.issue_receipt(session, now, payment)
    stored.outcome = "paid"
    session.add(stored)
    audit.record(session, now, "payment.succeeded", structure_id=payment.structure_id, target=payment.reference,
                 amount_cents=payment.amount_cents, receipt=receipt.number)
    message = outcome.message
    if credited:
        message += (f" {credited} jour(s) fermé(s) par la commune pendant le paiement ont été annulés et "
                    "portés en avoir.")
    return FulfilmentResult("paid", message, payment.id, receipt.id)


def _credit_days_closed_meanwhile(session: Session, now: datetime, payment: Payment) -> int:
    """A closure declared while the bank worked leaves the basket alone (it is frozen); once paid,
    those days are cancelled and credited like any paid day on a closed day."""
    from cantine_portal.services.backoffice.calendar import closure_credit_label

    paid = session.exec(select(Reservation).where(Reservation.payment_id == payment.id,
                                                  Reservation.status == "paid")).all()
    if not paid:
        return 0
    closed = session.exec(select(ClosedDay).where(ClosedDay.structure_id == payment.structure_id,
                                                  ClosedDay.day.in_({r.day for r in paid}))).all()  # type: ignore[union-attr]
    count = 0
    for reservation in paid:
        if any(c.day == reservation.day and c.service_id in (None, reservation.service_id) for c in closed):
            reservation.status = "cancelled"
            reservation.cancelled_at = reservation.updated_at = now
            session.add(reservation)
            session.add(Credit(structure_id=payment.structure_id, family_id=payment.family_id,
                               amount_cents=reservation.price_cents, label=closure_credit_label(reservation.day),
                               reservation_id=reservation.id, created_at=now))
            count += 1
    session.flush()
    return count


@dataclass(frozen=True)
class CheckoutStart:
    result: booking.CheckoutResult
    receipt_id: int | None  # the basket was covered by credit: its receipt (PDF and ticket after the commit)
    reference: str


def start_checkout(session: Session, now: datetime, settings: Settings, structure_id: int, family_id: int,
                   expected_basket_version: int | None) -> CheckoutStart:
    """« Payer », one transaction (``Database.run_write``): freeze the basket and open the payment with
    the commune's provider; a basket entirely covered by credit is paid at once and gets its receipt."""
    structure = session.get(Structure, structure_id)
    provider = provider_for(structure, settings, now)
    result = booking.begin_checkout(session, now, structure_id, family_id, provider, expected_basket_version)
    receipt_id = None
    if result.ok and result.paid:
        receipt_id = settle_without_bank(session, now, settings, result.payment_id).receipt_id
    reference = session.get(Payment, result.payment_id).reference if result.payment_id else ""
    return CheckoutStart(result, receipt_id, reference)


PROVIDER_UNAVAILABLE_MESSAGE = ("Le service de paiement ne répond pas pour le moment : votre panier est conservé, "
                                "réessayez dans quelques minutes.")


def open_remote_session(database: "Database", provider, now: datetime, structure_id: int, family_id: int,
                        result: booking.CheckoutResult) -> booking.CheckoutResult:
    """Second step of a checkout with a provider over the network (Stripe), after the commit.

    The provider is asked for its payment page outside any transaction, then the session's id is
    recorded. If the provider cannot be reached the basket is reopened (nothing was charged).
    """
    snapshot = result.pending
    if snapshot is None:
        return result
    try:
        redirect = provider.start(snapshot)
    except Exception:  # noqa: BLE001 - any failure of the provider's API: nothing was charged
        log.exception("payment %s: the provider did not open its payment page", snapshot.payment_id)
        database.run_write(booking.checkout_failed, now, structure_id, family_id, snapshot.payment_id)
        return booking.CheckoutResult(False, PROVIDER_UNAVAILABLE_MESSAGE)
    database.run_write(record_provider_session, snapshot.payment_id, redirect)
    return replace(result, redirect_url=redirect.url, pending=None)


def record_provider_session(session: Session, payment_id: int, redirect: ProviderRedirect) -> None:
    payment = session.get(Payment, payment_id)
    payment.provider_session_id = redirect.session_id
    if redirect.expires_at is not None:
        payment.expires_at = redirect.expires_at
    session.add(payment)


def settle_without_bank(session: Session, now: datetime, settings: Settings, payment_id: int) -> FulfilmentResult:
    """A basket entirely covered by credit was paid by begin_checkout: issue its receipt."""
    payment = session.get(Payment, payment_id)
    receipt = receipts.issue_receipt(session, now, payment)
    return FulfilmentResult("paid", payment_id=payment.id, receipt_id=receipt.id)


def ticket_after_commit(database: "Database", settings: Settings, receipt_id: int) -> Mail:
    """After the payment's transaction: the receipt's PDF (rendered and stored now) and the ticket
    e-mail that carries it, for the caller to send."""
    _path, pdf = receipts.ensure_pdf(database, settings, receipt_id)
    with database.session() as session:
        receipt = session.get(Receipt, receipt_id)
        payment = session.get(Payment, receipt.payment_id)
        basket = session.get(Basket, payment.basket_id)
        return ticket_mail(session, payment, receipt, receipts.snapshot_lines(basket.snapshot_lines), pdf)


def send_ticket(database: "Database", settings: Settings, now: datetime, receipt_id: int) -> None:
    """Once the payment is committed: render and store the receipt, e-mail the ticket with it.

    A failure here loses nothing paid: the payment and the receipt's number are committed, and the
    Factures download renders a missing PDF on demand. It is logged; the provider's notification
    is still acknowledged, since applying it again would change nothing.
    """
    try:
        Mailer(settings).send(ticket_after_commit(database, settings, receipt_id), now)
    except Exception:  # noqa: BLE001 - see the docstring
        log.exception("receipt %s: PDF or ticket e-mail failed after the payment was recorded", receipt_id)


def ticket_mail(session: Session, payment: Payment, receipt, lines: list[dict], pdf: bytes) -> Mail:
    """The ticket de paiement, by e-mail, with the receipt attached."""
    structure = session.get(Structure, payment.structure_id)
    account = session.exec(select(Account).where(Account.family_id == payment.family_id, Account.role == "parent")
                           .order_by(Account.id)).first()
    when = payment.completed_at or receipt.issued_at
    rows = [f"{line['child']} — {line['service']} — {format_long_date(date.fromisoformat(line['day']))} : "
            f"{format_euros(line['price_cents'])}" for line in lines]
    paragraphs = [
        "Bonjour,",
        f"Votre paiement au portail famille de {structure.name} est confirmé.",
        f"Référence : {payment.reference} — le {format_paris_datetime(when)} — montant payé : "
        f"{format_euros(payment.amount_cents)}"
        + (f" (avoir utilisé : {format_euros(payment.credit_cents)})" if payment.credit_cents else "") + ".",
        *rows,
        f"Votre reçu n° {receipt.number} est joint à ce message et disponible dans la rubrique Factures.",
    ]
    return Mail(
        to=account.email if account else structure.email,
        subject=f"{structure.name} — Ticket de paiement {payment.reference}",
        text="\n".join(paragraphs),
        html=render_html("Ticket de paiement", paragraphs),
        attachments=[Attachment(f"recu-{receipt.number}.pdf", pdf)],
    )


def _stale_checkouts(session: Session, now: datetime, structure_id: int, family_id: int) -> list[Payment]:
    """The family's payments still waiting for the provider past their lifetime."""
    waiting = session.exec(select(Payment).where(Payment.structure_id == structure_id,
                                                 Payment.family_id == family_id, Payment.status == "created")).all()
    return [p for p in waiting if p.expires_at is not None and p.expires_at < now]


def expire_stale_checkouts(session: Session, now: datetime, structure_id: int, family_id: int) -> int:
    """Reopen baskets whose payment session expired without news from the provider.

    A success that arrives later still lands safely: it becomes a credit (see _succeeded).
    """
    stale = _stale_checkouts(session, now, structure_id, family_id)
    for payment in stale:
        booking.checkout_failed(session, now, structure_id, family_id, payment.id, "expired")
    return len(stale)


def expire_stale_checkouts_if_any(database: "Database", now: datetime, structure_id: int, family_id: int) -> int:
    """expire_stale_checkouts, behind a read: a page load queues for the write lock only when a
    checkout of this family really is past its lifetime (rare), not on every visit."""
    with database.session() as session:
        if not _stale_checkouts(session, now, structure_id, family_id):
            return 0
    with database.write_session() as session:
        return expire_stale_checkouts(session, now, structure_id, family_id)


def family_payment(session: Session, structure_id: int, family_id: int, reference: str) -> Payment | None:
    payment = session.exec(select(Payment).where(Payment.reference == reference)).first()
    if payment is None or payment.structure_id != structure_id or payment.family_id != family_id:
        return None
    return payment


def payment_by_simulated_session(session: Session, session_id: str) -> Payment | None:
    if not session_id.startswith("sim_") or len(session_id) > 100:
        return None
    return session.exec(select(Payment).where(Payment.provider == "simulated",
                                              Payment.provider_session_id == session_id)).first()
