"""The parent's side of the QF: send an attestation (PDF or photo), see where it stands.

Content-checked like the contact form's attachments (infra/pdf/validation.py; infra/photos.py for
photos), stored under a random name outside any public folder (infra/storage.py). Until the staff
accept it and enter the QF, the « no QF » price applies; the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from cantine_portal.config import Settings
from cantine_portal.french import PARIS, format_euros, format_long_date, format_whole_euros
from cantine_portal.infra import storage
from cantine_portal.infra.pdf.validation import PdfRejected, is_probably_pdf, validate_pdf
from cantine_portal.infra.photos import ImageRejected, validate_image
from cantine_portal.models import Family, QuotientDocument, QuotientDocumentStatus, Service, row_id
from cantine_portal.services.pricing.tariffs import Tariffs, quotient_spans
from cantine_portal.services.shared import audit

MAX_BYTES = 5 * 1024 * 1024
MAX_PENDING = 3
SOURCE_LABELS = {"caf": "attestation CAF ou MSA", "impots": "avis d'imposition", "decision": "décision du service"}


@dataclass(frozen=True)
class SendResult:
    ok: bool
    message: str


@dataclass(frozen=True)
class QuotientStatus:
    """What the Famille page's « Quotient familial » section says."""

    current: str  # « Votre QF : 640 € (attestation CAF ou MSA), valable jusqu'au … » or why none
    pending: tuple[str, ...]  # attestations waiting for the mairie
    refused: tuple[str, ...]  # the mairie's refusals, with its message
    # « Cantine : Tranche 2 — QF de 501 à 900 € (2,50 €) » for each active service priced by a grid today
    tariffs: tuple[str, ...] = ()


def send_attestation(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    structure_id: int,
    family_id: int,
    account_id: int,
    data: bytes,
    filename: str,
    ip: str = "",
) -> SendResult:
    """Check the file by its content and keep it privately for the staff to look at."""
    family = session.get(Family, family_id)
    if family is None or family.structure_id != structure_id:
        return SendResult(False, "Cette action n'est pas possible.")
    waiting = session.exec(
        select(QuotientDocument.id).where(
            QuotientDocument.family_id == family_id, QuotientDocument.status == QuotientDocumentStatus.PENDING
        )
    ).all()
    if len(waiting) >= MAX_PENDING:
        return SendResult(False, "Vous avez déjà des attestations en attente : la mairie doit d'abord les examiner.")
    try:
        if is_probably_pdf(data):
            validate_pdf(data, MAX_BYTES)
            media, suffix = "application/pdf", "pdf"
        else:
            media, _size = validate_image(data, MAX_BYTES)
            suffix = "png" if media == "image/png" else "jpg"
    except (PdfRejected, ImageRejected) as refused:
        return SendResult(False, str(refused.args[0] if refused.args else refused))
    path = storage.save_bytes(settings, "quotients", data, suffix)
    document = QuotientDocument(
        structure_id=structure_id,
        family_id=family_id,
        account_id=account_id,
        path=path,
        original_name=filename[:200],
        media_type=media,
        size_bytes=len(data),
        submitted_at=now,
    )
    session.add(document)
    session.flush()
    audit.record(
        session,
        now,
        "family.quotient_sent",
        structure_id=structure_id,
        account_id=account_id,
        target=f"quotientdocument:{row_id(document)}",
        ip=ip,
    )
    return SendResult(
        True,
        "Votre attestation a bien été envoyée à la mairie. Le tarif correspondant à votre "
        "quotient familial s'appliquera dès qu'elle l'aura acceptée ; vous serez prévenu "
        "par e-mail en cas de refus.",
    )


def quotient_status(session: Session, now: datetime, structure_id: int, family_id: int) -> QuotientStatus:
    """The family's QF today, its attestations waiting, and the refusals with their reason."""
    today = now.astimezone(PARIS).date()
    current = [s for s in quotient_spans(session, family_id) if s.valid_from <= today <= s.valid_to]
    later = [s for s in quotient_spans(session, family_id) if s.valid_from > today]
    if current:
        span = current[-1]
        text = (
            f"Votre quotient familial : {format_whole_euros(span.qf_euros)}, valable jusqu'au "
            f"{format_long_date(span.valid_to)}."
        )
    elif later:
        text = (
            f"Votre quotient familial de {format_whole_euros(later[0].qf_euros)} s'appliquera à partir du "
            f"{format_long_date(later[0].valid_from)}. D'ici là, le tarif sans quotient familial s'applique."
        )
    else:
        text = (
            "Aucun quotient familial en cours de validité : le tarif sans quotient familial s'applique aux "
            "prestations tarifées selon vos revenus. Envoyez votre attestation CAF (ou MSA, ou votre avis "
            "d'imposition) ci-dessous."
        )
    documents = session.exec(
        select(QuotientDocument)
        .where(QuotientDocument.family_id == family_id, QuotientDocument.structure_id == structure_id)
        .order_by(col(QuotientDocument.submitted_at).desc())
    ).all()
    pending = tuple(
        f"Attestation envoyée le {format_long_date(d.submitted_at.astimezone(PARIS).date())} : "
        "en attente d'examen par la mairie."
        for d in documents
        if d.status == QuotientDocumentStatus.PENDING
    )
    refused = tuple(
        f"Attestation du {format_long_date(d.submitted_at.astimezone(PARIS).date())} refusée : {d.refusal_message}"
        for d in documents[:5]
        if d.status == QuotientDocumentStatus.REFUSED
    )
    services = session.exec(
        select(Service)
        .where(Service.structure_id == structure_id, col(Service.active).is_(True))
        .order_by(col(Service.id))
    ).all()
    tariffs = Tariffs(session, structure_id, family_id, services)
    lines = tuple(
        f"{s.name} : {q.label} ({format_euros(q.price_cents)})"
        for s in services
        if tariffs.has_grid(row_id(s), today)
        for q in [tariffs.quote(row_id(s), today)]
    )
    return QuotientStatus(text, pending, refused, lines)
