"""The régie's journal: every money movement of a day or a month, with totals per channel.

Built from the records themselves (payments, counter payments, rejections, refunds, the credit
ledger), never stored twice: a movement is dated by the instant it was recorded, always "now",
so nothing can appear later inside a period already over, and a closed period's frozen totals
(services/regie/closures.py) stay equal to what this module computes for it.

Channels: ``en ligne:<provider>`` (receipted online payments), ``guichet:<method>`` (counter
payments), ``trop-perçu:<provider>`` (money a provider sent with no basket left to pay: late, or
a wrong amount; it went to the family's credit), ``rejet:cheque``, ``remboursement:<method>``.
Credit movements that move no money are listed apart, each kind with its own total (``Credit.kind``):
credits issued (a cancelled or closed paid day), used (on a basket), given back after a rejected
cheque (the credit its basket had used) and taken back after one (what it paid that cannot be
reopened), meals the roll call found without a reservation and billed to the family (a sum owed,
charged to its account), and a sum owed paid with a basket. Totals reconcile: the receipted movements of the
period equal the receipts issued in it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import BindParameter, bindparam
from sqlalchemy import select as columns_of
from sqlmodel import Session, col, func, select

from cantine_portal.french import PARIS, format_euros, format_paris_datetime
from cantine_portal.models import (
    CounterPayment,
    CounterStatus,
    Credit,
    CreditKind,
    Family,
    Payment,
    PaymentStatus,
    Receipt,
    Refund,
)

PROVIDER_LABELS = {
    "simulated": "Paiement simulé",
    "stripe": "Carte (Stripe)",
    "payfip": "PayFiP",
    "systempay": "Carte (Systempay)",
}
METHOD_LABELS = {"especes": "Espèces", "cheque": "Chèque", "cesu": "CESU", "virement": "Virement"}
NOT_ONLINE = ("guichet", "avoir")


@dataclass(frozen=True)
class Movement:
    at: datetime
    # Money: "en ligne" | "guichet" | "rejet" | "remboursement" | "trop-perçu"; credit only (no money):
    # "avoir émis" | "avoir utilisé" | "avoir rendu après impayé" | "avoir repris après impayé".
    kind: str
    channel: str  # e.g. "en ligne:payfip", "guichet:cheque", "trop-perçu:stripe"; "" for credits
    label: str
    family: str
    reference: str
    amount_cents: int
    receipted: bool = False  # a receipt was issued for it (an online payment, a counter payment of a basket)


@dataclass(frozen=True)
class Journal:
    first_day: date
    last_day: date
    movements: tuple[Movement, ...]
    # Money per channel (negative for rejections and refunds) and its sum.
    totals: dict[str, int] = field(default_factory=dict)
    net_cents: int = 0
    credits_issued_cents: int = 0
    credits_used_cents: int = 0
    receipts_count: int = 0
    receipts_cents: int = 0
    receipted_cents: int = 0  # online + counter payments that paid a basket: must equal receipts_cents
    # Credit movements that moved no money, per journal kind (avoir émis, utilisé, rendu, repris).
    credit_totals: dict[str, int] = field(default_factory=dict)

    @property
    def reconciled(self) -> bool:
        return self.receipts_cents == self.receipted_cents


def bounds(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """The period's instants: from its first day's midnight in Paris to the midnight after its last."""
    start = datetime.combine(first_day, time(0), PARIS)
    end = datetime.combine(last_day + timedelta(days=1), time(0), PARIS)
    return start, end


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


# The journal's statements, built once with bound parameters (structure, period): building a
# SQLAlchemy statement costs more than running it on a commune's month, and the régie's page, its
# closures and the books' property test build journals often. Columns, not whole rows.
_SID: BindParameter[int] = bindparam("structure_id")
_START: BindParameter[datetime] = bindparam("start")
_END: BindParameter[datetime] = bindparam("end")
_NAMES = select(Family.id, Family.name).where(col(Family.structure_id) == _SID)
_PAYMENTS = columns_of(
    col(Payment.completed_at),
    col(Payment.provider),
    col(Payment.family_id),
    col(Payment.reference),
    col(Payment.amount_cents),
).where(
    col(Payment.structure_id) == _SID,
    col(Payment.status) == PaymentStatus.SUCCEEDED,
    col(Payment.completed_at) >= _START,
    col(Payment.completed_at) < _END,
    col(Payment.provider).not_in(NOT_ONLINE),
)
_COUNTER_COLUMNS = (
    col(CounterPayment.id),
    col(CounterPayment.family_id),
    col(CounterPayment.method),
    col(CounterPayment.amount_cents),
    col(CounterPayment.payment_id),
    col(CounterPayment.created_at),
    col(CounterPayment.rejected_at),
    col(CounterPayment.rejection_reason),
    col(CounterPayment.cheque_number),
    col(CounterPayment.bank),
    col(CounterPayment.cesu_count),
    col(CounterPayment.transfer_reference),
)
_COUNTER = columns_of(*_COUNTER_COLUMNS).where(
    col(CounterPayment.structure_id) == _SID,
    col(CounterPayment.created_at) >= _START,
    col(CounterPayment.created_at) < _END,
)
_REJECTED = columns_of(*_COUNTER_COLUMNS).where(
    col(CounterPayment.structure_id) == _SID,
    col(CounterPayment.status) == CounterStatus.REJECTED,
    col(CounterPayment.rejected_at) >= _START,
    col(CounterPayment.rejected_at) < _END,
)
_REFUNDS = columns_of(
    col(Refund.created_at),
    col(Refund.method),
    col(Refund.family_id),
    col(Refund.reference),
    col(Refund.amount_cents),
    col(Refund.credit_id),
).where(col(Refund.structure_id) == _SID, col(Refund.created_at) >= _START, col(Refund.created_at) < _END)
_COUNTER_CREDITS = select(CounterPayment.credit_id).where(
    col(CounterPayment.structure_id) == _SID, col(CounterPayment.credit_id).is_not(None)
)
_CREDITS = (
    columns_of(
        col(Credit.id),
        col(Credit.created_at),
        col(Credit.kind),
        col(Credit.label),
        col(Credit.family_id),
        col(Credit.amount_cents),
        col(Payment.provider),
        col(Payment.reference),
    )
    .outerjoin(Payment, col(Payment.id) == col(Credit.payment_id))
    .where(col(Credit.structure_id) == _SID, col(Credit.created_at) >= _START, col(Credit.created_at) < _END)
)
_RECEIPTS = select(func.count(), func.coalesce(func.sum(Receipt.amount_cents), 0)).where(
    col(Receipt.structure_id) == _SID, col(Receipt.issued_at) >= _START, col(Receipt.issued_at) < _END
)


def _names(session: Session, structure_id: int) -> dict[int, str]:
    rows = session.execute(_NAMES, {"structure_id": structure_id}).tuples()
    return {family_id: name for family_id, name in rows if family_id is not None}


def _payments(session: Session, period: dict[str, Any], names: dict[int, str]) -> list[Movement]:
    start = period["start"]
    return [
        Movement(
            completed_at or start,
            "en ligne",
            f"en ligne:{provider}",
            f"Paiement en ligne — {PROVIDER_LABELS.get(provider, provider)}",
            names.get(family_id, ""),
            reference,
            amount_cents,
            True,
        )
        for completed_at, provider, family_id, reference, amount_cents in session.execute(_PAYMENTS, period).tuples()
        if amount_cents
    ]


def _counter(session: Session, period: dict[str, Any], names: dict[int, str]) -> list[Movement]:
    moves = []
    for c in session.execute(_COUNTER, period):
        what = "panier" if c.payment_id else "avoir"
        moves.append(
            Movement(
                c.created_at,
                "guichet",
                f"guichet:{c.method}",
                f"Guichet — {METHOD_LABELS.get(c.method, c.method)} ({what}){_detail(c)}",
                names.get(c.family_id, ""),
                f"G-{c.id}",
                c.amount_cents,
                c.payment_id is not None,
            )
        )
    for c in session.execute(_REJECTED, period):
        moves.append(
            Movement(
                c.rejected_at or period["start"],
                "rejet",
                "rejet:cheque",
                f"Chèque impayé{_detail(c)} — {c.rejection_reason}".rstrip(" —"),
                names.get(c.family_id, ""),
                f"G-{c.id}",
                -c.amount_cents,
            )
        )
    return moves


def _detail(c: Any) -> str:
    """A counter payment's particulars (a row of its columns)."""
    if c.cheque_number:
        return f", n° {c.cheque_number} {c.bank}".rstrip()
    if c.cesu_count:
        return f", {c.cesu_count} titre(s)"
    if c.transfer_reference:
        return f", réf. {c.transfer_reference}"
    return ""


