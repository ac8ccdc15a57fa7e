"""« Effectifs »: the children eating on a day for a service (paid reservations), and its CSV/PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session

from cantine_portal.french import PARIS
from cantine_portal.services.backoffice import attendance as rules
from cantine_portal.services.backoffice.access import Area, check_staff
from cantine_portal.services.backoffice.attendance import Attendance
from cantine_portal.usecases.backoffice.common import Download, ServiceChoice, StaffActor, read

__all__ = ["Attendance", "AttendancePage", "attendance_export", "attendance_page", "attendance_sheet"]


@dataclass(frozen=True)
class AttendancePage:
    services: list[ServiceChoice]  # active ones
    day: date
    sheet: Attendance | None  # the first service's, None when the commune has no active service


def default_day(requested: str, now: datetime) -> date:
    """The day of the link (``?jour=``), else today, or Monday at the weekend (Paris)."""
    try:
        return date.fromisoformat(requested)
    except ValueError:
        today = now.astimezone(PARIS).date()
        while today.weekday() >= 5:
            today += timedelta(days=1)
        return today


def attendance_page(actor: StaffActor, *, now: datetime, requested_day: str) -> AttendancePage:
    """The page as it opens: the active services, the day, and the first service's sheet."""
    day = default_day(requested_day, now)

    def work(session: Session) -> AttendancePage:
        services = [
            ServiceChoice(id_, name)
            for id_, name in rules.active_services(session, actor.structure_id, actor.account_id)
        ]
        sheet = (
            rules.attendance(session, actor.structure_id, actor.account_id, day, services[0].id) if services else None
        )
        return AttendancePage(services, day, sheet)

    return read(work)


def attendance_sheet(actor: StaffActor, *, day: date, service_id: int) -> Attendance:
    return read(lambda s: rules.attendance(s, actor.structure_id, actor.account_id, day, service_id))


def attendance_export(actor: StaffActor, *, now: datetime, day: date, service_id: int, kind: str) -> Download:
    """The sheet as a CSV (``kind`` "csv") or a PDF for the kitchen; PAI notes never leave the screen."""

    def work(session: Session) -> tuple[Attendance, str]:
        commune = check_staff(session, actor.structure_id, actor.account_id, Area.RESTAURATION).name
        return rules.attendance(session, actor.structure_id, actor.account_id, day, service_id), commune

    data, commune = read(work)
    if kind == "pdf":
        return Download(rules.attendance_pdf(data, commune, now), rules.export_name(data, "pdf"), "application/pdf")
    return Download(rules.attendance_csv(data), rules.export_name(data, "csv"), "text/csv")
