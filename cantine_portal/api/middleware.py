"""ASGI middleware around the whole app (pages, events and API).

- An unknown commune answers HTTP 404 (the "portail introuvable" page is still rendered),
  so that search engines, monitoring and link checkers see what a person sees.
- Security headers on every response; HTML pages are never cached, so the back button
  after logging out cannot show a family's data from the cache.
- Past capacity (``CANTINE_MAX_CONNECTIONS`` open ``/_event`` websockets in this worker),
  a page request gets a plain French page, HTTP 503 with ``Retry-After``, and a new event
  connection is refused before it is accepted: the parent is told to come back in a minute
  instead of facing a table that never answers. Nothing is saved half-way: a refused tab
  never sent an event. Parents already connected keep being served.
- Origins, uploads and the Content-Security-Policy: see ``edge.py`` and ``csp.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cantine_portal.api import csp, edge
from cantine_portal.config import Settings
from cantine_portal.services.shared.tenants import RESERVED_SLUGS
from cantine_portal.usecases.identity import known_commune_slugs

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]

# The busy page is self-contained: its one inline <style>, nothing else.
BUSY_PAGE_POLICY = (
    b"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_SLUG_CACHE_SECONDS = 30.0
RETRY_AFTER_SECONDS = 60
BUSY_MESSAGE = "Trop de connexions en ce moment, réessayez dans une minute."
BUSY_PAGE = (
    '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<meta http-equiv="refresh" content="60"><title>Portail famille — affluence</title>'
    "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1c2024}</style></head><body><main><h1>Portail famille</h1>"
    f'<p role="alert">{BUSY_MESSAGE}</p>'
    "<p>Vos réservations déjà validées sont enregistrées. Cette page se rechargera "
    "d'elle-même dans une minute.</p></main></body></html>"
).encode()


def _is_event_path(path: str) -> bool:
    return path == "/_event" or path.startswith("/_event/")


class ConnectionLimit:
    """Open ``/_event`` websockets of this worker, against a ceiling (0 = no ceiling).

    Per worker on purpose: it protects this process's event loop and memory; a deployment
    with N workers accepts about N times the limit.
    """

    def __init__(self, maximum: int):
        self.maximum = maximum
        self.open = 0

    @property
    def full(self) -> bool:
        return self.maximum > 0 and self.open >= self.maximum


async def _send_busy_page(send: Send, head_only: bool = False) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
                (b"cache-control", b"no-store"),
                (b"content-length", str(len(BUSY_PAGE)).encode()),
                (b"content-security-policy", BUSY_PAGE_POLICY),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if head_only else BUSY_PAGE})


class SlugCache:
    """Known slugs, re-read from the database at most every 30 s (a cache, not state)."""

    def __init__(self, loader: Callable[[], set[str]]):
        self._loader = loader
        self._slugs: set[str] = set()
        self._loaded_at = float("-inf")

    def knows(self, slug: str) -> bool:
        now = time.monotonic()
        if slug not in self._slugs and now - self._loaded_at > 1.0 or now - self._loaded_at > _SLUG_CACHE_SECONDS:
            self._slugs = self._loader()
            self._loaded_at = now
        return slug in self._slugs


def _load_slugs() -> set[str]:
    return known_commune_slugs()


def _page_slug(path: str) -> str | None:
    """The commune slug of an HTML page path, or None for files, API and Reflex routes."""
    first = path.strip("/").split("/", 1)[0]
    if not first or "." in path.rsplit("/", 1)[-1] or first in RESERVED_SLUGS or first.startswith("_"):
        return None
    return first.lower()


def _max_connections() -> int:
    from cantine_portal.config import get_settings

    return get_settings().max_connections


def _with_headers(app: ASGIApp, foreign: bool, policy: Callable[[bytes], bytes], ok_status: int | None) -> ASGIApp:
    """``app`` with the security headers and CSP on its answer; ``ok_status`` replaces a 200."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if foreign:
                    headers = edge.without_cors(headers)
                names = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                content_type = dict(headers).get(b"content-type", b"")
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", policy(content_type)))
                if content_type.startswith(b"text/html"):
                    headers = [
                        (k, v) for k, v in headers if k.lower() not in (b"cache-control", b"etag", b"last-modified")
                    ]
                    headers.append((b"cache-control", b"no-store"))
                status = message["status"]
                if ok_status is not None and status == 200:
                    status = ok_status
                message = {**message, "status": status, "headers": headers}
            await send(message)

        await app(scope, receive, send_wrapper)

    return wrapped


def _settings() -> Settings:
    from cantine_portal.config import get_settings

    return get_settings()


async def _websocket(
    app: ASGIApp, limit: ConnectionLimit, allowed: tuple[str, ...], scope: Scope, receive: Receive, send: Send
) -> None:
    """A websocket from a foreign origin is refused before any state is loaded; Reflex's event
    socket counts against the connection limit while it is open."""
    if not edge.origin_allowed(edge.header(scope, b"origin"), allowed):
        await edge.refuse_websocket(send)  # before any state is loaded
        return
    if not _is_event_path(scope.get("path", "")):
        await app(scope, receive, send)
        return
    if limit.full:
        # Refused before the handshake completes: the browser retries later (Reflex
        # reconnects with a back-off) and the next page load shows the 503 page.
        await send({"type": "websocket.close", "code": 1013, "reason": "Try Again Later"})
        return
    limit.open += 1
    try:
        await app(scope, receive, send)
    finally:
        limit.open -= 1


def portal_middleware(
    app: ASGIApp,
    slug_cache: SlugCache | None = None,
    max_connections: int | None = None,
    settings: Settings | None = None,
    script_hashes: tuple[str, ...] | None = None,
) -> ASGIApp:
    cache = slug_cache or SlugCache(_load_slugs)
    limit = ConnectionLimit(_max_connections() if max_connections is None else max_connections)
    config = settings or _settings()
    allowed = config.allowed_origins

    def policy(content_type: bytes) -> bytes:
        hashes = csp.build_hashes() if script_hashes is None else script_hashes
        return csp.policy_for(content_type, config, hashes).encode()

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await _websocket(app, limit, allowed, scope, receive, send)
            return
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        method = scope.get("method")
        if edge.is_foreign_http(scope, allowed):
            await edge.refuse_http(send, 403)
            return
        foreign = not edge.origin_allowed(edge.header(scope, b"origin"), allowed)
        if scope.get("path", "").startswith(edge.UPLOAD_PATH + "/"):
            # Reflex serves its upload folder publicly under /_upload/…; the portal never stores a file
            # there (receipts, attachments, attestations, logos live in infra/storage), so nothing is.
            await edge.refuse_http(send, 404)
            return
        if method == "POST" and scope.get("path", "") == edge.UPLOAD_PATH:
            await edge.guard_upload(_with_headers(app, foreign, policy, None), scope, receive, send, config)
            return
        if (
            limit.full
            and method in ("GET", "HEAD")
            and (_is_event_path(scope.get("path", "")) or _page_slug(scope.get("path", "")) is not None)
        ):
            await _send_busy_page(send, head_only=method == "HEAD")
            return
        slug = _page_slug(scope.get("path", "")) if scope.get("method") in ("GET", "HEAD") else None
        unknown = slug is not None and not cache.knows(slug)

        await _with_headers(app, foreign, policy, 404 if unknown else None)(scope, receive, send)

    middleware.connection_limit = limit  # type: ignore[attr-defined]  # read by tests and /api/health
    return middleware
