"""Who is expected at the canteen: the ONE query behind the roll call's list.

Every reader of "the children expected for a service on a day" (the roll call's page, its CSV,
a tap's check that the child is expected) goes through :func:`expected_children`, so a rule that
removes children from the list is added here once: a child declared absent for illness by the
family (services/booking/absence_days.not_declared_absent, the same clause as Effectifs) is not
expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from cantine_portal.models import Child, Family, Reservation, ReservationStatus, row_id
from cantine_portal.services.booking.absence_days import not_declared_absent

NO_SCHOOL = "École non renseignée"
NO_CLASS = "Classe non renseignée"


@dataclass(frozen=True)
class ExpectedChild:
    """A child with a paid reservation for the service that day (what the page lists)."""

    child_id: int
    reservation_id: int | None  # None: a child added « présent sans réservation »
    last_name: str
    first_name: str
    family_name: str
    school: str
    class_name: str
    diet: str
    pai: bool
    pai_notes: str  # health data: the staff's screen only, never exported nor logged

    @property
    def display_name(self) -> str:
        return f"{self.last_name.upper()} {self.first_name}"

    @property
    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.school, self.class_name, self.last_name.upper(), self.first_name)


def child_facts(child: Child, family: Family, reservation_id: int | None) -> ExpectedChild:
    """The list's facts about one child (also for a child added without a reservation)."""
    return ExpectedChild(
        row_id(child),
        reservation_id,
        child.last_name,
        child.first_name,
        family.name,
        child.school or NO_SCHOOL,
        child.class_name or NO_CLASS,
        child.diet,
        child.pai,
        child.pai_notes if child.pai else "",
    )


def expected_children(
    session: Session, structure_id: int, service_id: int, day: date, child_id: int | None = None
) -> list[ExpectedChild]:
    """The children with a PAID reservation of ``service_id`` on ``day`` in this commune, by
    school, class and name (only ``child_id`` when given: is this child expected?). A day still in
    a basket is not a commitment, a day the family declared absent for illness is not expected:
    neither is on the list.

    The caller has checked the staff member and that the service is the commune's."""
    query = (
        select(Reservation, Child, Family)
        .join(Child, col(Child.id) == col(Reservation.child_id))
        .join(Family, col(Family.id) == col(Reservation.family_id))
        .where(
            Reservation.structure_id == structure_id,
            Reservation.service_id == service_id,
            Reservation.day == day,
            Reservation.status == ReservationStatus.PAID,
            Family.structure_id == structure_id,
            not_declared_absent(),  # declared ill by the family: the kitchen does not count them either
        )
    )
    if child_id is not None:
        query = query.where(Reservation.child_id == child_id)
    found = session.exec(query).all()
    return sorted(
        (child_facts(child, family, row_id(reservation)) for reservation, child, family in found),
        key=lambda e: e.sort_key,
    )
