"""The roll call tests' world (issue 20): demo children booked for the canteen, a « restauration »
cook, and browser-tab-like states logged in as a staff address."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from cantine_portal.models import Account, Child, Reservation, ReservationStatus, Service, Structure
from cantine_portal.services.accounts.sessions import open_session
from cantine_portal.services.accounts.staff import create_staff
from cantine_portal.services.demo import STAFF_EMAIL
from cantine_portal.services.rollcall import marks, sheet
from cantine_portal.state.offload import run_handler

DAY = date(2026, 11, 26)  # the tests' "now" is this Thursday at 10h Paris
COOK = "cuisine@demo.fr"
PASSWORD = "Cantine-Midi-2026!x"


def _one(session, model, **where):
    query = select(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return session.exec(query).first()


@pytest.fixture
def world(database, demo_session, now):
    """Demo commune: Léa, Hugo (Martin) and Emma (Durand, PAI) booked and paid for the canteen on
    DAY; Zoé (Durand) only has a PENDING day (not expected); Léa also has another service's paid
    day; a « restauration » cook beside the demo's administration agent."""
    with database.write_session() as s:
        create_staff(s, now, "demo", COOK, PASSWORD, role="restauration")
        demo = _one(s, Structure, slug="demo")
        canteen = _one(s, Service, structure_id=demo.id, name="Restauration scolaire")
        other_service = s.exec(select(Service).where(Service.structure_id == demo.id, Service.id != canteen.id)).first()
        children = {c.first_name: c for c in s.exec(select(Child)).all()}
        emma = children["Emma"]
        emma.pai, emma.pai_notes = True, "Allergie arachide : trousse dans le bureau"
        zoe = Child(family_id=emma.family_id, last_name="Durand", first_name="Zoé", school=emma.school, class_name="CP")
        s.add_all([emma, zoe])
        s.flush()

        def book(child, status, service=canteen, price=385):
            s.add(
                Reservation(
                    structure_id=demo.id,
                    family_id=child.family_id,
                    child_id=child.id,
                    service_id=service.id,
                    day=DAY,
                    status=status,
                    price_cents=price,
                    created_at=now,
                    updated_at=now,
                )
            )

        for name in ("Léa", "Hugo", "Emma"):
            book(children[name], ReservationStatus.PAID)
        book(children["Léa"], ReservationStatus.PAID, service=other_service, price=150)
        book(zoe, ReservationStatus.PENDING)
        s.flush()
        return {
            "demo": demo.id,
            "canteen": canteen.id,
            "other_service": other_service.id,
            "staff": _one(s, Account, email=STAFF_EMAIL).id,
            "cook": _one(s, Account, email=COOK).id,
            "children": {c.first_name: c.id for c in s.exec(select(Child)).all()},
            "foreign_child": children["Nina"].id,
        }


def _tap(database, now, world, account, child, status, day=DAY):
    with database.write_session() as s:
        return marks.record_mark(
            s,
            now,
            structure_id=world["demo"],
            account_id=world[account],
            service_id=world["canteen"],
            day=day,
            child_id=world["children"][child],
            status=status,
        )


def _sheet(database, world, account="cook", day=DAY):
    with database.session() as s:
        return sheet.roll_call(s, world["demo"], world[account], world["canteen"], day)


def _marks(sheet_):
    return {row.child.first_name: (row.status, row.unbooked) for row in sheet_.rows}


@pytest.fixture
def open_tab(world, database, settings, now, monkeypatch):
    """Opens a back-office state (a browser tab) logged in as a staff address; runs its load."""
    from cantine_portal.state import admin as admin_state
    from cantine_portal.state import admin_rollcall
    from cantine_portal.state.admin import StaffState

    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    monkeypatch.setattr(admin_state.clock, "now", lambda: now)
    monkeypatch.setattr(admin_rollcall.clock, "now", lambda: now)
    monkeypatch.setattr(StaffState, "_current_slug", lambda self: "demo")
    monkeypatch.setattr(StaffState, "_client_ip", lambda self: "127.0.0.1")
    monkeypatch.setattr(StaffState, "router", property(lambda self: _Router()), raising=False)
    jars: dict[int, str] = {}
    monkeypatch.setattr(
        StaffState, "_cookie", lambda self, name: jars.get(id(self)) if name == "cp_staff_demo" else None
    )

    def open_(state_class, address):
        with database.write_session() as s:
            token = open_session(s, now, s.exec(select(Account).where(Account.email == address)).one())
        state = state_class(_reflex_internal_init=True)
        jars[id(state)] = token
        run_handler(state.load())
        return state

    return open_


@pytest.fixture
def tablets(open_tab):
    """Two AdminRollCallState tabs, one per staff account (administration and restauration)."""
    from cantine_portal.state.admin_rollcall import AdminRollCallState

    return [open_tab(AdminRollCallState, STAFF_EMAIL), open_tab(AdminRollCallState, COOK)]


class _Router:
    class url:
        query_parameters: dict[str, str] = {}
        path = "/demo/admin/pointage"


def _row(state, name):
    return next(i for i, row in enumerate(state.rows) if name in row["name"])


def _set_absent_rule(database, world, rule):
    with database.write_session() as s:
        demo = s.get(Structure, world["demo"])
        demo.rollcall_absent_rule = rule
        s.add(demo)
