"""``GET /api/code-source``: the footer's « Code source » link (AGPL-3.0-or-later, §13)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from cantine_portal.usecases.source import source_offer

SOURCE_PATH = "/api/code-source"


async def source(_request: Request) -> Response:
    """The published source's address, or the archive of the running files (built off the loop)."""
    offer = await run_in_threadpool(source_offer)
    if offer.redirect_url:
        return RedirectResponse(offer.redirect_url, status_code=302)
    return Response(
        offer.archive or b"",
        media_type="application/gzip",
        headers={
            "Content-Disposition": f'attachment; filename="{offer.filename}"',
            "Cache-Control": "public, max-age=3600",
        },
    )


routes = [Route(SOURCE_PATH, source, methods=["GET"])]
