"""The back office's HTTP downloads: CSV template, attendance CSV/PDF, documents (drafts too),
message attachments, payments CSV, the régie's journal (CSV, PDF), QF attestations sent by parents,
the « cantine à 1 € » claim (CSV/PDF), the medical certificates of sick-day absences.

Each one resolves the staff cookie ``cp_staff_{slug}`` itself (a plain GET from a link or a new
tab) through ``identity.staff_by_session`` (a live STAFF session of this commune, checked in the
database), then makes one use-case call whose services re-check every id. Any refusal is the same
empty 404, never a hint.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cantine_portal import clock
from cantine_portal.api.files import PRIVATE_HEADERS, not_found, pdf_response
from cantine_portal.infra.http import staff_cookie_name
from cantine_portal.services.shared.validation import parse_id
from cantine_portal.usecases.backoffice import absences as absence_cases
from cantine_portal.usecases.backoffice import attendance as attendance_cases
from cantine_portal.usecases.backoffice import documents as document_cases
from cantine_portal.usecases.backoffice import families as family_cases
from cantine_portal.usecases.backoffice import messages as message_cases
from cantine_portal.usecases.backoffice import payments as payment_cases
from cantine_portal.usecases.backoffice import pricing as pricing_cases
from cantine_portal.usecases.backoffice import regie as regie_cases
from cantine_portal.usecases.backoffice.common import Download, StaffActor
from cantine_portal.usecases.errors import Refused
from cantine_portal.usecases.identity import commune_by_slug, staff_by_session


def csv_response(data: bytes, filename: str) -> Response:
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={**PRIVATE_HEADERS, "content-disposition": f'attachment; filename="{filename}"'},
    )


def _actor(slug: str, token: str | None) -> StaffActor | None:
    """The staff member behind the cookie, in the commune of the URL (None: not logged in as staff)."""
    commune = commune_by_slug(slug)
    if commune is None or not token:
        return None
    staff = staff_by_session(commune.structure_id, token, clock.now())
    return None if staff is None else StaffActor(staff.structure_id, staff.account_id)


async def _serve(request: Request, produce: Callable[[StaffActor], Download | None]) -> Response:
    slug = str(request.path_params["slug"]).lower()
    token = request.cookies.get(staff_cookie_name(slug))

    def work() -> Download | None:
        actor = _actor(slug, token)
        if actor is None:
            return None
        try:
            return produce(actor)
        except (Refused, ValueError):  # another commune's id, a forged or unreadable parameter
            return None

    result = await run_in_threadpool(work)
    if result is None:
        return not_found()
    if result.media_type == "application/pdf":
        return pdf_response(result.data, result.filename, download=request.query_params.get("telecharger") == "1")
    if result.media_type.startswith("image/"):
        return Response(
            result.data,
            media_type=result.media_type,
            headers={**PRIVATE_HEADERS, "content-disposition": f'inline; filename="{result.filename}"'},
        )
    return csv_response(result.data, result.filename)


def _int(value: object) -> int:
    """A database id from the URL; anything else (text, 0, past 2^63-1) ends in the same 404."""
    found = parse_id(value)
    if found is None:
        raise ValueError("identifiant")
    return found


async def import_template(request: Request) -> Response:
    return await _serve(request, lambda actor: family_cases.import_template())


def _attendance(request: Request, kind: str) -> Callable[[StaffActor], Download]:
    def produce(actor: StaffActor) -> Download:
        return attendance_cases.attendance_export(
            actor,
            now=clock.now(),
            day=date.fromisoformat(request.query_params.get("jour", "")),
            service_id=_int(request.query_params.get("prestation", "")),
            kind=kind,
        )

    return produce


async def attendance_csv(request: Request) -> Response:
    return await _serve(request, _attendance(request, "csv"))


async def attendance_pdf(request: Request) -> Response:
    return await _serve(request, _attendance(request, "pdf"))


async def document(request: Request) -> Response:
    return await _serve(
        request, lambda actor: document_cases.document_file(actor, document_id=_int(request.path_params["document_id"]))
    )


async def message_attachment(request: Request) -> Response:
    return await _serve(
        request, lambda actor: message_cases.attachment_file(actor, message_id=_int(request.path_params["message_id"]))
    )


async def payments_export(request: Request) -> Response:
    return await _serve(
        request,
        lambda actor: payment_cases.payments_csv(
            actor, month=request.query_params.get("mois", ""), provider=request.query_params.get("moyen", "")
        ),
    )


def _journal(request: Request, kind: str) -> Callable[[StaffActor], Download]:
    """The régie's journal of ``?periode=day|month&jour=YYYY-MM-DD`` as CSV or PDF."""

    def produce(actor: StaffActor) -> Download:
        period = request.query_params.get("periode", "")
        if period not in ("day", "month"):
            raise ValueError("période")
        day = date.fromisoformat(request.query_params.get("jour", ""))
        if kind == "csv":
            return regie_cases.journal_csv(actor, kind=period, day=day)
        return regie_cases.journal_pdf(actor, kind=period, day=day, now=clock.now())

    return produce


async def journal_csv(request: Request) -> Response:
    return await _serve(request, _journal(request, "csv"))


async def journal_pdf(request: Request) -> Response:
    return await _serve(request, _journal(request, "pdf"))


async def quotient_attestation(request: Request) -> Response:
    return await _serve(
        request,
        lambda actor: pricing_cases.attestation_file(actor, document_id=_int(request.path_params["document_id"])),
    )


async def absence_certificate(request: Request) -> Response:
    return await _serve(
        request,
        lambda actor: absence_cases.certificate_file(actor, absence_id=_int(request.path_params["absence_id"])),
    )


def _claim(request: Request, kind: str) -> Callable[[StaffActor], Download]:
    def produce(actor: StaffActor) -> Download:
        return pricing_cases.claim_export(
            actor,
            now=clock.now(),
            service_id=_int(request.query_params.get("prestation", "")),
            period=request.query_params.get("periode", ""),
            egalim=request.query_params.get("egalim") == "1",
            kind=kind,
        )

    return produce


async def claim_csv(request: Request) -> Response:
    return await _serve(request, _claim(request, "csv"))


async def claim_pdf(request: Request) -> Response:
    return await _serve(request, _claim(request, "pdf"))


routes = [
    Route("/api/{slug}/admin/modele-import-familles.csv", import_template, methods=["GET"]),
    Route("/api/{slug}/admin/effectifs.csv", attendance_csv, methods=["GET"]),
    Route("/api/{slug}/admin/effectifs.pdf", attendance_pdf, methods=["GET"]),
    Route("/api/{slug}/admin/documents/{document_id}", document, methods=["GET"]),
    Route("/api/{slug}/admin/messages/{message_id}/piece-jointe", message_attachment, methods=["GET"]),
    Route("/api/{slug}/admin/paiements.csv", payments_export, methods=["GET"]),
    Route("/api/{slug}/admin/quotients/attestations/{document_id}", quotient_attestation, methods=["GET"]),
    Route("/api/{slug}/admin/absences/{absence_id}/certificat", absence_certificate, methods=["GET"]),
    Route("/api/{slug}/admin/aide-cantine-1-euro.csv", claim_csv, methods=["GET"]),
    Route("/api/{slug}/admin/aide-cantine-1-euro.pdf", claim_pdf, methods=["GET"]),
    Route("/api/{slug}/admin/journal.csv", journal_csv, methods=["GET"]),
    Route("/api/{slug}/admin/journal.pdf", journal_pdf, methods=["GET"]),
]
