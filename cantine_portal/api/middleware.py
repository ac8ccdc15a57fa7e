"""ASGI middleware around the whole app (pages, events and API).

- An unknown commune answers HTTP 404 (the "portail introuvable" page is still rendered),
  so that search engines, monitoring and link checkers see what a person sees.
- Security headers on every response; HTML pages are never cached, so the back button
  after logging out cannot show a family's data from the cache.
"""

from __future__ import annotations

import time
from typing import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cantine_portal.db import get_database
from cantine_portal.services.tenants import RESERVED_SLUGS, active_slugs

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]

_SLUG_CACHE_SECONDS = 30.0


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
    with get_database().session() as session:
        return active_slugs(session)


def _page_slug(path: str) -> str | None:
    """The commune slug of an HTML page path, or None for files, API and Reflex routes."""
    first = path.strip("/").split("/", 1)[0]
    if not first or "." in path.rsplit("/", 1)[-1] or first in RESERVED_SLUGS or first.startswith("_"):
        return None
    return first.lower()


def portal_middleware(app: ASGIApp, slug_cache: SlugCache | None = None) -> ASGIApp:
    cache = slug_cache or SlugCache(_load_slugs)

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        slug = _page_slug(scope.get("path", "")) if scope.get("method") in ("GET", "HEAD") else None
        unknown = slug is not None and not cache.knows(slug)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                content_type = dict(headers).get(b"content-type", b"")
                if content_type.startswith(b"text/html"):
                    headers = [(k, v) for k, v in headers if k.lower() not in (b"cache-control", b"etag", b"last-modified")]
                    headers.append((b"cache-control", b"no-store"))
                status = message["status"]
                if unknown and status == 200:
                    status = 404
                message = {**message, "status": status, "headers": headers}
            await send(message)

        await app(scope, receive, send_wrapper)

    return middleware
