"""« Documents »: the commune's PDFs (menus, rules…), drafts or published, and their files."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from cantine_portal.config import get_settings
from cantine_portal.infra import storage
from cantine_portal.services.backoffice import documents as rules
from cantine_portal.services.backoffice.documents import DocumentAdminRow
from cantine_portal.services.content.contact import size_label
from cantine_portal.services.content.documents import download_name
from cantine_portal.usecases.backoffice.common import Download, Outcome, StaffActor, change, read

__all__ = [
    "DocumentAdminRow",
    "DocumentsPage",
    "document_file",
    "documents_page",
    "replace_file",
    "set_published",
    "update_document",
    "upload_document",
    "upload_limit",
]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentsPage:
    rows: list[DocumentAdminRow]
    max_size_label: str  # "5 Mo"


def upload_limit() -> int:
    """How many bytes of an uploaded file are worth reading (one more tells it is too big)."""
    return get_settings().upload_max_bytes


def _rows(actor: StaffActor) -> Callable[[Session], list[DocumentAdminRow]]:
    return lambda s: rules.list_documents(s, actor.structure_id, actor.account_id)


def documents_page(actor: StaffActor) -> DocumentsPage:
    return DocumentsPage(read(_rows(actor)), size_label(get_settings()))


def upload_document(
    actor: StaffActor, *, now: datetime, title: str, category: str, data: bytes | None, filename: str, published: bool
) -> Outcome[list[DocumentAdminRow]]:
    """A new document (``data`` None: no single file was chosen); checked to be a real PDF."""
    settings = get_settings()
    return change(
        lambda s: rules.upload_document(
            s,
            settings,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            title=title,
            category=category,
            data=data,
            filename=filename,
            published=published,
            ip=actor.ip,
        ),
        _rows(actor),
    )


def replace_file(
    actor: StaffActor, *, now: datetime, document_id: int, data: bytes | None, filename: str
) -> Outcome[list[DocumentAdminRow]]:
    settings = get_settings()
    return change(
        lambda s: rules.replace_file(
            s,
            settings,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            document_id=document_id,
            data=data,
            filename=filename,
            ip=actor.ip,
        ),
        _rows(actor),
    )


def set_published(
    actor: StaffActor, *, now: datetime, document_id: int, published: bool
) -> Outcome[list[DocumentAdminRow]]:
    return change(
        lambda s: rules.set_published(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            document_id=document_id,
            published=published,
            ip=actor.ip,
        ),
        _rows(actor),
    )


def update_document(
    actor: StaffActor, *, now: datetime, document_id: int, title: str, category: str
) -> Outcome[list[DocumentAdminRow]]:
    return change(
        lambda s: rules.update_document(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            document_id=document_id,
            title=title,
            category=category,
            ip=actor.ip,
        ),
        _rows(actor),
    )


def document_file(actor: StaffActor, *, document_id: int) -> Download | None:
    """A document of the commune, drafts too (None when its file cannot be read)."""
    settings = get_settings()
    found = read(lambda s: rules.staff_document(s, actor.structure_id, actor.account_id, document_id))
    try:
        return Download(storage.read_bytes(settings, found.file_path), download_name(found), "application/pdf")
    except (storage.StorageError, OSError):
        log.warning("document %s: file unreadable", document_id, exc_info=True)
        return None
