"""Sick-day absences (issue 20): a guardian declares a child ill for booked days, with a certificate.

One ``Absence`` per declaration (one child, one certificate, the staff's one decision); one
``AbsenceDay`` per reservation it covers (a day may hold the canteen and the morning care). The
certificate is health data: stored privately (infra/storage.py, "absences/…"), served only to the
commune's staff, never logged.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from cantine_portal.models.base import utc_field


class AbsenceStatus(StrEnum):
    """Absence.status, stored as these strings."""

    PENDING = "pending"  # paid days waiting for the staff's decision
    VALIDATED = "validated"  # credits issued (carence days excepted)
    REFUSED = "refused"  # the paid days stay paid; the family was told why
    WITHDRAWN = "withdrawn"  # only basket days: they left the basket, nothing to decide


class AbsenceDayOutcome(StrEnum):
    """AbsenceDay.outcome, stored as these strings."""

    WAITING = "waiting"  # a paid day, the staff have not decided yet
    WITHDRAWN = "withdrawn"  # a day of the basket (not paid): removed at once
    CREDITED = "credited"  # validated: reservation cancelled, credit issued
    CARENCE = "carence"  # validated, but a carence day: stays paid, no credit
    REFUSED = "refused"  # refused: stays paid
    ALREADY_CANCELLED = "cancelled"  # cancelled meanwhile (closure): credited by that, not twice


class Absence(SQLModel, table=True):
    """One declaration: a child, its days, a medical certificate, the staff's decision."""

    __table_args__ = (Index("ix_absence_structure_status", "structure_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id")
    family_id: int = Field(foreign_key="family.id", index=True)
    child_id: int = Field(foreign_key="child.id")
    account_id: int | None = Field(default=None, foreign_key="account.id")
    status: str = Field(default=AbsenceStatus.PENDING, max_length=10)
    # The certificate: path relative to the storage folder (never a public folder), checked type.
    certificate_path: str = Field(max_length=255)
    certificate_media: str = Field(max_length=40)
    certificate_size: int
    declared_at: datetime = utc_field()
    decided_at: datetime | None = utc_field(nullable=True)
    decided_by: int | None = Field(default=None, foreign_key="account.id")
    # The staff's words to the family (required when refusing), sent by e-mail and shown to it.
    staff_message: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    credited_cents: int = Field(default=0)


class AbsenceDay(SQLModel, table=True):
    """One reservation covered by an absence. A paid reservation is covered at most once, ever:
    the unique index makes a second declaration (or a replay) fail instead of crediting twice."""

    __table_args__ = (
        Index("ix_absenceday_structure_day", "structure_id", "day"),
        Index("uq_absenceday_reservation", "reservation_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    absence_id: int = Field(foreign_key="absence.id", index=True)
    structure_id: int = Field(foreign_key="structure.id")
    child_id: int = Field(foreign_key="child.id")
    service_id: int = Field(foreign_key="service.id")
    day: date
    # None for a basket day: its reservation was deleted when it left the basket.
    reservation_id: int | None = Field(default=None, foreign_key="reservation.id")
    price_cents: int
    outcome: str = Field(default=AbsenceDayOutcome.WAITING, max_length=10)
    credit_id: int | None = Field(default=None, foreign_key="credit.id")
