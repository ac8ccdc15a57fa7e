"""Authenticated PDF downloads: the commune's published documents.

A plain GET (the title's link opens in a new tab), authorised by the HttpOnly session cookie.
Every refusal (not logged in, unknown id, another commune's document, unpublished draft, file
missing on disk) is the same empty 404: an id reveals nothing, not even that it exists.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from sqlmodel import Session

from cantine_portal import clock
from cantine_portal.api.session_routes import session_cookie_name
from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.services.content import documents
from cantine_portal.infra import storage
from cantine_portal.services.accounts.login import SessionInfo, resolve_session
from cantine_portal.services.shared.tenants import structure_by_slug
from cantine_portal.services.shared.validation import parse_id

PRIVATE_HEADERS = {"cache-control": "private, no-store", "x-content-type-options": "nosniff"}


def not_found() -> Response:
    return Response(b"", status_code=404, headers=PRIVATE_HEADERS)


def pdf_response(data: bytes, filename: str, *, download: bool) -> Response:
    disposition = "attachment" if download else "inline"
    return Response(data, media_type="application/pdf", headers={
        **PRIVATE_HEADERS,
        "content-disposition": f'{disposition}; filename="{filename}"',
    })


# (session, structure id, session info, object id) -> (stored relative path, download name) or None
Finder = Callable[[Session, int, SessionInfo, int], "tuple[str, str] | None"]


async def serve_private_pdf(request: Request, id_param: str, find: Finder) -> Response:
    """A stored PDF for the logged-in parent of the URL's commune, if ``find`` says it is theirs.

    Every refusal is the same empty 404 (not logged in, unknown id, someone else's file...).
    """
    slug = str(request.path_params["slug"]).lower()
    object_id = parse_id(request.path_params[id_param])
    if object_id is None:
        return not_found()
    token = request.cookies.get(session_cookie_name(slug))
    download = request.query_params.get("telecharger") == "1"
    settings = get_settings()

    def work() -> tuple[bytes, str] | None:
        with get_database().session() as session:
            structure = structure_by_slug(session, slug)
            if structure is None or not token:
                return None
            info = resolve_session(session, clock.now(), structure.id, token,
                                   timedelta(minutes=settings.session_minutes),
                                   lifetime=timedelta(hours=settings.session_max_hours))
            if info is None:
                return None
            found = find(session, structure.id, info, object_id)
            if found is None:
                return None
            path, filename = found
            try:
                return storage.read_bytes(settings, path), filename
            except (storage.StorageError, OSError):
                return None

    result = await run_in_threadpool(work)
    if result is None:
        return not_found()
    data, filename = result
    return pdf_response(data, filename, download=download)


def _published_document(session: Session, structure_id: int, _info: SessionInfo, document_id: int):
    found = documents.published_document(session, structure_id, document_id)
    return (found.file_path, documents.download_name(found)) if found else None


async def document(request: Request) -> Response:
    return await serve_private_pdf(request, "document_id", _published_document)


routes = [
    Route("/api/{slug}/documents/{document_id}", document, methods=["GET"]),
]
