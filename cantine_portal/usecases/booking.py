"""Réservations use cases: one function per action of the page, each owning its unit of work.

Reads (a period's tables, the basket) run in a plain session of this worker. Writes (Valider,
re-pricing the basket) run through ``Database.run_write``: on SQLite that is the write process,
which holds the single writer's lock without competing for this worker's GIL. Each function takes
the acting parent (ids from the session check, never from the browser), plain inputs and ``now``,
and returns a plain result; the state only copies it into its vars.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session

from cantine_portal.config import get_settings
from cantine_portal.french import PARIS
from cantine_portal.infra.db import get_database
from cantine_portal.models import Structure, row_id
from cantine_portal.services.booking import basket, choices, errors, period_view, queries
from cantine_portal.services.booking.basket import BasketSummary
from cantine_portal.services.booking.choices import ApplyResult
from cantine_portal.services.booking.errors import CellKey
from cantine_portal.services.booking.period_view import PeriodView
from cantine_portal.services.shared import calendar
from cantine_portal.services.shared.payment_availability import payment_availability
from cantine_portal.usecases import payments
from cantine_portal.usecases.actors import ParentActor

# How far parents can navigate from the current period (issue: at least 8 weeks / 3 months ahead,
# not more than 12 weeks / 4 months: prices and closures further ahead are rarely settled).
RANGE = {"week": (-4, 12), "month": (-1, 4)}
# A failed Valider after which the page must show the database's truth again.
RELOAD_AFTER = (errors.STALE_MESSAGE, errors.CONFLICT_MESSAGE)


@dataclass(frozen=True)
class WaitingBasket:
    """What the family left in its basket, unpaid: told on every family page (banner, Accueil)
    so that a parent coming back does not forget days that are not yet booked."""

    count: int  # reservations waiting for payment (0: nothing to tell)
    total_cents: int  # what « Payer » will charge (credit deducted)
    periods: tuple[str, ...]  # labels of the periods holding them, in order
    frozen: bool  # a payment is under way at the bank


@dataclass(frozen=True)
class PeriodPage:
    """One period's tables for the family, and where the navigation stands."""

    view: PeriodView
    offset: int  # periods from the current one (kept by the tab, clamped here)
    period_mode: str  # "week" | "month"
    can_go_back: bool
    can_go_forward: bool
    waiting: WaitingBasket  # the unpaid basket after this read (banner, « periods holding it »)
    # Said once on the page: the basket's unpaid days were re-priced (QF or tariff changed).
    notice: str = ""


def _current_period(structure: Structure, now: datetime) -> calendar.Period:
    return calendar.period_containing(structure.period_mode, now.astimezone(PARIS).date())


def _page(session: Session, now: datetime, actor: ParentActor, offset: int) -> PeriodPage:
    structure = session.get(Structure, actor.structure_id)
    assert structure is not None
    low, high = RANGE[structure.period_mode]
    offset = max(low, min(high, offset))
    period = calendar.shift(_current_period(structure, now), offset)
    view = period_view.build_period_view(session, now, actor.structure_id, actor.family_id, period, actor.account_id)
    return PeriodPage(
        view,
        offset,
        structure.period_mode,
        offset > low,
        offset < high,
        _waiting(session, now, structure, actor.family_id),
    )


def period_page(actor: ParentActor, offset: int, *, now: datetime) -> PeriodPage:
    """The period ``offset`` periods from the current one (« Semaine suivante », a reload)."""
    with get_database().session() as session:
        return _page(session, now, actor, offset)


def _offset_of(current: calendar.Period, key: str) -> int | None:
    """How many periods ``key`` (« 2026-W50 », « 2026-12 », from a reminder's link) is from
    ``current``; None when it is not a period of the commune's mode."""
    try:
        wanted = calendar.Period.parse(key)
    except ValueError:
        return None
    if wanted.mode != current.mode:
        return None
    if current.mode == "week":
        return (wanted.start - current.start).days // 7
    return (wanted.start.year - current.start.year) * 12 + wanted.start.month - current.start.month


