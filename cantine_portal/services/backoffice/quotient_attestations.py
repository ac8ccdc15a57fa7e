"""Back-office « Quotients familiaux »: the attestations parents sent, read by the staff and
accepted (their QF becomes the family's, through quotients.add_quotient) or refused with a
message e-mailed to the family's parent accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from cantine_portal.config import Settings
from cantine_portal.french import PARIS, format_long_date, format_numeric_date
from cantine_portal.infra.mail import Mail, Mailer, render_html
from cantine_portal.models import (
    Account,
    AccountRole,
    Family,
    QuotientDocument,
    QuotientDocumentStatus,
    row_id,
)
from cantine_portal.services.backoffice.access import check_staff, owned
from cantine_portal.services.backoffice.quotients import QuotientInput, QuotientResult, add_quotient
from cantine_portal.services.shared import audit


@dataclass(frozen=True)
class AttestationRow:
    document_id: int
    family_name: str
    sent_on: str
    file_kind: str


def accept_attestation(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    document_id: int,
    data: QuotientInput,
    ip: str = "",
) -> QuotientResult:
    """The staff read the attestation and enter its QF and dates: it becomes the family's QF."""
    check_staff(session, structure_id, account_id)
    document = owned(session, QuotientDocument, document_id, structure_id)
    if document.status != QuotientDocumentStatus.PENDING:
        return QuotientResult(False, "Cette attestation a déjà été traitée.")
    result = add_quotient(
        session,
        now,
        structure_id=structure_id,
        account_id=account_id,
        family_id=document.family_id,
        data=data,
        document_id=document_id,
        ip=ip,
    )
    if result.ok:
        document.status, document.decided_at, document.decided_by = QuotientDocumentStatus.ACCEPTED, now, account_id
        session.add(document)
    return result


def refuse_attestation(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    document_id: int,
    message: str,
    ip: str = "",
) -> QuotientResult:
    """Refuse with a message the family's parent accounts receive by e-mail."""
    structure = check_staff(session, structure_id, account_id)
    document = owned(session, QuotientDocument, document_id, structure_id)
    if document.status != QuotientDocumentStatus.PENDING:
        return QuotientResult(False, "Cette attestation a déjà été traitée.")
    if not message.strip():
        return QuotientResult(
            False,
            "Indiquez à la famille pourquoi l'attestation est refusée.",
            {"message": "Indiquez à la famille pourquoi l'attestation est refusée."},
        )
    document.status, document.decided_at, document.decided_by = QuotientDocumentStatus.REFUSED, now, account_id
    document.refusal_message = message.strip()[:2000]
    session.add(document)
    sent = document.submitted_at.astimezone(PARIS).date()
    paragraphs = [
        "Bonjour,",
        f"La mairie n'a pas pu accepter l'attestation de quotient familial envoyée le {format_long_date(sent)} :",
        document.refusal_message,
        "Vous pouvez en envoyer une nouvelle depuis la page Famille du portail, rubrique « Quotient "
        "familial ». D'ici là, le tarif sans quotient familial s'applique.",
    ]
    mailer = Mailer(settings)
    for account in session.exec(
        select(Account).where(
            Account.family_id == document.family_id, Account.role == AccountRole.PARENT, col(Account.active).is_(True)
        )
    ):
        mailer.send(
            Mail(
                to=account.email,
                subject=f"{structure.name} — Attestation de quotient familial refusée",
                text="\n\n".join(paragraphs),
                html=render_html("Attestation refusée", paragraphs),
                reply_to=structure.email or None,
            ),
            now,
        )
    audit.record(
        session,
        now,
        "admin.quotient_refused",
        structure_id=structure_id,
        account_id=account_id,
        target=f"quotientdocument:{document_id}",
        ip=ip,
    )
    return QuotientResult(True, "L'attestation est refusée ; la famille a été prévenue par e-mail.")


def pending_attestations(session: Session, structure_id: int, account_id: int) -> list[AttestationRow]:
    """The attestations parents sent that nobody has accepted or refused yet, oldest first."""
    check_staff(session, structure_id, account_id)
    rows = session.exec(
        select(QuotientDocument, Family)
        .join(Family, col(Family.id) == col(QuotientDocument.family_id))
        .where(QuotientDocument.structure_id == structure_id, QuotientDocument.status == QuotientDocumentStatus.PENDING)
        .order_by(col(QuotientDocument.submitted_at))
    ).all()
    return [
        AttestationRow(
            row_id(d),
            f.name,
            format_numeric_date(d.submitted_at.astimezone(PARIS).date()),
            "PDF" if d.media_type == "application/pdf" else "Photo",
        )
        for d, f in rows
    ]


def attestation_of(session: Session, structure_id: int, account_id: int, document_id: int) -> QuotientDocument:
    """An attestation of the commune, for the staff to read (any other id is refused)."""
    check_staff(session, structure_id, account_id)
    return owned(session, QuotientDocument, document_id, structure_id)
