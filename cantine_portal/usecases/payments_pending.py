"""Payments whose provider never answered, and the answers of the eopayment providers.

``check_pending_payments(now)`` is the task queue's ``check_pending_payments`` hook and the
command ``python -m cantine_portal payments check-pending``: every PayFiP payment still waiting
is asked about (outside any transaction: a SOAP call), and what PayFiP says is applied through
the one fulfilment (``handle_event``, idempotent), like a notification. Payments of the other
providers past their lifetime are expired (their basket reopens; a late success still becomes
a credit). ``receive_provider_answer`` is the notification route of PayFiP and Systempay,
``receive_provider_return`` their return route (the parent's browser, never trusted).

Both routes are open to anyone, and verifying a PayFiP answer is a call to PayFiP's web service:
so an ``idOp`` that is not one of the commune's payments is answered at once, PayFiP never asked,
and every answer counts against a per-address limit (``PROVIDER_ANSWERS_PER_IP_PER_HOUR``) before
anything else: a caller cannot make the portal hammer PayFiP.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlmodel import col, select

from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.models import Payment, PaymentStatus, Structure
from cantine_portal.services.accounts import throttle
from cantine_portal.services.booking.settlement import checkout_failed
from cantine_portal.services.payments.eopayment_provider import (
    KINDS,
    EopaymentProvider,
    ProviderAnswerRefused,
    payfip_idop,
)
from cantine_portal.usecases import payments

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingReport:
    asked: int = 0  # payments the provider was asked about
    settled: int = 0  # payments that ended (paid, refused, expired) after the question
    failed: int = 0  # the provider could not be reached: asked again next time


# A PayFiP payment the portal expired after its lifetime (the family's basket reopened) may still
# have been paid at PayFiP, its notification lost: PayFiP is asked about it for this long after its
# creation (past two hours, an unpaid idOp never will be), and a success found becomes the
# family's credit (a trop-perçu in the journal), never lost.
PAYFIP_RECHECK_EXPIRED = timedelta(hours=3)

# Answers (notifications and returns) per client address and hour, over every commune. PayFiP's
# and Systempay's servers notify once per payment and a parent's browser comes back once or twice;
# an answer refused past the limit is not lost: the minutely task asks PayFiP about every payment
# still waiting (check_pending_payments), Systempay notifies again.
PROVIDER_ANSWERS_PER_IP_PER_HOUR = 240


def _waiting(now: datetime) -> list[tuple[Payment, Structure]]:
    with get_database().session() as session:
        rows = session.exec(
            select(Payment, Structure)
            .join(Structure, col(Structure.id) == Payment.structure_id)
            .where(
                (col(Payment.status) == PaymentStatus.CREATED)
                | (
                    (col(Payment.status) == PaymentStatus.EXPIRED)
                    & (col(Payment.provider) == "payfip")
                    & (col(Payment.created_at) >= now - PAYFIP_RECHECK_EXPIRED)
                )
            )
        ).all()
        return [(p, s) for p, s in rows]


def _ask(payment: Payment, structure: Structure, now: datetime, http: Any) -> bool:
    """Ask PayFiP about one payment and apply its answer; True when the payment ended."""
    provider = EopaymentProvider("payfip", get_settings(), structure, now, http=http)
    event = provider.status(payment.provider_session_id or "", payment.created_at, now)
    if event is None:
        return False
    result = payments.receive_notification(event, now=now)
    if result.ticket_job_id is not None:  # the ticket and its receipt PDF leave from the task queue
        payments.after_notification(result.ticket_job_id)
    return result.outcome in ("paid", "reopened", "anomaly", "duplicate", "already")


def check_pending_payments(now: datetime, http: Any = None) -> PendingReport:
    """Settle the payments whose answer never came. Safe to run at any time, any number of times."""
    asked = settled = failed = 0
    for payment, structure in _waiting(now):
        if payment.provider == "payfip" and payment.provider_session_id:
            asked += 1
            try:
                settled += _ask(payment, structure, now, http)
            except Exception:
                failed += 1
                log.exception("payment %s: PayFiP could not be asked about it", payment.reference)
        elif payment.expires_at is not None and payment.expires_at < now and payment.id is not None:
            get_database().run_write(
                checkout_failed, now, payment.structure_id, payment.family_id, payment.id, PaymentStatus.EXPIRED
            )
            settled += 1
    return PendingReport(asked, settled, failed)


@dataclass(frozen=True)
class AnswerOutcome:
    ok: bool
    outcome: str = ""  # refused: "" (not verifiable), "unknown" (not one of our payments), "limited"


def _screen(structure: Structure, provider_name: str, query_string: str, ip: str, now: datetime) -> str:
    """Before the provider is asked: "limited" past the address's limit, "unknown" for a PayFiP
    ``idOp`` that is none of this commune's payments, "" when the answer may be verified."""
    assert structure.id is not None
    with get_database().write_session() as session:
        verdict = throttle.take(
            session,
            structure.id,
            f"payment-answer:ip:{ip}",
            now,
            PROVIDER_ANSWERS_PER_IP_PER_HOUR,
            timedelta(hours=1),
        )
    if not verdict.allowed:
        return "limited"
    idop = payfip_idop(query_string) if provider_name == "payfip" else ""
    if not idop:
        return ""  # Systempay (its signature is checked here, no call), or PayFiP without an idOp: refused
    with get_database().session() as session:
        ours = session.exec(
            select(Payment.id).where(
                Payment.structure_id == structure.id,
                Payment.provider == "payfip",
                Payment.provider_session_id == idop,
            )
        ).first()
    return "" if ours is not None else "unknown"


