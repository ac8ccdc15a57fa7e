"""A change and the e-mails it causes, in one transaction; the e-mails then leave from the queue.

The services send through the ``Mailer`` they are given; here it is an ``OutboxMailer`` that
only keeps the messages, which become ``mail`` jobs of the same transaction: a change that rolls
back sends nothing, a committed one cannot lose its e-mails (a consumer sends them, retrying an
SMTP server that is down), and the parent's or staff's click no longer waits for SMTP.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlmodel import Session

from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.infra.mail import Mailer, OutboxMailer
from cantine_portal.infra.queue import get_queue
from cantine_portal.services.tasks import jobs

T = TypeVar("T")


def write_and_mail(now: datetime, work: Callable[[Session, Mailer], T]) -> T:
    """``work(session, mailer)`` in one write transaction; its e-mails are queued with it."""
    outbox = OutboxMailer(get_settings())
    with get_database().write_session() as session:
        result = work(session, outbox)
        job_ids = jobs.add_mails(session, now, outbox.take())
    get_queue().notify(job_ids)
    return result
