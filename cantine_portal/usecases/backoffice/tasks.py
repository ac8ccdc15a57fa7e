"""The back office's view of background work: failed tasks, deadline reminders sent per period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from cantine_portal.french import format_paris_datetime
from cantine_portal.services import reminders
from cantine_portal.services.backoffice.access import check_staff
from cantine_portal.services.tasks import jobs
from cantine_portal.usecases.backoffice.common import StaffActor, read

KIND_LABELS = {
    "mail": "E-mail",
    "ticket": "Ticket de paiement",
    "minutely": "Expiration des paiements",
    "hourly": "Rappels",
    "nightly": "Purge et sauvegarde",
}


@dataclass(frozen=True)
class TasksStatus:
    """« Tâches » on the back office's home page."""

    failed: int
    late: int
    # « E-mail — 26/11/2026 à 10h05 »: the kind and time only. The ledger serves every commune and an
    # error text may name another commune's family: the details are in the logs.
    failures: list[str]
    reminders: list[str]  # « 2026-W50 : 12 « pensez à réserver », 3 « panier » »


def tasks_status(actor: StaffActor, *, now: datetime) -> TasksStatus:
    def work(session: Session) -> tuple[jobs.QueueHealth, list[reminders.PeriodCount]]:
        check_staff(session, actor.structure_id, actor.account_id)
        health = jobs.health(session, now)
        counts = reminders.counts_by_period(session, actor.structure_id)
        return health, counts

    health, counts = read(work)
    failures = [
        f"{KIND_LABELS.get(f.kind, f.kind)} — {format_paris_datetime(f.failed_at) if f.failed_at else ''}"
        for f in health.recent_failures
    ]
    sent = [f"{c.period_key} : {c.not_booked} « pensez à réserver », {c.unpaid} « panier en attente »" for c in counts]
    return TasksStatus(health.failed, health.pending, failures, sent)
