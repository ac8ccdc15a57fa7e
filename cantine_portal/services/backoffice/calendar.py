"""Back-office « Calendrier »: public holidays, school holidays, exceptional closures.

Closing a day that already holds PAID reservations cancels them and credits each family with
the price it paid (Credit +price_cents), then e-mails the family; days still pending in an
open basket are removed from the basket. Everything happens in the caller's transaction, so a
failure leaves no half-closed day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from cantine_portal.french import PARIS, format_euros, format_long_date
from cantine_portal.infra.mail import Mail, Mailer, render_html
from cantine_portal.models import (
    Account,
    AccountRole,
    Basket,
    BasketStatus,
    Child,
    ClosedDay,
    Credit,
    Family,
    Reservation,
    ReservationStatus,
    Service,
    Structure,
    row_id,
)
from cantine_portal.services.backoffice.access import NotAllowed, check_staff, owned
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.branding import mail_brand
from cantine_portal.services.shared.calendar import closure_credit_label, french_public_holidays

KIND_LABELS = {
    "public_holiday": "Jour férié",
    "school_holiday": "Vacances scolaires",
    "closure": "Fermeture exceptionnelle",
}
MAX_RANGE_DAYS = 120


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


@dataclass(frozen=True)
class ClosureImpact:
    paid: int
    families: int
    pending: int


def closure_impact(
    session: Session, *, structure_id: int, account_id: int, day: str | date, service_id: int | None
) -> ClosureImpact | None:
    """What closing ``day`` would cancel (None for an unreadable day): shown before confirming."""
    check_staff(session, structure_id, account_id)
    if service_id is not None:
        owned(session, Service, service_id, structure_id)
    closed_on = parse_day(day)
    if closed_on is None:
        return None
    scope = [Reservation.structure_id == structure_id, Reservation.day == closed_on]
    if service_id is not None:
        scope.append(Reservation.service_id == service_id)
    rows = session.exec(select(Reservation.status, Reservation.family_id).where(*scope)).all()
    paid = [family for status, family in rows if status == ReservationStatus.PAID]
    pending = sum(1 for status, _ in rows if status == ReservationStatus.PENDING)
    return ClosureImpact(len(paid), len(set(paid)), pending)


def close_day(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    day: str | date,
    service_id: int | None,
    reason: str,
    mailer: Mailer | None,
    ip: str = "",
) -> CalendarResult:
    """An exceptional closure: cancel and credit paid reservations, drop pending ones, mail families."""
    structure = check_staff(session, structure_id, account_id)
    service = owned(session, Service, service_id, structure_id) if service_id is not None else None
    errors: dict[str, str] = {}
    closed_on = parse_day(day)
    today = now.astimezone(PARIS).date()
    reason = " ".join(reason.split())
    if closed_on is None:
        errors["day"] = "Saisissez le jour de fermeture (jj/mm/aaaa)."
    elif closed_on < today:
        errors["day"] = "Ce jour est passé : une fermeture se déclare pour aujourd'hui ou plus tard."
    if not reason:
        errors["reason"] = "Indiquez le motif (il est montré aux familles)."
    elif len(reason) > 200:
        errors["reason"] = "200 caractères au maximum."
    if closed_on is not None and "day" not in errors:
        same = select(ClosedDay.id).where(
            ClosedDay.structure_id == structure_id, ClosedDay.day == closed_on, ClosedDay.kind == "closure"
        )
        same = (
            same.where(ClosedDay.service_id == service.id)
            if service
            else same.where(col(ClosedDay.service_id).is_(None))
        )
        if session.exec(same).first() is not None:
            errors["day"] = "Ce jour est déjà enregistré comme fermeture exceptionnelle."
    if errors or closed_on is None:
        return CalendarResult(False, "La fermeture n'a pas été enregistrée : corrigez les champs signalés.", errors)

    session.add(
        ClosedDay(
            structure_id=structure_id,
            day=closed_on,
            kind="closure",
            reason=reason,
            service_id=service.id if service else None,
        )
    )
    scope = [Reservation.structure_id == structure_id, Reservation.day == closed_on]
    if service is not None:
        scope.append(Reservation.service_id == service.id)
    paid = list(
        session.exec(select(Reservation).where(*scope, Reservation.status == ReservationStatus.PAID).with_for_update())
    )
    label = closure_credit_label(closed_on)
    by_family: dict[int, list[Reservation]] = defaultdict(list)
    for reservation in paid:
        reservation.status = ReservationStatus.CANCELLED
        reservation.cancelled_at = now
        reservation.updated_at = now
        session.add(reservation)
        session.add(
            Credit(
                structure_id=structure_id,
                family_id=reservation.family_id,
                amount_cents=reservation.price_cents,
                label=label,
                reservation_id=reservation.id,
                created_at=now,
            )
        )
        by_family[reservation.family_id].append(reservation)
    # Days waiting in a basket still open are simply taken out of it; a basket in checkout is
    # frozen while the bank works (its fulfilment re-checks closed days).
    pending = list(
        session.exec(
            select(Reservation)
            .outerjoin(Basket, col(Basket.id) == col(Reservation.basket_id))
            .where(
                *scope,
                Reservation.status == ReservationStatus.PENDING,
                col(Reservation.basket_id).is_(None) | (col(Basket.status) == BasketStatus.OPEN),
            )
        )
    )
    if pending:
        session.exec(delete(Reservation).where(col(Reservation.id).in_([r.id for r in pending])))
        for basket_id in {r.basket_id for r in pending if r.basket_id is not None}:
            session.exec(
                update(Basket)
                .where(col(Basket.id) == basket_id)
                .values(version=col(Basket.version) + 1, updated_at=now)
            )
    session.flush()
    audit.record(
        session,
        now,
        "admin.day_closed",
        structure_id=structure_id,
        account_id=account_id,
        ip=ip,
        target=f"day:{closed_on.isoformat()}",
        service_id=service.id if service else None,
        reason=reason,
        cancelled=len(paid),
        removed_pending=len(pending),
        families=len(by_family),
    )
    if mailer is not None:
        for family_id, reservations in by_family.items():
            _mail_family(session, mailer, now, structure, family_id, closed_on, reason, reservations)
    what = f"« {service.name} »" if service else "toutes les prestations"
    message = f"Fermeture du {closed_on:%d/%m/%Y} enregistrée ({what})."
    if paid:
        message += (
            f" {len(paid)} réservation(s) payée(s) annulée(s) ; {len(by_family)} famille(s) créditée(s) "
            "et prévenue(s) par e-mail."
        )
    if pending:
        message += f" {len(pending)} réservation(s) en attente retirée(s) des paniers."
    return CalendarResult(
        True, message, cancelled=len(paid), credited_families=len(by_family), removed_pending=len(pending)
    )


def _mail_family(
    session: Session,
    mailer: Mailer,
    now: datetime,
    structure: Structure,
    family_id: int,
    closed_on: date,
    reason: str,
    reservations: list[Reservation],
) -> None:
    family = session.get(Family, family_id)
    accounts = session.exec(
        select(Account).where(
            Account.family_id == family_id, Account.role == AccountRole.PARENT, col(Account.active).is_(True)
        )
    ).all()
    if family is None or not accounts:
        return
    services = {s.id: s.name for s in session.exec(select(Service).where(Service.structure_id == structure.id))}
    lines = []
    for r in reservations:
        child = session.get(Child, r.child_id)
        name = f"{child.first_name} {child.last_name}" if child else "Enfant"
        lines.append(f"{name} — {services.get(r.service_id, '')} : {format_euros(r.price_cents)}")
    total = sum(r.price_cents for r in reservations)
    paragraphs = [
        "Bonjour,",
        f"{structure.name} sera exceptionnellement fermé le {format_long_date(closed_on)} ({reason}).",
        "Les réservations payées suivantes sont annulées :",
        *lines,
        f"Un avoir de {format_euros(total)} a été ajouté à votre compte famille : il sera déduit "
        "de votre prochain panier.",
    ]
    after = [f"{structure.name} — {structure.phone}" if structure.phone else structure.name]
    for account in accounts:
        mailer.send(
            Mail(
                brand=mail_brand(mailer.settings, structure),
                to=account.email,
                subject=f"{structure.name} — Fermeture exceptionnelle du {closed_on:%d/%m/%Y}",
                text="\n\n".join(paragraphs + after),
                html=render_html("Fermeture exceptionnelle", paragraphs, None, after),
                reply_to=structure.email or None,
            ),
            now,
        )


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


__all__ = [
    "NotAllowed",
    "CalendarResult",
    "ClosedRow",
    "add_public_holidays",
    "add_school_holidays",
    "close_day",
    "closure_credit_label",
    "delete_closed_days",
    "list_closed_days",
    "list_closed_periods",
    "parse_day",
    "school_year_bounds",
]
