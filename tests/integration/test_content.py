"""Issue 7 on the database: published documents, the download route, the contact service
(private storage and download names: tests/unit/test_storage.py)."""

from __future__ import annotations

import email
import io
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from cantine_portal.api import files
from cantine_portal.api.routes import build_api
from cantine_portal.infra import storage
from cantine_portal.infra.http import session_cookie_name
from cantine_portal.infra.mail import Mailer
from cantine_portal.infra.pdf.reglement import render_reglement
from cantine_portal.infra.pdf.validation import MSG_NOT_PDF
from cantine_portal.models import Account, Child, ContactMessage, Document, Family, Structure
from cantine_portal.services.accounts.sessions import SessionInfo, open_session
from cantine_portal.services.content import contact, documents
from cantine_portal.services.demo import BERNARD_EMAIL, MARTIN_EMAIL
from cantine_portal.state.offload import run_handler
from tests.conftest import settings_for

PDF = render_reglement("Ville de Démo")
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode."


def _structure(session, slug: str) -> Structure:
    return session.exec(select(Structure).where(Structure.slug == slug)).one()


def _account(session, address: str) -> Account:
    return session.exec(select(Account).where(Account.email == address)).one()


def _mails(settings) -> list[email.message.EmailMessage]:
    folder = settings.mail_dir
    paths = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in paths]


# --- documents -----------------------------------------------------------------------------


def test_demo_lists_its_published_documents_grouped_newest_first(demo_session):
    demo = _structure(demo_session, "demo")
    groups = documents.list_published(demo_session, demo.id)
    assert [g.category for g in groups] == ["Menus", "Règlement"]
    menus, reglement = groups
    assert [d.title for d in menus.documents] == ["Menu de la semaine du 23 au 27 novembre 2026"]
    assert menus.documents[0].date_label == "26/11/2026"
    assert reglement.documents[0].title == "Règlement intérieur de la restauration scolaire"
    assert reglement.documents[0].date_label == "01/09/2026"
    titles = [d.title for g in groups for d in g.documents]
    assert not any("brouillon" in t for t in titles)


def test_each_commune_sees_only_its_own_documents(demo_session):
    demo, autreville = _structure(demo_session, "demo"), _structure(demo_session, "autreville")
    theirs = documents.list_published(demo_session, autreville.id)
    assert [(g.category, len(g.documents)) for g in theirs] == [("Règlement", 1)]
    their_id = theirs[0].documents[0].id
    assert documents.published_document(demo_session, demo.id, their_id) is None
    assert documents.published_document(demo_session, autreville.id, their_id) is not None
    draft = demo_session.exec(select(Document).where(Document.published == False)).all()  # noqa: E712  (SQL: a column compared with TRUE, not a Python truth test)
    assert len(draft) == 1 and draft[0].structure_id == demo.id
    assert documents.published_document(demo_session, demo.id, draft[0].id) is None
    assert documents.published_document(demo_session, demo.id, 999_999) is None


def test_newest_document_comes_first_within_a_category(database, demo_session, settings, now):
    demo = _structure(demo_session, "demo")
    with database.write_session() as s:
        documents.add_document(
            s, settings, now - timedelta(days=20), demo.id, title="Ancien menu", category="Menus", data=PDF
        )
        documents.add_document(
            s, settings, now + timedelta(minutes=5), demo.id, title="Menu de Noël", category="Menus", data=PDF
        )
    with database.session() as s:
        menus = documents.list_published(s, demo.id)[0]
    assert [d.title for d in menus.documents] == [
        "Menu de Noël",
        "Menu de la semaine du 23 au 27 novembre 2026",
        "Ancien menu",
    ]
    assert menus.documents[-1].date_label == "06/11/2026"


def test_publishing_refuses_a_file_that_is_not_a_pdf(demo_session, settings, now):
    demo = _structure(demo_session, "demo")
    with pytest.raises(ValueError):
        documents.add_document(demo_session, settings, now, demo.id, title="x", category="Menus", data=EXE)


# --- download route ------------------------------------------------------------------------


@pytest.fixture
def client(database, demo_session, settings, now, monkeypatch):
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    monkeypatch.setattr(files.clock, "now", lambda: now)
    return TestClient(build_api())


def _login_cookie(database, now, address: str, slug: str) -> dict[str, str]:
    with database.write_session() as s:
        token = open_session(s, now, _account(s, address))
    return {session_cookie_name(slug): token}


