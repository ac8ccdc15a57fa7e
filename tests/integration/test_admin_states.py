"""Back-office states: the staff session is re-checked, forged row indexes and ids are refused."""

from __future__ import annotations

import pytest
from sqlmodel import select

from cantine_portal.models import Account, Family, Service
from cantine_portal.services.accounts.login import open_session
from cantine_portal.services.demo import BERNARD_EMAIL, MARTIN_EMAIL, STAFF_EMAIL
from cantine_portal.services.accounts.staff import create_staff
from cantine_portal.state.admin import MSG_REFUSED


@pytest.fixture
def cookies(database, demo_session, settings, now, monkeypatch):
    from cantine_portal.state import admin as admin_state
    from cantine_portal.state import admin_config, admin_daily, admin_families, portal
    from cantine_portal.state.admin import StaffState

    for module in (admin_state, admin_config, admin_daily, admin_families, portal):
        monkeypatch.setattr(module, "get_database", lambda: database)
    for module in (admin_state, admin_config, admin_daily, admin_families):
        monkeypatch.setattr(module, "get_settings", lambda: settings)
    monkeypatch.setattr(admin_state.clock, "now", lambda: now)
    monkeypatch.setattr(StaffState, "current_slug", lambda self: "demo")
    monkeypatch.setattr(StaffState, "client_ip", lambda self: "127.0.0.1")
    monkeypatch.setattr(StaffState, "staff_login_redirect", lambda self: "redirect-to-staff-login")
    jar: dict[str, str] = {}
    monkeypatch.setattr(StaffState, "cookie", lambda self, name: jar.get(name))
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
    assert state.require_staff() is None and not state.staff_logged_in
    cookies["cp_staff_demo"] = _token(database, now, "agent@autreville.fr")
    assert state.require_staff() is None
    cookies.clear()
    cookies["cp_session_demo"] = _token(database, now, STAFF_EMAIL)  # right token, parents' cookie
    assert state.require_staff() is None
    cookies.clear()
    cookies["cp_staff_demo"] = _token(database, now, STAFF_EMAIL)
    info = state.require_staff()
    assert info is not None and info.role == "staff" and state.staff_logged_in


def test_handlers_do_nothing_without_a_staff_session(cookies, database):
    from cantine_portal.state.admin_config import AdminServicesState

    state = _state(AdminServicesState)
    state.load()
    assert state.rows == []
    assert state.create({"name": "Piscine", "price": "2", "wd0": "on"}) == "redirect-to-staff-login"
    with database.session() as s:
        assert s.exec(select(Service).where(Service.name == "Piscine")).first() is None


def test_forged_row_indexes_and_foreign_ids_are_refused(cookies, database, now, demo_session):
    from cantine_portal.state.admin_config import AdminServicesState
    from cantine_portal.state.admin_families import AdminFamilyState

    cookies["cp_staff_demo"] = _token(database, now, STAFF_EMAIL)
    services = _state(AdminServicesState)
    services.load()
    assert len(services.rows) == 4
    for forged in ("99", "-1", "x", ""):
        services.update({"row": forged, "name": "Piratée", "wd0": "on"})
        assert services.error_message == MSG_REFUSED
    services.update({"row": "0", "name": "Cantine", "wd0": "on", "wd1": "on", "active": "on"})
    assert services.success_message and services.rows[0]["name"] == "Cantine"

    family = _state(AdminFamilyState)
    bernard = demo_session.exec(select(Account).where(Account.email == BERNARD_EMAIL)).one().family_id
    family._family_id = bernard  # an autreville family id reaching the demo back office
    family.save_family({"family_name": "Volée", "reference": ""})
    assert family.error_message == MSG_REFUSED and not family.found
    with database.session() as s:
        assert s.get(Family, bernard).name == "Bernard"


def test_closing_a_day_with_paid_reservations_asks_for_confirmation_first(cookies, database, now, demo_session,
                                                                          settings):
    from datetime import date

    from cantine_portal.models import Child, ClosedDay, Credit, Reservation
    from cantine_portal.state.admin_config import AdminCalendarState

    lea = demo_session.exec(select(Child).where(Child.first_name == "Léa")).one()
    canteen = demo_session.exec(select(Service).where(Service.name == "Restauration scolaire")).first()
    with database.write_session() as s:
        s.add(Reservation(structure_id=canteen.structure_id, family_id=lea.family_id, child_id=lea.id,
                          service_id=canteen.id, day=date(2026, 12, 7), status="paid", price_cents=385,
                          created_at=now, updated_at=now))
    cookies["cp_staff_demo"] = _token(database, now, STAFF_EMAIL)
    state = _state(AdminCalendarState)
    state.load()
    form = {"day": "2026-12-07", "service": "", "reason": "Panne de chauffage"}
    state.close_day(form)
    assert "1 réservation(s) payée(s)" in state.error_message and "confirm" in state.errors
    with database.session() as s:
        assert s.exec(select(ClosedDay).where(ClosedDay.day == date(2026, 12, 7))).first() is None
    state.close_day({**form, "confirm": "on"})
    assert state.success_message.startswith("Fermeture du 07/12/2026 enregistrée")
    with database.session() as s:
        assert s.exec(select(Credit).where(Credit.family_id == lea.family_id)).one().amount_cents == 385
