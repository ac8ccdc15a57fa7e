"""Background work: the job ledger, deadline reminders sent, calendar feed tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from cantine_portal.models.base import utc_field


class JobStatus(StrEnum):
    """Job.status, stored as these strings."""

    PENDING = "pending"  # waiting for a consumer (or for its next try after ``run_after``)
    RUNNING = "running"  # claimed by a consumer until ``lease_until``
    DONE = "done"
    FAILED = "failed"  # gave up after the last try: shown to staff


class Job(SQLModel, table=True):
    """One piece of background work, written in the transaction that asks for it.

    The task queue (huey) only carries the job's id: a consumer killed mid-task, or a message lost
    by the queue, leaves the row pending or with an expired lease, and the minutely sweep hands it
    to a consumer again. ``key`` (unique) makes a periodic slot or a per-object job exist once.
    """

    __table_args__ = (Index("ix_job_status_run_after", "status", "run_after"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    key: str | None = Field(default=None, max_length=200, unique=True)
    payload: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    status: str = Field(default=JobStatus.PENDING, max_length=10)
    attempts: int = Field(default=0)
    run_after: datetime = utc_field()
    lease_until: datetime | None = utc_field(nullable=True)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = utc_field()
    finished_at: datetime | None = utc_field(nullable=True)


class ReminderKind(StrEnum):
    NOT_BOOKED = "not_booked"  # enrolled children, nothing booked for the period
    UNPAID = "unpaid"  # a basket for the period waits for its payment


class Reminder(SQLModel, table=True):
    """A deadline reminder, inserted before its e-mail is queued: the unique key is what makes a
    guardian get one per period and kind, however many times or places the task runs."""

    __table_args__ = (
        UniqueConstraint("guardian_id", "period_key", "kind"),
        Index("ix_reminder_structure_period", "structure_id", "period_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id")
    guardian_id: int = Field(foreign_key="guardian.id")
    period_key: str = Field(max_length=10)
    kind: str = Field(max_length=12)
    sent_at: datetime = utc_field()


class CalendarFeedToken(SQLModel, table=True):
    """A family's private iCalendar address: only the SHA-256 of its token is stored."""

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id")
    family_id: int = Field(foreign_key="family.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = utc_field()
    revoked_at: datetime | None = utc_field(nullable=True)