def _configured(structure: Structure, provider_name: str) -> bool:
    """The commune has an account with this provider. Not necessarily its provider of today: a
    payment started before the commune changed provider still gets its answer (verified)."""
    if provider_name == "payfip":
        return bool(structure.payfip_numcli)
    return provider_name == "systempay" and bool(structure.systempay_site_id)


def receive_provider_answer(
    provider_name: str, slug: str, query_string: str, ip: str, *, now: datetime
) -> AnswerOutcome:
    """A PayFiP or Systempay notification for the commune ``slug``: verified (PayFiP: the detail
    call; Systempay: the signature) before anything is applied; refused answers change nothing.
    ``ip``: the caller's address (limited per address, see ``_screen``)."""
    if provider_name not in KINDS:
        return AnswerOutcome(False)
    with get_database().session() as session:
        structure = session.exec(select(Structure).where(Structure.slug == slug)).first()
    if structure is None or not _configured(structure, provider_name):
        return AnswerOutcome(False)
    screened = _screen(structure, provider_name, query_string, ip, now)
    if screened:
        return AnswerOutcome(False, screened)
    try:
        event = EopaymentProvider(provider_name, get_settings(), structure, now).answer(query_string)
    except ProviderAnswerRefused as refused:
        log.warning("%s answer refused for %s: %s", provider_name, slug, refused)
        return AnswerOutcome(False)
    result = payments.receive_notification(event, now=now)
    if result.ticket_job_id is not None:  # the ticket and its receipt PDF leave from the task queue
        payments.after_notification(result.ticket_job_id)
    return AnswerOutcome(True, result.outcome)


# A payment reference as the portal writes them (letters, digits, dashes): anything else in the
# browser's ``ref`` is ignored.
_REFERENCE = re.compile(r"[A-Za-z0-9-]{1,40}")


def return_page_path(slug: str, reference: str) -> str:
    """The portal's return page for ``reference`` (it shows the payment as the database has it)."""
    ref = reference if _REFERENCE.fullmatch(reference or "") else ""
    return f"/{slug}/paiement/retour" + (f"?ref={ref}" if ref else "")


def receive_provider_return(
    provider_name: str | None, slug: str, fields: dict[str, str], ip: str, *, now: datetime
) -> str:
    """The parent's browser comes back from PayFiP or Systempay (a GET, or the bank's form POSTed
    to the return URL). What it carries is only a hint: a PayFiP ``idOp`` is checked by asking
    PayFiP (the detail call), a Systempay answer by its signature, exactly as a notification,
    and only the verified answer is applied (idempotently: the notification may have come
    first, or come later). Whatever the browser sent, the answer is the return page's path
    for the payment, which shows the payment as the database has it (for an ``idOp`` none of our
    payments has, the page without a payment: « Paiement introuvable »)."""
    reference = fields.get("ref", "")
    with get_database().session() as session:
        structure = session.exec(select(Structure).where(Structure.slug == slug)).first()
    if structure is None:
        return "/"
    name = provider_name or structure.payment_provider
    answer = {k: v for k, v in fields.items() if k not in ("ref", "annule")}
    if name not in KINDS or not _configured(structure, name) or not answer:
        return return_page_path(slug, reference)
    screened = _screen(structure, name, urlencode(answer), ip, now)
    if screened:
        return return_page_path(slug, "" if screened == "unknown" else reference)
    try:
        event = EopaymentProvider(name, get_settings(), structure, now).answer(urlencode(answer))
    except ProviderAnswerRefused as refused:
        log.warning("%s return refused for %s: %s", name, slug, refused)
        return return_page_path(slug, reference)
    result = payments.receive_notification(event, now=now)
    if result.ticket_job_id is not None:
        payments.after_notification(result.ticket_job_id)
    return return_page_path(slug, _reference_of(name, event.session_id) or reference)


def _reference_of(provider_name: str, session_id: str | None) -> str:
    """The portal's reference of the payment a verified answer is about."""
    if not session_id:
        return ""
    with get_database().session() as session:
        payment = session.exec(
            select(Payment).where(Payment.provider == provider_name, Payment.provider_session_id == session_id)
        ).first()
    return payment.reference if payment is not None else ""
