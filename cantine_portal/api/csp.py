"""The Content-Security-Policy of every answer (docs/security.md, "Headers").

Pages get the strictest policy the compiled Reflex frontend runs under: scripts only from the
portal itself plus the SHA-256 of each inline script the build wrote into its HTML files (React
Router's bootstrap and the colour-scheme snippet; they are the same for every page, fixed at build
time). The remaining exception is ``style-src 'unsafe-inline'``: Emotion (Reflex's CSS-in-JS) and
Radix insert ``<style>`` elements and ``style`` attributes at run time, with no nonce hook.

Everything that is not a page (PDF, CSV, JSON) gets a policy that allows nothing but what a
browser needs to show it: a PDF opened in a tab is drawn by the browser's own viewer, which needs
inline styles and its embedded plugin document (``object-src 'self'``).
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable
from pathlib import Path

from cantine_portal.config import Settings

STRIPE_CHECKOUT = "https://checkout.stripe.com"
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)

DOCUMENT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PDF_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: blob:; "
    "object-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def script_hash(body: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"


def inline_script_hashes(build_dir: Path) -> tuple[str, ...]:
    """The CSP hash of every inline ``<script>`` in the built HTML files, sorted, once each."""
    found: set[str] = set()
    if build_dir.is_dir():
        for html in build_dir.rglob("*.html"):
            found.update(script_hash(body) for body in _INLINE_SCRIPT.findall(html.read_bytes()))
    return tuple(sorted(found))


def _build_dir() -> Path:
    from reflex import constants
    from reflex.utils import prerequisites

    return prerequisites.get_web_dir() / constants.Dirs.STATIC


class BuildHashes:
    """Hashes of the build being served, re-read when its HTML files change (a rebuild while the
    portal runs, e.g. a second portal compiled from the same folder); checked at most once a second."""

    def __init__(self, folder: Callable[[], Path]):
        self._folder = folder
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._hashes: tuple[str, ...] = ()
        self._checked = float("-inf")

    def __call__(self) -> tuple[str, ...]:
        now = time.monotonic()
        if now - self._checked >= 1.0:
            self._checked = now
            folder = self._folder()
            files = sorted(folder.rglob("*.html")) if folder.is_dir() else []
            signature = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
            if signature != self._signature:
                self._signature, self._hashes = signature, inline_script_hashes(folder)
        return self._hashes


build_hashes = BuildHashes(_build_dir)


def _websocket_origins(origins: tuple[str, ...]) -> list[str]:
    return [origin.replace("https://", "wss://", 1).replace("http://", "ws://", 1) for origin in origins]


def page_policy(settings: Settings, hashes: tuple[str, ...]) -> str:
    """The policy of an HTML page: the portal's own scripts, styles, images and websocket."""
    form_action = ["'self'"] + ([STRIPE_CHECKOUT] if settings.stripe_enabled else [])
    # IPv6 literals are not valid CSP sources (browsers ignore them with a warning); 'self' covers
    # the page's own origin anyway, whatever its name.
    origins = tuple(origin for origin in settings.allowed_origins if "[" not in origin)
    connect = ["'self'", *origins, *_websocket_origins(origins)]
    directives = [
        "default-src 'self'",
        "script-src " + " ".join(["'self'", *hashes]),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src " + " ".join(dict.fromkeys(connect)),
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action " + " ".join(form_action),
    ]
    return "; ".join(directives)


def policy_for(content_type: bytes, settings: Settings, hashes: tuple[str, ...]) -> str:
    if content_type.startswith(b"text/html"):
        return page_policy(settings, hashes)
    if content_type.startswith(b"application/pdf"):
        return PDF_POLICY
    return DOCUMENT_POLICY
