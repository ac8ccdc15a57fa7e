"""Réservations page state: the per-child tables, the live totals and the basket.

Thin on purpose: each handler is a ``@parent_event`` (session checked first) making one call to
``usecases/booking.py``, which owns the reads and the writes; the rules live in
services/booking/. Database ids never reach the browser: a cell is named by an opaque key ("0-2-4":
child, service, day indexes) that only the backend-only ``_cells`` maps back to (child_id, service_id,
day). The tables themselves are built in state/reservation_tables.py (plain data).

Two states, so that a tick re-renders almost nothing in the browser (each Reflex state is one
React context, and every component reading a state re-renders when any of its vars changes):

- ``ReservationState`` holds the page: the tables (sent once per load, with each cell's
  ``checked`` value at that moment), the period, the messages, the basket. A tick never
  changes it, so the 372 cells of a four-children month view are not re-rendered.
- ``ReservationTicks`` (its substate) holds what a tick changes: the ticked set (backend-only)
  and the live totals and unsaved count. The checkboxes are uncontrolled (``default_checked``):
  the browser flips a box at once and the server, which keeps the truth for totals and
  Valider, recomputes the totals. When the server changes ticks itself (load, Valider,
  apply to all children, another period) it sends new tables with a new ``render_id``, which
  is part of each checkbox's React key, so every box is re-created from the server's value.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import replace

import reflex as rx

from cantine_portal import clock
from cantine_portal.french import format_euros
from cantine_portal.services.booking.basket import BasketSummary, basket_note
from cantine_portal.services.booking.errors import CellKey
from cantine_portal.state.auth import AuthState
from cantine_portal.state.handlers import parent_event
from cantine_portal.state.reservation_tables import ChildUI, LineUI, TickPricing, period_tables
from cantine_portal.usecases import booking
from cantine_portal.usecases.booking import PeriodPage

# Said when "Semaine suivante" / "Mois suivant" reaches the last period open (usecases.booking.RANGE).
LIMIT_TEXT = {
    "week": "Les réservations sont ouvertes jusqu'à 12 semaines à l'avance : "
    "les semaines suivantes seront proposées plus tard.",
    "month": "Les réservations sont ouvertes jusqu'à 4 mois à l'avance : les mois suivants seront proposés plus tard.",
}
UNSAVED_MESSAGE = (
    "Vous avez des choix non validés sur cette période : cliquez sur Valider pour les "
    "enregistrer avant de changer de période (ou rechargez la page pour les abandonner)."
)
NAV_LABELS = {"week": ("Semaine précédente", "Semaine suivante"), "month": ("Mois précédent", "Mois suivant")}


class ReservationState(AuthState):
    period_label: str = ""
    deadline_text: str = ""
    locked: bool = False
    previous_label: str = ""
    next_label: str = ""
    can_go_back: bool = False
    can_go_forward: bool = False
    # Said on the page when "Semaine suivante" / "Mois suivant" reaches the last bookable period.
    limit_text: str = ""
    tables: list[ChildUI] = []
    # Part of every checkbox's React key: a new value re-creates the boxes from ``checked``.
    render_id: str = ""
    child_names: list[str] = []
    credit_text: str = ""
    info_message: str = ""
    error_message: str = ""
    basket_visible: bool = False
    basket_lines: list[LineUI] = []
    basket_subtotal: str = ""
    basket_credit: str = ""
    basket_debt: str = ""  # « Somme due à la régie : 2,50 € », added to the total ("" when none)
    basket_total: str = ""
    basket_note: str = ""
    basket_payable: bool = False
    # « Restauration scolaire : Tranche 2 — QF de 501 à 900 € (2,50 €) », and why the « no QF »
    # price applies with what to do (services/booking/pricing_notes.py).
    tariff_lines: list[str] = []
    tariff_notice: str = ""

    _period_key: str = ""
    _offset: int = 0
    _cells: dict[str, tuple] = {}
    _basket_version: int | None = None

    def _ticks(self) -> ReservationTicks:
        """The substate with the ticked set and the live totals (loaded with this state)."""
        return self.substates[ReservationTicks.get_name()]

    # --- showing what a use case read -------------------------------------------------------

    def _show_page(self, page: PeriodPage) -> None:
        """The period's tables as read from the database (the truth); the ticks start from them."""
        view = page.view
        self._offset = page.offset
        self._period_key = view.period.key
        self.period_label = view.period.label_fr
        self.deadline_text = view.deadline_text + (
            " (date butoir dépassée : période verrouillée)." if view.locked else "."
        )
        self.locked = view.locked
        self.previous_label, self.next_label = NAV_LABELS[page.period_mode]
        self.can_go_back, self.can_go_forward = page.can_go_back, page.can_go_forward
        self.limit_text = "" if self.can_go_forward else LIMIT_TEXT[page.period_mode]
        self._basket_version = view.basket_version
        self.credit_text = (
            f"Votre avoir disponible : {format_euros(view.credit_balance_cents)}, "
            "déduit automatiquement de votre prochain panier."
            if view.credit_balance_cents > 0
            else ""
        )
        built = period_tables(view)
        self._cells = built.cells
        self.tables = built.tables
        self.render_id = secrets.token_hex(4)
        self.child_names = [c.first_name for c in view.children]
        self.tariff_lines = list(view.tariff_lines)
        self.tariff_notice = view.tariff_notice
        if page.notice:
            self.info_message = page.notice
        self._show_waiting(page.waiting)
        self._ticks()._start_period(built.ticked, built.pricing, built.owner, built.editable, len(view.children))

    def _show_ticked(self, ticked: dict[str, bool]) -> None:
        """Send the tables again with ``ticked`` as each box's value (the server changed ticks)."""
        self.tables = [
            replace(
                child,
                days=[
                    replace(day, cells=[replace(cell, checked=ticked.get(cell.key, False)) for cell in day.cells])
                    for day in child.days
                ],
            )
            for child in self.tables
        ]
        self.render_id = secrets.token_hex(4)

    def _show_basket(self, summary: BasketSummary, unavailable: str = "") -> None:
        self.basket_lines = [
            LineUI(line.child_name, line.service_name, line.day_text, format_euros(line.price_cents), line.tariff_label)
            for line in summary.lines
        ]
        self.basket_subtotal = format_euros(summary.subtotal_cents)
        self.basket_credit = format_euros(summary.credit_applied_cents)
        self.basket_total = format_euros(summary.total_cents)
        self.basket_debt = f"Somme due à la régie : {format_euros(summary.debt_cents)}" if summary.debt_cents else ""
        self.basket_note = basket_note(summary, unavailable)
        self.basket_payable = not unavailable and summary.payable and not summary.frozen
        self.basket_visible = True

    def _clear_messages(self) -> None:
        self.info_message = ""
        self.error_message = ""

    def _wanted(self) -> set[CellKey]:
        """The ticked cells, as the (child, service, day) keys only the server knows."""
        return {self._cells[k] for k in self._ticks()._ticked_keys() if k in self._cells}

    # --- handlers: one use case each ---------------------------------------------------------

    @parent_event
    def load(self):
        """on_load (after AuthState.load_protected): the period of ``?periode=`` (a reminder's link),
        else the first period open to booking; the basket opens too when the banner's « Payer »
        brought the parent here (``?panier=1``)."""
        wanted = str(self.router.url.query_parameters.get("periode", ""))[:10]
        page = booking.open_reservations(self._actor(), now=clock.now(), period_key=wanted)
        self._clear_messages()
        self.basket_visible = False
        self._show_page(page)
        if self.router.url.query_parameters.get("panier") == "1":
            return ReservationState.show_basket
        return None

    @parent_event(db=False)
    def set_basket_open(self, value: bool):
        """The basket panel closed (Fermer, Échap): nothing to read, nothing saved."""
        self.basket_visible = bool(value) and self.basket_visible

    @parent_event
    def apply_to_all(self, child_index: int):
        """ "Appliquer les mêmes jours à tous mes enfants" (still to be validated)."""
        self._clear_messages()
        if not 0 <= child_index < len(self.child_names):
            return
        ticks = self._ticks()
        added = booking.days_for_all_children(
            self._actor(), self._period_key, child_index, self._wanted(), now=clock.now()
        )
        by_cell = {v: k for k, v in self._cells.items()}
        ticks._tick_all(by_cell[cell_key] for cell_key in added if cell_key in by_cell)
        self._show_ticked(ticks._ticked_map())
        self.info_message = (
            f"Les jours de {self.child_names[child_index]} ont été cochés pour vos autres "
            "enfants lorsque c'est possible. Cliquez sur Valider pour les enregistrer."
        )

    @parent_event
    def validate(self):
        """Valider: the ticked set becomes the family's reservations for this period."""
        self._clear_messages()
        result = booking.save_choices(
            self._actor(), self._period_key, self._offset, self._wanted(), self._basket_version, now=clock.now()
        )
        if result.ok:
            self.info_message = result.message
        else:
            self.error_message = result.message
        if result.page is not None:
            self._show_page(result.page)

    @parent_event
    def show_basket(self):
        """Valider votre panier maintenant: save pending choices (said on screen), then show the basket."""
        self._clear_messages()
        unsaved = self._wanted() if self._ticks().unsaved_count else None
        shown = booking.show_basket(
            self._actor(), self._period_key, self._offset, unsaved, self._basket_version, now=clock.now()
        )
        if not shown.ok:
            self.error_message = shown.error
            return
        self.info_message = " ".join(m for m in (shown.saved, shown.info) if m)
        if shown.page is not None:
            self._show_page(shown.page)
        assert shown.summary is not None
        self._show_basket(shown.summary, shown.unavailable)

    @parent_event
    def pay(self):
        """Send the family to the payment provider (the basket freezes until it answers)."""
        self._clear_messages()
        outcome = booking.pay_basket(
            self._actor(), self._offset, self._basket_version, now=clock.now(), answered_at=clock.now
        )
        if outcome.paid_reference:
            return rx.redirect(f"/{self.portal_slug}/paiement/retour?ref={outcome.paid_reference}")
        if outcome.ok:
            return rx.redirect(outcome.redirect_url)
        self.error_message = outcome.message
        self.basket_visible = False
        if outcome.page is not None:
            self._show_page(outcome.page)
        return None

    @parent_event
    def previous_period(self):
        self._move(-1)

    @parent_event
    def next_period(self):
        self._move(1)

    def _move(self, step: int) -> None:
        self._clear_messages()
        if self._ticks().unsaved_count:
            self.error_message = UNSAVED_MESSAGE
            return
        self.basket_visible = False
        self._show_page(booking.period_page(self._actor(), self._offset + step, now=clock.now()))


