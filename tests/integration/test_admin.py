"""Issue 8: the back office's rules — who may act, CSV import, attendance, closures, prices, CLI."""

from __future__ import annotations

import email
from datetime import date, timedelta
from email import policy

import pytest
from sqlmodel import col, func, select
from starlette.testclient import TestClient

from cantine_portal import __main__ as cli
from cantine_portal.api.routes import build_api
from cantine_portal.infra.mail import Mailer
from cantine_portal.infra.pdf.reglement import render_reglement
from cantine_portal.models import (
    Account,
    AuditLog,
    Basket,
    Child,
    ClosedDay,
    Credit,
    Document,
    Enrollment,
    Family,
    Guardian,
    Reservation,
    Service,
    ServicePrice,
    Structure,
)
from cantine_portal.services.accounts.staff import StaffError, create_staff
from cantine_portal.services.backoffice import attendance, closures, csv_import, csv_parsing, holidays
from cantine_portal.services.backoffice import calendar as admin_calendar
from cantine_portal.services.backoffice import documents as admin_documents
from cantine_portal.services.backoffice import families as admin_families
from cantine_portal.services.backoffice import family_members as member_rules
from cantine_portal.services.backoffice import family_summary as summary_rules
from cantine_portal.services.backoffice import prestations as admin_services
from cantine_portal.services.backoffice import settings as admin_settings
from cantine_portal.services.backoffice.access import NotAllowed
from cantine_portal.services.demo import MARTIN_EMAIL, MARTIN_PASSWORD, STAFF_EMAIL, STAFF_PASSWORD

MONDAY = date(2026, 11, 30)
OTHER_STAFF = "agent@autreville.fr"
OTHER_PASSWORD = "Mairie-Bretonne-2026!x"


def _structure(session, slug):
    return session.exec(select(Structure).where(Structure.slug == slug)).one()


def _account(session, address):
    return session.exec(select(Account).where(Account.email == address)).one()


def _service(session, structure_id, name="Restauration scolaire"):
    return session.exec(select(Service).where(Service.structure_id == structure_id, Service.name == name)).one()


def _child(session, first_name):
    return session.exec(select(Child).where(Child.first_name == first_name)).one()


def _mails(settings):
    folder = settings.mail_dir
    paths = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in paths]


@pytest.fixture
def ctx(demo_session, database, now, settings):
    """Demo data plus a staff account in autreville."""
    with database.write_session() as s:
        create_staff(s, now, "autreville", OTHER_STAFF, OTHER_PASSWORD)
    with database.session() as s:
        demo = _structure(s, "demo")
        other = _structure(s, "autreville")
        return {
            "demo": demo.id,
            "autreville": other.id,
            "staff": _account(s, STAFF_EMAIL).id,
            "other_staff": _account(s, OTHER_STAFF).id,
            "parent": _account(s, MARTIN_EMAIL).id,
            "martin": _account(s, MARTIN_EMAIL).family_id,
            "canteen": _service(s, demo.id).id,
            "other_canteen": _service(s, other.id).id,
        }


