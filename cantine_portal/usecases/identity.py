"""Who is acting: the commune of the URL, the parent or the staff member behind a session cookie.

Every protected page load and handler calls one of these first (through the handler decorators
of ``state/handlers.py``). Reads only: the "still active" mark of a session is written later by
one background thread, so that a handler never waits for the database's write lock for it.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.models import Account, Family, Guardian, StaffRole
from cantine_portal.services.accounts.sessions import (
    SessionInfo,
    belongs_to_removed_login,
    resolve_session,
    touch_session,
)
from cantine_portal.services.backoffice.access import MSG_WRONG_ROLE as MSG_WRONG_ROLE
from cantine_portal.services.backoffice.access import Area as Area
from cantine_portal.services.backoffice.access import NotAllowed, check_staff, role_allows, role_of
from cantine_portal.services.shared import branding
from cantine_portal.services.shared.tenants import active_slugs, structure_by_slug

log = logging.getLogger(__name__)
# One background writer for "this session is still active" (once a minute per session): a missed
# touch only means the next one, a minute later, moves the inactivity clock instead.
_toucher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="session-touch")


@dataclass(frozen=True)
class Commune:
    """Public facts about a commune, shown in every page's frame."""

    structure_id: int
    slug: str
    name: str
    address: str
    phone: str
    email: str
    # the commune's own look (services/shared/branding.py): header colour and logo ("" = none)
    colour: str = "#1d4e89"
    logo_url: str = ""


@dataclass(frozen=True)
class ParentIdentity:
    structure_id: int
    account_id: int
    family_id: int
    email: str
    display_name: str
    family_name: str


@dataclass(frozen=True)
class StaffIdentity:
    structure_id: int
    account_id: int
    email: str
    role: str = StaffRole.ADMINISTRATION  # what the back office lets this account open

    def allows(self, area: str) -> bool:
        """Does this account's role open ``area`` (services/backoffice/access.Area)?"""
        return role_allows(self.role, area)


def commune_by_slug(slug: str) -> Commune | None:
    """The commune of a URL's first segment (None for an unknown one)."""
    with get_database().session() as session:
        structure = structure_by_slug(session, slug)
    if structure is None or structure.id is None:
        return None
    address = ", ".join(
        part for part in (structure.address_line, f"{structure.postal_code} {structure.city}".strip()) if part
    )
    return Commune(
        structure.id,
        structure.slug,
        structure.name,
        address,
        structure.phone,
        structure.email,
        branding.colour_of(structure),
        branding.logo_url(structure),
    )


def commune_logo(slug: str) -> tuple[bytes, str] | None:
    """(bytes, MIME type) of the logo of the commune of ``slug``; None for no logo or no commune."""
    with get_database().session() as session:
        return branding.public_logo(session, get_settings(), slug)


def _touch_later(login_id: int, now: datetime) -> None:
    def work() -> None:
        try:
            with get_database().write_session() as session:
                touch_session(session, login_id, now)
        except Exception:
            log.warning("could not record session activity", exc_info=True)

    _toucher.submit(work)


def _alive(session_token: str | None, structure_id: int, now: datetime) -> SessionInfo | None:
    settings = get_settings()
    idle = timedelta(minutes=settings.session_minutes)
    with get_database().session() as session:
        return resolve_session(
            session,
            now,
            structure_id,
            session_token,
            idle,
            touch=False,
            lifetime=timedelta(hours=settings.session_max_hours),
        )


def parent_by_session(
    structure_id: int, session_token: str | None, now: datetime, known_account_id: int | None = None
) -> ParentIdentity | None:
    """The parent behind a session cookie of this commune, checked in the database now.

    ``known_account_id``: the account the tab already shows; its names are not read again.
    """
    info = _alive(session_token, structure_id, now)
    if info is None or info.role != "parent" or info.family_id is None:
        return None
    display_name = family_name = ""
    if info.account_id != known_account_id:
        with get_database().session() as session:
            account = session.get(Account, info.account_id)
            family = session.get(Family, info.family_id)
            guardian = session.get(Guardian, account.guardian_id) if account and account.guardian_id else None
        display_name = f"{guardian.first_name} {guardian.last_name}" if guardian else info.email
        family_name = family.name if family else ""
    if info.needs_touch and info.login_id is not None:
        _touch_later(info.login_id, now)
    return ParentIdentity(structure_id, info.account_id, info.family_id, info.email, display_name, family_name)


def parent_access_removed(structure_id: int, session_token: str | None) -> bool:
    """A refused parent cookie: was it refused because the login's access was removed (issue 20)?"""
    if not session_token:
        return False
    with get_database().session() as session:
        return belongs_to_removed_login(session, structure_id, session_token)


def staff_by_session(
    structure_id: int, session_token: str | None, now: datetime, *, activity: bool = True
) -> StaffIdentity | None:
    """The staff member behind a back-office cookie of this commune (an active staff account).

    ``activity=False``: a request the page sends by itself (Pointage's periodic refresh) checks
    the session without moving its inactivity clock, so a tablet left on the page still logs out
    after the idle timeout."""
    info = _alive(session_token, structure_id, now)
    if info is None or info.role != "staff" or info.family_id is not None:
        return None
    try:
        with get_database().session() as session:
            check_staff(session, structure_id, info.account_id, Area.RESTAURATION)  # any staff role
            account = session.get(Account, info.account_id)
            role = role_of(account) if account is not None else StaffRole.RESTAURATION
    except NotAllowed:
        return None
    if activity and info.needs_touch and info.login_id is not None:
        _touch_later(info.login_id, now)
    return StaffIdentity(structure_id, info.account_id, info.email, role)


def known_commune_slugs() -> set[str]:
    """The slugs of the communes whose portal is open (the middleware's 404 for the others)."""
    with get_database().session() as session:
        return active_slugs(session)


def any_live_session(cookies: list[tuple[str, str, str]], now: datetime) -> bool:
    """Is one of these ``(slug, cookie prefix, token)`` a live session of its commune (parent or staff)?

    The upload endpoint's gate: a body is read only for someone logged in somewhere. Reads only.
    """
    if not cookies:
        return False
    settings = get_settings()
    idle = timedelta(minutes=settings.session_minutes)
    lifetime = timedelta(hours=settings.session_max_hours)
    with get_database().session() as session:
        for slug, prefix, token in cookies:
            structure = structure_by_slug(session, slug)
            if structure is None or structure.id is None:
                continue
            info = resolve_session(session, now, structure.id, token, idle, touch=False, lifetime=lifetime)
            if info is not None and (info.role == "staff") == (prefix == "cp_staff_"):
                return True
    return False


def database_reachable() -> bool:
    """The health check: one trivial query."""
    try:
        with get_database().session() as session:
            session.connection().exec_driver_sql("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        return False
    return True