UNBOOKED_KIND = "présents sans réservation facturés"

# How each kind of credit movement shows in the journal (Credit.kind → journal kind). Credits that
# money came with (a deposit at the counter, a trop-perçu) and refunds are money movements of their own.
CREDIT_KINDS = {
    CreditKind.CANCELLATION: "avoir émis",
    CreditKind.CLOSURE: "avoir émis",
    CreditKind.ABSENCE: "avoir émis",
    CreditKind.USED: "avoir utilisé",
    CreditKind.RESTORED: "avoir rendu après impayé",
    CreditKind.TAKEN_BACK: "avoir repris après impayé",
    # A meal taken without a reservation, charged to the family's account (negative; its
    # cancellation positive): money the family owes, not money in — like an avoir repris.
    CreditKind.UNBOOKED: UNBOOKED_KIND,
    # The sum owed paid with a basket: the money is the payment's (receipted); this line brings
    # the family's account back up to zero.
    CreditKind.DEBT_PAID: "somme due réglée",
}
OVERPAYMENT_KIND = "trop-perçu"


def credit_kind(credit: Credit) -> str:
    """The journal kind of a credit movement; a row that does not say is read from its sign."""
    return _kind_of(credit.kind, credit.amount_cents)


_CREDIT_KIND_VALUES = frozenset(CreditKind)


