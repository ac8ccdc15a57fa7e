"""Shared column types and helpers for the SQLModel tables."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field


class UTCDateTime(TypeDecorator):
    """Instants stored as naive UTC, returned as aware UTC.

    SQLite has no time zone type; storing naive UTC everywhere and converting at the
    edge keeps comparisons right on both SQLite and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def utc_field(*, nullable: bool = False, index: bool = False) -> Any:
    """A Field for an aware UTC instant."""
    return Field(default=None if nullable else ..., sa_type=UTCDateTime, nullable=nullable, index=index)


def utcnow() -> datetime:
    """The only place that reads the wall clock; services receive ``now`` as a parameter."""
    return datetime.now(timezone.utc)
