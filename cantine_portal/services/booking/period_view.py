"""The Réservations page's tables for a period, computed on the server, and its live totals.

Reservation life cycle::

    (free) --Valider--> pending (blue, in the open basket)
    pending --untick + Valider--> deleted
    pending --begin_checkout--> pending in a frozen basket ("checkout")
        --checkout_failed--> pending in the open basket again
        --checkout_succeeded--> paid (green)
    paid --untick + Valider before the deadline--> cancelled + Credit (+price)
    pending/paid --sick-day absence (services/booking/absences.py)--> removed / absence states
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from cantine_portal.french import format_long_date, format_paris_long_datetime
from cantine_portal.models import Child, Reservation, Service, row_id
from cantine_portal.services.booking.absence_days import DAY_STATE_TEXT, cell_states
from cantine_portal.services.booking.errors import CellKey
from cantine_portal.services.booking.pricing_notes import tariff_lines, tariff_notice
from cantine_portal.services.booking.queries import (
    active_reservations,
    children_and_services,
    closed_days_for,
    credit_balance,
    current_basket,
    structure_and_family,
    structure_rule,
    weekdays_of,
)
from cantine_portal.services.families.logins import login_names
from cantine_portal.services.pricing.tariffs import Tariffs
from cantine_portal.services.shared import calendar
from cantine_portal.services.shared.calendar import Period

CELL_STATES = ("free", "pending", "paid", "closed", "locked", *DAY_STATE_TEXT)
STATE_TEXT_FR = {
    "free": "Libre",
    "pending": "Dans le panier, en attente de paiement",
    "paid": "Payée, confirmée",
    "closed": "Fermé",
    "locked": "Verrouillé",
    **DAY_STATE_TEXT,
}


def deadline_text(deadline: datetime) -> str:
    """ "Réservations à effectuer avant le jeudi 3 décembre 2026 à 23h59"."""
    return f"Réservations à effectuer avant le {format_paris_long_datetime(deadline)}"


@dataclass(frozen=True)
class Cell:
    """One checkbox: a child, a service, a day."""

    child_id: int
    service_id: int
    day: date
    state: str  # one of CELL_STATES
    checked: bool  # pending or paid
    editable: bool  # the parent may tick/untick it now
    price_cents: int  # frozen price when reserved, else the price in force that day
    reason: str  # French text for screen readers and tooltips (why closed, state...)
    label: str  # "Léa — Restauration scolaire — lundi 7 décembre"
    reservation_id: int | None = None
    tariff_label: str = ""  # « Tranche 2 — QF de 501 à 900 € » ("" without a grid)

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
    total_cents: int  # pending + paid of the period
    position: int = 0  # order on the Enfants page (the sibling rank counts in this order)


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
    # What the live totals need to stay exact with sibling reductions: per (service, day), the
    # price of the 1st, 2nd… child booked that day (see ReservationTicks).
    rank_prices: dict[tuple[int, date], tuple[int, ...]] = field(default_factory=dict)
    # « Restauration scolaire : Tranche 2 — QF de 501 à 900 € (2,50 €) » for the synthesis.
    tariff_lines: tuple[str, ...] = ()
    # Why the « no QF » price applies and what to do ("" when a QF is known or no grid).
    tariff_notice: str = ""

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


@dataclass(frozen=True)
class _Context:
    """What every cell of one period view depends on."""

    locked: bool
    closed: dict[date, list[calendar.ClosedDay]]
    tariffs: Tariffs
    reserved: dict[CellKey, Reservation]
    positions: dict[int, int]
    absences: dict[CellKey, tuple[str, int]]  # a sick-day absence's state and price, by cell
    # account id → first name of the OTHER guardian(s) who booked days shown (issue 20); empty in a
    # family with one login, or when the viewer booked everything shown.
    booked_by: dict[int, str] = field(default_factory=dict)

    def booked_by_other(self, r: Reservation) -> str:
        """« — réservé par Julien » when another guardian booked ``r``, else ""."""
        name = self.booked_by.get(r.booked_by_account_id) if r.booked_by_account_id is not None else None
        return f" — réservé par {name}" if name else ""

    def free_price(self, key: CellKey) -> tuple[int, str]:
        """A free day's price if it were booked now, next to what is saved (sibling rank)."""
        child_id, service_id, day = key
        q = self.tariffs.quote(service_id, day)
        rank = 1
        for (other, s, d), r in self.reserved.items():
            if (
                s == service_id
                and d == day
                and other != child_id
                and (r.status == "paid" or self.positions.get(other, 0) < self.positions.get(child_id, 0))
            ):
                rank += 1
        return q.for_rank(rank)


