"""Shared column types and helpers for the SQLModel tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field


class UTCDateTime(TypeDecorator[datetime]):
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
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utc_field(*, nullable: bool = False, index: bool = False) -> Any:
    """A Field for an aware UTC instant."""
    return Field(default=None if nullable else ..., sa_type=UTCDateTime, nullable=nullable, index=index)


def utcnow() -> datetime:
    """The only place that reads the wall clock; services receive ``now`` as a parameter."""
    return datetime.now(UTC)


class _Row(Protocol):
    """Any table row: its primary key is None until the row is flushed."""

    @property
    def id(self) -> int | None: ...


def row_id(row: _Row) -> int:
    """The primary key of a row that must already be in the database.

    Models declare ``id: Optional[int]`` because a new row has none until flushed;
    code handling a loaded or flushed row calls this instead of trusting the Optional,
    so a forgotten flush fails loudly rather than writing a NULL foreign key.
    """
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id