def _doc_ids(session) -> dict[str, int]:
    ids = {}
    for doc in session.exec(select(Document)).all():
        slug = session.get(Structure, doc.structure_id).slug
        kind = "draft" if not doc.published else ("menu" if doc.category == "Menus" else "reglement")
        ids[f"{slug}:{kind}"] = doc.id
    return ids


def test_route_serves_a_published_document_inline_or_as_download(client, database, demo_session, now):
    ids = _doc_ids(demo_session)
    client.cookies.update(_login_cookie(database, now, MARTIN_EMAIL, "demo"))
    response = client.get(f"/api/demo/documents/{ids['demo:menu']}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline; filename=")
    assert response.headers["cache-control"] == "private, no-store"
    assert response.content.startswith(b"%PDF")
    download = client.get(f"/api/demo/documents/{ids['demo:reglement']}?telecharger=1")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="reglement-interieur.pdf"'


def test_route_answers_an_empty_404_for_everything_else(client, database, demo_session, now):
    ids = _doc_ids(demo_session)
    client.cookies.update(_login_cookie(database, now, MARTIN_EMAIL, "demo"))
    for path in [
        f"/api/demo/documents/{ids['autreville:reglement']}",  # another commune's document
        f"/api/demo/documents/{ids['demo:draft']}",  # unpublished
        "/api/demo/documents/999999",
        "/api/demo/documents/abc",
        f"/api/autreville/documents/{ids['autreville:reglement']}",
    ]:  # Martin's cookie is for demo
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.content == b""
        assert response.headers["cache-control"] == "private, no-store"


def test_route_refuses_without_a_live_session(client, database, demo_session, now, monkeypatch):
    ids = _doc_ids(demo_session)
    url = f"/api/demo/documents/{ids['demo:menu']}"
    anonymous = client.get(url)
    assert anonymous.status_code == 404 and anonymous.content == b""
    # Bernard's session is valid, but in Autreville only.
    bernard = _login_cookie(database, now, BERNARD_EMAIL, "autreville")
    forged = client.get(url, cookies={session_cookie_name("demo"): bernard[session_cookie_name("autreville")]})
    assert forged.status_code == 404 and forged.content == b""
    client.cookies.update(_login_cookie(database, now, MARTIN_EMAIL, "demo"))
    assert client.get(url).status_code == 200
    monkeypatch.setattr(files.clock, "now", lambda: now + timedelta(hours=2))  # idle session expired
    assert client.get(url).status_code == 404


def test_route_404s_when_the_stored_path_was_tampered_with(client, database, demo_session, now):
    ids = _doc_ids(demo_session)
    with database.write_session() as s:
        doc = s.get(Document, ids["demo:menu"])
        doc.file_path = "../secret_key"
        s.add(doc)
    client.cookies.update(_login_cookie(database, now, MARTIN_EMAIL, "demo"))
    response = client.get(f"/api/demo/documents/{ids['demo:menu']}")
    assert response.status_code == 404 and response.content == b""


# --- contact -------------------------------------------------------------------------------


def _martin(session):
    account = _account(session, MARTIN_EMAIL)
    return dict(structure_id=account.structure_id, family_id=account.family_id, account_id=account.id)


def _send(database, settings, now, **overrides):
    with database.write_session() as s:
        args = dict(
            _martin(s),
            subject="Absence de Léa",
            body="Léa sera absente lundi.\nMerci.",
            child_id=None,
            attachment=None,
            mailer=Mailer(settings),
            settings=settings,
        )
        args.update(overrides)
        return contact.send_message(s, now, **args)


def test_message_is_stored_and_mailed_with_its_attachment(database, demo_session, settings, now):
    lea = demo_session.exec(select(Child).where(Child.first_name == "Léa")).one()
    result = _send(
        database,
        settings,
        now,
        child_id=lea.id,
        attachment=contact.IncomingAttachment("../../certificat médical.PDF", PDF),
    )
    assert result.ok and result.message == contact.MSG_SENT
    with database.session() as s:
        stored = s.exec(select(ContactMessage)).one()
        assert stored.child_id == lea.id and stored.subject == "Absence de Léa"
        assert stored.attachment_name == "certificat-medical.pdf"
        assert storage.read_bytes(settings, stored.attachment_path) == PDF
        assert stored.structure_id == _structure(s, "demo").id
    mails = _mails(settings)
    assert len(mails) == 2
    to_commune = next(m for m in mails if m["To"] == "enfance@ville-demo.fr")
    assert to_commune["Reply-To"] == MARTIN_EMAIL
    assert "Absence de Léa" in to_commune["Subject"]
    text = to_commune.get_body(preferencelist=("plain",)).get_content()
    assert "Léa sera absente lundi." in text and "Enfant concerné : Léa Martin" in text
    attachments = list(to_commune.iter_attachments())
    assert [(a.get_filename(), a.get_content_type()) for a in attachments] == [
        ("certificat-medical.pdf", "application/pdf")
    ]
    assert attachments[0].get_content() == PDF
    ack = next(m for m in mails if m["To"] == MARTIN_EMAIL)
    assert list(ack.iter_attachments()) == []
    assert ack["Subject"] == "Message envoyé — Ville de Démo"
    assert "bien été transmis à Ville de Démo" in ack.get_body(preferencelist=("plain",)).get_content()


