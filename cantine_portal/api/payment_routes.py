"""Payment notifications (server to server) and receipt downloads.

Both notification routes verify a signature on the raw body before reading it; the
simulated bank signs with CANTINE_SECRET_KEY, Stripe with STRIPE_WEBHOOK_SECRET. A notification
that meets a briefly unavailable database is retried here, then answered 503 so that the
provider sends it again: it is never dropped.
"""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cantine_portal import clock
from cantine_portal.api.files import not_found, pdf_response
from cantine_portal.api.session_routes import session_cookie_name
from cantine_portal.config import get_settings
from cantine_portal.db import get_database
from cantine_portal.services import payments, receipts, storage
from cantine_portal.services.accounts import resolve_session
from cantine_portal.services.mail import Mailer
from cantine_portal.services.tenants import structure_by_slug

RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)


def fulfil(event: payments.ProviderEvent) -> payments.FulfilmentResult:
    """Apply an event in its own transaction, retrying while the database is unreachable."""
    settings = get_settings()
    for attempt, delay in enumerate((0.0, *RETRY_DELAYS)):
        time.sleep(delay)
        try:
            with get_database().write_session() as session:
                result = payments.handle_event(session, clock.now(), settings, event)
            break
        except OperationalError:
            if attempt == len(RETRY_DELAYS):
                raise
    mailer = Mailer(settings)
    for mail in result.mails:
        mailer.send(mail, clock.now())
    return result


async def _notification(request: Request, secret: str | None, parse) -> Response:
    payload = await request.body()
    header = request.headers.get("stripe-signature") or request.headers.get("x-cantine-signature")
    if not secret or not payments.verify_signature(secret, payload, header, clock.now()):
        return JSONResponse({"error": "signature"}, status_code=400)
    try:
        event = parse(payload)
    except (ValueError, KeyError):
        return JSONResponse({"error": "payload"}, status_code=400)
    try:
        result = await run_in_threadpool(fulfil, event)
    except OperationalError:
        return JSONResponse({"error": "retry later"}, status_code=503)
    return JSONResponse({"received": True, "outcome": result.outcome})


async def simulated_notification(request: Request) -> Response:
    return await _notification(request, get_settings().secret_key, payments.parse_simulated)


async def stripe_webhook(request: Request) -> Response:
    return await _notification(request, get_settings().stripe_webhook_secret, payments.parse_stripe)


async def receipt_pdf(request: Request) -> Response:
    slug = str(request.path_params["slug"]).lower()
    try:
        receipt_id = int(request.path_params["receipt_id"])
    except ValueError:
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
                                   timedelta(minutes=settings.session_minutes))
            if info is None or info.family_id is None:
                return None
            receipt = receipts.family_receipt(session, structure.id, info.family_id, receipt_id)
            if receipt is None:
                return None
            try:
                return storage.read_bytes(settings, receipt.pdf_path), f"recu-{receipt.number}.pdf"
            except (storage.StorageError, OSError):
                return None

    result = await run_in_threadpool(work)
    if result is None:
        return not_found()
    data, filename = result
    return pdf_response(data, filename, download=download)


routes = [
    Route("/api/paiement/simule/notification", simulated_notification, methods=["POST"]),
    Route("/api/paiement/stripe/webhook", stripe_webhook, methods=["POST"]),
    Route("/api/{slug}/recus/{receipt_id}", receipt_pdf, methods=["GET"]),
]
