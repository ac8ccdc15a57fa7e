"""Back-office states: the staff session is re-checked, forged row indexes and ids are refused."""

from __future__ import annotations

import pytest
from sqlmodel import select

from cantine_portal.models import Account, Family, Service
from cantine_portal.services.accounts.sessions import open_session
from cantine_portal.services.accounts.staff import create_staff
from cantine_portal.services.demo import BERNARD_EMAIL, MARTIN_EMAIL, STAFF_EMAIL
from cantine_portal.state.admin import MSG_REFUSED
from cantine_portal.state.offload import run_handler


@pytest.fixture
def cookies(database, demo_session, settings, now, monkeypatch):
    from cantine_portal.state import admin as admin_state
    from cantine_portal.state.admin import StaffState

    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    monkeypatch.setattr(admin_state.clock, "now", lambda: now)
    monkeypatch.setattr(StaffState, "_current_slug", lambda self: "demo")
    monkeypatch.setattr(StaffState, "_client_ip", lambda self: "127.0.0.1")
    monkeypatch.setattr(StaffState, "_staff_login_redirect", lambda self: "redirect-to-staff-login")
    jar: dict[str, str] = {}
    monkeypatch.setattr(StaffState, "_cookie", lambda self, name: jar.get(name))
    return jar


def _token(database, now, address):
    with database.write_session() as s:
        account = s.exec(select(Account).where(Account.email == address)).one()
        return open_session(s, now, account)


def _state(cls):
    return cls(_reflex_internal_init=True)


def test_require_staff_accepts_only_a_staff_session_of_this_commune(cookies, database, now):
    from cantine_portal.state.admin import StaffState

    with database.write_session() as s:
        create_staff(s, now, "autreville", "agent@autreville.fr", "Mairie-Bretonne-2026!x")
    state = _state(StaffState)
    cookies["cp_staff_demo"] = _token(database, now, MARTIN_EMAIL)
    assert state._require_staff() is None and not state.staff_logged_in
    cookies["cp_staff_demo"] = _token(database, now, "agent@autreville.fr")
    assert state._require_staff() is None
    cookies.clear()
    cookies["cp_session_demo"] = _token(database, now, STAFF_EMAIL)  # right token, parents' cookie
    assert state._require_staff() is None
    cookies.clear()
    cookies["cp_staff_demo"] = _token(database, now, STAFF_EMAIL)
    info = state._require_staff()
    assert info is not None and info.email == STAFF_EMAIL and state.staff_logged_in


def test_handlers_do_nothing_without_a_staff_session(cookies, database):
    from cantine_portal.state.admin_config import AdminServicesState

    state = _state(AdminServicesState)
    run_handler(state.load())
    assert state.rows == []
    assert run_handler(state.create({"name": "Piscine", "price": "2", "wd0": "on"})) == "redirect-to-staff-login"
    with database.session() as s:
        assert s.exec(select(Service).where(Service.name == "Piscine")).first() is None


def test_forged_row_indexes_and_foreign_ids_are_refused(cookies, database, now, demo_session):
    from cantine_portal.state.admin_config import AdminServicesState
    from cantine_portal.state.admin_families import AdminFamilyState

    cookies["cp_staff_demo"] = _token(database, now, STAFF_EMAIL)
    services = _state(AdminServicesState)
    run_handler(services.load())
    assert len(services.rows) == 4
    for forged in ("99", "-1", "x", ""):
        run_handler(services.update({"row": forged, "name": "Piratée", "wd0": "on"}))
        assert services.error_message == MSG_REFUSED
    run_handler(services.update({"row": "0", "name": "Cantine", "wd0": "on", "wd1": "on", "active": "on"}))
    assert services.success_message and services.rows[0]["name"] == "Cantine"

    family = _state(AdminFamilyState)
    bernard = demo_session.exec(select(Account).where(Account.email == BERNARD_EMAIL)).one().family_id
    family._family_id = bernard  # an autreville family id reaching the demo back office
    run_handler(family.save_family({"family_name": "Volée", "reference": ""}))
    assert family.error_message == MSG_REFUSED and not family.found
    with database.session() as s:
        assert s.get(Family, bernard).name == "Bernard"


