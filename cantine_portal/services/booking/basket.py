"""The family's basket as shown before payment, and its re-pricing when a tariff changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from cantine_portal.french import format_euros, format_long_date
from cantine_portal.models import Basket, BasketStatus, Child, Reservation, ReservationStatus, Service, row_id
from cantine_portal.services.booking.errors import CHECKOUT_MESSAGE
from cantine_portal.services.booking.queries import (
    basket_lines,
    bump_version,
    credit_balance,
    current_basket,
    structure_and_family,
)
from cantine_portal.services.families.logins import login_names
from cantine_portal.services.pricing.tariffs import Priced, Tariffs, price_booked


@dataclass(frozen=True)
class BasketLine:
    reservation_id: int
    child_id: int
    child_name: str
    service_name: str
    day: date
    price_cents: int
    tariff_label: str = ""  # « Tranche 2 — QF de 501 à 900 € » ("" without a grid)
    # « réservé par Julien »: the first name of the guardian who ticked it, only in a family
    # with two logins or more ("" otherwise, and for days booked before issue 20).
    booked_by: str = ""

    @property
    def day_text(self) -> str:
        """The day as the basket shows it, with « réservé par … » in a family with two logins."""
        day = format_long_date(self.day)
        return f"{day} — réservé par {self.booked_by}" if self.booked_by else day


@dataclass(frozen=True)
class BasketSummary:
    basket_id: int | None
    status: str | None  # None (empty) | "open" | "checkout"
    version: int | None
    lines: tuple[BasketLine, ...]
    subtotal_cents: int
    credit_balance_cents: int
    credit_applied_cents: int
    total_cents: int  # what to pay: the days, less the credit applied, plus the sum owed
    # The family's sum owed to the régie (negative balance: a meal billed at the roll call, an
    # unpaid cheque), added to what to pay so that it is settled online with the days.
    debt_cents: int = 0

    @property
    def frozen(self) -> bool:
        return self.status == BasketStatus.CHECKOUT

    @property
    def empty(self) -> bool:
        return not self.lines

    @property
    def payable(self) -> bool:
        """Something to pay: days, or only the sum owed (« Régler la somme due »)."""
        return bool(self.lines) or self.debt_cents > 0


def basket_note(summary: BasketSummary, unavailable: str) -> str:
    """The sentence under « Payer »; ``unavailable``: why no provider is usable here (then « Payer »
    is not offered, and refused)."""
    if summary.empty and summary.payable:
        return "Pas de jour dans votre panier : vous pouvez régler la somme due à la régie."
    if summary.empty:
        return "Votre panier est vide : cochez des jours puis cliquez sur Valider."
    if summary.frozen:
        return CHECKOUT_MESSAGE
    return unavailable or "Vous allez être redirigé vers le prestataire bancaire de votre commune."


def basket_summary(session: Session, now: datetime, structure_id: int, family_id: int) -> BasketSummary:
    """The basket as shown before payment: lines, subtotal, credit applied, total to pay."""
    structure_and_family(session, structure_id, family_id)
    balance = credit_balance(session, structure_id, family_id)
    basket = current_basket(session, structure_id, family_id)
    debt = max(-balance, 0)
    if basket is None:
        return BasketSummary(None, None, None, (), 0, balance, 0, debt, debt)
    names = login_names(session, family_id)
    lines = tuple(
        BasketLine(
            row_id(r),
            row_id(child),
            child.first_name,
            service.name,
            r.day,
            r.price_cents,
            r.tariff_label,
            names.get(r.booked_by_account_id, "") if r.booked_by_account_id is not None else "",
        )
        for r, child, service in basket_lines(session, basket)
    )
    subtotal = sum(line.price_cents for line in lines)
    if basket.status == BasketStatus.CHECKOUT and basket.snapshot_total_cents is not None:
        credit = basket.snapshot_credit_cents or 0
        debt = basket.snapshot_total_cents - subtotal + credit  # the sum owed frozen with the days
    else:
        credit = min(max(balance, 0), subtotal)
    total = subtotal - credit + debt
    return BasketSummary(basket.id, basket.status, basket.version, lines, subtotal, balance, credit, total, debt)


@dataclass(frozen=True)
class RepriceResult:
    changed: int
    message: str  # empty when nothing changed; otherwise always shown to the parent
    basket_version: int | None


def reprice_basket(
    session: Session, now: datetime, structure_id: int, family_id: int, *, check_only: bool = False
) -> RepriceResult:
    """Re-price pending lines of the OPEN basket whose price in force changed, and say so.

    A frozen (checkout) basket is never touched: the bank must confirm its snapshot.
    ``check_only`` counts the lines to re-price and changes nothing (a read, so that the usual
    case, no price changed, does not queue for the database's write lock).
    """
    structure_and_family(session, structure_id, family_id)
    basket = current_basket(session, structure_id, family_id)
    if basket is None or basket.status != BasketStatus.OPEN:
        return RepriceResult(0, "", basket.version if basket else None)
    rows = basket_lines(session, basket)
    priced = rule_prices(session, structure_id, family_id, basket, rows)
    stale = [(r, child, service, priced[(r.child_id, r.service_id, r.day)]) for r, child, service in rows]
    stale = [
        (r, child, service, new)
        for r, child, service, new in stale
        if (new.price_cents, new.label, new.qf_euros) != (r.price_cents, r.tariff_label, r.qf_euros)
    ]
    if not stale or check_only:
        return RepriceResult(len(stale), "", basket.version)
    changes = []
    for r, child, service, new in stale:
        if new.price_cents != r.price_cents:
            changes.append(
                f"{service.name} pour {child.first_name} le {format_long_date(r.day)} : "
                f"{format_euros(r.price_cents)} → {format_euros(new.price_cents)}"
                + (f" ({new.label})" if new.label else "")
            )
        r.price_cents, r.tariff_label, r.qf_euros = new.price_cents, new.label, new.qf_euros
        r.updated_at = now
        session.add(r)
    session.flush()
    bump_version(session, basket, basket.version)
    if not changes:  # only the bracket's wording or the QF behind the same price changed
        return RepriceResult(len(stale), "", basket.version)
    message = (
        "Les tarifs ont changé depuis l'ajout au panier (nouveau tarif de la commune, quotient "
        "familial enregistré ou modifié, ou réduction fratrie) ; votre panier a été recalculé. "
        + " ; ".join(changes)
        + "."
    )
    return RepriceResult(len(changes), message, basket.version)


def rule_prices(
    session: Session, structure_id: int, family_id: int, basket: Basket, rows: list[tuple[Reservation, Child, Service]]
) -> dict[tuple[int, int, date], Priced]:
    """What each pending line should cost today: the tariff in force for the family on its day,
    with the sibling rank among all the family's active days of the same service and day."""
    if not rows:
        return {}
    days = sorted({r.day for r, _c, _s in rows})
    services = {row_id(s): s for _r, _c, s in rows}
    active = session.exec(
        select(Reservation).where(
            Reservation.family_id == family_id,
            col(Reservation.day).in_(days),
            col(Reservation.service_id).in_(list(services)),
            Reservation.status != ReservationStatus.CANCELLED,
        )
    ).all()
    positions = {row_id(c): c.position for c in session.exec(select(Child).where(Child.family_id == family_id))}
    tariffs = Tariffs(session, structure_id, family_id, services.values())
    frozen = [
        (r.child_id, r.service_id, r.day)
        for r in active
        if r.status == ReservationStatus.PAID or r.basket_id != basket.id
    ]
    return price_booked(tariffs, positions, [(r.child_id, r.service_id, r.day) for r in active], frozen)
