"""Tokens, sessions, throttling and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from cantine_portal.models.base import utc_field


class PasswordToken(SQLModel, table=True):
    """A first-connection / reset link. Only the SHA-256 of the token is stored."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field()
    used_at: datetime | None = utc_field(nullable=True)
    revoked_at: datetime | None = utc_field(nullable=True)


class LoginSession(SQLModel, table=True):
    """A logged-in browser. The cookie holds the token; the database only its hash."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    structure_id: int = Field(foreign_key="structure.id")
    created_at: datetime = utc_field()
    last_seen_at: datetime = utc_field()
    revoked_at: datetime | None = utc_field(nullable=True)
    user_agent: str = Field(default="", max_length=255)


class LoginThrottle(SQLModel, table=True):
    """One row per attempt that counts against a limit (failed logins, link requests).

    Kept in the database, not in process memory, so that limits hold across workers.
    """

    # Per-account limits read (commune, scope, time); per-address limits read (scope, time) over
    # every commune (services/accounts/throttle.py).
    __table_args__ = (
        Index("ix_login_throttle_scope_at", "structure_id", "scope", "at"),
        Index("ix_login_throttle_any_commune", "scope", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id")
    # e.g. "login:account:<email>", "login:ip:<addr>", "link:account:<email>"
    scope: str = Field(max_length=300)
    at: datetime = utc_field()


class AuditLog(SQLModel, table=True):
    """Who did what, when. Never a password, a token or health data."""

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int | None = Field(default=None, foreign_key="structure.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    action: str = Field(max_length=60)
    target: str = Field(default="", max_length=120)
    details: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    ip: str = Field(default="", max_length=45)
    at: datetime = utc_field(index=True)
