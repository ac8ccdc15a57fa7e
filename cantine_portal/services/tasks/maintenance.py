"""Nightly clean-up: rows that only ever grow and are useless once expired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlmodel import Session, col

from cantine_portal.models import LoginSession, LoginThrottle, PasswordToken

# Kept a little after they stop counting, so that a support question about "yesterday" still finds them.
THROTTLE_KEEP = timedelta(days=2)  # the longest throttle window is 24 h
TOKEN_KEEP = timedelta(days=7)  # links live 24 h
SESSION_KEEP = timedelta(days=1)


@dataclass(frozen=True)
class PurgeReport:
    sessions: int
    tokens: int
    throttle_rows: int


def purge_expired(session: Session, now: datetime, session_minutes: int) -> PurgeReport:
    """Delete sessions expired (inactive past ``session_minutes``) or revoked, links expired, and
    throttle rows older than any limit's window."""
    idle_limit = now - timedelta(minutes=session_minutes) - SESSION_KEEP
    sessions = session.exec(
        delete(LoginSession).where(
            or_(col(LoginSession.last_seen_at) < idle_limit, col(LoginSession.revoked_at) < now - SESSION_KEEP)
        )
    )
    tokens = session.exec(delete(PasswordToken).where(col(PasswordToken.expires_at) < now - TOKEN_KEEP))
    throttle = session.exec(delete(LoginThrottle).where(col(LoginThrottle.at) < now - THROTTLE_KEEP))
    return PurgeReport(
        int(sessions.rowcount),
        int(tokens.rowcount),
        int(throttle.rowcount),
    )
