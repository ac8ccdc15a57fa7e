"""Back-office « Calendrier »: public holidays and school holidays, added as closed days.

Split from ``calendar`` (listing and removal stay there) to keep each module short.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from cantine_portal.french import PARIS
from cantine_portal.models import (
    ClosedDay,
)
from cantine_portal.services.backoffice.access import check_staff
from cantine_portal.services.backoffice.calendar import CalendarResult, parse_day, school_year_bounds
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.calendar import french_public_holidays

MAX_RANGE_DAYS = 120


def _existing(session: Session, structure_id: int, kind: str) -> set[date]:
    return set(
        session.exec(
            select(col(ClosedDay.day)).where(
                ClosedDay.structure_id == structure_id, ClosedDay.kind == kind, col(ClosedDay.service_id).is_(None)
            )
        )
    )


def add_public_holidays(
    session: Session, now: datetime, *, structure_id: int, account_id: int, ip: str = ""
) -> CalendarResult:
    """The French public holidays of the current school year (1 Sept – 31 Aug) not yet listed."""
    check_staff(session, structure_id, account_id)
    first, last = school_year_bounds(now.astimezone(PARIS).date())
    known = _existing(session, structure_id, "public_holiday")
    added = 0
    for holiday in french_public_holidays([first.year, last.year]):
        if first <= holiday.day <= last and holiday.day not in known:
            session.add(
                ClosedDay(structure_id=structure_id, day=holiday.day, kind="public_holiday", reason=holiday.reason)
            )
            added += 1
    audit.record(
        session,
        now,
        "admin.public_holidays_added",
        structure_id=structure_id,
        account_id=account_id,
        ip=ip,
        count=added,
        school_year=f"{first.year}-{last.year}",
    )
    if not added:
        return CalendarResult(True, "Les jours fériés de l'année scolaire étaient déjà tous enregistrés.")
    return CalendarResult(True, f"{added} jour(s) férié(s) de l'année scolaire {first.year}-{last.year} ajouté(s).")


def add_school_holidays(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    label: str,
    first: str | date,
    last: str | date,
    ip: str = "",
) -> CalendarResult:
    check_staff(session, structure_id, account_id)
    errors: dict[str, str] = {}
    label = " ".join(label.split())
    if not label:
        errors["label"] = "Indiquez le nom des vacances, par exemple « Vacances de Noël »."
    elif len(label) > 200:
        errors["label"] = "200 caractères au maximum."
    start, end = parse_day(first), parse_day(last)
    if start is None:
        errors["first"] = "Saisissez le premier jour (jj/mm/aaaa)."
    if end is None:
        errors["last"] = "Saisissez le dernier jour (jj/mm/aaaa)."
    if start and end:
        if end < start:
            errors["last"] = "Le dernier jour doit suivre le premier."
        elif (end - start).days >= MAX_RANGE_DAYS:
            errors["last"] = f"Une période de vacances dure au plus {MAX_RANGE_DAYS} jours."
    if errors or start is None or end is None:
        return CalendarResult(False, "Les vacances n'ont pas été ajoutées : corrigez les champs signalés.", errors)
    known = _existing(session, structure_id, "school_holiday")
    added = 0
    day = start
    while day <= end:
        if day not in known:
            session.add(ClosedDay(structure_id=structure_id, day=day, kind="school_holiday", reason=label))
            added += 1
        day += timedelta(days=1)
    audit.record(
        session,
        now,
        "admin.school_holidays_added",
        structure_id=structure_id,
        account_id=account_id,
        ip=ip,
        label=label,
        first=start,
        last=end,
        count=added,
    )
    return CalendarResult(True, f"« {label} » : {added} jour(s) ajouté(s), du {start:%d/%m/%Y} au {end:%d/%m/%Y}.")
