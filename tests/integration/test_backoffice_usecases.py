"""Back-office use cases: each owns its transaction, refuses another commune's staff or ids with
``Refused`` (nothing written), and returns the page read again after a change."""

from __future__ import annotations

import pytest
from sqlmodel import select

from cantine_portal.models import Account, Child, ClosedDay, Family, Service, Structure
from cantine_portal.services.accounts.staff import create_staff
from cantine_portal.services.demo import MARTIN_EMAIL, STAFF_EMAIL
from cantine_portal.usecases.backoffice import calendar as calendar_cases
from cantine_portal.usecases.backoffice import families as families_cases
from cantine_portal.usecases.backoffice import prestations as services_cases
from cantine_portal.usecases.backoffice import settings as settings_cases
from cantine_portal.usecases.backoffice.common import StaffActor
from cantine_portal.usecases.errors import MSG_REFUSED_STAFF, Refused


@pytest.fixture
def actors(demo_session, database, settings, now, monkeypatch):
    """demo's agent, autreville's agent, and a parent of demo posing as staff (use cases use these db/settings)."""
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    with database.write_session() as s:
        create_staff(s, now, "autreville", "agent@autreville.fr", "Mairie-Bretonne-2026!x")
    with database.session() as s:
        demo = s.exec(select(Structure).where(Structure.slug == "demo")).one().id
        other = s.exec(select(Structure).where(Structure.slug == "autreville")).one().id

        def account(address: str) -> int:
            return s.exec(select(Account.id).where(Account.email == address)).one()

        return {
            "staff": StaffActor(demo, account(STAFF_EMAIL), "10.0.0.1"),
            "other": StaffActor(other, account("agent@autreville.fr")),
            "intruder": StaffActor(demo, account("agent@autreville.fr")),
            "parent": StaffActor(demo, account(MARTIN_EMAIL)),
        }


@pytest.mark.parametrize("who", ["intruder", "parent"])
def test_page_reads_refuse_anyone_but_the_communes_staff(actors, now, who):
    for read in (
        lambda a: settings_cases.settings_page(a),
        lambda a: services_cases.services_page(a, now=now),
        lambda a: calendar_cases.calendar_page(a, now=now),
    ):
        with pytest.raises(Refused) as refused:
            read(actors[who])
        assert refused.value.message == MSG_REFUSED_STAFF
    assert settings_cases.settings_page(actors["staff"]).values["name"] == "Ville de Démo"


def test_settings_save_validates_then_saves_and_describes_the_deadline(actors, now, database):
    page = settings_cases.settings_page(actors["staff"])
    wrong = settings_cases.save_settings(actors["staff"], now=now, values={**page.values, "email": "pas-une-adresse"})
    assert not wrong.ok and "email" in wrong.errors and wrong.deadline_text == ""
    renamed = {**page.values, "name": "Ville de Démo-sur-Mer"}
    saved = settings_cases.save_settings(actors["staff"], now=now, values=renamed)
    assert saved.ok and saved.deadline_text == page.deadline_text != ""
    with database.session() as s:
        assert (
            s.exec(select(Structure.name).where(Structure.id == actors["staff"].structure_id)).one()
            == "Ville de Démo-sur-Mer"
        )
    with pytest.raises(Refused):
        settings_cases.save_settings(actors["intruder"], now=now, values=page.values)


def test_a_service_of_another_commune_is_refused_and_left_untouched(actors, now, database):
    with database.session() as s:
        canteen = s.exec(select(Service).where(Service.structure_id == actors["staff"].structure_id)).first()
    with pytest.raises(Refused):
        services_cases.update_service(
            actors["other"], now=now, service_id=canteen.id, name="Volée", weekdays=[0], active=True
        )
    with pytest.raises(Refused):
        services_cases.change_price(
            actors["other"], now=now, service_id=canteen.id, price="0,01", valid_from="2026-12-01"
        )
    with database.session() as s:
        assert s.get(Service, canteen.id).name == canteen.name
    done = services_cases.update_service(
        actors["staff"], now=now, service_id=canteen.id, name="Cantine", weekdays=[0, 1], active=True
    )
    assert done.ok and done.page is not None and "Cantine" in [row.name for row in done.page]
    wrong = services_cases.create_service(actors["staff"], now=now, name="", weekdays=[], price="x")
    assert not wrong.ok and wrong.errors and wrong.page is None


