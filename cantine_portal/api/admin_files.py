"""The back office's HTTP downloads: CSV template, attendance CSV/PDF, documents (drafts too),
message attachments, payments CSV.

Each one resolves the staff cookie ``cp_staff_{slug}`` itself (a plain GET from a link or a new
tab), checks in the database that it is a live STAFF session of this commune, then lets the
service re-check every id. Any refusal is the same empty 404, never a hint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cantine_portal import clock
from cantine_portal.api.files import PRIVATE_HEADERS, not_found, pdf_response
from cantine_portal.api.session_routes import staff_cookie_name
from cantine_portal.config import Settings, get_settings
from cantine_portal.infra.db import get_database
from cantine_portal.models import Structure
from cantine_portal.services.backoffice import documents as admin_documents
from cantine_portal.services.backoffice import messages as admin_messages
from cantine_portal.services.backoffice import payments as admin_payments
from cantine_portal.services.backoffice import attendance
from cantine_portal.services.backoffice import csv_import
from cantine_portal.infra import storage
from cantine_portal.services.accounts.login import resolve_session
from cantine_portal.services.backoffice.access import NotAllowed, check_staff
from cantine_portal.services.content.documents import download_name
from cantine_portal.services.shared.tenants import structure_by_slug
from cantine_portal.services.shared.validation import parse_id


@dataclass(frozen=True)
class Staff:
    structure: Structure
    account_id: int


@dataclass(frozen=True)
class Download:
    data: bytes
    filename: str
    media_type: str


def csv_response(data: bytes, filename: str) -> Response:
    return Response(data, media_type="text/csv; charset=utf-8", headers={
        **PRIVATE_HEADERS, "content-disposition": f'attachment; filename="{filename}"'})


def _staff(session: Session, settings: Settings, slug: str, token: str | None) -> Staff | None:
    structure = structure_by_slug(session, slug)
    if structure is None or not token:
        return None
    info = resolve_session(session, clock.now(), structure.id, token, timedelta(minutes=settings.session_minutes),
                           lifetime=timedelta(hours=settings.session_max_hours))
    if info is None or info.role != "staff":
        return None
    check_staff(session, structure.id, info.account_id)
    return Staff(structure, info.account_id)


async def _serve(request: Request, produce: Callable[[Session, Settings, Staff], Download | None]) -> Response:
    slug = str(request.path_params["slug"]).lower()
    token = request.cookies.get(staff_cookie_name(slug))
    settings = get_settings()

    def work() -> Download | None:
        with get_database().session() as session:
            try:
                staff = _staff(session, settings, slug, token)
                if staff is None:
                    return None
                return produce(session, settings, staff)
            except (NotAllowed, ValueError, storage.StorageError, OSError):
                return None

    result = await run_in_threadpool(work)
    if result is None:
        return not_found()
    if result.media_type == "application/pdf":
        return pdf_response(result.data, result.filename, download=request.query_params.get("telecharger") == "1")
    return csv_response(result.data, result.filename)


def _int(value: object) -> int:
    """A database id from the URL; anything else (text, 0, past 2^63-1) ends in the same 404."""
    found = parse_id(value)
    if found is None:
        raise ValueError("identifiant")
    return found


async def import_template(request: Request) -> Response:
    return await _serve(request, lambda s, st, staff: Download(csv_import.template_csv(), "modele-import-familles.csv",
                                                               "text/csv"))


def _attendance(request: Request, session: Session, staff: Staff) -> attendance.Attendance:
    day = date.fromisoformat(request.query_params.get("jour", ""))
    service_id = _int(request.query_params.get("prestation", ""))
    return attendance.attendance(session, staff.structure.id, staff.account_id, day, service_id)


async def attendance_csv(request: Request) -> Response:
    def produce(session: Session, settings: Settings, staff: Staff) -> Download:
        data = _attendance(request, session, staff)
        return Download(attendance.attendance_csv(data), attendance.export_name(data, "csv"), "text/csv")
    return await _serve(request, produce)


async def attendance_pdf(request: Request) -> Response:
    def produce(session: Session, settings: Settings, staff: Staff) -> Download:
        data = _attendance(request, session, staff)
        return Download(attendance.attendance_pdf(data, staff.structure.name, clock.now()),
                        attendance.export_name(data, "pdf"), "application/pdf")
    return await _serve(request, produce)


async def document(request: Request) -> Response:
    def produce(session: Session, settings: Settings, staff: Staff) -> Download:
        found = admin_documents.staff_document(session, staff.structure.id, staff.account_id,
                                               _int(request.path_params["document_id"]))
        return Download(storage.read_bytes(settings, found.file_path), download_name(found), "application/pdf")
    return await _serve(request, produce)


async def message_attachment(request: Request) -> Response:
    def produce(session: Session, settings: Settings, staff: Staff) -> Download | None:
        message = admin_messages.attachment_of(session, staff.structure.id, staff.account_id,
                                               _int(request.path_params["message_id"]))
        if not message.attachment_path:
            return None
        return Download(storage.read_bytes(settings, message.attachment_path),
                        message.attachment_name or "piece-jointe.pdf", "application/pdf")
    return await _serve(request, produce)


async def payments_export(request: Request) -> Response:
    def produce(session: Session, settings: Settings, staff: Staff) -> Download:
        month = request.query_params.get("mois", "")
        if month and not (len(month) == 7 and month[4] == "-" and month.replace("-", "").isdigit()):
            raise ValueError("mois")
        report = admin_payments.payments_report(session, staff.structure.id, staff.account_id, month)
        return Download(admin_payments.payments_csv(report), f"paiements-{month or 'tous'}.csv", "text/csv")
    return await _serve(request, produce)


routes = [
    Route("/api/{slug}/admin/modele-import-familles.csv", import_template, methods=["GET"]),
    Route("/api/{slug}/admin/effectifs.csv", attendance_csv, methods=["GET"]),
    Route("/api/{slug}/admin/effectifs.pdf", attendance_pdf, methods=["GET"]),
    Route("/api/{slug}/admin/documents/{document_id}", document, methods=["GET"]),
    Route("/api/{slug}/admin/messages/{message_id}/piece-jointe", message_attachment, methods=["GET"]),
    Route("/api/{slug}/admin/paiements.csv", payments_export, methods=["GET"]),
]
