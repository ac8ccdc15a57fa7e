"""Parents' use cases: each owns its transaction, and ids that are not the actor's are refused."""

from __future__ import annotations

import pytest
from sqlmodel import select

from cantine_portal.models import Account, Child, ContactMessage, Family, Guardian, LoginSession, Structure
from cantine_portal.services.content import contact
from cantine_portal.services.demo import BERNARD_EMAIL, MARTIN_EMAIL, MARTIN_PASSWORD
from cantine_portal.services.families.family import MSG_CLOSED, MSG_CONFLICT
from cantine_portal.state.offload import run_handler
from cantine_portal.usecases import accounts, content, family
from cantine_portal.usecases.actors import ParentActor
from cantine_portal.usecases.errors import Refused


@pytest.fixture
def active(database, settings, demo_session, monkeypatch):
    """Use cases find the test database and settings where the application finds its own."""
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    return database


def _actor(session, address: str = MARTIN_EMAIL) -> ParentActor:
    account = session.exec(select(Account).where(Account.email == address)).one()
    return ParentActor(account.structure_id, account.family_id, account.id, "127.0.0.1")


def _family_rows(session, model, name: str):
    family_row = session.exec(select(Family).where(Family.name == name)).one()
    return session.exec(select(model).where(model.family_id == family_row.id).order_by(model.id)).all()


def test_family_tabs_show_the_actor_family_only(active, demo_session):
    view = family.family_tabs(_actor(demo_session))
    assert [t.label for t in view.tabs] == ["Claire Martin", "Julien Martin"] and view.can_edit
    assert view.tabs[0].login_email == MARTIN_EMAIL and view.tabs[1].login_email == ""
    children = family.children_tabs(_actor(demo_session))
    assert [t.label for t in children.tabs] == ["Léa Martin", "Hugo Martin"]
    assert children.diet_options[0] == ["", "Aucun"]
    assert all(len(t.enrolled) == len(children.service_ids) for t in children.tabs)


def test_a_family_of_another_commune_is_refused_with_a_french_message(active, demo_session):
    martin = _actor(demo_session)
    bernard_family = _family_rows(demo_session, Guardian, "Bernard")[0].family_id
    forged = ParentActor(martin.structure_id, bernard_family, martin.account_id)
    with pytest.raises(Refused) as refused:
        family.family_tabs(forged)
    assert refused.value.message == family.MSG_REFUSED
    with pytest.raises(Refused):
        family.children_tabs(forged)


def test_forged_guardian_or_child_is_refused_and_the_tabs_come_back(active, demo_session, now):
    martin = _actor(demo_session)
    for guardian in (
        _family_rows(demo_session, Guardian, "Durand")[0],
        _family_rows(demo_session, Guardian, "Bernard")[0],
    ):
        saved = family.save_guardian(martin, guardian.id, guardian.version, {"city": "Piraté"}, "", now=now)
        assert saved.refused and saved.message == family.MSG_REFUSED
        assert [t.label for t in saved.view.tabs] == ["Claire Martin", "Julien Martin"]
    emma = _family_rows(demo_session, Child, "Durand")[0]
    saved = family.save_child(martin, emma.id, emma.version, {"diet": ""}, set(), now=now)
    assert saved.refused and saved.message == family.MSG_REFUSED and len(saved.view.tabs) == 2
    with active.session() as s:
        assert {g.city for g in s.exec(select(Guardian)).all()}.isdisjoint({"Piraté"})
        assert s.get(Child, emma.id).diet == "Végétarien"


def test_guardian_save_commits_and_returns_the_fresh_tab(active, demo_session, now):
    martin = _actor(demo_session)
    view = family.family_tabs(martin)
    julien = view.tabs[1]
    saved = family.save_guardian(
        martin, julien.guardian_id, julien.version, {**julien.values, "mobile": "0611223344"}, "", now=now
    )
    assert saved.ok and saved.view.tabs[1].values["mobile"] == "06 11 22 33 44"
    assert saved.view.tabs[1].version == julien.version + 1
    again = family.save_guardian(martin, julien.guardian_id, julien.version, julien.values, "", now=now)
    assert again.conflict and again.message == MSG_CONFLICT and again.view is not None
    invalid = family.save_guardian(
        martin, julien.guardian_id, julien.version + 1, {**julien.values, "mobile": "12"}, "", now=now
    )
    assert not invalid.ok and "mobile" in invalid.errors and invalid.view is None


def test_closed_editing_is_a_refusal_with_the_commune_message(active, demo_session, now):
    martin = _actor(demo_session)
    with active.write_session() as s:
        s.get(Structure, martin.structure_id).allow_children_edit = False
    hugo = family.children_tabs(martin).tabs[1]
    saved = family.save_child(martin, hugo.child_id, hugo.version, hugo.values, set(), now=now)
    assert saved.refused and saved.message == MSG_CLOSED and not saved.view.can_edit


