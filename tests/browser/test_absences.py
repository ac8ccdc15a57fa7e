"""Issue 20, item 2 in Chromium: a parent, on a phone (390×844), declares Léa ill from Réservations
with a photo of the certificate; the basket day leaves the basket, the paid day waits; an oversized
photo is told in French before anything is sent; the staff validate; the parent reads each status
in words and colour, in the legend too. axe-core checks every page (Ui.check_a11y)."""

from __future__ import annotations

import io
import re
from datetime import date

from PIL import Image
from playwright.sync_api import expect

from cantine_portal.services.demo import MARTIN_EMAIL, MARTIN_PASSWORD
from tests.browser.test_accounts_flow import login
from tests.browser.test_admin import _insert_paid_reservation, staff_login
from tests.browser.test_phone import NO_SIDEWAYS

# A week no other browser test books (the portal's database is shared by the session).
WEEK = re.compile("Semaine du 4 au 10 janvier 2027")
MONDAY, THURSDAY = date(2027, 1, 4), date(2027, 1, 7)
SMALL_LINES = """() => [...document.querySelectorAll('main label.abs-day, main .abs-choose, main select')]
  .filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect())
  .filter(r => r.width < 44 || r.height < 44).length"""


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 80), "white").save(out, "JPEG")
    return out.getvalue()


def _open_week(ui) -> None:
    ui.goto("/demo/reservations")
    heading = ui.page.get_by_role("heading", name=WEEK)
    for _ in range(14):
        if heading.count():
            break
        ui.page.get_by_role("button", name="Semaine suivante").click()
        ui.page.wait_for_timeout(200)
    heading.wait_for()


def test_a_parent_declares_an_absence_on_a_phone_and_the_staff_validate_it(phone_ui, browser, portal):
    ui = phone_ui
    _insert_paid_reservation(portal, "Léa", MONDAY)
    login(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    ui.expect_path("/demo/accueil")

    # Thursday goes into the basket (blue), Monday is paid (green).
    _open_week(ui)
    ui.page.get_by_role("checkbox", name="Léa — Restauration scolaire — jeudi 7 janvier", exact=True).click()
    ui.page.get_by_role("button", name="Valider", exact=True).click()
    ui.page.get_by_text("ajouté").first.wait_for()

    # From Réservations, one tap to the Absences page.
    ui.page.get_by_role("link", name="Enfant malade ? Signaler une absence").click()
    ui.expect_path("/demo/absences")
    assert "jusqu'à 9h00 le jour même" in ui.page.get_by_test_id("absences-regle").inner_text()
    ui.page.get_by_label("Enfant").select_option(label="Léa")
    monday = ui.page.get_by_role("checkbox", name=re.compile("lundi 4 janvier — Restauration scolaire \\(payé\\)"))
    thursday = ui.page.get_by_role("checkbox", name=re.compile("jeudi 7 janvier — Restauration scolaire \\(dans le"))
    for box in (monday, thursday):  # a controlled box: checked once the server's answer is back
        box.click()
        expect(box).to_be_checked()
    assert ui.page.evaluate(SMALL_LINES) == 0 and ui.page.evaluate(NO_SIDEWAYS)

    # A photo too heavy for the portal: refused in French, nothing recorded, the days stay ticked.
    file_input = ui.page.locator("#certificat-absence-input")
    file_input.set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": _photo() + b"\0" * (5 * 1024 * 1024 + 512 * 1024)}
    )
    ui.page.get_by_role("button", name="Signaler l'absence").click()
    ui.page.get_by_text(re.compile("Le certificat dépasse 5.Mo : reprenez la photo")).wait_for()
    expect(monday).to_be_checked()

    file_input.set_input_files({"name": "certificat.jpg", "mimeType": "image/jpeg", "buffer": _photo()})
    ui.page.get_by_text("Fichier choisi : certificat.jpg").wait_for()
    ui.page.get_by_role("button", name="Signaler l'absence").click()
    ui.page.get_by_text("1 jour retiré du panier").wait_for()
    ui.page.get_by_text(re.compile("1 jour payé en attente de validation")).first.wait_for()
    status = ui.page.get_by_test_id("statut-absence").first
    assert status.inner_text().strip() == "⏳ Absence signalée — en attente de validation par la mairie"
    ui.check_a11y()

    # Réservations: Monday says « Absence signalée » (its own colour and words); Thursday is free again.
    _open_week(ui)
    assert ui.page.get_by_text("⏳ Absence signalée").first.is_visible()
    thursday_box = ui.page.get_by_role("checkbox", name="Léa — Restauration scolaire — jeudi 7 janvier", exact=True)
    assert not thursday_box.is_checked()
    ui.page.get_by_text(re.compile("Légende")).click()
    legend = ui.page.locator(".rsv-legend-list").inner_text()
    for words in ("absence signalée", "absence validée (avoir)", "absence refusée"):
        assert words in legend.lower()
    ui.check_a11y()

    # The staff see it, with the certificate, and validate it.
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 900})
    try:
        from tests.browser.conftest import Ui

        staff = Ui(page=context.new_page(), portal=portal)
        staff.page.set_default_timeout(20000)
        staff_login(staff)
        staff.expect_path("/demo/admin")
        staff.goto("/demo/admin/absences")
        row = staff.page.get_by_test_id("absence-a-traiter").filter(has_text="Léa")
        link = row.get_by_role("link", name=re.compile("Voir le certificat"))
        answer = staff.page.request.get(portal.url(link.get_attribute("href")))
        assert answer.status == 200 and answer.headers["content-type"] == "image/jpeg"
        row.get_by_role("button", name="Valider (avoir)").click()
        staff.page.get_by_text("Absence validée : avoir de 3,85").wait_for()
        staff.check_a11y()
    finally:
        context.close()

    _open_week(ui)
    assert ui.page.get_by_text("✚ Absence validée (avoir)").first.is_visible()
    assert "Votre avoir disponible" in ui.page.locator("main").inner_text()
    ui.goto("/demo/absences")
    assert ui.page.get_by_test_id("statut-absence").first.inner_text().strip() == "✚ Absence validée"
