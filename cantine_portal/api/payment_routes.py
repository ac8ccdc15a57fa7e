"""Payment notifications (server to server) and receipt downloads.

Both notification routes verify a signature on the raw body before reading it; the
simulated bank signs with CANTINE_SECRET_KEY, Stripe with STRIPE_WEBHOOK_SECRET. The event is then
applied by ``usecases.payments.receive_notification`` (retried there while the database is briefly
unavailable); still unavailable, the route answers 503 so that the provider sends it again: it is
never dropped. Receipt downloads are ``usecases.payments.receipt_download``: every refusal is the
same empty 404.
In production the simulated bank's route answers 403 unless CANTINE_ALLOW_SIMULATED_BANK=1 (staging
only; see docs/deploy.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import parse_qsl

from sqlalchemy.exc import DBAPIError
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from cantine_portal import clock
from cantine_portal.api.files import not_found, pdf_response
from cantine_portal.config import get_settings
from cantine_portal.infra.http import forwarded_client_ip, session_cookie_name
from cantine_portal.services.payments.events import ProviderEvent, parse_simulated, parse_stripe
from cantine_portal.services.payments.signatures import verify_signature
from cantine_portal.services.shared.validation import parse_id
from cantine_portal.usecases import payments, payments_pending


def _client_ip(request: Request) -> str:
    """The caller's address (the one a trusted proxy, CANTINE_TRUSTED_PROXIES, forwarded)."""
    peer = request.client.host if request.client else ""
    return forwarded_client_ip(peer, request.headers.get("x-forwarded-for"), get_settings().trusted_proxies)


async def _notification(request: Request, secret: str | None, parse: Callable[[bytes], ProviderEvent]) -> Response:
    payload = await request.body()
    header = request.headers.get("stripe-signature") or request.headers.get("x-cantine-signature")
    if not secret or not verify_signature(secret, payload, header, clock.now()):
        return JSONResponse({"error": "signature"}, status_code=400)
    try:
        event = parse(payload)
    except (ValueError, KeyError):
        return JSONResponse({"error": "payload"}, status_code=400)
    try:
        result = await run_in_threadpool(functools.partial(payments.receive_notification, event, now=clock.now()))
    except DBAPIError:  # still unreachable after the retries: the provider will send it again
        return JSONResponse({"error": "retry later"}, status_code=503)
    # The payment is committed: answer the provider (and the parent waiting on it) now; drawing the
    # receipt and mailing the ticket follow in the background (a failure there loses nothing paid).
    ticket = (
        BackgroundTask(payments.after_notification, result.ticket_job_id) if result.ticket_job_id is not None else None
    )
    return JSONResponse({"received": True, "outcome": result.outcome}, background=ticket)


async def simulated_notification(request: Request) -> Response:
    settings = get_settings()
    if not settings.simulated_bank_allowed:  # production: the bank that moves no money is switched off
        return JSONResponse({"error": "simulated bank disabled"}, status_code=403)
    return await _notification(request, settings.secret_key, parse_simulated)


async def stripe_webhook(request: Request) -> Response:
    return await _notification(request, get_settings().stripe_webhook_secret, parse_stripe)


async def eopayment_notification(request: Request) -> Response:
    """PayFiP's or Systempay's notification (form-encoded, POST or GET). Nothing in it is trusted:
    the use case has PayFiP confirm it (detail call) or checks Systempay's signature. An idOp none
    of our payments has: 404 at once (PayFiP not asked); past the per-address limit: 429."""
    provider = str(request.path_params["provider"])
    slug = str(request.path_params["slug"]).lower()
    body = (await request.body()).decode("utf-8", "replace") if request.method == "POST" else ""
    query = body or request.url.query
    try:
        answer = await run_in_threadpool(
            functools.partial(
                payments_pending.receive_provider_answer, provider, slug, query, _client_ip(request), now=clock.now()
            )
        )
    except DBAPIError:
        return JSONResponse({"error": "retry later"}, status_code=503)
    if answer.outcome == "limited":
        return JSONResponse({"error": "too many requests"}, status_code=429, headers={"Retry-After": "3600"})
    if answer.outcome == "unknown":  # not one of our payments: PayFiP was not asked
        return JSONResponse({"error": "unknown payment"}, status_code=404)
    if not answer.ok:
        return JSONResponse({"error": "refused"}, status_code=400)
    return JSONResponse({"received": True, "outcome": answer.outcome})


async def _fields(request: Request) -> dict[str, str]:
    """The query string's fields, and a form body's (a POST) over them."""
    fields = {k: v[:2000] for k, v in list(request.query_params.items())[:50]}
    if request.method == "POST":
        body = (await request.body())[:20000].decode("utf-8", "replace")
        fields.update({k: v[:2000] for k, v in list(parse_qsl(body, keep_blank_values=True))[:100]})
    return fields


async def provider_return(request: Request) -> Response:
    """The parent back from PayFiP or Systempay: a GET, or the bank's form POSTed to the return
    URL (also on the page's own path, ``/{slug}/paiement/retour``). The answer it carries is
    verified with the provider before anything is applied (usecases/payments_pending); the
    parent is then sent, by a GET, to the return page, which shows what the database holds."""
    provider = request.path_params.get("provider")
    slug = str(request.path_params["slug"]).lower()
    fields = await _fields(request)
    try:
        path = await run_in_threadpool(
            functools.partial(
                payments_pending.receive_provider_return,
                str(provider) if provider else None,
                slug,
                fields,
                _client_ip(request),
                now=clock.now(),
            )
        )
    except DBAPIError:  # nothing applied: the page shows the payment pending, the notification follows
        path = payments_pending.return_page_path(slug, fields.get("ref", ""))
    return RedirectResponse(path, status_code=303, headers={"Cache-Control": "no-store"})


async def receipt_pdf(request: Request) -> Response:
    """One of the logged-in family's receipts (HttpOnly session cookie of the URL's commune)."""
    slug = str(request.path_params["slug"]).lower()
    receipt_id = parse_id(request.path_params["receipt_id"])
    if receipt_id is None:
        return not_found()
    token = request.cookies.get(session_cookie_name(slug))
    found = await run_in_threadpool(
        functools.partial(payments.receipt_download, slug, token, receipt_id, now=clock.now())
    )
    if found is None:
        return not_found()
    return pdf_response(found.data, found.filename, download=request.query_params.get("telecharger") == "1")


routes = [
    Route("/api/paiement/simule/notification", simulated_notification, methods=["POST"]),
    Route("/api/paiement/stripe/webhook", stripe_webhook, methods=["POST"]),
    Route("/api/paiement/{provider:str}/{slug:str}/notification", eopayment_notification, methods=["GET", "POST"]),
    Route("/api/paiement/{provider:str}/{slug:str}/retour", provider_return, methods=["GET", "POST"]),
    # The bank's form may post to the page's own address; a GET there is the Reflex page itself.
    Route("/{slug:str}/paiement/retour", provider_return, methods=["POST"]),
    Route("/api/{slug}/recus/{receipt_id}", receipt_pdf, methods=["GET"]),
]
