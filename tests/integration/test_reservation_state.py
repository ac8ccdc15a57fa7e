"""The Réservations page state, called directly (no browser): forged keys, live totals, Valider."""

from __future__ import annotations

from datetime import date

import pytest
import reflex as rx
from sqlmodel import select

import cantine_portal.cantine_portal  # noqa: F401  (registers the states)
from cantine_portal import clock
from cantine_portal.models import Family, Reservation, Structure
from cantine_portal.services.demo import load_demo
from cantine_portal.state import reservations as reservations_state
from cantine_portal.state.offload import run_handler
from cantine_portal.state.reservations import ReservationState
from tests.conftest import NOW


@pytest.fixture
def state(database, monkeypatch):
    monkeypatch.setattr("cantine_portal.services.demo._demo_hash", lambda password: "not-a-hash")
    with database.write_session() as s:
        load_demo(s, NOW)
    with database.session() as s:
        structure_id = s.exec(select(Structure.id).where(Structure.slug == "demo")).one()
        family_id = s.exec(select(Family.id).where(Family.name == "Martin")).one()
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr(clock, "now", lambda: NOW)

    def require_parent(self):
        self._structure_id, self._family_id, self._account_id, self.logged_in = structure_id, family_id, 1, True
        return True

    monkeypatch.setattr(ReservationState, "_require_parent", require_parent)
    root = rx.State(_reflex_internal_init=True)
    st = root.get_substate(ReservationState.get_full_name().split(".")[1:])
    run_handler(st.load())
    return st


def _ticks(st):
    return st._ticks()


def _key(st, child: str, service: str, day_text: str) -> str:
    for table in st.tables:
        if table.name != child:
            continue
        column = [name for name, _short in table.services].index(service)  # [name, phone heading]
        for day in table.days:
            if day.text == day_text:
                return day.cells[column].key
    raise AssertionError((child, service, day_text))


def _cell(st, child: str, service: str, day_text: str):
    key = _key(st, child, service, day_text)
    return next(c for t in st.tables for d in t.days for c in d.cells if c.key == key)


def test_lands_on_first_open_week_with_no_ids_in_public_vars(state):
    assert state.period_label == "Semaine du 30 novembre au 6 décembre 2026"
    assert state.deadline_text == "Réservations à effectuer avant le jeudi 26 novembre 2026 à 23h59."
    assert [t.name for t in state.tables] == ["Léa", "Hugo"]
    assert all(set(cell.key.split("-")) <= set("0123456") for t in state.tables for d in t.days for cell in d.cells)


def test_tick_changes_only_the_totals_in_their_own_state(state):
    key = _key(state, "Léa", "Restauration scolaire", "lundi 30 novembre")
    ticks = _ticks(state)
    state._clean()
    ticks.toggle(key)
    # The page state (tables...) is untouched: the browser re-renders the totals, not the tables.
    assert state.dirty_vars == set()
    assert ticks.dirty_vars <= {
        "child_totals",
        "grand_total",
        "unsaved_count",
        "_ticked",
        "_totals_cents",
        "_contrib",
    }  # _contrib: the sibling-priced group totals (issue 17)
    assert ticks.unsaved_count == 1
    assert ticks.child_totals[0].startswith("3,85") and ticks.grand_total.startswith("3,85")
    ticks.toggle(key)
    assert ticks.grand_total.startswith("0,00") and ticks.unsaved_count == 0


def test_changing_period_with_unsaved_ticks_is_refused(state):
    _ticks(state).toggle(_key(state, "Hugo", "Garderie du matin", "vendredi 4 décembre"))
    run_handler(state.next_period())
    assert state.error_message == reservations_state.UNSAVED_MESSAGE
    assert state.period_label == "Semaine du 30 novembre au 6 décembre 2026" and _ticks(state).unsaved_count == 1
    run_handler(state.validate())
    assert _ticks(state).unsaved_count == 0
    run_handler(state.next_period())
    assert state.period_label == "Semaine du 7 au 13 décembre 2026"


def test_forged_or_closed_keys_are_ignored(state, database):
    ticks = _ticks(state)
    before = ticks._ticked_map()
    ticks.toggle("9-9-9")
    ticks.toggle(_key(state, "Léa", "Restauration scolaire", "mercredi 2 décembre"))
    run_handler(state.apply_to_all(42))
    run_handler(state.apply_to_all(-1))
    assert ticks._ticked_map() == before and ticks.grand_total.startswith("0,00")
    # Even a forged tick on a closed cell sent straight to Valider is refused by the service.
    ticks._ticked[_key(state, "Léa", "Restauration scolaire", "mercredi 2 décembre")] = True
    run_handler(state.validate())
    assert "ne peut pas être réservé" in state.error_message
    with database.session() as s:
        assert s.exec(select(Reservation)).all() == []


