"""The régie's own records: payments taken at the counter, refunds, closed journal periods."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from cantine_portal.models.base import utc_field


class CounterMethod(StrEnum):
    """How a family paid at the town-hall counter (CounterPayment.method)."""

    CASH = "especes"
    CHEQUE = "cheque"
    CESU = "cesu"
    TRANSFER = "virement"


class CounterStatus(StrEnum):
    """CounterPayment.status: a cheque may come back unpaid (impayé) after it was recorded."""

    RECORDED = "recorded"
    REJECTED = "rejected"


class RefundMethod(StrEnum):
    """How the régie gave a credit back (Refund.method)."""

    TRANSFER = "virement"
    CHEQUE = "cheque"
    CASH = "especes"


class CounterPayment(SQLModel, table=True):
    """Money a family handed to the régisseur. It either paid the family's open basket
    (``payment_id``: a Payment with provider "guichet", its receipt like any other) or went to
    the family's credit (``credit_id``)."""

    __table_args__ = (UniqueConstraint("structure_id", "idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    method: str = Field(max_length=10)
    amount_cents: int
    # Cheque: its bank and number; CESU: the titles' numbers and how many; transfer: its reference.
    bank: str = Field(default="", max_length=80)
    cheque_number: str = Field(default="", max_length=40)
    cesu_numbers: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    cesu_count: int = Field(default=0)
    transfer_reference: str = Field(default="", max_length=80)
    payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    credit_id: int | None = Field(default=None, foreign_key="credit.id")
    status: str = Field(default=CounterStatus.RECORDED, max_length=10)
    # A form submitted twice (double click, two tabs) carries the same key: recorded once.
    idempotency_key: str = Field(max_length=64)
    recorded_by: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = utc_field(index=True)
    rejected_at: datetime | None = utc_field(nullable=True, index=True)
    rejection_reason: str = Field(default="", max_length=200)
    rejected_by: int | None = Field(default=None, foreign_key="account.id")


class Refund(SQLModel, table=True):
    """Part or all of a family's available credit given back; ``credit_id`` is its negative
    line in the credit ledger."""

    __table_args__ = (UniqueConstraint("structure_id", "idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    amount_cents: int
    method: str = Field(max_length=10)
    reference: str = Field(default="", max_length=80)
    reason: str = Field(default="", max_length=200)
    credit_id: int | None = Field(default=None, foreign_key="credit.id")
    idempotency_key: str = Field(max_length=64)
    recorded_by: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = utc_field(index=True)


class JournalClosure(SQLModel, table=True):
    """A day or a month of the régie's journal, closed by the régisseur: its totals are frozen
    (``totals`` JSON, ``digest`` over it); nothing dated inside it can be recorded any more."""

    __table_args__ = (UniqueConstraint("structure_id", "kind", "first_day"),)

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    kind: str = Field(max_length=5)  # "day" | "month"
    first_day: date
    last_day: date
    totals: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    digest: str = Field(max_length=64)
    closed_by: int | None = Field(default=None, foreign_key="account.id")
    closed_at: datetime = utc_field()
