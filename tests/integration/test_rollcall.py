"""The canteen's roll call (issue 20, item 3): who is expected, taps from two tablets at once,
children present without a reservation (for the régie), the CSV, the prepaid rule for absences."""

from __future__ import annotations

import csv
import io
import threading
from datetime import timedelta

import pytest
from sqlmodel import func, select

from cantine_portal.models import (
    Child,
    Credit,
    MarkStatus,
    Reservation,
    ReservationStatus,
    RollCallMark,
)
from cantine_portal.services.backoffice.access import NotAllowed
from cantine_portal.services.rollcall import marks, sheet
from cantine_portal.services.rollcall.expected import expected_children
from cantine_portal.state.admin import MSG_REFUSED
from cantine_portal.state.offload import run_handler
from tests.integration.rollcall_world import (  # noqa: F401 - fixtures
    COOK,
    DAY,
    _marks,
    _row,
    _set_absent_rule,
    _sheet,
    _tap,
    open_tab,
    tablets,
    world,
)


def test_expected_children_are_the_paid_reservations_of_that_service_and_day_by_school_and_class(database, world):
    with database.session() as s:
        found = expected_children(s, world["demo"], world["canteen"], DAY)
        assert [(e.school, e.class_name, e.first_name) for e in found] == [
            ("École Jacques Prévert", "CE2", "Emma"),
            ("École Jules Ferry", "CM1", "Léa"),
            ("École Jules Ferry", "CP", "Hugo"),
        ]
        assert expected_children(s, world["demo"], world["canteen"], DAY + timedelta(days=1)) == []
        assert [e.first_name for e in expected_children(s, world["demo"], world["other_service"], DAY)] == ["Léa"]
    rows = _sheet(database, world).rows
    emma = next(r for r in rows if r.child.first_name == "Emma")
    assert emma.child.pai and "arachide" in emma.child.pai_notes and emma.child.diet == "Végétarien"
    assert {r.status for r in rows} == {""}  # nobody tapped yet: « Non pointé »


def test_two_tablets_marking_the_same_list_never_lose_a_tap(database, world, now):
    first, second = _sheet(database, world, "staff"), _sheet(database, world, "cook")  # both lists loaded
    assert _tap(database, now, world, "staff", "Léa", "present").ok
    assert _tap(database, now, world, "cook", "Hugo", "absent").ok  # from its stale list: nothing lost
    assert _marks(_sheet(database, world)) == {
        "Emma": ("", False),
        "Léa": ("present", False),
        "Hugo": ("absent", False),
    }
    assert first.rows and second.rows
    # the same child tapped on both tablets: the last tap wins, the others are untouched
    _tap(database, now, world, "staff", "Léa", "absent")
    _tap(database, now + timedelta(seconds=1), world, "cook", "Léa", "present")
    after = _sheet(database, world)
    assert _marks(after)["Léa"] == ("present", False) and _marks(after)["Hugo"] == ("absent", False)
    lea = next(r for r in after.rows if r.child.first_name == "Léa")
    assert lea.marked_by == COOK
    with database.session() as s:
        assert s.exec(select(func.count()).select_from(RollCallMark)).one() == 2  # one row per child


