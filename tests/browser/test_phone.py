"""Issue 15 in Chromium: the parents' pages on a phone (390×844) and a laptop (1366×768).

axe-core reports nothing on any parent page (Ui.check_a11y, every impact), nothing scrolls
sideways, the menu is one line on a laptop and one « Menu » button on a phone, every control is
thumb-sized, the Réservations page is compact, its action bar and basket stay where the parent is,
a waiting basket is told on return, and the guide's booking and payment work with the keyboard
alone. Each step is saved as a full-page PNG (folder printed at the end of the run).
"""

from __future__ import annotations

from cantine_portal.services.demo import MARTIN_EMAIL, MARTIN_PASSWORD
from tests.browser.conftest import sign_in, step_to_period
from tests.browser.test_accounts_flow import login

PAGES = ["accueil", "famille", "enfants", "reservations", "factures", "documents", "mot-de-passe", "contact"]
# Weeks no other browser test books (the portal's database is shared by the session).
WEEK = "Semaine du 18 au 24 janvier 2027"
KEYBOARD_WEEK = "Semaine du 25 au 31 janvier 2027"
CANTEEN = "Restauration scolaire"

NO_SIDEWAYS = "() => document.documentElement.scrollWidth <= window.innerWidth"
# Visible controls smaller than 44×44 CSS px (inline links inside sentences are exempt, WCAG 2.5.5).
SMALL_TARGETS = """() => [...document.querySelectorAll(
  'main button, main a.text-button, main .rt-Button, nav a, nav button, nav summary, main label.rsv-hit, '
  + 'main select, main input:not([type=checkbox]):not([type=radio]):not([type=hidden]):not([type=file])')]
  .filter(e => e.offsetParent !== null)
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.width < 44 || r.height < 44)
  .map(([e, r]) => (e.innerText || e.getAttribute('aria-label') || e.tagName) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))"""
SMALL_TEXT = """() => [...document.querySelectorAll('main *')].filter(e => e.offsetParent !== null
  && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())
  && parseFloat(getComputedStyle(e).fontSize) < 14).map(e => e.innerText.slice(0, 40))"""


# Each column heading's visible words (the text's own extent, overflow included), per table.
HEADING_TEXT_BOXES = """() => [...document.querySelectorAll('.rsv-table thead tr')].map(row =>
  [...row.querySelectorAll('th')].map(th => {
    const shown = [...th.children].filter(e => e.getBoundingClientRect().width > 1);
    const range = document.createRange();
    range.selectNodeContents(shown.length ? shown[0] : th);
    const r = range.getBoundingClientRect(), cell = th.getBoundingClientRect();
    return {text: th.innerText, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
            cellLeft: cell.left, cellRight: cell.right};
  }))"""


def _overlapping_headings(rows: list[list[dict]]) -> list[str]:
    """Pairs of column headings whose words intersect, or words running out of their column."""
    found = []
    for row in rows:
        for i, a in enumerate(row):
            if a["right"] > a["cellRight"] + 0.5 or a["left"] < a["cellLeft"] - 0.5:
                found.append(f"« {a['text']} » runs out of its column")
            for b in row[i + 1 :]:
                if (
                    a["left"] < b["right"]
                    and b["left"] < a["right"]
                    and a["top"] < b["bottom"]
                    and b["top"] < a["bottom"]
                ):
                    found.append(f"« {a['text']} » runs into « {b['text']} »")
    return found