def test_apply_to_all_then_validate_then_next_week(state, database):
    ticks = _ticks(state)
    ticks.toggle(_key(state, "Léa", "Restauration scolaire", "lundi 30 novembre"))
    ticks.toggle(_key(state, "Léa", "Garderie du soir", "jeudi 3 décembre"))
    render_id = state.render_id
    run_handler(state.apply_to_all(0))
    assert ticks.child_totals[1] == ticks.child_totals[0] and ticks.grand_total.startswith("11,90")
    # The server changed ticks: the tables come back with the new values and new checkbox keys.
    hugo_monday = _cell(state, "Hugo", "Restauration scolaire", "lundi 30 novembre")
    assert hugo_monday.checked and state.render_id != render_id
    run_handler(state.validate())
    assert "4 jours ajoutés au panier" in state.info_message
    with database.session() as s:
        days = sorted(r.day for r in s.exec(select(Reservation)).all())
    assert days == [date(2026, 11, 30)] * 2 + [date(2026, 12, 3)] * 2
    run_handler(state.show_basket())
    assert state.basket_visible and len(state.basket_lines) == 4 and state.basket_total.startswith("11,90")
    run_handler(state.next_period())
    assert state.period_label == "Semaine du 7 au 13 décembre 2026" and ticks.grand_total.startswith("0,00")
    run_handler(state.previous_period())
    assert ticks.grand_total.startswith("11,90")
    assert _cell(state, "Léa", "Garderie du soir", "jeudi 3 décembre").checked


def test_navigation_reaches_twelve_weeks_ahead_and_says_where_it_stops(state):
    assert state.can_go_forward and state.limit_text == ""
    steps = 0
    while state.can_go_forward:
        run_handler(state.next_period())
        steps += 1
    # From the week of 30 November: 11 more weeks, i.e. 12 weeks after the current one (23 Nov).
    assert steps == 11
    assert state.period_label == "Semaine du 15 au 21 février 2027"
    assert state.limit_text == reservations_state.LIMIT_TEXT["week"]
    run_handler(state.next_period())
    assert state.period_label == "Semaine du 15 au 21 février 2027"
    run_handler(state.previous_period())
    assert state.limit_text == "" and state.can_go_forward
    while state.can_go_back:
        run_handler(state.previous_period())
    assert state.period_label == "Semaine du 26 octobre au 1er novembre 2026" and state.locked


def test_month_mode_reaches_four_months_ahead(state, database, monkeypatch):
    with database.session() as s:
        structure_id = s.exec(select(Structure.id).where(Structure.slug == "autreville")).one()
        family_id = s.exec(select(Family.id).where(Family.name == "Bernard")).one()

    def require_parent(self):
        self._structure_id, self._family_id, self._account_id, self.logged_in = structure_id, family_id, 1, True
        return True

    monkeypatch.setattr(ReservationState, "_require_parent", require_parent)
    run_handler(state.load())
    assert state.period_label == "Décembre 2026" and state.next_label == "Mois suivant"
    while state.can_go_forward:
        run_handler(state.next_period())
    assert state.period_label == "Mars 2027"
    assert state.limit_text == reservations_state.LIMIT_TEXT["month"]


def test_a_tick_reaches_no_database_and_needs_a_tab_logged_in_by_the_load(state, monkeypatch):
    def no_database():
        raise AssertionError("a tick reached the database")

    monkeypatch.setattr("cantine_portal.infra.db.get_database", no_database)
    monkeypatch.setattr("cantine_portal.usecases.identity.get_database", no_database)
    key = _key(state, "Léa", "Restauration scolaire", "lundi 30 novembre")
    _ticks(state).toggle(key)
    assert _ticks(state).unsaved_count == 1
    # A tab the session check never let in (or logged out since): the tick changes nothing.
    fresh = rx.State(_reflex_internal_init=True).get_substate(ReservationState.get_full_name().split(".")[1:])
    fresh._ticks()._editable = {key: True}
    fresh._ticks().toggle(key)
    assert fresh._ticks().unsaved_count == 0 and fresh._ticks()._ticked_map() == {}


@pytest.fixture
def sibling_state(state, database):
    """The demo canteen grid with its 10 % reduction from the 2nd child (demo: from the 3rd)."""
    from cantine_portal.models import PriceGrid

    with database.write_session() as s:
        for grid in s.exec(select(PriceGrid)).all():
            grid.sibling_from_rank = 2
            s.add(grid)
    run_handler(state.load())
    return state


def test_sibling_reduction_follows_the_ticks_in_the_live_totals(sibling_state):
    st, ticks = sibling_state, _ticks(sibling_state)
    lea_mon = _key(st, "Léa", "Restauration scolaire", "lundi 30 novembre")
    hugo_mon = _key(st, "Hugo", "Restauration scolaire", "lundi 30 novembre")
    hugo_thu = _key(st, "Hugo", "Restauration scolaire", "jeudi 3 décembre")
    ticks.toggle(lea_mon)
    ticks.toggle(hugo_mon)
    # Martin (QF 1 350 €): 3,85 € each; Hugo, 2nd child booked that day, pays 10 % less.
    assert ticks.child_totals[0].startswith("3,85") and ticks.child_totals[1].startswith("3,47")
    assert ticks.grand_total.startswith("7,32")
    ticks.toggle(hugo_thu)  # alone on Thursday: full price
    assert ticks.child_totals[1].startswith("7,32") and ticks.grand_total.startswith("11,17")
    ticks.toggle(lea_mon)  # Léa unticked: Hugo is the only child on Monday again
    assert ticks.child_totals[0].startswith("0,00") and ticks.child_totals[1].startswith("7,70")
    assert ticks.grand_total.startswith("7,70")
