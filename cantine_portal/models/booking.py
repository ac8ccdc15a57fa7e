"""Reservations, the basket, payments, receipts and credits."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from cantine_portal.models.base import utc_field


class ReservationStatus(StrEnum):
    """Reservation.status, stored as these strings."""

    PENDING = "pending"  # in the basket, not paid yet
    PAID = "paid"
    CANCELLED = "cancelled"  # a paid day cancelled (credited); pending days are deleted instead


class BasketStatus(StrEnum):
    """Basket.status, stored as these strings."""

    OPEN = "open"
    CHECKOUT = "checkout"  # frozen while a payment is under way
    PAID = "paid"


class PaymentStatus(StrEnum):
    """Payment.status, stored as these strings."""

    CREATED = "created"  # waiting for the provider
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


# Same SQL text as before the enums (the schema test compares it).
ACTIVE_RESERVATION = text("status <> 'cancelled'")
OPEN_BASKET = text("status IN ('open', 'checkout')")


class Reservation(SQLModel, table=True):
    """One child, one service, one day. pending (blue) → paid (green) → cancelled."""

    __table_args__ = (
        # At most one active reservation per (child, service, day), whatever the client does.
        Index(
            "uq_reservation_active",
            "child_id",
            "service_id",
            "day",
            unique=True,
            sqlite_where=ACTIVE_RESERVATION,
            postgresql_where=ACTIVE_RESERVATION,
        ),
        Index("ix_reservation_service_day", "service_id", "day"),
        # A family's days of a period (the tables, Valider): without it SQLite walked every
        # reservation of the commune through the structure_id index.
        Index("ix_reservation_family_day", "family_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    child_id: int = Field(foreign_key="child.id")
    service_id: int = Field(foreign_key="service.id")
    day: date
    # "pending" | "paid" | "cancelled"
    status: str = Field(default=ReservationStatus.PENDING, max_length=10)
    # Price frozen when the day entered the basket.
    price_cents: int
    # How that price was found, frozen with it: « Tranche 2 — QF de 501 à 900 € », « Tarif
    # extérieur »… ("" for a service without a grid), and the family's QF used (None: none known).
    tariff_label: str = Field(default="", max_length=160)
    qf_euros: int | None = None
    basket_id: int | None = Field(default=None, foreign_key="basket.id", index=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    # The login that ticked this day (two guardians, two logins: « réservé par … »); None before
    # issue 20 or for a day added by the staff.
    booked_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()
    cancelled_at: datetime | None = utc_field(nullable=True)


class Basket(SQLModel, table=True):
    """The family's basket; one open (or in checkout) at a time."""

    __table_args__ = (
        Index(
            "uq_basket_open_per_family",
            "family_id",
            unique=True,
            sqlite_where=OPEN_BASKET,
            postgresql_where=OPEN_BASKET,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    # "open" | "checkout" (frozen while a payment is under way) | "paid"
    status: str = Field(default=BasketStatus.OPEN, max_length=10)
    # Optimistic lock: bumped by every change.
    version: int = Field(default=1)
    # Snapshot taken when sent to payment: what the bank must confirm.
    snapshot_total_cents: int | None = None
    snapshot_credit_cents: int | None = None
    snapshot_lines: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()


class Payment(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("provider", "provider_session_id"),
        # A family's open checkouts, looked at on each Réservations and return page load.
        Index("ix_payment_family_status", "family_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    basket_id: int = Field(foreign_key="basket.id", index=True)
    # Our reference, shown to the parent and the bank.
    reference: str = Field(max_length=40, unique=True)
    provider: str = Field(max_length=20)
    provider_session_id: str | None = Field(default=None, max_length=255)
    provider_payment_id: str | None = Field(default=None, max_length=255)
    amount_cents: int
    credit_cents: int = Field(default=0)
    # The family's sum owed to the régie (a negative balance) paid with this basket, on top of its
    # days: once paid, a positive credit (CreditKind.DEBT_PAID) brings the balance back up.
    debt_cents: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    currency: str = Field(default="eur", max_length=3)
    # "created" | "succeeded" | "failed" | "expired" | "cancelled"
    status: str = Field(default=PaymentStatus.CREATED, max_length=10)
    method: str = Field(default="", max_length=60)
    # The login that pressed « Payer » (None: the counter, or before issue 20): its ticket goes there.
    account_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = utc_field()
    expires_at: datetime | None = utc_field(nullable=True)
    completed_at: datetime | None = utc_field(nullable=True)


class PaymentEvent(SQLModel, table=True):
    """Every provider notification, stored once: a replay is recognised by its id."""

    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    provider: str = Field(max_length=20)
    event_id: str = Field(max_length=255)
    type: str = Field(max_length=80)
    outcome: str = Field(default="", max_length=200)
    payload: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    received_at: datetime = utc_field()


class ReceiptCounter(SQLModel, table=True):
    """Last receipt number issued per structure and year (gapless numbering)."""

    __table_args__ = (UniqueConstraint("structure_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id")
    year: int
    last_number: int = Field(default=0)


class Receipt(SQLModel, table=True):
    """An issued receipt. The PDF is written once, just after the payment commits, and never changes."""

    __table_args__ = (UniqueConstraint("structure_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    payment_id: int = Field(foreign_key="payment.id", unique=True)
    number: str = Field(max_length=20)
    amount_cents: int
    issued_at: datetime = utc_field()
    # Path relative to the storage folder (never a public folder). None between the payment's
    # commit and the rendering of the PDF just after it (services/receipts.ensure_pdf).
    pdf_path: str | None = Field(default=None, max_length=255)
    sha256: str | None = Field(default=None, max_length=64)


class CreditKind(StrEnum):
    """Credit.kind: why the family's credit moved, so that the régie's journal and the family's
    ledger tell money that came in unasked from credit given back after a rejected cheque.
    "" (rows written by code that does not say) is read from the amount's sign."""

    CANCELLATION = "annulation"  # a paid day cancelled by the parent
    CLOSURE = "fermeture"  # a paid day the commune closed
    ABSENCE = "absence"  # a paid day missed for illness, the absence validated by the staff
    OVERPAYMENT = "trop-percu"  # money a provider sent with no basket to pay (late, wrong amount)
    USED = "utilise"  # taken from the credit to pay a basket
    DEPOSIT = "versement"  # money handed in at the counter, put on the credit
    REFUND = "remboursement"  # given back to the family (a Refund row)
    RESTORED = "rendu-impaye"  # the credit a rejected cheque's basket had used, given back
    TAKEN_BACK = "repris-impaye"  # what a rejected cheque paid and cannot be reopened: debited
    # A meal taken at the canteen without a reservation, billed to the family (negative), or that
    # billing cancelled when the roll call's mark is taken back (positive, « Annulation : … »).
    UNBOOKED = "sans-reservation"
    DEBT_PAID = "reglement-dette"  # a negative balance (sum owed to the régie) paid with a basket


class Credit(SQLModel, table=True):
    """Credit ledger (avoirs): positive when issued, negative when used."""

    # A family's balance (every basket shows it): preferred by SQLite over the structure_id index.
    __table_args__ = (Index("ix_credit_family_structure", "family_id", "structure_id"),)

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    amount_cents: int
    label: str = Field(max_length=200)
    reservation_id: int | None = Field(default=None, foreign_key="reservation.id")
    payment_id: int | None = Field(default=None, foreign_key="payment.id")
    created_at: datetime = utc_field()
    kind: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})
