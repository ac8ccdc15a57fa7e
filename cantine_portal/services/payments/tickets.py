"""The ticket de paiement: the e-mail that confirms a payment, with its receipt attached."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from cantine_portal.config import Settings
from cantine_portal.french import format_euros, format_long_date, format_paris_datetime
from cantine_portal.infra.mail import Attachment, Mail, render_html
from cantine_portal.models import Basket, Payment, Receipt, Structure
from cantine_portal.services.families.logins import ticket_addresses
from cantine_portal.services.payments.receipts import service_with_tariff, snapshot_lines
from cantine_portal.services.shared.branding import mail_brand


def ticket_for_receipt(session: Session, receipt_id: int, pdf: bytes, settings: Settings | None = None) -> Mail:
    """The ticket of the payment behind ``receipt_id``, carrying its PDF ``pdf``."""
    receipt = session.get(Receipt, receipt_id)
    payment = session.get(Payment, receipt.payment_id) if receipt is not None else None
    basket = session.get(Basket, payment.basket_id) if payment is not None else None
    if receipt is None or payment is None or basket is None:
        raise LookupError(f"receipt {receipt_id}: it, its payment or its basket is missing")
    return ticket_mail(session, payment, receipt, snapshot_lines(basket.snapshot_lines), pdf, settings)


def ticket_mail(
    session: Session,
    payment: Payment,
    receipt: Receipt,
    lines: list[dict[str, Any]],
    pdf: bytes,
    settings: Settings | None = None,
) -> Mail:
    """The ticket de paiement, by e-mail, with the receipt attached, in the commune's colours (its
    logo read through ``settings``' storage)."""
    structure = session.get(Structure, payment.structure_id)
    if structure is None:
        raise LookupError(f"payment {payment.id}: no commune {payment.structure_id}")
    # The guardian who paid, and the other guardian when they asked for it (services/families/logins.py).
    addresses = ticket_addresses(session, payment.family_id, payment.account_id)
    when = payment.completed_at or receipt.issued_at
    rows = [
        f"{line['child']} — {service_with_tariff(line)} — {format_long_date(date.fromisoformat(line['day']))} : "
        f"{format_euros(line['price_cents'])}"
        for line in lines
    ]
    paragraphs = [
        "Bonjour,",
        f"Votre paiement au portail famille de {structure.name} est confirmé.",
        f"Référence : {payment.reference} — le {format_paris_datetime(when)} — montant payé : "
        f"{format_euros(payment.amount_cents)}"
        + (f" (avoir utilisé : {format_euros(payment.credit_cents)})" if payment.credit_cents else "")
        + ".",
        *rows,
        *([f"Somme due à la régie réglée : {format_euros(payment.debt_cents)}"] if payment.debt_cents else []),
        f"Votre reçu n° {receipt.number} est joint à ce message et disponible dans la rubrique Factures.",
    ]
    return Mail(
        to=", ".join(addresses) if addresses else structure.email,
        subject=f"{structure.name} — Ticket de paiement {payment.reference}",
        text="\n".join(paragraphs),
        html=render_html("Ticket de paiement", paragraphs),
        attachments=[Attachment(f"recu-{receipt.number}.pdf", pdf)],
        brand=mail_brand(settings, structure) if settings is not None else None,
    )
