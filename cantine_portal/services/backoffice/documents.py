"""Back-office « Documents »: upload, replace, publish/unpublish, title and category.

Uploads go through the same checks as the families' attachments (services/pdf_validation) and
the same private storage under random names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from cantine_portal.config import Settings
from cantine_portal.french import format_paris_date, format_size
from cantine_portal.infra import storage
from cantine_portal.infra.pdf.validation import PdfRejected, validate_pdf
from cantine_portal.models import Document, row_id
from cantine_portal.services.backoffice.access import check_staff, owned
from cantine_portal.services.content.contact import safe_attachment_name
from cantine_portal.services.content.documents import add_document
from cantine_portal.services.shared import audit

CATEGORIES = ("Menus", "Règlement", "Informations", "Activités", "Tarifs")


@dataclass
class DocumentAdminRow:
    id: int
    title: str
    category: str
    published: bool
    status_label: str
    date_label: str
    size_label: str
    original_name: str


@dataclass
class DocumentResult:
    ok: bool
    message: str
    errors: dict[str, str] = field(default_factory=dict)
    document_id: int | None = None


def list_documents(session: Session, structure_id: int, account_id: int) -> list[DocumentAdminRow]:
    check_staff(session, structure_id, account_id)
    rows = session.exec(
        select(Document)
        .where(Document.structure_id == structure_id)
        .order_by(col(Document.created_at).desc(), col(Document.id).desc())
    ).all()
    return [
        DocumentAdminRow(
            row_id(d),
            d.title,
            d.category,
            d.published,
            "Publié" if d.published else "Non publié (brouillon)",
            format_paris_date(d.published_at or d.updated_at),
            format_size(d.size_bytes),
            d.original_name,
        )
        for d in rows
    ]


def _validate(title: str, category: str) -> tuple[str, str, dict[str, str]]:
    title, category = " ".join(title.split()), " ".join(category.split())
    errors = {}
    if not title:
        errors["title"] = "Indiquez le titre du document."
    elif len(title) > 200:
        errors["title"] = "200 caractères au maximum."
    if not category:
        errors["category"] = "Indiquez la catégorie (par exemple Menus)."
    elif len(category) > 60:
        errors["category"] = "60 caractères au maximum."
    return title, category, errors


def upload_document(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    title: str,
    category: str,
    data: bytes | None,
    filename: str,
    published: bool,
    ip: str = "",
) -> DocumentResult:
    check_staff(session, structure_id, account_id)
    title, category, errors = _validate(title, category)
    if not data:
        errors["file"] = "Choisissez un fichier PDF."
    else:
        try:
            validate_pdf(data, settings.upload_max_bytes)
        except PdfRejected as rejected:
            errors["file"] = rejected.message
    if errors or not data:
        return DocumentResult(False, "Le document n'a pas été ajouté : corrigez les champs signalés.", errors)
    document = add_document(
        session,
        settings,
        now,
        structure_id,
        title=title,
        category=category,
        data=data,
        original_name=safe_attachment_name(filename or title),
        published=published,
    )
    audit.record(
        session,
        now,
        "admin.document_added",
        structure_id=structure_id,
        account_id=account_id,
        ip=ip,
        target=f"document:{document.id}",
        title=title,
        published=published,
    )
    state = "publié" if published else "enregistré sans être publié"
    return DocumentResult(True, f"Le document « {title} » a été {state}.", document_id=document.id)


def replace_file(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    document_id: int,
    data: bytes | None,
    filename: str,
    ip: str = "",
) -> DocumentResult:
    check_staff(session, structure_id, account_id)
    document = owned(session, Document, document_id, structure_id)
    if not data:
        return DocumentResult(False, "Choisissez un fichier PDF.", {"file": "Choisissez un fichier PDF."})
    try:
        validate_pdf(data, settings.upload_max_bytes)
    except PdfRejected as rejected:
        return DocumentResult(False, rejected.message, {"file": rejected.message})
    old = document.file_path
    document.file_path = storage.save_bytes(settings, "documents", data)
    document.size_bytes = len(data)
    document.sha256 = hashlib.sha256(data).hexdigest()
    document.original_name = safe_attachment_name(filename or document.title)
    document.updated_at = now
    session.add(document)
    session.flush()
    audit.record(
        session,
        now,
        "admin.document_replaced",
        structure_id=structure_id,
        account_id=account_id,
        ip=ip,
        target=f"document:{document.id}",
    )
    # The old file goes once the row points elsewhere (the caller commits right after).
    storage.delete(settings, old)
    return DocumentResult(True, f"Le fichier de « {document.title} » a été remplacé.", document_id=document.id)


def set_published(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    document_id: int,
    published: bool,
    ip: str = "",
) -> DocumentResult:
    check_staff(session, structure_id, account_id)
    document = owned(session, Document, document_id, structure_id)
    if document.published != published:
        document.published = published
        document.published_at = now if published else document.published_at
        document.updated_at = now
        session.add(document)
        audit.record(
            session,
            now,
            "admin.document_published" if published else "admin.document_unpublished",
            structure_id=structure_id,
            account_id=account_id,
            ip=ip,
            target=f"document:{document.id}",
        )
    word = "publié : les familles le voient" if published else "retiré : les familles ne le voient plus"
    return DocumentResult(True, f"« {document.title} » {word}.", document_id=document.id)


def update_document(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    document_id: int,
    title: str,
    category: str,
    ip: str = "",
) -> DocumentResult:
    check_staff(session, structure_id, account_id)
    document = owned(session, Document, document_id, structure_id)
    title, category, errors = _validate(title, category)
    if errors:
        return DocumentResult(False, "Le document n'a pas été modifié : corrigez les champs signalés.", errors)
    changes = {
        k: [getattr(document, k), v] for k, v in (("title", title), ("category", category)) if getattr(document, k) != v
    }
    if changes:
        document.title, document.category, document.updated_at = title, category, now
        session.add(document)
        audit.record(
            session,
            now,
            "admin.document_updated",
            structure_id=structure_id,
            account_id=account_id,
            ip=ip,
            target=f"document:{document.id}",
            changes=changes,
        )
    return DocumentResult(True, f"« {title} » enregistré.", document_id=document.id)


def staff_document(session: Session, structure_id: int, account_id: int, document_id: int) -> Document:
    """Any document of the commune, published or not (the staff previews drafts)."""
    check_staff(session, structure_id, account_id)
    return owned(session, Document, document_id, structure_id)
