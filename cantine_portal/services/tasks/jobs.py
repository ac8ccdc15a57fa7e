"""The job ledger: background work as rows of the portal's own database.

A job is inserted in the transaction that asks for it (an e-mail of a closure, the ticket of a
payment), so it exists exactly when that change was committed. A consumer claims it with a
lease (``UPDATE … WHERE status = pending OR lease expired``: two consumers never both win),
runs it, then marks it done. A consumer killed mid-task leaves a lease that expires; the sweep
(every minute) hands the job over again, so nothing is lost and the next consumer does it.
Failures are retried with an exponential backoff up to ``MAX_ATTEMPTS``; then the job is
``failed``: logged, and counted on the staff's home page.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cantine_portal.infra.mail import Mail
from cantine_portal.models import Job, JobStatus

MAX_ATTEMPTS = 6
BASE_DELAY = timedelta(seconds=30)  # 30 s, 1 min, 2 min, 4 min, 8 min
LEASE = timedelta(minutes=5)  # a job running longer than this is thought dead
KEEP_DONE = timedelta(days=30)


def add(
    session: Session, now: datetime, kind: str, payload: dict[str, Any] | None = None, *, key: str | None = None
) -> int | None:
    """Insert a pending job; with ``key``, only if no job has that key yet (None then)."""
    job = Job(kind=kind, key=key, payload=json.dumps(payload or {}), run_after=now, created_at=now)
    if key is None:
        session.add(job)
        session.flush()
        return job.id
    try:
        with session.begin_nested():  # a savepoint: the caller's transaction survives a duplicate
            session.add(job)
    except IntegrityError:
        return None
    return job.id


def add_mails(session: Session, now: datetime, mails: Iterable[Mail]) -> list[int]:
    """One ``mail`` job per message, in the caller's transaction."""
    ids = [add(session, now, "mail", mail.to_payload()) for mail in mails]
    return [job_id for job_id in ids if job_id is not None]


def claim(session: Session, now: datetime, job_id: int) -> Job | None:
    """Take the job for ``LEASE`` if it is pending (a retry: once its backoff is over) or its last
    runner's lease expired. A job never tried is taken whatever the clocks of the processes say."""
    claimable = or_(
        and_(col(Job.status) == JobStatus.PENDING, or_(col(Job.attempts) == 0, col(Job.run_after) <= now)),
        and_(col(Job.status) == JobStatus.RUNNING, col(Job.lease_until) < now),
    )
    taken = session.execute(
        update(Job)
        .where(col(Job.id) == job_id, claimable)
        .values(status=JobStatus.RUNNING, lease_until=now + LEASE, attempts=Job.attempts + 1)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]  # rowcount: set on the result of an UPDATE/DELETE at run time
        return None
    return session.get(Job, job_id, populate_existing=True)


def payload(job: Job) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(job.payload or "{}")
    return data


def finish(session: Session, now: datetime, job_id: int) -> None:
    session.execute(
        update(Job)
        .where(col(Job.id) == job_id)
        .values(status=JobStatus.DONE, finished_at=now, lease_until=None, last_error="")
    )


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after ``attempts`` failed tries."""
    factor: int = 2 ** max(attempts - 1, 0)
    return BASE_DELAY * factor


def fail(session: Session, now: datetime, job_id: int, error: str) -> bool:
    """Record a failed try; True when it was the last one (the job is then ``failed``)."""
    job = session.get(Job, job_id, populate_existing=True)
    if job is None:
        return False
    final = job.attempts >= MAX_ATTEMPTS
    job.status = JobStatus.FAILED if final else JobStatus.PENDING
    job.run_after = now + retry_delay(job.attempts)
    job.lease_until = None
    job.last_error = error[:500]
    job.finished_at = now if final else None
    session.add(job)
    return final


def due(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Jobs a consumer should be handed now: pending and due, or running with an expired lease."""
    rows = session.exec(
        select(Job.id)
        .where(
            or_(
                and_(col(Job.status) == JobStatus.PENDING, col(Job.run_after) <= now),
                and_(col(Job.status) == JobStatus.RUNNING, col(Job.lease_until) < now),
            )
        )
        .order_by(col(Job.id))
        .limit(limit)
    ).all()
    return [job_id for job_id in rows if job_id is not None]


@dataclass(frozen=True)
class FailedJob:
    kind: str
    failed_at: datetime | None
    error: str


@dataclass(frozen=True)
class QueueHealth:
    """What the staff's home page shows of the background work."""

    failed: int
    pending: int
    recent_failures: tuple[FailedJob, ...]


def health(session: Session, now: datetime) -> QueueHealth:
    """Failed jobs (last 30 days) and jobs late by more than 10 minutes."""
    since = now - KEEP_DONE
    failed = session.exec(
        select(func.count()).select_from(Job).where(Job.status == JobStatus.FAILED, col(Job.finished_at) >= since)
    ).one()
    late = session.exec(
        select(func.count())
        .select_from(Job)
        .where(Job.status == JobStatus.PENDING, col(Job.run_after) < now - timedelta(minutes=10))
    ).one()
    rows = session.exec(
        select(Job)
        .where(Job.status == JobStatus.FAILED, col(Job.finished_at) >= since)
        .order_by(col(Job.finished_at).desc())
        .limit(5)
    ).all()
    return QueueHealth(
        int(failed), int(late), tuple(FailedJob(job.kind, job.finished_at, job.last_error) for job in rows)
    )


def purge_finished(session: Session, now: datetime) -> int:
    """Done jobs older than ``KEEP_DONE`` (failed ones are kept for the staff to see)."""
    result = session.execute(
        delete(Job).where(col(Job.status) == JobStatus.DONE, col(Job.finished_at) < now - KEEP_DONE)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]  # rowcount: set on the result of an UPDATE/DELETE at run time
