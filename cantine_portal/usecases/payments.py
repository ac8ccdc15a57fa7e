"""Payment use cases: what spans several transactions or another process.

The services (services/payments, services/booking) take a session and ``now``; these functions
take the ``Database`` and decide which transaction each step runs in, and whether a receipt is
drawn here or in the receipt helper process (infra/pdf/isolated.py). Plain Python, no Reflex.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Callable

from cantine_portal.config import Settings
from cantine_portal.infra import storage
from cantine_portal.infra.db import Database, database_at
from cantine_portal.infra.mail import Mail, Mailer
from cantine_portal.infra.pdf import isolated
from cantine_portal.infra.pdf.receipt import ReceiptData, render_receipt
from cantine_portal.services.booking.checkout import CheckoutResult, PaymentProvider, checkout_failed
from cantine_portal.services.payments import fulfilment, receipts, tickets

log = logging.getLogger(__name__)

# Draws a receipt: ``render_receipt`` in place, or ``isolated.render_receipt_isolated`` (helper).
Renderer = Callable[..., bytes]

PROVIDER_UNAVAILABLE_MESSAGE = ("Le service de paiement ne répond pas pour le moment : votre panier est conservé, "
                                "réessayez dans quelques minutes.")
PROVIDER_TOO_LATE_MESSAGE = ("Le service de paiement a répondu trop tard : ce paiement a expiré et rien n'a été "
                             "débité. Votre panier est conservé, vous pouvez le régler à nouveau.")


def _render_isolated(data: ReceiptData, *, generated_at: datetime) -> bytes:
    return isolated.render_receipt_isolated(data, generated_at=generated_at)


def ensure_receipt_pdf(database: Database, settings: Settings, receipt_id: int,
                       render: Renderer = _render_isolated) -> tuple[str, bytes]:
    """The receipt's stored PDF as (path, bytes), rendered and stored the first time it is needed.

    Called right after the payment's transaction commits (for the ticket e-mail), and by the
    download route should that have been missed (a crash between the two). Rendered outside any
    transaction; the row is then completed by a compare-and-set, so two concurrent callers keep
    one file and the PDF never changes once stored.
    """
    with database.session() as session:
        path, data = receipts.pdf_source(session, receipt_id)
    if path is not None:
        return path, storage.read_bytes(settings, path)
    pdf = render(data, generated_at=data.issued_at)
    path = storage.save_bytes(settings, "receipts", pdf)
    with database.write_session() as session:
        stored = receipts.store_pdf(session, receipt_id, path, pdf)
    if stored:
        return path, pdf
    storage.delete(settings, path)  # another caller stored its copy first: keep that one
    return ensure_receipt_pdf(database, settings, receipt_id, render)


def ticket_after_commit(database: Database, settings: Settings, receipt_id: int,
                        render: Renderer = _render_isolated) -> Mail:
    """After the payment's transaction: the receipt's PDF (rendered and stored now) and the ticket
    e-mail that carries it, for the caller to send."""
    _path, pdf = ensure_receipt_pdf(database, settings, receipt_id, render)
    with database.session() as session:
        return tickets.ticket_for_receipt(session, receipt_id, pdf)


def send_ticket(database: Database, settings: Settings, now: datetime, receipt_id: int,
                render: Renderer = _render_isolated) -> None:
    """Once the payment is committed: render and store the receipt, e-mail the ticket with it.

    A failure here loses nothing paid: the payment and the receipt's number are committed, and the
    Factures download renders a missing PDF on demand. It is logged; the provider's notification
    is still acknowledged, since applying it again would change nothing.
    """
    try:
        Mailer(settings).send(ticket_after_commit(database, settings, receipt_id, render), now)
    except Exception:  # noqa: BLE001 - see the docstring
        log.exception("receipt %s: PDF or ticket e-mail failed after the payment was recorded", receipt_id)


def _send_ticket_in_helper(database_url: str, settings: Settings, now: datetime, receipt_id: int) -> None:
    """In the receipt helper: draw in place (it is the helper), store, build and send the ticket."""
    send_ticket(database_at(database_url), settings, now, receipt_id, render=render_receipt)


def send_ticket_isolated(database: Database, settings: Settings, now: datetime, receipt_id: int) -> None:
    """``send_ticket`` done by the receipt helper process: the drawing, the MIME message with the PDF
    (base64) and its sending are ~40 ms of CPU per payment that the worker no longer spends. If the
    helper is unavailable the worker does it (after a helper that died mid-way, the ticket may
    leave twice: better than not at all)."""
    if isolated.enabled():
        try:
            isolated.run_isolated(_send_ticket_in_helper, database.url, settings, now, receipt_id)
            return
        except isolated.Unavailable as error:
            log.warning("receipt helper process unavailable (%s): ticket sent by the worker", error)
    send_ticket(database, settings, now, receipt_id)


def open_remote_session(database: Database, provider: PaymentProvider, now: datetime, structure_id: int,
                        family_id: int, result: CheckoutResult,
                        answered_at: Callable[[], datetime] | None = None) -> CheckoutResult:
    """Second step of a checkout with a provider over the network (Stripe), after the commit.

    The provider is asked for its payment page outside any transaction, then the session's id is
    recorded. If the provider cannot be reached the basket is reopened (nothing was charged). If it
    answers once the payment has expired (checked against ``answered_at()``, the clock when it
    answered, and against the payment's status), the parent is not sent to it.
    """
    snapshot = result.pending
    if snapshot is None:
        return result
    try:
        redirect = provider.start(snapshot)
    except Exception:  # noqa: BLE001 - any failure of the provider's API: nothing was charged
        log.exception("payment %s: the provider did not open its payment page", snapshot.payment_id)
        database.run_write(checkout_failed, now, structure_id, family_id, snapshot.payment_id)
        return CheckoutResult(False, PROVIDER_UNAVAILABLE_MESSAGE)
    answered = answered_at() if answered_at is not None else None
    if not database.run_write(fulfilment.record_provider_session, snapshot.payment_id, redirect, answered):
        return CheckoutResult(False, PROVIDER_TOO_LATE_MESSAGE, payment_id=snapshot.payment_id)
    return replace(result, redirect_url=redirect.url, pending=None)


def expire_stale_checkouts_if_any(database: Database, now: datetime, structure_id: int, family_id: int) -> int:
    """expire_stale_checkouts, behind a read: a page load queues for the write lock only when a
    checkout of this family really is past its lifetime (rare), not on every visit."""
    with database.session() as session:
        if not fulfilment.stale_checkouts(session, now, structure_id, family_id):
            return 0
    with database.write_session() as session:
        return fulfilment.expire_stale_checkouts(session, now, structure_id, family_id)
