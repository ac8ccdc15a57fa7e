"""The régie's journal classifies every movement, each with its own kind, and its totals reconcile
with the receipts, the payments and the families' credit (issue 16, item 5)."""

from __future__ import annotations

from sqlmodel import select

from cantine_portal.models import Credit, CreditKind, Payment, Reservation, ReservationStatus
from cantine_portal.services.booking import checkout as booking_checkout
from cantine_portal.services.booking.queries import credit_balance
from cantine_portal.services.payments import fulfilment, providers
from cantine_portal.services.payments.events import ProviderEvent
from cantine_portal.services.regie import counter, journal, ledger, refunds, rejection
from tests.integration.test_booking import MON, NOW, THU, TUE, Demo, apply, summary
from tests.integration.test_payfip import _answer, apply_answer, d, settings, systempay_checkout  # noqa: F401
from tests.integration.test_regie import books, cheque, staff


def _simulated(d: Demo, settings, amount_delta: int = 0) -> Payment:
    """The open basket paid through the simulated bank (``amount_delta``: the bank sends another sum)."""
    with d.db.write_session() as s:
        started = booking_checkout.begin_checkout(
            s, NOW, d.structure, d.martin, providers.SimulatedBank(NOW), summary(d).version
        )
        online = s.get(Payment, started.payment_id)
        amount = online.amount_cents + amount_delta
        event = ProviderEvent("simulated", f"e{online.id}", "succeeded", online.provider_session_id, amount, "eur", "p")
        fulfilment.handle_event(s, NOW, settings, event)
        return online


def _every_movement(d: Demo, settings) -> dict[str, int]:
    """One of each: online (two providers), counter (two methods, a basket and a deposit), a
    rejection of each kind, a refund, credits issued, used, given back and taken back, and
    money a provider sent with no basket to pay. Returns the expected money per channel."""
    provider, payment, fields = systempay_checkout(d, settings)  # Monday
    assert apply_answer(d, settings, provider, _answer(fields, payment)).outcome == "paid"  # en ligne:systempay
    assert apply(d, {(d.lea, d.canteen, MON), (d.lea, d.canteen, TUE)}).ok
    simulated = _simulated(d, settings)  # Tuesday: en ligne:simulated
    cancelled = apply(d, {(d.lea, d.canteen, MON)})  # Tuesday unticked once paid: avoir émis
    assert cancelled.ok and cancelled.credit_cents == simulated.amount_cents
    assert apply(d, {(d.lea, d.canteen, MON), (d.lea, d.canteen, TUE), (d.lea, d.canteen, THU)}).ok
    basket_total = summary(d).total_cents
    assert 0 < basket_total < summary(d).subtotal_cents  # the credit takes its part: avoir utilisé
    with d.db.write_session() as s:
        paid = counter.pay_basket(s, NOW, d.structure, d.martin, staff(d), cheque(basket_total), "k1")
    with d.db.write_session() as s:  # the cheque comes back: days reopened, the credit it used given back
        rejection.reject_cheque(s, NOW, d.structure, staff(d), paid.counter_payment_id, "Sans provision")
    late = _simulated(d, settings, amount_delta=100)  # a wrong amount: money in, to the credit (trop-perçu)
    with d.db.write_session() as s:  # deposits by cash and by cheque
        counter.record_credit(s, NOW, d.structure, d.martin, staff(d), counter.CounterDetails("especes", 2000), "c1")
        deposit = counter.record_credit(s, NOW, d.structure, d.martin, staff(d), cheque(1000, "77"), "c2")
    with d.db.write_session() as s:  # the deposit's cheque comes back: taken back from the credit
        rejection.reject_cheque(s, NOW, d.structure, staff(d), deposit.counter_payment_id, "")
    with d.db.write_session() as s:
        refunds.refund_credit(s, NOW, d.structure, staff(d), d.martin, 500, "virement", "VIR-9", "", "r1")
    return {
        "en ligne:simulated": simulated.amount_cents,
        "en ligne:systempay": payment.amount_cents,
        "guichet:cheque": basket_total + 1000,
        "guichet:especes": 2000,
        "rejet:cheque": -(basket_total + 1000),
        "remboursement:virement": -500,
        "trop-perçu:simulated": late.amount_cents + 100,
    }


