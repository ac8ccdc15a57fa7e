"""Background work: what a consumer of the task queue does with a job, and the minutely tick.

Importing this module registers ``run_job`` and ``tick`` with the queue (infra/queue.py); the
consumer (``python -m cantine_portal consumer``) and the portal's processes import it through
the app. Each job kind calls one use case or service:

- ``mail``: an e-mail queued with the change that caused it (closures, contact, replies, reminders);
- ``ticket``: the receipt's PDF and the ticket e-mail after a payment (drawn by the consumer);
- ``minutely``: reopen abandoned checkouts, ask providers with a status API about silent payments;
- ``hourly``: deadline reminders;
- ``nightly``: purge expired sessions, links, throttle rows and old jobs; turn the roll call's
  absences of past days into credits where the commune's rule says so; back up SQLite.

Everything takes ``now``: the tick reads the portal's clock once and passes it down, so tests give
their own instant.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cantine_portal import clock
from cantine_portal.config import Settings, get_settings
from cantine_portal.infra import backup, queue
from cantine_portal.infra.db import get_database, sqlite_path
from cantine_portal.infra.mail import Mail, Mailer
from cantine_portal.models import Structure
from cantine_portal.services import reminders
from cantine_portal.services.payments import fulfilment, providers
from cantine_portal.services.tasks import jobs, maintenance, schedules
from cantine_portal.usecases import payments
from cantine_portal.usecases.backoffice import rollcall

log = logging.getLogger(__name__)

# A payment without news for this long is asked about (providers with a status API only).
SILENT_PAYMENT_AFTER = timedelta(minutes=10)


def run_job(job_id: int, *, now: datetime | None = None) -> str:
    """Claim the job, run it, record the outcome: "done", "failed" (retried later, or for good:
    logged and shown to staff) or "skipped" (another consumer has it, or it is already done)."""
    database = get_database()
    now = now or clock.now()
    with database.write_session() as session:
        job = jobs.claim(session, now, job_id)
        kind, data = (job.kind, jobs.payload(job)) if job is not None else ("", {})
    if job is None:
        return "skipped"
    try:
        RUNNERS[kind](data, now)
    except Exception as error:  # any failure is recorded and retried
        with database.write_session() as session:
            final = jobs.fail(session, now, job_id, f"{error.__class__.__name__}: {error}")
        if final:
            log.error("job %s (%s) failed for good after its last try: %s", job_id, kind, error, exc_info=True)
        else:
            log.warning("job %s (%s) failed, will be retried: %s", job_id, kind, error, exc_info=True)
        return "failed"
    with database.write_session() as session:
        jobs.finish(session, clock.now() if now is None else now, job_id)
    return "done"


def tick(now: datetime | None = None) -> list[int]:
    """Once a minute on every consumer: the schedule's slots become keyed jobs (one per slot however
    many consumers tick), then every due job is handed to the queue (new ones, retries whose
    backoff is over, and jobs whose consumer died). Returns the ids handed over."""
    now = now or clock.now()
    database = get_database()
    with database.write_session() as session:
        for slot in schedules.slots_due(now):
            jobs.add(session, now, slot.kind, key=slot.key)
    return sweep(now)


def sweep(now: datetime) -> list[int]:
    with get_database().session() as session:
        due = jobs.due(session, now)
    queue.get_queue().notify(due)
    return due


# --- what each kind does -------------------------------------------------------------------------


def _mail(data: dict[str, Any], now: datetime) -> None:
    Mailer(get_settings()).send(Mail.from_payload(data), now)


def _ticket(data: dict[str, Any], now: datetime) -> None:
    payments.send_ticket_job(get_database(), get_settings(), now, int(data["receipt_id"]))


def _minutely(_data: dict[str, Any], now: datetime) -> None:
    expire_abandoned_checkouts(now)
    check_pending_payments(now)


def _hourly(_data: dict[str, Any], now: datetime) -> None:
    send_reminders(now)


def _nightly(_data: dict[str, Any], now: datetime) -> None:
    settings = get_settings()
    with get_database().write_session() as session:
        report = maintenance.purge_expired(session, now, settings.session_minutes)
        old_jobs = jobs.purge_finished(session, now)
    log.info(
        "nightly purge: %s sessions, %s links, %s throttle rows, %s jobs",
        report.sessions,
        report.tokens,
        report.throttle_rows,
        old_jobs,
    )
    settled = rollcall.settle_absences(now)  # roll call, « absent = avoir »: yesterday's absences
    if settled.credits:
        log.info("roll call: %s absences credited (%s cents)", settled.credits, settled.amount_cents)
    billed = rollcall.settle_unbooked(now)  # roll call, « facturé à la famille »: yesterday's unbooked meals
    if billed.days:
        log.info("roll call: %s meals without reservation billed (%s cents)", billed.days, billed.amount_cents)
    backup_database(settings, now)


RUNNERS: dict[str, Callable[[dict[str, Any], datetime], None]] = {
    "mail": _mail,
    payments.TICKET_JOB: _ticket,
    "minutely": _minutely,
    "hourly": _hourly,
    "nightly": _nightly,
}


# --- the use cases the schedules call ------------------------------------------------------------


def expire_abandoned_checkouts(now: datetime) -> int:
    """Reopen every basket whose payment session expired without news (was done only when the
    family came back)."""
    database = get_database()
    with database.session() as session:
        families = fulfilment.families_with_stale_checkouts(session, now)
    reopened = 0
    for structure_id, family_id in families:
        with database.write_session() as session:
            reopened += fulfilment.expire_stale_checkouts(session, now, structure_id, family_id)
    return reopened


def check_pending_payments(now: datetime) -> int:
    """Ask the provider about payments whose notification never came, for providers that offer a
    status API (PayFiP will: its provider class gets a ``payment_status(payment)`` method returning
    a ``ProviderEvent`` or None). The simulated bank and Stripe (whose webhooks are retried for
    days) have none: for them this does nothing. Returns how many events were applied."""
    database, settings = get_database(), get_settings()
    applied = 0
    with database.session() as session:
        waiting = fulfilment.waiting_payments(session, now, SILENT_PAYMENT_AFTER)
        asks = []
        for payment in waiting:
            structure = session.get(Structure, payment.structure_id)
            try:
                provider: Any = providers.provider_for(structure, settings, now) if structure else None
            except providers.PaymentUnavailable:
                continue
            if provider is not None and provider.name == payment.provider and hasattr(provider, "payment_status"):
                asks.append((provider, payment))
    for provider, payment in asks:
        event = provider.payment_status(payment)
        if event is not None:
            result = database.run_write(payments.apply_event_and_queue_ticket, now, settings, event)
            queue.get_queue().notify([result.ticket_job_id] if result.ticket_job_id else [])
            applied += 1
    return applied


def send_reminders(now: datetime) -> int:
    """Queue the deadline reminders due at ``now`` (services/reminders.py) and hand them over."""
    settings = get_settings()
    context = reminders.ReminderContext(settings.base_url, settings.secret_key)
    with get_database().write_session() as session:
        sent = reminders.send_due_reminders(session, now, context)
    if sent:
        log.info("deadline reminders queued: %s", sent)
        sweep(now)
    return sent


def backup_database(settings: Settings, now: datetime) -> Path | None:
    """On SQLite: tonight's online backup, and backups past ``settings.backup_days`` removed."""
    database_file = sqlite_path(settings.database_url)
    if database_file is None:
        return None
    path = backup.backup_sqlite(Path(database_file), settings.backup_dir, now)
    backup.prune_backups(settings.backup_dir, now, settings.backup_days)
    log.info("database backed up to %s", path)
    return path


def _run_queued_job(job_id: int) -> None:
    run_job(job_id)


def _tick_now() -> None:
    tick()


queue.register_job_runner(_run_queued_job)
queue.register_tick(_tick_now)
