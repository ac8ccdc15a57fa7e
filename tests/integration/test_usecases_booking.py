"""Réservations and payment use cases, as a parent's actions: one call each, ids from the session.

The database and the settings are chosen the way the portal's code finds them
(``infra.db._active``, ``config._active``); the clock is always passed in.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from cantine_portal.infra.db import Database
from cantine_portal.models import Account, Credit, Payment, Receipt, Reservation
from cantine_portal.services.booking import errors as booking_errors
from cantine_portal.services.payments import events
from cantine_portal.usecases import booking, payments
from cantine_portal.usecases.actors import ParentActor
from tests.integration.test_booking import MON, NOW, TUE, Demo, _load


@pytest.fixture
def d(database: Database, settings, monkeypatch, demo_rows) -> Demo:
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    return _load(database, monkeypatch)


def _actor(d: Demo, family_id: int) -> ParentActor:
    with d.db.session() as s:
        account = s.exec(select(Account).where(Account.family_id == family_id)).first()
    return ParentActor(d.structure, family_id, account.id)


@pytest.fixture
def martin(d) -> ParentActor:
    return _actor(d, d.martin)


@pytest.fixture
def durand(d) -> ParentActor:
    return _actor(d, d.durand)


def _week_of_7_dec(actor: ParentActor) -> booking.PeriodPage:
    page = booking.open_reservations(actor, now=NOW)
    return booking.period_page(actor, page.offset + 1, now=NOW)


def _book(d: Demo, actor: ParentActor, days=(MON, TUE)) -> booking.PeriodPage:
    page = _week_of_7_dec(actor)
    saved = booking.save_choices(
        actor,
        page.view.period.key,
        page.offset,
        {(d.lea, d.canteen, day) for day in days},
        page.view.basket_version,
        now=NOW,
    )
    assert saved.ok and saved.page is not None
    return saved.page


def _pay_at_the_bank(d: Demo, actor: ParentActor, page: booking.PeriodPage) -> Payment:
    started = payments.start_payment(actor, page.view.basket_version, now=NOW)
    assert started.ok and started.redirect_url.startswith("/banque-simulee/sim_")
    with d.db.session() as s:
        payment = s.exec(select(Payment)).one()
    result = payments.receive_notification(
        events.ProviderEvent(
            "simulated",
            "evt_1",
            "succeeded",
            payment.provider_session_id,
            payment.amount_cents,
            "eur",
            "pay_1",
            "{}",
            "payment.succeeded",
        ),
        now=NOW,
    )
    assert result.outcome == "paid" and result.receipt_id is not None
    return payment


def test_load_lands_on_the_first_open_week_with_the_familys_children_only(d, martin, durand):
    page = booking.open_reservations(martin, now=NOW)
    assert page.view.period.label_fr == "Semaine du 30 novembre au 6 décembre 2026"
    assert page.offset == 1 and page.period_mode == "week" and page.can_go_back and page.can_go_forward
    assert [c.first_name for c in page.view.children] == ["Léa", "Hugo"]
    assert [c.first_name for c in booking.open_reservations(durand, now=NOW).view.children] == ["Emma"]
    # Navigation stops twelve weeks ahead, whatever offset the tab asks for.
    far = booking.period_page(martin, 99, now=NOW)
    assert far.offset == booking.RANGE["week"][1] and not far.can_go_forward


def test_valider_saves_and_reads_the_period_back(d, martin):
    page = _book(d, martin)
    lea = page.view.children[0]
    assert {c.day for row in lea.services for c in row.cells if c.checked} == {MON, TUE}
    with d.db.session() as s:
        assert sorted(r.day for r in s.exec(select(Reservation))) == [MON, TUE]


def test_valider_with_another_familys_child_is_refused_and_saves_nothing(d, martin):
    page = _week_of_7_dec(martin)
    result = booking.save_choices(
        martin, page.view.period.key, page.offset, {(d.emma, d.canteen, MON)}, page.view.basket_version, now=NOW
    )
    assert not result.ok and result.page is None
    with d.db.session() as s:
        assert s.exec(select(Reservation)).all() == []


def test_stale_valider_reads_the_period_back(d, martin):
    page = _book(d, martin)
    result = booking.save_choices(
        martin, page.view.period.key, page.offset, {(d.lea, d.canteen, MON)}, page.view.basket_version - 1, now=NOW
    )
    assert not result.ok and result.message == booking_errors.STALE_MESSAGE and result.page is not None


def test_apply_to_all_children_ticks_the_others_and_saves_nothing(d, martin):
    page = _week_of_7_dec(martin)
    added = booking.days_for_all_children(martin, page.view.period.key, 0, {(d.lea, d.canteen, MON)}, now=NOW)
    assert added == {(d.hugo, d.canteen, MON)}
    assert booking.days_for_all_children(martin, page.view.period.key, 5, {(d.lea, d.canteen, MON)}, now=NOW) == set()
    with d.db.session() as s:
        assert s.exec(select(Reservation)).all() == []


def test_show_basket_saves_pending_ticks_first_and_is_the_familys_own(d, martin, durand):
    page = _week_of_7_dec(martin)
    shown = booking.show_basket(
        martin, page.view.period.key, page.offset, {(d.lea, d.canteen, MON)}, page.view.basket_version, now=NOW
    )
    assert shown.ok and shown.page is not None and shown.summary is not None
    assert [(line.child_name, line.day) for line in shown.summary.lines] == [("Léa", MON)]
    other = booking.show_basket(durand, page.view.period.key, page.offset, None, None, now=NOW)
    assert other.ok and other.summary is not None and other.summary.empty


def test_pay_then_notification_then_return_page_receipts_and_pdf(d, martin, durand, settings):
    payment = _pay_at_the_bank(d, martin, _book(d, martin))
    shown = payments.payment_return(martin, payment.reference, now=NOW)
    assert shown.status == "paid" and shown.amount_cents == 770 and shown.receipt_number == "2026-000001"
    assert [(line.child, line.day, line.price_cents) for line in shown.lines] == [("Léa", MON, 385), ("Léa", TUE, 385)]
    # Another family never sees it: not on the return page, not in Factures, not as a PDF.
    assert payments.payment_return(durand, payment.reference, now=NOW).status == "unknown"
    assert payments.family_receipts(durand) == []
    [row] = payments.family_receipts(martin)
    assert payments.receipt_file(durand, row.id) is None
    pdf = payments.receipt_file(martin, row.id)
    assert pdf is not None and pdf.data.startswith(b"%PDF") and pdf.filename == "recu-2026-000001.pdf"
    assert payments.receipt_download("demo", None, row.id, now=NOW) is None


def test_return_page_before_the_bank_answers_is_pending_and_the_bank_page_shows_the_payment(d, martin):
    payments.start_payment(martin, _book(d, martin).view.basket_version, now=NOW)
    with d.db.session() as s:
        payment = s.exec(select(Payment)).one()
    assert payments.payment_return(martin, payment.reference, now=NOW).status == "pending"
    bank = payments.simulated_bank_page(payment.provider_session_id)
    assert bank is not None and bank.open and bank.amount_cents == 770
    assert bank.return_path == f"/demo/paiement/retour?ref={payment.reference}"
    assert payments.simulated_bank_page("sim_unknown") is None
    signed = payments.simulated_bank_notification("payment.succeeded", payment.provider_session_id, 770, now=NOW)
    assert signed.url.endswith("/api/paiement/simule/notification") and "x-cantine-signature" in signed.headers
    # An expired checkout reopens the basket when the family comes back.
    later = NOW + timedelta(hours=2)
    assert payments.payment_return(martin, payment.reference, now=later).status == "failed"


def test_basket_covered_by_credit_is_paid_at_once(d, martin):
    with d.db.write_session() as s:
        s.add(Credit(structure_id=d.structure, family_id=d.martin, amount_cents=10_000, label="Avoir", created_at=NOW))
    page = _book(d, martin)
    outcome = booking.pay_basket(martin, page.offset, page.view.basket_version, now=NOW)
    assert outcome.ok and outcome.paid_reference and outcome.redirect_url == ""
    with d.db.session() as s:
        assert s.exec(select(Receipt)).one().amount_cents == 0


def test_refused_payment_reads_the_period_back(d, martin):
    page = _book(d, martin)
    outcome = booking.pay_basket(martin, page.offset, page.view.basket_version - 1, now=NOW)
    assert not outcome.ok and outcome.message and outcome.page is not None
