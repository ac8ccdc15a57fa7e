"""The commune ("structure") and what it offers: services, prices, closed days."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from cantine_portal.models.base import utc_field


class Structure(SQLModel, table=True):
    """A commune's portal, reached under ``/{slug}/``."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=120)
    address_line: str = Field(default="", max_length=200)
    postal_code: str = Field(default="", max_length=10)
    city: str = Field(default="", max_length=120)
    phone: str = Field(default="", max_length=30)
    email: str = Field(default="", max_length=254)
    # "week" or "month": what one reservation table spans.
    period_mode: str = Field(default="week", max_length=10)
    # Deadline rule, see services/calendar.DeadlineRule.
    deadline_kind: str = Field(default="weekday_before", max_length=20)
    deadline_weekday: int = Field(default=3)
    deadline_days_before: int = Field(default=2)
    deadline_time: str = Field(default="23:59", max_length=5)
    allow_family_edit: bool = Field(default=True)
    allow_children_edit: bool = Field(default=True)
    # One diet per line, e.g. "Sans porc".
    diets: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    payment_provider: str = Field(default="simulated", max_length=20)
    # PayFiP (DGFiP): the régie's client number (numcli, 6 digits) and the mode: "T" test,
    # "X" activation (real payments checked by the DGFiP), "W" production.
    payfip_numcli: str = Field(default="", max_length=6)
    payfip_mode: str = Field(default="T", max_length=1)
    # Systempay/PayZen: the shop's id; its secrets stay on the server (SYSTEMPAY_SECRET_*).
    systempay_site_id: str = Field(default="", max_length=8)
    systempay_mode: str = Field(default="TEST", max_length=10)
    # The commune's own identity (never the State's): main colour, on which white text reaches 4.5:1
    # (services/shared/colours.py), and the logo stored privately (infra/storage.py, "logos/…"), served
    # by /api/{slug}/logo. "" = no logo.
    primary_color: str = Field(default="#1d4e89", max_length=7, sa_column_kwargs={"server_default": "#1d4e89"})
    logo_path: str = Field(default="", max_length=255, sa_column_kwargs={"server_default": ""})
    logo_mime: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": ""})
    # Deadline reminders: e-mailed this many days before a period's deadline (0: none).
    reminder_days_before: int = Field(default=2)
    # Sick-day absences (services/booking/absences.py): today's days may be declared until this
    # Paris time of the day; the first N consecutive absence days are not credited (0: from day one).
    absence_deadline_time: str = Field(default="09:00", max_length=5, sa_column_kwargs={"server_default": "09:00"})
    absence_carence_days: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    active: bool = Field(default=True)
    created_at: datetime = utc_field()


class Service(SQLModel, table=True):
    """A prestation: canteen, morning or evening care, Wednesday activities."""

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    name: str = Field(max_length=120)
    # Current price; history (effective dates) lives in ServicePrice.
    unit_price_cents: int
    # Weekdays served, Monday=0: "0,1,3,4".
    weekdays: str = Field(default="0,1,3,4", max_length=20)
    position: int = Field(default=0)
    active: bool = Field(default=True)


class ServicePrice(SQLModel, table=True):
    """A price in force from ``valid_from``: changing a price never rewrites the past."""

    __table_args__ = (UniqueConstraint("service_id", "valid_from"),)

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="service.id", index=True)
    valid_from: date
    price_cents: int
    created_at: datetime = utc_field()


class ClosedDay(SQLModel, table=True):
    """A day with no service: public holiday, school holidays, exceptional closure."""

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    day: date = Field(index=True)
    # "public_holiday" | "school_holiday" | "closure" (see services/calendar.ClosedDay)
    kind: str = Field(max_length=20)
    reason: str = Field(max_length=200)
    # None: the whole structure is closed; else only that service.
    service_id: int | None = Field(default=None, foreign_key="service.id")
