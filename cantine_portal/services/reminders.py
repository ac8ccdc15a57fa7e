"""Deadline reminders: « Pensez à réserver… » and « Votre panier… attend son paiement ».

``structure.reminder_days_before`` days (0: off) before a period's deadline, each guardian
(with an e-mail address and reminders on) of a family that has enrolled children receives one
e-mail for that period: « not booked » when the family has nothing booked in it, « unpaid » when
its basket holds days of it and waits for the payment. A family with paid days gets nothing.

A ``Reminder`` row (unique per guardian, period, kind) is inserted, in a savepoint, before the
e-mail's job is added in the same transaction: whatever runs this twice, in parallel or after a
crash, each guardian gets one e-mail per period and kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cantine_portal.french import format_euros, format_long_date, format_paris_time, to_paris
from cantine_portal.infra.mail import Mail, render_html
from cantine_portal.models import (
    Account,
    AccountRole,
    Child,
    Enrollment,
    Family,
    Guardian,
    Reminder,
    ReminderKind,
    ReservationStatus,
    Structure,
)
from cantine_portal.models.base import row_id
from cantine_portal.services.accounts import hashing
from cantine_portal.services.booking import queries
from cantine_portal.services.booking.basket import basket_summary
from cantine_portal.services.shared import calendar
from cantine_portal.services.shared.calendar import Period
from cantine_portal.services.tasks import jobs

LOOKAHEAD_PERIODS = 8  # weeks (or months) ahead whose deadline may be within the window
MAX_DAYS_BEFORE = 14


def _unsubscribe_message(guardian_id: int) -> str:
    return f"reminders-off:{guardian_id}"


def unsubscribe_token(secret: str, guardian_id: int) -> str:
    """The signed token of the one-click link (no login needed, nothing else it can do)."""
    return f"{guardian_id}.{hashing.sign(secret, _unsubscribe_message(guardian_id))}"


def guardian_of_token(secret: str, token: str) -> int | None:
    """The guardian a genuine token names; None for anything else."""
    head, _, signature = token.partition(".")
    if not head.isdigit() or len(head) > 12 or not signature:
        return None
    guardian_id = int(head)
    return guardian_id if hashing.signature_matches(secret, _unsubscribe_message(guardian_id), signature) else None


def unsubscribe(session: Session, secret: str, token: str) -> bool:
    """Turn reminders off for the token's guardian (idempotent); False for a bad token."""
    guardian_id = guardian_of_token(secret, token)
    guardian = session.get(Guardian, guardian_id) if guardian_id is not None else None
    if guardian is None:
        return False
    guardian.reminders_enabled = False
    session.add(guardian)
    return True


def periods_in_window(structure: Structure, now: datetime) -> Iterator[tuple[Period, datetime]]:
    """Periods whose deadline is still ahead and at most ``reminder_days_before`` days away."""
    days = min(structure.reminder_days_before, MAX_DAYS_BEFORE)
    if days <= 0:
        return
    rule = queries.structure_rule(structure)
    period = calendar.period_containing(structure.period_mode, to_paris(now).date())
    for _ in range(LOOKAHEAD_PERIODS):
        deadline = calendar.deadline_for(period, rule)
        if not calendar.is_locked(period, rule, now) and deadline - timedelta(days=days) <= now:
            yield period, deadline
        period = calendar.next_period(period)


def _enrolled_families(session: Session, structure_id: int) -> list[int]:
    rows = session.exec(
        select(Family.id)
        .where(Family.structure_id == structure_id)
        .join(Child, col(Child.family_id) == col(Family.id))
        .join(Enrollment, col(Enrollment.child_id) == col(Child.id))
        .distinct()
    ).all()
    return [family_id for family_id in rows if family_id is not None]


def _kind_for(
    session: Session, now: datetime, structure_id: int, family_id: int, period: Period
) -> tuple[str, int] | None:
    """(kind, amount to pay) of the reminder this family needs for ``period``, or None."""
    booked = queries.active_reservations(session, structure_id, family_id, period)
    if not booked:
        return ReminderKind.NOT_BOOKED, 0
    if any(r.status == ReservationStatus.PAID for r in booked):
        return None
    summary = basket_summary(session, now, structure_id, family_id)
    return (ReminderKind.UNPAID, summary.total_cents) if summary.total_cents > 0 else None


def _address(session: Session, guardian: Guardian) -> str:
    if guardian.email:
        return guardian.email
    account = session.exec(
        select(Account).where(
            Account.guardian_id == guardian.id, Account.role == AccountRole.PARENT, col(Account.active).is_(True)
        )
    ).first()
    return account.email if account else ""


@dataclass(frozen=True)
class ReminderContext:
    base_url: str
    secret: str


