"""« Valider »: make the database match the boxes the parent ticked for a period.

Plain Python (no Reflex). Takes the DB ``session``, the injected ``now`` and the acting
``structure_id``/``family_id``, and re-checks on the server that every child, service and day
belongs to that family and commune, is bookable and that the period is still before its
deadline: the client is never trusted. Writes happen inside a SAVEPOINT of the caller's
transaction, so a refused or conflicting request leaves nothing half-saved; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from cantine_portal.french import format_euros, format_long_date, plural
from cantine_portal.models import (
    Basket,
    BasketStatus,
    Credit,
    CreditKind,
    Reservation,
    ReservationStatus,
    Service,
    Structure,
    row_id,
)
from cantine_portal.services.booking.absence_days import under_absence
from cantine_portal.services.booking.errors import (
    CHECKOUT_MESSAGE,
    CONFLICT_MESSAGE,
    FORBIDDEN_MESSAGE,
    LOCKED_MESSAGE,
    NO_CHANGE_MESSAGE,
    STALE_MESSAGE,
    BookingError,
    CellKey,
)
from cantine_portal.services.booking.queries import (
    active_reservations,
    bump_version,
    check_version,
    children_and_services,
    closed_days_for,
    current_basket,
    structure_and_family,
    structure_rule,
    weekdays_of,
)
from cantine_portal.services.pricing.tariffs import Priced, Tariffs, price_booked
from cantine_portal.services.shared import audit, calendar
from cantine_portal.services.shared.calendar import Period


@dataclass(frozen=True)
class ApplyResult:
    ok: bool
    message: str
    basket_version: int | None = None
    added: int = 0
    removed: int = 0
    cancelled: int = 0
    credit_cents: int = 0


@dataclass
class _Plan:
    """What one Valider changes: days to add, pending days to remove, paid days to cancel."""

    names: dict[int, str]
    services: dict[int, Service]
    to_add: list[CellKey]
    to_remove: list[Reservation]
    to_cancel: list[Reservation]
    positions: dict[int, int]
    kept: list[Reservation]  # active days still wanted (pending ones may be re-priced)


def apply_choices(
    session: Session,
    now: datetime,
    structure_id: int,
    family_id: int,
    period: Period,
    wanted: set[CellKey],
    expected_basket_version: int | None,
    by_account_id: int | None = None,
) -> ApplyResult:
    """ "Valider": make the database match the ticked set ``wanted`` for ``period``.

    Newly ticked → pending in the open basket (price frozen); unticked pending → removed;
    unticked paid → cancelled with a credit. All or nothing. ``by_account_id``: the login that
    pressed Valider, recorded on the new days and in the audit log (two guardians, two logins).
    """
    try:
        with session.begin_nested():
            result = _apply_choices(
                session, now, structure_id, family_id, period, set(wanted), expected_basket_version, by_account_id
            )
    except BookingError as refused:
        return ApplyResult(False, refused.message, expected_basket_version)
    except IntegrityError:
        # Another tab or guardian inserted the same (child, service, day) or opened a basket
        # between our read and our write: the unique indexes refused it; the savepoint is gone.
        return ApplyResult(False, CONFLICT_MESSAGE, expected_basket_version)
    return result


def _plan(session: Session, structure_id: int, family_id: int, period: Period, wanted: set[CellKey]) -> _Plan:
    """Check every wanted cell belongs to the family, then compare with what is saved."""
    children, enrolled = children_and_services(session, structure_id, family_id)
    names = {row_id(c): c.first_name for c in children}
    services = {row_id(s): s for ss in enrolled.values() for s in ss}
    for child_id, service_id, day in wanted:
        if (
            child_id not in names
            or service_id not in {s.id for s in enrolled[child_id]}
            or not period.start <= day <= period.end
        ):
            raise BookingError(FORBIDDEN_MESSAGE)
    found = active_reservations(session, structure_id, family_id, period)
    # A day under a sick-day absence is the staff's to decide (credit or not): Valider keeps it.
    absent = under_absence(session, [row_id(r) for r in found])
    active = {(r.child_id, r.service_id, r.day): r for r in found}
    wanted |= {k for k, r in active.items() if row_id(r) in absent}
    return _Plan(
        names,
        services,
        to_add=sorted(wanted - active.keys(), key=lambda k: (k[2], k[0], k[1])),
        to_remove=[r for k, r in active.items() if k not in wanted and r.status == ReservationStatus.PENDING],
        to_cancel=[r for k, r in active.items() if k not in wanted and r.status == ReservationStatus.PAID],
        positions={row_id(c): c.position for c in children},
        kept=[r for k, r in active.items() if k in wanted],
    )


def _check_allowed(
    session: Session,
    now: datetime,
    structure: Structure,
    period: Period,
    plan: _Plan,
    basket: Basket | None,
    expected_version: int | None,
) -> None:
    if calendar.is_locked(period, structure_rule(structure), now):
        raise BookingError(LOCKED_MESSAGE)
    closed = closed_days_for(session, row_id(structure), period)
    for _child_id, service_id, day in plan.to_add:
        status = calendar.day_status(day, weekdays_of(plan.services[service_id]), closed, service_id)
        if not status.open:
            raise BookingError(
                f"Le {format_long_date(day)} ne peut pas être réservé "
                f"pour {plan.services[service_id].name} : {status.reason_fr}."
            )
    if basket is not None and basket.status == BasketStatus.CHECKOUT:
        raise BookingError(CHECKOUT_MESSAGE)
    check_version(basket, expected_version)


def _apply_choices(
    session: Session,
    now: datetime,
    structure_id: int,
    family_id: int,
    period: Period,
    wanted: set[CellKey],
    expected_version: int | None,
    by_account_id: int | None = None,
) -> ApplyResult:
    structure, _family = structure_and_family(session, structure_id, family_id)
    if period.mode != structure.period_mode:
        raise BookingError("Période invalide pour cette commune.")
    plan = _plan(session, structure_id, family_id, period, wanted)
    basket = current_basket(session, structure_id, family_id)
    if not (plan.to_add or plan.to_remove or plan.to_cancel):
        return ApplyResult(True, NO_CHANGE_MESSAGE, basket.version if basket else None)
    _check_allowed(session, now, structure, period, plan, basket, expected_version)

    if basket is not None:
        bump_version(session, basket, basket.version)  # == expected_version, checked above
    elif plan.to_add:
        basket = Basket(
            structure_id=structure_id,
            family_id=family_id,
            status=BasketStatus.OPEN,
            version=1,
            created_at=now,
            updated_at=now,
        )
        session.add(basket)
        session.flush()  # the open-basket unique index fires here on a race
    priced = _priced(session, structure_id, family_id, plan)
    if basket is not None:  # None only when nothing is added
        basket.updated_at = now
        _add(session, now, structure_id, family_id, plan, basket, priced, by_account_id)
    _reprice_kept(session, now, plan, priced)
    _remove(session, plan)
    credit_total = _cancel(session, now, structure_id, family_id, plan)
    audit.record(
        session,
        now,
        "booking.saved",
        structure_id=structure_id,
        account_id=by_account_id,
        target=f"family:{family_id}",
        period=period.key,
        added=len(plan.to_add),
        removed=len(plan.to_remove),
        cancelled=len(plan.to_cancel),
    )
    session.flush()
    return _result(plan, basket, credit_total)


def _priced(session: Session, structure_id: int, family_id: int, plan: _Plan) -> dict[CellKey, Priced]:
    """The price of every wanted day not yet paid, by the sibling rule, paid days counted first."""
    tariffs = Tariffs(session, structure_id, family_id, plan.services.values())
    kept = {(r.child_id, r.service_id, r.day): r for r in plan.kept}
    frozen = [k for k, r in kept.items() if r.status == ReservationStatus.PAID]
    return price_booked(tariffs, plan.positions, list(kept) + plan.to_add, frozen)


def _reprice_kept(session: Session, now: datetime, plan: _Plan, priced: dict[CellKey, Priced]) -> None:
    """A sibling ticked or unticked the same day moves the others' rank: their pending price follows."""
    for r in plan.kept:
        new = priced.get((r.child_id, r.service_id, r.day))
        if (
            r.status == ReservationStatus.PENDING
            and new is not None
            and (new.price_cents, new.label) != (r.price_cents, r.tariff_label)
        ):
            session.exec(
                update(Reservation)
                .where(col(Reservation.id) == r.id, col(Reservation.status) == ReservationStatus.PENDING)
                .values(price_cents=new.price_cents, tariff_label=new.label, qf_euros=new.qf_euros, updated_at=now)
                .execution_options(synchronize_session=False)
            )


