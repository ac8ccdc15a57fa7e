"""Back-office « Calendrier »: the closed days (public holidays, school holidays, exceptional
closures) as listed and removed by staff, plus the result type and day parsing shared with
``holidays`` (adding holidays) and ``closures`` (closing a day, with credits and e-mails)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from cantine_portal.french import format_long_date
from cantine_portal.models import (
    ClosedDay,
    Service,
    row_id,
)
from cantine_portal.services.backoffice.access import check_staff, owned
from cantine_portal.services.shared import audit

KIND_LABELS = {
    "public_holiday": "Jour férié",
    "school_holiday": "Vacances scolaires",
    "closure": "Fermeture exceptionnelle",
}


@dataclass
class ClosedRow:
    id: int
    day: date
    kind: str
    kind_label: str
    reason: str
    service_name: str


@dataclass
class CalendarResult:
    ok: bool
    message: str
    errors: dict[str, str] = field(default_factory=dict)
    cancelled: int = 0
    credited_families: int = 0
    removed_pending: int = 0


def school_year_bounds(day: date) -> tuple[date, date]:
    start = date(day.year if day.month >= 9 else day.year - 1, 9, 1)
    return start, date(start.year + 1, 8, 31)


def parse_day(text: str | date) -> date | None:
    """ISO (from a date input) or French jj/mm/aaaa."""
    if isinstance(text, date):
        return text
    text = str(text).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return None


def list_closed_days(session: Session, structure_id: int, account_id: int, first: date, last: date) -> list[ClosedRow]:
    check_staff(session, structure_id, account_id)
    names = {s.id: s.name for s in session.exec(select(Service).where(Service.structure_id == structure_id))}
    rows = session.exec(
        select(ClosedDay)
        .where(ClosedDay.structure_id == structure_id, ClosedDay.day >= first, ClosedDay.day <= last)
        .order_by(col(ClosedDay.day), col(ClosedDay.id))
    ).all()
    return [
        ClosedRow(
            row_id(r),
            r.day,
            r.kind,
            KIND_LABELS.get(r.kind, r.kind),
            r.reason,
            names.get(r.service_id, "") if r.service_id else "Toutes les prestations",
        )
        for r in rows
    ]


@dataclass
class ClosedPeriod:
    """Consecutive closed days with the same kind, reason and service, shown as one line."""

    ids: list[int]
    first: date
    last: date
    kind_label: str
    reason: str
    service_name: str

    @property
    def label(self) -> str:
        if self.first == self.last:
            return format_long_date(self.first)
        return f"du {format_long_date(self.first)} au {format_long_date(self.last)}"


def list_closed_periods(
    session: Session, structure_id: int, account_id: int, first: date, last: date
) -> list[ClosedPeriod]:
    """``list_closed_days`` with runs of consecutive days merged (a fortnight of holidays = one line)."""
    periods: list[ClosedPeriod] = []
    for row in list_closed_days(session, structure_id, account_id, first, last):
        previous = periods[-1] if periods else None
        if (
            previous is not None
            and row.day == previous.last + timedelta(days=1)
            and (row.kind_label, row.reason, row.service_name)
            == (previous.kind_label, previous.reason, previous.service_name)
        ):
            previous.ids.append(row.id)
            previous.last = row.day
            continue
        periods.append(ClosedPeriod([row.id], row.day, row.day, row.kind_label, row.reason, row.service_name))
    return periods


def delete_closed_days(
    session: Session, now: datetime, *, structure_id: int, account_id: int, closed_day_ids: list[int], ip: str = ""
) -> CalendarResult:
    """Remove closed days entered by mistake. Cancelled reservations and credits stay as they are."""
    check_staff(session, structure_id, account_id)
    rows = [owned(session, ClosedDay, closed_id, structure_id) for closed_id in closed_day_ids]
    if not rows:
        return CalendarResult(False, "Aucun jour à retirer.")
    rows.sort(key=lambda r: r.day)
    audit.record(
        session,
        now,
        "admin.closed_days_deleted",
        structure_id=structure_id,
        account_id=account_id,
        ip=ip,
        target=f"day:{rows[0].day.isoformat()}",
        last=rows[-1].day,
        kind=rows[0].kind,
        reason=rows[0].reason,
        count=len(rows),
    )
    for row in rows:
        session.delete(row)
    when = (
        f"Le {rows[0].day:%d/%m/%Y}"
        if len(rows) == 1
        else f"Du {rows[0].day:%d/%m/%Y} au {rows[-1].day:%d/%m/%Y}, les jours"
    )
    return CalendarResult(
        True,
        f"{when} ({rows[0].reason}) ne {'sont' if len(rows) > 1 else 'est'} plus fermé{'s' if len(rows) > 1 else ''}.",
    )
