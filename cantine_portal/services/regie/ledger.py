"""A family's ledger for the back office: payments, counter payments, credits and refunds, with a
running balance of its credit account (what the family may still use or be refunded)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from cantine_portal.models import (
    CounterPayment,
    CounterStatus,
    Credit,
    CreditKind,
    Family,
    Payment,
    PaymentStatus,
    Refund,
)
from cantine_portal.services.backoffice.access import check_staff
from cantine_portal.services.regie.errors import RegieError
from cantine_portal.services.regie.journal import METHOD_LABELS, OVERPAYMENT_KIND, PROVIDER_LABELS, credit_kind


@dataclass(frozen=True)
class LedgerLine:
    at: datetime
    kind: str  # the journal's kind: "en ligne", "guichet", "rejet", "remboursement", "trop-perçu", "avoir émis"…
    label: str
    paid_cents: int  # money the family handed over (0 for credit movements)
    credit_cents: int  # change of its credit balance
    balance_cents: int  # credit balance after this line
    counter_payment_id: int | None = None
    rejectable: bool = False  # a counter cheque not yet recorded as unpaid


_Raw = tuple[datetime, str, str, int, int, int | None, bool]


def _payment_lines(session: Session, structure_id: int, family_id: int) -> list[_Raw]:
    lines: list[_Raw] = []
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
                "en ligne",
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
                "guichet",
                f"Guichet — {METHOD_LABELS.get(c.method, c.method)} ({what})",
                c.amount_cents,
                0,
                c.id,
                cheque and c.status == CounterStatus.RECORDED,
            )
        )
        if c.rejected_at is not None:
            lines.append(
                (
                    c.rejected_at,
                    "rejet",
                    f"Chèque impayé — {c.rejection_reason}".rstrip(" —"),
                    -c.amount_cents,
                    0,
                    c.id,
                    False,
                )
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
        raw.append(
            (
                credit.created_at,
                _credit_nature(credit, refund_credits),
                credit.label,
                0,
                credit.amount_cents,
                None,
                False,
            )
        )
    raw.sort(key=lambda line: line[0])
    balance = 0
    lines = []
    for at, kind, label, paid, change, counter_id, rejectable in raw:
        balance += change
        lines.append(LedgerLine(at, kind, label, paid, change, balance, counter_id, rejectable))
    return lines


def _credit_nature(credit: Credit, refund_credits: set[int | None]) -> str:
    """What a credit line is, in the journal's words: a refund, a deposit at the counter, money
    a provider sent unasked, or a credit movement (issued, used, given back or taken back after
    a rejected cheque)."""
    if credit.id in refund_credits or credit.kind == CreditKind.REFUND:
        return "remboursement"
    if credit.kind == CreditKind.DEPOSIT:
        return "versement"
    if credit.kind == CreditKind.OVERPAYMENT:
        return OVERPAYMENT_KIND
    return credit_kind(credit)
