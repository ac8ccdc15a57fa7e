"""Login/logout over HTTP: cookie flags, origin check, redirects that stay in the commune."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from cantine_portal.api.routes import build_api
from cantine_portal.config import Settings
from cantine_portal.services.demo import MARTIN_EMAIL, MARTIN_PASSWORD


@pytest.fixture
def client(demo_session, database, monkeypatch, tmp_path):
    settings = Settings.from_env({"CANTINE_VAR_DIR": str(tmp_path), "CANTINE_SECRET_KEY": "s" * 48})
    monkeypatch.setattr("cantine_portal.infra.db._active", database)
    monkeypatch.setattr("cantine_portal.config._active", settings)
    return TestClient(build_api(), base_url="http://portail.test", follow_redirects=False)


def post_login(
    client, slug="demo", email=MARTIN_EMAIL, password=MARTIN_PASSWORD, origin="http://portail.test", **extra
):
    headers = {"origin": origin} if origin else {}
    return client.post(f"/api/{slug}/connexion", data={"email": email, "password": password, **extra}, headers=headers)


def test_login_sets_an_httponly_lax_cookie_and_lands_on_the_family_home(client):
    response = post_login(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/demo/accueil"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("cp_session_demo=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie


def test_failed_login_keeps_the_address_but_never_the_password(client):
    response = post_login(client, password="Mauvais-mot-de-passe-1")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/demo/connexion?erreur=identifiants")
    assert MARTIN_EMAIL in response.headers["set-cookie"]
    assert "Mauvais" not in response.headers["set-cookie"] + response.headers["location"]


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/demo/reservations", "/demo/reservations"),
        ("https://evil.example/", "/demo/accueil"),
        ("//evil.example/demo/", "/demo/accueil"),
        ("/autreville/accueil", "/demo/accueil"),
    ],
)
def test_return_path_stays_inside_the_commune(client, target, expected):
    assert post_login(client, suite=target).headers["location"] == expected


def test_cross_site_post_is_refused(client):
    assert post_login(client, origin="https://evil.example").status_code == 403


def test_credentials_of_one_commune_fail_in_another(client):
    response = post_login(client, slug="autreville")
    assert response.headers["location"].startswith("/autreville/connexion?erreur=identifiants")


def test_logout_revokes_and_clears_the_cookie(client, database, now):
    token = post_login(client).cookies.get("cp_session_demo")
    response = client.post(
        "/api/demo/deconnexion", headers={"origin": "http://portail.test"}, cookies={"cp_session_demo": token}
    )
    assert response.status_code == 303 and response.headers["location"] == "/demo/connexion?deconnecte=1"
    assert 'cp_session_demo=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    from sqlmodel import select

    from cantine_portal.models import LoginSession
    from cantine_portal.services.accounts.hashing import token_digest

    with database.session() as s:
        stored = s.exec(select(LoginSession).where(LoginSession.token_hash == token_digest(token))).one()
    assert stored.revoked_at is not None


def test_throttled_login_says_when_to_retry_without_free_text_in_the_url(client):
    for _ in range(5):
        post_login(client, password="Mauvais-mot-de-passe-1")
    location = post_login(client, password="Mauvais-mot-de-passe-1").headers["location"]
    assert "erreur=bloque" in location
    assert "jusqua=" in location and "message" not in location
