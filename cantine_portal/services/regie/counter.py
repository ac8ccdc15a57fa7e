"""Payments taken at the town-hall counter: cash, cheque, CESU, bank transfer.

A counter payment either pays the family's open basket, through the very checkout an online
payment goes through (freeze, re-check deadlines, prices and closures, mark paid, receipt with
the commune's gapless number), or goes to the family's credit on account. A form carries an
idempotency key: submitted twice, it is recorded once. Plain Python; the caller commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from cantine_portal.french import format_euros
from cantine_portal.models import (
    BasketStatus,
    CounterMethod,
    CounterPayment,
    Credit,
    CreditKind,
    Family,
    Payment,
    row_id,
)
from cantine_portal.services.backoffice.access import check_staff
from cantine_portal.services.booking.basket import basket_summary
from cantine_portal.services.booking.checkout import (
    CheckoutSnapshot,
    ProviderRedirect,
    begin_checkout,
)
from cantine_portal.services.booking.credit_lock import lock_family_credit
from cantine_portal.services.booking.queries import current_basket
from cantine_portal.services.booking.settlement import checkout_succeeded
from cantine_portal.services.payments import receipts
from cantine_portal.services.regie.errors import AlreadyRecorded, RegieError
from cantine_portal.services.shared import audit

COUNTER_PROVIDER = "guichet"
METHOD_LABELS = {
    CounterMethod.CASH: "Espèces",
    CounterMethod.CHEQUE: "Chèque",
    CounterMethod.CESU: "CESU",
    CounterMethod.TRANSFER: "Virement",
}


@dataclass(frozen=True)
class CounterDetails:
    """What the régisseur typed: the method and what identifies the money."""

    method: str
    amount_cents: int
    bank: str = ""
    cheque_number: str = ""
    cesu_numbers: str = ""
    cesu_count: int = 0
    transfer_reference: str = ""


@dataclass(frozen=True)
class CounterResult:
    counter_payment_id: int
    message: str
    receipt_id: int | None = None  # the basket was paid: its receipt (PDF and ticket after the commit)


class CounterDesk:
    """The counter as a PaymentProvider: the money is already in the régisseur's hands, so
    opening its "session" only names it (no page, no network)."""

    name = COUNTER_PROVIDER
    remote = False

    def start(self, snapshot: CheckoutSnapshot) -> ProviderRedirect:
        return ProviderRedirect("", "guichet_" + secrets.token_urlsafe(18), None)


def check_details(details: CounterDetails) -> dict[str, str]:
    """The form's errors, by field (empty: valid)."""
    errors: dict[str, str] = {}
    if details.method not in set(CounterMethod):
        errors["method"] = "Choisissez le mode de paiement."
    if details.amount_cents <= 0:
        errors["amount"] = "Indiquez un montant supérieur à 0 €."
    if details.method == CounterMethod.CHEQUE:
        if not details.bank.strip():
            errors["bank"] = "Indiquez la banque du chèque."
        if not details.cheque_number.strip():
            errors["cheque_number"] = "Indiquez le numéro du chèque."
    if details.method == CounterMethod.CESU:
        numbers = cesu_numbers(details.cesu_numbers)
        if not numbers:
            errors["cesu_numbers"] = "Indiquez les numéros des CESU remis."
        elif details.cesu_count != len(numbers):
            errors["cesu_count"] = f"{len(numbers)} numéro(s) saisi(s) pour {details.cesu_count} CESU annoncé(s)."
    if details.method == CounterMethod.TRANSFER and not details.transfer_reference.strip():
        errors["transfer_reference"] = "Indiquez la référence du virement."
    return errors


def cesu_numbers(text: str) -> list[str]:
    """The CESU numbers typed one per line, or separated by commas or spaces."""
    return [n for n in text.replace(",", " ").replace(";", " ").split() if n]


def _existing(session: Session, structure_id: int, key: str) -> CounterPayment | None:
    return session.exec(
        select(CounterPayment).where(CounterPayment.structure_id == structure_id, CounterPayment.idempotency_key == key)
    ).first()


def _family(session: Session, structure_id: int, family_id: int) -> Family:
    """The family, its credit locked first (a refund or a « Payer » of the same family waits)."""
    family = lock_family_credit(session, structure_id, family_id)
    if family is None:
        raise RegieError("Famille inconnue.")
    return family


