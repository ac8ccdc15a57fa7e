"""Sick-day absences, the parent's side (issue 20): declare a child ill for booked days.

Rules, all on the server:
- a day can be declared until the commune's time of that very day in Paris (« 09:00 »: today's days
  until 9h00, future days any time, past days never), whatever the period's booking deadline;
- only the child's own active reservations (pending or paid) are covered, each at most once;
- a medical certificate is required: a PDF or a JPEG/PNG photo, checked by its content (magic bytes
  and structure, never the file name), at most 5 Mo, stored under a random name outside any
  public folder (like the QF attestations);
- basket days (pending) leave the basket at once (the basket's version moves, its other lines are
  re-priced); paid days wait for the staff's decision (services/backoffice/absences.py).

The kitchen's counts drop the child as soon as it is declared: see ``absent_child_days`` in
services/booking/absence_days.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cantine_portal.config import Settings
from cantine_portal.french import PARIS, format_clock_time, format_long_date, format_size, plural
from cantine_portal.infra import storage
from cantine_portal.infra.pdf.validation import PdfRejected, is_probably_pdf, validate_pdf
from cantine_portal.infra.photos import ImageRejected, validate_image
from cantine_portal.models import (
    Absence,
    AbsenceDay,
    AbsenceDayOutcome,
    AbsenceStatus,
    BasketStatus,
    Child,
    Reservation,
    ReservationStatus,
    Structure,
    row_id,
)
from cantine_portal.services.booking.basket import reprice_basket
from cantine_portal.services.booking.errors import CHECKOUT_MESSAGE, BookingError
from cantine_portal.services.booking.queries import bump_version, current_basket, structure_and_family
from cantine_portal.services.shared import audit

MAX_BYTES = 5 * 1024 * 1024
DEFAULT_DEADLINE = time(9, 0)
MSG_FORBIDDEN = "Cette absence ne peut pas être signalée pour votre famille."
MSG_NO_DAY = "Cochez au moins un jour d'absence."
MSG_NO_FILE = "Joignez le certificat médical : un PDF ou une photo (JPEG, PNG)."
MSG_TOO_BIG = (
    f"Le certificat dépasse {format_size(MAX_BYTES)} : reprenez la photo en qualité moindre "
    "(ou envoyez un PDF), puis envoyez-la à nouveau."
)
MSG_ALREADY = "Une absence a déjà été signalée pour l'un de ces jours. Rechargez la page."


@dataclass(frozen=True)
class DeclareResult:
    ok: bool
    message: str
    absence_id: int | None = None
    withdrawn: int = 0  # basket days removed
    waiting: int = 0  # paid days waiting for the staff


@dataclass(frozen=True)
class Certificate:
    """A certificate that passed the content checks: what to store."""

    data: bytes
    media_type: str
    suffix: str


def deadline_time(structure: Structure) -> time:
    """The commune's « HH:MM » of the day (09:00 when unreadable: never more lenient than asked)."""
    try:
        hour, minute = (int(part) for part in structure.absence_deadline_time.split(":"))
        return time(hour, minute)
    except (ValueError, AttributeError):
        return DEFAULT_DEADLINE


def declaration_deadline(structure: Structure, day: date) -> datetime:
    """The instant after which ``day`` can no longer be declared: its own date at the commune's
    time, in Paris (zoneinfo: right on the days the clocks change)."""
    return datetime.combine(day, deadline_time(structure), tzinfo=PARIS)


def can_declare(structure: Structure, day: date, now: datetime) -> bool:
    return now < declaration_deadline(structure, day)


def deadline_rule_text(structure: Structure) -> str:
    """« jusqu'à 9h00 le jour même » for the page's explanation."""
    return f"jusqu'à {format_clock_time(deadline_time(structure))} le jour même"


def check_certificate(data: bytes) -> Certificate:
    """The certificate's bytes decide what it is: a PDF (no active content), or a JPEG/PNG photo.
    A renamed executable or anything else is refused with a French message (BookingError)."""
    if not data:
        raise BookingError(MSG_NO_FILE)
    if len(data) > MAX_BYTES:
        raise BookingError(MSG_TOO_BIG)
    try:
        if is_probably_pdf(data):
            validate_pdf(data, MAX_BYTES)
            return Certificate(data, "application/pdf", "pdf")
        media, _size = validate_image(data, MAX_BYTES)
    except PdfRejected as refused:
        raise BookingError(refused.message) from None
    except ImageRejected as refused:
        raise BookingError(refused.message) from None
    return Certificate(data, media, "png" if media == "image/png" else "jpg")


