"""The parent's « Quotient familial » section of Famille: where the family's QF stands, and the
attestation (PDF or photo) sent to the mairie."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cantine_portal.config import get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.services.pricing import attestations as rules
from cantine_portal.services.pricing.attestations import QuotientStatus
from cantine_portal.usecases.actors import ParentActor

__all__ = ["MAX_BYTES", "QuotientStatus", "SentAttestation", "quotient_section", "send_attestation"]
MAX_BYTES = rules.MAX_BYTES


@dataclass(frozen=True)
class SentAttestation:
    ok: bool
    message: str
    status: QuotientStatus


def quotient_section(actor: ParentActor, *, now: datetime) -> QuotientStatus:
    """The family's QF today and its brackets, the attestations waiting, the refusals with their reason."""
    with get_database().session() as session:
        return rules.quotient_status(session, now, actor.structure_id, actor.family_id)


def send_attestation(actor: ParentActor, *, now: datetime, data: bytes, filename: str) -> SentAttestation:
    """Check the file by its content, keep it privately, and read the section again."""
    settings = get_settings()
    with get_database().write_session() as session:
        result = rules.send_attestation(
            session,
            settings,
            now,
            structure_id=actor.structure_id,
            family_id=actor.family_id,
            account_id=actor.account_id,
            data=data,
            filename=filename,
            ip=actor.ip,
        )
    return SentAttestation(result.ok, result.message, quotient_section(actor, now=now))
