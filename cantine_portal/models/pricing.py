"""Prices by family income: grids of quotient-familial brackets, the families' QF, their attestations.

A grid is in force for one service from ``valid_from`` until the next grid of that service; a new
grid never rewrites an older one, and reservations keep the price frozen when they were priced
(services/pricing/). A service without any grid keeps its single price (ServicePrice).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from cantine_portal.models.base import utc_field


class QuotientSource(StrEnum):
    """FamilyQuotient.source, stored as these strings."""

    CAF = "caf"  # attestation de la CAF (or MSA)
    TAX = "impots"  # computed by the service from the avis d'imposition
    STAFF = "decision"  # décision du service (e.g. a social worker's request)


class QuotientDocumentStatus(StrEnum):
    """QuotientDocument.status, stored as these strings."""

    PENDING = "pending"  # sent by the parent, not yet looked at
    ACCEPTED = "accepted"  # a FamilyQuotient was entered from it
    REFUSED = "refused"  # the parent was told why by e-mail


class PriceGrid(SQLModel, table=True):
    """The tariff of one service from ``valid_from``: brackets, outside-commune, no-QF, siblings."""

    __table_args__ = (UniqueConstraint("service_id", "valid_from"),)

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    service_id: int = Field(foreign_key="service.id", index=True)
    valid_from: date
    # Price when the family has no QF in force that day (the commune's choice: often the top bracket).
    no_qf_price_cents: int
    # Price for families living outside the commune, whatever their QF; None: they pay by QF too.
    outside_price_cents: int | None = None
    # Reduction (percent) for the k-th child booked the same day for the same service, k >= from_rank.
    sibling_percent: int = Field(default=0)
    sibling_from_rank: int = Field(default=2)
    created_at: datetime = utc_field()
    account_id: int | None = Field(default=None, foreign_key="account.id")


class PriceBracket(SQLModel, table=True):
    """One QF bracket of a grid: QF from ``min_qf`` to ``max_qf`` euros included (None: no ceiling)."""

    id: int | None = Field(default=None, primary_key=True)
    grid_id: int = Field(foreign_key="pricegrid.id", index=True)
    position: int
    min_qf: int
    max_qf: int | None = None
    price_cents: int


class QuotientDocument(SQLModel, table=True):
    """An attestation (PDF, JPEG or PNG) sent by a parent, stored privately until staff decide."""

    __table_args__ = (Index("ix_quotientdocument_structure_status", "structure_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id")
    family_id: int = Field(foreign_key="family.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    # Relative to the storage folder (infra/storage.py): random name, never a public folder.
    path: str = Field(max_length=255)
    original_name: str = Field(default="", max_length=200)
    media_type: str = Field(max_length=40)
    size_bytes: int
    status: str = Field(default=QuotientDocumentStatus.PENDING, max_length=10)
    submitted_at: datetime = utc_field()
    decided_at: datetime | None = utc_field(nullable=True)
    decided_by: int | None = Field(default=None, foreign_key="account.id")
    refusal_message: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class FamilyQuotient(SQLModel, table=True):
    """The family's quotient familial (whole euros) from ``valid_from`` to ``valid_to`` included."""

    __table_args__ = (Index("ix_familyquotient_family_dates", "family_id", "valid_from"),)

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    family_id: int = Field(foreign_key="family.id")
    qf_euros: int
    source: str = Field(max_length=10)
    valid_from: date
    valid_to: date
    created_at: datetime = utc_field()
    account_id: int | None = Field(default=None, foreign_key="account.id")
    document_id: int | None = Field(default=None, foreign_key="quotientdocument.id")