def test_closing_a_day_with_paid_reservations_asks_for_confirmation_first(
    cookies, database, now, demo_session, settings
):
    from datetime import date

    from cantine_portal.models import Child, ClosedDay, Credit, Reservation
    from cantine_portal.state.admin_config import AdminCalendarState

    lea = demo_session.exec(select(Child).where(Child.first_name == "Léa")).one()
    canteen = demo_session.exec(select(Service).where(Service.name == "Restauration scolaire")).first()
    with database.write_session() as s:
        s.add(
            Reservation(
                structure_id=canteen.structure_id,
                family_id=lea.family_id,
                child_id=lea.id,
                service_id=canteen.id,
                day=date(2026, 12, 7),
                status="paid",
                price_cents=385,
                created_at=now,
                updated_at=now,
            )
        )
    cookies["cp_staff_demo"] = _token(database, now, STAFF_EMAIL)
    state = _state(AdminCalendarState)
    run_handler(state.load())
    form = {"day": "2026-12-07", "service": "", "reason": "Panne de chauffage"}
    run_handler(state.close_day(form))
    assert "1 réservation(s) payée(s)" in state.error_message and "confirm" in state.errors
    with database.session() as s:
        assert s.exec(select(ClosedDay).where(ClosedDay.day == date(2026, 12, 7))).first() is None
    run_handler(state.close_day({**form, "confirm": "on"}))
    assert state.success_message.startswith("Fermeture du 07/12/2026 enregistrée")
    with database.session() as s:
        assert s.exec(select(Credit).where(Credit.family_id == lea.family_id)).one().amount_cents == 385


def test_daily_pages_load_and_refuse_forged_rows(cookies, database, now):
    from cantine_portal.models import Document
    from cantine_portal.state.admin_daily import (
        AdminAttendanceState,
        AdminDocumentsState,
        AdminMessagesState,
        AdminPaymentsState,
    )

    cookies["cp_staff_demo"] = _token(database, now, STAFF_EMAIL)
    attendance = _state(AdminAttendanceState)
    run_handler(attendance.load())
    assert attendance.shown and attendance.day == "2026-11-26" and attendance.service_names
    run_handler(attendance.show({"day": "jeudi", "service": "0"}))
    assert attendance.error_message == "Saisissez un jour (jj/mm/aaaa)." and not attendance.shown
    run_handler(attendance.show({"day": "2026-11-26", "service": "99"}))
    assert attendance.error_message == "Choisissez une prestation."

    documents = _state(AdminDocumentsState)
    run_handler(documents.load())
    assert documents.rows and documents.max_size_label
    run_handler(documents.toggle_published(99))
    assert documents.error_message == MSG_REFUSED
    was = documents.rows[0]["published"]
    run_handler(documents.toggle_published(0))
    assert documents.success_message and documents.rows[0]["published"] != was
    with database.session() as s:
        assert len(s.exec(select(Document)).all()) >= len(documents.rows)

    messages = _state(AdminMessagesState)
    run_handler(messages.load())
    run_handler(messages.reply({"row": "0", "reply": "Bonjour"}))
    assert messages.error_message == MSG_REFUSED  # no message: any row is forged

    payments = _state(AdminPaymentsState)
    run_handler(payments.load())
    assert payments.csv_url == "/api/demo/admin/paiements.csv"
    run_handler(payments.filter({"month": "13/2026"}))
    assert payments.error_message == "Choisissez un mois (mm/aaaa)." and payments.month == ""
    run_handler(payments.filter({"month": "2026-11"}))
    assert payments.error_message == "" and payments.csv_url.endswith("?mois=2026-11")


def test_pricing_pages_refuse_forged_rows_and_save_a_checked_grid(cookies, database, now, demo_session):
    from cantine_portal.models import PriceGrid
    from cantine_portal.state.admin_pricing import AdminClaimState, AdminGridsState, AdminQuotientsState

    cookies["cp_staff_demo"] = _token(database, now, STAFF_EMAIL)
    grids = _state(AdminGridsState)
    run_handler(grids.load())
    assert grids.service_names and grids.history and grids.values["price_0"] == "1,00"
    run_handler(grids.choose_service("42"))
    assert grids.error_message == MSG_REFUSED
    run_handler(grids.save())  # nothing checked yet: nothing saved
    run_handler(grids.check({**grids.values, "preview_qf": "640", "valid_from": "2026-12-01"}))
    assert grids.checked and "640" in grids.preview and "2,50" in grids.preview and grids.verdict_ok
    run_handler(grids.save())
    assert grids.success_message.startswith("Grille de « Restauration scolaire »")
    with database.session() as s:
        assert len(s.exec(select(PriceGrid)).all()) == 2
    quotients = _state(AdminQuotientsState)
    run_handler(quotients.load())
    for forged in ("999", "-1", "x"):
        run_handler(
            quotients.add(
                {"family": forged, "qf": "500", "source": "caf", "valid_from": "2026-11-01", "valid_to": "2027-10-31"}
            )
        )
        assert quotients.error_message == MSG_REFUSED
        run_handler(quotients.refuse({"row": forged, "message": "Non"}))
        assert quotients.error_message == MSG_REFUSED
    claim = _state(AdminClaimState)
    run_handler(claim.load())
    assert claim.period == "2026-3" and claim.csv_href.startswith("/api/demo/admin/aide-cantine-1-euro.csv?")
    run_handler(claim.show({"service": "0", "period": "1999-9"}))
    assert claim.error_message == MSG_REFUSED and claim.period == "2026-3"
