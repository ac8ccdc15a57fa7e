"""Issue 20 in Chromium: Claire invites Julien from Famille, Julien creates his password through
the same first-connection page, both book in two browsers at once (one basket, nothing lost,
« réservé par … »), then the staff remove Julien's access and his next click lands on the login
page with the reason. axe-core runs on every page opened."""

from __future__ import annotations

import sqlite3
import time

from playwright.sync_api import expect

from cantine_portal.services.demo import MARTIN_EMAIL, MARTIN_PASSWORD
from tests.browser.conftest import _new_ui
from tests.browser.test_accounts_flow import _latest_link, login
from tests.browser.test_admin import staff_login

JULIEN_EMAIL = "julien.martin@example.fr"
JULIEN_PASSWORD = "Soleil-Cantine-2027?y"
# A week no other browser test books: 1-7 February 2027 (within the 12 weeks ahead).
PERIOD = "/demo/reservations?periode=2027-W05"
HEADING = "Semaine du 1er au 7 février 2027"
CLAIRE_DAY = ("Léa", "lundi 1er février")
JULIEN_DAY = ("Hugo", "mardi 2 février")


def _box(ui, child: str, day: str, booked_by: str = ""):
    """A day's checkbox by its accessible name; a day the other guardian booked says who."""
    by = f" — réservé par {booked_by}" if booked_by else ""
    return ui.page.get_by_role("checkbox", name=f"{child} — Restauration scolaire — {day}{by}", exact=True)


def _open_period(ui) -> None:
    ui.goto(PERIOD)
    ui.page.get_by_role("heading", name=HEADING).wait_for()


def _invite_julien(ui, portal) -> str:
    login(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    ui.expect_path("/demo/accueil")
    ui.goto("/demo/famille")
    known = set(portal.mails())
    ui.page.get_by_role("button", name="Inviter Julien Martin à créer son accès").click()
    ui.page.get_by_text(f"Une invitation a été envoyée à {JULIEN_EMAIL}").wait_for()
    ui.check_a11y()
    # The invitation leaves from the task queue: its consumer sends it a moment later.
    deadline = time.monotonic() + 30
    while True:
        try:
            return _latest_link(portal, JULIEN_EMAIL, known)
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _julien_creates_his_password(ui, link: str) -> None:
    ui.page.goto(link)
    ui.wait_hydrated()
    ui.page.get_by_label("Nouveau mot de passe").fill(JULIEN_PASSWORD)
    ui.page.get_by_label("Confirmez le mot de passe").fill(JULIEN_PASSWORD)
    ui.page.get_by_role("button", name="Créer le mot de passe").click()
    ui.expect_path("/demo/connexion")
    login(ui, JULIEN_EMAIL, JULIEN_PASSWORD)
    ui.expect_path("/demo/accueil")


def _cleanup(portal) -> None:
    """Leave Martin as the other browser tests expect: no February days, one login with a password."""
    db = sqlite3.connect(portal.var_dir / "cantine.db")
    try:
        db.execute("DELETE FROM reservation WHERE day IN ('2027-02-01', '2027-02-02') AND status = 'pending'")
        db.execute("UPDATE account SET active = 1, password_hash = NULL WHERE email = ?", (JULIEN_EMAIL,))
        db.execute("UPDATE account SET mail_all_payments = 0 WHERE email = ?", (MARTIN_EMAIL,))
        db.commit()
    finally:
        db.close()


def test_two_guardians_two_browsers_one_basket_then_one_access_removed(ui, browser, portal):
    claire = ui
    julien_context, julien = _new_ui(browser, portal)
    staff_context, staff = _new_ui(browser, portal)
    try:
        _julien_creates_his_password(julien, _invite_julien(claire, portal))
        # Both open the same week before either validates.
        _open_period(claire)
        _open_period(julien)
        _box(claire, *CLAIRE_DAY).click()
        _box(julien, *JULIEN_DAY).click()
        claire.page.get_by_role("button", name="Valider", exact=True).click()
        claire.page.get_by_text("1 jour ajouté au panier").wait_for()
        julien.page.get_by_role("button", name="Valider", exact=True).click()
        # Julien's page was older than the basket: refused, and reloaded with Claire's day.
        julien.page.get_by_text("Votre panier a été modifié entre-temps").first.wait_for()
        expect(_box(julien, *CLAIRE_DAY, booked_by="Claire")).to_be_checked()  # who booked it, in its name
        expect(_box(julien, *JULIEN_DAY)).not_to_be_checked()
        _box(julien, *JULIEN_DAY).click()
        julien.page.get_by_role("button", name="Valider", exact=True).click()
        julien.page.get_by_text("1 jour ajouté au panier").wait_for()
        julien.check_a11y()
        # One basket, both days, each with who booked it.
        julien.page.get_by_role("button", name="Valider votre panier maintenant").click()
        julien.page.get_by_role("heading", name="Votre panier").wait_for()
        julien.page.get_by_text("réservé par Claire").wait_for()
        julien.page.get_by_text("réservé par Julien").wait_for()
        julien.check_a11y()
        julien.page.get_by_role("button", name="Fermer").click()

        # The staff remove Julien's access from the family's page.
        staff_login(staff)
        staff.expect_path("/demo/admin")
        db = sqlite3.connect(portal.var_dir / "cantine.db")
        family_id = db.execute("SELECT family_id FROM account WHERE email = ?", (MARTIN_EMAIL,)).fetchone()[0]
        db.close()
        staff.goto(f"/demo/admin/famille?id={family_id}")
        staff.page.get_by_role("button", name="Retirer l'accès de Julien Martin").click()
        staff.page.get_by_role("button", name="Confirmer le retrait de l'accès de Julien Martin").click()
        staff.page.get_by_text(f"L'accès de {JULIEN_EMAIL} a été retiré").wait_for()
        accesses = staff.page.get_by_role("region", name="Accès des responsables")
        accesses.get_by_role("cell", name="Accès retiré", exact=True).wait_for()
        history = staff.page.get_by_role("region", name="Qui a fait quoi")
        assert history.get_by_role("cell", name="Accès retiré", exact=True).count() == 1
        assert history.get_by_role("cell", name="Julien Martin").count() >= 1  # his Valider, his login
        staff.check_a11y()

        # Julien's next click: the login page, with the reason.
        julien.page.get_by_role("navigation", name="Bandeau principal").get_by_role(
            "link", name="Famille", exact=True
        ).click()
        julien.expect_path("/demo/connexion")
        julien.page.get_by_text("Votre accès au portail a été retiré").wait_for()
        # Claire is still in.
        claire.goto("/demo/famille")
        claire.page.get_by_text("Accès retiré").wait_for()
        assert claire.page.url.endswith("/demo/famille")
        # Préférences: her e-mail choices, and leaving refused now that she is the last login.
        claire.goto("/demo/preferences")
        claire.page.get_by_label("Recevoir aussi les tickets des paiements de l'autre responsable").click()
        claire.page.get_by_text("Vos choix d'e-mails ont été enregistrés.").wait_for()
        claire.page.get_by_text("Vous êtes le seul responsable à avoir un accès au portail").wait_for()
        assert claire.page.get_by_role("button", name="Supprimer mon accès").count() == 0
        claire.check_a11y()
        assert claire.page.url.endswith("/demo/preferences")
    finally:
        julien_context.close()
        staff_context.close()
        _cleanup(portal)