def test_contact_message_to_another_family_child_is_not_sent(active, demo_session, now):
    martin = _actor(demo_session)
    emma = _family_rows(demo_session, Child, "Durand")[0]
    result = content.send_contact_message(martin, subject="Objet", body="Texte", child_id=emma.id, now=now)
    assert not result.ok and result.errors["child"] == contact.MSG_CHILD_UNKNOWN
    form = content.contact_form(martin)
    assert form.child_labels == ["Léa Martin", "Hugo Martin"] and emma.id not in form.child_ids
    sent = content.send_contact_message(martin, subject="Objet", body="Texte", child_id=form.child_ids[1], now=now)
    assert sent.ok and sent.message == contact.MSG_SENT
    with active.session() as s:
        assert s.exec(select(ContactMessage)).one().child_id == form.child_ids[1]


def test_documents_are_those_of_the_actor_commune(active, demo_session, now):
    demo = content.published_documents(_actor(demo_session))
    autreville = content.published_documents(_actor(demo_session, BERNARD_EMAIL))
    demo_ids = {d.id for g in demo for d in g.documents}
    assert demo_ids and demo_ids.isdisjoint({d.id for g in autreville for d in g.documents})
    token = accounts.log_in("demo", MARTIN_EMAIL, MARTIN_PASSWORD, "127.0.0.1", "", staff_door=False, now=now).token
    some_id = next(iter(demo_ids))
    assert content.document_file("demo", token, some_id, now=now) is not None
    assert content.document_file("autreville", token, some_id, now=now) is None
    assert content.document_file("demo", None, some_id, now=now) is None


def test_staff_door_gives_a_parent_no_session(active, demo_session, now):
    refused = accounts.log_in("demo", MARTIN_EMAIL, MARTIN_PASSWORD, "127.0.0.1", "", staff_door=True, now=now)
    assert refused.found and not refused.ok and refused.retry_time == ""
    assert (
        accounts.log_in("nulle-part", MARTIN_EMAIL, MARTIN_PASSWORD, "", "", staff_door=False, now=now).found is False
    )
    parent = accounts.log_in("demo", MARTIN_EMAIL, MARTIN_PASSWORD, "127.0.0.1", "", staff_door=False, now=now)
    assert parent.ok and parent.role == "parent"
    accounts.log_out(parent.token, now=now)
    with active.session() as s:
        assert all(row.revoked_at is not None for row in s.exec(select(LoginSession)).all())


def test_login_pages_share_their_messages_but_not_the_door(active):
    parent = accounts.login_page({"deconnecte": "1"}, None, staff=False)
    staff = accounts.login_page({"deconnecte": "1"}, None, staff=True)
    assert (parent.info_message, staff.info_message) == (accounts.MSG_LOGGED_OUT, accounts.MSG_LOGGED_OUT_STAFF)
    assert accounts.login_page({"cree": "1"}, None, staff=True).info_message == ""
    failed = accounts.login_page({"erreur": "identifiants", "suite": "/demo/famille"}, "a@b.fr", staff=False)
    assert failed.error_message == "Identifiant ou mot de passe incorrect."
    assert (failed.email_prefill, failed.next_path) == ("a@b.fr", "/demo/famille")
    assert accounts.login_page({}, "a@b.fr", staff=False).email_prefill == ""


def test_link_request_checks_the_address_before_any_database_work(active, demo_session, now):
    structure_id = _actor(demo_session).structure_id
    assert (
        accounts.request_password_link(structure_id, "pas une adresse", "", now=now).email_error
        == accounts.MSG_EMAIL_INVALID
    )
    sent = accounts.request_password_link(structure_id, "inconnu@example.fr", "", now=now)
    assert sent.email_error == "" and sent.sent_message.startswith("Si un compte correspond")
    assert not accounts.check_password_link(structure_id, "jeton-invente", now=now).valid
    refused = accounts.create_password(structure_id, "jeton-invente", "Un mot de passe très long 2026 !", "", now=now)
    assert refused is not None and not refused.ok and not refused.link_valid


@pytest.fixture
def family_page(active, demo_session, now, monkeypatch):
    """The Famille state of a tab logged in as Martin (the session check itself is tested elsewhere)."""
    from cantine_portal.state import family as family_state
    from cantine_portal.state.auth import AuthState

    martin = _actor(demo_session)

    def require_parent(self):
        self._structure_id, self._family_id, self._account_id = (
            martin.structure_id,
            martin.family_id,
            martin.account_id,
        )
        self.portal_status = "found"
        return martin

    monkeypatch.setattr(AuthState, "_require_parent", require_parent)
    monkeypatch.setattr(AuthState, "_client_ip", lambda self: "127.0.0.1")
    monkeypatch.setattr(family_state.clock, "now", lambda: now)
    state = family_state.FamilyState(_reflex_internal_init=True)
    run_handler(state.load())
    return state


def test_famille_state_refuses_a_forged_tab_and_keeps_the_other_tab_typed(family_page, active):
    state = family_page
    assert state.guardian_labels == ["Claire Martin", "Julien Martin"]
    run_handler(state.save_guardian(7))
    assert state.error_message == family.MSG_REFUSED
    run_handler(state.set_guardian_field(0, "city", "Ailleurs"))
    run_handler(state.set_guardian_field(1, "mobile", "0611223344"))
    run_handler(state.save_guardian(1))
    assert state.success_message == "Les informations ont été enregistrées."
    assert state.guardians[1]["mobile"] == "06 11 22 33 44" and state.guardians[0]["city"] == "Ailleurs"
    with active.session() as s:
        assert s.exec(select(Guardian).where(Guardian.first_name == "Claire")).one().city != "Ailleurs"
