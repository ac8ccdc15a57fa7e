"""Documents the commune publishes (guide section 6): listing, access check, publication.

A parent only ever reaches a document through :func:`published_document`, which checks the
commune and the publication flag together, so an id guessed from another commune or an
unpublished draft answers exactly like an id that does not exist.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from cantine_portal.config import Settings
from cantine_portal.french import format_paris_date
from cantine_portal.infra import storage
from cantine_portal.infra.pdf.validation import validate_pdf
from cantine_portal.models import Document, row_id


@dataclass(frozen=True)
class DocumentItem:
    id: int
    title: str
    date_label: str  # "26/11/2026", Paris time
    filename: str


@dataclass(frozen=True)
class DocumentGroup:
    category: str
    documents: list[DocumentItem]


def download_name(document: Document) -> str:
    """An ASCII file name for Content-Disposition, from the title ("Règlement" → "Reglement.pdf")."""
    base = document.original_name or document.title
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_name.removesuffix(".pdf")).strip("-._")[:80]
    return f"{stem or 'document'}.pdf"


def _published_at(document: Document) -> datetime:
    return document.published_at or document.created_at


def list_published(session: Session, structure_id: int) -> list[DocumentGroup]:
    """Published documents of one commune, grouped by category; newest first inside a group.

    Groups are ordered by their newest document, so this week's menu comes before an old
    règlement.
    """
    rows = session.exec(
        select(Document).where(Document.structure_id == structure_id, Document.published == True)  # noqa: E712  (SQL: a column compared with TRUE, not a Python truth test)
    ).all()
    rows = sorted(rows, key=lambda d: (_published_at(d), d.id or 0), reverse=True)
    groups: dict[str, list[DocumentItem]] = {}
    for document in rows:
        groups.setdefault(document.category, []).append(
            DocumentItem(
                id=row_id(document),
                title=document.title,
                date_label=format_paris_date(_published_at(document)),
                filename=download_name(document),
            )
        )
    return [DocumentGroup(category, items) for category, items in groups.items()]


def published_document(session: Session, structure_id: int, document_id: int) -> Document | None:
    """The document if it belongs to this commune and is published; otherwise None."""
    document = session.get(Document, document_id)
    if document is None or document.structure_id != structure_id or not document.published:
        return None
    return document


def add_document(
    session: Session,
    settings: Settings,
    now: datetime,
    structure_id: int,
    *,
    title: str,
    category: str,
    data: bytes,
    original_name: str = "",
    published: bool = True,
) -> Document:
    """Store a PDF (validated like any upload) and its row. The caller commits."""
    validate_pdf(data, settings.upload_max_bytes)
    relative = storage.save_bytes(settings, "documents", data)
    document = Document(
        structure_id=structure_id,
        title=title,
        category=category,
        file_path=relative,
        original_name=original_name,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        published=published,
        published_at=now if published else None,
        created_at=now,
        updated_at=now,
    )
    session.add(document)
    session.flush()
    return document
