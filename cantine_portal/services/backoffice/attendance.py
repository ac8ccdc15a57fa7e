"""Back-office « Effectifs »: who eats (or is cared for) on a day, what the kitchen needs.

Only PAID reservations count: a day still in a basket is not a commitment; a child declared ill
(services/booking/absence_days.py) is dropped as soon as the absence is declared, before the
staff validate it. PAI notes are health
data: returned for the staff's screen only, never written to the CSV or PDF exports nor logged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from cantine_portal.infra.csv_export import csv_bytes
from cantine_portal.infra.pdf.attendance_sheet import render_attendance
from cantine_portal.models import Child, Family, Reservation, ReservationStatus, Service, row_id
from cantine_portal.services.backoffice.access import check_staff, owned
from cantine_portal.services.booking.absence_days import absent_child_days, not_declared_absent

NO_DIET = "Sans régime particulier"
NO_SCHOOL = "École non renseignée"


@dataclass
class AttendanceRow:
    child_name: str
    family_name: str
    school: str
    class_name: str
    diet: str
    pai: bool
    pai_notes: str
    tariff: str = ""  # the bracket frozen on the paid reservation (« Tranche 2 — QF de 501 à 900 € »)


@dataclass
class Attendance:
    day: date
    service_id: int
    service_name: str
    rows: list[AttendanceRow]
    by_school: list[tuple[str, int]]
    by_diet: list[tuple[str, int]]
    pai_count: int
    # Children with a paid day there, declared ill (services/booking/absence_days.py): not counted above.
    absent_count: int = 0

    @property
    def total(self) -> int:
        return len(self.rows)


def attendance(session: Session, structure_id: int, account_id: int, day: date, service_id: int) -> Attendance:
    check_staff(session, structure_id, account_id)
    service = owned(session, Service, service_id, structure_id)
    found = session.exec(
        select(Reservation, Child, Family)
        .join(Child, col(Child.id) == col(Reservation.child_id))
        .join(Family, col(Family.id) == col(Reservation.family_id))
        .where(
            Reservation.structure_id == structure_id,
            Reservation.service_id == service.id,
            Reservation.day == day,
            Reservation.status == ReservationStatus.PAID,
            Family.structure_id == structure_id,
            not_declared_absent(),
        )
    ).all()
    rows = sorted(
        (
            AttendanceRow(
                f"{child.last_name.upper()} {child.first_name}",
                family.name,
                child.school or NO_SCHOOL,
                child.class_name,
                child.diet or NO_DIET,
                child.pai,
                child.pai_notes if child.pai else "",
                reservation.tariff_label,
            )
            for reservation, child, family in found
        ),
        key=lambda r: (r.school, r.class_name, r.child_name),
    )
    schools = Counter(r.school for r in rows)
    diets = Counter(r.diet for r in rows)
    return Attendance(
        day,
        row_id(service),
        service.name,
        rows,
        sorted(schools.items()),
        sorted(diets.items(), key=lambda kv: (kv[0] != NO_DIET, kv[0])),
        sum(1 for r in rows if r.pai),
        sum(1 for _child, s in absent_child_days(session, structure_id, day) if s == service.id),
    )


def attendance_csv(data: Attendance) -> bytes:
    """`;`-separated, UTF-8 with BOM so that Excel opens the accents right (infra/csv_export: cells
    a spreadsheet would run as formulas are neutralised). No PAI notes."""
    return csv_bytes(
        ["Date", "Prestation", "Enfant", "Famille", "École", "Classe", "Régime", "PAI", "Tarif"],
        (
            [
                f"{data.day:%d/%m/%Y}",
                data.service_name,
                row.child_name,
                row.family_name,
                row.school,
                row.class_name,
                row.diet,
                "PAI" if row.pai else "",
                row.tariff,
            ]
            for row in data.rows
        ),
    )


def attendance_pdf(data: Attendance, commune_name: str, now: datetime) -> bytes:
    return render_attendance(
        commune_name,
        data.service_name,
        data.day,
        [(r.child_name, r.school, r.class_name, r.diet, r.pai) for r in data.rows],
        data.by_school,
        data.by_diet,
        generated_at=now,
    )


def export_name(data: Attendance, extension: str) -> str:
    return f"effectifs-{data.day.isoformat()}-prestation-{data.service_id}.{extension}"
