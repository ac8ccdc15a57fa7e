"""Contact the commune (guide section 7): checks, storage, e-mails.

Plain Python: the page's state hands over what the parent typed and the bytes of the optional
attachment; everything that decides (ownership of the child, hourly limit, PDF checks) is here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from cantine_portal.config import Settings
from cantine_portal.french import format_size
from cantine_portal.infra import storage
from cantine_portal.infra.mail import Attachment, Mail, Mailer, render_html
from cantine_portal.infra.pdf.validation import PdfRejected, validate_pdf
from cantine_portal.models import Account, Child, ContactMessage, Family, Structure, row_id
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.branding import mail_brand

SUBJECT_MAX = 200
BODY_MAX = 5000
LIMIT_WINDOW = timedelta(hours=1)

MSG_SENT = "Votre message a bien été envoyé à la mairie. Vous recevrez une réponse par e-mail."
MSG_SUBJECT_MISSING = "Indiquez l'objet de votre message."
MSG_BODY_MISSING = "Écrivez votre message."
MSG_CHILD_UNKNOWN = "Choisissez un enfant de la liste, ou « Aucun enfant en particulier »."


def limit_message(phone: str) -> str:
    tail = f"appelez la mairie au {phone}." if phone else "appelez la mairie."
    return f"Vous avez envoyé beaucoup de messages dans l'heure. Réessayez un peu plus tard ou {tail}"


@dataclass(frozen=True)
class IncomingAttachment:
    """What the parent attached: the name they gave it and the bytes, read in memory."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class ContactResult:
    ok: bool
    message: str = ""
    # Field name ("subject", "body", "child", "attachment") → French explanation.
    errors: dict[str, str] = field(default_factory=dict)
    message_id: int | None = None


@dataclass(frozen=True)
class ChildChoice:
    id: int
    label: str


def child_choices(session: Session, family_id: int) -> list[ChildChoice]:
    children = session.exec(
        select(Child).where(Child.family_id == family_id).order_by(col(Child.position), col(Child.id))
    ).all()
    return [ChildChoice(row_id(child), f"{child.first_name} {child.last_name}") for child in children]


def messages_in_last_hour(session: Session, family_id: int, now: datetime) -> int:
    return session.exec(
        select(func.count())
        .select_from(ContactMessage)
        .where(ContactMessage.family_id == family_id, ContactMessage.created_at > now - LIMIT_WINDOW)
    ).one()