def _add(
    session: Session,
    now: datetime,
    structure_id: int,
    family_id: int,
    plan: _Plan,
    basket: Basket,
    priced: dict[CellKey, Priced],
    by_account_id: int | None,
) -> None:
    if not plan.to_add:
        return
    # One multi-row INSERT: building an ORM object per line cost more than the whole SQL
    # (bench/reservations_server.py, Valider of 80 lines). The active-reservation unique
    # index fires here on a race. ``render_nulls``: the ORM's bulk insert leaves a None out of
    # the statement, so lines without a QF (no grid) and lines with one alternated into 51
    # INSERTs for 80 lines with the demo's grids (docs/performance.md, issue 17); NULL is
    # what an absent column would get anyway (no server default).
    session.execute(
        insert(Reservation).execution_options(render_nulls=True),
        [
            dict(
                structure_id=structure_id,
                family_id=family_id,
                child_id=child_id,
                service_id=service_id,
                day=day,
                status=ReservationStatus.PENDING,
                price_cents=priced[(child_id, service_id, day)].price_cents,
                tariff_label=priced[(child_id, service_id, day)].label,
                qf_euros=priced[(child_id, service_id, day)].qf_euros,
                basket_id=row_id(basket),
                booked_by_account_id=by_account_id,
                created_at=now,
                updated_at=now,
            )
            for child_id, service_id, day in plan.to_add
        ],
    )


