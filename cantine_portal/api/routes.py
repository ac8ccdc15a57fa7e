"""HTTP routes mounted beside the Reflex app (through rx.App(api_transformer=...))."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cantine_portal.api import (
    admin_files,
    files,
    identity_routes,
    payment_routes,
    preferences_routes,
    session_routes,
    source_routes,
)
from cantine_portal.usecases.identity import database_reachable


async def health(_request: Request) -> JSONResponse:
    """Liveness and database reachability, for the reverse proxy and monitoring."""
    if not await run_in_threadpool(database_reachable):
        return JSONResponse({"status": "degraded", "database": False}, status_code=503)
    return JSONResponse({"status": "ok", "database": True})


def build_api() -> Starlette:
    routes = [
        Route("/api/health", health),
        *session_routes.routes,
        *files.routes,
        *payment_routes.routes,
        *admin_files.routes,
        *identity_routes.routes,
        *preferences_routes.routes,
        *source_routes.routes,
    ]
    return Starlette(routes=routes)