def _kind_of(kind: str | None, amount_cents: int) -> str:
    known = CREDIT_KINDS.get(CreditKind(kind)) if kind in _CREDIT_KIND_VALUES else None
    return known or ("avoir émis" if amount_cents > 0 else "avoir utilisé")


def _refunds_and_credits(session: Session, period: dict[str, Any], names: dict[int, str]) -> list[Movement]:
    refunds = session.execute(_REFUNDS, period).all()
    moves = [
        Movement(
            r.created_at,
            "remboursement",
            f"remboursement:{r.method}",
            f"Remboursement d'avoir — {METHOD_LABELS.get(r.method, r.method)}",
            names.get(r.family_id, ""),
            r.reference,
            -r.amount_cents,
        )
        for r in refunds
    ]
    skip = {r.credit_id for r in refunds} | set(
        session.execute(_COUNTER_CREDITS, {"structure_id": period["structure_id"]}).scalars()
    )
    for c in session.execute(_CREDITS, period):
        if c.id in skip or not c.amount_cents or c.kind in (CreditKind.DEPOSIT, CreditKind.REFUND):
            continue
        family = names.get(c.family_id, "")
        provider, reference = c.provider or "", c.reference or ""
        if c.kind == CreditKind.OVERPAYMENT:
            # Money a provider really sent with no basket to pay: it came in (and went to the credit).
            label = f"Trop-perçu — {PROVIDER_LABELS.get(provider, provider)} (porté en avoir)"
            channel = f"{OVERPAYMENT_KIND}:{provider}"
            moves.append(Movement(c.created_at, OVERPAYMENT_KIND, channel, label, family, reference, c.amount_cents))
            continue
        moves.append(
            Movement(c.created_at, _kind_of(c.kind, c.amount_cents), "", c.label, family, reference, c.amount_cents)
        )
    return moves


def build_journal(session: Session, structure_id: int, first_day: date, last_day: date) -> Journal:
    """Every movement recorded between ``first_day`` and ``last_day`` (Paris days), oldest first."""
    start, end = bounds(first_day, last_day)
    period: dict[str, Any] = {"structure_id": structure_id, "start": start, "end": end}
    names = _names(session, structure_id)
    moves = sorted(
        _payments(session, period, names)
        + _counter(session, period, names)
        + _refunds_and_credits(session, period, names),
        key=lambda m: m.at,
    )
    totals: dict[str, int] = defaultdict(int)
    credit_totals: dict[str, int] = defaultdict(int)
    for m in moves:
        if m.channel:
            totals[m.channel] += m.amount_cents
        else:
            credit_totals[m.kind] += m.amount_cents
    receipt_count, receipt_cents = session.execute(_RECEIPTS, period).one()
    return Journal(
        first_day,
        last_day,
        tuple(moves),
        dict(sorted(totals.items())),
        sum(totals.values()),
        sum(m.amount_cents for m in moves if m.kind == "avoir émis"),
        -sum(m.amount_cents for m in moves if m.kind == "avoir utilisé"),
        receipt_count,
        int(receipt_cents),
        sum(m.amount_cents for m in moves if m.receipted),
        dict(sorted(credit_totals.items())),
    )


def channel_label(channel: str) -> str:
    kind, _, key = channel.partition(":")
    name = PROVIDER_LABELS.get(key) if kind in ("en ligne", OVERPAYMENT_KIND) else METHOD_LABELS.get(key)
    return f"{kind.capitalize()} — {name or key}"


def credit_summary(journal: Journal) -> str:
    """One line for the page and the PDF: each kind of credit movement with its total."""
    if not journal.credit_totals:
        return "Mouvements d'avoir : aucun"
    parts = [f"{kind} : {format_euros(cents)}" for kind, cents in journal.credit_totals.items()]
    return "Mouvements d'avoir (sans encaissement) — " + " ; ".join(parts)


JOURNAL_HEADER = ("Date", "Nature", "Libellé", "Famille", "Référence", "Montant (€)")


def journal_rows(journal: Journal) -> list[tuple[str, str, str, str, str, str]]:
    """The journal as CSV/PDF rows: compact date, amounts with a decimal comma."""
    return [
        (
            format_paris_datetime(m.at).replace(" à ", " "),
            m.kind,
            m.label,
            m.family,
            m.reference,
            decimal(m.amount_cents),
        )
        for m in journal.movements
    ]


def decimal(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100},{abs(cents) % 100:02d}"
