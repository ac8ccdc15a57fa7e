"""Reservations and the family's basket: the rules behind the Réservations page.

Plain Python (no Reflex). Every operation takes the DB ``session``, the injected ``now``
and the acting ``structure_id``/``family_id``, and re-checks on the server that every
child, service and day it touches belongs to that family and commune, is bookable and
that the period is still before its deadline: the client is never trusted.

Writes happen inside a SAVEPOINT of the caller's transaction, so a refused or
conflicting request leaves nothing half-saved; the caller commits
(``Database.write_session()``).

Reservation life cycle::

    (free) --Valider--> pending (blue, in the open basket)
    pending --untick + Valider--> deleted
    pending --begin_checkout--> pending in a frozen basket ("checkout")
        --checkout_failed--> pending in the open basket again
        --checkout_succeeded--> paid (green)
    paid --untick + Valider before the deadline--> cancelled + Credit (+price)
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol

from sqlalchemy import delete, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cantine_portal.models import (
    Basket,
    Child,
    ClosedDay,
    Credit,
    Enrollment,
    Family,
    Payment,
    Reservation,
    Service,
    ServicePrice,
    Structure,
)
from cantine_portal.services.shared import calendar
from cantine_portal.services.shared.calendar import DeadlineRule, Period
from cantine_portal.french import format_euros, format_long_date, format_paris_long_datetime, plural

# (child_id, service_id, day): one checkbox of the reservation tables.
CellKey = tuple[int, int, date]

LOCKED_MESSAGE = ("La date butoir de cette période est dépassée : "
                  "les réservations ne peuvent plus être modifiées.")
CHECKOUT_MESSAGE = "Un paiement est en cours : le panier est figé jusqu'à sa fin."
STALE_MESSAGE = ("Votre panier a été modifié entre-temps (autre onglet ou autre responsable). "
                 "Rechargez la page pour voir son contenu à jour, puis validez à nouveau.")
CONFLICT_MESSAGE = ("Ces réservations viennent d'être enregistrées par ailleurs "
                    "(autre onglet ou autre responsable). Rechargez la page : rien n'a été modifié.")
FORBIDDEN_MESSAGE = "Cette réservation n'est pas possible pour votre famille."
NO_CHANGE_MESSAGE = "Aucune modification à enregistrer."
# How long a basket stays frozen for a payment the provider has not confirmed.
CHECKOUT_LIFETIME = timedelta(minutes=30)

CELL_STATES = ("free", "pending", "paid", "closed", "locked")
STATE_TEXT_FR = {
    "free": "Libre",
    "pending": "Dans le panier, en attente de paiement",
    "paid": "Payée, confirmée",
    "closed": "Fermé",
    "locked": "Verrouillé",
}


class BookingError(Exception):
    """A refusal with a French message for the parent; the savepoint is rolled back."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Commune rules --------------------------------------------------------------------

def structure_rule(structure: Structure) -> DeadlineRule:
    """The commune's deadline rule as a calendar.DeadlineRule."""
    return DeadlineRule(
        kind=structure.deadline_kind,
        weekday=structure.deadline_weekday,
        days_before=structure.deadline_days_before,
        at=time.fromisoformat(structure.deadline_time),
    )


def closed_days_for(session: Session, structure_id: int, period: Period) -> dict[date, list[calendar.ClosedDay]]:
    """Closed days of the commune within ``period``, indexed by day (see calendar.day_status)."""
    rows = session.exec(
        select(ClosedDay)
        .where(ClosedDay.structure_id == structure_id, ClosedDay.day >= period.start, ClosedDay.day <= period.end)
        .order_by(ClosedDay.day, ClosedDay.id)
    ).all()
    return calendar.index_closed_days(
        calendar.ClosedDay(r.day, r.reason, r.service_id, r.kind) for r in rows
    )


def deadline_text(deadline: datetime) -> str:
    """"Réservations à effectuer avant le jeudi 3 décembre 2026 à 23h59"."""
    return f"Réservations à effectuer avant le {format_paris_long_datetime(deadline)}"