def test_taps_from_two_sessions_at_the_same_moment_are_all_kept(database, world, now):
    """Two threads (two tablets), each its own database session, tapping every child many times."""
    names = ["Léa", "Hugo", "Emma"]
    errors: list[BaseException] = []

    def tablet(account: str, status: str) -> None:
        try:
            for _ in range(15):
                for name in names:
                    _tap(database, now, world, account, name, status)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [
        threading.Thread(target=tablet, args=("staff", "present")),
        threading.Thread(target=tablet, args=("cook", "absent")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with database.session() as s:
        rows = s.exec(select(RollCallMark)).all()
    assert sorted(r.child_id for r in rows) == sorted(world["children"][n] for n in names)  # one each
    assert {r.status for r in rows} <= {MarkStatus.PRESENT, MarkStatus.ABSENT}


def test_a_tap_is_refused_for_a_future_day_a_child_of_another_commune_or_an_unexpected_absence(database, world, now):
    assert _tap(database, now, world, "cook", "Léa", "present", day=DAY + timedelta(days=1)).message == marks.MSG_FUTURE
    with database.write_session() as s, pytest.raises(NotAllowed):
        marks.record_mark(
            s,
            now,
            structure_id=world["demo"],
            account_id=world["cook"],
            service_id=world["canteen"],
            day=DAY,
            child_id=world["foreign_child"],
            status="present",
        )
    result = _tap(database, now, world, "cook", "Zoé", "absent")  # only a pending day: not expected
    assert not result.ok and result.message == marks.MSG_NOT_EXPECTED
    with database.write_session() as s, pytest.raises(ValueError):
        marks.record_mark(
            s,
            now,
            structure_id=world["demo"],
            account_id=world["cook"],
            service_id=world["canteen"],
            day=DAY,
            child_id=world["children"]["Léa"],
            status="malade",
        )


def test_absent_without_certificate_stays_paid(database, world, now):
    _tap(database, now, world, "cook", "Hugo", "absent")
    with database.session() as s:
        hugo = s.exec(select(Reservation).where(Reservation.child_id == world["children"]["Hugo"])).one()
        assert hugo.status == ReservationStatus.PAID  # the prepaid rule (Paramètres: « paid »)
        assert s.exec(select(Credit).where(Credit.family_id == hugo.family_id)).all() == []
    assert "prépaiement" in _sheet(database, world).absent_rule


def _add_unbooked_child(database, world, now, name):
    with database.session() as s:
        found = marks.search_children(s, world["demo"], world["cook"], name[:3])
    child = next(c for c in found if c.first_name == name)
    with database.write_session() as s:
        return marks.record_mark(
            s,
            now,
            structure_id=world["demo"],
            account_id=world["cook"],
            service_id=world["canteen"],
            day=DAY,
            child_id=child.child_id,
            status="present",
        )


def test_a_child_without_reservation_is_added_present_and_listed_for_the_regie(database, world, now):
    unbooked = "Zoé"  # a pending day only: there without a (paid) reservation
    with database.session() as s:
        with pytest.raises(ValueError, match="au moins 2 lettres"):
            marks.search_children(s, world["demo"], world["cook"], " a ")
        assert marks.search_children(s, world["demo"], world["cook"], "Nina") == []  # autreville's child
        assert marks.search_children(s, world["demo"], world["cook"], "%%") == []  # a wildcard is a letter
    assert _add_unbooked_child(database, world, now, unbooked).ok
    rows = _sheet(database, world).rows
    assert rows[-1].child.first_name == unbooked and rows[-1].unbooked
    assert rows[-1].status_label == "Présent sans réservation"
    assert _sheet(database, world).unbooked_count == 1 and _sheet(database, world).expected == 3
    with database.session() as s:
        report = sheet.unbooked_presences(s, world["demo"], world["staff"], DAY, DAY)
        assert [(r.day, r.child_name.split()[-1], r.marked_by) for r in report] == [(DAY, unbooked, COOK)]
        with pytest.raises(NotAllowed):  # the régie's list is the administration's
            sheet.unbooked_presences(s, world["demo"], world["cook"], DAY, DAY)
        # reported, not billed (the commune's rule): no new reservation, no debt
        child_id = world["children"][unbooked]
        assert [r.status for r in s.exec(select(Reservation).where(Reservation.child_id == child_id)).all()] == [
            ReservationStatus.PENDING
        ]
        assert s.exec(select(Credit).where(Credit.family_id == s.get(Child, child_id).family_id)).all() == []
    with database.write_session() as s:
        marks.remove_unbooked(
            s,
            now,
            structure_id=world["demo"],
            account_id=world["cook"],
            service_id=world["canteen"],
            day=DAY,
            child_id=child_id,
        )
    assert _sheet(database, world).unbooked_count == 0


def test_the_days_record_exports_to_csv_with_formulas_neutralised_and_no_pai_notes(database, world, now):
    with database.write_session() as s:
        hugo = s.get(Child, world["children"]["Hugo"])
        hugo.diet = '=HYPERLINK("http://evil")'
        s.add(hugo)
    _tap(database, now, world, "cook", "Léa", "present")
    _tap(database, now, world, "cook", "Hugo", "absent")
    data = sheet.roll_call_csv(_sheet(database, world))
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert table[0] == [
        "Date",
        "Prestation",
        "Enfant",
        "Famille",
        "École",
        "Classe",
        "Régime",
        "PAI",
        "Pointage",
        "Par",
        "Le",
    ]
    by_child = {row[2]: row for row in table[1:]}
    assert by_child["MARTIN Léa"][8] == "Présent" and by_child["MARTIN Léa"][9] == COOK
    assert by_child["MARTIN Hugo"][8] == "Absent" and by_child["MARTIN Hugo"][6] == '\'=HYPERLINK("http://evil")'
    assert by_child["DURAND Emma"][7] == "PAI" and by_child["DURAND Emma"][8] == "Non pointé"
    assert "arachide" not in text


# --- the page's state: two tablets (two sessions) on the same list ------------------------------


def test_two_tablets_on_the_page_see_each_others_taps_on_the_next_tick(tablets):
    office, kitchen = tablets
    assert [row["name"] for row in office.rows] == ["DURAND Emma", "MARTIN Léa", "MARTIN Hugo"]
    assert office.rows[0]["heading"] == "École Jacques Prévert — CE2" and office.rows[0]["pai"] == "1"
    run_handler(office.mark_present(_row(office, "Léa")))
    assert office.rows[_row(office, "Léa")]["status_label"] == "Présent" and office.notice == "MARTIN Léa : présent."
    run_handler(kitchen.mark_absent(_row(kitchen, "Hugo")))  # its list still showed Léa unmarked
    # the kitchen's tap brought the office's mark along; the office sees the kitchen's on its tick
    assert kitchen.rows[_row(kitchen, "Léa")]["status"] == "present"
    assert office.rows[_row(office, "Hugo")]["status"] == ""
    run_handler(office.refresh())
    assert office.rows[_row(office, "Hugo")]["status_label"] == "Absent"
    assert (office.present, office.absent, office.unmarked) == (1, 1, 1)
    assert "cuisine@demo.fr" in office.rows[_row(office, "Hugo")]["marked"]


def test_the_page_refuses_a_forged_row_and_adds_a_child_without_reservation(tablets, world):
    _office, kitchen = tablets
    for forged in (99, -1):
        run_handler(kitchen.mark_present(forged))
        assert kitchen.error_message == MSG_REFUSED
    unbooked = "Zoé"
    run_handler(kitchen.search({"search": unbooked}))
    assert kitchen.found and kitchen.found[0]["name"].endswith(unbooked)
    run_handler(kitchen.add(0))
    last = kitchen.rows[-1]
    assert last["status"] == "unbooked" and last["heading"] == "Présents sans réservation"
    assert kitchen.unbooked == 1 and kitchen.found == []
    run_handler(kitchen.remove(len(kitchen.rows) - 1))
    assert kitchen.unbooked == 0
    assert kitchen.csv_url.endswith(f"pointage.csv?jour={DAY.isoformat()}&prestation={world['canteen']}")


def test_a_child_declared_ill_by_the_family_is_not_expected(database, world, now):
    """The one expected-children query applies the sick-day absences' rule (as Effectifs does)."""
    from cantine_portal.models import Absence, AbsenceDay

    with database.write_session() as s:
        hugo = s.exec(
            select(Reservation).where(
                Reservation.child_id == world["children"]["Hugo"], Reservation.service_id == world["canteen"]
            )
        ).one()
        absence = Absence(
            structure_id=world["demo"],
            family_id=hugo.family_id,
            child_id=hugo.child_id,
            certificate_path="absences/x.pdf",
            certificate_media="application/pdf",
            certificate_size=10,
            declared_at=now,
        )
        s.add(absence)
        s.flush()
        s.add(
            AbsenceDay(
                absence_id=absence.id,
                structure_id=world["demo"],
                child_id=hugo.child_id,
                service_id=hugo.service_id,
                day=DAY,
                reservation_id=hugo.id,
                price_cents=hugo.price_cents,
            )
        )
    assert [row.child.first_name for row in _sheet(database, world).rows] == ["Emma", "Léa"]
    result = _tap(database, now, world, "cook", "Hugo", "absent")  # not on the list: nothing to mark absent
    assert not result.ok and result.message == marks.MSG_NOT_EXPECTED


def test_the_automatic_refresh_does_not_keep_a_forgotten_tablet_logged_in(open_tab, settings, now, monkeypatch):
    """The staff guide says to log out after the service; a tablet left on Pointage refreshes
    every 5 seconds, and those refreshes are not activity: the idle timeout still ends the session,
    and the next refresh sends the page to the staff login. A tap is activity."""
    from cantine_portal.state import admin as admin_state
    from cantine_portal.state import admin_rollcall
    from cantine_portal.state.admin import StaffState
    from cantine_portal.state.admin_rollcall import AdminRollCallState
    from cantine_portal.usecases import identity

    at = [now]
    monkeypatch.setattr(admin_state.clock, "now", lambda: at[0])
    monkeypatch.setattr(admin_rollcall.clock, "now", lambda: at[0])
    monkeypatch.setattr(StaffState, "_staff_login_redirect", lambda self: "redirect-to-staff-login")
    idle = timedelta(minutes=settings.session_minutes)
    busy, forgotten = open_tab(AdminRollCallState, COOK), open_tab(AdminRollCallState, COOK)

    def run(handler, *args):
        answer = run_handler(handler(*args))
        identity._toucher.submit(lambda: None).result()  # the background "still active" mark, if any
        return answer

    # Every two minutes (a touch is written at most once a minute), up to the idle timeout: both
    # tablets still refresh; the busy one is also tapped each time.
    for minutes in range(2, int(idle.total_seconds() // 60) + 1, 2):
        at[0] = now + timedelta(minutes=minutes)
        assert run(forgotten.auto_refresh) is None and forgotten.staff_logged_in
        assert run(busy.mark_present, _row(busy, "Léa")) is None
        assert run(busy.auto_refresh) is None
    at[0] = now + idle + timedelta(minutes=1)
    assert run(forgotten.auto_refresh) == "redirect-to-staff-login"
    assert not forgotten.staff_logged_in
    assert run(busy.auto_refresh) is None and busy.staff_logged_in  # its taps kept it alive
    # « Actualiser », a tap on the button, is activity like any other tap.
    at[0] += timedelta(minutes=2)
    assert run(busy.refresh) is None
    at[0] += idle - timedelta(minutes=1)
    assert run(busy.auto_refresh) is None and busy.staff_logged_in
