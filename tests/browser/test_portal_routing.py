"""Per-commune routing, seen in a real browser."""

import httpx


def test_demo_commune_home_shows_name_and_login_button(ui):
    ui.goto("/demo")
    assert ui.page.get_by_text("Ville de Démo").first.is_visible()
    assert ui.page.get_by_role("link", name="SE CONNECTER").is_visible()


def test_second_commune_has_its_own_portal(ui):
    ui.goto("/autreville")
    assert ui.page.get_by_text("Autreville").first.is_visible()
    assert ui.page.get_by_text("Ville de Démo").count() == 0


def test_unknown_commune_gets_not_found_page_with_404(ui, portal):
    ui.goto("/nope", expect_status=404)
    assert ui.page.get_by_role("heading", name="Portail introuvable").is_visible()
    assert httpx.get(portal.url("/nope")).status_code == 404
    assert httpx.get(portal.url("/demo")).status_code == 200


def test_pages_are_not_cached_and_carry_security_headers(portal):
    response = httpx.get(portal.url("/demo"))
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
