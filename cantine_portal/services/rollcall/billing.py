"""« Présent sans réservation » billed to the family (UnbookedRule.BILL): once a day is over, each
child the canteen added present without a reservation, under that rule, costs the family the day's
price — its own tariff (QF grid, sibling rank) — as a debt on its account: a negative credit row.

The night after the day (the nightly task, beside the absences' settlement), not at the tap: a
child added by mistake and taken back during the service costs nothing. Once and only once: the
mark goes from unbilled to billed by a conditional UPDATE (``WHERE billed_at IS NULL``), and the
debt is written only when that UPDATE changed the row, so a second run or a second consumer finds
nothing to do. Taking back a billed mark later gives the money back, once: the mark is deleted by
a conditional DELETE (``WHERE billed_at IS NOT NULL``) and the positive row is written only when
that DELETE removed it (a régie expects a wrong tap to be undone, not a refusal: the family must
not owe a meal it never took).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, delete, select, update

from cantine_portal.french import PARIS, format_euros, format_long_date
from cantine_portal.infra.mail import Mail, Mailer, render_html
from cantine_portal.models import (
    Child,
    Credit,
    CreditKind,
    MarkStatus,
    Reservation,
    ReservationStatus,
    RollCallMark,
    Service,
    Structure,
    row_id,
)
from cantine_portal.services.booking.credit_lock import lock_family_credit
from cantine_portal.services.families.logins import ticket_addresses
from cantine_portal.services.pricing.tariffs import Tariffs, price_booked
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.branding import mail_brand


def debt_label(service_name: str, day: date, first_name: str) -> str:
    return f"{service_name} du {day:%d/%m/%Y} sans réservation ({first_name}) : somme due"


def cancel_label(service_name: str, day: date, first_name: str) -> str:
    return f"Annulation : {service_name} du {day:%d/%m/%Y} sans réservation ({first_name})"


@dataclass(frozen=True)
class Billed:
    days: int
    amount_cents: int


def unbooked_price(session: Session, mark: RollCallMark, child: Child, service: Service) -> int | None:
    """The day's price for this child as if it had been booked: the family's tariff on that day
    (services/pricing, the computation Valider uses), ranked among its siblings that day — those
    with a paid day first, then the other children present without a reservation. None when the
    child's own day is paid meanwhile (a basket paid after the tap): nothing to bill."""
    paid = session.exec(
        select(Reservation.child_id).where(
            Reservation.family_id == child.family_id,
            Reservation.service_id == mark.service_id,
            Reservation.day == mark.day,
            Reservation.status == ReservationStatus.PAID,
        )
    ).all()
    unbooked = session.exec(
        select(RollCallMark.child_id)
        .join(Child, col(Child.id) == col(RollCallMark.child_id))
        .where(
            Child.family_id == child.family_id,
            RollCallMark.service_id == mark.service_id,
            RollCallMark.day == mark.day,
            col(RollCallMark.reservation_id).is_(None),
            RollCallMark.status == MarkStatus.PRESENT,
        )
    ).all()
    if mark.child_id in paid:
        return None
    frozen = [(child_id, mark.service_id, mark.day) for child_id in paid]
    booked = frozen + [(child_id, mark.service_id, mark.day) for child_id in set(unbooked) | {mark.child_id}]
    positions = {
        row_id(c): c.position for c in session.exec(select(Child).where(Child.family_id == child.family_id)).all()
    }
    tariffs = Tariffs(session, mark.structure_id, child.family_id, [service])
    return price_booked(tariffs, positions, booked, frozen)[(mark.child_id, mark.service_id, mark.day)].price_cents


def settle_unbooked(
    session: Session, now: datetime, structure_id: int | None = None, mailer: Mailer | None = None
) -> Billed:
    """Bill the « présents sans réservation » (marked under the billing rule) of the days before
    today, Paris time, of one commune (every commune when None: the nightly task); each family
    billed is told by e-mail when ``mailer`` is given. The caller commits."""
    query = select(RollCallMark, Child, Service).join(Child, col(Child.id) == col(RollCallMark.child_id))
    query = query.join(Service, col(Service.id) == col(RollCallMark.service_id))
    if structure_id is not None:
        query = query.where(RollCallMark.structure_id == structure_id)
    due = session.exec(
        query.where(
            col(RollCallMark.reservation_id).is_(None),
            RollCallMark.status == MarkStatus.PRESENT,
            col(RollCallMark.bill_due).is_(True),
            col(RollCallMark.billed_at).is_(None),
            col(RollCallMark.day) < now.astimezone(PARIS).date(),  # the day is over, Paris time
        ).order_by(col(RollCallMark.day), col(RollCallMark.id))
    ).all()
    billed: dict[tuple[int, int], list[tuple[RollCallMark, Child, Service, int]]] = defaultdict(list)
    for mark, child, service in due:
        # like every path that moves a family's credit: a « Payer » of this family waits, or is waited for
        lock_family_credit(session, mark.structure_id, child.family_id)
        price = unbooked_price(session, mark, child, service)
        if price is None:  # the day is paid after all: only reported
            session.exec(
                update(RollCallMark)
                .where(col(RollCallMark.id) == mark.id, col(RollCallMark.billed_at).is_(None))
                .values(bill_due=False)
            )
            continue
        if not _claim(session, now, mark, price):
            continue  # billed meanwhile (another run, another consumer) or taken back: never twice
        if price:
            session.add(
                Credit(
                    structure_id=mark.structure_id,
                    family_id=child.family_id,
                    amount_cents=-price,
                    label=debt_label(service.name, mark.day, child.first_name),
                    kind=CreditKind.UNBOOKED,
                    created_at=now,
                )
            )
        audit.record(
            session,
            now,
            "rollcall.unbooked_billed",
            structure_id=mark.structure_id,
            target=f"child:{mark.child_id}",
            service_id=mark.service_id,
            day=mark.day.isoformat(),
            amount_cents=price,
        )
        billed[(mark.structure_id, child.family_id)].append((mark, child, service, price))
    session.flush()
    if mailer is not None:
        for (commune, family_id), lines in billed.items():
            _mail_family(session, mailer, now, commune, family_id, lines)
    return Billed(sum(len(lines) for lines in billed.values()), sum(p for lines in billed.values() for *_, p in lines))


