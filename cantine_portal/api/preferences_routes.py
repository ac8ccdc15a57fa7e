"""Routes reached without a login: a family's calendar feed, and the reminders' one-click
unsubscribe link (RFC 8058).

``GET /api/{slug}/calendrier/{token}.ics``: the feed for a live token; anything else (unknown
commune, unknown or revoked token) is the same empty 404; past the per-address limit, 429.
``POST /api/{slug}/rappels/desabonnement?jeton=…``: what a mail client sends for
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``; ``GET`` on the same address only shows a
button that posts (link scanners follow GET links: they must not unsubscribe anyone).
"""

from __future__ import annotations

import functools
import html

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from cantine_portal import clock
from cantine_portal.api.files import PRIVATE_HEADERS, not_found
from cantine_portal.config import get_settings
from cantine_portal.infra.http import forwarded_client_ip
from cantine_portal.usecases import preferences


async def calendar_feed(request: Request) -> Response:
    slug = request.path_params["slug"]
    token = request.path_params["token"]
    peer = request.client.host if request.client else ""
    ip = forwarded_client_ip(peer, request.headers.get("x-forwarded-for"), get_settings().trusted_proxies)
    answer = await run_in_threadpool(
        functools.partial(preferences.calendar_feed_file, slug, token, ip, now=clock.now())
    )
    if answer.limited:
        return Response(b"", status_code=429, headers={**PRIVATE_HEADERS, "retry-after": "3600"})
    if answer.body is None:
        return not_found()
    return Response(
        answer.body,
        media_type="text/calendar; charset=utf-8",
        headers={**PRIVATE_HEADERS, "content-disposition": 'inline; filename="reservations.ics"'},
    )


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>{title}</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'></head>"
        f"<body style='font-family:sans-serif;max-width:36rem;margin:2rem auto'>"
        f"<h1>{title}</h1>{body}</body></html>",
        headers=PRIVATE_HEADERS,
    )


async def unsubscribe(request: Request) -> Response:
    slug = request.path_params["slug"]
    token = request.query_params.get("jeton", "")
    if request.method == "GET":
        action = html.escape(f"/api/{slug}/rappels/desabonnement?jeton={token}", quote=True)
        return _page(
            "Rappels de réservation",
            "<p>Ne plus recevoir les rappels avant la date limite des réservations ?</p>"
            f"<form method='post' action='{action}'><button type='submit'>Ne plus recevoir les rappels"
            "</button></form>",
        )
    done = await run_in_threadpool(functools.partial(preferences.unsubscribe_reminders, slug, token, now=clock.now()))
    if not done:
        return not_found()
    return _page(
        "Rappels désactivés",
        "<p>Vous ne recevrez plus de rappels avant la date limite des réservations. Vous pouvez les "
        "réactiver depuis la page Préférences du portail.</p>",
    )


routes = [
    Route("/api/{slug}/calendrier/{token}.ics", calendar_feed, methods=["GET"]),
    Route("/api/{slug}/rappels/desabonnement", unsubscribe, methods=["GET", "POST"]),
]
