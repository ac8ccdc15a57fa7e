"""« Absent = avoir » (AbsentRule.CREDIT): once a day is over, each child marked absent under that
rule has the paid day cancelled and credited to the family — once and only once.

The night after the day (the nightly task), not at the tap: staff correct a wrong tap during the
service without money moving back and forth. Only once: the reservation goes from paid to
cancelled by a conditional UPDATE (``WHERE status = 'paid'``), and the credit is added only when
that UPDATE changed the row, so a second run, a second consumer or a day settled meanwhile by a
closure finds nothing to do. The money moves as a closure's does (cancelled day + positive
credit tied to the reservation), so the books' identity holds (tests/integration/test_books.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select, update

from cantine_portal.models import Credit, CreditKind, MarkStatus, Reservation, ReservationStatus, RollCallMark
from cantine_portal.services.rollcall.marks import paris_today
from cantine_portal.services.shared import audit


def absence_credit_label(day: date) -> str:
    return f"Avoir : absence au pointage du {day:%d/%m/%Y}"


@dataclass(frozen=True)
class Settled:
    credits: int
    amount_cents: int


def settle_absences(session: Session, now: datetime, structure_id: int | None = None) -> Settled:
    """Credit the absences (marked under the « avoir » rule) of the days before today, Paris time,
    of one commune (every commune when None: the nightly task). The caller commits."""
    query = select(RollCallMark, Reservation).join(Reservation, col(Reservation.id) == col(RollCallMark.reservation_id))
    if structure_id is not None:
        query = query.where(RollCallMark.structure_id == structure_id)
    due = session.exec(
        query.where(
            RollCallMark.status == MarkStatus.ABSENT,
            col(RollCallMark.credit_due).is_(True),
            col(RollCallMark.day) < paris_today(now),
            Reservation.status == ReservationStatus.PAID,
        )
    ).all()
    credits = amount = 0
    for mark, reservation in due:
        changed = session.exec(
            update(Reservation)
            .where(col(Reservation.id) == reservation.id, col(Reservation.status) == ReservationStatus.PAID)
            .values(status=ReservationStatus.CANCELLED, cancelled_at=now, updated_at=now)
        ).rowcount
        if changed != 1:
            continue  # settled meanwhile (another run, a closure): never twice
        session.add(
            Credit(
                structure_id=reservation.structure_id,
                family_id=reservation.family_id,
                amount_cents=reservation.price_cents,
                label=absence_credit_label(mark.day),
                kind=CreditKind.ABSENCE,
                reservation_id=reservation.id,
                created_at=now,
            )
        )
        audit.record(
            session,
            now,
            "rollcall.absence_credited",
            structure_id=reservation.structure_id,
            target=f"reservation:{reservation.id}",
            amount_cents=reservation.price_cents,
        )
        credits, amount = credits + 1, amount + reservation.price_cents
    session.flush()
    return Settled(credits, amount)
