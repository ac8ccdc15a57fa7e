"""Families, their guardians, accounts and children."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from cantine_portal.models.base import utc_field


class AccountRole(StrEnum):
    """Account.role, stored as these strings."""

    PARENT = "parent"
    STAFF = "staff"


class Family(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    name: str = Field(max_length=120)
    # The commune's file number, shown on receipts.
    reference: str = Field(default="", max_length=40)
    # Staff's decision on the outside-commune price: None = from the guardians' address
    # (services/pricing/residence.py), True = always outside, False = always resident.
    outside_commune: bool | None = None
    created_at: datetime = utc_field()


class Guardian(SQLModel, table=True):
    """A responsable of the family (one tab each on the Famille page)."""

    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    civility: str = Field(default="", max_length=10)
    last_name: str = Field(max_length=80)
    first_name: str = Field(max_length=80)
    relationship: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)
    mobile: str = Field(default="", max_length=20)
    phone_home: str = Field(default="", max_length=20)
    phone_work: str = Field(default="", max_length=20)
    address_line: str = Field(default="", max_length=200)
    postal_code: str = Field(default="", max_length=5)
    city: str = Field(default="", max_length=120)
    employer: str = Field(default="", max_length=120)
    position: int = Field(default=0)
    # Deadline reminder e-mails (Préférences page, one-click unsubscribe link).
    reminders_enabled: bool = Field(default=True)
    # Optimistic locking: a save on stale data is refused.
    version: int = Field(default=1)


class Account(SQLModel, table=True):
    """A login. Parents belong to a family; staff ("agent") to the structure only."""

    __table_args__ = (UniqueConstraint("structure_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    role: str = Field(default=AccountRole.PARENT, max_length=10)
    family_id: int | None = Field(default=None, foreign_key="family.id", index=True)
    guardian_id: int | None = Field(default=None, foreign_key="guardian.id")
    # Stored lower-cased: the identifier is case-insensitive.
    email: str = Field(max_length=254)
    password_hash: str | None = Field(default=None, max_length=255)
    # False: the access was removed (by staff, or the guardian left): its sessions are refused.
    active: bool = Field(default=True)
    # E-mail choices of this login (Préférences): the tickets of the other guardian's payments too
    # (default: only one's own), and the commune's closure notices (default: yes).
    mail_all_payments: bool = Field(default=False)
    mail_notices: bool = Field(default=True)
    created_at: datetime = utc_field()
    password_changed_at: datetime | None = utc_field(nullable=True)
    last_login_at: datetime | None = utc_field(nullable=True)


class Child(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    family_id: int = Field(foreign_key="family.id", index=True)
    last_name: str = Field(max_length=80)
    first_name: str = Field(max_length=80)
    birth_date: date | None = None
    school: str = Field(default="", max_length=120)
    class_name: str = Field(default="", max_length=40)
    diet: str = Field(default="", max_length=60)
    # PAI (projet d'accueil individualisé): health data, never logged nor mailed.
    pai: bool = Field(default=False)
    pai_notes: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    position: int = Field(default=0)
    version: int = Field(default=1)


class Enrollment(SQLModel, table=True):
    """A child is enrolled in a service: only those rows show in the reservation table."""

    __table_args__ = (UniqueConstraint("child_id", "service_id"),)

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    service_id: int = Field(foreign_key="service.id", index=True)
