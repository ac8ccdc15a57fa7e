"""Use cases and route of sick-day absences: the parent's page and declaration, the staff's page,
decisions and certificate download — another commune's staff refused (``Refused``, or the same
empty 404 on the route), a parent naming another family's child refused, nothing written."""

from __future__ import annotations

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from cantine_portal.api.routes import build_api
from cantine_portal.models import Absence, Account, Credit, Structure
from cantine_portal.services.accounts.sessions import open_session
from cantine_portal.services.accounts.staff import create_staff
from cantine_portal.services.demo import DURAND_EMAIL, MARTIN_EMAIL
from cantine_portal.usecases import absences as parent_cases
from cantine_portal.usecases.actors import ParentActor
from cantine_portal.usecases.backoffice import absences as cases
from cantine_portal.usecases.backoffice.common import StaffActor
from cantine_portal.usecases.errors import Refused
from tests.integration.test_absences import MON, NOW, TUE, paid, pdf, png, w  # noqa: F401 (fixture)


@pytest.fixture
def actors(w, database, settings, monkeypatch):
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    with database.write_session() as s:
        create_staff(s, NOW, "autreville", "agent@autreville.fr", "Mairie-Bretonne-2026!x")
    with database.session() as s:
        other = s.exec(select(Structure).where(Structure.slug == "autreville")).one().id
        martin = s.exec(select(Account).where(Account.email == MARTIN_EMAIL)).one()
        durand = s.exec(select(Account).where(Account.email == DURAND_EMAIL)).one()
        return {
            "martin": ParentActor(w["demo"], martin.family_id, martin.id),
            "durand": ParentActor(w["demo"], durand.family_id, durand.id),
            "staff": StaffActor(w["demo"], w["staff"]),
            "other": StaffActor(other, s.exec(select(Account.id).where(Account.email == "agent@autreville.fr")).one()),
        }


def test_the_parent_declares_from_the_page_and_sees_each_status(w, actors):
    paid(w, "lea", MON, TUE)
    page = parent_cases.absences_page(actors["martin"], now=NOW)
    assert "jusqu'à 9h00 le jour même" in page.explanation and "dès le premier jour" in page.explanation
    lea = next(c for c in page.children if c.first_name == "Léa")
    assert [d.day for d in lea.days] == [MON, TUE] and "Restauration scolaire (payé)" in lea.days[0].text
    done = parent_cases.declare_absence(actors["martin"], now=NOW, child_id=lea.child_id, days=[MON], data=pdf())
    assert done.ok and "en attente de validation" in done.message
    [item] = done.page.absences
    assert (item.child_name, item.status_text) == ("Léa", "Absence signalée — en attente de validation par la mairie")
    lea_after = next(c for c in done.page.children if c.first_name == "Léa")
    assert [d.day for d in lea_after.days] == [TUE]  # Monday cannot be declared twice
    staff_page = cases.absences_page(actors["staff"])
    [row] = staff_page.pending
    assert row.family_name == "Martin" and row.certificate == "PDF" and "3,85" in row.days[0]
    decided = cases.validate_absence(actors["staff"], now=NOW, absence_id=row.id, message="Bon rétablissement.")
    assert decided.ok and decided.page is not None and decided.page.pending == []
    assert "avoir de 3,85" in decided.page.decided[0].outcome
    twice = cases.validate_absence(actors["staff"], now=NOW, absence_id=row.id, message="")
    assert not twice.ok
    [item] = parent_cases.absences_page(actors["martin"], now=NOW).absences
    assert item.status_text == "Absence validée" and "3,85" in item.detail and "Bon rétablissement." in item.detail
    with w["db"].session() as s:
        assert len(s.exec(select(Credit)).all()) == 1


def test_another_familys_child_is_refused_through_the_use_case(w, actors):
    paid(w, "lea", MON)
    result = parent_cases.declare_absence(actors["durand"], now=NOW, child_id=w["lea"], days=[MON], data=png())
    assert not result.ok
    with w["db"].session() as s:
        assert s.exec(select(Absence)).all() == []


def test_another_communes_staff_is_refused_everywhere(w, actors):
    paid(w, "lea", MON)
    assert parent_cases.declare_absence(actors["martin"], now=NOW, child_id=w["lea"], days=[MON], data=png()).ok
    with w["db"].session() as s:
        absence_id = s.exec(select(Absence.id)).one()
    for call in (
        lambda: cases.validate_absence(actors["other"], now=NOW, absence_id=absence_id, message=""),
        lambda: cases.refuse_absence(actors["other"], now=NOW, absence_id=absence_id, message="Non"),
        lambda: cases.certificate_file(actors["other"], absence_id=absence_id),
    ):
        with pytest.raises(Refused):
            call()
    assert cases.absences_page(actors["other"]).pending == []
    with w["db"].session() as s:
        assert s.get(Absence, absence_id).status == "pending" and s.exec(select(Credit)).all() == []


def test_the_certificate_route_serves_this_communes_staff_only(w, actors, database, monkeypatch):
    monkeypatch.setattr("cantine_portal.clock.now", lambda: NOW)
    paid(w, "lea", MON)
    data = png()
    parent_cases.declare_absence(actors["martin"], now=NOW, child_id=w["lea"], days=[MON], data=data)
    with database.write_session() as s:
        absence_id = s.exec(select(Absence.id)).one()
        staff = open_session(s, NOW, s.get(Account, w["staff"]))
        other = open_session(s, NOW, s.get(Account, actors["other"].account_id))
        parent = open_session(s, NOW, s.exec(select(Account).where(Account.email == MARTIN_EMAIL)).one())
    client = TestClient(build_api(), base_url="http://portail.test")
    url = f"/api/demo/admin/absences/{absence_id}/certificat"
    ok = client.get(url, cookies={"cp_staff_demo": staff})
    assert ok.status_code == 200 and ok.content == data and ok.headers["content-type"] == "image/png"
    assert ok.headers["cache-control"] == "private, no-store"
    assert client.get(url, cookies={"cp_staff_demo": other}).status_code == 404
    assert client.get(url, cookies={"cp_staff_demo": parent}).status_code == 404
    assert client.get(url, cookies={"cp_session_demo": parent}).status_code == 404
    assert client.get(url.replace("/demo/", "/autreville/"), cookies={"cp_staff_autreville": other}).status_code == 404
    assert client.get("/api/demo/admin/absences/abc/certificat", cookies={"cp_staff_demo": staff}).status_code == 404


def test_paramètres_validate_the_absence_rules(w, actors):
    from cantine_portal.usecases.backoffice import settings as settings_cases

    values = dict(settings_cases.settings_page(actors["staff"]).values)
    assert (values["absence_deadline_time"], values["absence_carence_days"]) == ("09:00", "0")
    bad = settings_cases.save_settings(
        actors["staff"], now=NOW, values={**values, "absence_deadline_time": "9h", "absence_carence_days": "11"}
    )
    assert not bad.ok and set(bad.errors) == {"absence_deadline_time", "absence_carence_days"}
    good = settings_cases.save_settings(
        actors["staff"], now=NOW, values={**values, "absence_deadline_time": "08:30", "absence_carence_days": "1"}
    )
    assert good.ok
    with w["db"].session() as s:
        structure = s.get(Structure, w["demo"])
    assert (structure.absence_deadline_time, structure.absence_carence_days) == ("08:30", 1)
    page = parent_cases.absences_page(actors["martin"], now=NOW)
    assert "jusqu'à 8h30 le jour même" in page.explanation and "le premier jour d'absence n'est pas" in page.explanation
