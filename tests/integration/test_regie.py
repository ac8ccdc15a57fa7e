"""The régie: counter payments, cheque rejections, refunds — each keeps the books exact."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from cantine_portal.models import (
    Account,
    CounterPayment,
    CounterStatus,
    Credit,
    Payment,
    PaymentStatus,
    Receipt,
    Refund,
    Reservation,
    ReservationStatus,
)
from cantine_portal.services.backoffice.access import NotAllowed
from cantine_portal.services.booking.queries import credit_balance
from cantine_portal.services.demo import STAFF_EMAIL
from cantine_portal.services.regie import counter, refunds, rejection
from cantine_portal.services.regie.errors import AlreadyRecorded, RegieError
from tests.integration.test_booking import MON, NOW, THU, TUE, Demo, _load, apply, summary


@pytest.fixture
def d(database, monkeypatch, demo_rows) -> Demo:
    return _load(database, monkeypatch)


def staff(d: Demo) -> int:
    with d.db.session() as s:
        return s.exec(select(Account).where(Account.email == STAFF_EMAIL, Account.structure_id == d.structure)).one().id


def books(s: Session, d: Demo) -> dict[str, int]:
    """Money in (online and counter, less rejected cheques and unexpected-money credits counted once)
    against what it bought: paid days + available credit + refunds."""
    paid_payments = sum(
        p.amount_cents
        for p in s.exec(
            select(Payment).where(Payment.family_id == d.martin, Payment.status == PaymentStatus.SUCCEEDED)
        ).all()
    )
    deposits = sum(
        c.amount_cents
        for c in s.exec(
            select(CounterPayment).where(CounterPayment.family_id == d.martin, CounterPayment.credit_id.is_not(None))
        ).all()
    )  # type: ignore[union-attr]  # SQLModel column operator on an Optional-typed field
    rejected = sum(
        c.amount_cents
        for c in s.exec(
            select(CounterPayment).where(
                CounterPayment.family_id == d.martin, CounterPayment.status == CounterStatus.REJECTED
            )
        ).all()
    )
    paid_days = sum(
        r.price_cents
        for r in s.exec(
            select(Reservation).where(Reservation.family_id == d.martin, Reservation.status == ReservationStatus.PAID)
        ).all()
    )
    refunded = sum(r.amount_cents for r in s.exec(select(Refund).where(Refund.family_id == d.martin)).all())
    return {
        "in": paid_payments + deposits - rejected,
        "out": paid_days + credit_balance(s, d.structure, d.martin) + refunded,
    }


def cheque(amount: int, number: str = "1234567") -> counter.CounterDetails:
    return counter.CounterDetails("cheque", amount, bank="Crédit Agricole", cheque_number=number)


def pay_at_counter(d: Demo, details: counter.CounterDetails, key: str = "k1", now=NOW) -> counter.CounterResult:
    with d.db.write_session() as s:
        return counter.pay_basket(s, now, d.structure, d.martin, staff(d), details, key)


def test_cash_pays_the_open_basket_with_the_next_receipt_number(d):
    assert apply(d, {(d.lea, d.canteen, MON), (d.lea, d.canteen, TUE)}).ok
    total = summary(d).total_cents
    result = pay_at_counter(d, counter.CounterDetails("especes", total))
    with d.db.session() as s:
        receipt = s.get(Receipt, result.receipt_id)
        payment = s.get(Payment, receipt.payment_id)
        assert (payment.provider, payment.method, payment.amount_cents) == ("guichet", "especes", total)
        assert receipt.number.endswith("000001") and receipt.amount_cents == total
        days = s.exec(select(Reservation).where(Reservation.family_id == d.martin)).all()
        assert {r.status for r in days} == {ReservationStatus.PAID}
        assert books(s, d)["in"] == books(s, d)["out"] == total


def test_counter_amount_must_equal_the_basket_and_nothing_changes_when_refused(d):
    assert apply(d, {(d.lea, d.canteen, MON)}).ok
    total = summary(d).total_cents
    with pytest.raises(RegieError, match="diffère du total"):
        pay_at_counter(d, counter.CounterDetails("especes", total + 100))
    with d.db.session() as s:
        assert s.exec(select(func.count()).select_from(Payment)).one() == 0
        assert s.exec(select(func.count()).select_from(CounterPayment)).one() == 0
    assert summary(d).status == "open"


def test_same_form_twice_records_once(d):
    assert apply(d, {(d.lea, d.canteen, MON)}).ok
    total = summary(d).total_cents
    pay_at_counter(d, counter.CounterDetails("especes", total), key="same")
    with pytest.raises(AlreadyRecorded):
        pay_at_counter(d, counter.CounterDetails("especes", total), key="same")
    with d.db.session() as s:
        assert len(s.exec(select(Receipt)).all()) == 1


@pytest.mark.parametrize(
    "details, field",
    [
        (counter.CounterDetails("cheque", 500, bank="", cheque_number="1"), "bank"),
        (counter.CounterDetails("cheque", 500, bank="LBP", cheque_number=""), "cheque_number"),
        (counter.CounterDetails("cesu", 500, cesu_numbers="A1 A2", cesu_count=3), "cesu_count"),
        (counter.CounterDetails("cesu", 500, cesu_numbers="", cesu_count=0), "cesu_numbers"),
        (counter.CounterDetails("virement", 500), "transfer_reference"),
        (counter.CounterDetails("especes", 0), "amount"),
        (counter.CounterDetails("bitcoin", 500), "method"),
    ],
)
def test_counter_details_are_checked(details, field):
    assert field in counter.check_details(details)


def test_deposit_goes_to_credit_then_pays_a_basket(d):
    with d.db.write_session() as s:
        counter.record_credit(
            s,
            NOW,
            d.structure,
            d.martin,
            staff(d),
            counter.CounterDetails("cesu", 5000, cesu_numbers="C1\nC2", cesu_count=2),
            "dep",
        )
    with d.db.session() as s:
        assert credit_balance(s, d.structure, d.martin) == 5000
        assert books(s, d)["in"] == books(s, d)["out"] == 5000
    assert apply(d, {(d.lea, d.canteen, MON)}).ok
    assert summary(d).total_cents == 0  # the credit covers it


def test_rejected_cheque_reopens_future_days_and_gives_back_the_credit_it_used(d):
    with d.db.write_session() as s:  # 1 € of credit, used by the cheque's basket
        s.add(Credit(structure_id=d.structure, family_id=d.martin, amount_cents=100, label="Avoir", created_at=NOW))
    assert apply(d, {(d.lea, d.canteen, MON), (d.lea, d.canteen, TUE)}).ok
    total = summary(d).total_cents
    paid = pay_at_counter(d, cheque(total))
    later = NOW + timedelta(days=3)
    with d.db.write_session() as s:
        result = rejection.reject_cheque(s, later, d.structure, staff(d), paid.counter_payment_id, "Sans provision")
    assert result.reopened_days == 2 and result.debited_cents == 0
    with d.db.session() as s:
        days = s.exec(select(Reservation).where(Reservation.family_id == d.martin)).all()
        assert {r.status for r in days} == {ReservationStatus.PENDING}
        assert credit_balance(s, d.structure, d.martin) == 100
        assert s.exec(select(func.count()).select_from(Receipt)).one() == 1  # the receipt stays, never edited
        # The 1 € avoir given at the start is the only money not paid in: the cheque's amount is gone.
        assert books(s, d)["out"] - books(s, d)["in"] == 100 and books(s, d)["in"] == 0
    assert summary(d, now=later).status == "open"
    with d.db.write_session() as s, pytest.raises(RegieError, match="déjà"):
        rejection.reject_cheque(s, later, d.structure, staff(d), paid.counter_payment_id, "")


def test_rejected_cheque_for_days_already_served_is_debited(d):
    assert apply(d, {(d.lea, d.canteen, MON), (d.lea, d.canteen, THU)}).ok
    total = summary(d).total_cents
    paid = pay_at_counter(d, cheque(total))
    after_monday = NOW + timedelta(days=12)  # Tuesday 8 December: Monday was served, Thursday to come
    with d.db.write_session() as s:
        result = rejection.reject_cheque(s, after_monday, d.structure, staff(d), paid.counter_payment_id, "")
    with d.db.session() as s:
        monday = s.exec(select(Reservation).where(Reservation.day == MON, Reservation.family_id == d.martin)).one()
        assert result.reopened_days == 1 and result.debited_cents == monday.price_cents
        assert credit_balance(s, d.structure, d.martin) == -monday.price_cents
        assert books(s, d)["in"] == books(s, d)["out"]


def test_rejecting_a_cash_payment_is_refused(d):
    assert apply(d, {(d.lea, d.canteen, MON)}).ok
    paid = pay_at_counter(d, counter.CounterDetails("especes", summary(d).total_cents))
    with d.db.write_session() as s, pytest.raises(RegieError, match="Seul un chèque"):
        rejection.reject_cheque(s, NOW, d.structure, staff(d), paid.counter_payment_id, "")


def refund(d: Demo, amount: int, key: str = "r1", method: str = "virement", reference: str = "VIR-1"):
    with d.db.write_session() as s:
        return refunds.refund_credit(s, NOW, d.structure, staff(d), d.martin, amount, method, reference, "Départ", key)


def test_refund_never_exceeds_the_balance_and_is_recorded_once(d):
    with d.db.write_session() as s:
        s.add(Credit(structure_id=d.structure, family_id=d.martin, amount_cents=1200, label="Avoir", created_at=NOW))
    with pytest.raises(RegieError, match="dépasse"):
        refund(d, 1201)
    done = refund(d, 1000)
    assert done.balance_after_cents == 200
    with pytest.raises(AlreadyRecorded):
        refund(d, 1000)  # the same form again: a double click
    with pytest.raises(RegieError, match="dépasse"):
        refund(d, 300, key="r2")
    with d.db.session() as s:
        assert credit_balance(s, d.structure, d.martin) == 200
        assert len(s.exec(select(Refund)).all()) == 1
        # The 12 € avoir is now 2 € available + 10 € refunded.
        assert books(s, d)["in"] == 0 and books(s, d)["out"] == 1200


def test_staff_of_another_commune_or_a_parent_cannot_record(d):
    with d.db.session() as s:
        parent = s.exec(select(Account).where(Account.family_id == d.martin)).first().id
    cash = counter.CounterDetails("especes", 100)
    with d.db.write_session() as s, pytest.raises(NotAllowed):
        counter.record_credit(s, NOW, d.structure, parent, d.martin, cash, "x")
    with d.db.write_session() as s, pytest.raises(NotAllowed):
        counter.record_credit(s, NOW, d.autreville, staff(d), d.martin, cash, "x")
    with d.db.write_session() as s, pytest.raises(RegieError, match="Famille inconnue"):
        counter.record_credit(s, NOW, d.structure, staff(d), d.bernard, cash, "x")  # a family of Autreville
    with d.db.write_session() as s, pytest.raises(RegieError, match="Famille inconnue"):
        refunds.refund_credit(s, NOW, d.structure, staff(d), d.bernard, 100, "especes", "", "", "y")


# --- the journal and its closures -------------------------------------------------------------


def test_journal_lists_every_movement_with_totals_that_reconcile_with_receipts(d, settings):
    from cantine_portal.infra.csv_export import csv_bytes
    from cantine_portal.services.booking import checkout as booking_checkout
    from cantine_portal.services.payments import fulfilment, providers
    from cantine_portal.services.payments.events import ProviderEvent
    from cantine_portal.services.regie import journal

    assert apply(d, {(d.lea, d.canteen, MON)}).ok
    with d.db.write_session() as s:  # online, simulated bank
        started = booking_checkout.begin_checkout(
            s, NOW, d.structure, d.martin, providers.SimulatedBank(NOW), summary(d).version
        )
        online = s.get(Payment, started.payment_id)
        fulfilment.handle_event(
            s,
            NOW,
            settings,
            ProviderEvent("simulated", "e1", "succeeded", online.provider_session_id, online.amount_cents, "eur", "p1"),
        )
    assert apply(d, {(d.lea, d.canteen, MON), (d.lea, d.canteen, TUE)}).ok
    paid = pay_at_counter(d, cheque(summary(d).total_cents))
    with d.db.write_session() as s:
        counter.record_credit(s, NOW, d.structure, d.martin, staff(d), counter.CounterDetails("especes", 2000), "c")
    with d.db.write_session() as s:
        rejection.reject_cheque(s, NOW, d.structure, staff(d), paid.counter_payment_id, "Sans provision")
    refund(d, 500, method="cheque", reference='=HYPERLINK("x")')  # a reference typed as a formula
    with d.db.session() as s:
        j = journal.build_journal(s, d.structure, NOW.date(), NOW.date())
    day_price = online.amount_cents
    assert j.totals == {
        "en ligne:simulated": day_price,
        "guichet:cheque": day_price,
        "guichet:especes": 2000,
        "rejet:cheque": -day_price,
        "remboursement:cheque": -500,
    }
    assert j.net_cents == day_price + 2000 - 500
    assert j.receipts_count == 2 and j.reconciled and j.receipts_cents == 2 * day_price
    assert {m.kind for m in j.movements} >= {"en ligne", "guichet", "rejet", "remboursement"}
    text = csv_bytes(journal.JOURNAL_HEADER, journal.journal_rows(j)).decode("utf-8-sig")
    assert "\"'=HYPERLINK" in text and ';"=HYPERLINK' not in text  # the spreadsheet shows it as text
    assert ";-5,00\r\n" in text  # amounts stay numbers


def test_a_day_is_closed_once_over_and_its_totals_stay_frozen(d):
    from cantine_portal.services.regie import closures

    with d.db.write_session() as s:
        counter.record_credit(s, NOW, d.structure, d.martin, staff(d), counter.CounterDetails("especes", 700), "c")
    with d.db.write_session() as s, pytest.raises(RegieError, match="terminée"):
        closures.close_period(s, NOW, d.structure, staff(d), "day", NOW.date())
    tomorrow = NOW + timedelta(days=1)
    with d.db.write_session() as s:
        closure_id = closures.close_period(s, tomorrow, d.structure, staff(d), "day", NOW.date()).closure_id
    with d.db.write_session() as s, pytest.raises(RegieError, match="déjà clôturée"):
        closures.close_period(s, tomorrow, d.structure, staff(d), "day", NOW.date())
    with d.db.write_session() as s:  # a correction the next day is a new movement of the next day
        refunds.refund_credit(s, tomorrow, d.structure, staff(d), d.martin, 700, "especes", "", "", "r")
    with d.db.session() as s:
        from cantine_portal.models import JournalClosure

        closure = s.get(JournalClosure, closure_id)
        assert closures.check_closure(s, closure)
        assert closures.closed_covering(s, d.structure, NOW.date()).id == closure_id
    with d.db.write_session() as s:  # someone edits the past behind the portal's back: it shows
        row = s.exec(select(CounterPayment)).one()
        row.amount_cents = 1
        s.add(row)
    with d.db.session() as s:
        assert not closures.check_closure(s, s.get(JournalClosure, closure_id))


def test_journal_pdf_is_drawn():
    from cantine_portal.infra.pdf.journal import render_journal

    pdf = render_journal(
        "Commune de Démo",
        "Journal de la régie — 26 novembre 2026",
        [("26/11/2026 10:00", "guichet", "Guichet — Espèces (avoir)", "Martin", "G-1", "7,00")],
        [("Guichet — Espèces", "7,00")],
        ["1 reçu émis"],
        closed_note="Clôturé",
    )
    assert pdf.startswith(b"%PDF")


# --- use cases: what the régisseur does from the back office ----------------------------------


@pytest.fixture
def uc(d, settings, monkeypatch):
    monkeypatch.setattr("cantine_portal.infra.db._active", d.db)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    from cantine_portal.usecases.backoffice.common import StaffActor

    return StaffActor(d.structure, staff(d))


def test_rejected_cheque_tells_the_family_and_shows_in_its_ledger(d, uc, settings):
    from cantine_portal.usecases.backoffice import regie as regie_cases

    assert apply(d, {(d.lea, d.canteen, MON)}).ok
    total = summary(d).total_cents
    done = regie_cases.record_counter_payment(
        uc, now=NOW, family_id=d.martin, pay_basket=True, details=cheque(total), key="form-1"
    )
    assert done.ok and "reçu n°" in done.message
    again = regie_cases.record_counter_payment(
        uc, now=NOW, family_id=d.martin, pay_basket=True, details=cheque(total), key="form-1"
    )
    assert not again.ok and "déjà enregistré" in again.message
    [line] = [x for x in regie_cases.family_ledger(uc, family_id=d.martin) if x.rejectable]
    rejected = regie_cases.reject_cheque(
        uc, now=NOW + timedelta(days=2), counter_payment_id=line.counter_payment_id, reason="Sans provision"
    )
    assert rejected.ok
    import email
    from email import policy

    last = email.message_from_bytes(sorted(settings.mail_dir.glob("*.eml"))[-1].read_bytes(), policy=policy.default)
    assert "Chèque impayé" in last["subject"] and last["to"] == "famille.martin@example.fr"
    assert "de nouveau dans votre panier" in last.get_body(("plain",)).get_content()
    labels = [x.label for x in regie_cases.family_ledger(uc, family_id=d.martin)]
    assert any(label.startswith("Chèque impayé") for label in labels)


def test_refund_use_case_parses_the_amount_and_keeps_the_running_balance(d, uc):
    from cantine_portal.usecases.backoffice import regie as regie_cases

    regie_cases.record_counter_payment(
        uc, now=NOW, family_id=d.martin, pay_basket=False, details=counter.CounterDetails("especes", 2000), key="dep"
    )
    refused = regie_cases.refund_credit(
        uc, now=NOW, family_id=d.martin, amount="25,00", method="virement", reference="VIR-1", reason="", key="r1"
    )
    assert not refused.ok and "dépasse" in refused.message
    assert regie_cases.refund_credit(
        uc, now=NOW, family_id=d.martin, amount="12,50", method="virement", reference="VIR-1", reason="Départ", key="r2"
    ).ok
    balances = [x.balance_cents for x in regie_cases.family_ledger(uc, family_id=d.martin)]
    assert balances == [0, 2000, 750]  # the deposit line, its credit, the refund


def test_journal_csv_and_pdf_downloads(d, uc):
    from cantine_portal.usecases.backoffice import regie as regie_cases

    regie_cases.record_counter_payment(
        uc, now=NOW, family_id=d.martin, pay_basket=False, details=counter.CounterDetails("especes", 2000), key="dep"
    )
    csv_file = regie_cases.journal_csv(uc, kind="month", day=NOW.date())
    assert "Guichet — Espèces" in csv_file.data.decode("utf-8-sig") and csv_file.filename.endswith(".csv")
    assert regie_cases.journal_pdf(uc, kind="day", day=NOW.date(), now=NOW).data.startswith(b"%PDF")
    assert not regie_cases.close_period(uc, now=NOW, kind="day", day=NOW.date()).ok  # not over yet
    assert regie_cases.close_period(uc, now=NOW + timedelta(days=1), kind="day", day=NOW.date()).ok
    assert regie_cases.journal_page(uc, kind="day", day=NOW.date()).closed


def test_factures_lists_the_family_refunds_with_a_consistent_credit(d, uc):
    """Issue 16 item 4: the family sees its refunds (date, amount, method, reference) in Factures,
    and the credit shown there is the one Réservations deducts."""
    from cantine_portal.usecases import payments as payment_cases
    from cantine_portal.usecases.actors import ParentActor
    from cantine_portal.usecases.backoffice import regie as regie_cases

    with d.db.session() as s:
        martin, durand = (
            ParentActor(d.structure, f, s.exec(select(Account).where(Account.family_id == f)).first().id)
            for f in (d.martin, d.durand)
        )
    regie_cases.record_counter_payment(
        uc, now=NOW, family_id=d.martin, pay_basket=False, details=counter.CounterDetails("especes", 2000), key="dep"
    )
    assert regie_cases.refund_credit(
        uc, now=NOW, family_id=d.martin, amount="12,50", method="virement", reference="VIR-77", reason="", key="r1"
    ).ok
    assert regie_cases.refund_credit(
        uc,
        now=NOW + timedelta(days=1),
        family_id=d.martin,
        amount="2",
        method="especes",
        reference="",
        reason="",
        key="r2",
    ).ok
    shown = payment_cases.family_invoices(martin)
    assert [(r.amount_cents, r.method_label, r.reference) for r in shown.refunds] == [
        (200, "Espèces", ""),
        (1250, "Virement", "VIR-77"),
    ]  # newest first
    assert shown.credit_balance_cents == 2000 - 1250 - 200 == summary(d).credit_balance_cents
    assert payment_cases.family_invoices(durand).refunds == []


def test_credit_held_by_a_payment_under_way_cannot_be_refunded(d, settings):
    """Audit (issue 16): the credit a basket in checkout will use is deducted only when the bank
    says yes; refunding it meanwhile would pay the family twice and leave it owing."""
    from cantine_portal.services.booking import checkout as booking_checkout
    from cantine_portal.services.payments import fulfilment, providers
    from cantine_portal.services.payments.events import ProviderEvent

    with d.db.write_session() as s:
        counter.record_credit(s, NOW, d.structure, d.martin, staff(d), counter.CounterDetails("especes", 200), "dep")
    assert apply(d, {(d.lea, d.canteen, MON)}).ok
    with d.db.write_session() as s:
        started = booking_checkout.begin_checkout(
            s, NOW, d.structure, d.martin, providers.SimulatedBank(NOW), summary(d).version
        )
        payment = s.get(Payment, started.payment_id)
        assert payment.credit_cents == 200 and payment.status == PaymentStatus.CREATED
    with pytest.raises(RegieError, match="retenus par un paiement en ligne en cours"):
        refund(d, 200)
    with d.db.write_session() as s:
        fulfilment.handle_event(
            s,
            NOW,
            settings,
            ProviderEvent("simulated", "e1", "succeeded", payment.provider_session_id, payment.amount_cents, "eur"),
        )
    with d.db.session() as s:
        assert credit_balance(s, d.structure, d.martin) == 0  # used by the payment, never below zero
        assert books(s, d)["in"] == books(s, d)["out"]


def test_a_closure_frozen_before_the_credit_kinds_is_checked_on_what_it_froze(d):
    """A day closed before the journal totalled each kind of credit movement (no ``credit_totals``
    in its frozen figures) is still intact when nothing changed."""
    import json

    from cantine_portal.models import JournalClosure
    from cantine_portal.services.regie import closures

    with d.db.write_session() as s:
        counter.record_credit(s, NOW, d.structure, d.martin, staff(d), counter.CounterDetails("especes", 700), "c")
    with d.db.write_session() as s:
        closure_id = closures.close_period(s, NOW + timedelta(days=1), d.structure, staff(d), "day", NOW.date())
    with d.db.write_session() as s:
        closure = s.get(JournalClosure, closure_id.closure_id)
        older = {k: v for k, v in json.loads(closure.totals).items() if k != "credit_totals"}
        closure.totals, closure.digest = json.dumps(older, sort_keys=True), closures.digest(older)
        s.add(closure)
    with d.db.session() as s:
        assert closures.check_closure(s, s.get(JournalClosure, closure_id.closure_id))


def test_rejected_cheque_withdraws_a_day_declared_ill_instead_of_reopening_it(d, settings):
    """Found by the books' property test: the unpaid cheque put back in the basket a day the family
    had declared ill, so the family would have paid again for a day the child stayed home."""
    from cantine_portal.models import Absence, AbsenceDay, AbsenceStatus
    from cantine_portal.services.booking import absences
    from tests.integration.test_absences import png

    assert apply(d, {(d.lea, d.canteen, MON), (d.lea, d.canteen, TUE)}).ok
    paid = pay_at_counter(d, cheque(summary(d).total_cents))
    with d.db.write_session() as s:
        martin = s.exec(select(Account).where(Account.family_id == d.martin)).first()
        declared = absences.declare_absence(
            s,
            settings,
            NOW,
            structure_id=d.structure,
            family_id=d.martin,
            account_id=martin.id,
            child_id=d.lea,
            days=[MON],
            data=png(),
        )
    assert declared.ok, declared.message
    later = NOW + timedelta(days=3)
    with d.db.write_session() as s:
        result = rejection.reject_cheque(s, later, d.structure, staff(d), paid.counter_payment_id, "Sans provision")
    assert result.reopened_days == 1 and result.debited_cents == 0  # Tuesday only
    with d.db.session() as s:
        by_day = {r.day: r.status for r in s.exec(select(Reservation).where(Reservation.family_id == d.martin)).all()}
        assert by_day == {MON: ReservationStatus.CANCELLED, TUE: ReservationStatus.PENDING}
        assert s.exec(select(AbsenceDay)).one().outcome == "withdrawn"
        assert s.exec(select(Absence)).one().status == AbsenceStatus.WITHDRAWN
        assert credit_balance(s, d.structure, d.martin) == 0  # no credit for a day the cheque never paid
        assert books(s, d)["in"] == books(s, d)["out"] == 0
