"""The roll call's money rules and the régie (issue 20): « absent = avoir » credited once the night
after, the two rules in Paramètres, the régie's monthly list of « présents sans réservation »."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from cantine_portal.models import Credit, Reservation, ReservationStatus, Structure
from cantine_portal.services.backoffice.access import NotAllowed
from cantine_portal.services.rollcall import marks
from cantine_portal.state.offload import run_handler
from tests.integration.rollcall_world import (  # noqa: F401 - fixtures
    COOK,
    DAY,
    STAFF_EMAIL,
    _row,
    _set_absent_rule,
    _sheet,
    _tap,
    open_tab,
    tablets,
    world,
)


def test_absent_becomes_a_credit_once_and_only_once_the_night_after(database, world, now):
    from cantine_portal.services.rollcall.settlement import absence_credit_label, settle_absences

    _tap(database, now, world, "cook", "Emma", "absent")  # under the prepaid rule: never credited
    _set_absent_rule(database, world, "credit")
    _tap(database, now, world, "cook", "Hugo", "absent")
    _tap(database, now, world, "cook", "Léa", "absent")
    _tap(database, now, world, "cook", "Léa", "present")  # corrected during the service: nothing due
    with database.write_session() as s:
        assert settle_absences(s, now, world["demo"]).credits == 0  # the day is not over yet
    night = now + timedelta(hours=18)  # 3h the next night, Paris
    for _ in range(2):  # the nightly task run twice (two consumers): one credit
        with database.write_session() as s:
            settle_absences(s, night)
    with database.session() as s:
        hugo = s.exec(
            select(Reservation).where(
                Reservation.child_id == world["children"]["Hugo"], Reservation.service_id == world["canteen"]
            )
        ).one()
        credits = s.exec(select(Credit).where(Credit.reservation_id == hugo.id)).all()
        assert hugo.status == ReservationStatus.CANCELLED
        assert [(c.amount_cents, c.label) for c in credits] == [(385, absence_credit_label(DAY))]
        others = s.exec(select(Credit).where(Credit.reservation_id != hugo.id)).all()
        assert others == []  # Emma (marked under the prepaid rule) and Léa (present) keep their paid day
    # the day's list still shows Hugo, absent with the credit issued, and refuses further taps
    after = _sheet(database, world)
    hugo_row = next(r for r in after.rows if r.child.first_name == "Hugo")
    assert hugo_row.settled and hugo_row.status_label == "Absent — avoir émis"
    assert [r.child.first_name for r in after.rows] == ["Emma", "Léa", "Hugo"]
    result = _tap(database, night, world, "cook", "Hugo", "present")
    assert not result.ok and result.message == marks.MSG_SETTLED
    with database.session() as s:
        assert s.exec(select(func.count()).select_from(Credit)).one() == 1


def test_the_nightly_task_settles_the_absences(database, world, now, monkeypatch, settings):
    from cantine_portal.usecases import tasks

    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    monkeypatch.setattr(tasks, "backup_database", lambda settings, now: None)
    _set_absent_rule(database, world, "credit")
    _tap(database, now, world, "cook", "Emma", "absent")
    tasks.RUNNERS["nightly"]({}, now + timedelta(hours=18))
    with database.session() as s:
        assert [c.amount_cents for c in s.exec(select(Credit)).all()] == [385]


def test_the_rules_are_saved_in_parametres(database, world, now):
    from cantine_portal.services.backoffice import settings as admin_settings

    with database.session() as s:
        values = admin_settings.settings_values(s, world["demo"], world["staff"])
    assert values["rollcall_unbooked_rule"] == "report" and values["rollcall_absent_rule"] == "paid"
    with database.write_session() as s:
        bad = admin_settings.save_settings(
            s,
            now,
            structure_id=world["demo"],
            account_id=world["staff"],
            values={**values, "rollcall_absent_rule": "x"},
        )
        assert not bad.ok and "absences" in bad.errors["rollcall_absent_rule"]
        bad = admin_settings.save_settings(
            s,
            now,
            structure_id=world["demo"],
            account_id=world["staff"],
            values={**values, "rollcall_unbooked_rule": "free"},
        )
        assert not bad.ok and "rollcall_unbooked_rule" in bad.errors  # not a rule
        assert admin_settings.save_settings(
            s,
            now,
            structure_id=world["demo"],
            account_id=world["staff"],
            values={**values, "rollcall_absent_rule": "credit", "rollcall_unbooked_rule": "bill"},
        ).ok
    with database.session() as s:
        assert s.get(Structure, world["demo"]).rollcall_absent_rule == "credit"
        assert s.get(Structure, world["demo"]).rollcall_unbooked_rule == "bill"
    assert "avoir" in _sheet(database, world).absent_rule
    assert "facturé à la famille" in _sheet(database, world).unbooked_rule
    with database.write_session() as s, pytest.raises(NotAllowed):  # Paramètres is the administration's
        admin_settings.save_settings(s, now, structure_id=world["demo"], account_id=world["cook"], values=values)


def test_the_regie_page_lists_the_months_presences_without_reservation(tablets, open_tab):
    from cantine_portal.state.admin_rollcall import AdminUnbookedState

    _office, kitchen = tablets
    run_handler(kitchen.search({"search": "Zoé"}))
    run_handler(kitchen.add(0))
    regie = open_tab(AdminUnbookedState, STAFF_EMAIL)
    assert regie.month == "2026-11" and regie.title == "Présents sans réservation — Novembre 2026"
    assert [row[2] for row in regie.rows] == ["DURAND Zoé"] and regie.rows[0][4] == COOK
    assert "non facturé" in regie.rule
    run_handler(regie.show_month({"month": "2026-12"}))
    assert regie.rows == [] and regie.month == "2026-12"
    refused = open_tab(AdminUnbookedState, COOK)  # the régie is the administration's
    assert refused.access_refused and refused.rows == []