def test_refused_attachment_stores_and_sends_nothing(database, demo_session, settings, now):
    result = _send(database, settings, now, attachment=contact.IncomingAttachment("facture.pdf", EXE))
    assert not result.ok and result.errors == {"attachment": MSG_NOT_PDF}
    big = settings_for(settings.var_dir, CANTINE_UPLOAD_MAX_BYTES="2048")
    too_big = _send(database, big, now, attachment=contact.IncomingAttachment("gros.pdf", PDF))
    assert too_big.errors == {"attachment": "Le fichier dépasse la taille maximale de 2 Ko."}
    assert contact.too_large_message(big) == too_big.errors["attachment"]
    with database.session() as s:
        assert s.exec(select(ContactMessage)).all() == []
    assert _mails(settings) == []
    assert not (settings.storage_dir / "contact").exists() or not any((settings.storage_dir / "contact").iterdir())


def test_subject_and_message_are_required(database, demo_session, settings, now):
    result = _send(database, settings, now, subject="   ", body="\n ")
    assert not result.ok and set(result.errors) == {"subject", "body"}


def test_a_child_of_another_family_is_refused(database, demo_session, settings, now):
    durand = demo_session.exec(select(Family).where(Family.name == "Durand")).one()
    emma = demo_session.exec(select(Child).where(Child.family_id == durand.id)).one()
    result = _send(database, settings, now, child_id=emma.id)
    assert not result.ok and result.errors == {"child": contact.MSG_CHILD_UNKNOWN}
    assert _send(database, settings, now, child_id=987654).errors == {"child": contact.MSG_CHILD_UNKNOWN}
    with database.session() as s:
        assert s.exec(select(ContactMessage)).all() == []


def test_an_account_of_another_family_cannot_send_for_this_one(database, demo_session, settings, now):
    bernard = _account(demo_session, BERNARD_EMAIL)
    result = _send(database, settings, now, account_id=bernard.id)
    assert not result.ok
    with database.session() as s:
        assert s.exec(select(ContactMessage)).all() == []


def test_at_most_ten_messages_per_hour_per_family(database, demo_session, settings, now):
    assert settings.contact_hourly_limit == 10
    for minute in range(10):
        assert _send(database, settings, now - timedelta(minutes=50 - minute)).ok
    refused = _send(database, settings, now)
    assert not refused.ok
    assert refused.message == (
        "Vous avez envoyé beaucoup de messages dans l'heure. Réessayez un peu plus tard "
        "ou appelez la mairie au 02 40 00 00 00."
    )
    # Another family is not affected.
    with database.session() as s:
        durand = _account(s, "famille.durand@example.fr")
    assert _send(database, settings, now, family_id=durand.family_id, account_id=durand.id).ok
    # Eleven minutes later the oldest message has left the window.
    assert _send(database, settings, now + timedelta(minutes=11)).ok


def test_child_choices_list_only_the_family_children(demo_session):
    family = demo_session.exec(select(Family).where(Family.name == "Martin")).one()
    assert [c.label for c in contact.child_choices(demo_session, family.id)] == ["Léa Martin", "Hugo Martin"]


# --- states: the handlers re-check the session and map choices to the family's own ids --------


class _Unreadable(io.BytesIO):
    def read(self, *args):  # an oversized upload must be refused without being read
        raise AssertionError("read an oversized upload")