class ReservationTicks(ReservationState):
    """What one tick changes, alone in its own state (see the module docstring).

    Everything a tick needs is kept here, so that ``toggle`` never touches the page state
    and reaches no database: the saved choices are only written by Valider, which re-checks
    every rule on the server. Prices follow the sibling rule (services/pricing/grid.py): the
    cells of one service and day form a group whose prices depend on how many children are
    ticked in it, so a tick recomputes its own group (a few cells) and moves the totals by the
    difference — exactly what Valider will save.
    """

    child_totals: list[str] = []
    grand_total: str = format_euros(0)
    # Ticks not yet saved by Valider (told near the button; changing period is refused meanwhile).
    unsaved_count: int = 0

    _ticked: dict[str, bool] = {}
    _saved: dict[str, bool] = {}
    _owner: dict[str, int] = {}  # cell key -> child index
    _editable: dict[str, bool] = {}
    _children: int = 0
    _totals_cents: list[int] = []
    # Pricing groups: cell key -> group; group -> its cells (by child position), the price of
    # the 1st, 2nd… child booked, and what the group adds to each child's total now.
    _group: dict[str, str] = {}
    _members: dict[str, list[str]] = {}
    _ranks: dict[str, list[int]] = {}
    _frozen: dict[str, int] = {}  # paid or non-editable cells: their saved price never moves
    _contrib: dict[str, dict[int, int]] = {}

    def _start_period(
        self,
        ticked: dict[str, bool],
        pricing: TickPricing,
        owner: dict[str, int],
        editable: dict[str, bool],
        children: int,
    ) -> None:
        """A fresh period from the database: ``ticked`` is what is saved."""
        self._ticked, self._saved = dict(ticked), dict(ticked)
        self._owner, self._editable, self._children = owner, editable, children
        self._group, self._members, self._ranks, self._frozen = (
            pricing.group,
            pricing.members,
            pricing.ranks,
            pricing.frozen,
        )
        self.unsaved_count = 0
        self._recompute_totals()

    def _ticked_map(self) -> dict[str, bool]:
        return dict(self._ticked)

    def _ticked_keys(self) -> list[str]:
        return [key for key, on in self._ticked.items() if on]

    def _tick_all(self, keys: Iterable[str]) -> None:
        for key in keys:
            if self._editable.get(key, False):
                self._ticked[key] = True
        self.unsaved_count = sum(1 for k, on in self._ticked.items() if on != self._saved.get(k, False))
        self._recompute_totals()

    def _group_prices(self, gid: str) -> dict[int, int]:
        """What the ticked cells of one group cost, per child index (frozen cells counted first)."""
        ticked = [k for k in self._members[gid] if self._ticked.get(k, False)]
        frozen = [k for k in ticked if k in self._frozen]
        result: dict[int, int] = {}
        for key in frozen:
            result[self._owner[key]] = result.get(self._owner[key], 0) + self._frozen[key]
        ranks = self._ranks[gid]
        for rank, key in enumerate((k for k in ticked if k not in self._frozen), start=len(frozen)):
            price = ranks[min(rank, len(ranks) - 1)]
            result[self._owner[key]] = result.get(self._owner[key], 0) + price
        return result

    def _recompute_totals(self) -> None:
        totals = [0] * self._children
        self._contrib = {}
        for gid in self._members:
            self._contrib[gid] = contrib = self._group_prices(gid)
            for child, cents in contrib.items():
                totals[child] += cents
        self._totals_cents = totals
        self.child_totals = [format_euros(t) for t in totals]
        self.grand_total = format_euros(sum(totals))

    @parent_event(db=False)
    def toggle(self, key: str):
        """A tick, from memory on the event loop (its session check too: see ``_parent_known``)."""
        if key not in self._editable:
            return
        if not self._editable[key]:
            return  # closed or locked: ignored, whatever the browser sent (Valider re-checks anyway)
        on = not self._ticked.get(key, False)
        self._ticked[key] = on
        self.unsaved_count += 1 if on != self._saved.get(key, False) else -1
        # Incremental: only this cell's group (one service, one day) is priced again.
        gid = self._group[key]
        before, after = self._contrib[gid], self._group_prices(gid)
        self._contrib[gid] = after
        for child in set(before) | set(after):
            delta = after.get(child, 0) - before.get(child, 0)
            if delta:
                self._totals_cents[child] += delta
                self.child_totals[child] = format_euros(self._totals_cents[child])
        self.grand_total = format_euros(sum(self._totals_cents))