def _login(ui) -> None:
    """Through the login form, as the guide shows it (at both sizes)."""
    login(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    ui.expect_path("/demo/accueil")


def _open_week(ui, week: str) -> None:
    ui.goto("/demo/reservations")
    step_to_period(ui, week, ui.page.get_by_role("button", name="Semaine suivante").click)


def _box(ui, child: str, day: str, service: str = CANTEEN):
    return ui.page.get_by_role("checkbox", name=f"{child} — {service} — {day}", exact=True)


def _in_viewport(locator) -> bool:
    box = locator.bounding_box()
    height = locator.page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_every_parent_page_is_clean_at_both_sizes(sized_ui, shots_dir):
    ui = sized_ui
    phone = ui.page.viewport_size["width"] < 768
    ui.goto("/demo/connexion")
    ui.shot(shots_dir, "01-connexion")
    assert ui.page.evaluate(NO_SIDEWAYS)
    _login(ui)
    for path in PAGES:
        ui.goto(f"/demo/{path}")
        ui.shot(shots_dir, f"02-{path}")
        assert ui.page.evaluate(NO_SIDEWAYS), path
        nav = ui.page.get_by_role("navigation", name="Bandeau principal")
        if phone:
            assert ui.page.evaluate(SMALL_TARGETS) == [], path
            assert ui.page.evaluate(SMALL_TEXT) == [], path
            ui.page.locator(".menu-phone > summary").click()
            current = nav.locator(".menu-phone a[aria-current=page]")
        else:
            tops = ui.page.evaluate("() => [...document.querySelectorAll('.menu-desktop li')].map(li => li.offsetTop)")
            assert len(set(tops)) == 1, f"the menu wraps at 1366 px on {path}"
            current = nav.locator(".menu-desktop a[aria-current=page]")
        assert current.count() == 1 and current.get_attribute("href").endswith("/" + path)
    # The skip link is the first stop of the keyboard and lands on the content.
    ui.goto("/demo/accueil")
    ui.page.keyboard.press("Tab")
    assert ui.page.evaluate("() => document.activeElement.innerText") == "Aller au contenu"


def test_phone_reservations_compact_whole_cell_bar_and_basket(phone_ui, shots_dir):
    ui = phone_ui
    sign_in(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    _open_week(ui, WEEK)
    ui.shot(shots_dir, "03-reservations")
    # Column headings never run into each other (« Restauration scolaire » / « Garderie du matin »):
    # a short name on the phone, the full one for screen readers and in the abbreviation's title.
    rows = ui.page.evaluate(HEADING_TEXT_BOXES)
    assert rows and len(rows[0]) >= 3, rows
    assert _overlapping_headings(rows) == []
    heading = ui.page.get_by_role("columnheader", name=CANTEEN).first
    assert heading.locator("abbr").get_attribute("title") == CANTEEN
    assert heading.locator("abbr").is_visible()
    # The week's two tables, from Léa's name to Hugo's « Appliquer… » (the page above them also
    # shows what other tests of this portal left in Martin's basket: not this week's layout).
    height = ui.page.evaluate(
        "() => { const c = [...document.querySelectorAll('.rsv-child')].map(e => e.getBoundingClientRect());"
        " return c.length === 2 ? Math.round(c[1].bottom - c[0].top) : -c.length; }"
    )
    assert 0 < height <= 950, f"one week for two children is {height} px tall"
    # Wednesday, Saturday, Sunday: one short line each, no boxes.
    assert ui.page.get_by_text("Pas de service le mercredi").count() == 2
    assert _box(ui, "Léa", "mercredi 20 janvier").count() == 0
    # A tap on the cell's edge (not on the box) ticks the day.
    cell = ui.page.locator("label.rsv-hit").filter(has=_box(ui, "Léa", "lundi 18 janvier"))
    box = cell.bounding_box()
    ui.page.mouse.click(box["x"] + box["width"] - 4, box["y"] + box["height"] - 4)
    assert _box(ui, "Léa", "lundi 18 janvier").is_checked()
    total = ui.page.locator("[data-testid=total-general]")
    ui.page.wait_for_function(
        "() => document.querySelector('[data-testid=total-general]').innerText.startsWith('3,85')"
    )
    assert _in_viewport(total), "the live total is on screen (sticky bar)"
    assert ui.page.get_by_text("1 modification(s) non validée(s)").is_visible()
    # Valider: its result is said in the bar, on screen.
    ui.page.get_by_role("button", name="Valider", exact=True).click()
    message = ui.page.get_by_text("1 jour ajouté au panier")
    message.wait_for()
    assert _in_viewport(message)
    assert ui.page.get_by_role("button", name="Panier (1)").is_visible()
    # An unsaved tick, then the basket: validated with a visible message, never silently.
    _box(ui, "Hugo", "lundi 18 janvier").check()
    ui.page.get_by_text("1 modification(s) non validée(s)").wait_for()
    ui.page.get_by_role("button", name="Panier (1)").click()
    ui.page.get_by_role("heading", name="Votre panier").wait_for()
    ui.page.get_by_role("dialog").get_by_text("Vos choix non validés ont été validés").wait_for()
    pay = ui.page.get_by_role("button", name="Payer 7,70 € en ligne")
    assert _in_viewport(pay), "« Payer » is visible without scrolling"
    ui.shot(shots_dir, "04-panier")
    ui.check_a11y()
    ui.page.get_by_role("button", name="Fermer").click()
    # Coming back: Accueil and the banner tell the waiting basket; Réservations names its week.
    ui.goto("/demo/accueil")
    ui.page.get_by_text("2 réservations en attente de paiement — 7,70 €").first.wait_for()
    ui.shot(shots_dir, "05-accueil-panier")
    ui.goto("/demo/reservations")
    assert WEEK in ui.page.locator("[data-testid=periodes-panier]").inner_text()


def _tab_to(ui, predicate: str, limit: int = 200) -> None:
    """Tab until the focused element matches ``predicate`` (JS on ``e``), as a keyboard user does."""
    for _ in range(limit):
        ui.page.keyboard.press("Tab")
        if ui.page.evaluate(f"() => {{ const e = document.activeElement; return !!e && ({predicate}); }}"):
            return
    raise AssertionError(f"never reached with Tab: {predicate}")


def test_keyboard_alone_books_and_pays(ui, shots_dir):
    """Tab/Space/Enter only, from the login form to the ticket (pays whatever Martin left unpaid)."""
    ui.goto("/demo/connexion")
    _tab_to(ui, "e.id === 'login-email'")
    ui.page.keyboard.type(MARTIN_EMAIL)
    ui.page.keyboard.press("Tab")
    ui.page.keyboard.type(MARTIN_PASSWORD)
    ui.page.keyboard.press("Enter")
    ui.expect_path("/demo/accueil")
    _tab_to(ui, "e.getAttribute('href') === '/demo/reservations'")
    ui.page.keyboard.press("Enter")
    ui.expect_path("/demo/reservations")

    def press_next() -> None:
        _tab_to(ui, "e.innerText && e.innerText.startsWith('Semaine suivante')")
        ui.page.keyboard.press("Enter")

    step_to_period(ui, KEYBOARD_WEEK, press_next)
    label = f"Léa — {CANTEEN} — mardi 26 janvier"
    _tab_to(ui, f"e.getAttribute('aria-label') === '{label}'")
    ui.page.keyboard.press("Space")
    ui.page.get_by_text("1 modification(s) non validée(s)").wait_for()
    _tab_to(ui, "e.innerText === 'Valider'")
    ui.page.keyboard.press("Enter")
    ui.page.get_by_text("1 jour ajouté au panier").wait_for()
    _tab_to(ui, "e.innerText && e.innerText.startsWith('Panier (')")
    ui.page.keyboard.press("Enter")
    ui.page.get_by_role("heading", name="Votre panier").wait_for()
    _tab_to(ui, "e.innerText && e.innerText.startsWith('Payer ')", limit=20)
    ui.page.keyboard.press("Enter")
    ui.page.wait_for_url(lambda url: "/banque-simulee/sim_" in url)
    ui.page.get_by_text("Ville de Démo").first.wait_for()
    _tab_to(ui, "e.innerText === 'Payer'", limit=30)
    ui.page.keyboard.press("Enter")
    ui.page.wait_for_url(lambda url: "/demo/paiement/retour" in url)
    ui.wait_hydrated()
    ui.page.get_by_role("heading", name="Ticket de paiement").wait_for()
    ui.check_a11y()
    ui.shot(shots_dir, "06-ticket")