def _cell(ctx: _Context, child: Child, service: Service, weekdays: frozenset[int], day: date) -> Cell:
    label = f"{child.first_name} — {service.name} — {format_long_date(day, with_year=False)}"
    child_id, service_id = row_id(child), row_id(service)
    r = ctx.reserved.get((child_id, service_id, day))
    absent = ctx.absences.get((child_id, service_id, day))
    if absent is not None:  # the staff's to decide: never ticked or unticked from this table
        state, price = absent
        reason = STATE_TEXT_FR[state]
        return Cell(child_id, service_id, day, state, r is not None, False, price, reason, label, r.id if r else None)
    if r is not None:
        state = str(r.status)  # "pending" | "paid"
        by = ctx.booked_by_other(r)  # in the accessible name and the tooltip: no room in a phone's cell
        reason = STATE_TEXT_FR[state] + (" (période verrouillée)" if ctx.locked else "") + by
        return Cell(
            child_id,
            service_id,
            day,
            state,
            True,
            not ctx.locked,
            r.price_cents,
            reason,
            label + by,
            r.id,
            r.tariff_label,
        )
    price, tariff = ctx.free_price((child_id, service_id, day))
    status = calendar.day_status(day, weekdays, ctx.closed, service_id)
    if not status.open:
        return Cell(child_id, service_id, day, "closed", False, False, price, status.reason_fr or "Fermé", label)
    if ctx.locked:
        return Cell(
            child_id,
            service_id,
            day,
            "locked",
            False,
            False,
            price,
            "Verrouillé : date butoir dépassée",
            label,
            tariff_label=tariff,
        )
    return Cell(
        child_id, service_id, day, "free", False, True, price, STATE_TEXT_FR["free"], label, tariff_label=tariff
    )


def _child_table(ctx: _Context, child: Child, services: list[Service], period: Period) -> ChildTable:
    rows = []
    for service in services:
        weekdays = weekdays_of(service)
        rows.append(
            ServiceRow(
                row_id(service), service.name, tuple(_cell(ctx, child, service, weekdays, day) for day in period.days)
            )
        )
    total = sum(c.price_cents for row in rows for c in row.cells if c.checked)
    return ChildTable(row_id(child), child.first_name, child.last_name, tuple(rows), total, child.position)


def _other_bookers(
    session: Session, family_id: int, viewer: int | None, reserved: Iterable[Reservation]
) -> dict[int, str]:
    """First names of the other logins that booked some of ``reserved``; no query at all unless
    one did (a family with one login, or the viewer's own days, cost nothing)."""
    others = {r.booked_by_account_id for r in reserved if r.booked_by_account_id not in (None, viewer)}
    if viewer is None or not others:
        return {}
    return {account: name for account, name in login_names(session, family_id).items() if account in others}