def safe_attachment_name(name: str) -> str:
    """The parent's file name, reduced to something harmless in a mail header and a mailbox."""
    base = unicodedata.normalize("NFKD", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = base.encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", re.sub(r"(?i)\.pdf$", "", base)).strip("-._")[:80]
    return f"{stem or 'piece-jointe'}.pdf"


def size_label(settings: Settings) -> str:
    """The attachment limit in French units ("5 Mo")."""
    return format_size(settings.upload_max_bytes)


def too_large_message(settings: Settings) -> str:
    """Same words as validate_pdf's refusal, for a file refused on its announced size alone."""
    return f"Le fichier dépasse la taille maximale de {size_label(settings)}."


def check_attachment(data: bytes, settings: Settings) -> str | None:
    """None when the PDF is acceptable, else the French reason."""
    try:
        validate_pdf(data, settings.upload_max_bytes)
    except PdfRejected as rejected:
        return rejected.message
    return None


def send_message(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    family_id: int,
    account_id: int,
    subject: str,
    body: str,
    child_id: int | None,
    attachment: IncomingAttachment | None,
    mailer: Mailer,
    settings: Settings,
    ip: str = "",
) -> ContactResult:
    """Check, store and e-mail a message to the commune, then acknowledge it to the parent.

    The caller commits (write_session). Nothing is stored or sent when any check fails.
    """
    structure = session.get(Structure, structure_id)
    family = session.get(Family, family_id)
    account = session.get(Account, account_id)
    if (
        structure is None
        or family is None
        or account is None
        or family.structure_id != structure_id
        or account.family_id != family_id
        or account.structure_id != structure_id
    ):
        return ContactResult(False, "Votre session a expiré. Reconnectez-vous.")

    subject = " ".join(subject.split())[:SUBJECT_MAX]
    body = body.strip()[:BODY_MAX]
    errors, child = _check_message(session, now, account, subject, body, child_id, attachment, settings, ip)
    if errors:
        return ContactResult(False, "Le message n'a pas été envoyé : corrigez les champs signalés.", errors)

    if messages_in_last_hour(session, family_id, now) >= settings.contact_hourly_limit:
        return ContactResult(False, limit_message(structure.phone))

    message_id = _store_and_mail(
        session, now, structure, family, account, child, subject, body, attachment, mailer, settings, ip
    )
    return ContactResult(True, MSG_SENT, message_id=message_id)


def _check_message(
    session: Session,
    now: datetime,
    account: Account,
    subject: str,
    body: str,
    child_id: int | None,
    attachment: IncomingAttachment | None,
    settings: Settings,
    ip: str,
) -> tuple[dict[str, str], Child | None]:
    """The fields' errors (French, by field) and the child the message is about. A child of another
    family is refused and audited: the form only offers the family's own, so it is a forged request."""
    errors: dict[str, str] = {}
    if not subject:
        errors["subject"] = MSG_SUBJECT_MISSING
    if not body:
        errors["body"] = MSG_BODY_MISSING
    child = None
    if child_id is not None:
        child = session.get(Child, child_id)
        if child is None or child.family_id != account.family_id:
            errors["child"] = MSG_CHILD_UNKNOWN
            audit.record(
                session,
                now,
                "contact.foreign_child",
                structure_id=account.structure_id,
                account_id=account.id,
                ip=ip,
                child_id=child_id,
            )
    if attachment is not None:
        reason = check_attachment(attachment.data, settings)
        if reason:
            errors["attachment"] = reason
    return errors, child


def _store_and_mail(
    session: Session,
    now: datetime,
    structure: Structure,
    family: Family,
    account: Account,
    child: Child | None,
    subject: str,
    body: str,
    attachment: IncomingAttachment | None,
    mailer: Mailer,
    settings: Settings,
    ip: str,
) -> int | None:
    """Store the message (and its attachment's file), audit it, mail the commune and acknowledge to
    the parent. A failure on the way deletes the file it saved, so no orphan file stays on disk."""
    attachment_path: str | None = None
    attachment_name: str | None = None
    mailed_attachment: Attachment | None = None
    if attachment is not None:
        attachment_name = safe_attachment_name(attachment.filename)
        mailed_attachment = Attachment(attachment_name, attachment.data)
        attachment_path = storage.save_bytes(settings, "contact", attachment.data)
    try:
        message = ContactMessage(
            structure_id=row_id(structure),
            family_id=row_id(family),
            account_id=row_id(account),
            child_id=child.id if child else None,
            subject=subject,
            body=body,
            attachment_path=attachment_path,
            attachment_name=attachment_name,
            created_at=now,
        )
        session.add(message)
        session.flush()
        audit.record(
            session,
            now,
            "contact.sent",
            structure_id=row_id(structure),
            account_id=row_id(account),
            ip=ip,
            target=f"contact:{message.id}",
            attachment=attachment is not None,
        )
        _mail_commune(mailer, now, structure, family, account, child, subject, body, mailed_attachment)
        _mail_acknowledgement(mailer, now, structure, account, subject)
    except BaseException:
        if attachment_path:
            storage.delete(settings, attachment_path)
        raise
    return message.id


def _mail_commune(
    mailer: Mailer,
    now: datetime,
    structure: Structure,
    family: Family,
    account: Account,
    child: Child | None,
    subject: str,
    body: str,
    attachment: Attachment | None,
) -> None:
    if not structure.email:
        return  # stored all the same: the staff reads it in the back office
    about = [
        f"Famille : {family.name}" + (f" (dossier {family.reference})" if family.reference else ""),
        f"Adresse de réponse : {account.email}",
    ]
    if child is not None:
        about.append(f"Enfant concerné : {child.first_name} {child.last_name}")
    if attachment is not None:
        about.append(f"Pièce jointe : {attachment.filename}")
    paragraphs = [*about, "Message :", *body.splitlines()]
    mailer.send(
        Mail(
            brand=mail_brand(mailer.settings, structure),
            to=structure.email,
            subject=f"[Portail famille] {subject}",
            text="\n".join(about) + "\n\n" + body,
            html=render_html(
                f"Message du portail famille : {subject}",
                paragraphs,
                after=["Répondez directement à ce message : la réponse partira à la famille."],
            ),
            reply_to=account.email,
            attachments=[attachment] if attachment else [],
        ),
        now,
    )


def _mail_acknowledgement(mailer: Mailer, now: datetime, structure: Structure, account: Account, subject: str) -> None:
    paragraphs = [
        "Bonjour,",
        f"Votre message « {subject} » a bien été transmis à {structure.name}.",
        "Vous recevrez une réponse par e-mail.",
    ]
    after = [f"{structure.name} — {structure.phone}" if structure.phone else structure.name]
    mailer.send(
        Mail(
            brand=mail_brand(mailer.settings, structure),
            to=account.email,
            # Kept short: Python's header folding can drop the space between two encoded words.
            subject=f"Message envoyé — {structure.name}",
            text="\n\n".join(paragraphs + after),
            html=render_html("Votre message a bien été envoyé", paragraphs, after=after),
        ),
        now,
    )