def test_closing_a_day_asks_nothing_when_no_paid_day_and_refuses_another_communes_rows(actors, now, database):
    closed = calendar_cases.close_day(
        actors["staff"], now=now, day="2026-12-08", service_id=None, reason="Grève", confirmed=False
    )
    assert closed.ok and closed.page is not None and any(p.reason == "Grève" for p in closed.page.periods)
    with database.session() as s:
        ids = list(s.exec(select(ClosedDay.id).where(ClosedDay.reason == "Grève")).all())
    with pytest.raises(Refused):
        calendar_cases.delete_closed_days(actors["other"], now=now, closed_day_ids=ids)
    with database.session() as s:
        assert s.exec(select(ClosedDay).where(ClosedDay.reason == "Grève")).first() is not None


def _family_of(database, first_name):
    with database.session() as s:
        return s.exec(select(Child.family_id).where(Child.first_name == first_name)).first()


def test_a_family_of_another_commune_is_refused_everywhere(actors, now, database):
    martin = _family_of(database, "Léa")  # a demo family
    other = actors["other"]
    with pytest.raises(Refused):
        families_cases.family_page(other, family_id=martin)
    with pytest.raises(Refused):
        families_cases.update_family(other, now=now, family_id=martin, name="Volée", reference="")
    with pytest.raises(Refused):
        families_cases.invite_family(other, now=now, family_id=martin)
    with pytest.raises(Refused):
        families_cases.families_page(actors["intruder"], query="")
    assert [r.name for r in families_cases.families_page(other, query="Martin")] == []
    with database.session() as s:
        assert s.get(Family, martin).name != "Volée"


def test_a_stale_child_form_is_a_conflict_and_brings_the_family_back(actors, now, database):
    staff, martin = actors["staff"], _family_of(database, "Léa")
    page = families_cases.family_page(staff, family_id=martin)
    child = page.children[0]
    first = families_cases.save_child(
        staff,
        now=now,
        family_id=martin,
        child_id=child.id,
        expected_version=child.version,
        values={**child.values, "class_name": "Classe A"},
        service_ids=set(child.service_ids),
    )
    assert first.ok and first.page is not None and first.page.children[0].values["class_name"] == "Classe A"
    stale = families_cases.save_child(
        staff,
        now=now,
        family_id=martin,
        child_id=child.id,
        expected_version=child.version,
        values={**child.values, "class_name": "Classe B"},
        service_ids=set(child.service_ids),
    )
    assert not stale.ok and stale.conflict and stale.page is not None
    assert stale.page.children[0].values["class_name"] == "Classe A"


def test_daily_pages_refuse_another_communes_ids(actors, now, database, settings):
    from datetime import date

    from cantine_portal.infra.pdf.reglement import render_reglement
    from cantine_portal.models import ContactMessage, Document
    from cantine_portal.usecases.backoffice import attendance as attendance_cases
    from cantine_portal.usecases.backoffice import documents as document_cases
    from cantine_portal.usecases.backoffice import messages as message_cases

    staff, other = actors["staff"], actors["other"]
    with database.write_session() as s:
        document_id = s.exec(select(Document.id).where(Document.structure_id == staff.structure_id)).first()
        canteen = s.exec(select(Service.id).where(Service.structure_id == staff.structure_id)).first()
        message = ContactMessage(
            structure_id=staff.structure_id,
            family_id=_family_of(database, "Léa"),
            account_id=actors["parent"].account_id,
            subject="PAI",
            body="Bonjour",
            created_at=now,
        )
        s.add(message)
        s.flush()
        message_id = message.id
    page = attendance_cases.attendance_page(staff, now=now, requested_day="")
    assert page.day == date(2026, 11, 26) and page.sheet is not None  # a Thursday: today
    for refused in (
        lambda: attendance_cases.attendance_sheet(other, day=page.day, service_id=canteen),
        lambda: document_cases.set_published(other, now=now, document_id=document_id, published=False),
        lambda: document_cases.replace_file(
            other, now=now, document_id=document_id, data=render_reglement("X"), filename="x.pdf"
        ),
        lambda: message_cases.reply(other, now=now, message_id=message_id, text="Non.", show="all"),
        lambda: message_cases.attachment_file(other, message_id=message_id),
    ):
        with pytest.raises(Refused):
            refused()
    assert not settings.mail_dir.exists() or not list(settings.mail_dir.glob("*.eml"))  # the refused reply: no mail
    answered = message_cases.reply(staff, now=now, message_id=message_id, text="Bien reçu.", show="open")
    assert answered.ok and answered.page == []  # handled now: no longer among the open ones


def test_payments_page_refuses_a_bad_month_without_reading(actors):
    from cantine_portal.usecases.backoffice import payments as payment_cases

    assert payment_cases.payments_page(actors["staff"], month="11/2026").error == "Choisissez un mois (mm/aaaa)."
    assert payment_cases.payments_page(actors["staff"], month="2026-11").report is not None
    assert payment_cases.payments_csv(actors["staff"], month="2026-1x") is None
    with pytest.raises(Refused):
        payment_cases.payments_page(actors["parent"], month="")