def build_period_view(
    session: Session,
    now: datetime,
    structure_id: int,
    family_id: int,
    period: Period,
    viewer_account_id: int | None = None,
) -> PeriodView:
    """Everything the Réservations page shows for ``period``, computed on the server.

    ``viewer_account_id``: the login looking; days another guardian booked say « réservé par … »
    in their accessible name (issue 20)."""
    structure, _family = structure_and_family(session, structure_id, family_id)
    rule = structure_rule(structure)
    deadline = calendar.deadline_for(period, rule)
    locked = calendar.is_locked(period, rule, now)
    children, enrolled = children_and_services(session, structure_id, family_id)
    services = {row_id(s): s for ss in enrolled.values() for s in ss}
    reserved = {
        (r.child_id, r.service_id, r.day): r for r in active_reservations(session, structure_id, family_id, period)
    }
    ctx = _Context(
        locked=locked,
        closed=closed_days_for(session, structure_id, period),
        tariffs=Tariffs(session, structure_id, family_id, services.values()),
        reserved=reserved,
        positions={row_id(c): c.position for c in children},
        absences=cell_states(session, structure_id, family_id, period.start, period.end),
        booked_by=_other_bookers(session, family_id, viewer_account_id, reserved.values()),
    )
    basket = current_basket(session, structure_id, family_id)
    tables = tuple(_child_table(ctx, child, enrolled[row_id(child)], period) for child in children)
    return PeriodView(
        structure_id=structure_id,
        family_id=family_id,
        period=period,
        days=tuple(period.days),
        deadline=deadline,
        deadline_text=deadline_text(deadline),
        locked=locked,
        children=tables,
        total_cents=sum(t.total_cents for t in tables),
        credit_balance_cents=credit_balance(session, structure_id, family_id),
        basket_version=basket.version if basket else None,
        basket_status=basket.status if basket else None,
        rank_prices=_rank_prices(ctx, enrolled, period),
        tariff_lines=tariff_lines(ctx.tariffs, services.values(), period),
        tariff_notice=tariff_notice(ctx.tariffs, services.values(), period),
    )


def _rank_prices(
    ctx: _Context, enrolled: dict[int, list[Service]], period: Period
) -> dict[tuple[int, date], tuple[int, ...]]:
    """Per (service, day): the price of the 1st, 2nd… child booked (as many ranks as children)."""
    counts: dict[int, int] = {}
    for services in enrolled.values():
        for service in services:
            counts[row_id(service)] = counts.get(row_id(service), 0) + 1
    return {
        (service_id, day): tuple(ctx.tariffs.quote(service_id, day).for_rank(rank)[0] for rank in range(1, n + 1))
        for service_id, n in counts.items()
        for day in period.days
    }


def live_totals(view: PeriodView, ticked: Iterable[CellKey]) -> tuple[dict[int, int], int]:
    """Per-child and grand totals of a ticked set not yet validated (the page's live totals).

    Unknown or non-editable unchecked cells are ignored: totals never count a closed day. A paid
    or non-editable day counts at its frozen price; the others by the sibling rule, as Valider
    will price them.
    """
    ticked = set(ticked)
    positions = {c.child_id: c.position for c in view.children}
    per_child = {c.child_id: 0 for c in view.children}
    groups: dict[tuple[int, date], list[Cell]] = {}
    for cell in view.cells():
        if cell.checked if not cell.editable else cell.key in ticked:
            groups.setdefault((cell.service_id, cell.day), []).append(cell)
    for (service_id, day), cells in groups.items():
        ranks = view.rank_prices.get((service_id, day), ())
        frozen = [c for c in cells if not c.editable or c.state == "paid"]
        others = sorted((c for c in cells if c not in frozen), key=lambda c: positions.get(c.child_id, 0))
        for c in frozen:
            per_child[c.child_id] += c.price_cents
        for rank, c in enumerate(others, start=len(frozen) + 1):
            per_child[c.child_id] += ranks[rank - 1] if rank <= len(ranks) else c.price_cents
    return per_child, sum(per_child.values())


def apply_to_all_children(view: PeriodView, child_id: int, ticked: Iterable[CellKey] | None = None) -> set[CellKey]:
    """ "Appliquer les mêmes jours à tous mes enfants": copy one child's ticked (service, day) pairs.

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