def test_journal_gives_each_movement_its_own_kind_and_totals_reconcile(d, settings):
    expected = _every_movement(d, settings)
    with d.db.session() as s:
        j = journal.build_journal(s, d.structure, NOW.date(), NOW.date())
        credits = s.exec(select(Credit).where(Credit.family_id == d.martin)).all()
        balance = credit_balance(s, d.structure, d.martin)
        money = books(s, d)
    assert j.totals == expected
    kinds = {m.kind for m in j.movements}
    assert kinds == {
        "en ligne",
        "guichet",
        "rejet",
        "remboursement",
        "trop-perçu",
        "avoir émis",
        "avoir utilisé",
        "avoir rendu après impayé",
        "avoir repris après impayé",
    }
    by_kind = {kind: sum(c.amount_cents for c in credits if c.kind == kind) for kind in CreditKind}
    assert j.credit_totals == {
        "avoir émis": by_kind[CreditKind.CANCELLATION],
        "avoir utilisé": by_kind[CreditKind.USED],
        "avoir rendu après impayé": by_kind[CreditKind.RESTORED],
        "avoir repris après impayé": by_kind[CreditKind.TAKEN_BACK],
    }
    # The credit given back after the rejection is what the cheque's basket had used; what the
    # deposit cheque had put on the credit is taken back. Neither is money that came in.
    assert by_kind[CreditKind.RESTORED] == -by_kind[CreditKind.USED] > 0
    assert by_kind[CreditKind.TAKEN_BACK] == -1000
    assert by_kind[CreditKind.OVERPAYMENT] == expected["trop-perçu:simulated"]
    # Reconciled: receipts = receipted payments; net = money in less refunds; the credit
    # balance = deposits + trop-perçu − refunds + the credit movements that moved no money.
    assert j.reconciled and j.receipts_count == 3
    assert (
        j.receipts_cents
        == expected["en ligne:simulated"] + expected["en ligne:systempay"] + expected["guichet:cheque"] - 1000
    )
    # (test_regie.books counts payments and deposits less rejections; the trop-perçu comes on top.)
    unexpected = expected["trop-perçu:simulated"]
    assert j.net_cents == sum(expected.values()) == money["in"] + unexpected - 500
    assert money["in"] + unexpected == money["out"]
    assert balance == 2000 + 1000 + expected["trop-perçu:simulated"] - 500 + sum(j.credit_totals.values())
    text = journal.credit_summary(j)
    assert "avoir rendu après impayé" in text and "avoir repris après impayé" in text


def test_journal_csv_totals_each_channel_and_each_kind_of_credit(d, settings, monkeypatch):
    from cantine_portal.usecases.backoffice import regie as regie_cases
    from cantine_portal.usecases.backoffice.common import StaffActor

    _every_movement(d, settings)
    monkeypatch.setattr("cantine_portal.infra.db._active", d.db)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    text = regie_cases.journal_csv(StaffActor(d.structure, staff(d)), kind="day", day=NOW.date()).data.decode(
        "utf-8-sig"
    )
    assert ";total;Trop-perçu — Paiement simulé;;;4,85\r\n" in text
    assert ";total (sans encaissement);avoir repris après impayé;;;-10,00\r\n" in text
    assert ";trop-perçu;Trop-perçu — Paiement simulé (porté en avoir);Martin;" in text


def test_family_ledger_tells_trop_percu_from_credit_given_back(d, settings):
    _every_movement(d, settings)
    with d.db.session() as s:
        lines = ledger.family_ledger(s, d.structure, staff(d), d.martin)
    natures = [line.kind for line in lines]
    for nature in (
        "en ligne",
        "guichet",
        "rejet",
        "remboursement",
        "versement",
        "trop-perçu",
        "avoir émis",
        "avoir utilisé",
        "avoir rendu après impayé",
        "avoir repris après impayé",
    ):
        assert nature in natures, nature
    [given_back] = [line for line in lines if line.kind == "avoir rendu après impayé"]
    assert given_back.label.startswith("Avoir rendu après chèque impayé")
    [unexpected] = [line for line in lines if line.kind == "trop-perçu"]
    assert unexpected.credit_cents > 0 and "impayé" not in unexpected.label
    assert lines[-1].balance_cents == sum(line.credit_cents for line in lines)


def test_rejection_reopens_the_days_of_the_cheque(d, settings):
    _every_movement(d, settings)
    with d.db.session() as s:
        pending = s.exec(
            select(Reservation).where(
                Reservation.family_id == d.martin, Reservation.status == ReservationStatus.PENDING
            )
        ).all()
    assert {r.day for r in pending} == {TUE, THU}
