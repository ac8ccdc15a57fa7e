"""Checks at the edge of the app, before Reflex or a route sees a request (docs/security.md).

- **Origins.** A websocket handshake whose ``Origin`` is not one of the portal's own
  (``Settings.allowed_origins``) is refused before it is accepted, so no state is ever loaded for
  it; a CORS preflight from another origin is refused; a state-changing request (POST, PUT,
  PATCH, DELETE) carrying a foreign ``Origin`` is refused; no answer ever grants CORS to a
  foreign origin. Requests without ``Origin`` (the bank's server, curl) are not browsers' cross-site
  requests and pass: the routes check their own secrets. The one foreign POST let in is the bank's
  return form (``is_provider_return``): its route trusts nothing in it and answers a redirection.
- **Uploads.** Reflex's ``/_upload`` reads and spools the whole multipart body before the handler
  runs. Here a body is refused before it is read when no session cookie of the deployment is
  alive (parent or staff), and refused as soon as its size passes the cap — by ``Content-Length``
  up front, or by counting a chunked body as it streams in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from http.cookies import SimpleCookie

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cantine_portal import clock
from cantine_portal.api.csp import DOCUMENT_POLICY
from cantine_portal.config import Settings
from cantine_portal.usecases import identity

UPLOAD_PATH = "/_upload"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Room for the multipart framing and the form's other fields around one capped file: a file a
# little over the limit still reaches the handler, which tells the parent so in French.
UPLOAD_SLACK_BYTES = 1024 * 1024
_COOKIE_PREFIXES = ("cp_session_", "cp_staff_")


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value, "latin-1")
    return None


def origin_allowed(origin: str | None, allowed: tuple[str, ...]) -> bool:
    """No ``Origin`` (not a browser's cross-site request) or one of ours. ``null`` is foreign."""
    return origin is None or origin.rstrip("/").lower() in allowed


async def refuse_http(send: Send, status: int) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-length", b"0"),
                (b"cache-control", b"no-store"),
                (b"content-security-policy", DOCUMENT_POLICY.encode()),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})


async def refuse_websocket(send: Send) -> None:
    # Closing before accepting: the server answers the handshake with HTTP 403.
    await send({"type": "websocket.close", "code": 1008, "reason": "Origin not allowed"})


# The bank's page posts the parent's browser back to the portal (PayFiP, Systempay): a form POST from
# the bank's origin, answered by a redirection only. Nothing it carries is trusted (the route has
# the provider confirm it), and it needs no session, so it is the one cross-origin POST let in.
_PROVIDER_RETURN = re.compile(r"^(/api/paiement/[a-z]+/[A-Za-z0-9_-]+/retour|/[A-Za-z0-9_-]+/paiement/retour)/?$")


def is_provider_return(scope: Scope) -> bool:
    return scope.get("method") == "POST" and _PROVIDER_RETURN.match(scope.get("path", "")) is not None


def is_foreign_http(scope: Scope, allowed: tuple[str, ...]) -> bool:
    """A preflight, or a state-changing request, sent by a page of another origin (except the
    bank's return form, see ``is_provider_return``)."""
    origin = header(scope, b"origin")
    if origin_allowed(origin, allowed):
        return False
    method = scope.get("method", "")
    preflight = method == "OPTIONS" and header(scope, b"access-control-request-method") is not None
    return preflight or (method in UNSAFE_METHODS and not is_provider_return(scope))


def without_cors(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Drop every ``Access-Control-*`` header (for an answer to a foreign origin)."""
    return [(k, v) for k, v in headers if not k.lower().startswith(b"access-control-")]


def session_cookies(scope: Scope) -> list[tuple[str, str, str]]:
    """(slug, role cookie prefix, token) of each portal session cookie the request carries."""
    raw = header(scope, b"cookie") or ""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # noqa: BLE001 - a malformed cookie header is simply no session
        return []
    found = []
    for name, morsel in jar.items():
        for prefix in _COOKIE_PREFIXES:
            if name.startswith(prefix) and morsel.value:
                found.append((name[len(prefix) :].lower(), prefix, morsel.value))
    return found


def any_live_session(settings: Settings, cookies: list[tuple[str, str, str]]) -> bool:
    """Is one of these cookies a live session of its commune (parent or staff)? Reads only."""
    return identity.any_live_session(cookies, clock.now())


async def read_capped(receive: Receive, cap: int) -> list[Message] | None:
    """The whole request body as received, or None as soon as it passes ``cap`` bytes.

    Read here rather than counted under the app: Reflex's own error handling would answer a
    failure in the middle of its parsing with a 500 before we could say 413.
    """
    messages: list[Message] = []
    received = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages
        received += len(message.get("body", b""))
        if received > cap:
            return None
        if not message.get("more_body", False):
            return messages


async def guard_upload(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    settings: Settings,
    has_session: Callable[[Settings, list[tuple[str, str, str]]], bool] = any_live_session,
) -> None:
    """Run an ``/_upload`` POST only for a live session and a body under the cap."""
    cap = settings.upload_max_bytes + UPLOAD_SLACK_BYTES
    length = header(scope, b"content-length")
    if length is not None and (not length.isdigit() or int(length) > cap):
        await refuse_http(send, 413)
        return
    if not await run_in_threadpool(has_session, settings, session_cookies(scope)):
        await refuse_http(send, 403)
        return
    messages = await read_capped(receive, cap)
    if messages is None:
        await refuse_http(send, 413)
        return

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    await app(scope, replay, send)
