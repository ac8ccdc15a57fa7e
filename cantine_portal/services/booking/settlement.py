"""The provider's answer to a checkout: reopen the basket (failed, refused, expired, cancelled)
or mark its frozen lines paid (succeeded).

Plain Python (no Reflex); the caller commits. ``checkout_failed`` and ``checkout_succeeded`` are
idempotent: providers notify more than once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from cantine_portal.models import (
    Basket,
    BasketStatus,
    Credit,
    CreditKind,
    Payment,
    PaymentStatus,
    Reservation,
    ReservationStatus,
)
from cantine_portal.services.booking.closed_lines import drop_closed_lines, on_closed_days
from cantine_portal.services.booking.credit_lock import lock_family_credit
from cantine_portal.services.booking.errors import BookingError
from cantine_portal.services.shared.calendar import closure_credit_label

FAILURE_STATUSES = (PaymentStatus.FAILED, PaymentStatus.EXPIRED, PaymentStatus.CANCELLED)


@dataclass(frozen=True)
class PaymentOutcome:
    ok: bool
    message: str
    already_done: bool = False
    # Paid days the commune closed while the payment was under way: cancelled and credited.
    closed_credited: int = 0


def _payment_for(session: Session, structure_id: int, family_id: int, payment_id: int) -> tuple[Payment, Basket]:
    payment = session.get(Payment, payment_id)
    if payment is None or payment.structure_id != structure_id or payment.family_id != family_id:
        raise BookingError("Paiement inconnu.")
    basket = session.get(Basket, payment.basket_id)
    if basket is None or basket.family_id != family_id:
        raise BookingError("Paiement inconnu.")
    return payment, basket


def checkout_failed(
    session: Session,
    now: datetime,
    structure_id: int,
    family_id: int,
    payment_id: int,
    status: str = PaymentStatus.FAILED,
) -> PaymentOutcome:
    """Payment failed / refused / expired / cancelled: reopen the basket, lines stay pending.

    Idempotent: a second notification changes nothing.
    """
    if status not in FAILURE_STATUSES:
        raise ValueError(f"unexpected payment failure status: {status!r}")
    try:
        with session.begin_nested():
            payment, basket = _payment_for(session, structure_id, family_id, payment_id)
            if payment.status != PaymentStatus.CREATED or basket.status != BasketStatus.CHECKOUT:
                return PaymentOutcome(True, "Paiement déjà traité.", already_done=True)
            payment.status = PaymentStatus(status)
            payment.completed_at = now
            basket.status = BasketStatus.OPEN
            basket.version += 1
            basket.snapshot_total_cents = None
            basket.snapshot_credit_cents = None
            basket.snapshot_lines = ""
            basket.updated_at = now
            session.add_all([payment, basket])
            session.flush()
            closed = drop_closed_lines(session, structure_id, basket)
            return PaymentOutcome(
                True,
                "Le paiement n'a pas abouti : votre panier est conservé, "
                "vous pouvez le régler à nouveau." + (f" {closed}" if closed else ""),
            )
    except BookingError as refused:
        return PaymentOutcome(False, refused.message)


def checkout_succeeded(
    session: Session, now: datetime, structure_id: int, family_id: int, payment_id: int, amount_cents: int
) -> PaymentOutcome:
    """Payment confirmed for ``amount_cents``: pending → paid, credit used. Idempotent."""
    try:
        with session.begin_nested():
            return mark_paid(session, now, structure_id, family_id, payment_id, amount_cents)
    except BookingError as refused:
        return PaymentOutcome(False, refused.message)


def mark_paid(
    session: Session, now: datetime, structure_id: int, family_id: int, payment_id: int, amount_cents: int
) -> PaymentOutcome:
    """The frozen lines become paid and the credit the checkout set aside is used (a credit-only basket
    comes straight here from checkout.begin_checkout); raises BookingError when it cannot be."""
    # Held credit becomes used credit: a refund reading the balance, then what is held, waits.
    lock_family_credit(session, structure_id, family_id)
    payment, basket = _payment_for(session, structure_id, family_id, payment_id)
    if payment.status == PaymentStatus.SUCCEEDED:
        return PaymentOutcome(True, "Paiement déjà enregistré.", already_done=True)
    if payment.status != PaymentStatus.CREATED or basket.status != BasketStatus.CHECKOUT:
        raise BookingError("Ce paiement n'est plus attendu.")
    if amount_cents != payment.amount_cents or amount_cents != basket.snapshot_total_cents:
        raise BookingError("Montant payé différent du montant du panier.")
    reserved_ids = [line["reservation_id"] for line in json.loads(basket.snapshot_lines or "[]")]
    session.exec(
        update(Reservation)
        .where(
            col(Reservation.basket_id) == basket.id,
            col(Reservation.status) == ReservationStatus.PENDING,
            col(Reservation.id).in_(reserved_ids),
        )
        .values(status=ReservationStatus.PAID, payment_id=payment.id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if payment.credit_cents:
        session.add(
            Credit(
                structure_id=structure_id,
                family_id=family_id,
                amount_cents=-payment.credit_cents,
                label=f"Avoir utilisé : paiement {payment.reference}",
                kind=CreditKind.USED,
                payment_id=payment.id,
                created_at=now,
            )
        )
    if payment.debt_cents:
        session.add(
            Credit(
                structure_id=structure_id,
                family_id=family_id,
                amount_cents=payment.debt_cents,
                label=f"Somme due à la régie réglée : paiement {payment.reference}",
                kind=CreditKind.DEBT_PAID,
                payment_id=payment.id,
                created_at=now,
            )
        )
    payment.status = PaymentStatus.SUCCEEDED
    payment.completed_at = now
    basket.status = BasketStatus.PAID
    basket.version += 1
    basket.updated_at = now
    session.add_all([payment, basket])
    session.flush()
    credited = _credit_days_closed_meanwhile(session, now, payment)
    return PaymentOutcome(True, "Paiement reçu : vos réservations sont confirmées.", closed_credited=credited)


def _credit_days_closed_meanwhile(session: Session, now: datetime, payment: Payment) -> int:
    """Whatever paid (card, credit alone, later the counter), a day closed is never left paid:
    a closure declared while the bank worked leaves the frozen basket alone, so once paid those
    days are cancelled and credited like any paid day on a closed day."""
    paid = list(
        session.exec(
            select(Reservation).where(
                Reservation.payment_id == payment.id, Reservation.status == ReservationStatus.PAID
            )
        )
    )
    closed = on_closed_days(session, payment.structure_id, paid)
    for reservation in closed:
        reservation.status = ReservationStatus.CANCELLED
        reservation.cancelled_at = reservation.updated_at = now
        session.add(reservation)
        session.add(
            Credit(
                structure_id=payment.structure_id,
                family_id=payment.family_id,
                amount_cents=reservation.price_cents,
                label=closure_credit_label(reservation.day),
                kind=CreditKind.CLOSURE,
                reservation_id=reservation.id,
                created_at=now,
            )
        )
    session.flush()
    return len(closed)
