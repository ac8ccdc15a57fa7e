"""Reads and checks shared by the booking modules: ownership, prices, the basket, its version.

Every function re-checks on the server what it reads (the family belongs to the commune, the
basket to the family): the client is never trusted.
"""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from cantine_portal.models import (
    Basket,
    BasketStatus,
    Child,
    ClosedDay,
    Credit,
    Enrollment,
    Family,
    Reservation,
    ReservationStatus,
    Service,
    Structure,
    row_id,
)
from cantine_portal.services.booking.errors import FORBIDDEN_MESSAGE, STALE_MESSAGE, BookingError
from cantine_portal.services.pricing.tariffs import Prices
from cantine_portal.services.shared import calendar
from cantine_portal.services.shared.calendar import DeadlineRule, Period


def structure_rule(structure: Structure) -> DeadlineRule:
    """The commune's deadline rule as a calendar.DeadlineRule."""
    return DeadlineRule(
        kind=structure.deadline_kind,
        weekday=structure.deadline_weekday,
        days_before=structure.deadline_days_before,
        at=time.fromisoformat(structure.deadline_time),
    )


def closed_days_for(session: Session, structure_id: int, period: Period) -> dict[date, list[calendar.ClosedDay]]:
    """Closed days of the commune within ``period``, indexed by day (see calendar.day_status)."""
    rows = session.exec(
        select(ClosedDay)
        .where(ClosedDay.structure_id == structure_id, ClosedDay.day >= period.start, ClosedDay.day <= period.end)
        .order_by(col(ClosedDay.day), col(ClosedDay.id))
    ).all()
    return calendar.index_closed_days(calendar.ClosedDay(r.day, r.reason, r.service_id, r.kind) for r in rows)


def weekdays_of(service: Service) -> frozenset[int]:
    """The weekdays (0 = Monday) the service runs on."""
    return frozenset(int(x) for x in service.weekdays.split(",") if x.strip())


def price_on(session: Session, service: Service, day: date) -> int:
    """Price of ``service`` in force on ``day`` (fallback: Service.unit_price_cents)."""
    return Prices(session, [service]).on(row_id(service), day)


def structure_and_family(session: Session, structure_id: int, family_id: int) -> tuple[Structure, Family]:
    """The commune and the family, refused unless the family belongs to that commune."""
    structure = session.get(Structure, structure_id)
    family = session.get(Family, family_id)
    if structure is None or family is None or family.structure_id != structure_id:
        raise BookingError(FORBIDDEN_MESSAGE)
    return structure, family


def children_and_services(
    session: Session, structure_id: int, family_id: int
) -> tuple[list[Child], dict[int, list[Service]]]:
    """The family's children (by position) and, per child, the enrolled active services (ordered)."""
    children = list(
        session.exec(
            select(Child).where(Child.family_id == family_id).order_by(col(Child.position), col(Child.id))
        ).all()
    )
    child_ids = [row_id(c) for c in children]
    enrolled: dict[int, list[Service]] = {cid: [] for cid in child_ids}
    if child_ids:
        rows = session.exec(
            select(Enrollment.child_id, Service)
            .join(Service, col(Service.id) == col(Enrollment.service_id))
            .where(
                col(Enrollment.child_id).in_(child_ids),
                Service.structure_id == structure_id,
                col(Service.active).is_(True),
            )
            .order_by(col(Service.position), col(Service.id))
        ).all()
        for child_id, service in rows:
            enrolled[child_id].append(service)
    return children, enrolled


def credit_balance(session: Session, structure_id: int, family_id: int) -> int:
    """The family's credit (avoirs minus what payments used)."""
    total = session.exec(
        select(func.coalesce(func.sum(Credit.amount_cents), 0)).where(
            Credit.structure_id == structure_id, Credit.family_id == family_id
        )
    ).one()
    return int(total)


def current_basket(session: Session, structure_id: int, family_id: int) -> Basket | None:
    """The family's open or in-checkout basket (at most one, by a unique index)."""
    return session.exec(
        select(Basket).where(
            Basket.structure_id == structure_id,
            Basket.family_id == family_id,
            col(Basket.status).in_((BasketStatus.OPEN, BasketStatus.CHECKOUT)),
        )
    ).first()


def active_reservations(session: Session, structure_id: int, family_id: int, period: Period) -> list[Reservation]:
    """The family's pending and paid reservations of ``period``."""
    return list(
        session.exec(
            select(Reservation).where(
                Reservation.structure_id == structure_id,
                Reservation.family_id == family_id,
                Reservation.day >= period.start,
                Reservation.day <= period.end,
                Reservation.status != ReservationStatus.CANCELLED,
            )
        ).all()
    )


def basket_lines(session: Session, basket: Basket) -> list[tuple[Reservation, Child, Service]]:
    """The basket's pending lines, by day, child and service."""
    return list(
        session.exec(
            select(Reservation, Child, Service)
            .join(Child, col(Child.id) == col(Reservation.child_id))
            .join(Service, col(Service.id) == col(Reservation.service_id))
            .where(Reservation.basket_id == basket.id, Reservation.status == ReservationStatus.PENDING)
            .order_by(col(Reservation.day), col(Child.position), col(Service.position), col(Reservation.id))
        ).all()
    )


def check_version(basket: Basket | None, expected: int | None) -> None:
    """Refuse a change made from a stale page (another tab or guardian changed the basket)."""
    current = basket.version if basket is not None else None
    if current != expected:
        raise BookingError(STALE_MESSAGE)


def bump_version(session: Session, basket: Basket, expected: int) -> None:
    """Compare-and-set on the basket version: the loser of a race is refused, never merged."""
    result = session.exec(
        update(Basket)
        .where(col(Basket.id) == basket.id, col(Basket.version) == expected)
        .values(version=col(Basket.version) + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise BookingError(STALE_MESSAGE)
    session.refresh(basket)
