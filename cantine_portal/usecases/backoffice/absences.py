"""Back-office « Absences »: the declarations to decide, the certificate, validate or refuse.

Each decision is one write transaction whose e-mail to the family is queued with it
(``change_and_mail``): a decision that rolls back sends nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from cantine_portal.config import get_settings
from cantine_portal.infra import storage
from cantine_portal.services.backoffice import absences as rules
from cantine_portal.services.backoffice.absences import AbsenceRow
from cantine_portal.usecases.backoffice.common import Download, Outcome, StaffActor, change_and_mail, read

__all__ = ["AbsenceRow", "AbsencesPage", "absences_page", "certificate_file", "refuse_absence", "validate_absence"]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AbsencesPage:
    pending: list[AbsenceRow]
    decided: list[AbsenceRow]


def _page(actor: StaffActor) -> Callable[[Session], AbsencesPage]:
    def work(session: Session) -> AbsencesPage:
        return AbsencesPage(
            rules.absence_rows(session, actor.structure_id, actor.account_id, pending=True),
            rules.absence_rows(session, actor.structure_id, actor.account_id, pending=False),
        )

    return work


def absences_page(actor: StaffActor) -> AbsencesPage:
    return read(_page(actor))


def validate_absence(actor: StaffActor, *, now: datetime, absence_id: int, message: str) -> Outcome[AbsencesPage]:
    """Credits by the commune's rule, once; the family is told by e-mail."""
    return change_and_mail(
        now,
        lambda s, mailer: rules.validate_absence(
            s,
            mailer,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            absence_id=absence_id,
            message=message,
            ip=actor.ip,
        ),
        _page(actor),
    )


def refuse_absence(actor: StaffActor, *, now: datetime, absence_id: int, message: str) -> Outcome[AbsencesPage]:
    """The paid days stay paid; the family is told why by e-mail."""
    return change_and_mail(
        now,
        lambda s, mailer: rules.refuse_absence(
            s,
            mailer,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            absence_id=absence_id,
            message=message,
            ip=actor.ip,
        ),
        _page(actor),
    )


def certificate_file(actor: StaffActor, *, absence_id: int) -> Download | None:
    """The certificate, for the commune's staff only (the route answers 404 to anyone else)."""
    absence = read(lambda s: rules.certificate_of(s, actor.structure_id, actor.account_id, absence_id))
    try:
        data = storage.read_bytes(get_settings(), absence.certificate_path)
    except (OSError, ValueError):
        log.warning("absence %s: certificate unreadable", absence_id, exc_info=True)
        return None
    suffix = {"application/pdf": "pdf", "image/png": "png"}.get(absence.certificate_media, "jpg")
    return Download(data, f"certificat-absence-{absence_id}.{suffix}", absence.certificate_media)
