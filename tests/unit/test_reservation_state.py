"""The Réservations page state, called directly (no browser): forged keys, live totals, Valider."""

from __future__ import annotations

import asyncio

from datetime import date

import pytest
import reflex as rx
from sqlmodel import select

import cantine_portal.cantine_portal  # noqa: F401  (registers the states)
from cantine_portal import clock
from cantine_portal.models import Family, Reservation, Structure
from cantine_portal.services.demo import load_demo
from cantine_portal.state import reservations as reservations_state
from cantine_portal.state.reservations import ReservationState
from tests.conftest import NOW


@pytest.fixture
def state(database, monkeypatch):
    monkeypatch.setattr("cantine_portal.services.demo.hash_password", lambda password: "not-a-hash")
    with database.write_session() as s:
        load_demo(s, NOW)
    with database.session() as s:
        structure_id = s.exec(select(Structure.id).where(Structure.slug == "demo")).one()
        family_id = s.exec(select(Family.id).where(Family.name == "Martin")).one()
    monkeypatch.setattr(reservations_state, "get_database", lambda: database)
    monkeypatch.setattr(clock, "now", lambda: NOW)

    def require_parent(self):
        self._structure_id, self._family_id, self.logged_in = structure_id, family_id, True
        return True

    monkeypatch.setattr(ReservationState, "require_parent", require_parent)
    root = rx.State(_reflex_internal_init=True)
    st = root.get_substate(ReservationState.get_full_name().split(".")[1:])
    asyncio.run(st.load())
    return st


def _key(st, child: str, service: str, day_text: str) -> str:
    for table in st.tables:
        if table.name != child:
            continue
        column = table.services.index(service)
        for day in table.days:
            if day.text == day_text:
                return day.cells[column].key
    raise AssertionError((child, service, day_text))


def test_lands_on_first_open_week_with_no_ids_in_public_vars(state):
    assert state.period_label == "Semaine du 30 novembre au 6 décembre 2026"
    assert state.deadline_text == "Réservations à effectuer avant le jeudi 26 novembre 2026 à 23h59."
    assert [t.name for t in state.tables] == ["Léa", "Hugo"]
    assert all(set(cell.key.split("-")) <= set("0123456") for t in state.tables for d in t.days for cell in d.cells)


def test_tick_changes_only_the_selection_and_totals(state):
    key = _key(state, "Léa", "Restauration scolaire", "lundi 30 novembre")
    state.dirty_vars.clear()
    state.toggle(key)
    assert state.dirty_vars <= {"ticked", "child_totals", "grand_total", "unsaved_count"}
    assert state.unsaved_count == 1
    assert state.child_totals[0].startswith("3,85") and state.grand_total.startswith("3,85")
    state.toggle(key)
    assert state.grand_total.startswith("0,00") and state.unsaved_count == 0


def test_changing_period_with_unsaved_ticks_is_refused(state):
    state.toggle(_key(state, "Hugo", "Garderie du matin", "vendredi 4 décembre"))
    asyncio.run(state.next_period())
    assert state.error_message == reservations_state.UNSAVED_MESSAGE
    assert state.period_label == "Semaine du 30 novembre au 6 décembre 2026" and state.unsaved_count == 1
    asyncio.run(state.validate())
    assert state.unsaved_count == 0
    asyncio.run(state.next_period())
    assert state.period_label == "Semaine du 7 au 13 décembre 2026"


def test_forged_or_closed_keys_are_ignored(state, database):
    before = dict(state.ticked)
    state.toggle("9-9-9")
    state.toggle(_key(state, "Léa", "Restauration scolaire", "mercredi 2 décembre"))
    state.apply_to_all(42)
    state.apply_to_all(-1)
    assert state.ticked == before and state.grand_total.startswith("0,00")
    # Even a forged tick on a closed cell sent straight to Valider is refused by the service.
    state.ticked[_key(state, "Léa", "Restauration scolaire", "mercredi 2 décembre")] = True
    asyncio.run(state.validate())
    assert "ne peut pas être réservé" in state.error_message
    with database.session() as s:
        assert s.exec(select(Reservation)).all() == []


def test_apply_to_all_then_validate_then_next_week(state, database):
    state.toggle(_key(state, "Léa", "Restauration scolaire", "lundi 30 novembre"))
    state.toggle(_key(state, "Léa", "Garderie du soir", "jeudi 3 décembre"))
    state.apply_to_all(0)
    assert state.child_totals[1] == state.child_totals[0] and state.grand_total.startswith("11,90")
    asyncio.run(state.validate())
    assert "4 jours ajoutés au panier" in state.info_message
    with database.session() as s:
        days = sorted(r.day for r in s.exec(select(Reservation)).all())
    assert days == [date(2026, 11, 30)] * 2 + [date(2026, 12, 3)] * 2
    asyncio.run(state.show_basket())
    assert state.basket_visible and len(state.basket_lines) == 4 and state.basket_total.startswith("11,90")
    asyncio.run(state.next_period())
    assert state.period_label == "Semaine du 7 au 13 décembre 2026" and state.grand_total.startswith("0,00")
    asyncio.run(state.previous_period())
    assert state.grand_total.startswith("11,90")