def _weekdays(service: Service) -> frozenset[int]:
    return frozenset(int(x) for x in service.weekdays.split(",") if x.strip())


class _Prices:
    """Price in force on a day for each service: latest ServicePrice.valid_from <= day."""

    def __init__(self, session: Session, services: Iterable[Service]):
        self._fallback = {s.id: s.unit_price_cents for s in services}
        self._history: dict[int, list[tuple[date, int]]] = {sid: [] for sid in self._fallback}
        if self._fallback:
            for row in session.exec(
                select(ServicePrice).where(ServicePrice.service_id.in_(list(self._fallback)))
                .order_by(ServicePrice.valid_from)
            ).all():
                self._history[row.service_id].append((row.valid_from, row.price_cents))

    def on(self, service_id: int, day: date) -> int:
        price = self._fallback[service_id]
        for valid_from, cents in self._history.get(service_id, ()):
            if valid_from <= day:
                price = cents
            else:
                break
        return price


def price_on(session: Session, service: Service, day: date) -> int:
    """Price of ``service`` in force on ``day`` (fallback: Service.unit_price_cents)."""
    return _Prices(session, [service]).on(service.id, day)


# --- Ownership ------------------------------------------------------------------------

def _structure_and_family(session: Session, structure_id: int, family_id: int) -> tuple[Structure, Family]:
    structure = session.get(Structure, structure_id)
    family = session.get(Family, family_id)
    if structure is None or family is None or family.structure_id != structure_id:
        raise BookingError(FORBIDDEN_MESSAGE)
    return structure, family


def _children_and_services(session: Session, structure_id: int, family_id: int):
    """The family's children (by position) and, per child, the enrolled active services (ordered)."""
    children = session.exec(
        select(Child).where(Child.family_id == family_id).order_by(Child.position, Child.id)
    ).all()
    child_ids = [c.id for c in children]
    enrolled: dict[int, list[Service]] = {cid: [] for cid in child_ids}
    if child_ids:
        rows = session.exec(
            select(Enrollment.child_id, Service)
            .join(Service, Service.id == Enrollment.service_id)
            .where(Enrollment.child_id.in_(child_ids), Service.structure_id == structure_id,
                   Service.active == True)  # noqa: E712
            .order_by(Service.position, Service.id)
        ).all()
        for child_id, service in rows:
            enrolled[child_id].append(service)
    return children, enrolled


def _credit_balance(session: Session, structure_id: int, family_id: int) -> int:
    total = session.exec(
        select(func.coalesce(func.sum(Credit.amount_cents), 0))
        .where(Credit.structure_id == structure_id, Credit.family_id == family_id)
    ).one()
    return int(total)


def _current_basket(session: Session, structure_id: int, family_id: int) -> Basket | None:
    """The family's open or in-checkout basket (at most one, by a unique index)."""
    return session.exec(
        select(Basket).where(Basket.structure_id == structure_id, Basket.family_id == family_id,
                             Basket.status.in_(("open", "checkout")))
    ).first()


def _active_reservations(session: Session, structure_id: int, family_id: int, period: Period) -> list[Reservation]:
    return list(session.exec(
        select(Reservation).where(
            Reservation.structure_id == structure_id, Reservation.family_id == family_id,
            Reservation.day >= period.start, Reservation.day <= period.end,
            Reservation.status != "cancelled",
        )
    ).all())


# --- The period view ------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    """One checkbox: a child, a service, a day."""

    child_id: int
    service_id: int
    day: date
    state: str            # one of CELL_STATES
    checked: bool         # pending or paid
    editable: bool        # the parent may tick/untick it now
    price_cents: int      # frozen price when reserved, else the price in force that day
    reason: str           # French text for screen readers and tooltips (why closed, state...)
    label: str            # "Léa — Restauration scolaire — lundi 7 décembre"
    reservation_id: int | None = None

    @property
    def key(self) -> CellKey:
        return (self.child_id, self.service_id, self.day)


@dataclass(frozen=True)
class ServiceRow:
    service_id: int
    name: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class ChildTable:
    child_id: int
    first_name: str
    last_name: str
    services: tuple[ServiceRow, ...]
    total_cents: int      # pending + paid of the period


