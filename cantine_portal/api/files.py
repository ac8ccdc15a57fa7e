"""Authenticated PDF downloads: the commune's published documents.

A plain GET (the title's link opens in a new tab), authorised by the HttpOnly session cookie.
Every refusal (not logged in, unknown id, another commune's document, unpublished draft, file
missing on disk) is the same empty 404: an id reveals nothing, not even that it exists.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cantine_portal import clock
from cantine_portal.infra.http import session_cookie_name
from cantine_portal.services.shared.validation import parse_id
from cantine_portal.usecases import content
from cantine_portal.usecases.content import Finder, PrivateFile

PRIVATE_HEADERS = {"cache-control": "private, no-store", "x-content-type-options": "nosniff"}

# (slug, session token, object id, now=) -> the file, or None for any refusal
Fetch = Callable[..., "PrivateFile | None"]


def not_found() -> Response:
    return Response(b"", status_code=404, headers=PRIVATE_HEADERS)


def pdf_response(data: bytes, filename: str, *, download: bool) -> Response:
    disposition = "attachment" if download else "inline"
    return Response(
        data,
        media_type="application/pdf",
        headers={
            **PRIVATE_HEADERS,
            "content-disposition": f'{disposition}; filename="{filename}"',
        },
    )


async def serve_private_pdf(request: Request, id_param: str, find: Finder) -> Response:
    """A stored PDF for the logged-in parent of the URL's commune, if ``find`` says it is theirs.

    Every refusal is the same empty 404 (not logged in, unknown id, someone else's file...).
    """
    return await _serve(request, id_param, functools.partial(content.private_file, find=find))


async def _serve(request: Request, id_param: str, fetch: Fetch) -> Response:
    slug = str(request.path_params["slug"]).lower()
    object_id = parse_id(request.path_params[id_param])
    if object_id is None:
        return not_found()
    token = request.cookies.get(session_cookie_name(slug))
    download = request.query_params.get("telecharger") == "1"
    found = await run_in_threadpool(functools.partial(fetch, slug, token, object_id, now=clock.now()))
    if found is None:
        return not_found()
    return pdf_response(found.data, found.filename, download=download)


async def document(request: Request) -> Response:
    return await _serve(request, "document_id", content.document_file)


routes = [
    Route("/api/{slug}/documents/{document_id}", document, methods=["GET"]),
]
