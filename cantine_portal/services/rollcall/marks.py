"""A tap on the roll call: one child's mark, written as ONE single-row upsert.

Two tablets marking the same list at once never lose a tap: a tap writes only its own child's
row (``INSERT … ON CONFLICT (service_id, day, child_id) DO UPDATE``), so taps on different
children never meet, and two taps on the same child end with the last one written (the database
serialises them on the unique index). Nothing is read-modify-written from a tablet's copy of the
list. Every function takes the session and ``now``; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, delete, or_, select

from cantine_portal.french import PARIS, format_euros
from cantine_portal.models import (
    AbsentRule,
    Child,
    Family,
    MarkStatus,
    Reservation,
    ReservationStatus,
    RollCallMark,
    Service,
    UnbookedRule,
)
from cantine_portal.services.backoffice.access import Area, check_staff, owned, owned_child
from cantine_portal.services.rollcall import billing
from cantine_portal.services.rollcall.expected import ExpectedChild, child_facts, expected_children
from cantine_portal.services.shared import audit

MSG_FUTURE = "Un jour à venir ne se pointe pas encore : choisissez aujourd'hui ou un jour passé."
MSG_NOT_EXPECTED = (
    "Cet enfant n'a pas (ou plus) de réservation payée ce jour-là : il n'est pas sur la liste. "
    "S'il est là, ajoutez-le comme présent sans réservation."
)
MSG_SETTLED = (
    "L'absence de cet enfant ce jour-là a déjà été changée en avoir pour la famille : "
    "le pointage ne peut plus être modifié. Voyez avec la régie."
)
MSG_GIVEN_BACK = "Ce repas avait déjà été facturé à la famille : les {amount} lui sont rendus sur son compte (avoir)."
MSG_SEARCH_SHORT = "Tapez au moins 2 lettres du nom ou du prénom."
SEARCH_LIMIT = 12


@dataclass(frozen=True)
class MarkResult:
    ok: bool
    message: str


def paris_today(now: datetime) -> date:
    return now.astimezone(PARIS).date()


def _upsert(session: Session, values: dict[str, object]) -> None:
    """The tap itself: insert the child's mark, or overwrite that one row (the last tap wins)."""
    insert = postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(RollCallMark).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["service_id", "day", "child_id"],
        set_={
            name: statement.excluded[name]
            for name in ("status", "reservation_id", "marked_by", "marked_at", "credit_due", "bill_due")
        },
    )
    session.exec(statement)


def record_mark(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    service_id: int,
    day: date,
    child_id: int,
    status: str,
) -> MarkResult:
    """Mark a child present or absent. A child without a paid reservation can only be present
    (« présent sans réservation »); an unknown status, service or child raises NotAllowed/ValueError."""
    structure = check_staff(session, structure_id, account_id, Area.RESTAURATION)
    owned(session, Service, service_id, structure_id)
    owned_child(session, child_id, structure_id)
    mark = MarkStatus(status)
    if day > paris_today(now):
        return MarkResult(False, MSG_FUTURE)
    if settled(session, service_id, day, child_id):
        return MarkResult(False, MSG_SETTLED)
    expected = expected_children(session, structure_id, service_id, day, child_id=child_id)
    reservation_id = expected[0].reservation_id if expected else None
    if reservation_id is None and mark == MarkStatus.ABSENT:
        return MarkResult(False, MSG_NOT_EXPECTED)
    _upsert(
        session,
        {
            "structure_id": structure_id,
            "service_id": service_id,
            "day": day,
            "child_id": child_id,
            "status": str(mark),
            "reservation_id": reservation_id,
            "marked_by": account_id,
            "marked_at": now,
            # the rule in force when the child is marked absent (changing it later changes no past day)
            "credit_due": mark == MarkStatus.ABSENT and structure.rollcall_absent_rule == AbsentRule.CREDIT,
            # present without a reservation under the billing rule: charged the night after, once
            "bill_due": reservation_id is None and structure.rollcall_unbooked_rule == UnbookedRule.BILL,
        },
    )
    audit.record(
        session,
        now,
        "rollcall.marked",
        structure_id=structure_id,
        account_id=account_id,
        target=f"child:{child_id}",
        service_id=service_id,
        day=day.isoformat(),
        status=str(mark),
        unbooked=reservation_id is None,
    )
    return MarkResult(True, "")


def settled(session: Session, service_id: int, day: date, child_id: int) -> bool:
    """Was this child's absence that day already turned into a credit (its reservation cancelled)?"""
    found = session.exec(
        select(Reservation.status)
        .join(RollCallMark, col(RollCallMark.reservation_id) == col(Reservation.id))
        .where(
            RollCallMark.service_id == service_id,
            RollCallMark.day == day,
            RollCallMark.child_id == child_id,
            col(RollCallMark.credit_due).is_(True),
        )
    ).first()
    return found == ReservationStatus.CANCELLED


def remove_unbooked(
    session: Session, now: datetime, *, structure_id: int, account_id: int, service_id: int, day: date, child_id: int
) -> MarkResult:
    """Take back a child added « présent sans réservation » by mistake (an expected child's mark
    is changed by a tap, never removed). Not billed yet: it costs nothing. Already billed (the
    night's settlement ran): the family gets the money back, once (services/rollcall/billing.py)."""
    check_staff(session, structure_id, account_id, Area.RESTAURATION)
    owned(session, Service, service_id, structure_id)
    owned_child(session, child_id, structure_id)
    removed = session.exec(
        delete(RollCallMark).where(
            col(RollCallMark.service_id) == service_id,
            col(RollCallMark.day) == day,
            col(RollCallMark.child_id) == child_id,
            col(RollCallMark.reservation_id).is_(None),
            col(RollCallMark.billed_at).is_(None),
        )
    ).rowcount
    given_back = 0
    if not removed:
        given_back = billing.take_back(
            session, now, account_id=account_id, service_id=service_id, day=day, child_id=child_id
        )
    audit.record(
        session,
        now,
        "rollcall.unbooked_removed",
        structure_id=structure_id,
        account_id=account_id,
        target=f"child:{child_id}",
        service_id=service_id,
        day=day.isoformat(),
    )
    if given_back:
        return MarkResult(True, MSG_GIVEN_BACK.format(amount=format_euros(given_back)))
    return MarkResult(True, "")


def search_children(session: Session, structure_id: int, account_id: int, text: str) -> list[ExpectedChild]:
    """The commune's children whose last or first name contains ``text`` (at least 2 letters),
    for adding one « présent sans réservation ». Raises ValueError with MSG_SEARCH_SHORT."""
    check_staff(session, structure_id, account_id, Area.RESTAURATION)
    needle = " ".join(text.split())[:80]
    if len(needle) < 2:
        raise ValueError(MSG_SEARCH_SHORT)
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    found = session.exec(
        select(Child, Family)
        .join(Family, col(Family.id) == col(Child.family_id))
        .where(
            Family.structure_id == structure_id,
            or_(
                col(Child.last_name).ilike(pattern, escape="\\"),
                col(Child.first_name).ilike(pattern, escape="\\"),
            ),
        )
        .order_by(col(Child.last_name), col(Child.first_name), col(Child.id))
        .limit(SEARCH_LIMIT)
    ).all()
    return [child_facts(child, family, None) for child, family in found]