def _covered(
    session: Session, now: datetime, structure: Structure, family_id: int, child_id: int, days: list[date]
) -> list[Reservation]:
    """The child's active reservations on ``days``, each day still declarable and booked."""
    child = session.get(Child, child_id)
    if child is None or child.family_id != family_id:
        raise BookingError(MSG_FORBIDDEN)
    if not days:
        raise BookingError(MSG_NO_DAY)
    for day in sorted(days):
        if not can_declare(structure, day, now):
            raise BookingError(
                f"Le {format_long_date(day)} ne peut plus être signalé : une absence se signale "
                f"{deadline_rule_text(structure)} au plus tard."
            )
    rows = list(
        session.exec(
            select(Reservation).where(
                Reservation.structure_id == row_id(structure),
                Reservation.family_id == family_id,
                Reservation.child_id == child_id,
                col(Reservation.day).in_(days),
                Reservation.status != ReservationStatus.CANCELLED,
            )
        ).all()
    )
    booked = {r.day for r in rows}
    for day in days:
        if day not in booked:
            raise BookingError(f"Aucune réservation de {child.first_name} le {format_long_date(day)}.")
    taken = session.exec(select(AbsenceDay.id).where(col(AbsenceDay.reservation_id).in_([r.id for r in rows]))).first()
    if taken is not None:
        raise BookingError(MSG_ALREADY)
    return rows


def declare_absence(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    structure_id: int,
    family_id: int,
    account_id: int,
    child_id: int,
    days: list[date],
    data: bytes,
    ip: str = "",
) -> DeclareResult:
    """Declare ``child_id`` ill on ``days`` with a certificate. All or nothing (a savepoint)."""
    try:
        with session.begin_nested():
            return _declare(session, settings, now, structure_id, family_id, account_id, child_id, days, data, ip)
    except BookingError as refused:
        return DeclareResult(False, refused.message)
    except IntegrityError:  # another tab or guardian declared the same reservation meanwhile
        return DeclareResult(False, MSG_ALREADY)


def _declare(
    session: Session,
    settings: Settings,
    now: datetime,
    structure_id: int,
    family_id: int,
    account_id: int,
    child_id: int,
    days: list[date],
    data: bytes,
    ip: str,
) -> DeclareResult:
    structure, _family = structure_and_family(session, structure_id, family_id)
    rows = _covered(session, now, structure, family_id, child_id, sorted(set(days)))
    certificate = check_certificate(data)
    paid = [r for r in rows if r.status == ReservationStatus.PAID]
    pending = [r for r in rows if r.status == ReservationStatus.PENDING]
    absence = Absence(
        structure_id=structure_id,
        family_id=family_id,
        child_id=child_id,
        account_id=account_id,
        status=AbsenceStatus.PENDING if paid else AbsenceStatus.WITHDRAWN,
        certificate_path="",
        certificate_media=certificate.media_type,
        certificate_size=len(certificate.data),
        declared_at=now,
    )
    session.add(absence)
    session.flush()
    for r in paid:
        session.add(_day(absence, r, AbsenceDayOutcome.WAITING))
    _leave_basket(session, now, structure_id, family_id, absence, pending)
    session.flush()  # the unique index on reservation_id fires here on a race
    # Stored last: a refusal above leaves no file behind.
    absence.certificate_path = storage.save_bytes(settings, "absences", certificate.data, certificate.suffix)
    session.add(absence)
    audit.record(
        session,
        now,
        "family.absence_declared",
        structure_id=structure_id,
        account_id=account_id,
        target=f"absence:{row_id(absence)}",
        ip=ip,
        days=len({r.day for r in rows}),
    )
    return DeclareResult(True, _message(paid, pending), row_id(absence), len(pending), len(paid))


def _day(absence: Absence, r: Reservation, outcome: AbsenceDayOutcome) -> AbsenceDay:
    return AbsenceDay(
        absence_id=row_id(absence),
        structure_id=absence.structure_id,
        child_id=r.child_id,
        service_id=r.service_id,
        day=r.day,
        reservation_id=r.id if outcome != AbsenceDayOutcome.WITHDRAWN else None,
        price_cents=r.price_cents,
        outcome=outcome,
    )


def _leave_basket(
    session: Session, now: datetime, structure_id: int, family_id: int, absence: Absence, pending: list[Reservation]
) -> None:
    """Basket days leave the basket at once; a basket frozen by a payment under way is refused."""
    if not pending:
        return
    basket = current_basket(session, structure_id, family_id)
    if basket is None or basket.status != BasketStatus.OPEN or any(r.basket_id != basket.id for r in pending):
        raise BookingError(CHECKOUT_MESSAGE)
    for r in pending:
        session.add(_day(absence, r, AbsenceDayOutcome.WITHDRAWN))
    gone = session.exec(
        delete(Reservation)
        .where(col(Reservation.id).in_([r.id for r in pending]), col(Reservation.status) == ReservationStatus.PENDING)
        .execution_options(synchronize_session=False)
    )
    if gone.rowcount != len(pending):
        raise BookingError(MSG_ALREADY)
    for r in pending:
        session.expunge(r)
    bump_version(session, basket, basket.version)
    reprice_basket(session, now, structure_id, family_id)  # a sibling's rank may have moved


def _message(paid: list[Reservation], pending: list[Reservation]) -> str:
    parts = ["Absence signalée, merci."]
    if pending:
        parts.append(plural(len(pending), "jour retiré du panier", "jours retirés du panier") + ".")
    if paid:
        parts.append(
            plural(len(paid), "jour payé", "jours payés")
            + " en attente de validation par la mairie : vous serez prévenu par e-mail de sa décision."
        )
    return " ".join(parts)
