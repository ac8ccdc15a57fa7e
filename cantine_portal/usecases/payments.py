"""Payment use cases: « Payer », the bank's notification, the return page, Factures, receipts.

The services (services/payments, services/booking) take a session and ``now``; these functions
decide which transaction each step runs in (the payment's own writes go through
``Database.run_write``, i.e. the SQLite write process), what happens only after the commit (the
remote provider's page; the receipt's PDF and the ticket e-mail are a ``ticket`` job of the task
queue, written in the payment's own transaction and done by a consumer process), and whether a
receipt drawn on demand (Factures) is drawn here or in the receipt helper (infra/pdf/isolated.py). The first functions take the
``Database`` (the building blocks, also used by tests); the user actions at the end of the module
take the acting parent and ``now``, and return plain results. Plain Python, no Reflex.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlmodel import Session

from cantine_portal.config import Settings, get_settings
from cantine_portal.infra import storage
from cantine_portal.infra.db import Database, get_database
from cantine_portal.infra.mail import Mail, Mailer
from cantine_portal.infra.pdf import isolated
from cantine_portal.infra.pdf.receipt import ReceiptData, render_receipt
from cantine_portal.infra.queue import get_queue
from cantine_portal.infra.retry import with_db_retry
from cantine_portal.models import Basket, PaymentStatus, Structure
from cantine_portal.services.booking.checkout import CheckoutResult, PaymentProvider
from cantine_portal.services.booking.queries import basket_lines, credit_balance, current_basket
from cantine_portal.services.booking.settlement import checkout_failed
from cantine_portal.services.payments import fulfilment, providers, receipts, signatures, tickets
from cantine_portal.services.payments.events import ProviderEvent
from cantine_portal.services.regie import refunds
from cantine_portal.services.rollcall import billing
from cantine_portal.services.tasks import jobs
from cantine_portal.usecases import identity
from cantine_portal.usecases.actors import ParentActor

log = logging.getLogger(__name__)

# Draws a receipt: ``render_receipt`` in place, or ``isolated.render_receipt_isolated`` (helper).
Renderer = Callable[..., bytes]

PROVIDER_UNAVAILABLE_MESSAGE = (
    "Le service de paiement ne répond pas pour le moment : votre panier est conservé, réessayez dans quelques minutes."
)
PROVIDER_TOO_LATE_MESSAGE = (
    "Le service de paiement a répondu trop tard : ce paiement a expiré et rien n'a été "
    "débité. Votre panier est conservé, vous pouvez le régler à nouveau."
)


def _render_isolated(data: ReceiptData, *, generated_at: datetime) -> bytes:
    return isolated.render_receipt_isolated(data, generated_at=generated_at)


def ensure_receipt_pdf(
    database: Database, settings: Settings, receipt_id: int, render: Renderer = _render_isolated
) -> tuple[str, bytes]:
    """The receipt's stored PDF as (path, bytes), rendered and stored the first time it is needed.

    Called right after the payment's transaction commits (for the ticket e-mail), and by the
    download route should that have been missed (a crash between the two). Rendered outside any
    transaction; the row is then completed by a compare-and-set, so two concurrent callers keep
    one file and the PDF never changes once stored.
    """
    with database.session() as session:
        path, data = receipts.pdf_source(session, receipt_id, settings)
    if path is not None:
        return path, storage.read_bytes(settings, path)
    assert data is not None
    pdf = render(data, generated_at=data.issued_at)
    path = storage.save_bytes(settings, "receipts", pdf)
    with database.write_session() as session:
        stored = receipts.store_pdf(session, receipt_id, path, pdf)
    if stored:
        return path, pdf
    storage.delete(settings, path)  # another caller stored its copy first: keep that one
    return ensure_receipt_pdf(database, settings, receipt_id, render)


def ticket_after_commit(
    database: Database, settings: Settings, receipt_id: int, render: Renderer = _render_isolated
) -> Mail:
    """After the payment's transaction: the receipt's PDF (rendered and stored now) and the ticket
    e-mail that carries it, for the caller to send."""
    _path, pdf = ensure_receipt_pdf(database, settings, receipt_id, render)
    with database.session() as session:
        return tickets.ticket_for_receipt(session, receipt_id, pdf, settings)


TICKET_JOB = "ticket"


def queue_ticket(session: Session, now: datetime, receipt_id: int) -> int | None:
    """The ``ticket`` job of a receipt, in the caller's transaction (once per receipt: keyed)."""
    return jobs.add(session, now, TICKET_JOB, {"receipt_id": receipt_id}, key=f"ticket:{receipt_id}")


def apply_event_and_queue_ticket(
    session: Session, now: datetime, settings: Settings, event: ProviderEvent
) -> fulfilment.FulfilmentResult:
    """``fulfilment.handle_event`` and, when it issued a receipt, the ticket job, in one transaction
    (run by the write process: module-level, picklable result)."""
    result = fulfilment.handle_event(session, now, settings, event)
    if result.receipt_id is not None:
        result.ticket_job_id = queue_ticket(session, now, result.receipt_id)
    return result


