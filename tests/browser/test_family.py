"""Guide section 2 walked in Chromium: Famille and Enfants, edit, save, reload, read-only mode."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

from cantine_portal.services.demo import MARTIN_EMAIL, MARTIN_PASSWORD
from tests.browser.conftest import sign_in

CLOSED_TEXT = "La modification de ces informations n'est pas ouverte en ligne par votre structure."


def _open(ui, label: str, path: str) -> None:
    ui.page.get_by_role("navigation", name="Bandeau principal").get_by_role("link", name=label, exact=True).click()
    ui.expect_path(path)


def _main(ui):
    return ui.page.locator("main")


def test_edit_guardian_phone_and_keep_typed_values_on_error(ui):
    sign_in(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    _open(ui, "Famille", "/demo/famille")
    page = ui.page
    page.get_by_role("tab", name="Julien Martin").click()
    mobile = page.get_by_label("Téléphone mobile")
    assert mobile.input_value() == "06 98 76 54 32"
    mobile.fill("07 11 22 33 44")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Les informations ont été enregistrées.").wait_for()
    assert page.get_by_label("Téléphone mobile").input_value() == "07 11 22 33 44"

    ui.goto("/demo/famille")
    page.get_by_role("tab", name="Julien Martin").click()
    assert page.get_by_label("Téléphone mobile").input_value() == "07 11 22 33 44"

    # A refused postal code: the message sits by the field, nothing typed is lost.
    page.get_by_label("Employeur", exact=True).fill("Chantiers de l'Atlantique")
    page.get_by_label("Ville").fill("Nantes")
    page.get_by_label("Code postal").fill("4400")
    page.get_by_role("button", name="Enregistrer").click()
    error = page.locator(".field-error").get_by_text("Le code postal comporte 5 chiffres")
    error.wait_for()
    # The message is inside the postal code's own field block.
    block = page.locator("div", has=page.get_by_label("Code postal")).filter(has_text="Le code postal comporte").last
    assert block.count() == 1
    assert page.get_by_label("Code postal").input_value() == "4400"
    assert page.get_by_label("Ville").input_value() == "Nantes"
    assert page.get_by_label("Employeur", exact=True).input_value() == "Chantiers de l'Atlantique"
    assert page.get_by_text("Les informations ont été enregistrées.").count() == 0
    ui.check_a11y()

    ui.goto("/demo/famille")
    page.get_by_role("tab", name="Julien Martin").click()
    assert page.get_by_label("Ville").input_value() == "Démo-sur-Loire"


def test_change_child_diet(ui):
    sign_in(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    _open(ui, "Enfants", "/demo/enfants")
    page = ui.page
    page.get_by_role("tab", name="Hugo Martin").click()
    diet = page.get_by_label("Régime alimentaire")
    assert diet.input_value() == "Sans porc"
    diet.select_option("Végétarien")
    assert page.get_by_label("Restauration scolaire").is_checked()
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Les informations ont été enregistrées.").wait_for()
    ui.check_a11y()

    ui.goto("/demo/enfants")
    page.get_by_role("tab", name="Hugo Martin").click()
    assert page.get_by_label("Régime alimentaire").input_value() == "Végétarien"
    # Back to « Sans porc » the same way (the portal is shared by the session: the roll call reads it).
    page.get_by_label("Régime alimentaire").select_option("Sans porc")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Les informations ont été enregistrées.").wait_for()


@contextmanager
def _children_edit_closed(portal):
    db = sqlite3.connect(portal.var_dir / "cantine.db")
    try:
        db.execute("UPDATE structure SET allow_children_edit = 0 WHERE slug = 'demo'")
        db.commit()
        yield
    finally:
        db.execute("UPDATE structure SET allow_children_edit = 1 WHERE slug = 'demo'")
        db.commit()
        db.close()


def test_children_read_only_when_commune_keeps_edits(ui, portal):
    sign_in(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    with _children_edit_closed(portal):
        ui.goto("/demo/enfants")
        page = ui.page
        page.get_by_text(CLOSED_TEXT).wait_for()
        notice = page.get_by_role("status").filter(has_text=CLOSED_TEXT)
        contact = notice.get_by_role("link", name="Contact", exact=True)
        assert contact.get_attribute("href") == "/demo/contact"
        assert page.get_by_role("button", name="Enregistrer").count() == 0
        assert _main(ui).locator("input, select, textarea").count() == 0
        assert page.get_by_text("Léa").count() >= 1
        ui.check_a11y()


def test_pages_fit_a_phone(phone_ui):
    sign_in(phone_ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    for path in ("/demo/famille", "/demo/enfants"):
        phone_ui.goto(path)
        phone_ui.page.get_by_role("button", name="Enregistrer").wait_for()
        width = phone_ui.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
        font = phone_ui.page.locator("main input").first.evaluate("e => getComputedStyle(e).fontSize")
        assert font == "16px"


def test_login_email_change_asks_password_and_warns_old_address(ui, portal):
    import email
    from email import policy

    new_address = "claire.martin.nouvelle@example.fr"
    sign_in(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    before = set(portal.mails())
    try:
        ui.goto("/demo/famille")
        page = ui.page
        page.get_by_label("Adresse e-mail").fill(new_address)
        password = page.get_by_label("Votre mot de passe actuel (pour changer l'adresse de connexion)")
        password.wait_for()
        page.get_by_role("button", name="Enregistrer").click()
        page.get_by_text("saisissez votre mot de passe actuel", exact=False).first.wait_for()
        assert page.get_by_label("Adresse e-mail").input_value() == new_address
        password.fill(MARTIN_PASSWORD)
        page.get_by_role("button", name="Enregistrer").click()
        page.get_by_text("Les informations ont été enregistrées.").wait_for()
        assert page.get_by_label("Votre mot de passe actuel (pour changer l'adresse de connexion)").count() == 0
        ui.check_a11y()
        new_mails = [p for p in portal.mails() if p not in before]
        messages = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in new_mails]
        assert [m["To"] for m in messages] == [MARTIN_EMAIL]
        assert new_address in messages[0].get_body(preferencelist=("plain",)).get_content()
    finally:
        db = sqlite3.connect(portal.var_dir / "cantine.db")
        db.execute("UPDATE account SET email = ? WHERE email = ?", (MARTIN_EMAIL, new_address))
        db.execute("UPDATE guardian SET email = ? WHERE email = ?", (MARTIN_EMAIL, new_address))
        db.commit()
        db.close()


def test_save_on_stale_data_is_refused_and_reloaded(ui, portal):
    sign_in(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    ui.goto("/demo/famille")
    page = ui.page
    page.get_by_role("tab", name="Julien Martin").click()
    # The other guardian saves from another browser meanwhile.
    db = sqlite3.connect(portal.var_dir / "cantine.db")
    db.execute("UPDATE guardian SET employer = 'Mairie de Démo', version = version + 1 WHERE first_name = 'Julien'")
    db.commit()
    db.close()
    page.get_by_label("Ville").fill("Rezé")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Ces informations ont été modifiées entre-temps").wait_for()
    assert page.get_by_label("Employeur", exact=True).input_value() == "Mairie de Démo"
    assert page.get_by_label("Ville").input_value() == "Démo-sur-Loire"
    page.get_by_label("Ville").fill("Rezé")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Les informations ont été enregistrées.").wait_for()
