"""Issue 15 (items 8, 9, 10) in the back office, in Chromium: axe-core finds nothing at all (every
impact) on any back-office page at 390×844 and 1366×768; staff give the commune its logo and colour
and see them in the header."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from cantine_portal.services.demo import STAFF_EMAIL, STAFF_PASSWORD
from tests.browser.conftest import _new_ui, axe_violations, sign_in
from tests.browser.test_admin import ADMIN_PAGES

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 768}}


def every_violation(ui) -> list[str]:
    return [
        f"{ui.page.url} {v['id']} ({v['impact']}): {v['help']} → {[n['target'] for n in v['nodes']][:3]}"
        for v in axe_violations(ui.page)
    ]


@pytest.mark.parametrize("size", list(SIZES))
def test_every_back_office_page_has_no_axe_violation_of_any_impact(browser, portal, size):
    context, ui = _new_ui(browser, portal, SIZES[size])
    try:
        sign_in(ui, STAFF_EMAIL, STAFF_PASSWORD, staff=True)
        found = every_violation(ui)
        for path in [*ADMIN_PAGES, "familles"]:
            ui.goto(f"/demo/admin/{path}")
            ui.page.get_by_role("heading", level=1).first.wait_for()
            current = ui.page.locator("nav[aria-label='Menu du back-office'] a[aria-current='page']")
            entry = path.split("/", 1)[0]  # « Grilles » is under Prestations: the menu marks Prestations
            assert current.count() == 1 and current.get_attribute("href").endswith("/admin/" + entry)
            assert ui.page.get_by_role("link", name="Aller au contenu").count() == 1
            found += every_violation(ui)
        ui.page.get_by_role("link", name="Martin", exact=True).click()
        ui.expect_path("/demo/admin/famille")
        ui.page.get_by_role("heading", level=1, name="Famille Martin").wait_for()
        found += every_violation(ui)
        assert not found, "\n".join(found)
    finally:
        context.close()


def _logo_file(tmp_path) -> str:
    path = tmp_path / "logo-mairie.png"
    image = Image.new("RGB", (120, 80), "#5b2a86")
    out = io.BytesIO()
    image.save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return str(path)


def test_staff_upload_a_logo_and_choose_a_colour_then_see_them_in_the_header(ui, tmp_path):
    sign_in(ui, STAFF_EMAIL, STAFF_PASSWORD, staff=True)
    ui.goto("/demo/admin/parametres")
    header_logo = ui.page.locator("header img[alt='Logo de Ville de Démo']")
    before = header_logo.get_attribute("src")
    ui.page.locator("#logo-upload-input").set_input_files(_logo_file(tmp_path))
    ui.page.get_by_text("Fichier choisi : logo-mairie.png").wait_for()
    ui.page.get_by_role("button", name="Enregistrer le logo").click()
    ui.page.get_by_text("Le logo a été enregistré").wait_for()
    ui.page.wait_for_function(f"() => document.querySelector(\"header img\").getAttribute('src') !== {before!r}")
    ui.page.wait_for_function(
        "() => { const img = document.querySelector('header img'); return img.complete && img.naturalWidth === 120; }"
    )

    colour = ui.page.get_by_label("Couleur principale (code #RRVVBB)")
    colour.fill("#9ec5ee")  # white on it: 1.8:1
    ui.page.get_by_role("button", name="Enregistrer", exact=True).click()
    ui.page.get_by_text("pas assez lisible").first.wait_for()
    assert colour.get_attribute("aria-invalid") == "true"
    assert "set-colour-error" in colour.get_attribute("aria-describedby")
    ui.page.get_by_role("link", name="Couleur principale", exact=False).first.wait_for()
    colour.fill("#5b2a86")
    ui.page.get_by_role("button", name="Enregistrer", exact=True).click()
    ui.page.get_by_text("Les paramètres ont été enregistrés.").wait_for()
    ui.page.wait_for_function(
        "() => getComputedStyle(document.querySelector('header')).borderBottomColor === 'rgb(91, 42, 134)'"
    )
    ui.goto("/demo/connexion")  # the parents' pages wear it too
    assert ui.page.locator("header img[alt='Logo de Ville de Démo']").count() == 1
    assert (
        ui.page.evaluate("() => getComputedStyle(document.querySelector('header')).borderBottomColor")
        == "rgb(91, 42, 134)"
    )
    # back to the demo's blue for the other tests of the session
    sign_in(ui, STAFF_EMAIL, STAFF_PASSWORD, staff=True)
    ui.goto("/demo/admin/parametres")
    ui.page.get_by_label("Couleur principale (code #RRVVBB)").fill("#1d4e89")
    ui.page.get_by_role("button", name="Enregistrer", exact=True).click()
    ui.page.get_by_text("Les paramètres ont été enregistrés.").wait_for()
