"""Issue 19 in the running portal: origins (websocket, CORS) and the Content-Security-Policy.

Every other browser test also fails on any CSP violation (conftest's console listener)."""

from __future__ import annotations

import base64
import os
import socket
from urllib.parse import urlsplit

import httpx

from cantine_portal.services.demo import MARTIN_EMAIL, MARTIN_PASSWORD
from tests.browser.test_accounts_flow import login

EVIL = "https://evil.example"


def _handshake_status(portal, origin: str, cookie: str = "") -> int:
    """Status of a raw websocket handshake on Reflex's /_event endpoint with this Origin."""
    parts = urlsplit(portal.base_url)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n" + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(request.encode())
        status_line = conn.recv(4096).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


def _family_cookie(ui) -> str:
    cookies = ui.page.context.cookies()
    return "; ".join(f"{c['name']}={c['value']}" for c in cookies if c["name"].startswith("cp_session_"))


def test_websocket_from_another_origin_is_refused_even_with_the_familys_cookie(ui, portal):
    login(ui, MARTIN_EMAIL, MARTIN_PASSWORD)
    ui.expect_path("/demo/accueil")
    cookie = _family_cookie(ui)
    assert cookie
    assert _handshake_status(portal, EVIL, cookie) == 403
    assert _handshake_status(portal, "null", cookie) == 403
    assert _handshake_status(portal, portal.base_url, cookie) == 101


def test_a_page_of_another_site_cannot_open_the_portals_socket(ui, portal):
    """The same in Chromium: a page served from evil.example tries the socket; only ours opens it."""
    script = """url => new Promise(done => {
        const ws = new WebSocket(url);
        ws.onopen = () => { ws.close(); done('open'); };
        ws.onerror = () => done('refused');
    })"""
    socket_url = portal.base_url.replace("http://", "ws://") + "/_event/?EIO=4&transport=websocket"
    evil = "http://evil.example"  # http: an https page could not open ws:// at all (mixed content)
    ui.page.route(
        evil + "/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<!DOCTYPE html><title>x</title>"),
    )
    ui.page.goto(evil + "/")
    assert ui.page.evaluate(script, socket_url) == "refused"
    ui.goto("/demo")
    assert ui.page.evaluate(script, socket_url) == "open"


def test_no_credentialed_cors_for_another_origin(portal):
    receipt = httpx.get(portal.url("/api/demo/recus/1"), headers={"origin": EVIL})
    # No Access-Control-Allow-Origin: the browser gives the other site nothing. (Starlette's CORS
    # layer, outside ours, adds "Allow-Credentials: true" to every answer; alone it grants nothing.)
    assert "access-control-allow-origin" not in receipt.headers
    preflight = httpx.options(
        portal.url("/api/demo/connexion"), headers={"origin": EVIL, "access-control-request-method": "POST"}
    )
    assert preflight.status_code >= 400 and "access-control-allow-origin" not in preflight.headers
    own = httpx.options(
        portal.url("/api/demo/connexion"), headers={"origin": portal.base_url, "access-control-request-method": "POST"}
    )
    assert own.status_code == 200 and own.headers["access-control-allow-origin"] == portal.base_url


def test_pages_pdfs_and_api_answers_carry_a_content_security_policy(portal):
    page = httpx.get(portal.url("/demo")).headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "script-src 'self' 'sha256-",
    ):
        assert directive in page
    assert "'unsafe-inline'" not in page.split("script-src", 1)[1].split(";", 1)[0]
    assert "default-src 'none'" in httpx.get(portal.url("/api/health")).headers["content-security-policy"]
    assert "default-src 'none'" in httpx.get(portal.url("/api/demo/recus/1")).headers["content-security-policy"]


def test_upload_without_a_session_is_refused_before_the_body(portal):
    body = b"x" * (12 * 1024 * 1024)
    answer = httpx.post(
        portal.url("/_upload"), content=body, headers={"content-type": "multipart/form-data; boundary=x"}
    )
    assert answer.status_code == 413
    small = httpx.post(
        portal.url("/_upload"), content=b"--x--", headers={"content-type": "multipart/form-data; boundary=x"}
    )
    assert small.status_code == 403
