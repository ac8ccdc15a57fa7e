"""Paying the basket: freeze it for the provider (settlement.py then reopens it or marks it paid).

Plain Python (no Reflex); the caller commits. A checkout freezes the basket (status
"checkout") with a snapshot of its lines and total: the provider must confirm exactly that.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from cantine_portal.french import format_long_date, to_paris
from cantine_portal.models import (
    Basket,
    BasketStatus,
    Payment,
    Structure,
    row_id,
)
from cantine_portal.services.booking.basket import BasketSummary, basket_summary, reprice_basket
from cantine_portal.services.booking.closed_lines import drop_closed_lines
from cantine_portal.services.booking.credit_lock import lock_family_credit
from cantine_portal.services.booking.errors import CHECKOUT_MESSAGE, CONFLICT_MESSAGE, BookingError
from cantine_portal.services.booking.queries import (
    basket_lines,
    bump_version,
    check_version,
    credit_balance,
    current_basket,
    structure_and_family,
    structure_rule,
)
from cantine_portal.services.booking.settlement import mark_paid
from cantine_portal.services.shared import calendar

# How long a basket stays frozen for a payment the provider has not confirmed.
CHECKOUT_LIFETIME = timedelta(minutes=30)


@dataclass(frozen=True)
class CheckoutSnapshot:
    """What the provider is asked to collect; equal to what the basket froze."""

    payment_id: int
    reference: str
    structure_id: int
    family_id: int
    amount_cents: int
    credit_cents: int
    lines: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    debt_cents: int = 0  # the family's sum owed to the régie, paid with the days


@dataclass(frozen=True)
class ProviderRedirect:
    """Where to send the parent, and the provider's id for this payment session."""

    url: str
    session_id: str
    expires_at: datetime | None = None


class PaymentProvider(Protocol):
    """A payment provider (simulated bank, Stripe...): see services/payments/providers.py."""

    name: str
    # True for a provider reached over the network: begin_checkout does not call it inside the
    # transaction (see usecases.payments.open_remote_session).
    remote: bool

    def start(self, snapshot: CheckoutSnapshot) -> ProviderRedirect:
        """Open a payment session for ``snapshot``; the parent is sent to ``url``."""
        ...


@dataclass(frozen=True)
class CheckoutResult:
    ok: bool
    message: str
    redirect_url: str | None = None
    payment_id: int | None = None
    paid: bool = False  # True when the credit covered everything: nothing to pay
    basket_version: int | None = None
    # A provider over the network (``remote``): its payment page is still to be opened, after the
    # commit (usecases.payments.open_remote_session), with this snapshot.
    pending: CheckoutSnapshot | None = None


def begin_checkout(
    session: Session,
    now: datetime,
    structure_id: int,
    family_id: int,
    provider: PaymentProvider,
    expected_basket_version: int | None,
) -> CheckoutResult:
    """ "Valider votre panier maintenant": freeze the basket and send the family to the provider.

    If prices changed since the lines entered the basket, they are re-priced and checkout stops
    there so that the parent sees the new amounts before paying.
    """
    try:
        with session.begin_nested():
            return _begin_checkout(session, now, structure_id, family_id, provider, expected_basket_version)
    except BookingError as refused:
        return CheckoutResult(False, refused.message, basket_version=expected_basket_version)
    except IntegrityError:
        return CheckoutResult(False, CONFLICT_MESSAGE, basket_version=expected_basket_version)


def _drop_expired_lines(session: Session, now: datetime, structure: Structure, basket: Basket) -> str:
    """Remove unpaid lines whose period passed its deadline; the French message says which."""
    rule = structure_rule(structure)
    dropped = []
    for r, child, service in basket_lines(session, basket):
        if calendar.is_locked(calendar.period_containing(structure.period_mode, r.day), rule, now):
            dropped.append(f"{service.name} pour {child.first_name} le {format_long_date(r.day)}")
            session.delete(r)
    if not dropped:
        return ""
    session.flush()
    return (
        "La date butoir est dépassée pour des jours non payés, retirés de votre panier : "
        + " ; ".join(dropped)
        + ". Vérifiez le nouveau total avant de payer."
    )


