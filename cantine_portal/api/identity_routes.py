"""``GET /api/{slug}/logo``: the commune's logo, a public image (the header shows it before login).

Only the commune of the URL is read, so one commune's route never serves another's file. The
file was cleaned on upload (infra/images.py); an SVG is still served with a policy that forbids
scripts, plug-ins and any external load, inline (never as a download to run), and ``nosniff``.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cantine_portal.usecases.identity import commune_logo

LOGO_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "content-disposition": "inline",
    "x-content-type-options": "nosniff",
    # the URL carries the file's version (?v=…), so a cached copy is never stale for long
    "cache-control": "public, max-age=3600",
    "cross-origin-resource-policy": "same-origin",
}


async def logo(request: Request) -> Response:
    slug = str(request.path_params["slug"]).lower()
    found = await run_in_threadpool(commune_logo, slug)
    if found is None:
        return Response(b"", status_code=404, headers={"cache-control": "no-store"})
    data, mime = found
    return Response(data, media_type=mime, headers=LOGO_HEADERS)


routes = [Route("/api/{slug}/logo", logo, methods=["GET"])]
