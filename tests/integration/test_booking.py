"""Booking rules (services/booking/) on SQLite with the demo communes; ``now`` always injected."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel, select

from cantine_portal.infra.db import Database
from cantine_portal.models import (
    Basket,
    Child,
    Credit,
    Family,
    Payment,
    Reservation,
    Service,
    ServicePrice,
    Structure,
)
from cantine_portal.services.booking import basket, choices, period_view, settlement
from cantine_portal.services.booking import checkout as booking_checkout
from cantine_portal.services.booking import errors as booking_errors
from cantine_portal.services.booking.checkout import CheckoutSnapshot, ProviderRedirect
from cantine_portal.services.demo import load_demo
from cantine_portal.services.shared.calendar import period_containing

UTC = UTC
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # Thursday 26 Nov 2026, 10:00 Paris
WEEK_30_NOV = period_containing("week", date(2026, 11, 30))
WEEK_7_DEC = period_containing("week", date(2026, 12, 7))
MON, TUE, WED, THU, FRI = (date(2026, 12, 7) + timedelta(days=i) for i in range(5))


@dataclass
class Demo:
    db: Database
    structure: int
    martin: int
    lea: int
    hugo: int
    canteen: int
    morning: int
    evening: int
    wednesday: int
    durand: int
    emma: int
    autreville: int
    bernard: int
    nina: int
    autreville_canteen: int


class FakeProvider:
    """In-memory payment provider: records what it was asked to collect."""

    name = "fake"

    def __init__(self) -> None:
        self.started: list[CheckoutSnapshot] = []

    def start(self, snapshot: CheckoutSnapshot) -> ProviderRedirect:
        self.started.append(snapshot)
        return ProviderRedirect(f"https://bank.example/pay/{snapshot.reference}", f"fake_{snapshot.payment_id}")


@pytest.fixture
def demo(database: Database, monkeypatch, demo_rows) -> Demo:
    return _load(database, monkeypatch)


def _load(database: Database, monkeypatch) -> Demo:
    # Passwords play no part here; argon2 would dominate the run time.
    monkeypatch.setattr("cantine_portal.services.demo._demo_hash", lambda password: "not-a-hash")
    with database.write_session() as s:
        load_demo(s, NOW)
    with database.session() as s:

        def one(model, **where):
            stmt = select(model)
            for k, v in where.items():
                stmt = stmt.where(getattr(model, k) == v)
            return s.exec(stmt).one().id

        demo_id = one(Structure, slug="demo")
        autre_id = one(Structure, slug="autreville")
        return Demo(
            db=database,
            structure=demo_id,
            martin=one(Family, name="Martin"),
            lea=one(Child, first_name="Léa"),
            hugo=one(Child, first_name="Hugo"),
            canteen=one(Service, structure_id=demo_id, name="Restauration scolaire"),
            morning=one(Service, name="Garderie du matin"),
            evening=one(Service, name="Garderie du soir"),
            wednesday=one(Service, name="Accueil de loisirs du mercredi"),
            durand=one(Family, name="Durand"),
            emma=one(Child, first_name="Emma"),
            autreville=autre_id,
            bernard=one(Family, name="Bernard"),
            nina=one(Child, first_name="Nina"),
            autreville_canteen=one(Service, structure_id=autre_id, name="Restauration scolaire"),
        )


def view(d: Demo, period=WEEK_7_DEC, now=NOW, family=None, structure=None):
    with d.db.session() as s:
        return period_view.build_period_view(s, now, structure or d.structure, family or d.martin, period)


def apply(d: Demo, wanted, period=WEEK_7_DEC, now=NOW, version="current", family=None, structure=None):
    if version == "current":
        version = view(d, period, now, family, structure).basket_version
    with d.db.write_session() as s:
        return choices.apply_choices(s, now, structure or d.structure, family or d.martin, period, set(wanted), version)


def summary(d: Demo, now=NOW, family=None):
    with d.db.session() as s:
        return basket.basket_summary(s, now, d.structure, family or d.martin)


def checkout(d: Demo, provider=None, now=NOW):
    provider = provider or FakeProvider()
    with d.db.write_session() as s:
        return booking_checkout.begin_checkout(s, now, d.structure, d.martin, provider, summary(d, now).version)


def pay(d: Demo, now=NOW):
    started = checkout(d, now=now)
    assert started.ok, started.message
    if started.paid:
        return started
    with d.db.write_session() as s:
        payment = s.get(Payment, started.payment_id)
        outcome = settlement.checkout_succeeded(s, now, d.structure, d.martin, payment.id, payment.amount_cents)
    assert outcome.ok, outcome.message
    return started


def reservations(d: Demo, *statuses):
    with d.db.session() as s:
        stmt = select(Reservation)
        if statuses:
            stmt = stmt.where(Reservation.status.in_(statuses))
        return s.exec(stmt.order_by(Reservation.id)).all()


def credit_balance(d: Demo) -> int:
    with d.db.session() as s:
        return sum(c.amount_cents for c in s.exec(select(Credit).where(Credit.family_id == d.martin)).all())


# --- The table: open and closed days ----------------------------------------------------


@pytest.mark.parametrize(
    "service, day, state, reason",
    [
        ("canteen", date(2026, 12, 7), "free", "Libre"),
        ("canteen", date(2026, 12, 9), "closed", "Pas de service le mercredi"),
        ("evening", date(2026, 12, 9), "closed", "Pas de service le mercredi"),
        ("canteen", date(2026, 12, 12), "closed", "Pas de service le samedi"),
        ("canteen", date(2026, 12, 25), "closed", "Jour férié : Noël"),
        ("morning", date(2026, 12, 21), "closed", "Vacances scolaires : Vacances de Noël"),
        ("canteen", date(2026, 12, 18), "free", "Libre"),
    ],
)
def test_open_and_closed_days(demo, service, day, state, reason):
    v = view(demo, period_containing("week", day))
    cell = v.cell((demo.lea, getattr(demo, service), day))
    assert (cell.state, cell.reason, cell.editable) == (state, reason, state == "free")


def test_view_lists_children_by_position_and_enrolled_services(demo):
    v = view(demo)
    assert [c.first_name for c in v.children] == ["Léa", "Hugo"]
    names = [row.name for row in v.children[0].services]
    assert names == ["Restauration scolaire", "Garderie du matin", "Garderie du soir"]  # not Wednesday's
    assert v.days == tuple(WEEK_7_DEC.days)
    cell = v.cell((demo.lea, demo.canteen, MON))
    assert cell.price_cents == 385
    assert cell.label == "Léa — Restauration scolaire — lundi 7 décembre"


# --- Deadlines ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "slug, period, now, locked, text",
    [
        ("demo", WEEK_7_DEC, NOW, False, "Réservations à effectuer avant le jeudi 3 décembre 2026 à 23h59"),
        ("demo", WEEK_30_NOV, NOW, False, "Réservations à effectuer avant le jeudi 26 novembre 2026 à 23h59"),
        ("demo", WEEK_30_NOV, datetime(2026, 11, 26, 22, 59, 59, tzinfo=UTC), False, None),
        ("demo", WEEK_30_NOV, datetime(2026, 11, 26, 23, 0, tzinfo=UTC), True, None),  # 27 Nov 00:00 Paris
        ("demo", period_containing("week", date(2026, 11, 23)), NOW, True, None),
        (
            "autreville",
            period_containing("month", date(2026, 12, 1)),
            NOW,
            False,
            "Réservations à effectuer avant le jeudi 26 novembre 2026 à 12h00",
        ),
        (
            "autreville",
            period_containing("month", date(2026, 12, 1)),
            datetime(2026, 11, 26, 11, 1, tzinfo=UTC),
            True,
            None,
        ),
    ],
)
def test_deadlines(demo, slug, period, now, locked, text):
    structure, family = (demo.structure, demo.martin) if slug == "demo" else (demo.autreville, demo.bernard)
    v = view(demo, period, now, family=family, structure=structure)
    assert v.locked is locked
    if text:
        assert v.deadline_text == text
    if locked:
        assert all(c.state in ("closed", "locked") and not c.editable for c in v.cells())


def test_locked_period_refuses_changes_and_keeps_paid_days(demo):
    apply(demo, {(demo.lea, demo.canteen, date(2026, 12, 3))}, WEEK_30_NOV)
    pay(demo)
    after = datetime(2026, 11, 26, 23, 0, tzinfo=UTC)
    v = view(demo, WEEK_30_NOV, after)
    paid = v.cell((demo.lea, demo.canteen, date(2026, 12, 3)))
    assert (paid.state, paid.checked, paid.editable) == ("paid", True, False)
    # Untick a paid day after the deadline: refused, no credit.
    result = apply(demo, set(), WEEK_30_NOV, after)
    assert not result.ok and result.message == booking_errors.LOCKED_MESSAGE
    # Tick a new day after the deadline: refused.
    result = apply(demo, {paid.key, (demo.hugo, demo.canteen, date(2026, 12, 3))}, WEEK_30_NOV, after)
    assert not result.ok and result.message == booking_errors.LOCKED_MESSAGE
    assert [r.status for r in reservations(demo)] == ["paid"] and credit_balance(demo) == 0
    # Nothing changed: not an error.
    assert apply(demo, {paid.key}, WEEK_30_NOV, after).ok


# --- Totals and Valider ---------------------------------------------------------------


def test_totals_follow_ticks_and_valider_makes_pending_lines(demo):
    wanted = {(demo.lea, demo.canteen, d) for d in (MON, TUE, THU)} | {
        (demo.hugo, demo.canteen, MON),
        (demo.hugo, demo.morning, MON),
        (demo.hugo, demo.evening, FRI),
    }
    v = view(demo)
    per_child, grand = period_view.live_totals(v, wanted | {(demo.lea, demo.canteen, WED)})  # closed: ignored
    assert per_child == {demo.lea: 3 * 385, demo.hugo: 385 + 150 + 210} and grand == 1155 + 745
    result = apply(demo, wanted)
    assert result.ok and result.added == 6 and result.basket_version == 1
    assert "6 jours ajoutés au panier" in result.message
    v = view(demo)
    assert {c.key for c in v.cells() if c.state == "pending"} == wanted
    assert [c.total_cents for c in v.children] == [1155, 745] and v.total_cents == 1900
    s = summary(demo)
    assert (s.subtotal_cents, s.credit_applied_cents, s.total_cents, len(s.lines)) == (1900, 0, 1900, 6)
    assert s.lines[0].child_name == "Léa" and s.lines[0].service_name == "Restauration scolaire"
    # Untick a blue day and Valider: it leaves the basket.
    result = apply(demo, wanted - {(demo.lea, demo.canteen, TUE)})
    assert result.ok and result.removed == 1 and result.basket_version == 2
    assert len(reservations(demo, "pending")) == 5
    assert apply(demo, wanted - {(demo.lea, demo.canteen, TUE)}).message == booking_errors.NO_CHANGE_MESSAGE


def test_apply_to_all_children_copies_open_enrolled_days(demo):
    apply(demo, {(demo.hugo, demo.canteen, FRI)})
    v = view(demo)
    ticked = v.checked() | {(demo.lea, demo.canteen, MON), (demo.lea, demo.evening, THU)}
    result = period_view.apply_to_all_children(v, demo.lea, ticked)
    assert result == ticked | {(demo.hugo, demo.canteen, MON), (demo.hugo, demo.evening, THU)}
    # Default: from what is saved.
    assert period_view.apply_to_all_children(v, demo.hugo) == {
        (demo.hugo, demo.canteen, FRI),
        (demo.lea, demo.canteen, FRI),
    }


# --- Refusals: closed days, other families, other communes, stale baskets ---------------


@pytest.mark.parametrize(
    "case",
    [
        "closed_wednesday",
        "christmas",
        "other_family_child",
        "other_commune_child",
        "not_enrolled",
        "outside_period",
        "family_of_other_commune",
    ],
)
def test_refusals_save_nothing(demo, case):
    good = (demo.lea, demo.canteen, MON)
    period, family, structure = WEEK_7_DEC, None, None
    bad = {
        "closed_wednesday": (demo.lea, demo.canteen, WED),
        "other_family_child": (demo.emma, demo.canteen, MON),
        "other_commune_child": (demo.nina, demo.autreville_canteen, MON),
        "not_enrolled": (demo.lea, demo.wednesday, WED),
        "outside_period": (demo.lea, demo.canteen, date(2026, 12, 14)),
    }.get(case)
    if case == "christmas":
        period = period_containing("week", date(2026, 12, 25))
        good, bad = None, (demo.lea, demo.canteen, date(2026, 12, 25))  # the whole week is holidays
    if case == "family_of_other_commune":
        family, bad = demo.bernard, (demo.nina, demo.autreville_canteen, MON)
    wanted = {bad} | ({good} if good else set())
    with demo.db.write_session() as s:
        result = choices.apply_choices(s, NOW, structure or demo.structure, family or demo.martin, period, wanted, None)
    assert not result.ok
    if case in ("closed_wednesday", "christmas"):
        assert "ne peut pas être réservé" in result.message
        assert "Noël" in result.message or "mercredi" in result.message
    else:
        assert result.message == booking_errors.FORBIDDEN_MESSAGE
    assert reservations(demo) == []


def test_view_of_a_family_of_another_commune_is_refused(demo):
    with pytest.raises(booking_errors.BookingError):
        view(demo, family=demo.bernard)


def test_stale_basket_version_is_refused(demo):
    first = apply(demo, {(demo.lea, demo.canteen, MON)})
    assert first.ok
    # Another tab still holds "no basket" (None) or an older version.
    stale = apply(demo, {(demo.lea, demo.canteen, MON), (demo.hugo, demo.canteen, MON)}, version=None)
    assert not stale.ok and stale.message == booking_errors.STALE_MESSAGE
    stale = apply(demo, {(demo.lea, demo.canteen, MON), (demo.hugo, demo.canteen, MON)}, version=0)
    assert not stale.ok and stale.message == booking_errors.STALE_MESSAGE
    assert len(reservations(demo)) == 1


def test_unique_index_race_gives_a_french_message_and_nothing_half_saved(demo, monkeypatch):
    assert apply(demo, {(demo.lea, demo.canteen, MON)}).ok
    # Simulate the race: the read misses the row another writer just committed.
    monkeypatch.setattr(choices, "active_reservations", lambda *args: [])
    result = apply(demo, {(demo.lea, demo.canteen, TUE), (demo.lea, demo.canteen, MON)}, version=1)
    assert not result.ok and result.message == booking_errors.CONFLICT_MESSAGE
    monkeypatch.undo()
    assert [(r.day, r.status) for r in reservations(demo)] == [(MON, "pending")]
    assert view(demo).basket_version == 1  # the version bump was rolled back too


@pytest.mark.parametrize("second_also_ticks_tuesday", [False, True])
def test_two_writers_at_once_end_with_one_reservation(demo, second_also_ticks_tuesday):
    _race(demo, second_also_ticks_tuesday)


@pytest.mark.postgres
def test_two_writers_at_once_on_postgres(postgres_url, monkeypatch):
    """No BEGIN IMMEDIATE here: both read "no basket"; the unique indexes and the CAS decide."""
    db = Database(postgres_url)
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    SQLModel.metadata.create_all(db.engine)
    try:
        d = _load(db, monkeypatch)
        for tuesday in (False, True) * 5:
            with db.write_session() as s:
                s.execute(text("DELETE FROM reservation"))
                s.execute(text("DELETE FROM basket"))
            _race(d, tuesday)
    finally:
        db.dispose()


def _race(demo: Demo, second_also_ticks_tuesday: bool) -> None:
    wanted = [{(demo.lea, demo.canteen, MON)}, {(demo.lea, demo.canteen, MON)}]
    if second_also_ticks_tuesday:
        wanted[1] = wanted[1] | {(demo.lea, demo.canteen, TUE)}
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker(choice):
        try:
            barrier.wait()
            # Both tabs loaded the page before any basket existed: expected version None.
            with demo.db.write_session() as s:
                results.append(choices.apply_choices(s, NOW, demo.structure, demo.martin, WEEK_7_DEC, choice, None))
        except Exception as exc:  # noqa: BLE001 - any error of the other tab is reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(choice,)) for choice in wanted]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(results) == 2
    winner = [r for r in results if r.added]
    loser = [r for r in results if not r.added]
    assert len(winner) == 1 and len(loser) == 1
    # The loser either finds its choice already saved or is asked to reload: never a duplicate.
    assert loser[0].message in (
        booking_errors.NO_CHANGE_MESSAGE,
        booking_errors.STALE_MESSAGE,
        booking_errors.CONFLICT_MESSAGE,
    )
    active = reservations(demo, "pending")
    assert len({(r.child_id, r.service_id, r.day) for r in active}) == len(active)
    assert len(active) == winner[0].added
    with demo.db.session() as s:
        assert len(s.exec(select(Basket)).all()) == 1


# --- Checkout, payment, credits -------------------------------------------------------


def test_checkout_failure_reopens_the_basket_without_loss_or_double(demo):
    wanted = {(demo.lea, demo.canteen, MON), (demo.hugo, demo.canteen, MON)}
    apply(demo, wanted)
    provider = FakeProvider()
    started = checkout(demo, provider)
    assert started.ok and started.redirect_url.startswith("https://bank.example/pay/P-")
    assert provider.started[0].amount_cents == 770 and len(provider.started[0].lines) == 2
    frozen = summary(demo)
    assert frozen.frozen and frozen.total_cents == 770
    # While the payment is under way, the basket is frozen.
    refused = apply(demo, wanted | {(demo.lea, demo.canteen, TUE)})
    assert not refused.ok and refused.message == booking_errors.CHECKOUT_MESSAGE
    again = checkout(demo)
    assert not again.ok and again.message == booking_errors.CHECKOUT_MESSAGE
    with demo.db.write_session() as s:
        out = settlement.checkout_failed(s, NOW, demo.structure, demo.martin, started.payment_id, "expired")
        assert out.ok and not out.already_done
        assert settlement.checkout_failed(s, NOW, demo.structure, demo.martin, started.payment_id).already_done
    reopened = summary(demo)
    assert reopened.status == "open" and reopened.total_cents == 770 and len(reopened.lines) == 2
    assert {c.key for c in view(demo).cells() if c.state == "pending"} == wanted
    # A late success for the expired payment is not applied.
    with demo.db.write_session() as s:
        late = settlement.checkout_succeeded(s, NOW, demo.structure, demo.martin, started.payment_id, 770)
    assert not late.ok
    pay(demo)
    assert [r.status for r in reservations(demo)] == ["paid", "paid"]
    assert summary(demo).empty and view(demo).basket_version is None


def test_success_checks_amount_owner_and_is_idempotent(demo):
    apply(demo, {(demo.lea, demo.canteen, MON)})
    started = checkout(demo)
    with demo.db.write_session() as s:
        assert not settlement.checkout_succeeded(s, NOW, demo.structure, demo.martin, started.payment_id, 1).ok
        assert not settlement.checkout_succeeded(s, NOW, demo.structure, demo.durand, started.payment_id, 385).ok
        assert not settlement.checkout_failed(s, NOW, demo.autreville, demo.bernard, started.payment_id).ok
        assert settlement.checkout_succeeded(s, NOW, demo.structure, demo.martin, started.payment_id, 385).ok
        again = settlement.checkout_succeeded(s, NOW, demo.structure, demo.martin, started.payment_id, 385)
        assert again.ok and again.already_done
    assert [r.status for r in reservations(demo)] == ["paid"]


def test_cancel_paid_day_creates_credit_used_by_next_basket(demo):
    apply(demo, {(demo.lea, demo.canteen, MON), (demo.lea, demo.canteen, TUE)})
    pay(demo)
    # Untick a green day before the deadline: cancelled, credit of its price.
    result = apply(demo, {(demo.lea, demo.canteen, MON)})
    assert result.ok and result.cancelled == 1 and result.credit_cents == 385
    assert "avoir de 3,85" in result.message
    with demo.db.session() as s:
        credit = s.exec(select(Credit)).one()
    assert credit.amount_cents == 385
    assert credit.label == "Avoir : annulation du mardi 8 décembre 2026 (Léa — Restauration scolaire)"
    assert view(demo).cell((demo.lea, demo.canteen, TUE)).state == "free"
    assert view(demo).credit_balance_cents == 385
    # Next basket: the credit is applied automatically.
    apply(demo, {(demo.lea, demo.canteen, MON), (demo.hugo, demo.morning, MON), (demo.hugo, demo.evening, MON)})
    s = summary(demo)
    assert (s.subtotal_cents, s.credit_applied_cents, s.total_cents) == (360, 360, 0)
    started = pay(demo)
    assert started.paid and started.redirect_url is None  # covered by the credit: no bank
    assert credit_balance(demo) == 25
    # Partially covered next time.
    apply(
        demo,
        {
            (demo.lea, demo.canteen, MON),
            (demo.hugo, demo.morning, MON),
            (demo.hugo, demo.evening, MON),
            (demo.lea, demo.canteen, THU),
        },
    )
    s = summary(demo)
    assert (s.subtotal_cents, s.credit_applied_cents, s.total_cents) == (385, 25, 360)
    pay(demo)
    assert credit_balance(demo) == 0


def test_price_frozen_and_visible_reprice_before_payment(demo):
    # The evening care has a single price (no QF grid; the canteen's grid is tested in test_pricing.py).
    apply(demo, {(demo.lea, demo.evening, MON), (demo.lea, demo.evening, date(2026, 12, 8))})
    with demo.db.write_session() as s:
        s.add(ServicePrice(service_id=demo.evening, valid_from=date(2026, 12, 8), price_cents=250, created_at=NOW))
    v = view(demo)
    assert v.cell((demo.lea, demo.evening, TUE)).price_cents == 210  # frozen
    assert v.cell((demo.lea, demo.evening, THU)).price_cents == 250  # new price for a new day
    provider = FakeProvider()
    started = checkout(demo, provider)
    assert not started.ok and provider.started == []
    assert "2,10\u00a0€ → 2,50\u00a0€" in started.message and "mardi 8 décembre 2026" in started.message
    assert summary(demo).subtotal_cents == 460
    with demo.db.write_session() as s:
        assert basket.reprice_basket(s, NOW, demo.structure, demo.martin).message == ""
    started = checkout(demo, provider)
    assert started.ok and provider.started[0].amount_cents == 460


def test_unpaid_lines_past_their_deadline_leave_the_basket_with_a_message(demo):
    assert apply(demo, {(demo.lea, demo.canteen, date(2026, 12, 3))}, WEEK_30_NOV).ok
    assert apply(demo, {(demo.lea, demo.canteen, MON)}).ok
    after = datetime(2026, 11, 26, 23, 0, tzinfo=UTC)  # week of 30 Nov now locked, week of 7 Dec open
    v = view(demo, WEEK_30_NOV, after)
    assert (
        v.cell((demo.lea, demo.canteen, date(2026, 12, 3))).state,
        v.cell((demo.lea, demo.canteen, date(2026, 12, 3))).editable,
    ) == ("pending", False)
    provider = FakeProvider()
    started = checkout(demo, provider, now=after)
    assert not started.ok and provider.started == []
    assert "jeudi 3 décembre 2026" in started.message
    assert [r.day for r in reservations(demo)] == [MON]
    started = checkout(demo, provider, now=after)
    assert started.ok and provider.started[0].amount_cents == 385
