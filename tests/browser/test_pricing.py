"""Prices by QF in Chromium (issue 17): a clerk enters a family's QF and edits a grid (preview and
« cantine à 1 € » verdict); a parent in bracket 1 books and pays 1,00 € meals and sees the
bracket on the ticket and on the receipt."""

from __future__ import annotations

import io

from pypdf import PdfReader

from cantine_portal.services.demo import MARTIN_EMAIL, MARTIN_PASSWORD, STAFF_EMAIL, STAFF_PASSWORD
from tests.browser.conftest import sign_in, step_to_period

SERVICE = "Restauration scolaire"
# A week no other browser test books (the portal's database is shared by the session); Martin's
# QF of 400 € is entered for this week only, so his other weeks keep the top bracket.
WEEK = "Semaine du 25 au 31 janvier 2027"


def _open_week(ui) -> None:
    ui.goto("/demo/reservations")
    step_to_period(ui, WEEK, ui.page.get_by_role("button", name="Semaine suivante").click, limit=12)


def test_a_parent_in_bracket_1_pays_one_euro_meals_and_sees_the_bracket_on_the_receipt(ui):
    sign_in(ui, STAFF_EMAIL, STAFF_PASSWORD, staff=True)
    ui.goto("/demo/admin/quotients")
    ui.page.locator("#qf-family").select_option(label="Martin (F-MARTIN)")
    ui.page.locator("#qf-value").fill("400")
    ui.page.locator("#qf-from").fill("2027-01-25")
    ui.page.locator("#qf-to").fill("2027-01-31")
    ui.page.get_by_role("button", name="Enregistrer le quotient familial").click()
    ui.page.get_by_text("Quotient familial de la famille Martin : 400").wait_for()

    sign_in(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    _open_week(ui)
    for day in ("lundi 25 janvier", "mardi 26 janvier"):
        ui.page.get_by_role("checkbox", name=f"Léa — {SERVICE} — {day}", exact=True).click()
    ui.page.get_by_role("button", name="Valider", exact=True).click()
    ui.page.get_by_text("ajouté").first.wait_for()
    ui.page.get_by_role("button", name="Valider votre panier maintenant").click()
    ui.page.get_by_role("heading", name="Votre panier").wait_for()
    basket = ui.page.get_by_role("dialog").inner_text()  # the basket panel (phone layout)
    assert "Tranche 1" in basket and "1,00\u00a0€" in basket

    ui.page.get_by_role("button", name="Payer", exact=False).filter(has_text="en ligne").click()
    # The bank's page, unless the family's credit (left by earlier tests of the session) covers the basket.
    ui.page.wait_for_url(lambda url: "/banque-simulee/sim_" in url or "/paiement/retour" in url, wait_until="commit")
    if "/banque-simulee/" in ui.page.url:
        ui.page.get_by_role("button", name="Payer", exact=True).click()
        ui.page.wait_for_url(lambda url: "/demo/paiement/retour" in url, wait_until="commit")
    ui.wait_hydrated()
    ui.page.get_by_role("heading", name="Ticket de paiement").wait_for()
    ticket = ui.page.get_by_role("main").inner_text()
    # Each line at 1,00 € with its bracket (the total paid depends on the credit earlier tests left).
    assert "Tranche 1 — QF de 0 à 500\u00a0€" in ticket and "1,00\u00a0€" in ticket

    ui.goto("/demo/factures")
    link = ui.page.get_by_role("link", name="Ouvrir le reçu").first
    response = ui.page.context.request.get(ui.portal.url(link.get_attribute("href")))
    assert response.status == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.body())).pages)
    assert "Tranche 1" in text and "1,00" in text  # lines; the total paid depends on the credit left by earlier tests


def test_a_clerk_edits_a_grid_and_sees_the_preview_and_the_verdict(ui):
    sign_in(ui, STAFF_EMAIL, STAFF_PASSWORD, staff=True)
    ui.goto("/demo/admin/prestations")
    ui.page.get_by_role("link", name="Grilles tarifaires selon le quotient familial", exact=False).click()
    ui.expect_path("/demo/admin/prestations/grilles")
    assert ui.page.locator("#grid-price-0").input_value() == "1,00"
    ui.page.get_by_label("Aperçu pour une famille au QF de (€)").fill("640")
    ui.page.get_by_role("button", name="Vérifier la grille").click()
    ui.page.get_by_text("Une famille au QF de 640").wait_for()
    assert "paie 2,50\u00a0€ le repas" in ui.page.locator("#grid-preview").inner_text()
    ui.page.locator("#grid-preview-section").get_by_text("Cette grille remplit les conditions tarifaires").wait_for()
    ui.check_a11y()

    # Bracket 1 at 1,50 €: no bracket at 1 € or less any more, and the verdict says so.
    ui.page.locator("#grid-price-0").fill("1,50")
    ui.page.get_by_role("button", name="Vérifier la grille").click()
    ui.page.get_by_text("aucune tranche n'est à 1 € ou moins").wait_for()
    # A gap between brackets: the error shows next to the field, nothing else.
    ui.page.locator("#grid-min-1").fill("600")
    ui.page.get_by_role("button", name="Vérifier la grille").click()
    ui.page.get_by_text("Trou entre les tranches").wait_for()
    assert ui.page.locator("#grid-preview").count() == 0

    # Back to the demo grid, from September 2027 (no other test books that far): saved, in the history.
    ui.page.locator("#grid-min-1").fill("501")
    ui.page.locator("#grid-price-0").fill("1,00")
    ui.page.locator("#grid-from").fill("2027-09-01")
    ui.page.get_by_role("button", name="Vérifier la grille").click()
    ui.page.locator("#grid-preview-section").get_by_text("Cette grille remplit les conditions tarifaires").wait_for()
    ui.page.get_by_role("button", name="Enregistrer cette grille").click()
    ui.page.get_by_text("enregistrée à partir du 01/09/2027").wait_for()
    assert ui.page.get_by_role("cell", name="01/09/2027").is_visible()
