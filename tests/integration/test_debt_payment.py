"""A family's sum owed to the régie paid online (issue 20, item 3): added to the basket's total,
alone (« Régler la somme due »), at the counter with the basket; on its receipt; owed again when
the cheque that paid it comes back unpaid."""

from __future__ import annotations

import pytest
from sqlmodel import select

from cantine_portal.infra.pdf.receipt import render_receipt
from cantine_portal.models import Credit, CreditKind, Payment, Receipt, Reservation, ReservationStatus
from cantine_portal.services.booking import checkout as booking_checkout
from cantine_portal.services.booking.queries import credit_balance
from cantine_portal.services.payments import fulfilment, providers, receipts, tickets
from cantine_portal.services.payments.events import ProviderEvent
from cantine_portal.services.regie import counter, journal, ledger, rejection
from tests.integration.test_booking import MON, NOW, TUE, Demo, _load, apply, summary
from tests.integration.test_regie import cheque, staff

OWED = 250  # a meal taken without a reservation, billed at the roll call


@pytest.fixture
def d(database, monkeypatch, demo_rows) -> Demo:
    demo = _load(database, monkeypatch)
    with demo.db.write_session() as s:
        s.add(
            Credit(
                structure_id=demo.structure,
                family_id=demo.martin,
                amount_cents=-OWED,
                label="Restauration scolaire du 19/11/2026 sans réservation (Léa) : somme due",
                kind=CreditKind.UNBOOKED,
                created_at=NOW,
            )
        )
    return demo


def _pay_online(d: Demo, settings, version) -> Payment:
    with d.db.write_session() as s:
        started = booking_checkout.begin_checkout(s, NOW, d.structure, d.martin, providers.SimulatedBank(NOW), version)
        assert started.ok, started.message
        payment = s.get(Payment, started.payment_id)
        fulfilment.handle_event(
            s,
            NOW,
            settings,
            ProviderEvent(
                "simulated", "e1", "succeeded", payment.provider_session_id, payment.amount_cents, "eur", "p"
            ),
        )
    with d.db.session() as s:
        return s.get(Payment, started.payment_id)


def _receipt_data(d: Demo, payment: Payment):
    with d.db.session() as s:
        receipt = s.exec(select(Receipt).where(Receipt.payment_id == payment.id)).one()
        return receipts.receipt_data(s, receipt)


def test_the_sum_owed_is_added_to_the_basket_and_settled_with_it(d, settings):
    assert apply(d, {(d.lea, d.canteen, MON), (d.lea, d.canteen, TUE)}).ok
    shown = summary(d)
    assert shown.debt_cents == OWED and shown.credit_applied_cents == 0
    assert shown.total_cents == shown.subtotal_cents + OWED
    payment = _pay_online(d, settings, shown.version)
    assert (payment.status, payment.amount_cents, payment.debt_cents) == ("succeeded", shown.total_cents, OWED)
    with d.db.session() as s:
        assert credit_balance(s, d.structure, d.martin) == 0
        settled = s.exec(select(Credit).where(Credit.kind == CreditKind.DEBT_PAID)).one()
        assert (settled.amount_cents, settled.payment_id) == (OWED, payment.id)
        days = s.exec(select(Reservation).where(Reservation.family_id == d.martin)).all()
        assert {r.status for r in days} == {ReservationStatus.PAID}
    data = _receipt_data(d, payment)
    assert (data.debt_cents, data.total_cents) == (OWED, shown.total_cents) and len(data.lines) == 2
    assert render_receipt(data).startswith(b"%PDF")  # its figures add up (checked before drawing)
    assert summary(d).debt_cents == 0  # nothing owed any more
    with d.db.session() as s:  # the régie's journal: the money is the payment's, the line is a credit move
        j = journal.build_journal(s, d.structure, NOW.date(), NOW.date())
        assert j.credit_totals[journal.UNBOOKED_KIND] == -OWED and j.credit_totals["somme due réglée"] == OWED
        assert j.totals == {"en ligne:simulated": shown.total_cents} and j.reconciled
        natures = [line.kind for line in ledger.family_ledger(s, d.structure, staff(d), d.martin)]
        assert natures[-1] == "somme due réglée" and journal.UNBOOKED_KIND in natures


def test_the_sum_owed_is_paid_alone_without_a_basket(d, settings):
    shown = summary(d)
    assert shown.empty and shown.payable and shown.total_cents == OWED and shown.version is None
    payment = _pay_online(d, settings, None)
    assert (payment.amount_cents, payment.debt_cents) == (OWED, OWED)
    with d.db.session() as s:
        assert credit_balance(s, d.structure, d.martin) == 0
    data = _receipt_data(d, payment)
    assert (data.lines, data.subtotal_cents, data.debt_cents, data.total_cents) == ([], 0, OWED, OWED)
    assert render_receipt(data).startswith(b"%PDF")
    with d.db.session() as s:  # the ticket e-mail says what was paid
        receipt = s.exec(select(Receipt).where(Receipt.payment_id == payment.id)).one()
        mail = tickets.ticket_for_receipt(s, receipt.id, b"%PDF")
    assert "Somme due à la régie réglée : 2,50\u00a0€" in mail.text
    assert not summary(d).payable  # nothing more to pay
    with d.db.write_session() as s:  # and « Payer » again is refused: the basket is empty
        again = booking_checkout.begin_checkout(s, NOW, d.structure, d.martin, providers.SimulatedBank(NOW), None)
        assert not again.ok and "vide" in again.message


def test_at_the_counter_then_the_cheque_comes_back_unpaid(d):
    assert apply(d, {(d.lea, d.canteen, MON)}).ok
    total = summary(d).total_cents
    with d.db.write_session() as s:
        paid = counter.pay_basket(s, NOW, d.structure, d.martin, staff(d), cheque(total), "k1")
    with d.db.session() as s:
        assert credit_balance(s, d.structure, d.martin) == 0
    with d.db.write_session() as s:
        rejected = rejection.reject_cheque(s, NOW, d.structure, staff(d), paid.counter_payment_id, "Sans provision")
    # the day (in the future) goes back to the basket; the sum owed is owed again
    assert rejected.reopened_days == 1 and rejected.debited_cents == OWED
    with d.db.session() as s:
        assert credit_balance(s, d.structure, d.martin) == -OWED
    assert summary(d).debt_cents == OWED


def test_stripe_shows_the_sum_owed_as_a_line_of_its_own():
    snapshot = booking_checkout.CheckoutSnapshot(
        1, "P-1", 1, 1, 385 + OWED, 0, ({"child": "Léa", "service": "Cantine", "price_cents": 385, "day": "x"},), OWED
    )
    items = providers.stripe_line_items(snapshot)
    names = [(i["price_data"]["product_data"]["name"], i["price_data"]["unit_amount"]) for i in items]
    assert names == [("Somme due à la régie", OWED), ("Cantine — Léa", 385)]
    assert sum(i["quantity"] * i["price_data"]["unit_amount"] for i in items) == snapshot.amount_cents
