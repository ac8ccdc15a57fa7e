"""Refunds: staff give back some or all of a family's available credit.

A refund is a negative line of the credit ledger plus its Refund row (method, reference). It
never exceeds the balance less the credit a payment under way holds: the balance is read under
the family's credit lock (services/booking/credit_lock.py, the one a payment start also takes;
SQLite's write transactions are serial) inside the same transaction, and the form's
idempotency key makes a double click record it once. Plain Python; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from cantine_portal.french import format_euros
from cantine_portal.models import Credit, CreditKind, Payment, PaymentStatus, Refund, RefundMethod, row_id
from cantine_portal.services.backoffice.access import check_staff
from cantine_portal.services.booking.credit_lock import lock_family_credit
from cantine_portal.services.booking.queries import credit_balance
from cantine_portal.services.regie.errors import AlreadyRecorded, RegieError
from cantine_portal.services.shared import audit

REFUND_LABELS = {RefundMethod.TRANSFER: "virement", RefundMethod.CHEQUE: "chèque", RefundMethod.CASH: "espèces"}


@dataclass(frozen=True)
class RefundResult:
    refund_id: int
    family_id: int
    amount_cents: int
    balance_after_cents: int
    message: str


def credit_held(session: Session, structure_id: int, family_id: int) -> int:
    """Credit a payment under way will use if the bank says yes (it is deducted only then): not
    available for a refund meanwhile, or the family would be refunded money that also pays."""
    held = session.exec(
        select(func.coalesce(func.sum(Payment.credit_cents), 0)).where(
            Payment.structure_id == structure_id,
            Payment.family_id == family_id,
            Payment.status == PaymentStatus.CREATED,
        )
    ).one()
    return int(held)


def _check_refund(
    session: Session,
    structure_id: int,
    staff_id: int,
    family_id: int,
    amount_cents: int,
    method: str,
    reference: str,
    key: str,
) -> int:
    """Everything a refund must pass (the family row locked first); returns the credit balance."""
    check_staff(session, structure_id, staff_id)
    if lock_family_credit(session, structure_id, family_id) is None:
        raise RegieError("Famille inconnue.")
    if not key:
        raise RegieError("Formulaire expiré : rechargez la page.")
    if (
        session.exec(select(Refund).where(Refund.structure_id == structure_id, Refund.idempotency_key == key)).first()
        is not None
    ):
        raise AlreadyRecorded("Ce remboursement est déjà enregistré.")
    if method not in set(RefundMethod):
        raise RegieError("Choisissez le mode de remboursement.")
    if amount_cents <= 0:
        raise RegieError("Indiquez un montant supérieur à 0 €.")
    if method != RefundMethod.CASH and not reference.strip():
        raise RegieError("Indiquez la référence du virement ou le numéro du chèque.")
    balance = credit_balance(session, structure_id, family_id)
    held = credit_held(session, structure_id, family_id)
    if amount_cents > balance - held:
        raise RegieError(
            f"Le remboursement ({format_euros(amount_cents)}) dépasse l'avoir disponible "
            f"({format_euros(max(balance - held, 0))})."
            + (f" {format_euros(held)} sont retenus par un paiement en ligne en cours." if held else "")
        )
    return balance


def refund_credit(
    session: Session,
    now: datetime,
    structure_id: int,
    staff_id: int,
    family_id: int,
    amount_cents: int,
    method: str,
    reference: str,
    reason: str,
    key: str,
) -> RefundResult:
    """Give ``amount_cents`` of the family's credit back by ``method``; refused beyond the balance."""
    balance = _check_refund(session, structure_id, staff_id, family_id, amount_cents, method, reference, key)
    label = f"Remboursement par {REFUND_LABELS[RefundMethod(method)]}"
    credit = Credit(
        structure_id=structure_id,
        family_id=family_id,
        amount_cents=-amount_cents,
        created_at=now,
        kind=CreditKind.REFUND,
        label=(label + (f" (réf. {reference.strip()})" if reference.strip() else ""))[:200],
    )
    session.add(credit)
    session.flush()
    refund = Refund(
        structure_id=structure_id,
        family_id=family_id,
        amount_cents=amount_cents,
        method=method,
        reference=reference.strip()[:80],
        reason=reason.strip()[:200],
        credit_id=row_id(credit),
        idempotency_key=key[:64],
        recorded_by=staff_id,
        created_at=now,
    )
    session.add(refund)
    session.flush()
    audit.record(
        session,
        now,
        "regie.refund",
        structure_id=structure_id,
        account_id=staff_id,
        target=str(family_id),
        amount_cents=amount_cents,
        method=method,
    )
    return RefundResult(
        row_id(refund),
        family_id,
        amount_cents,
        balance - amount_cents,
        f"Remboursement de {format_euros(amount_cents)} enregistré.",
    )


@dataclass(frozen=True)
class FamilyRefund:
    """A refund as the family sees it in Factures."""

    at: datetime
    amount_cents: int
    method_label: str  # « Virement », « Chèque », « Espèces »
    reference: str


def family_refunds(session: Session, structure_id: int, family_id: int) -> list[FamilyRefund]:
    """The family's refunds, newest first (Factures shows them next to its receipts)."""
    rows = session.exec(
        select(Refund)
        .where(Refund.structure_id == structure_id, Refund.family_id == family_id)
        .order_by(col(Refund.created_at).desc(), col(Refund.id).desc())
    ).all()
    return [
        FamilyRefund(
            r.created_at, r.amount_cents, REFUND_LABELS.get(RefundMethod(r.method), r.method).capitalize(), r.reference
        )
        for r in rows
        if r.method in set(RefundMethod)
    ]