@dataclass(frozen=True)
class PeriodView:
    structure_id: int
    family_id: int
    period: Period
    days: tuple[date, ...]
    deadline: datetime
    deadline_text: str
    locked: bool
    children: tuple[ChildTable, ...]
    total_cents: int
    credit_balance_cents: int
    basket_version: int | None
    basket_status: str | None

    def cells(self) -> Iterable[Cell]:
        for child in self.children:
            for row in child.services:
                yield from row.cells

    def cell(self, key: CellKey) -> Cell | None:
        for c in self.cells():
            if c.key == key:
                return c
        return None

    def checked(self) -> frozenset[CellKey]:
        """The ticked cells as saved in the database (pending + paid)."""
        return frozenset(c.key for c in self.cells() if c.checked)


def build_period_view(session: Session, now: datetime, structure_id: int, family_id: int,
                      period: Period) -> PeriodView:
    """Everything the Réservations page shows for ``period``, computed on the server."""
    structure, _family = _structure_and_family(session, structure_id, family_id)
    rule = structure_rule(structure)
    deadline = calendar.deadline_for(period, rule)
    locked = calendar.is_locked(period, rule, now)
    closed = closed_days_for(session, structure_id, period)
    children, enrolled = _children_and_services(session, structure_id, family_id)
    prices = _Prices(session, {s.id: s for ss in enrolled.values() for s in ss}.values())
    reserved = {(r.child_id, r.service_id, r.day): r
                for r in _active_reservations(session, structure_id, family_id, period)}
    basket = _current_basket(session, structure_id, family_id)

    tables = []
    grand_total = 0
    for child in children:
        rows = []
        child_total = 0
        for service in enrolled[child.id]:
            weekdays = _weekdays(service)
            cells = []
            for day in period.days:
                label = f"{child.first_name} — {service.name} — {format_long_date(day, with_year=False)}"
                status = calendar.day_status(day, weekdays, closed, service.id)
                r = reserved.get((child.id, service.id, day))
                if r is not None:
                    child_total += r.price_cents
                    state = r.status  # "pending" | "paid"
                    reason = STATE_TEXT_FR[state]
                    if locked:
                        reason += " (période verrouillée)"
                    cells.append(Cell(child.id, service.id, day, state, True, not locked, r.price_cents,
                                      reason, label, r.id))
                elif not status.open:
                    cells.append(Cell(child.id, service.id, day, "closed", False, False,
                                      prices.on(service.id, day), status.reason_fr or "Fermé", label))
                elif locked:
                    cells.append(Cell(child.id, service.id, day, "locked", False, False,
                                      prices.on(service.id, day), "Verrouillé : date butoir dépassée", label))
                else:
                    cells.append(Cell(child.id, service.id, day, "free", False, True,
                                      prices.on(service.id, day), STATE_TEXT_FR["free"], label))
            rows.append(ServiceRow(service.id, service.name, tuple(cells)))
        tables.append(ChildTable(child.id, child.first_name, child.last_name, tuple(rows), child_total))
        grand_total += child_total
    return PeriodView(
        structure_id=structure_id, family_id=family_id, period=period, days=tuple(period.days),
        deadline=deadline, deadline_text=deadline_text(deadline), locked=locked, children=tuple(tables),
        total_cents=grand_total, credit_balance_cents=_credit_balance(session, structure_id, family_id),
        basket_version=basket.version if basket else None, basket_status=basket.status if basket else None,
    )


def live_totals(view: PeriodView, ticked: Iterable[CellKey]) -> tuple[dict[int, int], int]:
    """Per-child and grand totals of a ticked set not yet validated (the page's live totals).

    Unknown or non-editable unchecked cells are ignored: totals never count a closed day.
    """
    ticked = set(ticked)
    per_child = {c.child_id: 0 for c in view.children}
    for cell in view.cells():
        counted = cell.checked if not cell.editable else cell.key in ticked
        if counted:
            per_child[cell.child_id] += cell.price_cents
    return per_child, sum(per_child.values())


