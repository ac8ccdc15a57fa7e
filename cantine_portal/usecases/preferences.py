"""Préférences (deadline reminders, private calendar feed) and the two routes that need no login:
the calendar feed itself and the one-click unsubscribe link of the reminder e-mails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.models import Account, Family, Guardian, Structure
from cantine_portal.services import calendar_feed, reminders
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.tenants import structure_by_slug
from cantine_portal.usecases.actors import ParentActor


@dataclass(frozen=True)
class PreferencesPage:
    reminders_enabled: bool
    feed_active: bool
    feed_url: str = ""  # only right after « Générer » (the token is never stored, never shown again)


def _guardians(session: Session, actor: ParentActor) -> list[Guardian]:
    """The guardian(s) this login speaks for: its own, else the family's guardian with its e-mail."""
    account = session.get(Account, actor.account_id)
    if account is None or account.family_id != actor.family_id:
        return []
    if account.guardian_id is not None:
        guardian = session.get(Guardian, account.guardian_id)
        return [guardian] if guardian is not None and guardian.family_id == actor.family_id else []
    return list(
        session.exec(
            select(Guardian).where(Guardian.family_id == actor.family_id, col(Guardian.email) == account.email)
        ).all()
    )


def _page(session: Session, actor: ParentActor, feed_url: str = "") -> PreferencesPage:
    guardians = _guardians(session, actor)
    enabled = bool(guardians) and all(g.reminders_enabled for g in guardians)
    active = calendar_feed.active_token(session, actor.structure_id, actor.family_id) is not None
    return PreferencesPage(enabled, active, feed_url)


def preferences(actor: ParentActor) -> PreferencesPage:
    with get_database().session() as session:
        return _page(session, actor)


def set_reminders(actor: ParentActor, enabled: bool, *, now: datetime) -> PreferencesPage:
    """Turn this parent's deadline reminders on or off."""
    with get_database().write_session() as session:
        for guardian in _guardians(session, actor):
            guardian.reminders_enabled = enabled
            session.add(guardian)
        audit.record(
            session,
            now,
            "reminders.on" if enabled else "reminders.off",
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            ip=actor.ip,
        )
        return _page(session, actor)


def _feed_url(slug: str, token: str) -> str:
    return f"{get_settings().base_url}/api/{slug}/calendrier/{token}.ics"


def regenerate_feed(actor: ParentActor, *, now: datetime) -> PreferencesPage:
    """A new private address (the previous one stops working at once)."""
    with get_database().write_session() as session:
        token = calendar_feed.regenerate(session, now, actor.structure_id, actor.family_id)
        audit.record(
            session,
            now,
            "calendar_feed.regenerated",
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            ip=actor.ip,
        )
        structure_slug = _slug(session, actor.structure_id)
        return _page(session, actor, _feed_url(structure_slug, token))


def revoke_feed(actor: ParentActor, *, now: datetime) -> PreferencesPage:
    with get_database().write_session() as session:
        calendar_feed.revoke(session, now, actor.structure_id, actor.family_id)
        audit.record(
            session,
            now,
            "calendar_feed.revoked",
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            ip=actor.ip,
        )
        return _page(session, actor)


def _slug(session: Session, structure_id: int) -> str:
    structure = session.get(Structure, structure_id)
    return structure.slug if structure is not None else ""


# --- routes without a login ----------------------------------------------------------------------


@dataclass(frozen=True)
class FeedAnswer:
    """``body`` for a live token; None for anything else (same 404); ``limited``: too many requests."""

    body: bytes | None
    limited: bool = False


def calendar_feed_file(slug: str, token: str, ip: str, *, now: datetime) -> FeedAnswer:
    database = get_database()
    with database.write_session() as session:
        structure = structure_by_slug(session, slug)
        if structure is None or structure.id is None:
            return FeedAnswer(None)
        if not calendar_feed.allowed(session, now, structure.id, ip):
            return FeedAnswer(None, limited=True)
    with database.session() as session:
        return FeedAnswer(calendar_feed.feed(session, now, structure.id, token))


def unsubscribe_reminders(slug: str, token: str, *, now: datetime) -> bool:
    """The one-click link (RFC 8058): the signed token names the guardian; no login needed."""
    settings = get_settings()
    with get_database().write_session() as session:
        structure = structure_by_slug(session, slug)
        guardian_id = reminders.guardian_of_token(settings.secret_key, token)
        if structure is None or guardian_id is None:
            return False
        guardian = session.get(Guardian, guardian_id)
        family = session.get(Family, guardian.family_id) if guardian is not None else None
        if family is None or family.structure_id != structure.id:
            return False  # a genuine token of another commune's guardian: not under this address
        done = reminders.unsubscribe(session, settings.secret_key, token)
        audit.record(
            session, now, "reminders.unsubscribed", structure_id=structure.id, target=f"guardian:{guardian_id}"
        )
        return done
