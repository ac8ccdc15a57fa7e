"""Back-office « Calendrier »: exceptional closures.

Closing a day that already holds PAID reservations cancels them and credits each family with
the price it paid (Credit +price_cents), then e-mails the family; days still pending in an
open basket are removed from the basket. Everything happens in the caller's transaction, so a
failure leaves no half-closed day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from cantine_portal.french import PARIS, format_euros, format_long_date
from cantine_portal.infra.mail import Mail, Mailer, render_html
from cantine_portal.models import (
    Basket,
    BasketStatus,
    Child,
    ClosedDay,
    Credit,
    CreditKind,
    Family,
    Reservation,
    ReservationStatus,
    Service,
    Structure,
)
from cantine_portal.services.backoffice.access import check_staff, owned
from cantine_portal.services.backoffice.calendar import CalendarResult, parse_day
from cantine_portal.services.families.logins import notice_accounts
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.branding import mail_brand
from cantine_portal.services.shared.calendar import closure_credit_label


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
    closed_on = parse_day(day)
    reason = " ".join(reason.split())
    errors = _closure_errors(session, now, structure_id, closed_on, service, reason)
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
    by_family = _cancel_and_credit_paid(session, now, structure_id, closed_on, scope)
    paid = sum(len(reservations) for reservations in by_family.values())
    pending = _drop_pending(session, now, scope)
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
        cancelled=paid,
        removed_pending=pending,
        families=len(by_family),
    )
    if mailer is not None:
        for family_id, reservations in by_family.items():
            _mail_family(session, mailer, now, structure, family_id, closed_on, reason, reservations)
    message = _closure_message(closed_on, service, paid, len(by_family), pending)
    return CalendarResult(True, message, cancelled=paid, credited_families=len(by_family), removed_pending=pending)


def _closure_message(closed_on: date, service: Service | None, paid: int, families: int, pending: int) -> str:
    """What the staff read once the day is closed: what it cancelled, credited and took out of baskets."""
    what = f"« {service.name} »" if service else "toutes les prestations"
    message = f"Fermeture du {closed_on:%d/%m/%Y} enregistrée ({what})."
    if paid:
        message += (
            f" {paid} réservation(s) payée(s) annulée(s) ; {families} famille(s) créditée(s) et prévenue(s) par e-mail."
        )
    if pending:
        message += f" {pending} réservation(s) en attente retirée(s) des paniers."
    return message


def _closure_errors(
    session: Session, now: datetime, structure_id: int, closed_on: date | None, service: Service | None, reason: str
) -> dict[str, str]:
    """The form's messages, by field: a readable day, today or later, not closed twice; a short reason."""
    errors: dict[str, str] = {}
    today = now.astimezone(PARIS).date()
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
    return errors


def _cancel_and_credit_paid(
    session: Session, now: datetime, structure_id: int, closed_on: date, scope: list[Any]
) -> dict[int, list[Reservation]]:
    """Cancel the closed day's paid reservations and credit each family what it paid; by family."""
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
                kind=CreditKind.CLOSURE,
                created_at=now,
            )
        )
        by_family[reservation.family_id].append(reservation)
    return by_family


def _drop_pending(session: Session, now: datetime, scope: list[Any]) -> int:
    """Days waiting in a basket still open are simply taken out of it (the basket's version moves on);
    a basket in checkout is frozen while the bank works (its fulfilment re-checks closed days)."""
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
    return len(pending)


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
    accounts = notice_accounts(session, family_id)  # each login's choice (Préférences)
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