@pytest.fixture
def as_martin(database, demo_session, settings, now, monkeypatch):
    """Patch the content states so that handlers run against the test database as Martin."""
    from cantine_portal.state import content as content_state
    from cantine_portal.state.auth import AuthState

    logged_in = {"yes": True}
    account = _account(demo_session, MARTIN_EMAIL)

    def require_parent(self):
        if not logged_in["yes"]:
            return None
        self._structure_id, self._family_id, self._account_id = (account.structure_id, account.family_id, account.id)
        self.portal_slug, self.commune_phone, self.portal_status = "demo", "02 40 00 00 00", "found"
        return SessionInfo(account.id, account.structure_id, account.family_id, "parent", account.email)

    monkeypatch.setattr(AuthState, "_require_parent", require_parent)
    monkeypatch.setattr(AuthState, "_client_ip", lambda self: "127.0.0.1")
    monkeypatch.setattr(AuthState, "_login_redirect", lambda self: "redirect-to-login")
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    monkeypatch.setattr(content_state.clock, "now", lambda: now)
    return logged_in


def _contact_state():
    from cantine_portal.state.content import ContactState

    state = ContactState(_reflex_internal_init=True)
    run_handler(state.load())
    return state


def _upload(name: str, data: bytes, size: int | None = None, file=None):
    import reflex as rx

    return rx.UploadFile(file=file or io.BytesIO(data), path=Path(name), size=len(data) if size is None else size)


def test_documents_state_lists_links_to_the_route(as_martin, demo_session):
    from cantine_portal.state.content import DocumentsState

    state = DocumentsState(_reflex_internal_init=True)
    run_handler(state.load())
    ids = _doc_ids(demo_session)
    assert [s.category for s in state.sections] == ["Menus", "Règlement"]
    assert state.sections[0].documents[0].view_url == f"/api/demo/documents/{ids['demo:menu']}"
    assert state.sections[1].documents[0].download_url.endswith(f"/{ids['demo:reglement']}?telecharger=1")


def test_contact_state_maps_the_child_choice_to_the_family_own_children(as_martin, database, demo_session):
    state = _contact_state()
    assert state.child_labels == ["Léa Martin", "Hugo Martin"] and state.max_size_label == "5 Mo"
    run_handler(state.set_subject("Cantine"))
    run_handler(state.set_body("Hugo mange-t-il bien ?"))
    for forged in ["7", "-1", "1; DROP", "0x1", str(demo_session.exec(select(Child)).all()[-1].id)]:
        run_handler(state.set_child_choice(forged))
        run_handler(state.send([]))
        assert state.child_error == contact.MSG_CHILD_UNKNOWN, forged
        assert state.subject == "Cantine" and state.body == "Hugo mange-t-il bien ?"
    with database.session() as s:
        assert s.exec(select(ContactMessage)).all() == []
    run_handler(state.set_child_choice("1"))
    run_handler(state.send([]))
    assert state.sent_message == contact.MSG_SENT and state.subject == "" and state.body == ""
    hugo = demo_session.exec(select(Child).where(Child.first_name == "Hugo")).one()
    with database.session() as s:
        assert s.exec(select(ContactMessage)).one().child_id == hugo.id


def test_contact_state_keeps_the_text_when_the_attachment_is_refused(as_martin, database, settings):
    state = _contact_state()
    run_handler(state.set_subject("Facture"))
    run_handler(state.set_body("Ci-joint."))
    run_handler(state.send([_upload("facture.pdf", EXE)]))
    assert state.attachment_error == MSG_NOT_PDF and state.sent_message == ""
    assert (state.subject, state.body) == ("Facture", "Ci-joint.")
    run_handler(state.send([_upload("enorme.pdf", b"", size=settings.upload_max_bytes + 1, file=_Unreadable())]))
    assert state.attachment_error == "Le fichier dépasse la taille maximale de 5 Mo."
    assert (state.subject, state.body) == ("Facture", "Ci-joint.")
    run_handler(state.send([_upload("a.pdf", PDF), _upload("b.pdf", PDF)]))
    assert state.attachment_error == "Joignez un seul fichier PDF."
    with database.session() as s:
        assert s.exec(select(ContactMessage)).all() == []
    run_handler(state.send([_upload("ok.pdf", PDF)]))
    assert state.sent_message == contact.MSG_SENT
    with database.session() as s:
        assert s.exec(select(ContactMessage)).one().attachment_name == "ok.pdf"


def test_contact_state_does_nothing_once_logged_out(as_martin, database):
    state = _contact_state()
    run_handler(state.set_subject("Avant"))
    run_handler(state.set_body("Texte"))
    as_martin["yes"] = False
    run_handler(state.set_subject("Après"))
    assert state.subject == "Avant"
    assert run_handler(state.send([_upload("ok.pdf", PDF)])) == "redirect-to-login"
    with database.session() as s:
        assert s.exec(select(ContactMessage)).all() == []
