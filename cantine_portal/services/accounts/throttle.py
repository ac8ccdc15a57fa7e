"""Limits on failed logins, link requests and other anonymous requests, counted in the database.

Rows live in the database rather than in process memory so that limits hold across
several workers and restarts. A success clears the account's failures.

Per-account limits count in the account's commune (an e-mail address is an account per
commune). Per-address limits count over every commune of the deployment: one address trying
passwords on ``autreville`` then on ``demo`` is one attacker, not two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from cantine_portal.models import LoginThrottle

FREE_FAILURES = 5  # failures allowed before any delay
BASE_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=1)
DAILY_FAILURES = 25  # failures per account in 24 h before a lock until the window frees
IP_FAILURES_PER_HOUR = 50
LINKS_PER_ACCOUNT_PER_HOUR = 5
LINKS_PER_IP_PER_HOUR = 20


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_at: datetime | None = None


def _times(session: Session, structure_id: int | None, scope: str, since: datetime) -> list[datetime]:
    """Times of the rows of ``scope`` since ``since``, in one commune or (None) in all of them."""
    query = select(LoginThrottle.at).where(LoginThrottle.scope == scope, LoginThrottle.at > since)
    if structure_id is not None:
        query = query.where(LoginThrottle.structure_id == structure_id)
    return list(session.exec(query.order_by(col(LoginThrottle.at))).all())


def record(session: Session, structure_id: int, scope: str, now: datetime) -> None:
    session.add(LoginThrottle(structure_id=structure_id, scope=scope, at=now))


def clear(session: Session, structure_id: int, scope: str) -> None:
    session.exec(
        delete(LoginThrottle).where(col(LoginThrottle.structure_id) == structure_id, col(LoginThrottle.scope) == scope)
    )


def login_scopes(email: str, ip: str) -> tuple[str, str]:
    return f"login:account:{email}", f"login:ip:{ip}"


def check_login(session: Session, structure_id: int, email: str, ip: str, now: datetime) -> Verdict:
    """May this (account, address) try a password now? Checked before the password is."""
    account_scope, ip_scope = login_scopes(email, ip)
    failures = _times(session, structure_id, account_scope, now - timedelta(hours=24))
    retry: list[datetime] = []
    if len(failures) >= DAILY_FAILURES:
        retry.append(failures[-DAILY_FAILURES] + timedelta(hours=24))
    if len(failures) >= FREE_FAILURES:
        delay = min(BASE_DELAY * 2 ** (len(failures) - FREE_FAILURES), MAX_DELAY)
        retry.append(failures[-1] + delay)
    ip_failures = _times(session, None, ip_scope, now - timedelta(hours=1))
    if len(ip_failures) >= IP_FAILURES_PER_HOUR:
        retry.append(ip_failures[-IP_FAILURES_PER_HOUR] + timedelta(hours=1))
    retry_at = max(retry) if retry else None
    if retry_at is not None and now < retry_at:
        return Verdict(False, retry_at)
    return Verdict(True)


def check_link_request(session: Session, structure_id: int, email: str, ip: str, now: datetime) -> Verdict:
    hour_ago = now - timedelta(hours=1)
    by_account = _times(session, structure_id, f"link:account:{email}", hour_ago)
    by_ip = _times(session, None, f"link:ip:{ip}", hour_ago)
    retry: list[datetime] = []
    if len(by_account) >= LINKS_PER_ACCOUNT_PER_HOUR:
        retry.append(by_account[-LINKS_PER_ACCOUNT_PER_HOUR] + timedelta(hours=1))
    if len(by_ip) >= LINKS_PER_IP_PER_HOUR:
        retry.append(by_ip[-LINKS_PER_IP_PER_HOUR] + timedelta(hours=1))
    if retry:
        return Verdict(False, max(retry))
    return Verdict(True)


def take(session: Session, structure_id: int, scope: str, now: datetime, limit: int, window: timedelta) -> Verdict:
    """One more request of ``scope`` (counted over every commune), unless ``limit`` of them were
    already let through in the last ``window``: then refused, and not recorded (a flood past the
    limit adds no rows)."""
    times = _times(session, None, scope, now - window)
    if len(times) >= limit:
        return Verdict(False, times[-limit] + window)
    record(session, structure_id, scope, now)
    return Verdict(True)


def count(session: Session, structure_id: int, scope: str) -> int:
    return session.exec(
        select(func.count())
        .select_from(LoginThrottle)
        .where(LoginThrottle.structure_id == structure_id, LoginThrottle.scope == scope)
    ).one()