def _begin_checkout(
    session: Session,
    now: datetime,
    structure_id: int,
    family_id: int,
    provider: PaymentProvider,
    expected_version: int | None,
) -> CheckoutResult:
    # First: a refund of the credit this payment is about to use waits, or is waited for.
    lock_family_credit(session, structure_id, family_id)
    structure, _family = structure_and_family(session, structure_id, family_id)
    basket = _basket_to_pay(session, now, structure_id, family_id, expected_version)
    dropped = " ".join(
        m
        for m in (
            drop_closed_lines(session, structure_id, basket),
            _drop_expired_lines(session, now, structure, basket),
        )
        if m
    )
    if dropped:
        bump_version(session, basket, basket.version)
        return CheckoutResult(False, dropped, basket_version=basket.version)
    repriced = reprice_basket(session, now, structure_id, family_id)
    if repriced.changed:
        return CheckoutResult(False, repriced.message, basket_version=repriced.basket_version)
    summary = basket_summary(session, now, structure_id, family_id)
    bump_version(session, basket, basket.version)
    lines = _freeze(session, now, basket, summary)
    payment = Payment(
        structure_id=structure_id,
        family_id=family_id,
        basket_id=row_id(basket),
        # the day the parent lives (a payment at 0h31 in Paris on 27/11 is 23h31 UTC on 26/11)
        reference=f"P-{to_paris(now):%Y%m%d}-{secrets.token_hex(5).upper()}",
        provider=provider.name if summary.total_cents else "avoir",
        amount_cents=summary.total_cents,
        credit_cents=summary.credit_applied_cents,
        debt_cents=summary.debt_cents,
        created_at=now,
    )
    session.add(payment)
    session.flush()
    payment_id = row_id(payment)
    if summary.total_cents == 0:
        # Entirely covered by credit: no bank involved.
        done = mark_paid(session, now, structure_id, family_id, payment_id, 0)
        return CheckoutResult(True, done.message, None, payment_id, True, None)
    snapshot = CheckoutSnapshot(
        payment_id,
        payment.reference,
        structure_id,
        family_id,
        summary.total_cents,
        summary.credit_applied_cents,
        lines,
        summary.debt_cents,
    )
    return _open_payment(session, now, provider, payment, snapshot, basket.version)


def _basket_to_pay(
    session: Session, now: datetime, structure_id: int, family_id: int, expected_version: int | None
) -> Basket:
    """The open basket the parent saw (version checked), holding days or not when the family owes
    the régie: without a basket, an empty one is opened to pay the sum owed alone."""
    basket = current_basket(session, structure_id, family_id)
    if basket is not None and basket.status == BasketStatus.CHECKOUT:
        raise BookingError(CHECKOUT_MESSAGE)
    owes = credit_balance(session, structure_id, family_id) < 0
    if basket is None and owes:  # « Régler la somme due » alone (one open basket per family still)
        basket = Basket(structure_id=structure_id, family_id=family_id, created_at=now, updated_at=now)
        session.add(basket)
        session.flush()
        expected_version = basket.version
    check_version(basket, expected_version)
    if basket is None or not (owes or basket_lines(session, basket)):
        raise BookingError("Votre panier est vide.")
    return basket


def _freeze(session: Session, now: datetime, basket: Basket, summary: BasketSummary) -> tuple[dict[str, Any], ...]:
    """The basket enters checkout with a snapshot of its lines: what the provider must confirm."""
    lines = tuple(
        {
            "reservation_id": line.reservation_id,
            "child": line.child_name,
            "service": line.service_name,
            "day": line.day.isoformat(),
            "price_cents": line.price_cents,
            "tariff": line.tariff_label,
        }
        for line in summary.lines
    )
    basket.status = BasketStatus.CHECKOUT
    basket.snapshot_total_cents = summary.total_cents
    basket.snapshot_credit_cents = summary.credit_applied_cents
    basket.snapshot_lines = json.dumps(lines, ensure_ascii=False)
    basket.updated_at = now
    session.add(basket)
    return lines


def _open_payment(
    session: Session,
    now: datetime,
    provider: PaymentProvider,
    payment: Payment,
    snapshot: CheckoutSnapshot,
    basket_version: int,
) -> CheckoutResult:
    if getattr(provider, "remote", False):
        # Never an internet round trip inside a write transaction (on SQLite it would hold the only
        # write lock): the provider is called after the commit. Meanwhile the payment expires like
        # any checkout, so a crash in between only reopens the basket later.
        payment.expires_at = now + CHECKOUT_LIFETIME
        session.add(payment)
        session.flush()
        return CheckoutResult(
            True, "Redirection vers le paiement…", None, payment.id, False, basket_version, pending=snapshot
        )
    started = provider.start(snapshot)
    payment.provider_session_id = started.session_id
    payment.expires_at = started.expires_at
    session.add(payment)
    session.flush()
    return CheckoutResult(True, "Redirection vers le paiement…", started.url, payment.id, False, basket_version)
