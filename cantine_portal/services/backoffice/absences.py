"""Back-office « Absences »: the staff read the certificate, then validate or refuse a declaration.

Validating turns the paid days into credits (avoirs) by the commune's rule: from the first day, or
after N days of carence (the first N consecutive absence days of the child are not credited and
stay paid). Once and only once: the decision is a compare-and-set on the absence's status, each
day's cancellation a compare-and-set on its reservation (a day a closure already credited is not
credited again), so a double click, two staff at once or a replay never credit twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from cantine_portal.french import PARIS, format_euros, format_long_date, format_numeric_date, plural
from cantine_portal.infra.mail import Mail, Mailer, render_html
from cantine_portal.models import (
    Absence,
    AbsenceDay,
    AbsenceDayOutcome,
    AbsenceStatus,
    Account,
    AccountRole,
    Child,
    Credit,
    CreditKind,
    Family,
    Reservation,
    ReservationStatus,
    Service,
    Structure,
    row_id,
)
from cantine_portal.services.backoffice.access import check_staff, owned
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.branding import mail_brand

MSG_DONE = "Cette absence a déjà été traitée (par vous ou un collègue) : rien n'a été modifié."
MSG_REASON = "Indiquez à la famille pourquoi l'absence est refusée."
# Two absence days belong to the same illness when nothing the child attended lies between them
# and they are at most this far apart (a weekend plus a Wednesday without school).
RUN_GAP_DAYS = 4


@dataclass(frozen=True)
class DecisionResult:
    ok: bool
    message: str
    errors: dict[str, str] = field(default_factory=dict)
    credited_cents: int = 0


@dataclass(frozen=True)
class AbsenceRow:
    """One declaration on the staff's page."""

    id: int
    family_name: str
    child_name: str
    days: tuple[str, ...]  # « 07/12/2026 — Restauration scolaire (3,85 €) »
    declared_at: str
    certificate: str  # « PDF » | « Photo »
    status: str
    outcome: str  # after the decision: credited amount, carence, or the message


def _dates(session: Session, child_id: int) -> tuple[set[date], set[date]]:
    """The child's absence dates (every declaration not refused) and its attended booked dates."""
    absent = {
        d
        for d in session.exec(
            select(col(AbsenceDay.day))
            .join(Absence, col(Absence.id) == col(AbsenceDay.absence_id))
            .where(AbsenceDay.child_id == child_id, Absence.status != AbsenceStatus.REFUSED)
        ).all()
    }
    booked = {
        d
        for d in session.exec(
            select(col(Reservation.day)).where(
                Reservation.child_id == child_id, Reservation.status != ReservationStatus.CANCELLED
            )
        ).all()
    }
    return absent, booked - absent


def carence_dates(session: Session, child_id: int, carence_days: int) -> set[date]:
    """The child's absence dates that fall in the first ``carence_days`` of their illness (run)."""
    if carence_days <= 0:
        return set()
    absent, attended = _dates(session, child_id)
    result: set[date] = set()
    previous: date | None = None
    rank = 0
    for day in sorted(absent):
        same_run = (
            previous is not None
            and (day - previous).days <= RUN_GAP_DAYS
            and not any(previous < other < day for other in attended)
        )
        rank = rank + 1 if same_run else 1
        if rank <= carence_days:
            result.add(day)
        previous = day
    return result


