"""Documents and Contact use cases (guide sections 6 and 7), and the parents' private PDF downloads.

(Accueil shows only who is logged in, which the session check of ``identity.py`` already reads: it
has no use case of its own.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from cantine_portal.config import get_settings
from cantine_portal.infra import storage
from cantine_portal.infra.db import get_database
from cantine_portal.services.accounts.sessions import SessionInfo, resolve_session
from cantine_portal.services.content import contact, documents
from cantine_portal.services.content.contact import ContactResult
from cantine_portal.services.content.documents import DocumentGroup
from cantine_portal.services.shared.tenants import structure_by_slug
from cantine_portal.usecases.actors import ParentActor
from cantine_portal.usecases.outbox import write_and_mail

__all__ = [
    "ContactForm",
    "ContactResult",
    "DocumentGroup",
    "Finder",
    "PrivateFile",
    "contact_form",
    "document_file",
    "private_file",
    "published_documents",
    "send_contact_message",
]


def published_documents(actor: ParentActor) -> list[DocumentGroup]:
    """The commune's published documents by category, newest first (ids for the download route)."""
    with get_database().session() as session:
        return documents.list_published(session, actor.structure_id)


@dataclass(frozen=True)
class ContactForm:
    # The family's own children: the page offers their labels, the state keeps the ids.
    child_ids: list[int]
    child_labels: list[str]
    # "5 Mo": the attachment's limit, in words.
    max_size_label: str


def contact_form(actor: ParentActor) -> ContactForm:
    with get_database().session() as session:
        choices = contact.child_choices(session, actor.family_id)
    return ContactForm([c.id for c in choices], [c.label for c in choices], contact.size_label(get_settings()))


def send_contact_message(
    actor: ParentActor,
    *,
    subject: str,
    body: str,
    child_id: int | None,
    attachment_name: str = "",
    attachment: bytes | None = None,
    now: datetime,
) -> ContactResult:
    """Check, store and mail the message (with its PDF) to the commune; acknowledge it to the parent
    (both e-mails queued with the message, sent by the task queue).

    The service checks again that ``child_id`` is one of the family's children and that the
    attachment is a PDF within the limit; errors come back by field.
    """
    settings = get_settings()
    incoming = (
        contact.IncomingAttachment(attachment_name or "piece-jointe.pdf", attachment)
        if attachment is not None
        else None
    )
    return write_and_mail(
        now,
        lambda session, mailer: contact.send_message(
            session,
            now,
            structure_id=actor.structure_id,
            family_id=actor.family_id,
            account_id=actor.account_id,
            subject=subject,
            body=body,
            child_id=child_id,
            attachment=incoming,
            mailer=mailer,
            settings=settings,
            ip=actor.ip,
        ),
    )


@dataclass(frozen=True)
class PrivateFile:
    data: bytes
    filename: str


# (session, structure id, session info, object id) -> (stored relative path, download name) or None
Finder = Callable[[Session, int, SessionInfo, int], "tuple[str, str] | None"]


def private_file(slug: str, token: str | None, object_id: int, find: Finder, *, now: datetime) -> PrivateFile | None:
    """A stored PDF for the logged-in parent of the commune ``slug``, if ``find`` says it is theirs.

    None for every refusal alike (no session, unknown id, someone else's file, missing on disk):
    the route answers the same empty 404, so an id reveals nothing.
    """
    settings = get_settings()
    with get_database().session() as session:
        structure = structure_by_slug(session, slug)
        if structure is None or structure.id is None or not token:
            return None
        info = resolve_session(
            session,
            now,
            structure.id,
            token,
            timedelta(minutes=settings.session_minutes),
            lifetime=timedelta(hours=settings.session_max_hours),
        )
        if info is None:
            return None
        found = find(session, structure.id, info, object_id)
        if found is None:
            return None
        path, filename = found
        try:
            return PrivateFile(storage.read_bytes(settings, path), filename)
        except (storage.StorageError, OSError):
            return None


def _published_document(
    session: Session, structure_id: int, _info: SessionInfo, document_id: int
) -> tuple[str, str] | None:
    found = documents.published_document(session, structure_id, document_id)
    return (found.file_path, documents.download_name(found)) if found else None


def document_file(slug: str, token: str | None, document_id: int, *, now: datetime) -> PrivateFile | None:
    """A published document of the commune, for a logged-in parent (download route)."""
    return private_file(slug, token, document_id, _published_document, now=now)