def _claim(session: Session, now: datetime, structure_id: int, guardian_id: int, period: Period, kind: str) -> bool:
    try:
        with session.begin_nested():
            session.add(
                Reminder(
                    structure_id=structure_id, guardian_id=guardian_id, period_key=period.key, kind=kind, sent_at=now
                )
            )
    except IntegrityError:
        return False
    return True


def send_due_reminders(session: Session, now: datetime, ctx: ReminderContext) -> int:
    """Queue every reminder due at ``now`` in every commune; returns how many were queued."""
    sent = 0
    for structure in session.exec(select(Structure).where(col(Structure.active).is_(True))).all():
        for period, deadline in periods_in_window(structure, now):
            for family_id in _enrolled_families(session, row_id(structure)):
                sent += _remind_family(session, now, ctx, structure, family_id, period, deadline)
    return sent


def _remind_family(
    session: Session,
    now: datetime,
    ctx: ReminderContext,
    structure: Structure,
    family_id: int,
    period: Period,
    deadline: datetime,
) -> int:
    need = _kind_for(session, now, row_id(structure), family_id, period)
    if need is None:
        return 0
    kind, amount = need
    sent = 0
    guardians = session.exec(
        select(Guardian).where(Guardian.family_id == family_id, col(Guardian.reminders_enabled).is_(True))
    ).all()
    for guardian in guardians:
        address = _address(session, guardian)
        if not address or not _claim(session, now, row_id(structure), row_id(guardian), period, kind):
            continue
        mail = reminder_mail(ctx, structure, guardian, address, period, deadline, kind, amount)
        jobs.add(session, now, "mail", mail.to_payload())
        sent += 1
    return sent


def period_words(period: Period) -> str:
    """« la semaine du 7 décembre » / « le mois de décembre 2026 »."""
    if period.mode == "week":
        return "la semaine du " + format_long_date(period.start, with_year=False).split(" ", 1)[1]
    return "le mois de " + period.label_fr[0].lower() + period.label_fr[1:]


def deadline_words(deadline: datetime) -> str:
    """« jeudi 3 décembre à 23h59 » (Paris)."""
    return f"{format_long_date(to_paris(deadline).date(), with_year=False)} à {format_paris_time(deadline)}"


def reminder_mail(
    ctx: ReminderContext,
    structure: Structure,
    guardian: Guardian,
    address: str,
    period: Period,
    deadline: datetime,
    kind: str,
    amount_cents: int,
) -> Mail:
    link = f"{ctx.base_url}/{structure.slug}/reservations?periode={period.key}"
    unsubscribe = f"{ctx.base_url}/api/{structure.slug}/rappels/desabonnement?jeton={unsubscribe_token(ctx.secret, row_id(guardian))}"
    if kind == ReminderKind.NOT_BOOKED:
        subject = f"Pensez à réserver {period_words(period)} avant le {deadline_words(deadline)}"
        lines = [
            f"Bonjour {guardian.first_name},",
            f"Rien n'est encore réservé pour {period_words(period)}. Les réservations ferment le "
            f"{deadline_words(deadline)}.",
        ]
    else:
        subject = f"Votre panier de {format_euros(amount_cents)} attend son paiement"
        lines = [
            f"Bonjour {guardian.first_name},",
            f"Votre panier de {format_euros(amount_cents)} pour {period_words(period)} attend son paiement : "
            f"les jours non payés avant le {deadline_words(deadline)} ne seront pas réservés.",
        ]
    after = [
        f"{structure.name}",
        "Vous ne souhaitez plus recevoir ces rappels ? Désactivez-les depuis la page Préférences du portail, "
        f"ou en un clic : {unsubscribe}",
    ]
    text = "\n\n".join([*lines, f"Réserver : {link}", *after]) + "\n"
    return Mail(
        to=address,
        subject=subject,
        text=text,
        sender_name=structure.name,
        html=render_html(subject, lines, ("Ouvrir mes réservations", link), after),
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


@dataclass(frozen=True)
class PeriodCount:
    period_key: str
    not_booked: int
    unpaid: int


def counts_by_period(session: Session, structure_id: int, limit: int = 8) -> list[PeriodCount]:
    """Reminders sent per period (newest first), for the staff."""
    rows = session.exec(
        select(Reminder.period_key, Reminder.kind, func.count())
        .where(Reminder.structure_id == structure_id)
        .group_by(Reminder.period_key, Reminder.kind)
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for key, kind, number in rows:
        counts.setdefault(key, {})[kind] = int(number)
    keys = sorted(counts, reverse=True)[:limit]
    return [
        PeriodCount(k, counts[k].get(ReminderKind.NOT_BOOKED, 0), counts[k].get(ReminderKind.UNPAID, 0)) for k in keys
    ]
