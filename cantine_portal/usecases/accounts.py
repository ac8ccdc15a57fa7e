"""Account use cases: the login pages, logging in and out, password links and password creation.

Shared by the parents' and the staff's doors: only the cookie, the role and the paths differ, and
those are the callers' business (``api/session_routes.py``, the login states).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cantine_portal.config import get_settings
from cantine_portal.french import format_paris_time
from cantine_portal.infra.db import get_database
from cantine_portal.infra.mail import Mailer
from cantine_portal.models import Structure
from cantine_portal.services.accounts import login as accounts
from cantine_portal.services.accounts import password_links as password_links
from cantine_portal.services.accounts import sessions as login_sessions
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.tenants import structure_by_slug

MSG_LOGGED_OUT = "Vous êtes déconnecté. À bientôt !"
MSG_LOGGED_OUT_STAFF = "Vous êtes déconnecté."
MSG_PASSWORD_CREATED = "Votre mot de passe a été enregistré. Connectez-vous avec votre adresse e-mail."
MSG_LEFT = "Votre accès au portail a été supprimé. L'autre responsable garde le sien."
MSG_EMAIL_INVALID = "Saisissez une adresse e-mail valide, par exemple prenom.nom@exemple.fr."


@dataclass(frozen=True)
class LoginPage:
    """What a login page shows when it loads (after a failed login, a logout or a new password)."""

    error_message: str
    info_message: str
    email_prefill: str
    next_path: str


def login_page(query: Mapping[str, object], flash_email: str | None, *, staff: bool) -> LoginPage:
    """The messages of a login page from its URL; ``flash_email`` is the address typed before a failure.

    No database: the words come from our own table, the URL only chooses among them.
    """
    if query.get("deconnecte"):
        info = MSG_LOGGED_OUT_STAFF if staff else MSG_LOGGED_OUT
    elif query.get("cree") and not staff:
        info = MSG_PASSWORD_CREATED
    elif query.get("quitte") and not staff:
        info = MSG_LEFT
    else:
        info = ""
    prefill = (flash_email or "")[:254] if query.get("erreur", "") else ""
    return LoginPage(accounts.login_error_message(query), info, prefill, str(query.get("suite", ""))[:300])


@dataclass(frozen=True)
class LoginOutcome:
    """``found`` False: no such commune. Otherwise a session token, or why there is none."""

    found: bool
    token: str | None = None
    role: str = ""
    # Throttled: when the next attempt is allowed, Paris time ("14h05").
    retry_time: str = ""

    @property
    def ok(self) -> bool:
        return self.token is not None


def log_in(
    slug: str, email: str, password: str, ip: str, user_agent: str, *, staff_door: bool, now: datetime
) -> LoginOutcome:
    """Check the credentials and open a session in the commune ``slug``.

    The password is checked (argon2id, slow) in a read transaction first, so that the write
    transaction that records the attempt and opens the session stays short. At the staff door a
    parent's right password gets the same answer as a wrong one, and no session.
    """
    database = get_database()
    with database.session() as session:
        structure = structure_by_slug(session, slug)
        if structure is None or structure.id is None:
            return LoginOutcome(False)
        verified = accounts.verify_before_login(session, now, structure.id, email, password, ip)
    with database.write_session() as session:
        structure = structure_by_slug(session, slug)
        if structure is None:
            return LoginOutcome(False)
        result = accounts.authenticate(session, now, structure, email, password, ip, verified=verified)
        account = result.account
        if account is None:
            return LoginOutcome(True, retry_time=format_paris_time(result.retry_at) if result.retry_at else "")
        if staff_door and account.role != "staff":
            audit.record(session, now, "login.staff_refused", structure_id=structure.id, account_id=account.id, ip=ip)
            return LoginOutcome(True)
        token = login_sessions.open_session(session, now, account, user_agent)
        return LoginOutcome(True, token, account.role)


def log_out(token: str | None, *, now: datetime) -> None:
    """End the session of this cookie (nothing happens for an unknown or absent one)."""
    with get_database().write_session() as session:
        login_sessions.close_session(session, now, token)


@dataclass(frozen=True)
class LinkRequest:
    """``email_error``: the address is not one; ``sent_message``: the same answer for any address."""

    email_error: str = ""
    sent_message: str = ""


def request_password_link(structure_id: int | None, email: str, ip: str, *, now: datetime) -> LinkRequest:
    """PREMIÈRE CONNEXION OU MOT DE PASSE OUBLIÉ, and the banner's « Mot de Passe » page.

    Public: the answer never says whether an account has this address.
    """
    if not accounts.looks_like_email(email):
        return LinkRequest(email_error=MSG_EMAIL_INVALID)
    settings = get_settings()
    with get_database().write_session() as session:
        structure = session.get(Structure, structure_id) if structure_id else None
        if structure is None:
            return LinkRequest()
        result = password_links.request_password_link(
            session, now, structure, email, Mailer(settings), settings.base_url, ip
        )
    return LinkRequest(sent_message=result.message)


@dataclass(frozen=True)
class PasswordLink:
    valid: bool
    # The account the link is for, shown on the page (the password must not contain it).
    email: str = ""


def check_password_link(structure_id: int | None, token: str, *, now: datetime) -> PasswordLink:
    """Whether the « Créer le mot de passe » link is still good (24 h, unused, not replaced)."""
    if structure_id is None:
        return PasswordLink(False)
    with get_database().session() as session:
        structure = session.get(Structure, structure_id)
        stored = password_links.valid_token(session, now, structure, token) if structure is not None else None
        if stored is None:
            return PasswordLink(False)
        return PasswordLink(True, password_links.token_account_email(session, stored))


@dataclass(frozen=True)
class PasswordCreation:
    ok: bool
    message: str = ""
    # False when the link itself is refused (expired, used): the page offers a new one.
    link_valid: bool = True


def create_password(
    structure_id: int | None, token: str, password: str, ip: str, *, now: datetime
) -> PasswordCreation | None:
    """Set the password of the link's account (every session ends, a confirmation is mailed).

    None when the commune is unknown (nothing to say on a page that does not exist).
    """
    settings = get_settings()
    with get_database().write_session() as session:
        structure = session.get(Structure, structure_id) if structure_id else None
        if structure is None:
            return None
        result = password_links.set_password_with_token(session, now, structure, token, password, Mailer(settings), ip)
    if result.ok:
        return PasswordCreation(True, result.message)
    return PasswordCreation(False, result.message, link_valid=result.check is not None)
