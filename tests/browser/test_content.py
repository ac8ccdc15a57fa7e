"""Guide sections 6 (Documents) and 7 (Contact) walked in Chromium, by the guide's labels."""

from __future__ import annotations

import email
import re
import time
from email import policy

from sqlmodel import select

from cantine_portal.infra.db import Database
from cantine_portal.infra.pdf.reglement import render_reglement
from cantine_portal.infra.pdf.validation import MSG_NOT_PDF
from cantine_portal.models import Document, Structure
from cantine_portal.services.demo import MARTIN_EMAIL, MARTIN_PASSWORD
from tests.browser.conftest import sign_in

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 300 + b"This program cannot be run in DOS mode.\r\n"


def _open_from_banner(ui, label: str, path: str) -> None:
    sign_in(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    nav = ui.page.get_by_role("navigation", name="Bandeau principal")
    if nav.get_by_text("Menu", exact=True).is_visible():  # below 768 px the links are behind « Menu »
        nav.get_by_text("Menu", exact=True).click()
    nav.get_by_role("link", name=label, exact=True).click()
    ui.expect_path(path)


def _document_ids(portal) -> dict[str, int]:
    db = Database(f"sqlite:///{portal.var_dir / 'cantine.db'}")
    try:
        with db.session() as s:
            rows = s.exec(select(Document, Structure).join(Structure, Structure.id == Document.structure_id)).all()
            return {
                f"{structure.slug}:{'publié' if doc.published else 'brouillon'}:{doc.category}": doc.id
                for doc, structure in rows
            }
    finally:
        db.dispose()


def _new_mails(portal, known: set) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in portal.mails() if p not in known]


def test_documents_list_opens_the_pdf_in_a_new_tab(ui):
    _open_from_banner(ui, "Documents", "/demo/documents")
    page = ui.page
    page.get_by_role("heading", name="Menus", exact=True).wait_for()
    assert page.get_by_role("heading", name="Règlement", exact=True).is_visible()
    menu = page.get_by_role("link", name=re.compile(r"^Menu de la semaine du 23 au 27 novembre 2026"))
    assert page.get_by_role("link", name=re.compile(r"^Règlement intérieur de la restauration scolaire")).is_visible()
    assert page.get_by_text("Publié le 26/11/2026").is_visible()
    assert "brouillon" not in page.inner_text("body")
    assert menu.get_attribute("target") == "_blank" and "noopener" in menu.get_attribute("rel")
    href = menu.get_attribute("href")

    # The new tab asks for the document (shown by the browser's PDF viewer, or downloaded where the
    # browser has none, as the headless shell the tests drive).
    asked: list[str] = []
    page.context.on("request", lambda request: asked.append(request.url.split("?")[0]))
    with page.context.expect_page() as opened:
        menu.click()
    tab = opened.value
    for _ in range(100):
        if ui.portal.url(href) in asked:
            break
        page.wait_for_timeout(50)
    assert ui.portal.url(href) in asked, asked
    tab.close()

    # The new tab loads with the tab's own cookies: the same request, made with them, gets the PDF.
    response = page.context.request.get(ui.portal.url(href))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline;")
    assert response.headers["cache-control"] == "private, no-store"
    assert response.body().startswith(b"%PDF")
    download = page.get_by_role("link", name=re.compile(r"^Télécharger « Menu de la semaine"))
    saved = page.context.request.get(ui.portal.url(download.get_attribute("href")))
    assert saved.status == 200 and saved.headers["content-disposition"].startswith("attachment;")

    ids = _document_ids(ui.portal)
    for key in ("autreville:publié:Règlement", "demo:brouillon:Menus"):
        refused = page.context.request.get(ui.portal.url(f"/api/demo/documents/{ids[key]}"))
        assert refused.status == 404, key
        assert refused.body() == b""
    # Without the session cookie, nothing either.
    anonymous = page.context.request.get(ui.portal.url(href), headers={"cookie": ""})
    assert anonymous.status == 404


