"""« Régler la somme due » (Factures): a family that owes the régie (a meal taken without a
reservation billed at the roll call, an unpaid cheque) pays the sum owed online, like a basket:
the checkout adds it to the amount (services/booking/checkout.py), its receipt shows it, and once
paid a positive credit (« reglement-dette ») brings the balance back to zero."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cantine_portal.infra.db import get_database
from cantine_portal.services.booking.basket import basket_summary
from cantine_portal.usecases.actors import ParentActor
from cantine_portal.usecases.payments import PaymentStart, start_payment

MSG_NO_DEBT = "Vous ne devez rien à la régie."
MSG_DEBT_WITH_DAYS = (
    "Votre panier contient des jours en attente de paiement : la somme due s'ajoute à son total. "
    "Réglez-le depuis la page Réservations."
)


def pay_debt(actor: ParentActor, *, now: datetime, answered_at: Callable[[], datetime] | None = None) -> PaymentStart:
    """« Régler la somme due » (Factures): the family's sum owed to the régie alone, paid online like
    a basket (with its receipt). A basket holding days is paid from Réservations, the sum owed added."""
    with get_database().session() as session:
        summary = basket_summary(session, now, actor.structure_id, actor.family_id)
    if summary.debt_cents <= 0:
        return PaymentStart(False, MSG_NO_DEBT)
    if summary.lines:
        return PaymentStart(False, MSG_DEBT_WITH_DAYS)
    return start_payment(actor, summary.version, now=now, answered_at=answered_at)
