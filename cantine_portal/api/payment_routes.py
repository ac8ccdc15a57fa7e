"""Payment notifications (server to server) and receipt downloads.

Both notification routes verify a signature on the raw body before reading it; the
simulated bank signs with CANTINE_SECRET_KEY, Stripe with STRIPE_WEBHOOK_SECRET. A notification
that meets a briefly unavailable database is retried here, then answered 503 so that the
provider sends it again: it is never dropped. In production the simulated bank's route answers 403
unless CANTINE_ALLOW_SIMULATED_BANK=1 (staging only; see docs/deploy.md).
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cantine_portal import clock
from cantine_portal.api.files import serve_private_pdf
from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.infra.retry import with_db_retry
from cantine_portal.services.payments import fulfilment, receipts
from cantine_portal.services.payments.events import ProviderEvent, parse_simulated, parse_stripe
from cantine_portal.services.payments.signatures import verify_signature
from cantine_portal.usecases import payments as payment_cases


def fulfil(event: ProviderEvent) -> fulfilment.FulfilmentResult:
    """Apply an event in its own transaction, retried while the database is unreachable
    (idempotent: a retry after a lost commit acknowledgement finds the event already stored)."""
    settings = get_settings()

    def apply() -> fulfilment.FulfilmentResult:
        return get_database().run_write(fulfilment.handle_event, clock.now(), settings, event)

    return with_db_retry(apply)


def send_ticket(receipt_id: int) -> None:
    """After the answer to the provider: the receipt's PDF and the ticket e-mail (see usecases.payments.send_ticket)."""
    payment_cases.send_ticket_isolated(get_database(), get_settings(), clock.now(), receipt_id)


async def _notification(request: Request, secret: str | None, parse) -> Response:
    payload = await request.body()
    header = request.headers.get("stripe-signature") or request.headers.get("x-cantine-signature")
    if not secret or not verify_signature(secret, payload, header, clock.now()):
        return JSONResponse({"error": "signature"}, status_code=400)
    try:
        event = parse(payload)
    except (ValueError, KeyError):
        return JSONResponse({"error": "payload"}, status_code=400)
    try:
        result = await run_in_threadpool(fulfil, event)
    except DBAPIError:  # still unreachable after the retries: the provider will send it again
        return JSONResponse({"error": "retry later"}, status_code=503)
    # The payment is committed: answer the provider (and the parent waiting on it) now; drawing the
    # receipt and mailing the ticket follow in the background (a failure there loses nothing paid).
    ticket = BackgroundTask(send_ticket, result.receipt_id) if result.receipt_id is not None else None
    return JSONResponse({"received": True, "outcome": result.outcome}, background=ticket)


async def simulated_notification(request: Request) -> Response:
    settings = get_settings()
    if not settings.simulated_bank_allowed:  # production: the bank that moves no money is switched off
        return JSONResponse({"error": "simulated bank disabled"}, status_code=403)
    return await _notification(request, settings.secret_key, parse_simulated)


async def stripe_webhook(request: Request) -> Response:
    return await _notification(request, get_settings().stripe_webhook_secret, parse_stripe)


def _family_receipt(session, structure_id: int, info, receipt_id: int):
    if info.family_id is None:
        return None
    receipt = receipts.family_receipt(session, structure_id, info.family_id, receipt_id)
    if receipt is None:
        return None
    # Normally rendered just after the payment; rendered here if that step was missed.
    path = receipt.pdf_path or payment_cases.ensure_receipt_pdf(get_database(), get_settings(), receipt.id)[0]
    return path, f"recu-{receipt.number}.pdf"


async def receipt_pdf(request: Request) -> Response:
    return await serve_private_pdf(request, "receipt_id", _family_receipt)


routes = [
    Route("/api/paiement/simule/notification", simulated_notification, methods=["POST"]),
    Route("/api/paiement/stripe/webhook", stripe_webhook, methods=["POST"]),
    Route("/api/{slug}/recus/{receipt_id}", receipt_pdf, methods=["GET"]),
]