def _decide(session: Session, now: datetime, absence_id: int, account_id: int, status: AbsenceStatus) -> bool:
    """Compare-and-set pending → ``status``: False when someone decided first."""
    done = session.exec(
        update(Absence)
        .where(col(Absence.id) == absence_id, col(Absence.status) == AbsenceStatus.PENDING)
        .values(status=status, decided_at=now, decided_by=account_id)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1


def validate_absence(
    session: Session,
    mailer: Mailer | None,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    absence_id: int,
    message: str = "",
    ip: str = "",
) -> DecisionResult:
    """Validate: credit each waiting paid day (carence days excepted), tell the family."""
    structure = check_staff(session, structure_id, account_id)
    absence = owned(session, Absence, absence_id, structure_id)
    if not _decide(session, now, absence_id, account_id, AbsenceStatus.VALIDATED):
        return DecisionResult(False, MSG_DONE)
    session.refresh(absence)
    child = session.get(Child, absence.child_id)
    carence = carence_dates(session, absence.child_id, structure.absence_carence_days)
    services = {row_id(s): s.name for s in session.exec(select(Service).where(Service.structure_id == structure_id))}
    credited = 0
    for day in _waiting(session, absence_id):
        if day.day in carence:
            day.outcome = AbsenceDayOutcome.CARENCE
        elif _cancel(session, now, day):
            credit = Credit(
                structure_id=structure_id,
                family_id=absence.family_id,
                amount_cents=day.price_cents,
                reservation_id=day.reservation_id,
                kind=CreditKind.ABSENCE,
                label=(
                    f"Avoir : absence pour maladie le {format_long_date(day.day)} "
                    f"({child.first_name if child else ''} — {services.get(day.service_id, '')})"
                ),
                created_at=now,
            )
            session.add(credit)
            session.flush()
            day.outcome, day.credit_id = AbsenceDayOutcome.CREDITED, row_id(credit)
            credited += day.price_cents
        else:  # cancelled meanwhile (a closure): that cancellation already credited it
            day.outcome = AbsenceDayOutcome.ALREADY_CANCELLED
        session.add(day)
    absence.credited_cents, absence.staff_message = credited, message.strip()[:2000]
    session.add(absence)
    audit.record(
        session,
        now,
        "admin.absence_validated",
        structure_id=structure_id,
        account_id=account_id,
        target=f"absence:{absence_id}",
        ip=ip,
        credited_cents=credited,
    )
    if mailer is not None:
        _mail(session, mailer, now, structure, absence, child, True)
    text = f"Absence validée : avoir de {format_euros(credited)}" if credited else "Absence validée, sans avoir"
    return DecisionResult(True, text + " ; la famille a été prévenue par e-mail.", credited_cents=credited)


def _waiting(session: Session, absence_id: int) -> list[AbsenceDay]:
    return list(
        session.exec(
            select(AbsenceDay)
            .where(AbsenceDay.absence_id == absence_id, AbsenceDay.outcome == AbsenceDayOutcome.WAITING)
            .order_by(col(AbsenceDay.day), col(AbsenceDay.id))
        ).all()
    )


def _cancel(session: Session, now: datetime, day: AbsenceDay) -> bool:
    """Paid → cancelled, only if still paid (never two credits for one day)."""
    done = session.exec(
        update(Reservation)
        .where(col(Reservation.id) == day.reservation_id, col(Reservation.status) == ReservationStatus.PAID)
        .values(status=ReservationStatus.CANCELLED, cancelled_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1


def refuse_absence(
    session: Session,
    mailer: Mailer | None,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    absence_id: int,
    message: str,
    ip: str = "",
) -> DecisionResult:
    """Refuse with a message: the paid days stay paid; the family is told why by e-mail."""
    structure = check_staff(session, structure_id, account_id)
    absence = owned(session, Absence, absence_id, structure_id)
    if not message.strip():
        return DecisionResult(False, MSG_REASON, {"message": MSG_REASON})
    if not _decide(session, now, absence_id, account_id, AbsenceStatus.REFUSED):
        return DecisionResult(False, MSG_DONE)
    session.refresh(absence)
    for day in _waiting(session, absence_id):
        day.outcome = AbsenceDayOutcome.REFUSED
        session.add(day)
    absence.staff_message = message.strip()[:2000]
    session.add(absence)
    audit.record(
        session,
        now,
        "admin.absence_refused",
        structure_id=structure_id,
        account_id=account_id,
        target=f"absence:{absence_id}",
        ip=ip,
    )
    if mailer is not None:
        _mail(session, mailer, now, structure, absence, session.get(Child, absence.child_id), False)
    return DecisionResult(True, "Absence refusée ; la famille a été prévenue par e-mail.")


def _mail(
    session: Session,
    mailer: Mailer,
    now: datetime,
    structure: Structure,
    absence: Absence,
    child: Child | None,
    validated: bool,
) -> None:
    days = sorted({d.day for d in session.exec(select(AbsenceDay).where(AbsenceDay.absence_id == row_id(absence)))})
    when = ", ".join(format_long_date(d) for d in days)
    name = child.first_name if child else "votre enfant"
    if validated:
        title = "Absence validée"
        result = (
            f"Un avoir de {format_euros(absence.credited_cents)} a été ajouté à votre compte famille : il sera "
            "déduit de votre prochain panier."
            if absence.credited_cents
            else "Aucun avoir n'est dû (jours de carence de la commune ou jours déjà remboursés)."
        )
        paragraphs = ["Bonjour,", f"La mairie a validé l'absence pour maladie de {name} ({when}).", result]
    else:
        title = "Absence refusée"
        paragraphs = [
            "Bonjour,",
            f"La mairie n'a pas pu valider l'absence pour maladie de {name} ({when}) ; les jours restent dus.",
        ]
    if absence.staff_message:
        paragraphs.append("Message de la mairie : " + absence.staff_message)
    for account in session.exec(
        select(Account).where(
            Account.family_id == absence.family_id, Account.role == AccountRole.PARENT, col(Account.active).is_(True)
        )
    ):
        mailer.send(
            Mail(
                brand=mail_brand(mailer.settings, structure),
                to=account.email,
                subject=f"{structure.name} — {title} ({name})",
                text="\n\n".join(paragraphs),
                html=render_html(title, paragraphs),
                reply_to=structure.email or None,
            ),
            now,
        )


def absence_rows(session: Session, structure_id: int, account_id: int, *, pending: bool) -> list[AbsenceRow]:
    """The declarations waiting (oldest first), or the last 30 decided (newest first)."""
    check_staff(session, structure_id, account_id)
    query = (
        select(Absence, Family.name, Child)
        .join(Family, col(Family.id) == col(Absence.family_id))
        .join(Child, col(Child.id) == col(Absence.child_id))
        .where(Absence.structure_id == structure_id)
    )
    if pending:
        query = query.where(Absence.status == AbsenceStatus.PENDING).order_by(col(Absence.declared_at))
    else:
        query = (
            query.where(col(Absence.status).in_((AbsenceStatus.VALIDATED, AbsenceStatus.REFUSED)))
            .order_by(col(Absence.decided_at).desc())
            .limit(30)
        )
    found = session.exec(query).all()
    services = {row_id(s): s.name for s in session.exec(select(Service).where(Service.structure_id == structure_id))}
    days: dict[int, list[AbsenceDay]] = {}
    ids = [row_id(a) for a, _f, _c in found]
    for d in session.exec(select(AbsenceDay).where(col(AbsenceDay.absence_id).in_(ids)).order_by(col(AbsenceDay.day))):
        days.setdefault(d.absence_id, []).append(d)
    return [_row(a, family, child, days.get(row_id(a), []), services) for a, family, child in found]


def _row(absence: Absence, family: str, child: Child, days: list[AbsenceDay], services: dict[int, str]) -> AbsenceRow:
    lines = tuple(
        f"{format_numeric_date(d.day)} — {services.get(d.service_id, '')} ({format_euros(d.price_cents)})"
        + (" — retiré du panier" if d.outcome == AbsenceDayOutcome.WITHDRAWN else "")
        + (" — carence" if d.outcome == AbsenceDayOutcome.CARENCE else "")
        for d in days
    )
    outcome = ""
    if absence.status == AbsenceStatus.VALIDATED:
        carence = sum(1 for d in days if d.outcome == AbsenceDayOutcome.CARENCE)
        outcome = f"Validée : avoir de {format_euros(absence.credited_cents)}" + (
            f", {plural(carence, 'jour', 'jours')} de carence" if carence else ""
        )
    elif absence.status == AbsenceStatus.REFUSED:
        outcome = "Refusée : " + absence.staff_message
    return AbsenceRow(
        row_id(absence),
        family,
        f"{child.first_name} {child.last_name}",
        lines,
        absence.declared_at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M"),
        "PDF" if absence.certificate_media == "application/pdf" else "Photo",
        str(absence.status),
        outcome,
    )


def certificate_of(session: Session, structure_id: int, account_id: int, absence_id: int) -> Absence:
    """A declaration of the commune, for its staff to read the certificate (any other id refused)."""
    check_staff(session, structure_id, account_id)
    return owned(session, Absence, absence_id, structure_id)