def _claim(session: Session, now: datetime, mark: RollCallMark, price: int) -> bool:
    """The mark goes from unbilled to billed, once: True only for the one that changed the row."""
    changed = session.exec(
        update(RollCallMark)
        .where(
            col(RollCallMark.id) == mark.id,
            col(RollCallMark.billed_at).is_(None),
            col(RollCallMark.bill_due).is_(True),
            col(RollCallMark.reservation_id).is_(None),
        )
        .values(billed_at=now, billed_cents=price)
    ).rowcount
    return bool(changed == 1)


def take_back(session: Session, now: datetime, *, account_id: int, service_id: int, day: date, child_id: int) -> int:
    """A billed « présent sans réservation » taken back (added by mistake): the mark is deleted
    and what it cost is given back to the family, once. Returns the cents given back (0 when
    there was no billed mark, or another tablet took it back first). The caller commits."""
    mark = session.exec(
        select(RollCallMark).where(
            RollCallMark.service_id == service_id,
            RollCallMark.day == day,
            RollCallMark.child_id == child_id,
            col(RollCallMark.reservation_id).is_(None),
            col(RollCallMark.billed_at).is_not(None),
        )
    ).first()
    if mark is None:
        return 0
    child = session.get(Child, child_id)
    service = session.get(Service, service_id)
    assert child is not None and service is not None
    lock_family_credit(session, mark.structure_id, child.family_id)
    removed = session.exec(
        delete(RollCallMark).where(col(RollCallMark.id) == mark.id, col(RollCallMark.billed_at).is_not(None))
    ).rowcount
    cents = mark.billed_cents or 0
    if removed != 1 or not cents:
        return 0
    session.add(
        Credit(
            structure_id=mark.structure_id,
            family_id=child.family_id,
            amount_cents=cents,
            label=cancel_label(service.name, day, child.first_name),
            kind=CreditKind.UNBOOKED,
            created_at=now,
        )
    )
    audit.record(
        session,
        now,
        "rollcall.unbooked_bill_cancelled",
        structure_id=mark.structure_id,
        account_id=account_id,
        target=f"child:{child_id}",
        service_id=service_id,
        day=day.isoformat(),
        amount_cents=cents,
    )
    session.flush()
    return cents


def _mail_family(
    session: Session,
    mailer: Mailer,
    now: datetime,
    structure_id: int,
    family_id: int,
    lines: list[tuple[RollCallMark, Child, Service, int]],
) -> None:
    """The family is told what it owes and why. Who receives it: as for a payment's ticket (the
    family's first login, and every other login that asked for all payment e-mails, Préférences)."""
    structure = session.get(Structure, structure_id)
    addresses = ticket_addresses(session, family_id, None)
    if structure is None or not addresses:
        return
    total = sum(price for *_, price in lines)
    paragraphs = [
        "Bonjour,",
        "Lors du pointage à la cantine, des enfants de votre famille étaient présents sans réservation. "
        f"Selon la règle de {structure.name}, ces repas sont facturés à votre compte famille :",
        *(
            f"{child.first_name} — {service.name}, {format_long_date(mark.day)} : {format_euros(price)}"
            for mark, child, service, price in lines
        ),
        f"Somme due à la régie : {format_euros(total)}. Elle s'ajoute à votre prochain paiement en ligne "
        "(page Réservations, ou « Régler la somme due » dans Factures) ; vous pouvez aussi la régler "
        "au guichet de la mairie.",
    ]
    after = [f"{structure.name} — {structure.phone}" if structure.phone else structure.name]
    for address in addresses:
        mailer.send(
            Mail(
                brand=mail_brand(mailer.settings, structure),
                to=address,
                subject=f"{structure.name} — Repas pris sans réservation",
                text="\n\n".join(paragraphs + after),
                html=render_html("Repas pris sans réservation", paragraphs, None, after),
                reply_to=structure.email or None,
            ),
            now,
        )


@dataclass(frozen=True)
class BilledMeal:
    """A meal taken without a reservation and billed to the family, as the parent reads it."""

    day: date
    child: str
    service: str
    amount_cents: int


def owed_meals(session: Session, structure_id: int, family_id: int, owed_cents: int) -> list[BilledMeal]:
    """The billed meals that make up (part of) a sum owed of ``owed_cents``: the newest first, until
    they reach it (what the family paid since settled the oldest ones first). Empty when nothing is owed."""
    if owed_cents <= 0:
        return []
    found = session.exec(
        select(RollCallMark, Child, Service)
        .join(Child, col(Child.id) == col(RollCallMark.child_id))
        .join(Service, col(Service.id) == col(RollCallMark.service_id))
        .where(
            RollCallMark.structure_id == structure_id,
            Child.family_id == family_id,
            col(RollCallMark.billed_at).is_not(None),
            col(RollCallMark.billed_cents) > 0,
        )
        .order_by(col(RollCallMark.day).desc(), col(RollCallMark.id).desc())
        .limit(100)
    ).all()
    meals, total = [], 0
    for mark, child, service in found:
        if total >= owed_cents:
            break
        meals.append(BilledMeal(mark.day, child.first_name, service.name, mark.billed_cents or 0))
        total += mark.billed_cents or 0
    return meals