def send_ticket_job(database: Database, settings: Settings, now: datetime, receipt_id: int) -> None:
    """The ``ticket`` job, in a consumer: draw the receipt in place (the consumer is a process of its
    own: the portal's workers never spend the CPU), store it, e-mail the ticket. Raises on failure
    so that the job is retried."""
    Mailer(settings).send(ticket_after_commit(database, settings, receipt_id, render=render_receipt), now)


def open_remote_session(
    database: Database,
    provider: PaymentProvider,
    now: datetime,
    structure_id: int,
    family_id: int,
    result: CheckoutResult,
    answered_at: Callable[[], datetime] | None = None,
) -> CheckoutResult:
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
    except Exception:
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


# --- user actions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentStart:
    """« Payer »: ``redirect_url`` (the provider's page), or ``paid_reference`` when the family's
    credit covered everything (the return page shows the ticket), or ``message`` when refused."""

    ok: bool
    message: str = ""
    redirect_url: str = ""
    paid_reference: str = ""


def start_payment(
    actor: ParentActor, basket_version: int | None, *, now: datetime, answered_at: Callable[[], datetime] | None = None
) -> PaymentStart:
    """Freeze the basket and open the payment in one transaction of the write process; after its
    commit, a remote provider (Stripe) is asked for its page (``answered_at``: the clock, read once
    it answered, see open_remote_session) and a basket paid by credit gets its receipt and ticket."""
    database, settings = get_database(), get_settings()
    started = database.run_write(
        fulfilment.start_checkout, now, settings, actor.structure_id, actor.family_id, basket_version, actor.account_id
    )
    result = started.result
    if result.pending is not None:  # Stripe: its page is opened now, outside the transaction
        with database.session() as session:
            structure = session.get(Structure, actor.structure_id)
            assert structure is not None
            provider = providers.provider_for(structure, settings, now)
            if hasattr(provider, "payer_email"):  # PayFiP mails its own ticket to the parent
                provider.payer_email = receipts.payer_email(session, actor.family_id, actor.account_id)
        result = open_remote_session(database, provider, now, actor.structure_id, actor.family_id, result, answered_at)
    if started.receipt_id is not None:  # paid by credit: the ticket leaves from the queue
        with database.write_session() as session:
            job_id = queue_ticket(session, now, started.receipt_id)
        get_queue().notify([job_id] if job_id is not None else [])
    if not result.ok:
        return PaymentStart(False, result.message)
    if result.paid:
        return PaymentStart(True, paid_reference=started.reference)
    return PaymentStart(True, redirect_url=result.redirect_url or "")


@dataclass(frozen=True)
class TicketLine:
    child: str
    service: str
    day: date
    price_cents: int


@dataclass(frozen=True)
class PaymentReturn:
    """What the return page shows of one of the family's payments (it never marks anything paid)."""

    status: str  # "paid" | "pending" | "failed" | "unknown"
    reference: str = ""
    cancelled: bool = False  # the payment was cancelled (not refused) at the bank
    completed_at: datetime | None = None
    amount_cents: int = 0
    credit_cents: int = 0
    debt_cents: int = 0  # the sum owed to the régie paid with it
    receipt_id: int | None = None
    receipt_number: str = ""
    lines: tuple[TicketLine, ...] = ()


def payment_return(actor: ParentActor, reference: str, *, now: datetime) -> PaymentReturn:
    """The family's payment ``reference`` as the bank left it; another family's is "unknown"."""
    database = get_database()
    expire_stale_checkouts_if_any(database, now, actor.structure_id, actor.family_id)
    with database.session() as session:
        payment = fulfilment.family_payment(session, actor.structure_id, actor.family_id, reference)
        if payment is None or payment.id is None:
            return PaymentReturn("unknown")
        if payment.status == PaymentStatus.CREATED:
            return PaymentReturn("pending", payment.reference)
        if payment.status != PaymentStatus.SUCCEEDED:
            return PaymentReturn("failed", payment.reference, cancelled=payment.status == PaymentStatus.CANCELLED)
        basket = session.get(Basket, payment.basket_id)
        receipt = receipts.receipt_for_payment(session, payment.id)
    lines = tuple(
        TicketLine(
            line["child"], receipts.service_with_tariff(line), date.fromisoformat(line["day"]), line["price_cents"]
        )
        for line in receipts.snapshot_lines(basket.snapshot_lines if basket else "")
    )
    return PaymentReturn(
        "paid",
        payment.reference,
        completed_at=payment.completed_at,
        amount_cents=payment.amount_cents,
        credit_cents=payment.credit_cents,
        debt_cents=payment.debt_cents,
        receipt_id=receipt.id if receipt else None,
        receipt_number=receipt.number if receipt else "",
        lines=lines,
    )


def family_receipts(actor: ParentActor) -> list[receipts.ReceiptRow]:
    """Factures: the family's receipts, newest first."""
    with get_database().session() as session:
        return receipts.family_receipts(session, actor.structure_id, actor.family_id)


