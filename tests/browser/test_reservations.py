"""Guide section 3 in Chromium: tick days per child, live totals, Valider, still there after logging in again."""

from __future__ import annotations

from cantine_portal.services.demo import MARTIN_EMAIL, MARTIN_PASSWORD
from tests.browser.conftest import sign_in

# The browser tests stand on Thursday 26 November 2026, 10:00 Paris: the week of 30 November
# is the first one still open (deadline tonight 23:59).
DAYS = ["lundi 30 novembre", "mardi 1er décembre", "jeudi 3 décembre"]


def _box(ui, child: str, day: str):
    return ui.page.get_by_role("checkbox", name=f"{child} — Restauration scolaire — {day}", exact=True)


def _open_reservations(ui):
    ui.goto("/demo/reservations")
    ui.page.get_by_text("Réservations à effectuer avant le jeudi 26 novembre 2026 à 23h59").wait_for()


def _totals(ui) -> list[str]:
    return [
        t.replace("\u202f", " ").replace("\u00a0", " ")
        for t in ui.page.locator("[data-testid=total-enfant]").all_inner_texts()
    ]


def _grand_total(ui) -> str:
    return ui.page.locator("[data-testid=total-general]").inner_text().replace("\u00a0", " ")


def test_tick_three_days_per_child_validate_and_find_them_again(ui):
    sign_in(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    _open_reservations(ui)
    assert ui.page.get_by_role("heading", name="Semaine du 30 novembre au 6 décembre 2026").is_visible()
    # Wednesday is not served: one short line saying why, no box to tick.
    assert _box(ui, "Léa", "mercredi 2 décembre").count() == 0
    assert ui.page.get_by_text("Pas de service le mercredi").first.is_visible()

    for count, day in enumerate(DAYS, start=1):
        _box(ui, "Léa", day).click()
        ui.page.wait_for_function(
            "n => document.querySelector('[data-testid=total-enfant]').innerText.startsWith(n)",
            arg={1: "3,85", 2: "7,70", 3: "11,55"}[count],
        )
    for day in DAYS:
        _box(ui, "Hugo", day).click()
    ui.page.wait_for_function(
        "() => document.querySelector('[data-testid=total-general]').innerText.startsWith('23,10')"
    )
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
    # The six days cost 23,10 € (what is left to pay depends on the credit earlier tests gave the family).
    ui.page.get_by_text("Sous-total : 23,10").wait_for()
    ui.page.get_by_role("button", name="Fermer").click()  # the basket is a panel over the page

    ui.page.get_by_role("button", name="Se déconnecter").click()
    ui.expect_path("/demo/connexion")
    sign_in(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    _open_reservations(ui)
    ui.page.get_by_text("🛒 Dans le panier").first.wait_for()
    assert ui.page.get_by_text("🛒 Dans le panier").count() == 6
    for child in ("Léa", "Hugo"):
        for day in DAYS:
            assert _box(ui, child, day).is_checked()
    assert _totals(ui) == ["11,55 €", "11,55 €"]


def _box_of(ui, child: str, service: str, day: str):
    return ui.page.get_by_role("checkbox", name=f"{child} — {service} — {day}", exact=True)


def _login_and_open(ui):
    sign_in(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    _open_reservations(ui)


def _go(ui, button: str, heading: str):
    ui.page.get_by_role("button", name=button).click()
    ui.page.get_by_role("heading", name=heading).wait_for()


def test_previous_week_is_locked_after_its_deadline(ui):
    _login_and_open(ui)
    _go(ui, "Semaine précédente", "Semaine du 23 au 29 novembre 2026")
    ui.page.get_by_text(
        "Réservations à effectuer avant le jeudi 19 novembre 2026 à 23h59 (date butoir dépassée : période verrouillée)."
    ).wait_for()
    ui.check_a11y()
    boxes = ui.page.get_by_role("checkbox")
    # Two children, three services, four served days (Wednesday and the weekend are one line each).
    assert boxes.count() == 2 * 3 * 4
    assert ui.page.locator("input[type=checkbox]:not([disabled])").count() == 0
    assert _box(ui, "Léa", "lundi 23 novembre").is_disabled()
    # The reason in words, on the cell and in its tooltip, not only in grey.
    assert ui.page.get_by_text("🔒 Verrouillé").first.is_visible()
    assert _box(ui, "Léa", "lundi 23 novembre").get_attribute("title") == "Verrouillé : date butoir dépassée"
    assert ui.page.get_by_role("button", name="Valider", exact=True).is_disabled()
    assert ui.page.get_by_role("button", name="Appliquer les mêmes jours à tous mes enfants").first.is_disabled()


def test_next_week_shows_its_own_deadline(ui):
    _login_and_open(ui)
    _go(ui, "Semaine suivante", "Semaine du 7 au 13 décembre 2026")
    ui.page.get_by_text("Réservations à effectuer avant le jeudi 3 décembre 2026 à 23h59.").wait_for()
    assert _box(ui, "Léa", "lundi 7 décembre").is_enabled()
    _go(ui, "Semaine précédente", "Semaine du 30 novembre au 6 décembre 2026")


def test_phone_books_without_scrolling_the_page_sideways(phone_ui):
    ui = phone_ui
    _login_and_open(ui)
    _go(ui, "Semaine suivante", "Semaine du 7 au 13 décembre 2026")
    page_width = "() => document.documentElement.scrollWidth"
    assert ui.page.evaluate(page_width) <= 390
    # The tables fit the screen too (no sideways scrolling inside their own box either).
    assert ui.page.evaluate(
        "() => [...document.querySelectorAll('.rsv-scroll')].every(b => b.scrollWidth <= b.clientWidth + 1)"
    )
    _box(ui, "Léa", "lundi 7 décembre").click()
    ui.page.wait_for_function(
        "() => document.querySelector('[data-testid=total-general]').innerText.startsWith('3,85')"
    )
    ui.page.get_by_role("button", name="Valider", exact=True).click()
    ui.page.get_by_text("1 jour ajouté au panier").wait_for()
    assert _box(ui, "Léa", "lundi 7 décembre").is_checked()
    assert ui.page.evaluate(page_width) <= 390
    ui.check_a11y()


def test_unticking_a_blue_day_then_valider_removes_it(ui):
    _login_and_open(ui)
    _go(ui, "Semaine suivante", "Semaine du 7 au 13 décembre 2026")
    _go(ui, "Semaine suivante", "Semaine du 14 au 20 décembre 2026")
    for day in ("lundi 14 décembre", "mardi 15 décembre"):
        _box(ui, "Hugo", day).click()
    ui.page.get_by_text("2 modification(s) non validée(s)").wait_for()
    ui.page.get_by_role("button", name="Valider", exact=True).click()
    ui.page.get_by_text("2 jours ajoutés au panier").wait_for()
    assert ui.page.get_by_text("🛒 Dans le panier").filter(visible=True).count() == 2

    _box(ui, "Hugo", "mardi 15 décembre").click()
    ui.page.get_by_text("1 modification(s) non validée(s)").wait_for()
    assert ui.page.get_by_text("✕ Sera retiré").filter(visible=True).count() == 1
    assert _totals(ui)[1] == "3,85 €"
    ui.page.get_by_role("button", name="Valider", exact=True).click()
    ui.page.get_by_text("1 jour retiré du panier").wait_for()
    assert not _box(ui, "Hugo", "mardi 15 décembre").is_checked()
    assert _box(ui, "Hugo", "lundi 14 décembre").is_checked()
    # Still so after a reload: the database is the truth.
    ui.goto("/demo/reservations")
    _go(ui, "Semaine suivante", "Semaine du 7 au 13 décembre 2026")
    _go(ui, "Semaine suivante", "Semaine du 14 au 20 décembre 2026")
    assert _box(ui, "Hugo", "lundi 14 décembre").is_checked()
    assert not _box(ui, "Hugo", "mardi 15 décembre").is_checked()
    assert ui.page.get_by_text("🛒 Dans le panier").filter(visible=True).count() == 1


def test_apply_the_same_days_to_all_my_children(ui):
    _login_and_open(ui)
    evening = "Garderie du soir"
    days = ("lundi 30 novembre", "jeudi 3 décembre")
    for day in days:
        _box_of(ui, "Léa", evening, day).click()
    ui.page.get_by_text("2 modification(s) non validée(s)").wait_for()
    ui.page.get_by_role("button", name="Appliquer les mêmes jours à tous mes enfants").first.click()
    ui.page.get_by_text("Les jours de Léa ont été cochés pour vos autres enfants").wait_for()
    for day in days:
        assert _box_of(ui, "Hugo", evening, day).is_checked()
    assert ui.page.get_by_text("4 modification(s) non validée(s)").is_visible()
    ui.page.get_by_role("button", name="Valider", exact=True).click()
    ui.page.get_by_text("4 jours ajoutés au panier").wait_for()
    for child in ("Léa", "Hugo"):
        for day in days:
            assert _box_of(ui, child, evening, day).is_checked()
