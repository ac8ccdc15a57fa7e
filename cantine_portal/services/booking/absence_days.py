"""Reading sick-day absences: who is absent on a day (the kitchen's counts, the roll call), what
the parent may still declare, and where each of the family's absences stands.

``absent_child_days`` / ``not_declared_absent`` are the one definition of « declared absent »:
Effectifs (services/backoffice/attendance.py) uses the SQL clause; the roll call lists expected
children from paid reservations and applies the same clause (or the set) after them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, exists
from sqlmodel import Session, col, select

from cantine_portal.french import PARIS, format_euros, format_long_date, format_numeric_date, plural
from cantine_portal.models import (
    Absence,
    AbsenceDay,
    AbsenceDayOutcome,
    AbsenceStatus,
    Child,
    Reservation,
    ReservationStatus,
    Service,
    row_id,
)
from cantine_portal.services.booking.absences import can_declare, deadline_rule_text
from cantine_portal.services.booking.queries import structure_and_family

# The child will not be there: declared (waiting), credited, carence, refused (the refusal is about
# the money, the child is still ill), or cancelled meanwhile. A basket day that left the basket is
# not: its reservation is gone, and a day booked again later means the child is expected.
ABSENT_OUTCOMES = (
    AbsenceDayOutcome.WAITING,
    AbsenceDayOutcome.CREDITED,
    AbsenceDayOutcome.CARENCE,
    AbsenceDayOutcome.REFUSED,
    AbsenceDayOutcome.ALREADY_CANCELLED,
)
DECLARE_HORIZON_DAYS = 62

# What the parent reads, per state of a day: its words (the colour is never alone).
DAY_STATE_TEXT = {
    "absent-pending": "Absence signalée",
    "absent-credited": "Absence validée (avoir)",
    "absent-carence": "Absence validée (jour de carence, sans avoir)",
    "absent-refused": "Absence refusée",
}
_STATE_OF_OUTCOME = {
    AbsenceDayOutcome.WAITING: "absent-pending",
    AbsenceDayOutcome.CREDITED: "absent-credited",
    AbsenceDayOutcome.ALREADY_CANCELLED: "absent-credited",
    AbsenceDayOutcome.CARENCE: "absent-carence",
    AbsenceDayOutcome.REFUSED: "absent-refused",
}
STATUS_TEXT = {
    AbsenceStatus.PENDING: "Absence signalée — en attente de validation par la mairie",
    AbsenceStatus.VALIDATED: "Absence validée",
    AbsenceStatus.REFUSED: "Absence refusée",
    AbsenceStatus.WITHDRAWN: "Absence signalée — jours retirés du panier",
}


def not_declared_absent() -> ColumnElement[bool]:
    """SQL condition on ``Reservation``: no absence declared on it (add it to a query's where)."""
    return ~exists(
        select(AbsenceDay.id).where(
            col(AbsenceDay.reservation_id) == col(Reservation.id), col(AbsenceDay.outcome).in_(ABSENT_OUTCOMES)
        )
    )


def absent_child_days(session: Session, structure_id: int, day: date) -> frozenset[tuple[int, int]]:
    """(child_id, service_id) pairs declared absent on ``day`` in the commune."""
    rows = session.exec(
        select(AbsenceDay.child_id, AbsenceDay.service_id).where(
            AbsenceDay.structure_id == structure_id,
            AbsenceDay.day == day,
            col(AbsenceDay.outcome).in_(ABSENT_OUTCOMES),
        )
    ).all()
    return frozenset((int(c), int(s)) for c, s in rows)


def cell_states(
    session: Session, structure_id: int, family_id: int, first: date, last: date
) -> dict[tuple[int, int, date], tuple[str, int]]:
    """(child, service, day) → ("absent-pending" | "absent-credited" | …, the day's price) for the
    Réservations tables."""
    rows = session.exec(
        select(AbsenceDay)
        .join(Absence, col(Absence.id) == col(AbsenceDay.absence_id))
        .where(
            Absence.family_id == family_id,
            AbsenceDay.structure_id == structure_id,
            AbsenceDay.day >= first,
            AbsenceDay.day <= last,
            col(AbsenceDay.outcome).in_(ABSENT_OUTCOMES),
        )
    ).all()
    return {
        (d.child_id, d.service_id, d.day): (_STATE_OF_OUTCOME[AbsenceDayOutcome(d.outcome)], d.price_cents)
        for d in rows
    }


def under_absence(session: Session, reservation_ids: list[int]) -> set[int]:
    """Which of these reservations an absence covers (Valider never cancels or removes them)."""
    if not reservation_ids:
        return set()
    return {
        int(r)
        for r in session.exec(
            select(AbsenceDay.reservation_id).where(col(AbsenceDay.reservation_id).in_(reservation_ids))
        ).all()
        if r is not None
    }


@dataclass(frozen=True)
class DeclarableDay:
    day: date
    text: str  # « lundi 7 décembre — Restauration scolaire (payé), Garderie du matin (dans le panier) »


@dataclass(frozen=True)
class ChildDays:
    child_id: int
    first_name: str
    days: tuple[DeclarableDay, ...]


def declarable_days(session: Session, now: datetime, structure_id: int, family_id: int) -> tuple[ChildDays, ...]:
    """Per child, the booked days an absence can still be declared for (next two months)."""
    structure, _family = structure_and_family(session, structure_id, family_id)
    today = now.astimezone(PARIS).date()
    children = session.exec(
        select(Child).where(Child.family_id == family_id).order_by(col(Child.position), col(Child.id))
    ).all()
    rows = session.exec(
        select(Reservation, Service.name)
        .join(Service, col(Service.id) == col(Reservation.service_id))
        .where(
            Reservation.structure_id == structure_id,
            Reservation.family_id == family_id,
            Reservation.day >= today,
            Reservation.day <= today + timedelta(days=DECLARE_HORIZON_DAYS),
            Reservation.status != ReservationStatus.CANCELLED,
        )
        .order_by(col(Reservation.day), col(Service.position))
    ).all()
    covered = under_absence(session, [row_id(r) for r, _n in rows])
    by_child: dict[int, dict[date, list[str]]] = defaultdict(dict)
    for r, name in rows:
        if row_id(r) in covered or not can_declare(structure, r.day, now):
            continue
        what = "payé" if r.status == ReservationStatus.PAID else "dans le panier"
        by_child[r.child_id].setdefault(r.day, []).append(f"{name} ({what})")
    return tuple(
        ChildDays(
            row_id(c),
            c.first_name,
            tuple(
                DeclarableDay(d, f"{format_long_date(d, with_year=False)} — {', '.join(names)}")
                for d, names in sorted(by_child[row_id(c)].items())
            ),
        )
        for c in children
    )


@dataclass(frozen=True)
class AbsenceItem:
    """One declaration as the parent sees it."""

    child_name: str
    days_text: str  # « lundi 7 et mardi 8 décembre » style list
    status: str  # AbsenceStatus value
    status_text: str
    detail: str  # credit, carence days, or the mairie's message


def family_absences(session: Session, structure_id: int, family_id: int, limit: int = 20) -> tuple[AbsenceItem, ...]:
    """The family's latest declarations, newest first."""
    absences = session.exec(
        select(Absence, Child.first_name)
        .join(Child, col(Child.id) == col(Absence.child_id))
        .where(Absence.structure_id == structure_id, Absence.family_id == family_id)
        .order_by(col(Absence.declared_at).desc(), col(Absence.id).desc())
        .limit(limit)
    ).all()
    ids = [row_id(a) for a, _n in absences]
    days: dict[int, list[AbsenceDay]] = defaultdict(list)
    for d in session.exec(select(AbsenceDay).where(col(AbsenceDay.absence_id).in_(ids)).order_by(col(AbsenceDay.day))):
        days[d.absence_id].append(d)
    return tuple(_item(a, name, days[row_id(a)]) for a, name in absences)


def _item(absence: Absence, child_name: str, days: list[AbsenceDay]) -> AbsenceItem:
    dates = sorted({d.day for d in days})
    text = ", ".join(format_numeric_date(d) for d in dates)
    detail = ""
    if absence.status == AbsenceStatus.VALIDATED:
        carence = sorted({d.day for d in days if d.outcome == AbsenceDayOutcome.CARENCE})
        detail = (
            f"Avoir de {format_euros(absence.credited_cents)} ajouté à votre compte."
            if absence.credited_cents
            else "Aucun avoir."
        )
        if carence:
            detail += " " + plural(len(carence), "jour de carence", "jours de carence") + " non remboursé(s)."
    if absence.staff_message:
        detail = (detail + " Message de la mairie : " + absence.staff_message).strip()
    return AbsenceItem(child_name, text, str(absence.status), STATUS_TEXT[AbsenceStatus(absence.status)], detail)


def explanation(session: Session, structure_id: int, family_id: int) -> str:
    """How declaring works in this commune, for the top of the page."""
    structure, _family = structure_and_family(session, structure_id, family_id)
    carence = structure.absence_carence_days
    if carence <= 0:
        credit = "les jours payés sont remboursés en avoir dès le premier jour"
    elif carence == 1:
        credit = "le premier jour d'absence n'est pas remboursé (carence), les suivants le sont en avoir"
    else:
        credit = (
            f"les {carence} premiers jours d'absence consécutifs ne sont pas remboursés (carence), "
            "les suivants le sont en avoir"
        )
    return (
        f"Un enfant malade ? Signalez son absence {deadline_rule_text(structure)} au plus tard, avec "
        "le certificat médical. Les jours du panier en sont retirés aussitôt. Pour les jours payés, "
        f"après validation par la mairie, {credit}."
    )
