"""What a family's prices depend on, read once per page or Valider: single prices, grids, its QF,
whether it lives outside the commune; and the sibling rank applied to a set of booked days.

Loaded in a few queries, then answered from memory: a period view of 80 cells or a Valider of
80 lines asks ``quote``/``price_booked`` many times without another database round trip.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from cantine_portal.models import (
    Family,
    FamilyQuotient,
    Guardian,
    PriceBracket,
    PriceGrid,
    Service,
    ServicePrice,
    Structure,
    row_id,
)
from cantine_portal.services.pricing.grid import Bracket, Grid, Quote, grid_at, quote

# (child_id, service_id, day), as services/booking names a cell.
Key = tuple[int, int, date]


class Prices:
    """Single price in force on a day for each service: latest ServicePrice.valid_from <= day."""

    def __init__(self, session: Session, services: Iterable[Service]) -> None:
        self._fallback = {row_id(s): s.unit_price_cents for s in services}
        self._history: dict[int, list[tuple[date, int]]] = {sid: [] for sid in self._fallback}
        if self._fallback:
            for row in session.exec(
                select(ServicePrice)
                .where(col(ServicePrice.service_id).in_(list(self._fallback)))
                .order_by(col(ServicePrice.valid_from))
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


def load_grids(session: Session, service_ids: Iterable[int]) -> dict[int, list[Grid]]:
    """Every grid of these services, oldest first, with its brackets."""
    ids = list(service_ids)
    history: dict[int, list[Grid]] = defaultdict(list)
    if not ids:
        return history
    grids = session.exec(
        select(PriceGrid).where(col(PriceGrid.service_id).in_(ids)).order_by(col(PriceGrid.valid_from))
    ).all()
    brackets: dict[int, list[Bracket]] = defaultdict(list)
    if grids:
        for b in session.exec(
            select(PriceBracket)
            .where(col(PriceBracket.grid_id).in_([g.id for g in grids]))
            .order_by(col(PriceBracket.position))
        ).all():
            brackets[b.grid_id].append(Bracket(b.min_qf, b.max_qf, b.price_cents))
    for g in grids:
        history[g.service_id].append(
            Grid(
                g.valid_from,
                tuple(brackets[row_id(g)]),
                g.no_qf_price_cents,
                g.outside_price_cents,
                g.sibling_percent,
                g.sibling_from_rank,
            )
        )
    return history


def _place(text: str) -> str:
    """A city name compared loosely: no accents, case, hyphens or « Saint »/« St » differences."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    words = plain.replace("-", " ").replace("'", " ").split()
    return " ".join("saint" if w in ("st", "st.") else w for w in words)


def lives_outside(structure: Structure, family: Family, guardians: Iterable[Guardian]) -> bool:
    """Outside-commune rule: the staff's flag on the family wins; otherwise the family is outside
    when it has an address and no guardian lives in the commune (same postal code and city as the
    commune's). A commune without a postal code, or a family without any address, counts as resident."""
    if family.outside_commune is not None:
        return family.outside_commune
    if not structure.postal_code.strip():
        return False
    addresses = [(g.postal_code.strip(), _place(g.city)) for g in guardians if g.postal_code.strip()]
    if not addresses:
        return False
    home = (structure.postal_code.strip(), _place(structure.city))
    return all(address != home for address in addresses)


@dataclass(frozen=True)
class QuotientSpan:
    qf_euros: int
    valid_from: date
    valid_to: date


def quotient_spans(session: Session, family_id: int) -> list[QuotientSpan]:
    """The family's QF records, newest entry last (on a day two records cover, the newest wins)."""
    return [
        QuotientSpan(q.qf_euros, q.valid_from, q.valid_to)
        for q in session.exec(
            select(FamilyQuotient).where(FamilyQuotient.family_id == family_id).order_by(col(FamilyQuotient.id))
        ).all()
    ]


def qf_on(spans: Iterable[QuotientSpan], day: date) -> int | None:
    found = None
    for span in spans:
        if span.valid_from <= day <= span.valid_to:
            found = span.qf_euros
    return found


class Tariffs:
    """A family's prices for some services: ``quote(service, day)`` before the sibling rank."""

    def __init__(self, session: Session, structure_id: int, family_id: int, services: Iterable[Service]) -> None:
        services = list(services)
        self.prices = Prices(session, services)
        self.grids = load_grids(session, [row_id(s) for s in services])
        self.spans = quotient_spans(session, family_id) if self.grids else []
        self.outside = False
        if self.grids:
            structure = session.get(Structure, structure_id)
            family = session.get(Family, family_id)
            guardians = session.exec(select(Guardian).where(Guardian.family_id == family_id)).all()
            self.outside = structure is not None and family is not None and lives_outside(structure, family, guardians)
        self._cache: dict[tuple[int, date], Quote] = {}

    def quote(self, service_id: int, day: date) -> Quote:
        found = self._cache.get((service_id, day))
        if found is None:
            grid = grid_at(self.grids.get(service_id, ()), day)
            qf = qf_on(self.spans, day) if grid is not None else None
            found = quote(grid, self.prices.on(service_id, day) if grid is None else 0, qf, self.outside)
            self._cache[(service_id, day)] = found
        return found

    def qf_on(self, day: date) -> int | None:
        return qf_on(self.spans, day)

    def has_grid(self, service_id: int, day: date) -> bool:
        return grid_at(self.grids.get(service_id, ()), day) is not None


@dataclass(frozen=True)
class Priced:
    price_cents: int
    label: str
    qf_euros: int | None


def price_booked(
    tariffs: Tariffs, positions: Mapping[int, int], booked: Iterable[Key], frozen: Iterable[Key]
) -> dict[Key, Priced]:
    """The price of every booked, not frozen day, by the sibling rule (services/pricing/grid.py).

    ``booked``: every day the family has (or will have) for the days concerned; ``frozen``: those
    whose price never changes (paid, or no longer editable), counted first. ``positions``: each
    child's order on the Enfants page.
    """
    frozen = set(frozen)
    groups: dict[tuple[int, date], list[Key]] = defaultdict(list)
    for key in booked:
        groups[(key[1], key[2])].append(key)
    result: dict[Key, Priced] = {}
    for (service_id, day), keys in groups.items():
        q = tariffs.quote(service_id, day)
        ordered = sorted(keys, key=lambda k: (k not in frozen, positions.get(k[0], 0), k[0]))
        for rank, key in enumerate(ordered, start=1):
            if key not in frozen:
                price, label = q.for_rank(rank)
                result[key] = Priced(price, label, q.qf_euros)
    return result
