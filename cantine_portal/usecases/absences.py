"""The parent's « Absences » page: declare a child ill for booked days (with the certificate), and
see where each declaration stands. One function per action, each owning its transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.services.booking import absence_days as views
from cantine_portal.services.booking import absences as rules
from cantine_portal.services.booking.absence_days import AbsenceItem, ChildDays
from cantine_portal.usecases.actors import ParentActor

__all__ = [
    "MAX_BYTES",
    "AbsenceItem",
    "AbsencesPage",
    "ChildDays",
    "Declared",
    "absences_page",
    "declare_absence",
]
MAX_BYTES = rules.MAX_BYTES


@dataclass(frozen=True)
class AbsencesPage:
    explanation: str
    children: tuple[ChildDays, ...]  # the days each child may still be declared absent
    absences: tuple[AbsenceItem, ...]  # the family's declarations, newest first


@dataclass(frozen=True)
class Declared:
    ok: bool
    message: str
    page: AbsencesPage


def absences_page(actor: ParentActor, *, now: datetime) -> AbsencesPage:
    with get_database().session() as session:
        return AbsencesPage(
            views.explanation(session, actor.structure_id, actor.family_id),
            views.declarable_days(session, now, actor.structure_id, actor.family_id),
            views.family_absences(session, actor.structure_id, actor.family_id),
        )


def declare_absence(actor: ParentActor, *, now: datetime, child_id: int, days: list[date], data: bytes) -> Declared:
    """Check and record the declaration (all or nothing), then read the page again."""
    settings = get_settings()
    with get_database().write_session() as session:
        result = rules.declare_absence(
            session,
            settings,
            now,
            structure_id=actor.structure_id,
            family_id=actor.family_id,
            account_id=actor.account_id,
            child_id=child_id,
            days=days,
            data=data,
            ip=actor.ip,
        )
    return Declared(result.ok, result.message, absences_page(actor, now=now))