def open_reservations(actor: ParentActor, *, now: datetime, period_key: str = "") -> PeriodPage:
    """The page's load: the family's expired checkouts reopen (a write only when there is one),
    then the period of the URL (``?periode=2026-W50``, clamped to the navigable ones) or else the
    first period still open to booking (the current one is often locked already)."""
    database = get_database()
    payments.expire_stale_checkouts_if_any(database, now, actor.structure_id, actor.family_id)
    notice = _reprice_if_needed(actor, now)
    with database.session() as session:
        structure = session.get(Structure, actor.structure_id)
        assert structure is not None
        rule = queries.structure_rule(structure)
        current = _current_period(structure, now)
        offset = _offset_of(current, period_key) if period_key else None
        if offset is None:
            offset = next((o for o in range(3) if not calendar.is_locked(calendar.shift(current, o), rule, now)), 0)
        page = _page(session, now, actor, offset)
    return replace(page, notice=notice) if notice else page


def _reprice_if_needed(actor: ParentActor, now: datetime) -> str:
    """A QF accepted, changed or expired since the days were put in the basket: their price
    follows, and the parent is told (a read first: the usual case changes nothing)."""
    database = get_database()
    with database.session() as session:
        stale = basket.reprice_basket(session, now, actor.structure_id, actor.family_id, check_only=True).changed
    if not stale:
        return ""
    return database.run_write(_reprice_message, now, actor.structure_id, actor.family_id)


def _reprice_message(session: Session, now: datetime, structure_id: int, family_id: int) -> str:
    return basket.reprice_basket(session, now, structure_id, family_id).message


def days_for_all_children(
    actor: ParentActor, period_key: str, child_index: int, ticked: set[CellKey], *, now: datetime
) -> set[CellKey]:
    """« Appliquer les mêmes jours à tous mes enfants »: the cells to tick as well (nothing saved;
    an unknown child index gives none)."""
    with get_database().session() as session:
        view = period_view.build_period_view(
            session, now, actor.structure_id, actor.family_id, calendar.Period.parse(period_key)
        )
    if not 0 <= child_index < len(view.children):
        return set()
    wanted = period_view.apply_to_all_children(view, view.children[child_index].child_id, ticked)
    return set(wanted) - ticked


@dataclass(frozen=True)
class SaveResult:
    """Valider's outcome; ``page`` is the period read back when the tables must change."""

    ok: bool
    message: str
    page: PeriodPage | None


def _save(
    actor: ParentActor, period_key: str, wanted: set[CellKey], basket_version: int | None, now: datetime
) -> ApplyResult:
    return get_database().run_write(
        choices.apply_choices,
        now,
        actor.structure_id,
        actor.family_id,
        calendar.Period.parse(period_key),
        wanted,
        basket_version,
        actor.account_id,
    )


def save_choices(
    actor: ParentActor, period_key: str, offset: int, wanted: set[CellKey], basket_version: int | None, *, now: datetime
) -> SaveResult:
    """Valider: the ticked set becomes the family's reservations for the period, in one
    transaction of the write process (every rule is checked again there)."""
    result = _save(actor, period_key, wanted, basket_version, now)
    reload = result.ok or result.message in RELOAD_AFTER
    return SaveResult(result.ok, result.message, period_page(actor, offset, now=now) if reload else None)


@dataclass(frozen=True)
class BasketView:
    """« Valider votre panier maintenant »: the basket, or why it cannot be shown."""

    ok: bool
    error: str = ""  # pending choices could not be saved: nothing else changed
    info: str = ""  # prices changed since the days were ticked
    summary: BasketSummary | None = None
    page: PeriodPage | None = None  # the period read back, when saving or re-pricing changed it
    # Online payment unavailable (provider without its credentials, simulated bank in production):
    # the French sentence the basket shows instead of « Payer ».
    unavailable: str = ""
    # The pending ticks were saved first: what Valider would have said, told to the parent
    # (« Valider votre panier maintenant » never saves silently).
    saved: str = ""


