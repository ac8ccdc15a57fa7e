"""Parent and staff accounts: login (password check, throttling) and the login page's messages.

Every function takes the DB session and ``now``. Answers never reveal whether an e-mail
address has an account: the same outcome and the same work (a dummy hash check) either way.

Sessions live in ``sessions.py``, first connection / forgotten password links in ``password_links.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from cantine_portal.french import format_paris_time
from cantine_portal.models import Account, Structure, row_id
from cantine_portal.services.accounts import throttle
from cantine_portal.services.accounts.hashing import verify_password
from cantine_portal.services.shared import audit

MSG_BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."


def normalize_email(email: str) -> str:
    return email.strip().lower()


def looks_like_email(email: str) -> bool:
    email = email.strip()
    local, _, domain = email.partition("@")
    return bool(local) and "." in domain and " " not in email and len(email) <= 254 and not domain.startswith(".")


def blocked_message(retry_at: datetime) -> str:
    return f"Trop de tentatives. Par sécurité, réessayez à partir de {format_paris_time(retry_at)}."


MSG_ACCESS_REMOVED = (
    "Votre accès au portail a été retiré : vous avez été déconnecté. Si c'est une erreur, contactez votre structure."
)


def login_error_message(query: Mapping[str, object]) -> str:
    """What a login page says when its POST route sent the browser back with ``?erreur=…``.

    ``jusqua`` comes from the URL: shown only when it looks like the « 14h05 » the route writes.
    """
    error = query.get("erreur", "")
    if error == "identifiants":
        return MSG_BAD_CREDENTIALS
    if error == "acces":
        return MSG_ACCESS_REMOVED
    if error == "bloque":
        until = str(query.get("jusqua", ""))
        if re.fullmatch(r"\d{1,2}h\d{2}", until):
            return f"Trop de tentatives. Par sécurité, réessayez à partir de {until}."
        return "Trop de tentatives. Réessayez plus tard."
    return ""


def account_by_email(session: Session, structure_id: int, email: str) -> Account | None:
    return session.exec(
        select(Account).where(Account.structure_id == structure_id, Account.email == normalize_email(email))
    ).first()


# --- login ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    account: Account | None
    message: str = ""
    retry_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.account is not None


@dataclass(frozen=True)
class VerifiedPassword:
    """The outcome of the (slow, argon2id) password check, done before the login's transaction."""

    password_hash: str | None  # the hash it was checked against
    valid: bool


def verify_before_login(
    session: Session, now: datetime, structure_id: int, email: str, password: str, ip: str = ""
) -> VerifiedPassword | None:
    """Read the account's hash and check the password, outside any write transaction.

    The argon2id check takes 0.1–0.2 s of CPU on purpose; inside the login's write transaction it
    held SQLite's single write lock that long, and every parent's Valider queued behind it on a
    deadline night. None when the login is throttled (no check is spent on it). ``session`` is
    only read; authenticate() re-reads and re-checks everything in its own transaction.
    """
    email = normalize_email(email)
    if not throttle.check_login(session, structure_id, email, ip, now).allowed:
        return None
    account = account_by_email(session, structure_id, email)
    stored = account.password_hash if account else None
    session.rollback()  # end the read before the slow part
    return VerifiedPassword(stored, verify_password(password, stored))


def authenticate(
    session: Session,
    now: datetime,
    structure: Structure,
    email: str,
    password: str,
    ip: str = "",
    *,
    verified: VerifiedPassword | None = None,
) -> LoginResult:
    """Check a login. The caller commits (failures are recorded for throttling).

    ``verified`` (from verify_before_login) is used when it was checked against the hash still
    stored; otherwise the password is checked here.
    """
    email = normalize_email(email)
    structure_id = row_id(structure)
    verdict = throttle.check_login(session, structure_id, email, ip, now)
    if not verdict.allowed:
        assert verdict.retry_at is not None  # a refusal always says when to retry
        audit.record(session, now, "login.throttled", structure_id=structure_id, target=email, ip=ip)
        return LoginResult(None, blocked_message(verdict.retry_at), verdict.retry_at)
    account = account_by_email(session, structure_id, email)
    stored = account.password_hash if account else None
    if verified is not None and verified.password_hash == stored:
        valid = verified.valid
    else:
        valid = verify_password(password, stored)
    if not (valid and account is not None and account.active):
        for scope in throttle.login_scopes(email, ip):
            throttle.record(session, structure_id, scope, now)
        audit.record(
            session,
            now,
            "login.failure",
            structure_id=structure_id,
            account_id=account.id if account else None,
            target=email,
            ip=ip,
        )
        return LoginResult(None, MSG_BAD_CREDENTIALS)
    throttle.clear(session, structure_id, throttle.login_scopes(email, ip)[0])
    account.last_login_at = now
    session.add(account)
    audit.record(session, now, "login.success", structure_id=structure_id, account_id=account.id, ip=ip)
    return LoginResult(account)