def _remove(session: Session, plan: _Plan) -> None:
    if not plan.to_remove:
        return
    # One statement; fewer rows than asked means another tab changed some: refuse them all.
    gone = session.exec(
        delete(Reservation)
        .where(
            col(Reservation.id).in_([r.id for r in plan.to_remove]),
            col(Reservation.status) == ReservationStatus.PENDING,
        )
        .execution_options(synchronize_session=False)
    )
    if gone.rowcount != len(plan.to_remove):
        raise BookingError(STALE_MESSAGE)
    for r in plan.to_remove:
        session.expunge(r)


def _cancel(session: Session, now: datetime, structure_id: int, family_id: int, plan: _Plan) -> int:
    """Cancel the unticked paid days, each with its credit; returns the credit's total."""
    credit_total = 0
    for r in plan.to_cancel:
        done = session.exec(
            update(Reservation)
            .where(col(Reservation.id) == r.id, col(Reservation.status) == ReservationStatus.PAID)
            .values(status=ReservationStatus.CANCELLED, cancelled_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # cancelled by another tab: never two credits for one day
            raise BookingError(STALE_MESSAGE)
        service = plan.services[r.service_id].name if r.service_id in plan.services else ""
        session.add(
            Credit(
                structure_id=structure_id,
                family_id=family_id,
                amount_cents=r.price_cents,
                reservation_id=r.id,
                kind=CreditKind.CANCELLATION,
                label=(
                    f"Avoir : annulation du {format_long_date(r.day)} ({plan.names.get(r.child_id, '')} — {service})"
                ),
                created_at=now,
            )
        )
        credit_total += r.price_cents
    return credit_total


def _result(plan: _Plan, basket: Basket | None, credit_total: int) -> ApplyResult:
    parts = []
    if plan.to_add:
        parts.append(plural(len(plan.to_add), "jour ajouté au panier", "jours ajoutés au panier"))
    if plan.to_remove:
        parts.append(plural(len(plan.to_remove), "jour retiré du panier", "jours retirés du panier"))
    if plan.to_cancel:
        parts.append(
            plural(len(plan.to_cancel), "jour payé annulé", "jours payés annulés")
            + f" (avoir de {format_euros(credit_total)})"
        )
    return ApplyResult(
        True,
        "Vos choix sont enregistrés : " + ", ".join(parts) + ".",
        basket.version if basket is not None else None,
        added=len(plan.to_add),
        removed=len(plan.to_remove),
        cancelled=len(plan.to_cancel),
        credit_cents=credit_total,
    )
