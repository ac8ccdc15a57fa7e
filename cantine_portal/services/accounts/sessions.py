"""Login sessions: open one after a successful login, resolve the cookie's token on each request,
touch, close and revoke them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from cantine_portal.models import Account, LoginSession, row_id
from cantine_portal.services.accounts.hashing import new_token, token_digest
from cantine_portal.services.shared import audit

SESSION_TOUCH_EVERY = timedelta(seconds=60)
MAX_SESSION_LIFETIME = timedelta(hours=12)  # default of CANTINE_SESSION_MAX_HOURS


def open_session(session: Session, now: datetime, account: Account, user_agent: str = "") -> str:
    """Create a login session; returns the token for the cookie (only its hash is stored)."""
    token = new_token()
    session.add(
        LoginSession(
            token_hash=token_digest(token),
            account_id=row_id(account),
            structure_id=account.structure_id,
            created_at=now,
            last_seen_at=now,
            user_agent=user_agent[:255],
        )
    )
    return token


@dataclass(frozen=True)
class SessionInfo:
    account_id: int
    structure_id: int
    family_id: int | None
    role: str
    email: str
    login_id: int | None = None
    # last_seen_at is older than SESSION_TOUCH_EVERY and was not touched (touch=False): the caller
    # should call touch_session soon, off its hot path.
    needs_touch: bool = False


def resolve_session(
    session: Session,
    now: datetime,
    structure_id: int,
    token: str | None,
    idle: timedelta,
    touch: bool = True,
    lifetime: timedelta = MAX_SESSION_LIFETIME,
) -> SessionInfo | None:
    """The account behind a session token, if the session is alive in this commune.

    Alive: not revoked, used within ``idle``, and opened less than ``lifetime`` ago — a stolen
    or forgotten cookie that keeps being used still dies (``CANTINE_SESSION_MAX_HOURS``).

    Touches ``last_seen_at`` (at most once a minute, to keep writes rare under load). With
    ``touch=False`` it only reads, and says in ``needs_touch`` that a touch is due: a websocket
    handler must not wait for SQLite's write lock on the event loop (docs/performance.md).
    """
    if not token:
        return None
    row = session.exec(
        select(LoginSession, Account)
        .join(Account, col(Account.id) == col(LoginSession.account_id))
        .where(LoginSession.token_hash == token_digest(token))
    ).first()
    if row is None:
        return None
    login, account = row
    if (
        login.revoked_at is not None
        or login.structure_id != structure_id
        or not account.active
        or account.structure_id != structure_id
        or now - login.last_seen_at > idle
        or now - login.created_at >= lifetime
    ):
        return None
    due = now - login.last_seen_at > SESSION_TOUCH_EVERY
    if due and touch:
        touch_session(session, row_id(login), now)
        session.commit()
    return SessionInfo(
        row_id(account),
        account.structure_id,
        account.family_id,
        account.role,
        account.email,
        login.id,
        due and not touch,
    )


def touch_session(session: Session, login_id: int, now: datetime) -> None:
    """Move a session's inactivity clock forward (never backwards). The caller commits."""
    session.exec(
        update(LoginSession)
        .where(col(LoginSession.id) == login_id, col(LoginSession.last_seen_at) < now)
        .values(last_seen_at=now)
    )


def close_session(session: Session, now: datetime, token: str | None) -> None:
    if not token:
        return
    login = session.exec(select(LoginSession).where(LoginSession.token_hash == token_digest(token))).first()
    if login is not None and login.revoked_at is None:
        login.revoked_at = now
        session.add(login)
        audit.record(session, now, "logout", structure_id=login.structure_id, account_id=login.account_id)


def revoke_all_sessions(session: Session, now: datetime, account_id: int) -> None:
    session.exec(
        update(LoginSession)
        .where(col(LoginSession.account_id) == account_id, col(LoginSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )


def belongs_to_removed_login(session: Session, structure_id: int, token: str | None) -> bool:
    """Is this cookie's session one of a login whose access was removed (staff, or the guardian
    left)? Then the login page says so instead of a silent redirect."""
    if not token:
        return False
    row = session.exec(
        select(Account)
        .join(LoginSession, col(Account.id) == col(LoginSession.account_id))
        .where(LoginSession.token_hash == token_digest(token), LoginSession.structure_id == structure_id)
    ).first()
    return row is not None and not row.active
