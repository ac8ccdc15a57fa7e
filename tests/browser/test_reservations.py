"""Guide section 3 in Chromium: tick days per child, live totals, Valider, still there after logging in again."""

from __future__ import annotations

from cantine_portal.services.demo import MARTIN_EMAIL, MARTIN_PASSWORD
from tests.browser.test_accounts_flow import login

# The browser tests stand on Thursday 26 November 2026, 10:00 Paris: the week of 30 November
# is the first one still open (deadline tonight 23:59).
DAYS = ["lundi 30 novembre", "mardi 1er décembre", "jeudi 3 décembre"]


def _box(ui, child: str, day: str):
    return ui.page.get_by_role("checkbox", name=f"{child} — Restauration scolaire — {day}", exact=True)


def _open_reservations(ui):
    ui.goto("/demo/reservations")
    ui.page.get_by_text("Réservations à effectuer avant le jeudi 26 novembre 2026 à 23h59").wait_for()


def _totals(ui) -> list[str]:
    return [t.replace("\u202f", " ").replace("\u00a0", " ")
            for t in ui.page.locator("[data-testid=total-enfant]").all_inner_texts()]


def _grand_total(ui) -> str:
    return ui.page.locator("[data-testid=total-general]").inner_text().replace("\u00a0", " ")


def test_tick_three_days_per_child_validate_and_find_them_again(ui):
    login(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    ui.expect_path("/demo/accueil")
    _open_reservations(ui)
    assert ui.page.get_by_role("heading", name="Semaine du 30 novembre au 6 décembre 2026").is_visible()
    # Wednesday is not served: cannot be ticked, and says why.
    wednesday = _box(ui, "Léa", "mercredi 2 décembre")
    assert wednesday.is_disabled()
    assert ui.page.get_by_text("Pas de service le mercredi").first.is_visible()

    for count, day in enumerate(DAYS, start=1):
        _box(ui, "Léa", day).click()
        ui.page.wait_for_function(
            "n => document.querySelector('[data-testid=total-enfant]').innerText.startsWith(n)",
            arg={1: "3,85", 2: "7,70", 3: "11,55"}[count])
    for day in DAYS:
        _box(ui, "Hugo", day).click()
    ui.page.wait_for_function(
        "() => document.querySelector('[data-testid=total-general]').innerText.startsWith('23,10')")
    assert _totals(ui) == ["11,55 €", "11,55 €"]
    assert _grand_total(ui) == "23,10 €"
    assert ui.page.get_by_text("6 modification(s) non validée(s)").is_visible()

    ui.page.get_by_role("button", name="Valider", exact=True).click()
    ui.page.get_by_text("6 jours ajoutés au panier").wait_for()
    assert ui.page.get_by_text("non validée(s)").count() == 0
    ui.check_a11y()
    for child in ("Léa", "Hugo"):
        for day in DAYS:
            assert _box(ui, child, day).is_checked()
    assert ui.page.get_by_text("🛒 Dans le panier").count() == 6

    ui.page.get_by_role("button", name="Valider votre panier maintenant").click()
    ui.page.get_by_role("heading", name="Votre panier").wait_for()
    assert ui.page.get_by_text("Total à payer : 23,10").is_visible()

    ui.page.get_by_role("button", name="Se déconnecter").click()
    ui.expect_path("/demo/connexion")
    login(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    ui.expect_path("/demo/accueil")
    _open_reservations(ui)
    ui.page.get_by_text("🛒 Dans le panier").first.wait_for()
    assert ui.page.get_by_text("🛒 Dans le panier").count() == 6
    for child in ("Léa", "Hugo"):
        for day in DAYS:
            assert _box(ui, child, day).is_checked()
    assert _totals(ui) == ["11,55 €", "11,55 €"]