def _reprice_and_summarise(
    session: Session, now: datetime, structure_id: int, family_id: int
) -> tuple[str, BasketSummary]:
    """One write transaction (``run_write``): re-price the basket's lines, then read it back."""
    repriced = basket.reprice_basket(session, now, structure_id, family_id)
    return repriced.message, basket.basket_summary(session, now, structure_id, family_id)


def show_basket(
    actor: ParentActor,
    period_key: str,
    offset: int,
    unsaved: set[CellKey] | None,
    basket_version: int | None,
    *,
    now: datetime,
) -> BasketView:
    """Save the period's pending choices (``unsaved``: the ticked set, None when nothing is
    pending), then the basket with today's prices: the usual case, no price changed, is a read."""
    page = None
    saved_text = ""
    if unsaved is not None:
        saved = _save(actor, period_key, unsaved, basket_version, now)
        if not saved.ok:
            return BasketView(False, error=saved.message)
        saved_text = f"Vos choix non validés ont été validés : {saved.message.rstrip('.')}."
        page = period_page(actor, offset, now=now)
    database = get_database()
    with database.session() as session:
        to_reprice = basket.reprice_basket(session, now, actor.structure_id, actor.family_id, check_only=True).changed
        summary = basket.basket_summary(session, now, actor.structure_id, actor.family_id)
        structure = session.get(Structure, actor.structure_id)
        availability = payment_availability(structure, get_settings()) if structure else None
    unavailable = availability.parent_message if availability and not availability.ok else ""
    info = ""
    if to_reprice:
        info, summary = database.run_write(_reprice_and_summarise, now, actor.structure_id, actor.family_id)
        if info:
            page = period_page(actor, offset, now=now)
    return BasketView(True, info=info, summary=summary, page=page, unavailable=unavailable, saved=saved_text)


@dataclass(frozen=True)
class PayOutcome:
    """« Payer »: where to send the parent (see usecases.payments.PaymentStart), or why not; then
    ``page`` is the period read back (the basket is open again)."""

    ok: bool
    message: str = ""
    redirect_url: str = ""
    paid_reference: str = ""
    page: PeriodPage | None = None


def pay_basket(
    actor: ParentActor,
    offset: int,
    basket_version: int | None,
    *,
    now: datetime,
    answered_at: Callable[[], datetime] | None = None,
) -> PayOutcome:
    """« Payer » from the Réservations page: usecases.payments.start_payment, and on failure the
    period read back for the page. ``answered_at``: the clock, read when a remote provider answers."""
    started = payments.start_payment(actor, basket_version, now=now, answered_at=answered_at)
    if started.ok:
        return PayOutcome(True, redirect_url=started.redirect_url, paid_reference=started.paid_reference)
    return PayOutcome(False, started.message, page=period_page(actor, offset, now=now))


def _waiting(session: Session, now: datetime, structure: Structure, family_id: int) -> WaitingBasket:
    summary = basket.basket_summary(session, now, row_id(structure), family_id)
    periods = sorted(
        {calendar.period_containing(structure.period_mode, line.day) for line in summary.lines}, key=lambda p: p.start
    )
    days_total = summary.total_cents - summary.debt_cents  # the banner counts the days waiting
    return WaitingBasket(len(summary.lines), days_total, tuple(p.label_fr for p in periods), summary.frozen)


def waiting_basket(actor: ParentActor, *, now: datetime) -> WaitingBasket:
    """The family's unpaid basket, summarised (a read: a few rows)."""
    with get_database().session() as session:
        structure = session.get(Structure, actor.structure_id)
        assert structure is not None
        return _waiting(session, now, structure, actor.family_id)
