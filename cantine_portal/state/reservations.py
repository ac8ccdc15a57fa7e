"""Réservations page state: the per-child tables, the live totals and the basket.

Thin on purpose: every rule lives in services/booking.py. The tables (``tables``) are sent
once per load; a tick only changes ``ticked`` (one small dict) and the totals. Database ids
never reach the browser: a cell is named by an opaque key ("0-2-4": child, service, day
indexes) that only the backend-only ``_cells`` maps back to (child_id, service_id, day).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date

import reflex as rx

from cantine_portal import clock
from cantine_portal.db import get_database
from cantine_portal.models import Structure
from cantine_portal.services import booking, calendar
from cantine_portal.services.money import format_euros
from cantine_portal.state.auth import AuthState

# How far parents can navigate from the current period (issue: at least 8 weeks / 3 months ahead).
RANGE = {"week": (-4, 12), "month": (-1, 4)}
UNSAVED_MESSAGE = ("Vous avez des choix non validés sur cette période : cliquez sur Valider pour les "
                   "enregistrer avant de changer de période (ou rechargez la page pour les abandonner).")
NAV_LABELS = {"week": ("Semaine précédente", "Semaine suivante"), "month": ("Mois précédent", "Mois suivant")}


@dataclass
class CellUI:
    key: str = ""
    state: str = "free"
    label: str = ""
    reason: str = ""
    editable: bool = False
    price: str = ""


@dataclass
class DayUI:
    text: str = ""
    cells: list[CellUI] = field(default_factory=list)


@dataclass
class ChildUI:
    index: int = 0
    name: str = ""
    services: list[str] = field(default_factory=list)
    days: list[DayUI] = field(default_factory=list)


@dataclass
class LineUI:
    child: str = ""
    service: str = ""
    day: str = ""
    price: str = ""


class ReservationState(AuthState):
    period_label: str = ""
    deadline_text: str = ""
    locked: bool = False
    previous_label: str = ""
    next_label: str = ""
    can_go_back: bool = False
    can_go_forward: bool = False
    tables: list[ChildUI] = []
    ticked: dict[str, bool] = {}
    child_totals: list[str] = []
    child_names: list[str] = []
    grand_total: str = format_euros(0)
    # Ticks not yet saved by Valider (told near the button; changing period is refused meanwhile).
    unsaved_count: int = 0
    credit_text: str = ""
    info_message: str = ""
    error_message: str = ""
    basket_visible: bool = False
    basket_lines: list[LineUI] = []
    basket_subtotal: str = ""
    basket_credit: str = ""
    basket_total: str = ""
    basket_note: str = ""

    _period_key: str = ""
    _offset: int = 0
    _cells: dict[str, tuple] = {}
    _prices: dict[str, int] = {}
    _owner: dict[str, int] = {}  # cell key -> child index
    _editable: dict[str, bool] = {}
    _saved: dict[str, bool] = {}
    _basket_version: int | None = None

    # --- loading ------------------------------------------------------------------------

    def _structure(self, session) -> Structure:
        return session.get(Structure, self._structure_id)

    def _period(self, session) -> calendar.Period:
        structure = self._structure(session)
        current = calendar.period_containing(structure.period_mode, clock.now().astimezone(calendar.PARIS).date())
        return calendar.shift(current, self._offset)

    def _first_open_offset(self) -> int:
        """Parents land on the first period still open to booking (the current one is often locked)."""
        with get_database().session() as session:
            structure = self._structure(session)
            rule = booking.structure_rule(structure)
            self._offset = 0
            current = self._period(session)
        for offset in range(0, 3):
            if not calendar.is_locked(calendar.shift(current, offset), rule, clock.now()):
                return offset
        return 0

    def _reload(self) -> None:
        """Read the period and the basket back from the database (the truth)."""
        self._show_period(*self._read_period())

    def _read_period(self) -> tuple:
        """The database part of _reload (no state change): safe to run in a thread."""
        with get_database().session() as session:
            structure = self._structure(session)
            low, high = RANGE[structure.period_mode]
            offset = max(low, min(high, self._offset))
            current = calendar.period_containing(structure.period_mode,
                                                 clock.now().astimezone(calendar.PARIS).date())
            period = calendar.shift(current, offset)
            view = booking.build_period_view(session, clock.now(), self._structure_id, self._family_id, period)
        return structure.period_mode, low, high, offset, period, view

    def _show_period(self, period_mode: str, low: int, high: int, offset: int, period, view) -> None:
        self._offset = offset
        self._period_key = period.key
        self.period_label = period.label_fr
        self.deadline_text = view.deadline_text + (" (date butoir dépassée : période verrouillée)."
                                                   if view.locked else ".")
        self.locked = view.locked
        self.previous_label, self.next_label = NAV_LABELS[period_mode]
        self.can_go_back, self.can_go_forward = self._offset > low, self._offset < high
        self._basket_version = view.basket_version
        self.credit_text = (f"Votre avoir disponible : {format_euros(view.credit_balance_cents)}, "
                            "déduit automatiquement de votre prochain panier."
                            if view.credit_balance_cents > 0 else "")
        cells: dict[str, tuple] = {}
        prices: dict[str, int] = {}
        owner: dict[str, int] = {}
        editable: dict[str, bool] = {}
        ticked: dict[str, bool] = {}
        tables = []
        for ci, child in enumerate(view.children):
            by_day: dict[date, list[CellUI]] = {d: [] for d in view.days}
            for si, row in enumerate(child.services):
                for di, cell in enumerate(row.cells):
                    key = f"{ci}-{si}-{di}"
                    cells[key], prices[key], owner[key] = cell.key, cell.price_cents, ci
                    ticked[key], editable[key] = cell.checked, cell.editable
                    by_day[cell.day].append(CellUI(key, cell.state, cell.label, cell.reason, cell.editable,
                                                   format_euros(cell.price_cents)))
            tables.append(ChildUI(
                ci, child.first_name, [row.name for row in child.services],
                [DayUI(calendar.format_day_fr(d, with_year=False), by_day[d]) for d in view.days],
            ))
        self._cells, self._prices, self._owner, self._editable = cells, prices, owner, editable
        self.tables = tables
        self.child_names = [c.first_name for c in view.children]
        self.ticked = ticked
        self._saved = dict(ticked)
        self.unsaved_count = 0
        self._recompute_totals()

    def _recompute_totals(self) -> None:
        totals = [0] * len(self.child_names)
        for key, on in self.ticked.items():
            if on:
                totals[self._owner[key]] += self._prices[key]
        self.child_totals = [format_euros(t) for t in totals]
        self.grand_total = format_euros(sum(totals))

    def _clear_messages(self) -> None:
        self.info_message = ""
        self.error_message = ""

    @rx.event
    async def load(self):
        """on_load (after AuthState.load_protected): the current period, from the database."""
        if self.require_parent() is None:
            return None
        self._offset = await asyncio.to_thread(self._first_open_offset)
        self._clear_messages()
        self.basket_visible = False
        await self._reload_async()
        return None

    # --- ticking (no database: the choices are only saved by Valider) --------------------

    @rx.event
    def toggle(self, key: str):
        if self._family_id is None or key not in self._cells:
            return
        if not self._editable.get(key, False):
            return  # closed or locked: ignored, whatever the browser sent (Valider re-checks anyway)
        self.ticked[key] = not self.ticked.get(key, False)
        self.unsaved_count += 1 if self.ticked[key] != self._saved.get(key, False) else -1
        self._recompute_totals()

    @rx.event
    def apply_to_all(self, child_index: int):
        """"Appliquer les mêmes jours à tous mes enfants" (still to be validated)."""
        if self.require_parent() is None:
            return self.login_redirect()
        self._clear_messages()
        if not 0 <= child_index < len(self.child_names):
            return None
        with get_database().session() as session:
            view = booking.build_period_view(session, clock.now(), self._structure_id, self._family_id,
                                             calendar.Period.parse(self._period_key))
        by_cell = {v: k for k, v in self._cells.items()}
        child_id = view.children[child_index].child_id
        current = {self._cells[k] for k, on in self.ticked.items() if on}
        wanted = booking.apply_to_all_children(view, child_id, current)
        for cell_key in wanted - current:
            if cell_key in by_cell:
                self.ticked[by_cell[cell_key]] = True
        self.unsaved_count = sum(1 for k, on in self.ticked.items() if on != self._saved.get(k, False))
        self._recompute_totals()
        self.info_message = (f"Les jours de {self.child_names[child_index]} ont été cochés pour vos autres "
                             "enfants lorsque c'est possible. Cliquez sur Valider pour les enregistrer.")
        return None

    # --- saving ----------------------------------------------------------------------
    #
    # Reflex runs a synchronous handler on the worker's event loop: a Valider that waits for the
    # database (SQLite queues writers) would freeze every other parent's ticks on that worker
    # meanwhile (measured in docs/performance.md). The saving handlers are therefore async and
    # do their database work in a thread; ticks go on being answered in between.

    def _wanted(self) -> set:
        return {self._cells[k] for k, on in self.ticked.items() if on and k in self._cells}

    async def _save(self) -> booking.ApplyResult | None:
        if self.require_parent() is None:
            return None
        return await asyncio.to_thread(_apply_choices, self._structure_id, self._family_id, self._period_key,
                                       self._wanted(), self._basket_version)

    async def _reload_async(self) -> None:
        """_reload with its queries off the event loop (the state is only changed back here)."""
        view_args = await asyncio.to_thread(self._read_period)
        self._show_period(*view_args)

    @rx.event
    async def validate(self):
        """Valider: the ticked set becomes the family's reservations for this period."""
        self._clear_messages()
        result = await self._save()
        if result is None:
            return self.login_redirect()
        if result.ok:
            self.info_message = result.message
            await self._reload_async()
        else:
            self.error_message = result.message
            if result.message in (booking.STALE_MESSAGE, booking.CONFLICT_MESSAGE):
                await self._reload_async()
        return None

    @rx.event
    async def show_basket(self):
        """Valider votre panier maintenant: save pending choices, then show the basket."""
        self._clear_messages()
        result = await self._save()
        if result is None:
            return self.login_redirect()
        if not result.ok:
            self.error_message = result.message
            return None
        await self._reload_async()
        repriced, summary = await asyncio.to_thread(_reprice_and_summarise, self._structure_id, self._family_id)
        if repriced.message:
            self.info_message = repriced.message
            await self._reload_async()
        self.basket_lines = [LineUI(line.child_name, line.service_name, line.day_text, format_euros(line.price_cents))
                             for line in summary.lines]
        self.basket_subtotal = format_euros(summary.subtotal_cents)
        self.basket_credit = format_euros(summary.credit_applied_cents)
        self.basket_total = format_euros(summary.total_cents)
        if summary.empty:
            self.basket_note = "Votre panier est vide : cochez des jours puis cliquez sur Valider."
        elif summary.frozen:
            self.basket_note = booking.CHECKOUT_MESSAGE
        else:
            self.basket_note = ("Le paiement en ligne ouvrira la page sécurisée de votre banque "
                                "(mise en service prochainement).")
        self.basket_visible = True
        return None

    @rx.event
    async def previous_period(self):
        return await self._move(-1)

    @rx.event
    async def next_period(self):
        return await self._move(1)

    async def _move(self, step: int):
        if self.require_parent() is None:
            return self.login_redirect()
        self._clear_messages()
        if self.unsaved_count:
            self.error_message = UNSAVED_MESSAGE
            return None
        self.basket_visible = False
        self._offset += step
        await self._reload_async()
        return None


def _apply_choices(structure_id: int, family_id: int, period_key: str, wanted: set,
                   basket_version: int | None) -> booking.ApplyResult:
    with get_database().write_session() as session:
        return booking.apply_choices(session, clock.now(), structure_id, family_id,
                                     calendar.Period.parse(period_key), wanted, basket_version)


def _reprice_and_summarise(structure_id: int, family_id: int):
    with get_database().write_session() as session:
        repriced = booking.reprice_basket(session, clock.now(), structure_id, family_id)
        summary = booking.basket_summary(session, clock.now(), structure_id, family_id)
    return repriced, summary
