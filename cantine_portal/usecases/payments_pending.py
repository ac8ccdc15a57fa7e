"""Payments whose provider never answered, and the answers of the eopayment providers.

``check_pending_payments(now)`` is the task queue's ``check_pending_payments`` hook and the
command ``python -m cantine_portal payments check-pending``: every PayFiP payment still waiting
is asked about (outside any transaction: a SOAP call), and what PayFiP says is applied through
the one fulfilment (``handle_event``, idempotent), like a notification. Payments of the other
providers past their lifetime are expired (their basket reopens; a late success still becomes
a credit). ``receive_provider_answer`` is the notification route of PayFiP and Systempay.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.models import Payment, PaymentStatus, Structure
from cantine_portal.services.booking.settlement import checkout_failed
from cantine_portal.services.payments.eopayment_provider import KINDS, EopaymentProvider, ProviderAnswerRefused
from cantine_portal.usecases import payments

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingReport:
    asked: int = 0  # payments the provider was asked about
    settled: int = 0  # payments that ended (paid, refused, expired) after the question
    failed: int = 0  # the provider could not be reached: asked again next time


def _waiting(now: datetime) -> list[tuple[Payment, Structure]]:
    with get_database().session() as session:
        rows = session.exec(
            select(Payment, Structure)
            .join(Structure, col(Structure.id) == Payment.structure_id)
            .where(Payment.status == PaymentStatus.CREATED)
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
    outcome: str = ""


def receive_provider_answer(provider_name: str, slug: str, query_string: str, *, now: datetime) -> AnswerOutcome:
    """A PayFiP or Systempay notification for the commune ``slug``: verified (PayFiP: the detail
    call; Systempay: the signature) before anything is applied; refused answers change nothing."""
    if provider_name not in KINDS:
        return AnswerOutcome(False)
    with get_database().session() as session:
        structure = session.exec(select(Structure).where(Structure.slug == slug)).first()
    if structure is None or structure.payment_provider != provider_name:
        return AnswerOutcome(False)
    try:
        event = EopaymentProvider(provider_name, get_settings(), structure, now).answer(query_string)
    except ProviderAnswerRefused as refused:
        log.warning("%s answer refused for %s: %s", provider_name, slug, refused)
        return AnswerOutcome(False)
    result = payments.receive_notification(event, now=now)
    if result.ticket_job_id is not None:  # the ticket and its receipt PDF leave from the task queue
        payments.after_notification(result.ticket_job_id)
    return AnswerOutcome(True, result.outcome)
