"""The Réservations page's tables: what one period's view becomes in the browser and in the state.

Plain data, no Reflex state: ``period_tables`` turns a ``PeriodView`` (services/booking/period_view.py)
into the tables sent once per load (``ChildUI`` → ``DayUI`` → ``CellUI``, each cell named by an
opaque key "child-service-day" indexes) and what only the server keeps by that key: the cell's
real (child, service, day), its child, whether it may change, its saved tick and its price data
(``TickPricing``, for ReservationTicks' live totals).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from cantine_portal.french import abbreviate_service, format_euros, format_long_date, format_short_date
from cantine_portal.services.booking.errors import CellKey
from cantine_portal.services.booking.period_view import Cell, PeriodView


@dataclass
class CellUI:
    key: str = ""
    state: str = "free"
    label: str = ""
    reason: str = ""
    editable: bool = False
    checked: bool = False
    price: str = ""
    tariff: str = ""  # « Tranche 2 — QF de 501 à 900 € »: in the cell's tooltip


@dataclass
class DayUI:
    text: str = ""
    short: str = ""  # "lun. 18", shown instead of ``text`` on phones (the caption names the month)
    cells: list[CellUI] = field(default_factory=list)
    # No service at all that day (Wednesday, a holiday): one short line saying why, no boxes.
    closed: bool = False
    note: str = ""


def _day(text: str, short: str, cells: list[CellUI]) -> DayUI:
    closed = bool(cells) and all(cell.state == "closed" for cell in cells)
    return DayUI(text, short, cells, closed, cells[0].reason if closed else "")


@dataclass
class ChildUI:
    index: int = 0
    name: str = ""
    services: list[list[str]] = field(default_factory=list)  # [name, short name for a phone's heading]
    days: list[DayUI] = field(default_factory=list)


@dataclass
class LineUI:
    child: str = ""
    service: str = ""
    day: str = ""
    price: str = ""
    tariff: str = ""


@dataclass
class TickPricing:
    """The per-cell price data ReservationTicks keeps (see its docstring), built from a view."""

    group: dict[str, str] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    ranks: dict[str, list[int]] = field(default_factory=dict)
    frozen: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, cell: Cell, ranks: tuple[int, ...]) -> None:
        """Cells arrive child by child in position order, so each group's members stay ordered."""
        gid = f"{cell.service_id}-{cell.day.isoformat()}"
        self.group[key] = gid
        self.members.setdefault(gid, []).append(key)
        self.ranks.setdefault(gid, list(ranks) or [cell.price_cents])
        if cell.checked and (cell.state == "paid" or not cell.editable):
            self.frozen[key] = cell.price_cents


@dataclass
class PeriodTables:
    """One period's tables and, by cell key, what the states keep server-side."""

    tables: list[ChildUI]
    cells: dict[str, CellKey]
    owner: dict[str, int]  # cell key -> child index
    editable: dict[str, bool]
    ticked: dict[str, bool]  # what is saved: the ticks start from it
    pricing: TickPricing


def period_tables(view: PeriodView) -> PeriodTables:
    """The tables of ``view`` as read from the database (the truth), child by child in position order."""
    built = PeriodTables([], {}, {}, {}, {}, TickPricing())
    for ci, child in enumerate(view.children):
        by_day: dict[date, list[CellUI]] = {d: [] for d in view.days}
        for si, row in enumerate(child.services):
            for di, cell in enumerate(row.cells):
                key = f"{ci}-{si}-{di}"
                built.cells[key], built.owner[key] = cell.key, ci
                built.ticked[key], built.editable[key] = cell.checked, cell.editable
                built.pricing.add(key, cell, view.rank_prices.get((cell.service_id, cell.day), ()))
                by_day[cell.day].append(_cell_ui(key, cell))
        built.tables.append(
            ChildUI(
                ci,
                child.first_name,
                [[row.name, abbreviate_service(row.name)] for row in child.services],
                [
                    _day(format_long_date(d, with_year=False), format_short_date(d).rsplit(" ", 1)[0], by_day[d])
                    for d in view.days
                ],
            )
        )
    return built


def _cell_ui(key: str, cell: Cell) -> CellUI:
    """One checkbox as the browser shows it, its price formatted."""
    return CellUI(
        key,
        cell.state,
        cell.label,
        cell.reason,
        cell.editable,
        cell.checked,
        format_euros(cell.price_cents),
        cell.tariff_label,
    )
