"""A family's ledger for the back office: payments, counter payments, credits and refunds, with a
running balance of its credit account (what the family may still use or be refunded)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from cantine_portal.models import CounterPayment, CounterStatus, Credit, Family, Payment, PaymentStatus, Refund
from cantine_portal.services.backoffice.access import check_staff
from cantine_portal.services.regie.errors import RegieError
from cantine_portal.services.regie.journal import METHOD_LABELS, PROVIDER_LABELS


@dataclass(frozen=True)
class LedgerLine:
    at: datetime
    label: str
    paid_cents: int  # money the family handed over (0 for credit movements)
    credit_cents: int  # change of its credit balance
    balance_cents: int  # credit balance after this line
    counter_payment_id: int | None = None
    rejectable: bool = False  # a counter cheque not yet recorded as unpaid


def _payment_lines(
    session: Session, structure_id: int, family_id: int
) -> list[tuple[datetime, str, int, int, int | None, bool]]:
    lines: list[tuple[datetime, str, int, int, int | None, bool]] = []
    counters = {
        c.payment_id: c
        for c in session.exec(
            select(CounterPayment).where(
                CounterPayment.family_id == family_id, CounterPayment.structure_id == structure_id
            )
        ).all()
    }
    for p in session.exec(
        select(Payment).where(
            Payment.family_id == family_id,
            Payment.structure_id == structure_id,
            Payment.status == PaymentStatus.SUCCEEDED,
        )
    ).all():
        if p.provider == "guichet" or not p.amount_cents:
            continue
        lines.append(
            (
                p.completed_at or p.created_at,
                f"Paiement en ligne {p.reference} — {PROVIDER_LABELS.get(p.provider, p.provider)}",
                p.amount_cents,
                0,
                None,
                False,
            )
        )
    for c in counters.values():
        what = "panier" if c.payment_id else "avoir"
        cheque = c.method == "cheque"
        lines.append(
            (
                c.created_at,
                f"Guichet — {METHOD_LABELS.get(c.method, c.method)} ({what})",
                c.amount_cents,
                0,
                c.id,
                cheque and c.status == CounterStatus.RECORDED,
            )
        )
        if c.rejected_at is not None:
            lines.append(
                (c.rejected_at, f"Chèque impayé — {c.rejection_reason}".rstrip(" —"), -c.amount_cents, 0, c.id, False)
            )
    return lines


def family_ledger(session: Session, structure_id: int, staff_id: int, family_id: int) -> list[LedgerLine]:
    """Oldest first; the balance column is the family's credit after each line."""
    check_staff(session, structure_id, staff_id)
    family = session.get(Family, family_id)
    if family is None or family.structure_id != structure_id:
        raise RegieError("Famille inconnue.")
    raw = _payment_lines(session, structure_id, family_id)
    refund_credits = {r.credit_id for r in session.exec(select(Refund).where(Refund.family_id == family_id)).all()}
    for credit in session.exec(
        select(Credit)
        .where(Credit.family_id == family_id, Credit.structure_id == structure_id)
        .order_by(col(Credit.id))
    ).all():
        label = credit.label if credit.id not in refund_credits else f"{credit.label} (remboursement)"
        raw.append((credit.created_at, label, 0, credit.amount_cents, None, False))
    raw.sort(key=lambda line: line[0])
    balance = 0
    lines = []
    for at, label, paid, change, counter_id, rejectable in raw:
        balance += change
        lines.append(LedgerLine(at, label, paid, change, balance, counter_id, rejectable))
    return lines