@dataclass(frozen=True)
class FamilyInvoices:
    """What Factures shows: receipts and refunds (newest first) and the credit balance, read in
    one session so that the balance agrees with the refunds listed (and with Réservations)."""

    receipts: list[receipts.ReceiptRow]
    refunds: list[refunds.FamilyRefund]
    credit_balance_cents: int
    owed_meals: list[billing.BilledMeal]  # meals without a reservation billed, in the sum owed
    basket_has_days: bool = False  # then the sum owed is paid with the basket, from Réservations


def family_invoices(actor: ParentActor) -> FamilyInvoices:
    """Factures: the family's receipts, the refunds of its credit, its credit balance (and, when
    it owes the régie, the meals taken without a reservation that make up the sum owed)."""
    with get_database().session() as session:
        ids = (actor.structure_id, actor.family_id)
        balance = credit_balance(session, *ids)
        return FamilyInvoices(
            receipts.family_receipts(session, actor.structure_id, actor.family_id),
            refunds.family_refunds(session, actor.structure_id, actor.family_id),
            balance,
            billing.owed_meals(session, actor.structure_id, actor.family_id, -balance),
            bool(basket_lines(session, basket)) if (basket := current_basket(session, *ids)) else False,
        )


@dataclass(frozen=True)
class ReceiptFile:
    data: bytes
    filename: str


def receipt_file(actor: ParentActor, receipt_id: int) -> ReceiptFile | None:
    """One of the family's receipts as a PDF; None for anyone else's (or an unknown id). Normally
    drawn just after the payment; drawn and stored now if that step was missed."""
    database, settings = get_database(), get_settings()
    with database.session() as session:
        receipt = receipts.family_receipt(session, actor.structure_id, actor.family_id, receipt_id)
    if receipt is None or receipt.id is None:
        return None
    try:
        if receipt.pdf_path:
            data = storage.read_bytes(settings, receipt.pdf_path)
        else:
            data = ensure_receipt_pdf(database, settings, receipt.id)[1]
    except (storage.StorageError, OSError):
        return None
    return ReceiptFile(data, f"recu-{receipt.number}.pdf")


def receipt_download(slug: str, session_token: str | None, receipt_id: int, *, now: datetime) -> ReceiptFile | None:
    """The download route: the parent behind the cookie of the commune ``slug``, then their receipt.
    Every refusal alike is None (the route answers the same empty 404)."""
    commune = identity.commune_by_slug(slug)
    if commune is None or not session_token:
        return None
    parent = identity.parent_by_session(commune.structure_id, session_token, now)
    if parent is None:
        return None
    return receipt_file(ParentActor(parent.structure_id, parent.family_id, parent.account_id), receipt_id)


def receive_notification(event: ProviderEvent, *, now: datetime) -> fulfilment.FulfilmentResult:
    """A provider's signed notification: applied in one transaction of the write process, retried
    while the database is unreachable (idempotent: a retry after a lost commit acknowledgement finds
    the event already stored). Still unreachable: the ``DBAPIError`` is raised (answer 503, the
    provider sends it again). The ticket job is queued in the same transaction; the caller answers,
    then calls ``after_notification`` with it."""
    settings = get_settings()

    def apply() -> fulfilment.FulfilmentResult:
        return get_database().run_write(apply_event_and_queue_ticket, now, settings, event)

    return with_db_retry(apply)


def after_notification(ticket_job_id: int) -> None:
    """Once the provider has its answer: hand the ticket job to a consumer (if the queue does not
    take it, the minutely sweep will)."""
    get_queue().notify([ticket_job_id])


@dataclass(frozen=True)
class BankPage:
    """The simulated bank's page for one payment session (it knows nothing else)."""

    commune_name: str
    amount_cents: int
    reference: str
    return_path: str
    open: bool


def simulated_bank_page(session_id: str) -> BankPage | None:
    with get_database().session() as session:
        payment = fulfilment.payment_by_simulated_session(session, session_id)
        if payment is None:
            return None
        structure = session.get(Structure, payment.structure_id)
        assert structure is not None
    return BankPage(
        structure.name,
        payment.amount_cents,
        payment.reference,
        f"/{structure.slug}/paiement/retour?ref={payment.reference}",
        payment.status == PaymentStatus.CREATED,
    )


@dataclass(frozen=True)
class SignedNotification:
    url: str
    body: bytes
    headers: dict[str, str]


def simulated_bank_notification(
    event_type: str, session_id: str, amount_cents: int, *, now: datetime
) -> SignedNotification:
    """What the simulated bank posts to the portal, signed, as a real provider's webhook would."""
    settings = get_settings()
    body = providers.simulated_notification(event_type, session_id, amount_cents)
    header = signatures.signature_header(settings.secret_key, body, now)
    return SignedNotification(
        f"{settings.base_url}/api/paiement/simule/notification",
        body,
        {"content-type": "application/json", "x-cantine-signature": header},
    )
