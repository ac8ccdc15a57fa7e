"""A cheque recorded at the counter comes back unpaid (impayé): its reversal.

Nothing is edited: the counter payment is marked rejected with its date (the journal shows a
negative line that day), and what it paid is reopened. Days it paid that are still to come go
back to pending in the family's basket, to be paid again; what cannot be reopened (days already
past, days since cancelled and credited, a credit on account already spent) is debited from the
family's credit balance, which may go below zero: the family owes it. The credit the payment
used is given back. The money identity (money in = paid days + available credit + refunds)
therefore loses exactly the cheque's amount. Plain Python; the caller commits and mails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from cantine_portal.french import PARIS, format_euros
from cantine_portal.models import (
    Absence,
    AbsenceDay,
    AbsenceDayOutcome,
    AbsenceStatus,
    Basket,
    BasketStatus,
    CounterMethod,
    CounterPayment,
    CounterStatus,
    Credit,
    CreditKind,
    Payment,
    Reservation,
    ReservationStatus,
    row_id,
)
from cantine_portal.services.backoffice.access import check_staff
from cantine_portal.services.booking.credit_lock import lock_family_credit
from cantine_portal.services.booking.queries import current_basket
from cantine_portal.services.regie.errors import RegieError
from cantine_portal.services.shared import audit


@dataclass(frozen=True)
class RejectionResult:
    counter_payment_id: int
    family_id: int
    amount_cents: int
    reopened_days: int
    debited_cents: int
    message: str


def _open_basket(session: Session, now: datetime, structure_id: int, family_id: int) -> Basket:
    basket = current_basket(session, structure_id, family_id)
    if basket is not None and basket.status == BasketStatus.CHECKOUT:
        raise RegieError("Un paiement en ligne de cette famille est en cours : réessayez dans une demi-heure.")
    if basket is None:
        basket = Basket(structure_id=structure_id, family_id=family_id, created_at=now, updated_at=now)
    else:
        basket.version += 1  # the family's open pages see the basket changed
        basket.updated_at = now
    session.add(basket)
    session.flush()
    return basket


def _reopen_days(session: Session, now: datetime, payment: Payment) -> tuple[int, int]:
    """Days still paid by ``payment``: future ones back to pending, past ones kept (and owed).
    Returns (days reopened, cents of days kept)."""
    paid = session.exec(
        select(Reservation).where(Reservation.payment_id == payment.id, Reservation.status == ReservationStatus.PAID)
    ).all()
    today = now.astimezone(PARIS).date()
    future = [r for r in paid if r.day > today]
    ill = _withdraw_declared_ill(session, now, [r for r in future if r.day > today])
    future = [r for r in future if row_id(r) not in ill]
    kept_cents = sum(r.price_cents for r in paid if r.day <= today)
    if future:
        basket = _open_basket(session, now, payment.structure_id, payment.family_id)
        session.exec(
            update(Reservation)
            .where(col(Reservation.id).in_([row_id(r) for r in future]))
            .values(status=ReservationStatus.PENDING, payment_id=None, basket_id=basket.id, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return len(future), kept_cents


def _withdraw_declared_ill(session: Session, now: datetime, days: list[Reservation]) -> set[int]:
    """Days the family declared ill, waiting for the staff's decision: the child will not come, so
    they are not put back in the basket to be paid again; they leave it as a basket day would
    (cancelled, no credit: the cheque that paid them never paid). Their absence has nothing left to
    decide for them. Returns their reservation ids."""
    waiting = session.exec(
        select(AbsenceDay).where(
            col(AbsenceDay.reservation_id).in_([row_id(r) for r in days]),
            AbsenceDay.outcome == AbsenceDayOutcome.WAITING,
        )
    ).all()
    if not waiting:
        return set()
    ids = {d.reservation_id for d in waiting if d.reservation_id is not None}
    session.exec(
        update(Reservation)
        .where(col(Reservation.id).in_(ids))
        .values(status=ReservationStatus.CANCELLED, payment_id=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    for day in waiting:
        day.outcome = AbsenceDayOutcome.WITHDRAWN
        session.add(day)
    session.flush()
    for absence_id in {d.absence_id for d in waiting}:
        left = session.exec(
            select(AbsenceDay).where(
                AbsenceDay.absence_id == absence_id, AbsenceDay.outcome == AbsenceDayOutcome.WAITING
            )
        ).first()
        absence = session.get(Absence, absence_id)
        if left is None and absence is not None and absence.status == AbsenceStatus.PENDING:
            absence.status, absence.decided_at = AbsenceStatus.WITHDRAWN, now
            session.add(absence)
    return ids


def _cancelled_cents(session: Session, payment: Payment) -> int:
    """Days this payment paid that were cancelled since: their credit was issued already."""
    cancelled = session.exec(
        select(Reservation).where(
            Reservation.payment_id == payment.id, Reservation.status == ReservationStatus.CANCELLED
        )
    ).all()
    return sum(r.price_cents for r in cancelled)


def reject_cheque(
    session: Session, now: datetime, structure_id: int, staff_id: int, counter_payment_id: int, reason: str
) -> RejectionResult:
    """Record a counter cheque as unpaid. Refused twice (compare-and-set on its status)."""
    check_staff(session, structure_id, staff_id)
    row = session.get(CounterPayment, counter_payment_id)
    if row is None or row.structure_id != structure_id:
        raise RegieError("Paiement inconnu.")
    if row.method != CounterMethod.CHEQUE:
        raise RegieError("Seul un chèque peut être enregistré comme impayé.")
    # It debits the credit and reopens days in the basket: a refund or a « Payer » waits.
    lock_family_credit(session, structure_id, row.family_id)
    claimed = session.exec(
        update(CounterPayment)
        .where(col(CounterPayment.id) == row.id, col(CounterPayment.status) == CounterStatus.RECORDED)
        .values(
            status=CounterStatus.REJECTED, rejected_at=now, rejected_by=staff_id, rejection_reason=reason.strip()[:200]
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise RegieError("Ce chèque est déjà enregistré comme impayé.")
    reopened, debit = _reverse(session, now, row)
    if debit:
        session.add(
            Credit(
                structure_id=structure_id,
                family_id=row.family_id,
                amount_cents=-debit,
                created_at=now,
                label=f"Avoir repris après chèque impayé n° {row.cheque_number} ({row.bank}) : somme due",
                kind=CreditKind.TAKEN_BACK,
            )
        )
    session.flush()
    audit.record(
        session,
        now,
        "regie.cheque_rejected",
        structure_id=structure_id,
        account_id=staff_id,
        target=str(row.id),
        amount_cents=row.amount_cents,
        reopened=reopened,
        debited_cents=debit,
    )
    message = f"Chèque de {format_euros(row.amount_cents)} enregistré comme impayé."
    if reopened:
        message += f" {reopened} jour(s) à venir remis dans le panier de la famille."
    if debit:
        message += f" {format_euros(debit)} débités de son solde."
    return RejectionResult(row_id(row), row.family_id, row.amount_cents, reopened, debit, message)


def _reverse(session: Session, now: datetime, row: CounterPayment) -> tuple[int, int]:
    """Undo what the cheque paid; returns (days reopened, cents to debit from the balance)."""
    if row.payment_id is None:
        return 0, row.amount_cents  # a credit on account: taken back from the balance
    payment = session.get(Payment, row.payment_id)
    if payment is None:
        raise RegieError("Paiement inconnu.")
    reopened, kept = _reopen_days(session, now, payment)
    cancelled = _cancelled_cents(session, payment)
    if payment.credit_cents:
        session.add(
            Credit(
                structure_id=payment.structure_id,
                family_id=payment.family_id,
                amount_cents=payment.credit_cents,
                payment_id=payment.id,
                created_at=now,
                label=f"Avoir rendu après chèque impayé (paiement {payment.reference})",
                kind=CreditKind.RESTORED,
            )
        )
    # the sum owed it settled is owed again: taken back with what cannot be reopened
    return reopened, kept + cancelled + payment.debt_cents