def apply_to_all_children(view: PeriodView, child_id: int,
                          ticked: Iterable[CellKey] | None = None) -> set[CellKey]:
    """"Appliquer les mêmes jours à tous mes enfants": copy one child's ticked (service, day) pairs.

    Additive: the other children keep what they had (a paid day is never unticked by this);
    a pair is copied only where that child is enrolled in the service and the cell is editable
    (open day, period not locked). Returns the whole new ticked set, to be validated.
    """
    result = set(view.checked() if ticked is None else ticked)
    source = {(s, d) for (c, s, d) in result if c == child_id}
    for cell in view.cells():
        if cell.child_id != child_id and cell.editable and (cell.service_id, cell.day) in source:
            result.add(cell.key)
    return result


# --- Valider ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ApplyResult:
    ok: bool
    message: str
    basket_version: int | None = None
    added: int = 0
    removed: int = 0
    cancelled: int = 0
    credit_cents: int = 0


def _check_version(basket: Basket | None, expected: int | None) -> None:
    current = basket.version if basket is not None else None
    if current != expected:
        raise BookingError(STALE_MESSAGE)


def _bump_version(session: Session, basket: Basket, expected: int) -> None:
    """Compare-and-set on the basket version: the loser of a race is refused, never merged."""
    result = session.execute(
        update(Basket)
        .where(Basket.id == basket.id, Basket.version == expected)
        .values(version=Basket.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise BookingError(STALE_MESSAGE)
    session.refresh(basket)


def apply_choices(session: Session, now: datetime, structure_id: int, family_id: int, period: Period,
                  wanted: set[CellKey], expected_basket_version: int | None) -> ApplyResult:
    """"Valider": make the database match the ticked set ``wanted`` for ``period``.

    Newly ticked → pending in the open basket (price frozen); unticked pending → removed;
    unticked paid → cancelled with a credit. All or nothing.
    """
    try:
        with session.begin_nested():
            return _apply_choices(session, now, structure_id, family_id, period, set(wanted),
                                  expected_basket_version)
    except BookingError as refused:
        return ApplyResult(False, refused.message, expected_basket_version)
    except IntegrityError:
        # Another tab or guardian inserted the same (child, service, day) or opened a basket
        # between our read and our write: the unique indexes refused it; the savepoint is gone.
        return ApplyResult(False, CONFLICT_MESSAGE, expected_basket_version)


def _apply_choices(session: Session, now: datetime, structure_id: int, family_id: int, period: Period,
                   wanted: set[CellKey], expected_version: int | None) -> ApplyResult:
    structure, _family = _structure_and_family(session, structure_id, family_id)
    if period.mode != structure.period_mode:
        raise BookingError("Période invalide pour cette commune.")
    children, enrolled = _children_and_services(session, structure_id, family_id)
    names = {c.id: c.first_name for c in children}
    services = {s.id: s for ss in enrolled.values() for s in ss}
    for child_id, service_id, day in wanted:
        if (child_id not in names or service_id not in {s.id for s in enrolled[child_id]}
                or not period.start <= day <= period.end):
            raise BookingError(FORBIDDEN_MESSAGE)

    active = {(r.child_id, r.service_id, r.day): r
              for r in _active_reservations(session, structure_id, family_id, period)}
    to_add = sorted(wanted - active.keys(), key=lambda k: (k[2], k[0], k[1]))
    to_remove = [r for k, r in active.items() if k not in wanted and r.status == "pending"]
    to_cancel = [r for k, r in active.items() if k not in wanted and r.status == "paid"]
    basket = _current_basket(session, structure_id, family_id)
    if not (to_add or to_remove or to_cancel):
        return ApplyResult(True, NO_CHANGE_MESSAGE, basket.version if basket else None)

    if calendar.is_locked(period, structure_rule(structure), now):
        raise BookingError(LOCKED_MESSAGE)
    closed = closed_days_for(session, structure_id, period)
    for child_id, service_id, day in to_add:
        status = calendar.day_status(day, _weekdays(services[service_id]), closed, service_id)
        if not status.open:
            raise BookingError(f"Le {format_long_date(day)} ne peut pas être réservé "
                               f"pour {services[service_id].name} : {status.reason_fr}.")
    if basket is not None and basket.status == "checkout":
        raise BookingError(CHECKOUT_MESSAGE)
    _check_version(basket, expected_version)

    if basket is not None:
        _bump_version(session, basket, expected_version)
    elif to_add:
        basket = Basket(structure_id=structure_id, family_id=family_id, status="open", version=1,
                        created_at=now, updated_at=now)
        session.add(basket)
        session.flush()  # the open-basket unique index fires here on a race
    if basket is not None:
        basket.updated_at = now

    prices = _Prices(session, services.values())
    if to_add:
        # One multi-row INSERT: building an ORM object per line cost more than the whole SQL
        # (bench/reservations_server.py, Valider of 80 lines). The active-reservation unique
        # index fires here on a race.
        session.execute(insert(Reservation), [
            dict(structure_id=structure_id, family_id=family_id, child_id=child_id, service_id=service_id,
                 day=day, status="pending", price_cents=prices.on(service_id, day), basket_id=basket.id,
                 created_at=now, updated_at=now)
            for child_id, service_id, day in to_add
        ])

    if to_remove:
        # One statement; fewer rows than asked means another tab changed some: refuse them all.
        gone = session.execute(
            delete(Reservation).where(Reservation.id.in_([r.id for r in to_remove]),
                                      Reservation.status == "pending")
            .execution_options(synchronize_session=False)
        )
        if gone.rowcount != len(to_remove):
            raise BookingError(STALE_MESSAGE)
        for r in to_remove:
            session.expunge(r)

    credit_total = 0
    for r in to_cancel:
        done = session.execute(
            update(Reservation).where(Reservation.id == r.id, Reservation.status == "paid")
            .values(status="cancelled", cancelled_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # cancelled by another tab: never two credits for one day
            raise BookingError(STALE_MESSAGE)
        session.add(Credit(
            structure_id=structure_id, family_id=family_id, amount_cents=r.price_cents, reservation_id=r.id,
            label=(f"Avoir : annulation du {format_long_date(r.day)} "
                   f"({names.get(r.child_id, '')} — {services[r.service_id].name if r.service_id in services else ''})"),
            created_at=now,
        ))
        credit_total += r.price_cents
    session.flush()

    parts = []
    if to_add:
        parts.append(plural(len(to_add), "jour ajouté au panier", "jours ajoutés au panier"))
    if to_remove:
        parts.append(plural(len(to_remove), "jour retiré du panier", "jours retirés du panier"))
    if to_cancel:
        parts.append(plural(len(to_cancel), "jour payé annulé", "jours payés annulés")
                     + f" (avoir de {format_euros(credit_total)})")
    return ApplyResult(
        True, "Vos choix sont enregistrés : " + ", ".join(parts) + ".",
        basket.version if basket is not None else None,
        added=len(to_add), removed=len(to_remove), cancelled=len(to_cancel), credit_cents=credit_total,
    )


# --- The basket -------------------------------------------------------------------------

@dataclass(frozen=True)
class BasketLine:
    reservation_id: int
    child_id: int
    child_name: str
    service_name: str
    day: date
    price_cents: int

    @property
    def day_text(self) -> str:
        return format_long_date(self.day)


@dataclass(frozen=True)
class BasketSummary:
    basket_id: int | None
    status: str | None          # None (empty) | "open" | "checkout"
    version: int | None
    lines: tuple[BasketLine, ...]
    subtotal_cents: int
    credit_balance_cents: int
    credit_applied_cents: int
    total_cents: int

    @property
    def frozen(self) -> bool:
        return self.status == "checkout"

    @property
    def empty(self) -> bool:
        return not self.lines


def _basket_lines(session: Session, basket: Basket) -> list[tuple[Reservation, Child, Service]]:
    return list(session.exec(
        select(Reservation, Child, Service)
        .join(Child, Child.id == Reservation.child_id)
        .join(Service, Service.id == Reservation.service_id)
        .where(Reservation.basket_id == basket.id, Reservation.status == "pending")
        .order_by(Reservation.day, Child.position, Service.position, Reservation.id)
    ).all())


def basket_summary(session: Session, now: datetime, structure_id: int, family_id: int) -> BasketSummary:
    """The basket as shown before payment: lines, subtotal, credit applied, total to pay."""
    _structure_and_family(session, structure_id, family_id)
    balance = _credit_balance(session, structure_id, family_id)
    basket = _current_basket(session, structure_id, family_id)
    if basket is None:
        return BasketSummary(None, None, None, (), 0, balance, 0, 0)
    lines = tuple(
        BasketLine(r.id, child.id, child.first_name, service.name, r.day, r.price_cents)
        for r, child, service in _basket_lines(session, basket)
    )
    subtotal = sum(line.price_cents for line in lines)
    if basket.status == "checkout" and basket.snapshot_total_cents is not None:
        credit = basket.snapshot_credit_cents or 0
    else:
        credit = min(max(balance, 0), subtotal)
    return BasketSummary(basket.id, basket.status, basket.version, lines, subtotal, balance, credit,
                         subtotal - credit)


@dataclass(frozen=True)
class RepriceResult:
    changed: int
    message: str          # empty when nothing changed; otherwise always shown to the parent
    basket_version: int | None


def reprice_basket(session: Session, now: datetime, structure_id: int, family_id: int, *,
                   check_only: bool = False) -> RepriceResult:
    """Re-price pending lines of the OPEN basket whose price in force changed, and say so.

    A frozen (checkout) basket is never touched: the bank must confirm its snapshot.
    ``check_only`` counts the lines to re-price and changes nothing (a read, so that the usual
    case, no price changed, does not queue for the database's write lock).
    """
    _structure_and_family(session, structure_id, family_id)
    basket = _current_basket(session, structure_id, family_id)
    if basket is None or basket.status != "open":
        return RepriceResult(0, "", basket.version if basket else None)
    rows = _basket_lines(session, basket)
    prices = _Prices(session, {s.id: s for _r, _c, s in rows}.values())
    stale = [(r, child, service, prices.on(service.id, r.day)) for r, child, service in rows]
    stale = [(r, child, service, new) for r, child, service, new in stale if new != r.price_cents]
    if not stale or check_only:
        return RepriceResult(len(stale), "", basket.version)
    changes = []
    for r, child, service, new in stale:
        changes.append(f"{service.name} pour {child.first_name} le {format_long_date(r.day)} : "
                       f"{format_euros(r.price_cents)} → {format_euros(new)}")
        r.price_cents = new
        r.updated_at = now
        session.add(r)
    session.flush()
    _bump_version(session, basket, basket.version)
    message = ("Les tarifs ont changé depuis l'ajout au panier ; votre panier a été recalculé. "
               + " ; ".join(changes) + ".")
    return RepriceResult(len(changes), message, basket.version)


# --- Payment ----------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckoutSnapshot:
    """What the provider is asked to collect; equal to what the basket froze."""

    payment_id: int
    reference: str
    structure_id: int
    family_id: int
    amount_cents: int
    credit_cents: int
    lines: tuple[dict, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ProviderRedirect:
    """Where to send the parent, and the provider's id for this payment session."""

    url: str
    session_id: str
    expires_at: datetime | None = None


class PaymentProvider(Protocol):
    """A payment provider (simulated bank, Stripe...): see services/payments.py."""

    name: str
    # True for a provider reached over the network: begin_checkout does not call it inside the
    # transaction (see payments.open_remote_session).
    remote: bool

    def start(self, snapshot: CheckoutSnapshot) -> ProviderRedirect:
        """Open a payment session for ``snapshot``; the parent is sent to ``url``."""
        ...


@dataclass(frozen=True)
class CheckoutResult:
    ok: bool
    message: str
    redirect_url: str | None = None
    payment_id: int | None = None
    paid: bool = False            # True when the credit covered everything: nothing to pay
    basket_version: int | None = None
    # A provider over the network (``remote``): its payment page is still to be opened, after the
    # commit (payments.open_remote_session), with this snapshot.
    pending: CheckoutSnapshot | None = None


def begin_checkout(session: Session, now: datetime, structure_id: int, family_id: int,
                   provider: PaymentProvider, expected_basket_version: int | None) -> CheckoutResult:
    """"Valider votre panier maintenant": freeze the basket and send the family to the provider.

    If prices changed since the lines entered the basket, they are re-priced and checkout stops
    there so that the parent sees the new amounts before paying.
    """
    try:
        with session.begin_nested():
            return _begin_checkout(session, now, structure_id, family_id, provider, expected_basket_version)
    except BookingError as refused:
        return CheckoutResult(False, refused.message, basket_version=expected_basket_version)
    except IntegrityError:
        return CheckoutResult(False, CONFLICT_MESSAGE, basket_version=expected_basket_version)


def _drop_expired_lines(session: Session, now: datetime, structure_id: int, basket: Basket) -> str:
    """Remove unpaid lines whose period passed its deadline; the French message says which."""
    structure = session.get(Structure, structure_id)
    rule = structure_rule(structure)
    dropped = []
    for r, child, service in _basket_lines(session, basket):
        if calendar.is_locked(calendar.period_containing(structure.period_mode, r.day), rule, now):
            dropped.append(f"{service.name} pour {child.first_name} le {format_long_date(r.day)}")
            session.delete(r)
    if not dropped:
        return ""
    session.flush()
    return ("La date butoir est dépassée pour des jours non payés, retirés de votre panier : "
            + " ; ".join(dropped) + ". Vérifiez le nouveau total avant de payer.")


def _begin_checkout(session: Session, now: datetime, structure_id: int, family_id: int,
                    provider: PaymentProvider, expected_version: int | None) -> CheckoutResult:
    _structure_and_family(session, structure_id, family_id)
    basket = _current_basket(session, structure_id, family_id)
    if basket is not None and basket.status == "checkout":
        raise BookingError(CHECKOUT_MESSAGE)
    _check_version(basket, expected_version)
    if basket is None or not _basket_lines(session, basket):
        raise BookingError("Votre panier est vide.")
    expired = _drop_expired_lines(session, now, structure_id, basket)
    if expired:
        _bump_version(session, basket, basket.version)
        return CheckoutResult(False, expired, basket_version=basket.version)
    repriced = reprice_basket(session, now, structure_id, family_id)
    if repriced.changed:
        return CheckoutResult(False, repriced.message, basket_version=repriced.basket_version)
    summary = basket_summary(session, now, structure_id, family_id)
    _bump_version(session, basket, basket.version)
    lines = tuple({"reservation_id": line.reservation_id, "child": line.child_name, "service": line.service_name,
                   "day": line.day.isoformat(), "price_cents": line.price_cents} for line in summary.lines)
    basket.status = "checkout"
    basket.snapshot_total_cents = summary.total_cents
    basket.snapshot_credit_cents = summary.credit_applied_cents
    basket.snapshot_lines = json.dumps(lines, ensure_ascii=False)
    basket.updated_at = now
    session.add(basket)
    payment = Payment(
        structure_id=structure_id, family_id=family_id, basket_id=basket.id,
        reference=f"P-{now:%Y%m%d}-{secrets.token_hex(5).upper()}",
        provider=provider.name if summary.total_cents else "avoir",
        amount_cents=summary.total_cents, credit_cents=summary.credit_applied_cents, created_at=now,
    )
    session.add(payment)
    session.flush()
    if summary.total_cents == 0:
        # Entirely covered by credit: no bank involved.
        done = _checkout_succeeded(session, now, structure_id, family_id, payment.id, 0)
        return CheckoutResult(True, done.message, None, payment.id, True, None)
    snapshot = CheckoutSnapshot(payment.id, payment.reference, structure_id, family_id,
                                summary.total_cents, summary.credit_applied_cents, lines)
    if getattr(provider, "remote", False):
        # Never an internet round trip inside a write transaction (on SQLite it would hold the only
        # write lock): the provider is called after the commit. Meanwhile the payment expires like
        # any checkout, so a crash in between only reopens the basket later.
        payment.expires_at = now + CHECKOUT_LIFETIME
        session.add(payment)
        session.flush()
        return CheckoutResult(True, "Redirection vers le paiement…", None, payment.id, False, basket.version,
                              pending=snapshot)
    started = provider.start(snapshot)
    payment.provider_session_id = started.session_id
    payment.expires_at = started.expires_at
    session.add(payment)
    session.flush()
    return CheckoutResult(True, "Redirection vers le paiement…", started.url, payment.id, False, basket.version)


@dataclass(frozen=True)
class PaymentOutcome:
    ok: bool
    message: str
    already_done: bool = False


def _payment_for(session: Session, structure_id: int, family_id: int, payment_id: int) -> tuple[Payment, Basket]:
    payment = session.get(Payment, payment_id)
    if payment is None or payment.structure_id != structure_id or payment.family_id != family_id:
        raise BookingError("Paiement inconnu.")
    basket = session.get(Basket, payment.basket_id)
    if basket is None or basket.family_id != family_id:
        raise BookingError("Paiement inconnu.")
    return payment, basket


def checkout_failed(session: Session, now: datetime, structure_id: int, family_id: int, payment_id: int,
                    status: str = "failed") -> PaymentOutcome:
    """Payment failed / refused / expired / cancelled: reopen the basket, lines stay pending.

    Idempotent: a second notification changes nothing.
    """
    if status not in ("failed", "expired", "cancelled"):
        raise ValueError(f"unexpected payment failure status: {status!r}")
    try:
        with session.begin_nested():
            payment, basket = _payment_for(session, structure_id, family_id, payment_id)
            if payment.status != "created" or basket.status != "checkout":
                return PaymentOutcome(True, "Paiement déjà traité.", already_done=True)
            payment.status = status
            payment.completed_at = now
            basket.status = "open"
            basket.version += 1
            basket.snapshot_total_cents = None
            basket.snapshot_credit_cents = None
            basket.snapshot_lines = ""
            basket.updated_at = now
            session.add_all([payment, basket])
            session.flush()
            return PaymentOutcome(True, "Le paiement n'a pas abouti : votre panier est conservé, "
                                        "vous pouvez le régler à nouveau.")
    except BookingError as refused:
        return PaymentOutcome(False, refused.message)


def checkout_succeeded(session: Session, now: datetime, structure_id: int, family_id: int, payment_id: int,
                       amount_cents: int) -> PaymentOutcome:
    """Payment confirmed for ``amount_cents``: pending → paid, credit used. Idempotent."""
    try:
        with session.begin_nested():
            return _checkout_succeeded(session, now, structure_id, family_id, payment_id, amount_cents)
    except BookingError as refused:
        return PaymentOutcome(False, refused.message)


def _checkout_succeeded(session: Session, now: datetime, structure_id: int, family_id: int, payment_id: int,
                        amount_cents: int) -> PaymentOutcome:
    payment, basket = _payment_for(session, structure_id, family_id, payment_id)
    if payment.status == "succeeded":
        return PaymentOutcome(True, "Paiement déjà enregistré.", already_done=True)
    if payment.status != "created" or basket.status != "checkout":
        raise BookingError("Ce paiement n'est plus attendu.")
    if amount_cents != payment.amount_cents or amount_cents != basket.snapshot_total_cents:
        raise BookingError("Montant payé différent du montant du panier.")
    reserved_ids = [line["reservation_id"] for line in json.loads(basket.snapshot_lines or "[]")]
    session.execute(
        update(Reservation)
        .where(Reservation.basket_id == basket.id, Reservation.status == "pending",
               Reservation.id.in_(reserved_ids))
        .values(status="paid", payment_id=payment.id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if payment.credit_cents:
        session.add(Credit(structure_id=structure_id, family_id=family_id, amount_cents=-payment.credit_cents,
                           label=f"Avoir utilisé : paiement {payment.reference}", payment_id=payment.id,
                           created_at=now))
    payment.status = "succeeded"
    payment.completed_at = now
    basket.status = "paid"
    basket.version += 1
    basket.updated_at = now
    session.add_all([payment, basket])
    session.flush()
    return PaymentOutcome(True, "Paiement reçu : vos réservations sont confirmées.")
