"""Guide sections 1 and 5 walked in Chromium, by the guide's labels."""

from __future__ import annotations

import email
import re
from email import policy

from cantine_portal.services.demo import DURAND_EMAIL, MARTIN_EMAIL, MARTIN_PASSWORD
from tests.browser.conftest import timed


def login(ui, address: str, password: str) -> None:
    with timed("login (parent form)"):
        _login(ui, address, password)


def _login(ui, address: str, password: str) -> None:
    ui.goto("/demo")
    ui.page.get_by_role("link", name="SE CONNECTER").click()
    ui.expect_path("/demo/connexion")
    ui.page.get_by_label("Identifiant (votre adresse e-mail)").fill(address)
    ui.page.get_by_label("Mot de passe").fill(password)
    ui.page.get_by_role("button", name="Valider").click()


def _latest_link(portal, to: str, known: set) -> str:
    for path in reversed(portal.mails()):
        if path in known:
            continue
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == to:
            text = message.get_body(preferencelist=("plain",)).get_content()
            html = message.get_body(preferencelist=("html",)).get_content()
            link = re.search(r"(http://\S+/mot-de-passe/creer\?jeton=[\w-]+)", text).group(1)
            assert link.replace("&", "&amp;") in html or link in html
            return link
    raise AssertionError(f"no new e-mail for {to}")


def _ask_link(ui, address: str) -> None:
    ui.goto("/demo/connexion")
    ui.page.get_by_role("link", name="PREMIÈRE CONNEXION OU MOT DE PASSE OUBLIÉ").click()
    ui.expect_path("/demo/premiere-connexion")
    ui.page.get_by_label("Votre adresse e-mail").fill(address)
    ui.page.get_by_role("button", name="Valider").click()
    ui.page.get_by_text("Pensez à consulter vos courriers indésirables").wait_for()


def test_martin_logs_in_sees_banner_and_logs_out(ui):
    login(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    ui.expect_path("/demo/accueil")
    nav = ui.page.get_by_role("navigation", name="Bandeau principal")
    for label in ["Famille", "Enfants", "Réservations", "Factures", "Documents", "Mot de Passe", "Contact"]:
        assert nav.get_by_role("link", name=label, exact=True).is_visible()
    assert ui.page.get_by_text("Claire Martin").is_visible()
    ui.page.get_by_role("button", name="Se déconnecter").click()
    ui.expect_path("/demo/connexion")
    assert ui.page.get_by_text("Vous êtes déconnecté").is_visible()
    ui.page.go_back()
    ui.settle()
    ui.page.wait_for_timeout(500)
    assert ui.page.get_by_text("Claire Martin").count() == 0


def test_wrong_password_gives_generic_message_and_keeps_address(ui):
    login(ui, MARTIN_EMAIL, "pas-le-bon-mot-de-passe")
    ui.expect_path("/demo/connexion")
    ui.page.get_by_text("Identifiant ou mot de passe incorrect.").wait_for()
    assert ui.page.get_by_label("Identifiant (votre adresse e-mail)").input_value() == MARTIN_EMAIL
    login(ui, "personne@example.fr", "pas-le-bon-mot-de-passe")
    ui.page.get_by_text("Identifiant ou mot de passe incorrect.").wait_for()


def test_protected_page_sends_to_login_and_back(ui):
    ui.page.goto(ui.portal.url("/demo/mot-de-passe"))
    ui.expect_path("/demo/connexion")
    ui.page.get_by_label("Identifiant (votre adresse e-mail)").fill(MARTIN_EMAIL)
    ui.page.get_by_label("Mot de passe").fill(MARTIN_PASSWORD)
    ui.page.get_by_role("button", name="Valider").click()
    ui.expect_path("/demo/mot-de-passe")
    assert ui.page.get_by_label("Votre adresse e-mail").input_value() == MARTIN_EMAIL


def test_unknown_address_gets_same_answer_and_no_mail(ui, portal):
    before = set(portal.mails())
    _ask_link(ui, "inconnu@example.fr")
    assert set(portal.mails()) == before


def test_durand_first_connection_with_each_choice(ui, portal):
    # Choice 1: a password of one's own, with the live strength indicator.
    known = set(portal.mails())
    _ask_link(ui, DURAND_EMAIL)
    link = _latest_link(portal, DURAND_EMAIL, known)
    ui.page.goto(link)
    ui.wait_hydrated()
    ui.page.get_by_label("Nouveau mot de passe").fill("court")
    ui.page.get_by_text("Très faible").wait_for()
    own = "Cantine-Soleil-2026?x"
    ui.page.get_by_label("Nouveau mot de passe").fill(own)
    ui.page.get_by_label("Confirmez le mot de passe").fill(own)
    ui.page.get_by_role("button", name="Créer le mot de passe").click()
    ui.expect_path("/demo/connexion")
    ui.page.get_by_text("Votre mot de passe a été enregistré").wait_for()
    login(ui, DURAND_EMAIL, own)
    ui.expect_path("/demo/accueil")
    ui.page.get_by_text("Sophie Durand").wait_for()
    ui.page.get_by_role("button", name="Se déconnecter").click()
    ui.expect_path("/demo/connexion")

    # The used link cannot serve twice.
    ui.page.goto(link)
    ui.wait_hydrated()
    ui.page.get_by_text("Ce lien n'est plus valable").wait_for()
    assert ui.page.get_by_role("link", name="Demander un nouveau lien").is_visible()

    # Choice 2: a random compliant password.
    known = set(portal.mails())
    _ask_link(ui, DURAND_EMAIL)
    ui.page.goto(_latest_link(portal, DURAND_EMAIL, known))
    ui.wait_hydrated()
    ui.page.get_by_role("tab", name="Choix 2 : mot de passe aléatoire").click()
    ui.page.get_by_role("button", name="Générer un mot de passe").click()
    generated = ui.page.get_by_label("Mot de passe généré")
    generated.wait_for()
    password2 = generated.input_value()
    assert len(password2) >= 12
    ui.page.get_by_role("button", name="Créer le mot de passe").click()
    ui.expect_path("/demo/connexion")
    login(ui, DURAND_EMAIL, own)
    ui.page.get_by_text("Identifiant ou mot de passe incorrect.").wait_for()
    login(ui, DURAND_EMAIL, password2)
    ui.expect_path("/demo/accueil")
    ui.page.get_by_role("button", name="Se déconnecter").click()
    ui.expect_path("/demo/connexion")

    # Choice 3: from a sentence; a short one gets advice first.
    known = set(portal.mails())
    _ask_link(ui, DURAND_EMAIL)
    ui.page.goto(_latest_link(portal, DURAND_EMAIL, known))
    ui.wait_hydrated()
    ui.page.get_by_role("tab", name="Choix 3 : à partir d'une phrase").click()
    ui.page.get_by_label("Votre phrase").fill("Le chat dort")
    ui.page.get_by_text("Ajoutez des mots à votre phrase", exact=False).first.wait_for()
    ui.page.get_by_label("Votre phrase").fill("Le 14 juillet 1789, le peuple de Paris a pris la Bastille !")
    ui.page.get_by_text("Conforme aux recommandations de la CNIL").wait_for()
    password3 = ui.page.locator("#sentence-result code").inner_text()
    assert password3 == "L14j1789,lpdPaplB!"
    ui.page.get_by_role("button", name="Créer le mot de passe").click()
    ui.expect_path("/demo/connexion")
    login(ui, DURAND_EMAIL, password3)
    ui.expect_path("/demo/accueil")