def _row(
    structure_id: int, family_id: int, staff_id: int, details: CounterDetails, key: str, now: datetime
) -> CounterPayment:
    return CounterPayment(
        structure_id=structure_id,
        family_id=family_id,
        method=details.method,
        amount_cents=details.amount_cents,
        bank=details.bank.strip()[:80],
        cheque_number=details.cheque_number.strip()[:40],
        cesu_numbers="\n".join(cesu_numbers(details.cesu_numbers)),
        cesu_count=details.cesu_count,
        transfer_reference=details.transfer_reference.strip()[:80],
        idempotency_key=key[:64],
        recorded_by=staff_id,
        created_at=now,
    )


def _start(
    session: Session, structure_id: int, family_id: int, staff_id: int, details: CounterDetails, key: str
) -> None:
    check_staff(session, structure_id, staff_id)
    _family(session, structure_id, family_id)
    if not key:
        raise RegieError("Formulaire expiré : rechargez la page.")
    if _existing(session, structure_id, key) is not None:
        raise AlreadyRecorded("Ce paiement est déjà enregistré.")
    errors = check_details(details)
    if errors:
        raise RegieError(" ".join(errors.values()))


def record_credit(
    session: Session, now: datetime, structure_id: int, family_id: int, staff_id: int, details: CounterDetails, key: str
) -> CounterResult:
    """Money handed in without a basket to pay: it goes to the family's credit on account."""
    _start(session, structure_id, family_id, staff_id, details, key)
    row = _row(structure_id, family_id, staff_id, details, key, now)
    credit = Credit(
        structure_id=structure_id,
        family_id=family_id,
        amount_cents=details.amount_cents,
        label=f"Versement au guichet ({METHOD_LABELS[CounterMethod(details.method)].lower()})",
        kind=CreditKind.DEPOSIT,
        created_at=now,
    )
    session.add(credit)
    session.flush()
    row.credit_id = row_id(credit)
    session.add(row)
    session.flush()
    audit.record(
        session,
        now,
        "regie.counter_credit",
        structure_id=structure_id,
        account_id=staff_id,
        target=str(family_id),
        amount_cents=details.amount_cents,
        method=details.method,
    )
    return CounterResult(row_id(row), f"Versement de {format_euros(details.amount_cents)} porté en avoir.")


def pay_basket(
    session: Session, now: datetime, structure_id: int, family_id: int, staff_id: int, details: CounterDetails, key: str
) -> CounterResult:
    """Money handed in for the family's open basket: it pays it, exactly, as an online payment does.

    The amount must equal the basket's total (after its credit); anything else is refused, so that
    the régisseur gives change or records the difference as a credit."""
    _start(session, structure_id, family_id, staff_id, details, key)
    basket = current_basket(session, structure_id, family_id)
    if basket is None or basket.status != BasketStatus.OPEN:
        raise RegieError("Cette famille n'a pas de panier ouvert (un paiement en ligne est peut-être en cours).")
    result = begin_checkout(session, now, structure_id, family_id, CounterDesk(), basket.version)
    if not result.ok or result.payment_id is None:
        raise RegieError(result.message)
    payment = session.get(Payment, result.payment_id)
    assert payment is not None
    if result.paid:
        raise RegieError("Le panier est entièrement couvert par l'avoir de la famille : rien à encaisser.")
    if payment.amount_cents != details.amount_cents:
        raise RegieError(
            f"Le montant reçu ({format_euros(details.amount_cents)}) diffère du total du panier "
            f"({format_euros(payment.amount_cents)})."
        )
    outcome = checkout_succeeded(session, now, structure_id, family_id, row_id(payment), details.amount_cents)
    if not outcome.ok:
        raise RegieError(outcome.message)
    payment.method = details.method
    session.add(payment)
    credited = outcome.closed_credited  # days closed meanwhile: cancelled and credited by the settlement
    receipt = receipts.issue_receipt(session, now, payment)
    row = _row(structure_id, family_id, staff_id, details, key, now)
    row.payment_id = row_id(payment)
    session.add(row)
    session.flush()
    audit.record(
        session,
        now,
        "regie.counter_payment",
        structure_id=structure_id,
        account_id=staff_id,
        target=payment.reference,
        amount_cents=details.amount_cents,
        method=details.method,
        receipt=receipt.number,
    )
    message = f"Panier payé au guichet : reçu n° {receipt.number}."
    if credited:
        message += f" {credited} jour(s) fermé(s) portés en avoir."
    return CounterResult(row_id(row), message, row_id(receipt))


def open_basket_total(session: Session, now: datetime, structure_id: int, family_id: int) -> int | None:
    """What the family's open basket costs now (after its credit), or None without an open basket."""
    basket = current_basket(session, structure_id, family_id)
    if basket is None or basket.status != BasketStatus.OPEN:
        return None
    return basket_summary(session, now, structure_id, family_id).total_cents
