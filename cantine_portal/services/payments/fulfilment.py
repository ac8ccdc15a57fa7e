"""The one fulfilment every payment path goes through, and the checkout's payment side.

Fulfilment (``handle_event``) is idempotent and transactional: every provider event is stored once
(a replay is recognised by its id), the amount and currency are checked against the basket
snapshot, and the basket ends either paid exactly once (with its receipt) or open again.
The return page the parent lands on never marks anything paid. Every function takes the
caller's ``session`` and ``now``; the caller commits (see usecases/payments.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cantine_portal.config import Settings
from cantine_portal.french import format_euros
from cantine_portal.models import Credit, CreditKind, Payment, PaymentEvent, PaymentStatus, Structure, row_id
from cantine_portal.services.booking.checkout import CheckoutResult, ProviderRedirect, begin_checkout
from cantine_portal.services.booking.settlement import FAILURE_STATUSES, checkout_failed, checkout_succeeded
from cantine_portal.services.payments import receipts
from cantine_portal.services.payments.events import ProviderEvent
from cantine_portal.services.payments.providers import CURRENCY, SimulatedBank, payment_availability, provider_for
from cantine_portal.services.shared import audit

SIMULATED_SESSION_ENDED = (
    "Cette session de paiement est terminée : aucun paiement n'a été enregistré. "
    "Retournez sur le portail de votre commune."
)


@dataclass
class FulfilmentResult:
    # "paid" | "duplicate" | "reopened" | "ignored" | "anomaly" | "unknown" | "already" | "closed"
    outcome: str
    message: str = ""
    payment_id: int | None = None
    # Set when a receipt was issued: its PDF is drawn and the ticket e-mailed by a ``ticket`` job
    # queued in the same transaction (usecases.payments.apply_event_and_queue_ticket).
    receipt_id: int | None = None
    ticket_job_id: int | None = None


def _record_event(
    session: Session, now: datetime, event: ProviderEvent, payment: Payment | None
) -> PaymentEvent | None:
    try:
        with session.begin_nested():
            stored = PaymentEvent(
                payment_id=payment.id if payment else None,
                provider=event.provider,
                event_id=event.event_id,
                type=event.event_type or event.kind,
                payload=event.raw[:20000],
                received_at=now,
            )
            session.add(stored)
        return stored
    except IntegrityError:
        return None


def _anomaly(session: Session, now: datetime, payment: Payment | None, stored: PaymentEvent, text: str) -> None:
    stored.outcome = text[:200]
    session.add(stored)
    audit.record(
        session,
        now,
        "payment.anomaly",
        structure_id=payment.structure_id if payment else None,
        target=payment.reference if payment else stored.event_id,
        provider=stored.provider,
        message=text,
    )


def _outcome(session: Session, stored: PaymentEvent, text: str) -> None:
    stored.outcome = text
    session.add(stored)


def handle_event(session: Session, now: datetime, settings: Settings, event: ProviderEvent) -> FulfilmentResult:
    """Apply one provider event. The caller commits, then has the ticket sent when
    ``result.receipt_id`` is set (the receipt's PDF is drawn after the commit)."""
    payment = None
    if event.session_id:
        payment = session.exec(
            select(Payment)
            .where(Payment.provider == event.provider, Payment.provider_session_id == event.session_id)
            .with_for_update()
        ).first()
    stored = _record_event(session, now, event, payment)
    if stored is None:
        return FulfilmentResult("duplicate", "Événement déjà reçu : rien ne change.")
    if event.provider == SimulatedBank.name and not settings.simulated_bank_allowed:
        _outcome(session, stored, "refused: simulated bank disabled on this server")
        return FulfilmentResult("closed", SIMULATED_SESSION_ENDED, payment.id if payment else None)
    if event.kind == "ignored":
        _outcome(session, stored, "ignored")
        return FulfilmentResult("ignored", payment_id=payment.id if payment else None)
    if payment is None:
        _anomaly(session, now, None, stored, f"Session de paiement inconnue : {event.session_id}")
        return FulfilmentResult("unknown", "Session de paiement inconnue.")
    if event.kind in FAILURE_STATUSES:
        if payment.status != PaymentStatus.CREATED:
            _outcome(session, stored, f"no change ({payment.status})")
            return FulfilmentResult("already", payment_id=payment.id)
        outcome = checkout_failed(session, now, payment.structure_id, payment.family_id, row_id(payment), event.kind)
        _outcome(session, stored, event.kind)
        return FulfilmentResult("reopened", outcome.message, payment.id)
    return _succeeded(session, now, event, payment, stored)


def _unexpected_money(
    session: Session, now: datetime, event: ProviderEvent, payment: Payment, stored: PaymentEvent
) -> FulfilmentResult:
    """Money arrived that no open payment expects (late success after expiry, wrong amount):
    it becomes a credit for the family, and the commune is told. Never lost, never half."""
    reason = (
        "Paiement confirmé après l'expiration du panier"
        if payment.status != PaymentStatus.CREATED
        else f"Montant payé ({format_euros(event.amount_cents or 0)}) différent du panier "
        f"({format_euros(payment.amount_cents)})"
    )
    _anomaly(session, now, payment, stored, reason)
    if payment.status == PaymentStatus.CREATED:
        checkout_failed(session, now, payment.structure_id, payment.family_id, row_id(payment), PaymentStatus.FAILED)
    already = session.exec(
        select(Credit).where(
            Credit.payment_id == payment.id, Credit.amount_cents > 0, col(Credit.reservation_id).is_(None)
        )
    ).first()
    if already is not None:
        # The same payment session notified success again (another event id): it collected once.
        return FulfilmentResult("anomaly", reason + " : la somme reçue est déjà portée en avoir.", payment.id)
    if event.amount_cents and event.amount_cents > 0:
        session.add(
            Credit(
                structure_id=payment.structure_id,
                family_id=payment.family_id,
                amount_cents=event.amount_cents,
                payment_id=payment.id,
                created_at=now,
                label=f"Avoir : {reason.lower()} (réf. {payment.reference})",
                kind=CreditKind.OVERPAYMENT,
            )
        )
    return FulfilmentResult("anomaly", reason + " : la somme reçue est portée en avoir sur votre compte.", payment.id)


def _succeeded(
    session: Session, now: datetime, event: ProviderEvent, payment: Payment, stored: PaymentEvent
) -> FulfilmentResult:
    if payment.status == PaymentStatus.SUCCEEDED:
        _outcome(session, stored, "no change (succeeded)")
        return FulfilmentResult("already", payment_id=payment.id)
    if event.provider == SimulatedBank.name and payment.status != PaymentStatus.CREATED:
        # A real provider's late success moved real money: it becomes a credit (_unexpected_money).
        # The simulated bank moves none: « Payer » in a second tab after a refusal, a cancellation
        # or the expiry must not turn into a credit.
        _outcome(session, stored, f"refused: simulated session ended ({payment.status})")
        return FulfilmentResult("closed", SIMULATED_SESSION_ENDED, payment.id)
    if (event.currency or "").lower() != CURRENCY:
        _anomaly(session, now, payment, stored, f"Devise inattendue : {event.currency}")
        if payment.status == PaymentStatus.CREATED:
            checkout_failed(
                session, now, payment.structure_id, payment.family_id, row_id(payment), PaymentStatus.FAILED
            )
        return FulfilmentResult("anomaly", "Paiement dans une devise inattendue : signalé à la mairie.", payment.id)
    if payment.status != PaymentStatus.CREATED or event.amount_cents != payment.amount_cents:
        return _unexpected_money(session, now, event, payment, stored)
    outcome = checkout_succeeded(
        session, now, payment.structure_id, payment.family_id, row_id(payment), event.amount_cents
    )
    if not outcome.ok:
        _anomaly(session, now, payment, stored, outcome.message)
        return FulfilmentResult("anomaly", outcome.message, payment.id)
    payment.provider_payment_id = event.provider_payment_id
    session.add(payment)
    credited = outcome.closed_credited
    receipt = receipts.issue_receipt(session, now, payment)
    _outcome(session, stored, "paid")
    audit.record(
        session,
        now,
        "payment.succeeded",
        structure_id=payment.structure_id,
        target=payment.reference,
        amount_cents=payment.amount_cents,
        receipt=receipt.number,
    )
    message = outcome.message
    if credited:
        message += (
            f" {credited} jour(s) fermé(s) par la commune pendant le paiement ont été annulés et portés en avoir."
        )
    return FulfilmentResult("paid", message, payment.id, receipt.id)


@dataclass(frozen=True)
class CheckoutStart:
    result: CheckoutResult
    receipt_id: int | None  # the basket was covered by credit: its receipt (PDF and ticket after the commit)
    reference: str


def start_checkout(
    session: Session,
    now: datetime,
    settings: Settings,
    structure_id: int,
    family_id: int,
    expected_basket_version: int | None,
    by_account_id: int | None = None,
) -> CheckoutStart:
    """« Payer », one transaction (``Database.run_write``): freeze the basket and open the payment with
    the commune's provider; a basket entirely covered by credit is paid at once and gets its receipt.
    ``by_account_id``: the login that pressed « Payer » (its ticket goes to that guardian)."""
    structure = session.get(Structure, structure_id)
    if structure is None:
        return CheckoutStart(CheckoutResult(False, "Ce paiement n'est pas possible."), None, "")
    availability = payment_availability(structure, settings)
    if not availability.ok:  # never another provider in its place: the basket stays as it is
        return CheckoutStart(CheckoutResult(False, availability.parent_message), None, "")
    provider = provider_for(structure, settings, now)
    result = begin_checkout(session, now, structure_id, family_id, provider, expected_basket_version)
    if result.ok and result.payment_id is not None and by_account_id is not None:
        _record_payer(session, now, structure_id, family_id, result.payment_id, by_account_id)
    receipt_id = None
    if result.ok and result.paid and result.payment_id is not None:
        receipt_id = settle_without_bank(session, now, settings, result.payment_id).receipt_id
    payment = session.get(Payment, result.payment_id) if result.payment_id else None
    reference = payment.reference if payment is not None else ""
    return CheckoutStart(result, receipt_id, reference)


def _record_payer(
    session: Session, now: datetime, structure_id: int, family_id: int, payment_id: int, account_id: int
) -> None:
    """Which guardian pressed « Payer »: the ticket goes to them, the staff see it (issue 20)."""
    payment = session.get(Payment, payment_id)
    if payment is None:
        return
    payment.account_id = account_id
    session.add(payment)
    audit.record(
        session,
        now,
        "payment.started",
        structure_id=structure_id,
        account_id=account_id,
        target=f"family:{family_id}",
        reference=payment.reference,
        amount_cents=payment.amount_cents,
    )


def record_provider_session(
    session: Session, payment_id: int, redirect: ProviderRedirect, answered_at: datetime | None = None
) -> bool:
    """The remote provider opened its payment page: remember its session (to match its events).

    True when the parent may be sent there: the payment is still waiting. The provider may have
    answered after the payment's lifetime (``answered_at``), when the portal has expired it or
    is about to: then the session is still recorded (a late event finds its payment and becomes
    a credit), the payment is expired if it was not yet, and the parent stays on the portal.
    """
    payment = session.get(Payment, payment_id)
    if payment is None:
        return False
    payment.provider_session_id = redirect.session_id
    if payment.status == PaymentStatus.CREATED and redirect.expires_at is not None:
        payment.expires_at = min(redirect.expires_at, payment.expires_at or redirect.expires_at)
    session.add(payment)
    session.flush()
    if (
        payment.status == PaymentStatus.CREATED
        and answered_at is not None
        and payment.expires_at is not None
        and payment.expires_at <= answered_at
    ):
        checkout_failed(
            session, answered_at, payment.structure_id, payment.family_id, payment_id, PaymentStatus.EXPIRED
        )
    return payment.status == PaymentStatus.CREATED


def settle_without_bank(session: Session, now: datetime, settings: Settings, payment_id: int) -> FulfilmentResult:
    """A basket entirely covered by credit was paid by begin_checkout: issue its receipt."""
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise LookupError(f"payment {payment_id} settled by credit is missing")
    receipt = receipts.issue_receipt(session, now, payment)
    return FulfilmentResult("paid", payment_id=row_id(payment), receipt_id=receipt.id)


def stale_checkouts(session: Session, now: datetime, structure_id: int, family_id: int) -> list[Payment]:
    """The family's payments still waiting for the provider past their lifetime."""
    waiting = session.exec(
        select(Payment).where(
            Payment.structure_id == structure_id,
            Payment.family_id == family_id,
            Payment.status == PaymentStatus.CREATED,
        )
    ).all()
    return [p for p in waiting if p.expires_at is not None and p.expires_at < now]


def families_with_stale_checkouts(session: Session, now: datetime) -> list[tuple[int, int]]:
    """(commune, family) of every payment still waiting for its provider past its lifetime (the
    minutely task reopens their baskets without waiting for the family to come back)."""
    rows = session.exec(
        select(Payment.structure_id, Payment.family_id)
        .where(Payment.status == PaymentStatus.CREATED, col(Payment.expires_at) < now)
        .distinct()
    ).all()
    return [(structure_id, family_id) for structure_id, family_id in rows]


def waiting_payments(session: Session, now: datetime, older_than: timedelta) -> list[Payment]:
    """Payments opened more than ``older_than`` ago whose provider has not answered yet."""
    return list(
        session.exec(
            select(Payment).where(Payment.status == PaymentStatus.CREATED, col(Payment.created_at) < now - older_than)
        ).all()
    )


def expire_stale_checkouts(session: Session, now: datetime, structure_id: int, family_id: int) -> int:
    """Reopen baskets whose payment session expired without news from the provider.

    A success that arrives later still lands safely: it becomes a credit (see _unexpected_money).
    """
    stale = stale_checkouts(session, now, structure_id, family_id)
    for payment in stale:
        checkout_failed(session, now, structure_id, family_id, row_id(payment), PaymentStatus.EXPIRED)
    return len(stale)


def family_payment(session: Session, structure_id: int, family_id: int, reference: str) -> Payment | None:
    payment = session.exec(select(Payment).where(Payment.reference == reference)).first()
    if payment is None or payment.structure_id != structure_id or payment.family_id != family_id:
        return None
    return payment


def payment_by_simulated_session(session: Session, session_id: str) -> Payment | None:
    if not session_id.startswith("sim_") or len(session_id) > 100:
        return None
    return session.exec(
        select(Payment).where(Payment.provider == "simulated", Payment.provider_session_id == session_id)
    ).first()
