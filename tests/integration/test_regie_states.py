"""Back-office states of the régie: the family's money forms and the journal page (forged rows
refused, one record per shown form, closure only after confirmation)."""

from __future__ import annotations

from sqlmodel import select

from cantine_portal.models import Account, CounterPayment, JournalClosure
from cantine_portal.services.demo import BERNARD_EMAIL, MARTIN_EMAIL, STAFF_EMAIL
from cantine_portal.state.admin import MSG_REFUSED
from cantine_portal.state.offload import run_handler
from tests.integration.test_admin_states import _state, _token, cookies  # noqa: F401  (fixture)


def _family_id(session, address: str) -> int:
    return session.exec(select(Account).where(Account.email == address)).one().family_id


def _money_state(database, now, demo_session, cookies, address=MARTIN_EMAIL):
    from cantine_portal.state.admin_family_money import AdminFamilyMoneyState

    cookies["cp_staff_demo"] = _token(database, now, STAFF_EMAIL)
    state = _state(AdminFamilyMoneyState)
    state._family_id = _family_id(demo_session, address)
    run_handler(state.refresh())
    return state


CHEQUE = {
    "method": "cheque",
    "amount": "20,00",
    "bank": "Crédit Agricole",
    "cheque_number": "1234567",
    "target": "credit",
}


def test_a_counter_form_records_once_and_shows_in_the_ledger(cookies, database, now, demo_session):
    state = _money_state(database, now, demo_session, cookies)
    run_handler(state.record_payment(CHEQUE))
    assert state.success_message and state.form == "counter"
    run_handler(state.refresh())
    cheque = [line for line in state.ledger if line["label"].startswith("Guichet — Chèque")]
    assert len(cheque) == 1 and cheque[0]["rejectable"] == "1" and cheque[0]["paid"] == "20,00\u00a0€"
    assert state.balance == "20,00\u00a0€"
    # the same shown form sent twice (a double click before the page refreshed) records one payment
    key = state._counter_key
    run_handler(state.record_payment(CHEQUE))
    state._counter_key = key
    run_handler(state.record_payment(CHEQUE))
    assert "déjà enregistré" in state.error_message
    with database.session() as s:
        assert len(s.exec(select(CounterPayment)).all()) == 2


def test_counter_fields_get_their_own_french_message(cookies, database, now, demo_session):
    state = _money_state(database, now, demo_session, cookies)
    run_handler(state.record_payment({**CHEQUE, "bank": "", "amount": "douze"}))
    assert set(state.errors) >= {"bank", "amount"} and not state.success_message
    assert state.errors["bank"] == "Indiquez la banque du chèque."
    with database.session() as s:
        assert s.exec(select(CounterPayment)).first() is None


def test_forged_rows_cannot_reject_a_cheque(cookies, database, now, demo_session):
    state = _money_state(database, now, demo_session, cookies)
    run_handler(state.record_payment({"method": "especes", "amount": "5", "target": "credit"}))
    run_handler(state.refresh())
    cash_row = str(next(i for i, line in enumerate(state.ledger) if line["label"].startswith("Guichet — Espèces")))
    for forged in ("99", "-1", "x", "", cash_row):
        state.error_message = ""
        run_handler(state.reject_cheque({"row": forged, "reason": "Provision insuffisante"}))
        assert state.error_message == (
            MSG_REFUSED if forged != cash_row else "Seul un chèque peut être enregistré comme impayé."
        )
        assert not state.success_message
    with database.session() as s:
        assert all(c.rejected_at is None for c in s.exec(select(CounterPayment)).all())


def test_rejecting_a_cheque_row_reverses_it(cookies, database, now, demo_session):
    state = _money_state(database, now, demo_session, cookies)
    run_handler(state.record_payment(CHEQUE))
    run_handler(state.refresh())
    row = next(i for i, line in enumerate(state.ledger) if line["rejectable"] == "1")
    run_handler(state.reject_cheque({"row": str(row), "reason": "Provision insuffisante"}))
    assert state.success_message, state.error_message
    run_handler(state.refresh())
    assert any(line["label"].startswith("Chèque impayé") for line in state.ledger)
    assert all(line["rejectable"] == "" for line in state.ledger)


def test_refund_beyond_the_balance_or_elsewhere_is_refused(cookies, database, now, demo_session):
    state = _money_state(database, now, demo_session, cookies)
    run_handler(state.record_payment({"method": "especes", "amount": "10", "target": "credit"}))
    run_handler(state.refund({"amount": "10,01", "method": "virement", "reference": "VIR-1", "reason": "Départ"}))
    assert state.error_message and not state.success_message
    run_handler(state.refund({"amount": "10", "method": "virement", "reference": "VIR-1", "reason": "Départ"}))
    assert state.success_message
    run_handler(state.refresh())
    assert state.balance == "0,00\u00a0€"
    state._family_id = _family_id(demo_session, BERNARD_EMAIL)  # a family of autreville
    run_handler(state.refund({"amount": "1", "method": "especes", "reference": "", "reason": ""}))
    assert state.error_message and not state.success_message


def test_journal_page_closes_only_after_confirmation(cookies, database, now, demo_session):
    from cantine_portal.state.admin_regie import AdminRegieState

    cookies["cp_staff_demo"] = _token(database, now, STAFF_EMAIL)
    state = _state(AdminRegieState)
    run_handler(state.load())
    assert state.title.startswith("Journal de la régie") and state.csv_url.startswith("/api/demo/admin/journal.csv")
    run_handler(state.show({"kind": "day", "day": "27/11"}))
    assert state.errors == {"day": "Date invalide (par exemple 27/11/2026)."}
    run_handler(state.show({"kind": "year", "day": "2026-11-02"}))
    assert "kind" in state.errors
    run_handler(state.show({"kind": "day", "day": "2026-11-02"}))
    assert state.errors == {} and state.day == "2026-11-02"
    run_handler(state.confirm_close())  # no confirmation asked: nothing closes
    with database.session() as s:
        assert s.exec(select(JournalClosure)).first() is None
    run_handler(state.ask_close())
    assert state.confirming
    run_handler(state.confirm_close())
    assert state.closed and state.closed_label.startswith("Période clôturée") and state.success_message
    with database.session() as s:
        assert s.exec(select(JournalClosure)).one().kind == "day"


def test_payments_filter_by_provider_or_method(cookies, database, now, demo_session):
    from cantine_portal.state.admin_daily import AdminPaymentsState

    cookies["cp_staff_demo"] = _token(database, now, STAFF_EMAIL)
    state = _state(AdminPaymentsState)
    run_handler(state.load())
    assert ["guichet:cheque", "Guichet — Chèque"] in state.provider_options
    run_handler(state.filter({"month": "", "provider": "payfip"}))
    assert state.rows == [] and state.csv_url.endswith("paiements.csv?moyen=payfip")
    run_handler(state.filter({"month": "", "provider": "banque-pirate"}))
    assert state.error_message.startswith("Choisissez un prestataire") and state.provider == "payfip"
