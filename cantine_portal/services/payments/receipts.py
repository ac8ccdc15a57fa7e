"""Receipts: a PDF per successful payment, numbered per commune and year without gaps.

The number is taken by an atomic ``UPDATE … RETURNING`` on the commune's counter inside the
payment's own transaction: a rolled-back payment gives its number back, two concurrent payments
never share one. The PDF is rendered once that transaction has committed
(``usecases.payments.ensure_receipt_pdf``), stored under a random name and never changes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cantine_portal.config import Settings
from cantine_portal.french import PARIS
from cantine_portal.infra.pdf.receipt import ReceiptData, ReceiptLine
from cantine_portal.models import (
    Account,
    AccountRole,
    Basket,
    Family,
    Guardian,
    Payment,
    Receipt,
    ReceiptCounter,
    Structure,
    row_id,
)
from cantine_portal.services.shared.branding import colour_of, raster_logo_of

PAYMENT_METHODS = {
    "simulated": "Carte bancaire (paiement en ligne simulé)",
    "stripe": "Carte bancaire (paiement en ligne Stripe)",
    "avoir": "Avoir (aucun paiement bancaire)",
}


def next_receipt_number(session: Session, structure_id: int, year: int) -> str:
    """Take the next number of (commune, year) inside the caller's transaction."""
    for _ in range(3):
        taken = session.exec(
            update(ReceiptCounter)
            .where(col(ReceiptCounter.structure_id) == structure_id, col(ReceiptCounter.year) == year)
            .values(last_number=col(ReceiptCounter.last_number) + 1)
            .returning(col(ReceiptCounter.last_number))
        ).scalar_one_or_none()
        if taken is not None:
            return f"{year}-{taken:06d}"
        try:
            with session.begin_nested():
                session.add(ReceiptCounter(structure_id=structure_id, year=year, last_number=0))
        except IntegrityError:
            pass  # another transaction created the counter first: take a number from it
    raise RuntimeError("could not take a receipt number")


def receipt_for_payment(session: Session, payment_id: int) -> Receipt | None:
    return session.exec(select(Receipt).where(Receipt.payment_id == payment_id)).first()


def _payer(session: Session, family: Family, account_id: int | None = None) -> tuple[str, str]:
    """(name, e-mail) of who paid: the login that pressed « Payer » (issue 20: two guardians, two
    logins), else the family's first parent login."""
    payer = session.get(Account, account_id) if account_id is not None else None
    account = (
        payer
        if payer is not None and payer.family_id == family.id
        else session.exec(
            select(Account)
            .where(Account.family_id == family.id, Account.role == AccountRole.PARENT)
            .order_by(col(Account.id))
        ).first()
    )
    guardian = session.get(Guardian, account.guardian_id) if account and account.guardian_id else None
    name = f"{guardian.first_name} {guardian.last_name}" if guardian else family.name
    return name, account.email if account else ""


def payer_email(session: Session, family_id: int, account_id: int | None = None) -> str:
    """The address of who pays (``account_id``, the acting login), else the family's first login."""
    family = session.get(Family, family_id)
    return _payer(session, family, account_id)[1] if family is not None else ""


def issue_receipt(session: Session, now: datetime, payment: Payment) -> Receipt:
    """Issue the receipt of a succeeded payment (once: a second call returns the first one).

    Only the number and the row, inside the payment's transaction: the PDF is rendered by
    ``usecases.payments.ensure_receipt_pdf`` once that transaction has committed, so the database's write lock (SQLite's
    single writer) is not held while a PDF is drawn.
    """
    existing = receipt_for_payment(session, row_id(payment))
    if existing is not None:
        return existing
    number = next_receipt_number(session, payment.structure_id, now.astimezone(PARIS).year)
    receipt = Receipt(
        structure_id=payment.structure_id,
        family_id=payment.family_id,
        payment_id=row_id(payment),
        number=number,
        amount_cents=payment.amount_cents,
        issued_at=now,
    )
    session.add(receipt)
    session.flush()
    return receipt


