"""The roll call as staff see it: the expected children with their marks, the children present
without a reservation, the counts; its CSV; the régie's list of « présents sans réservation »."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlmodel import Session, col, select

from cantine_portal.french import format_euros, to_paris
from cantine_portal.infra.csv_export import csv_bytes
from cantine_portal.models import (
    AbsentRule,
    Account,
    Child,
    Family,
    MarkStatus,
    Reservation,
    ReservationStatus,
    RollCallMark,
    Service,
    Structure,
    UnbookedRule,
)
from cantine_portal.services.backoffice.access import Area, check_staff, owned
from cantine_portal.services.rollcall.expected import ExpectedChild, child_facts, expected_children

UNBOOKED_LABEL = "Présent sans réservation"
UNBOOKED_RULES = {
    UnbookedRule.REPORT: "signalé à la régie, non facturé à la famille",
    UnbookedRule.BILL: "facturé à la famille au prix de son tarif, la nuit suivante : somme due à la régie",
}
ABSENT_RULES = {
    AbsentRule.PAID: "le jour reste dû (règle du prépaiement), sauf absence justifiée auprès de la régie",
    AbsentRule.CREDIT: "le jour devient un avoir pour la famille, la nuit suivante",
}
SETTLED_LABEL = "Absent — avoir émis"
STATUS_LABELS = {MarkStatus.PRESENT: "Présent", MarkStatus.ABSENT: "Absent", "": "Non pointé"}


@dataclass(frozen=True)
class SheetRow:
    child: ExpectedChild
    status: str  # MarkStatus, or "" while nobody has tapped this child
    marked_by: str  # the staff member's e-mail ("" when unmarked)
    marked_at: datetime | None
    settled: bool = False  # absent under the « avoir » rule, and the credit issued: no more taps

    @property
    def unbooked(self) -> bool:
        return self.child.reservation_id is None

    @property
    def status_label(self) -> str:
        if self.settled:
            return SETTLED_LABEL
        return UNBOOKED_LABEL if self.unbooked else STATUS_LABELS[self.status]


@dataclass(frozen=True)
class RollCallSheet:
    day: date
    service_id: int
    service_name: str
    rows: list[SheetRow]  # expected children first (school, class, name), then the unbooked ones
    unbooked_rule: str  # the commune's rule's words (Paramètres)
    absent_rule: str

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status and not r.unbooked)

    @property
    def expected(self) -> int:
        return sum(1 for r in self.rows if not r.unbooked)

    @property
    def unbooked_count(self) -> int:
        return sum(1 for r in self.rows if r.unbooked)


def _marks(session: Session, service_id: int, day: date) -> dict[int, tuple[RollCallMark, str]]:
    found = session.exec(
        select(RollCallMark, Account.email)
        .join(Account, col(Account.id) == col(RollCallMark.marked_by))
        .where(RollCallMark.service_id == service_id, RollCallMark.day == day)
    ).all()
    return {mark.child_id: (mark, email) for mark, email in found}


def _settled_ids(session: Session, marks: dict[int, tuple[RollCallMark, str]]) -> list[int]:
    """The children whose absence under the « avoir » rule was credited (their day is cancelled)."""
    reservation_ids = [m.reservation_id for m, _ in marks.values() if m.credit_due and m.reservation_id is not None]
    if not reservation_ids:
        return []
    cancelled = set(
        session.exec(
            select(Reservation.id).where(
                col(Reservation.id).in_(reservation_ids), Reservation.status == ReservationStatus.CANCELLED
            )
        ).all()
    )
    return [child_id for child_id, (m, _) in marks.items() if m.reservation_id in cancelled]


def _children(session: Session, structure_id: int, ids: list[int]) -> list[ExpectedChild]:
    if not ids:
        return []
    found = session.exec(
        select(Child, Family)
        .join(Family, col(Family.id) == col(Child.family_id))
        .where(col(Child.id).in_(ids), Family.structure_id == structure_id)
    ).all()
    return sorted((child_facts(child, family, None) for child, family in found), key=lambda e: e.sort_key)


def roll_call(session: Session, structure_id: int, account_id: int, service_id: int, day: date) -> RollCallSheet:
    """The list of ``service_id`` on ``day`` as it is in the database now (every tablet's taps):
    the expected children (and those whose absence became a credit), then the unbooked ones."""
    structure = check_staff(session, structure_id, account_id, Area.RESTAURATION)
    service = owned(session, Service, service_id, structure_id)
    marks = _marks(session, service_id, day)
    rows = []
    for child in expected_children(session, structure_id, service_id, day):
        found, email = marks.get(child.child_id, (None, ""))
        # a mark left from before the reservation changed (reservation_id None) is not this child's tap
        mark = found if found is not None and found.reservation_id is not None else None
        if mark is None:
            rows.append(SheetRow(child, "", "", None))
        else:
            rows.append(SheetRow(child, mark.status, email, mark.marked_at))
    for child in _children(session, structure_id, _settled_ids(session, marks)):
        mark, email = marks[child.child_id]
        facts = replace(child, reservation_id=mark.reservation_id)
        rows.append(SheetRow(facts, MarkStatus.ABSENT, email, mark.marked_at, settled=True))
    rows.sort(key=lambda r: r.child.sort_key)
    unbooked_ids = [child_id for child_id, (mark, _) in marks.items() if mark.reservation_id is None]
    for child in _children(session, structure_id, unbooked_ids):
        mark, email = marks[child.child_id]
        rows.append(SheetRow(child, mark.status, email, mark.marked_at))
    return RollCallSheet(day, service_id, service.name, rows, *rules_of(structure))


def rules_of(structure: Structure) -> tuple[str, str]:
    """The commune's two roll-call rules, in words."""
    return (
        UNBOOKED_RULES.get(UnbookedRule(structure.rollcall_unbooked_rule), UNBOOKED_RULES[UnbookedRule.REPORT]),
        ABSENT_RULES.get(AbsentRule(structure.rollcall_absent_rule), ABSENT_RULES[AbsentRule.PAID]),
    )


def roll_call_csv(sheet: RollCallSheet) -> bytes:
    """The day's record: `;`-separated, UTF-8 with BOM, cells neutralised (infra/csv_export).
    Diet and « PAI » yes/no for the kitchen; never the PAI notes (health data)."""
    return csv_bytes(
        ["Date", "Prestation", "Enfant", "Famille", "École", "Classe", "Régime", "PAI", "Pointage", "Par", "Le"],
        (
            [
                f"{sheet.day:%d/%m/%Y}",
                sheet.service_name,
                row.child.display_name,
                row.child.family_name,
                row.child.school,
                row.child.class_name,
                row.child.diet,
                "PAI" if row.child.pai else "",
                row.status_label,
                row.marked_by,
                f"{to_paris(row.marked_at):%d/%m/%Y %H:%M}" if row.marked_at else "",  # the exports' compact column
            ]
            for row in sheet.rows
        ),
    )


def export_name(sheet: RollCallSheet) -> str:
    return f"pointage-{sheet.day.isoformat()}-prestation-{sheet.service_id}.csv"


@dataclass(frozen=True)
class UnbookedPresence:
    """A child present without a reservation, as the régie reads it."""

    day: date
    service_name: str
    child_name: str
    family_name: str
    marked_by: str
    billing: str  # « facturé 3,85 € », « facturation la nuit suivante » or « signalé »


def billing_words(mark: RollCallMark) -> str:
    """What the mark costs the family, in the régie's words."""
    if mark.billed_at is not None:
        return f"facturé {format_euros(mark.billed_cents or 0)}"
    return "à facturer la nuit suivante" if mark.bill_due else "signalé"


def unbooked_presences(
    session: Session, structure_id: int, account_id: int, start: date, end: date
) -> list[UnbookedPresence]:
    """The « présents sans réservation » from ``start`` to ``end`` (included), for the régie
    (administration): the commune's rule says whether they are billed or only reported."""
    check_staff(session, structure_id, account_id)
    found = session.exec(
        select(RollCallMark, Service, Child, Family)
        .join(Service, col(Service.id) == col(RollCallMark.service_id))
        .join(Child, col(Child.id) == col(RollCallMark.child_id))
        .join(Family, col(Family.id) == col(Child.family_id))
        .where(
            RollCallMark.structure_id == structure_id,
            col(RollCallMark.reservation_id).is_(None),
            RollCallMark.status == MarkStatus.PRESENT,
            col(RollCallMark.day) >= start,
            col(RollCallMark.day) <= end,
        )
        .order_by(col(RollCallMark.day), col(Service.position), col(Child.last_name), col(Child.first_name))
    ).all()
    staff_ids = {mark.marked_by for mark, _service, _child, _family in found}
    emails = dict(session.exec(select(Account.id, Account.email).where(col(Account.id).in_(staff_ids))).all())
    return [
        UnbookedPresence(
            mark.day,
            service.name,
            f"{child.last_name.upper()} {child.first_name}",
            family.name,
            emails.get(mark.marked_by, ""),
            billing_words(mark),
        )
        for mark, service, child, family in found
    ]