def _reservation(session, ctx, child_first_name, status, day=MONDAY, price=385, service=None, basket_id=None, now=None):
    child = _child(session, child_first_name)
    family = session.get(Family, child.family_id)
    row = Reservation(
        structure_id=family.structure_id,
        family_id=family.id,
        child_id=child.id,
        service_id=service or ctx["canteen"],
        day=day,
        status=status,
        price_cents=price,
        basket_id=basket_id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    return row


# --- authorization ---------------------------------------------------------------------------


def _readers(ctx):
    """Every read entry point, as (name, callable(session, structure_id, account_id))."""
    return [
        ("settings", lambda s, sid, aid: admin_settings.settings_values(s, sid, aid)),
        ("services", lambda s, sid, aid: admin_services.list_services(s, sid, aid)),
        ("calendar", lambda s, sid, aid: admin_calendar.list_closed_days(s, sid, aid, MONDAY, MONDAY)),
        ("families", lambda s, sid, aid: admin_families.search_families(s, sid, aid, "")),
        ("family", lambda s, sid, aid: summary_rules.family_summary(s, sid, aid, ctx["martin"])),
        ("documents", lambda s, sid, aid: admin_documents.list_documents(s, sid, aid)),
        ("attendance", lambda s, sid, aid: attendance.attendance(s, sid, aid, MONDAY, ctx["canteen"])),
    ]


def test_staff_reads_its_own_commune(demo_session, ctx):
    for _name, read in _readers(ctx):
        read(demo_session, ctx["demo"], ctx["staff"])


@pytest.mark.parametrize("who", ["parent", "other_staff"])
def test_parent_or_other_commune_staff_is_refused_by_every_service(demo_session, ctx, who):
    for _name, read in _readers(ctx):
        with pytest.raises(NotAllowed):
            read(demo_session, ctx["demo"], ctx[who])


def test_staff_cannot_reach_another_communes_ids(demo_session, ctx, now):
    # autreville's agent, in autreville, naming demo's objects.
    with pytest.raises(NotAllowed):
        summary_rules.family_summary(demo_session, ctx["autreville"], ctx["other_staff"], ctx["martin"])
    with pytest.raises(NotAllowed):
        attendance.attendance(demo_session, ctx["autreville"], ctx["other_staff"], MONDAY, ctx["canteen"])
    with pytest.raises(NotAllowed):
        admin_services.change_price(
            demo_session,
            now,
            structure_id=ctx["autreville"],
            account_id=ctx["other_staff"],
            service_id=ctx["canteen"],
            price="1,00",
            valid_from=MONDAY,
        )
    document_id = demo_session.exec(select(Document.id).where(Document.structure_id == ctx["demo"])).first()
    with pytest.raises(NotAllowed):
        admin_documents.set_published(
            demo_session,
            now,
            structure_id=ctx["autreville"],
            account_id=ctx["other_staff"],
            document_id=document_id,
            published=False,
        )
    lea = _child(demo_session, "Léa")
    with pytest.raises(NotAllowed):
        member_rules.save_child(
            demo_session,
            now,
            structure_id=ctx["autreville"],
            account_id=ctx["other_staff"],
            family_id=ctx["martin"],
            child_id=lea.id,
            expected_version=None,
            values={"last_name": "X", "first_name": "Y"},
            service_ids=set(),
        )


@pytest.fixture
def client(ctx, database, monkeypatch, tmp_path, settings):
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    return TestClient(build_api(), base_url="http://portail.test", follow_redirects=False)


def _login(client, slug, address, password, staff_form):
    path = f"/api/{slug}/admin/connexion" if staff_form else f"/api/{slug}/connexion"
    response = client.post(
        path, data={"email": address, "password": password}, headers={"origin": "http://portail.test"}
    )
    client.cookies.clear()
    return response


def test_staff_form_refuses_a_parent_and_gives_no_session(client):
    response = _login(client, "demo", MARTIN_EMAIL, MARTIN_PASSWORD, staff_form=True)
    assert response.headers["location"].startswith("/demo/admin/connexion?erreur=identifiants")
    assert "cp_staff_demo" not in response.headers.get("set-cookie", "")
    assert "cp_session_demo=" not in response.headers.get("set-cookie", "")


def test_staff_on_the_parent_form_lands_in_the_back_office_with_the_staff_cookie(client):
    response = _login(client, "demo", STAFF_EMAIL, STAFF_PASSWORD, staff_form=False)
    assert response.headers["location"] == "/demo/admin"
    assert response.headers["set-cookie"].startswith("cp_staff_demo=")
    assert "cp_session_demo=" not in response.headers["set-cookie"]


ADMIN_URLS = [
    "/api/demo/admin/modele-import-familles.csv",
    f"/api/demo/admin/effectifs.csv?jour={MONDAY}&prestation={{canteen}}",
    f"/api/demo/admin/effectifs.pdf?jour={MONDAY}&prestation={{canteen}}",
    "/api/demo/admin/paiements.csv",
]


def test_admin_routes_answer_staff_only(client, ctx):
    urls = [u.format(canteen=ctx["canteen"]) for u in ADMIN_URLS]
    staff = _login(client, "demo", STAFF_EMAIL, STAFF_PASSWORD, True).cookies.get("cp_staff_demo")
    parent = _login(client, "demo", MARTIN_EMAIL, MARTIN_PASSWORD, False).cookies.get("cp_session_demo")
    other = _login(client, "autreville", OTHER_STAFF, OTHER_PASSWORD, True).cookies.get("cp_staff_autreville")
    assert staff and parent and other
    client.cookies.clear()  # only the cookies named below travel
    for url in urls:
        assert client.get(url, cookies={"cp_staff_demo": staff}).status_code == 200, url
        # The parent's token, under either cookie name, opens nothing.
        assert client.get(url, cookies={"cp_session_demo": parent}).status_code == 404
        assert client.get(url, cookies={"cp_staff_demo": parent}).status_code == 404
        # autreville's agent, with its token under demo's cookie name, opens nothing in demo.
        assert client.get(url, cookies={"cp_staff_demo": other}).status_code == 404
        assert client.get(url).status_code == 404
    # autreville's agent naming demo's service in its own commune: refused too.
    url = f"/api/autreville/admin/effectifs.csv?jour={MONDAY}&prestation={ctx['canteen']}"
    assert client.get(url, cookies={"cp_staff_autreville": other}).status_code == 404
    pdf = client.get(urls[2], cookies={"cp_staff_demo": staff})
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    template = client.get(urls[0], cookies={"cp_staff_demo": staff})
    assert template.content.startswith("\ufeff".encode()) and b"famille;civilite;" in template.content


# --- CSV import --------------------------------------------------------------------------------

HEADER = ";".join(csv_parsing.COLUMNS)


def _csv(*lines: str, bom: bool = True) -> bytes:
    return (("\ufeff" if bom else "") + "\r\n".join([HEADER, *lines]) + "\r\n").encode("utf-8")


GOOD = [
    "D-100;Mme;Petit;Camille;camille.petit@example.fr;06 11 22 33 44;4 rue des Écoles;44000;Démo;Petit;Jules;"
    "12/05/2018;École Jules Ferry;CE2;Restauration scolaire|Garderie du soir",
    "D-100;M.;Petit;Marc;marc.petit@example.fr;;4 rue des Écoles;44000;Démo;Petit;Rose;03/09/2020;"
    "École Jules Ferry;CP;Restauration scolaire",
    "D-101;Mme;Leroy;Anne;anne.leroy@example.fr;0622334455;;;;Leroy;Tom;01/02/2019;École Prévert;CE1;",
]


def _count(session, model, *where):
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_csv_with_errors_imports_nothing_and_lists_each_bad_line(database, ctx, now, settings):
    bad = [
        GOOD[0],
        "D-102;Mme;Durand;Zoé;pas-une-adresse;;;;;Durand;Léo;31/02/2019;;;Cantine",  # line 3
        GOOD[2],
        "D-103;;;Paul;" + MARTIN_EMAIL + ";0612;;;;;;;;;",  # line 5
    ]
    with database.write_session() as s:
        families_before = _count(s, Family)
        result = csv_import.import_families(
            s,
            now,
            structure_id=ctx["demo"],
            account_id=ctx["staff"],
            data=_csv(*bad),
            mailer=Mailer(settings),
            base_url="http://x",
        )
    assert not result.ok
    assert [e.line for e in result.errors] == [3, 5]
    text3, text5 = str(result.errors[0]), str(result.errors[1])
    assert text3.startswith("Ligne 3 :") and "email" in text3 and "date_naissance" in text3 and "Cantine" in text3
    assert "nom_responsable" in text5 and "déjà un compte" in text5 and "mobile" in text5
    with database.session() as s:
        assert _count(s, Family) == families_before
        assert _count(s, Account, Account.email == "camille.petit@example.fr") == 0
    assert _mails(settings) == []


def test_csv_header_and_separator_problems_are_explained(demo_session, ctx, now):
    families, errors = csv_parsing.parse(demo_session, ctx["demo"], b"famille,nom,email\r\nx,y,z\r\n", MONDAY)
    assert errors and "points-virgules" in errors[0].message
    families, errors = csv_parsing.parse(demo_session, ctx["demo"], b"famille;email\r\n", MONDAY)
    assert errors and "nom_responsable" in errors[0].message and errors[0].line == 1


def test_good_csv_imports_families_children_enrollments_and_invites(database, ctx, now, settings):
    with database.write_session() as s:
        result = csv_import.import_families(
            s,
            now,
            structure_id=ctx["demo"],
            account_id=ctx["staff"],
            data=_csv(*GOOD),
            mailer=Mailer(settings),
            base_url="http://x",
        )
    assert result.ok, result.errors
    assert (result.families, result.children, result.invitations) == (2, 3, 2)
    with database.session() as s:
        petit = s.exec(select(Family).where(Family.reference == "D-100")).one()
        assert petit.structure_id == ctx["demo"] and petit.name == "Petit"
        guardians = s.exec(select(Guardian).where(Guardian.family_id == petit.id).order_by(Guardian.position)).all()
        assert [g.first_name for g in guardians] == ["Camille", "Marc"]
        assert guardians[0].mobile == "0611223344"
        account = _account(s, "camille.petit@example.fr")
        assert account.family_id == petit.id and account.role == "parent" and account.password_hash is None
        jules = _child(s, "Jules")
        assert jules.birth_date == date(2018, 5, 12) and jules.class_name == "CE2"
        names = {
            s.get(Service, e.service_id).name for e in s.exec(select(Enrollment).where(Enrollment.child_id == jules.id))
        }
        assert names == {"Restauration scolaire", "Garderie du soir"}
        assert _count(s, Enrollment, Enrollment.child_id == _child(s, "Tom").id) == 0
    invited = sorted(m["To"] for m in _mails(settings))
    assert invited == ["anne.leroy@example.fr", "camille.petit@example.fr"]
    assert all("mot-de-passe/creer?jeton=" in m.get_body(("plain",)).get_content() for m in _mails(settings))
    # The same file again: every family now exists, nothing more is written.
    with database.write_session() as s:
        again = csv_import.import_families(
            s,
            now,
            structure_id=ctx["demo"],
            account_id=ctx["staff"],
            data=_csv(*GOOD, bom=False),
            mailer=None,
            base_url="http://x",
        )
    assert not again.ok and [e.line for e in again.errors] == [2, 3, 4]


# --- attendance --------------------------------------------------------------------------------


def test_attendance_counts_equal_the_paid_reservations(database, ctx, now):
    with database.write_session() as s:
        _reservation(s, ctx, "Léa", "paid", now=now)
        _reservation(s, ctx, "Hugo", "paid", now=now)
        _reservation(s, ctx, "Emma", "pending", now=now)
        _reservation(s, ctx, "Emma", "cancelled", now=now)
        _reservation(s, ctx, "Léa", "paid", day=MONDAY + timedelta(days=1), now=now)
        hugo = _child(s, "Hugo")
        hugo.pai, hugo.pai_notes = True, "Allergie arachide"
        s.add(hugo)
    with database.session() as s:
        data = attendance.attendance(s, ctx["demo"], ctx["staff"], MONDAY, ctx["canteen"])
        paid = _count(
            s,
            Reservation,
            Reservation.day == MONDAY,
            Reservation.service_id == ctx["canteen"],
            Reservation.status == "paid",
        )
    assert data.total == paid == 2
    assert sorted(r.child_name for r in data.rows) == ["MARTIN Hugo", "MARTIN Léa"]
    assert dict(data.by_school) == {"École Jules Ferry": 2}
    assert dict(data.by_diet) == {"Sans régime particulier": 1, "Sans porc": 1}
    assert data.pai_count == 1
    exported = attendance.attendance_csv(data).decode("utf-8-sig")
    assert exported.count("\r\n") == 3 and ";PAI" in exported and "arachide" not in exported
    assert attendance.attendance_pdf(data, "Ville de Démo", now).startswith(b"%PDF")


# --- closures ------------------------------------------------------------------------------------


def test_closing_a_day_cancels_paid_days_credits_and_mails_families_and_empties_baskets(database, ctx, now, settings):
    with database.write_session() as s:
        lea_paid = _reservation(s, ctx, "Léa", "paid", price=385, now=now)
        hugo_paid = _reservation(s, ctx, "Hugo", "paid", price=350, now=now)
        emma = _child(s, "Emma")
        basket = Basket(structure_id=ctx["demo"], family_id=emma.family_id, created_at=now, updated_at=now)
        s.add(basket)
        s.flush()
        pending = _reservation(s, ctx, "Emma", "pending", basket_id=basket.id, now=now)
        other_day = _reservation(s, ctx, "Léa", "paid", day=MONDAY + timedelta(days=1), now=now)
        s.flush()
        ids = (lea_paid.id, hugo_paid.id, pending.id, other_day.id, basket.id)
    with database.write_session() as s:
        result = closures.close_day(
            s,
            now,
            structure_id=ctx["demo"],
            account_id=ctx["staff"],
            day=MONDAY.isoformat(),
            service_id=None,
            reason="Grève du personnel",
            mailer=Mailer(settings),
        )
    assert result.ok and (result.cancelled, result.credited_families, result.removed_pending) == (2, 1, 1)
    with database.session() as s:
        assert s.get(Reservation, ids[0]).status == "cancelled" and s.get(Reservation, ids[1]).status == "cancelled"
        assert s.get(Reservation, ids[2]) is None
        assert s.get(Reservation, ids[3]).status == "paid"
        assert s.get(Basket, ids[4]).version == 2
        credits = s.exec(select(Credit).where(Credit.family_id == ctx["martin"])).all()
        assert sorted(c.amount_cents for c in credits) == [350, 385]
        assert {c.label for c in credits} == {"Avoir : fermeture exceptionnelle du 30/11/2026"}
        closed = s.exec(select(ClosedDay).where(ClosedDay.day == MONDAY, ClosedDay.kind == "closure")).one()
        assert closed.structure_id == ctx["demo"] and closed.reason == "Grève du personnel"
    with database.write_session() as s:
        twice = closures.close_day(
            s,
            now,
            structure_id=ctx["demo"],
            account_id=ctx["staff"],
            day=MONDAY,
            service_id=None,
            reason="Encore",
            mailer=None,
        )
    assert not twice.ok and "déjà" in twice.errors["day"]
    mails = _mails(settings)
    assert [m["To"] for m in mails] == [MARTIN_EMAIL]
    body = mails[0].get_body(("plain",)).get_content()
    assert "lundi 30 novembre 2026" in body and "7,35" in body


def test_closure_validation_and_holidays(database, ctx, now):
    with database.write_session() as s:
        refused = closures.close_day(
            s,
            now,
            structure_id=ctx["demo"],
            account_id=ctx["staff"],
            day="2026-11-01",
            service_id=None,
            reason="",
            mailer=None,
        )
        assert not refused.ok and set(refused.errors) == {"day", "reason"}
        s.exec(ClosedDay.__table__.delete().where(ClosedDay.kind == "public_holiday"))  # type: ignore[attr-defined]  # SQLModel's __table__ is untyped
        added = holidays.add_public_holidays(s, now, structure_id=ctx["demo"], account_id=ctx["staff"])
        assert added.ok and "11 jour(s)" in added.message
        again = holidays.add_public_holidays(s, now, structure_id=ctx["demo"], account_id=ctx["staff"])
        assert "déjà" in again.message
        ranged = holidays.add_school_holidays(
            s,
            now,
            structure_id=ctx["demo"],
            account_id=ctx["staff"],
            label="Classe verte",
            first="14/06/2027",
            last="2027-06-16",
        )
        assert ranged.ok and "3 jour(s)" in ranged.message
        s.flush()
        [period] = [
            p
            for p in admin_calendar.list_closed_periods(
                s, ctx["demo"], ctx["staff"], date(2027, 6, 1), date(2027, 6, 30)
            )
            if p.reason == "Classe verte"
        ]
        assert period.label == "du lundi 14 juin 2027 au mercredi 16 juin 2027" and len(period.ids) == 3
        removed = admin_calendar.delete_closed_days(
            s, now, structure_id=ctx["demo"], account_id=ctx["staff"], closed_day_ids=period.ids
        )
        assert removed.ok and "ne sont plus fermés" in removed.message
        with pytest.raises(NotAllowed):
            admin_calendar.delete_closed_days(
                s,
                now,
                structure_id=ctx["autreville"],
                account_id=ctx["other_staff"],
                closed_day_ids=[period.ids[0] - 1],
            )


# --- prices ---------------------------------------------------------------------------------------


def test_a_price_change_from_a_date_never_rewrites_paid_reservations(database, ctx, now):
    with database.write_session() as s:
        paid = _reservation(s, ctx, "Léa", "paid", day=date(2026, 12, 14), price=385, now=now)
        s.flush()
        paid_id = paid.id
    with database.write_session() as s:
        result = admin_services.change_price(
            s,
            now,
            structure_id=ctx["demo"],
            account_id=ctx["staff"],
            service_id=ctx["canteen"],
            price="4,10",
            valid_from="2026-12-01",
        )
        assert result.ok, result.errors
        past = admin_services.change_price(
            s,
            now,
            structure_id=ctx["demo"],
            account_id=ctx["staff"],
            service_id=ctx["canteen"],
            price="4,10",
            valid_from="2026-11-01",
        )
        assert not past.ok and "valid_from" in past.errors
    with database.session() as s:
        assert s.get(Reservation, paid_id).price_cents == 385
        assert admin_services.price_on(s, ctx["canteen"], date(2026, 11, 30)) == 385
        assert admin_services.price_on(s, ctx["canteen"], date(2026, 12, 1)) == 410
        assert s.get(Service, ctx["canteen"]).unit_price_cents == 385  # today's price until 1 December
        [row] = [
            r
            for r in admin_services.list_services(s, ctx["demo"], ctx["staff"], date(2026, 12, 2))
            if r.id == ctx["canteen"]
        ]
        assert row.price_label == "4,10\u00a0€" and row.prices[0] == (date(2026, 12, 1), "4,10\u00a0€")
        assert _count(s, ServicePrice, ServicePrice.service_id == ctx["canteen"]) == 2
        entry = s.exec(select(AuditLog).where(AuditLog.action == "admin.price_changed")).one()
        assert entry.account_id == ctx["staff"]


# --- settings ------------------------------------------------------------------------------------


def test_settings_are_validated_in_french_and_audited(database, ctx, now):
    with database.session() as s:
        values = admin_settings.settings_values(s, ctx["demo"], ctx["staff"])
    bad = {**values, "deadline_time": "25:00", "email": "non", "period_mode": "year"}
    with database.write_session() as s:
        result = admin_settings.save_settings(s, now, structure_id=ctx["demo"], account_id=ctx["staff"], values=bad)
    assert not result.ok and set(result.errors) == {"deadline_time", "email", "period_mode"}
    good = {
        **values,
        "period_mode": "month",
        "deadline_kind": "days_before",
        "deadline_days_before": "3",
        "deadline_time": "12:00",
        "allow_children_edit": "",
        "diets": "Sans porc\n\nVégétarien\nSans porc",
    }
    assert admin_settings.deadline_description(good) == "3 jours avant le début de la période à 12h00"
    with database.write_session() as s:
        assert admin_settings.save_settings(s, now, structure_id=ctx["demo"], account_id=ctx["staff"], values=good).ok
    with database.session() as s:
        demo = s.get(Structure, ctx["demo"])
        assert (demo.period_mode, demo.deadline_days_before, demo.allow_children_edit) == ("month", 3, False)
        assert demo.diets == "Sans porc\nVégétarien"
        assert s.exec(select(AuditLog).where(AuditLog.action == "admin.settings_updated")).one()


# --- families and documents ----------------------------------------------------------------------


def test_staff_creates_a_family_and_edits_a_child_even_when_parents_cannot(database, ctx, now, settings):
    with database.write_session() as s:
        demo = s.get(Structure, ctx["demo"])
        demo.allow_children_edit = False
        s.add(demo)
        created = admin_families.create_family(
            s,
            now,
            structure_id=ctx["demo"],
            account_id=ctx["staff"],
            name="Roux",
            reference="D-9",
            guardian={"civility": "Mme", "last_name": "Roux", "first_name": "Inès", "email": "ines.roux@example.fr"},
            mailer=Mailer(settings),
            base_url="http://x",
        )
        assert created.ok
        taken = admin_families.create_family(
            s,
            now,
            structure_id=ctx["demo"],
            account_id=ctx["staff"],
            name="Autre",
            reference="",
            guardian={"last_name": "A", "first_name": "B", "email": MARTIN_EMAIL},
            mailer=None,
            base_url="http://x",
        )
        assert not taken.ok and "email" in taken.errors
        lea = _child(s, "Léa")
        saved = member_rules.save_child(
            s,
            now,
            structure_id=ctx["demo"],
            account_id=ctx["staff"],
            family_id=ctx["martin"],
            child_id=lea.id,
            expected_version=lea.version,
            values={
                "last_name": "Martin",
                "first_name": "Léa",
                "class_name": "CM2",
                "school": lea.school,
                "pai": "1",
                "pai_notes": "Asthme",
            },
            service_ids={ctx["canteen"]},
        )
        assert saved.ok
    assert [m["To"] for m in _mails(settings)] == ["ines.roux@example.fr"]
    with database.session() as s:
        lea = _child(s, "Léa")
        assert lea.class_name == "CM2" and lea.pai
        entry = s.exec(select(AuditLog).where(AuditLog.action == "admin.child_updated")).one()
        assert "Asthme" not in entry.details and "pai_notes" in entry.details
        summary = summary_rules.family_summary(s, ctx["demo"], ctx["staff"], ctx["martin"])
        assert [c.first_name for c in summary.children] == ["Léa", "Hugo"]
        assert admin_families.search_families(s, ctx["demo"], ctx["staff"], "hugo")[0].name == "Martin"
        assert admin_families.search_families(s, ctx["demo"], ctx["staff"], "ines.roux")[0].name == "Roux"
        assert admin_families.search_families(s, ctx["demo"], ctx["staff"], "bernard") == []


def test_documents_upload_refuses_non_pdf_and_publishes(database, ctx, now, settings):
    with database.write_session() as s:
        refused = admin_documents.upload_document(
            s,
            settings,
            now,
            structure_id=ctx["demo"],
            account_id=ctx["staff"],
            title="Menu",
            category="Menus",
            data=b"MZ\x90\x00" + b"\x00" * 100,
            filename="menu.exe",
            published=True,
        )
        assert not refused.ok and "file" in refused.errors
        added = admin_documents.upload_document(
            s,
            settings,
            now,
            structure_id=ctx["demo"],
            account_id=ctx["staff"],
            title="Menu de Noël",
            category="Menus",
            data=render_reglement("Ville de Démo"),
            filename="noël.pdf",
            published=False,
        )
        assert added.ok
        assert admin_documents.set_published(
            s, now, structure_id=ctx["demo"], account_id=ctx["staff"], document_id=added.document_id, published=True
        ).ok
    with database.session() as s:
        document = s.get(Document, added.document_id)
        assert document.published and document.original_name == "noel.pdf"


# --- command line ----------------------------------------------------------------------------------


def test_create_staff_command(database, demo_session, monkeypatch, capsys):
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    assert (
        cli.main(
            ["create-staff", "--commune", "demo", "--email", "Nouvel.Agent@Demo.fr", "--password", "Tres-Solide-2026!"]
        )
        == 0
    )
    assert "Compte agent créé : nouvel.agent@demo.fr" in capsys.readouterr().out
    with database.session() as s:
        account = _account(s, "nouvel.agent@demo.fr")
        assert account.role == "staff" and account.family_id is None and account.password_hash
    assert (
        cli.main(
            ["create-staff", "--commune", "demo", "--email", "nouvel.agent@demo.fr", "--password", "Tres-Solide-2026!"]
        )
        == 1
    )
    assert "existe déjà" in capsys.readouterr().err
    assert cli.main(["create-staff", "--commune", "demo", "--email", "x@demo.fr", "--password", "court"]) == 1
    assert "Mot de passe refusé" in capsys.readouterr().err
    assert (
        cli.main(["create-staff", "--commune", "nulle-part", "--email", "x@demo.fr", "--password", "Tres-Solide-2026!"])
        == 1
    )


def test_create_staff_refuses_a_parents_address(database, demo_session, now):
    with database.write_session() as s, pytest.raises(StaffError):
        create_staff(s, now, "demo", MARTIN_EMAIL, "Tres-Solide-2026!")


def test_staff_routes_serve_drafts_and_attachments_of_their_commune_only(client, ctx, database, now, settings):
    from cantine_portal.infra import storage
    from cantine_portal.models import ContactMessage

    pdf = render_reglement("Ville de Démo")
    with database.write_session() as s:
        draft = s.exec(
            select(Document).where(Document.structure_id == ctx["demo"], col(Document.published).is_(False))
        ).first()
        message = ContactMessage(
            structure_id=ctx["demo"],
            family_id=ctx["martin"],
            account_id=ctx["parent"],
            subject="PAI",
            body="Voir pièce jointe",
            created_at=now,
            attachment_path=storage.save_bytes(settings, "contact", pdf),
            attachment_name="certificat.pdf",
        )
        s.add(message)
        s.flush()
        draft_id, message_id = draft.id, message.id
    staff = _login(client, "demo", STAFF_EMAIL, STAFF_PASSWORD, True).cookies.get("cp_staff_demo")
    other = _login(client, "autreville", OTHER_STAFF, OTHER_PASSWORD, True).cookies.get("cp_staff_autreville")
    for url in (f"/api/demo/admin/documents/{draft_id}", f"/api/demo/admin/messages/{message_id}/piece-jointe"):
        ok = client.get(url, cookies={"cp_staff_demo": staff})
        assert ok.status_code == 200 and ok.headers["content-type"] == "application/pdf"
        assert ok.headers["cache-control"] == "private, no-store"
        assert client.get(url, cookies={"cp_staff_demo": other}).status_code == 404
        foreign = url.replace("/api/demo/", "/api/autreville/")
        assert client.get(foreign, cookies={"cp_staff_autreville": other}).status_code == 404
    assert (
        client.get(f"/api/demo/admin/messages/{message_id}/piece-jointe", cookies={"cp_staff_demo": staff}).content
        == pdf
    )
    assert client.get("/api/demo/admin/documents/abc", cookies={"cp_staff_demo": staff}).status_code == 404