def receipt_data(session: Session, receipt: Receipt, settings: Settings | None = None) -> ReceiptData:
    """Everything the receipt's PDF shows, read from the database (the basket's frozen lines); the
    commune's logo is read from ``settings``' storage (none without settings)."""
    payment = session.get(Payment, receipt.payment_id)
    structure = session.get(Structure, receipt.structure_id)
    family = session.get(Family, receipt.family_id)
    basket = session.get(Basket, payment.basket_id) if payment is not None else None
    if payment is None or structure is None or family is None or basket is None:
        raise LookupError(f"receipt {receipt.id}: its payment, commune, family or basket is missing")
    payer_name, payer_email = _payer(session, family, payment.account_id)
    logo = raster_logo_of(settings, structure) if settings is not None else None
    lines = [
        ReceiptLine(line["child"], service_with_tariff(line), date.fromisoformat(line["day"]), line["price_cents"])
        for line in snapshot_lines(basket.snapshot_lines)
    ]
    return ReceiptData(
        commune_name=structure.name,
        commune_address_lines=[structure.address_line, f"{structure.postal_code} {structure.city}".strip()],
        commune_email=structure.email,
        commune_phone=structure.phone,
        number=receipt.number,
        issued_at=receipt.issued_at,
        family_name=family.name,
        payer_name=payer_name,
        payer_email=payer_email,
        lines=lines,
        subtotal_cents=sum(line.unit_price_cents for line in lines),
        credit_used_cents=payment.credit_cents,
        debt_cents=payment.debt_cents,
        total_cents=payment.amount_cents,
        payment_method=PAYMENT_METHODS.get(payment.provider, payment.provider),
        provider_reference=payment.provider_payment_id or payment.provider_session_id or "",
        portal_reference=payment.reference,
        accent_colour=colour_of(structure),
        logo=logo[0] if logo is not None else None,
    )


def service_with_tariff(line: dict[str, Any]) -> str:
    """« Restauration scolaire (Tranche 1 — QF de 0 à 500 €) »: the bracket frozen with the line
    (issue 17) shows on the ticket, the e-mail and the receipt; older snapshots have none."""
    tariff = str(line.get("tariff") or "")
    return f"{line['service']} ({tariff})" if tariff else str(line["service"])


def pdf_source(
    session: Session, receipt_id: int, settings: Settings | None = None
) -> tuple[str | None, ReceiptData | None]:
    """(stored path, None) when the receipt's PDF exists, else (None, what to draw)."""
    receipt = session.get(Receipt, receipt_id)
    if receipt is None:
        raise LookupError(f"no receipt {receipt_id}")
    if receipt.pdf_path:
        return receipt.pdf_path, None
    return None, receipt_data(session, receipt, settings)


def store_pdf(session: Session, receipt_id: int, path: str, pdf: bytes) -> bool:
    """Complete the receipt with its drawn PDF, unless another caller did first (compare-and-set:
    the PDF never changes once stored). False when that other copy won."""
    return bool(
        session.exec(
            update(Receipt)
            .where(col(Receipt.id) == receipt_id, col(Receipt.pdf_path).is_(None))
            .values(pdf_path=path, sha256=hashlib.sha256(pdf).hexdigest())
        ).rowcount
    )


@dataclass(frozen=True)
class ReceiptRow:
    id: int
    number: str
    issued_at: datetime
    amount_cents: int


def family_receipts(session: Session, structure_id: int, family_id: int) -> list[ReceiptRow]:
    """The family's receipts, newest first (the Factures page)."""
    rows = session.exec(
        select(Receipt)
        .where(Receipt.structure_id == structure_id, Receipt.family_id == family_id)
        .order_by(col(Receipt.issued_at).desc(), col(Receipt.id).desc())
    ).all()
    return [ReceiptRow(row_id(r), r.number, r.issued_at, r.amount_cents) for r in rows]


def family_receipt(session: Session, structure_id: int, family_id: int, receipt_id: int) -> Receipt | None:
    """A receipt only if it belongs to that family of that commune."""
    receipt = session.get(Receipt, receipt_id)
    if receipt is None or receipt.structure_id != structure_id or receipt.family_id != family_id:
        return None
    return receipt


def snapshot_lines(raw: str) -> list[dict[str, Any]]:
    """The lines a basket froze at checkout (JSON written by ``booking.checkout``)."""
    lines: list[dict[str, Any]] = json.loads(raw or "[]")
    return lines