def test_contact_sends_the_message_with_a_pdf_to_the_commune(ui, tmp_path):
    attestation = tmp_path / "attestation.pdf"
    attestation.write_bytes(render_reglement("Ville de Démo"))
    _open_from_banner(ui, "Contact", "/demo/contact")
    page = ui.page
    assert page.get_by_text("Hôtel de ville, 1 place de la République, 44000 Démo-sur-Loire", exact=True).is_visible()
    phone = page.get_by_role("link", name="02 40 00 00 00")
    assert phone.get_attribute("href") == "tel:0240000000"
    known = set(ui.portal.mails())

    page.get_by_label("Objet").fill("Allergie de Hugo")
    page.get_by_label("Message").fill("Bonjour,\nVoici l'attestation demandée.\nCordialement.")
    page.get_by_label("Enfant concerné (facultatif)").select_option(label="Hugo Martin")
    page.locator("input[type=file]").set_input_files(str(attestation))
    page.get_by_text("Fichier choisi : attestation.pdf").wait_for()
    page.get_by_role("button", name="Envoyer").click()
    page.get_by_text("Votre message a bien été envoyé à la mairie. Vous recevrez une réponse par e-mail.").wait_for()
    ui.check_a11y()

    # The message leaves from the task queue (the consumer beside the portal): wait for it.
    deadline = time.monotonic() + 30
    mails = _new_mails(ui.portal, known)
    while time.monotonic() < deadline and not (
        any(m["To"] == "enfance@ville-demo.fr" for m in mails) and any(m["To"] == MARTIN_EMAIL for m in mails)
    ):
        time.sleep(0.25)
        mails = _new_mails(ui.portal, known)
    to_commune = [m for m in mails if m["To"] == "enfance@ville-demo.fr"]
    assert len(to_commune) == 1
    message = to_commune[0]
    assert message["Reply-To"] == MARTIN_EMAIL and "Allergie de Hugo" in message["Subject"]
    assert "Enfant concerné : Hugo Martin" in message.get_body(preferencelist=("plain",)).get_content()
    attachments = list(message.iter_attachments())
    assert [(a.get_filename(), a.get_content_type()) for a in attachments] == [("attestation.pdf", "application/pdf")]
    assert attachments[0].get_content() == attestation.read_bytes()
    assert any(m["To"] == MARTIN_EMAIL for m in mails)


def test_a_refused_attachment_is_explained_and_keeps_what_was_typed(ui, tmp_path):
    fake = tmp_path / "facture.pdf"
    fake.write_bytes(EXE)
    _open_from_banner(ui, "Contact", "/demo/contact")
    page = ui.page
    known = set(ui.portal.mails())
    subject, body = "Question sur la facture", "Bonjour, je joins la facture de novembre."
    page.get_by_label("Objet").fill(subject)
    page.get_by_label("Message").fill(body)
    page.locator("input[type=file]").set_input_files(str(fake))
    page.get_by_text("Fichier choisi : facture.pdf").wait_for()
    page.get_by_role("button", name="Envoyer").click()
    # Said next to the attachment, and listed in the form's error summary.
    page.locator("#contact-attachment-error").get_by_text(MSG_NOT_PDF).wait_for()
    assert page.locator(".error-summary").get_by_text("Pièce jointe : " + MSG_NOT_PDF).is_visible()
    ui.check_a11y()
    assert page.get_by_label("Objet").input_value() == subject
    assert page.get_by_label("Message").input_value() == body
    assert page.get_by_text("Votre message a bien été envoyé").count() == 0
    assert not any(m["To"] == "enfance@ville-demo.fr" for m in _new_mails(ui.portal, known))


def test_contact_fits_a_phone_screen(phone_ui):
    _open_from_banner(phone_ui, "Contact", "/demo/contact")
    width = phone_ui.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
    phone_ui.page.get_by_label("Objet").focus()
    phone_ui.page.keyboard.press("Tab")
    assert phone_ui.page.evaluate("() => document.activeElement.id") == "contact-body"
