"""Back-office « Messages »: the families' contact messages, handled flag, replies by e-mail.

A reply goes to the family's account address, From the commune's name, Reply-To the commune's
address, so the family's answer reaches the town hall. The reply text is kept in the audit
log (``admin.message_replied``) and shown under the message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from cantine_portal.french import format_paris_datetime
from cantine_portal.infra.mail import Mail, Mailer, render_html
from cantine_portal.models import Account, AuditLog, Child, ContactMessage, Family, row_id
from cantine_portal.services.backoffice.access import check_staff, owned
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.branding import mail_brand

REPLY_MAX = 5000


@dataclass
class MessageRow:
    id: int
    date_label: str
    family_name: str
    account_email: str
    child_name: str
    subject: str
    body: str
    attachment_name: str
    handled: bool
    handled_label: str
    replies: list[str] = field(default_factory=list)


@dataclass
class MessageResult:
    ok: bool
    message: str
    errors: dict[str, str] = field(default_factory=dict)


def list_messages(
    session: Session, structure_id: int, account_id: int, show: str = "all", limit: int = 200
) -> list[MessageRow]:
    """``show``: "all", "open" (not handled) or "handled"."""
    check_staff(session, structure_id, account_id)
    statement = select(ContactMessage).where(ContactMessage.structure_id == structure_id)
    if show == "open":
        statement = statement.where(col(ContactMessage.handled_at).is_(None))
    elif show == "handled":
        statement = statement.where(col(ContactMessage.handled_at).is_not(None))
    messages = session.exec(statement.order_by(col(ContactMessage.created_at).desc()).limit(limit)).all()
    replies: dict[str, list[str]] = {}
    targets = [f"contact:{m.id}" for m in messages]
    if targets:
        for entry in session.exec(
            select(AuditLog)
            .where(
                AuditLog.structure_id == structure_id,
                AuditLog.action == "admin.message_replied",
                col(AuditLog.target).in_(targets),
            )
            .order_by(col(AuditLog.at))
        ):
            text = json.loads(entry.details or "{}").get("reply", "")
            replies.setdefault(entry.target, []).append(f"Réponse du {format_paris_datetime(entry.at)} : {text}")
    rows = []
    for m in messages:
        family = session.get(Family, m.family_id)
        account = session.get(Account, m.account_id)
        child = session.get(Child, m.child_id) if m.child_id else None
        rows.append(
            MessageRow(
                row_id(m),
                format_paris_datetime(m.created_at),
                family.name if family else "",
                account.email if account else "",
                f"{child.first_name} {child.last_name}" if child else "",
                m.subject,
                m.body,
                m.attachment_name or "",
                m.handled_at is not None,
                f"Traité le {format_paris_datetime(m.handled_at)}" if m.handled_at else "À traiter",
                replies.get(f"contact:{m.id}", []),
            )
        )
    return rows


def set_handled(
    session: Session, now: datetime, *, structure_id: int, account_id: int, message_id: int, handled: bool, ip: str = ""
) -> MessageResult:
    check_staff(session, structure_id, account_id)
    message = owned(session, ContactMessage, message_id, structure_id)
    message.handled_at = now if handled else None
    message.handled_by = account_id if handled else None
    session.add(message)
    audit.record(
        session,
        now,
        "admin.message_handled" if handled else "admin.message_reopened",
        structure_id=structure_id,
        account_id=account_id,
        ip=ip,
        target=f"contact:{message.id}",
    )
    return MessageResult(True, "Message marqué comme traité." if handled else "Message remis « à traiter ».")


def reply(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    message_id: int,
    text: str,
    mailer: Mailer,
    ip: str = "",
) -> MessageResult:
    structure = check_staff(session, structure_id, account_id)
    message = owned(session, ContactMessage, message_id, structure_id)
    text = text.strip()
    if not text:
        return MessageResult(False, "La réponse n'a pas été envoyée.", {"reply": "Écrivez votre réponse."})
    if len(text) > REPLY_MAX:
        return MessageResult(False, "La réponse n'a pas été envoyée.", {"reply": f"{REPLY_MAX} caractères au maximum."})
    family_account = session.get(Account, message.account_id)
    if family_account is None or family_account.structure_id != structure_id:
        return MessageResult(False, "Le compte de cette famille n'existe plus : répondez par téléphone.")
    message.handled_at = message.handled_at or now
    message.handled_by = message.handled_by or account_id
    session.add(message)
    audit.record(
        session,
        now,
        "admin.message_replied",
        structure_id=structure_id,
        account_id=account_id,
        ip=ip,
        target=f"contact:{message.id}",
        reply=text,
        to=family_account.email,
    )
    paragraphs = ["Bonjour,", *text.splitlines()]
    after = [
        f"En réponse à votre message « {message.subject} » du {format_paris_datetime(message.created_at)}.",
        f"{structure.name} — {structure.phone}" if structure.phone else structure.name,
    ]
    mailer.send(
        Mail(
            brand=mail_brand(mailer.settings, structure),
            to=family_account.email,
            subject=f"Re: {message.subject}",
            text="\n\n".join(["Bonjour,", text, *after]),
            html=render_html(f"Réponse de {structure.name}", paragraphs, None, after),
            reply_to=structure.email or None,
            sender_name=structure.name,
        ),
        now,
    )
    return MessageResult(True, f"Réponse envoyée à {family_account.email}.")


def attachment_of(session: Session, structure_id: int, account_id: int, message_id: int) -> ContactMessage:
    check_staff(session, structure_id, account_id)
    return owned(session, ContactMessage, message_id, structure_id)
