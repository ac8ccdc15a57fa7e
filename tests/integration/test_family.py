"""Guide section 2 rules on the database: toggles, versions, audit, ownership, unenrolling
(field validation: tests/unit/test_family_fields.py)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from cantine_portal.config import Settings
from cantine_portal.infra.mail import Mailer
from cantine_portal.models import (
    Account,
    AuditLog,
    Basket,
    Child,
    Enrollment,
    Family,
    Guardian,
    Reservation,
    Service,
    Structure,
)
from cantine_portal.services.demo import MARTIN_EMAIL, MARTIN_PASSWORD
from cantine_portal.services.families import children as child_rules
from cantine_portal.services.families import family as fs
from cantine_portal.services.families import guardians as guardian_rules

# --- helpers ---------------------------------------------------------------------------------


def _structure(session, slug):
    return session.exec(select(Structure).where(Structure.slug == slug)).one()


def _family(session, name):
    return session.exec(select(Family).where(Family.name == name)).one()


def _guardians(session, family):
    return list(session.exec(select(Guardian).where(Guardian.family_id == family.id).order_by(Guardian.position)))


def _children(session, family):
    return list(session.exec(select(Child).where(Child.family_id == family.id).order_by(Child.position)))


def _account(session, email):
    return session.exec(select(Account).where(Account.email == email)).one()


def _ctx(session, name="Martin", slug="demo"):
    structure = _structure(session, slug)
    family = _family(session, name)
    account = session.exec(select(Account).where(Account.family_id == family.id)).one()
    return structure, family, account


def _save_guardian(database, now, structure, family, account, guardian, values=None, version=None, **kwargs):
    with database.write_session() as s:
        return guardian_rules.save_guardian(
            s,
            now,
            structure_id=structure.id,
            family_id=family.id,
            account_id=account.id,
            guardian_id=guardian.id,
            expected_version=guardian.version if version is None else version,
            values={**fs.guardian_form_values(guardian), **(values or {})},
            **kwargs,
        )


def _save_child(database, now, structure, family, account, child, values=None, service_ids=None, version=None):
    with database.write_session() as s:
        if service_ids is None:
            service_ids = fs.enrolled_service_ids(s, child.id)
        return child_rules.save_child(
            s,
            now,
            structure_id=structure.id,
            family_id=family.id,
            account_id=account.id,
            child_id=child.id,
            expected_version=child.version if version is None else version,
            values={**fs.child_form_values(child), **(values or {})},
            service_ids=set(service_ids),
        )


def _audit(database, action):
    with database.session() as s:
        return list(s.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


# --- reading ---------------------------------------------------------------------------------


def test_demo_family_reads(demo_session):
    structure, family, _ = _ctx(demo_session)
    guardians = fs.guardians_of(demo_session, structure.id, family.id)
    assert [g.first_name for g in guardians] == ["Claire", "Julien"]
    assert fs.guardian_form_values(guardians[1])["mobile"] == "06 98 76 54 32"
    assert [c.first_name for c in fs.children_of(demo_session, structure.id, family.id)] == ["Léa", "Hugo"]
    assert fs.diet_choices(demo_session, structure.id) == ["Sans porc", "Sans viande", "Végétarien", "Sans gluten"]
    assert [s.name for s in fs.active_services(demo_session, structure.id)][0] == "Restauration scolaire"
    assert fs.login_guardian_ids(demo_session, family.id) == {guardians[0].id: MARTIN_EMAIL}


# --- guardians -------------------------------------------------------------------------------


def test_save_guardian_normalises_phone_bumps_version_and_audits(database, demo_session, now):
    structure, family, account = _ctx(demo_session)
    julien = _guardians(demo_session, family)[1]
    result = _save_guardian(
        database, now, structure, family, account, julien, {"mobile": "07.11.22.33.44", "employer": "Chantiers"}
    )
    assert result.ok and result.message == fs.MSG_SAVED and result.version == 2
    with database.session() as s:
        stored = s.get(Guardian, julien.id)
        assert (stored.mobile, stored.employer, stored.version) == ("0711223344", "Chantiers", 2)
    [entry] = _audit(database, "guardian.updated")
    details = json.loads(entry.details)
    assert entry.account_id == account.id and entry.target == f"guardian:{julien.id}" and entry.at is not None
    assert details["changes"] == {"mobile": ["0698765432", "0711223344"], "employer": ["", "Chantiers"]}


def test_invalid_guardian_is_not_saved(database, demo_session, now):
    structure, family, account = _ctx(demo_session)
    julien = _guardians(demo_session, family)[1]
    result = _save_guardian(
        database, now, structure, family, account, julien, {"postal_code": "4400", "first_name": "", "city": "Nantes"}
    )
    assert not result.ok and set(result.errors) == {"postal_code", "first_name"}
    with database.session() as s:
        assert s.get(Guardian, julien.id).city == "Démo-sur-Loire"
        assert s.get(Guardian, julien.id).version == 1


def test_version_conflict_is_refused(database, demo_session, now):
    structure, family, account = _ctx(demo_session)
    julien = _guardians(demo_session, family)[1]
    assert _save_guardian(database, now, structure, family, account, julien, {"city": "Nantes"}).ok
    # The other guardian's tab still shows version 1.
    stale = _save_guardian(database, now, structure, family, account, julien, {"city": "Rezé"}, version=1)
    assert stale.conflict and not stale.ok and stale.message == fs.MSG_CONFLICT
    with database.session() as s:
        assert s.get(Guardian, julien.id).city == "Nantes"


def test_compare_and_set_catches_a_write_between_read_and_update(database, demo_session, now, monkeypatch):
    """The UPDATE … WHERE version = ? refuses even if the row changed after the service read it."""
    structure, family, account = _ctx(demo_session)
    julien = _guardians(demo_session, family)[1]
    real_validate = guardian_rules.validate_guardian
    sessions = []

    def validate_then_concurrent_write(values):
        # Another process's committed write, as PostgreSQL's READ COMMITTED lets it land here.
        sessions[0].execute(
            text("UPDATE guardian SET version = version + 1, city = 'Ailleurs' WHERE id = :id"), {"id": julien.id}
        )
        return real_validate(values)

    monkeypatch.setattr(guardian_rules, "validate_guardian", validate_then_concurrent_write)
    with database.write_session() as s:
        sessions.append(s)
        result = guardian_rules.save_guardian(
            s,
            now,
            structure_id=structure.id,
            family_id=family.id,
            account_id=account.id,
            guardian_id=julien.id,
            expected_version=1,
            values={**fs.guardian_form_values(julien), "city": "Rezé"},
        )
    assert result.conflict
    with database.session() as s:
        assert s.get(Guardian, julien.id).city == "Ailleurs"


def test_family_toggle_refused_on_server(database, demo_session, now):
    structure, family, account = _ctx(demo_session)
    with database.write_session() as s:
        s.get(Structure, structure.id).allow_family_edit = False
    julien = _guardians(demo_session, family)[1]
    with pytest.raises(fs.EditingClosed):
        _save_guardian(database, now, structure, family, account, julien, {"city": "Nantes"})
    with database.session() as s:
        assert s.get(Guardian, julien.id).city == "Démo-sur-Loire"
        assert not fs.family_edit_allowed(s, structure.id)


def test_children_toggle_refused_on_server(database, demo_session, now):
    structure, family, account = _ctx(demo_session)
    with database.write_session() as s:
        s.get(Structure, structure.id).allow_children_edit = False
    hugo = _children(demo_session, family)[1]
    with pytest.raises(fs.EditingClosed):
        _save_child(database, now, structure, family, account, hugo, {"diet": "Végétarien"})
    with database.session() as s:
        assert s.get(Child, hugo.id).diet == "Sans porc"


# --- login e-mail ----------------------------------------------------------------------------


@pytest.fixture
def mailer(tmp_path, monkeypatch):
    monkeypatch.setenv("CANTINE_VAR_DIR", str(tmp_path / "var"))
    return Mailer(Settings.from_env())


def _mails(mailer):
    folder = mailer.settings.mail_dir
    return [p.read_text() for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def test_login_email_change_needs_password_and_warns_old_address(database, demo_session, now, mailer):
    structure, family, account = _ctx(demo_session)
    claire = _guardians(demo_session, family)[0]
    new = {"email": "Claire.Nouvelle@Example.fr"}
    asked = _save_guardian(database, now, structure, family, account, claire, new, mailer=mailer)
    assert not asked.ok and "current_password" in asked.errors
    wrong = _save_guardian(
        database, now, structure, family, account, claire, new, mailer=mailer, current_password="pas-le-bon"
    )
    assert not wrong.ok and wrong.errors["current_password"] == guardian_rules.MSG_PASSWORD_WRONG
    assert _mails(mailer) == []
    done = _save_guardian(
        database, now, structure, family, account, claire, new, mailer=mailer, current_password=MARTIN_PASSWORD
    )
    assert done.ok and done.new_login_email == "claire.nouvelle@example.fr"
    with database.session() as s:
        assert s.get(Account, account.id).email == "claire.nouvelle@example.fr"
    [mail] = _mails(mailer)
    assert f"To: {MARTIN_EMAIL}" in mail and MARTIN_PASSWORD not in mail
    assert _audit(database, "account.email_changed")


def test_login_email_already_used_in_commune_is_refused(database, demo_session, now, mailer):
    structure, family, account = _ctx(demo_session)
    claire = _guardians(demo_session, family)[0]
    taken = _save_guardian(
        database,
        now,
        structure,
        family,
        account,
        claire,
        {"email": "FAMILLE.DURAND@example.fr"},
        mailer=mailer,
        current_password=MARTIN_PASSWORD,
    )
    assert not taken.ok and taken.errors["email"] == guardian_rules.MSG_EMAIL_TAKEN
    with database.session() as s:
        assert s.get(Account, account.id).email == MARTIN_EMAIL


def test_non_login_email_changes_without_password(database, demo_session, now, mailer):
    structure, family, account = _ctx(demo_session)
    julien = _guardians(demo_session, family)[1]
    result = _save_guardian(
        database, now, structure, family, account, julien, {"email": "j.martin@example.fr"}, mailer=mailer
    )
    assert result.ok and _mails(mailer) == []


# --- authorization ---------------------------------------------------------------------------


def test_forged_guardian_of_another_family_or_commune_is_refused(database, demo_session, now):
    structure, martin, account = _ctx(demo_session)
    durand_guardian = _guardians(demo_session, _family(demo_session, "Durand"))[0]
    bernard_guardian = _guardians(demo_session, _family(demo_session, "Bernard"))[0]
    for forged in (durand_guardian, bernard_guardian):
        with pytest.raises(fs.NotYourFamily):
            _save_guardian(database, now, structure, martin, account, forged, {"city": "Piraté"})
    # Another commune's family id with this commune's structure id is refused too.
    bernard = _family(demo_session, "Bernard")
    with pytest.raises(PermissionError):
        _save_guardian(database, now, structure, bernard, account, bernard_guardian, {"city": "Piraté"})
    with pytest.raises(PermissionError):
        fs.guardians_of(demo_session, structure.id, bernard.id)
    with database.session() as s:
        assert s.get(Guardian, durand_guardian.id).city == "Démo-sur-Loire"
        assert s.get(Guardian, bernard_guardian.id).city == "Autreville"


def test_forged_child_or_service_is_refused(database, demo_session, now):
    structure, martin, account = _ctx(demo_session)
    emma = _children(demo_session, _family(demo_session, "Durand"))[0]
    nina = _children(demo_session, _family(demo_session, "Bernard"))[0]
    for forged in (emma, nina):
        with pytest.raises(fs.NotYourFamily):
            _save_child(database, now, structure, martin, account, forged, {"diet": ""}, service_ids=set())
    hugo = _children(demo_session, martin)[1]
    autreville_canteen = demo_session.exec(
        select(Service).where(Service.structure_id == _structure(demo_session, "autreville").id)
    ).first()
    with pytest.raises(fs.NotYourFamily):
        _save_child(database, now, structure, martin, account, hugo, service_ids={autreville_canteen.id})
    with database.session() as s:
        assert s.get(Child, emma.id).diet == "Végétarien"


# --- children --------------------------------------------------------------------------------


def test_child_diet_and_pai_saved_audit_without_health_values(database, demo_session, now):
    structure, family, account = _ctx(demo_session)
    hugo = _children(demo_session, family)[1]
    result = _save_child(
        database,
        now,
        structure,
        family,
        account,
        hugo,
        {"diet": "Végétarien", "pai": "1", "pai_notes": "Allergie arachide sévère"},
    )
    assert result.ok and result.version == 2
    with database.session() as s:
        stored = s.get(Child, hugo.id)
        assert (stored.diet, stored.pai, stored.pai_notes) == ("Végétarien", True, "Allergie arachide sévère")
    [entry] = _audit(database, "child.updated")
    assert "arachide" not in entry.details.lower()
    details = json.loads(entry.details)
    assert details["changes"] == {"diet": ["Sans porc", "Végétarien"]}
    assert details["health_fields_changed"] == ["pai", "pai_notes"]


def test_child_validation(database, demo_session, now):
    structure, family, account = _ctx(demo_session)
    lea = _children(demo_session, family)[0]
    result = _save_child(
        database,
        now,
        structure,
        family,
        account,
        lea,
        {"diet": "Régime inventé", "first_name": " ", "birth_date": "2030-01-01"},
    )
    assert not result.ok and set(result.errors) == {"diet", "first_name", "birth_date"}
    assert _save_child(database, now, structure, family, account, lea, {"birth_date": "pas une date"}).errors


def test_child_version_conflict(database, demo_session, now):
    structure, family, account = _ctx(demo_session)
    lea = _children(demo_session, family)[0]
    assert _save_child(database, now, structure, family, account, lea, {"class_name": "CM2"}).ok
    stale = _save_child(database, now, structure, family, account, lea, {"class_name": "CE2"}, version=1)
    assert stale.conflict and stale.message == fs.MSG_CONFLICT


def test_unenroll_keeps_paid_future_days_and_deletes_pending(database, demo_session, now):
    structure, family, account = _ctx(demo_session)
    hugo = _children(demo_session, family)[1]
    canteen = demo_session.exec(
        select(Service).where(Service.structure_id == structure.id, Service.name == "Restauration scolaire")
    ).one()
    today = date(2026, 11, 26)
    with database.write_session() as s:
        basket = Basket(structure_id=structure.id, family_id=family.id, created_at=now, updated_at=now)
        s.add(basket)
        s.flush()

        def reservation(day, status, basket_id=None):
            s.add(
                Reservation(
                    structure_id=structure.id,
                    family_id=family.id,
                    child_id=hugo.id,
                    service_id=canteen.id,
                    day=day,
                    status=status,
                    price_cents=385,
                    basket_id=basket_id,
                    created_at=now,
                    updated_at=now,
                )
            )

        reservation(today + timedelta(days=4), "paid")
        reservation(today + timedelta(days=5), "paid")
        reservation(today - timedelta(days=2), "paid")  # past: not mentioned
        reservation(today + timedelta(days=7), "pending", basket.id)
        basket_id = basket.id
    ticked = fs.enrolled_service_ids(demo_session, hugo.id) - {canteen.id}
    result = _save_child(database, now, structure, family, account, hugo, service_ids=ticked)
    assert result.ok
    assert (
        "Restauration scolaire : Les 2 réservations déjà payées pour cette prestation sont conservées ; "
        "vous pouvez les annuler depuis Réservations."
    ) in result.notes
    assert any("retirée" in note for note in result.notes)
    with database.session() as s:
        statuses = sorted(r.status for r in s.exec(select(Reservation).where(Reservation.child_id == hugo.id)))
        assert statuses == ["paid", "paid", "paid"]
        assert (
            s.exec(
                select(Enrollment).where(Enrollment.child_id == hugo.id, Enrollment.service_id == canteen.id)
            ).first()
            is None
        )
        assert s.get(Basket, basket_id).version == 2
    details = json.loads(_audit(database, "child.updated")[0].details)
    assert details["services_removed"] == ["Restauration scolaire"]
    # Enrolling again works.
    with database.session() as s:
        hugo_now = s.get(Child, hugo.id)
    assert _save_child(database, now, structure, family, account, hugo_now, service_ids=ticked | {canteen.id}).ok


def test_inactive_service_enrollment_left_alone(database, demo_session, now):
    structure, family, account = _ctx(demo_session)
    lea = _children(demo_session, family)[0]
    with database.write_session() as s:
        morning = s.exec(
            select(Service).where(Service.structure_id == structure.id, Service.name == "Garderie du matin")
        ).one()
        morning.active = False
        morning_id = morning.id
    with database.session() as s:
        offered = {sv.id for sv in fs.active_services(s, structure.id)}
        ticked = fs.enrolled_service_ids(s, lea.id) & offered
    assert _save_child(database, now, structure, family, account, lea, {"class_name": "CM2"}, service_ids=ticked).ok
    with pytest.raises(fs.NotYourFamily):
        _save_child(database, now, structure, family, account, lea, service_ids=ticked | {morning_id})
    with database.session() as s:
        assert morning_id in fs.enrolled_service_ids(s, lea.id)


def test_password_asked_for_login_change_is_throttled(database, demo_session, now, mailer):
    structure, family, account = _ctx(demo_session)
    claire = _guardians(demo_session, family)[0]
    new = {"email": "claire.nouvelle@example.fr"}
    for _ in range(5):
        result = _save_guardian(
            database,
            now,
            structure,
            family,
            account,
            claire,
            new,
            mailer=mailer,
            current_password="devine",
            ip="203.0.113.9",
        )
        assert result.errors["current_password"] == guardian_rules.MSG_PASSWORD_WRONG
    blocked = _save_guardian(
        database,
        now,
        structure,
        family,
        account,
        claire,
        new,
        mailer=mailer,
        current_password=MARTIN_PASSWORD,
        ip="203.0.113.9",
    )
    assert not blocked.ok and "Trop de tentatives" in blocked.errors["current_password"]
