"""Unpaid basket lines on days the commune closed after they were ticked: found and dropped before a
checkout freezes the basket and again when a failed payment reopens it (checkout.py, settlement.py)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from cantine_portal.french import format_long_date
from cantine_portal.models import Basket, ClosedDay, Reservation
from cantine_portal.services.booking.queries import basket_lines


def on_closed_days(session: Session, structure_id: int, reservations: list[Reservation]) -> list[Reservation]:
    """Those of ``reservations`` on a day the commune closed (for every service or for theirs)."""
    if not reservations:
        return []
    closed = session.exec(
        select(ClosedDay).where(
            ClosedDay.structure_id == structure_id, col(ClosedDay.day).in_({r.day for r in reservations})
        )
    ).all()
    return [r for r in reservations if any(c.day == r.day and c.service_id in (None, r.service_id) for c in closed)]


def drop_closed_lines(session: Session, structure_id: int, basket: Basket) -> str:
    """Remove unpaid lines on days the commune closed since they were ticked (a closure leaves a
    basket in checkout alone, so they can come back with it); the French message says which."""
    rows = basket_lines(session, basket)
    closed = {r.id for r in on_closed_days(session, structure_id, [r for r, _c, _s in rows])}
    dropped = []
    for r, child, service in rows:
        if r.id in closed:
            dropped.append(f"{service.name} pour {child.first_name} le {format_long_date(r.day)}")
            session.delete(r)
    if not dropped:
        return ""
    session.flush()
    return (
        "La commune a fermé des jours de votre panier, qui en sont retirés : "
        + " ; ".join(dropped)
        + ". Vérifiez le nouveau total avant de payer."
    )
