"""Prices by family income in the back office: the grid editor (Prestations), the « Quotients
familiaux » page and the « Aide cantine à 1 € » claim with its CSV and PDF."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from cantine_portal.config import get_settings
from cantine_portal.french import PARIS
from cantine_portal.infra import storage
from cantine_portal.services.backoffice import grids as grid_rules
from cantine_portal.services.backoffice import prestations as services_rules
from cantine_portal.services.backoffice import qf_claim
from cantine_portal.services.backoffice import quotient_attestations as attestation_rules
from cantine_portal.services.backoffice import quotients as qf_rules
from cantine_portal.services.backoffice.access import check_staff
from cantine_portal.services.backoffice.grids import GridResult, GridSummary
from cantine_portal.services.backoffice.qf_claim import Claim, ClaimPeriod
from cantine_portal.services.backoffice.quotient_attestations import AttestationRow
from cantine_portal.services.backoffice.quotients import ExpiringRow, FamilyQuotientRow, QuotientInput
from cantine_portal.services.pricing.editor import BracketText, GridForm
from cantine_portal.services.pricing.grid import Grid
from cantine_portal.services.pricing.tariffs import load_grids
from cantine_portal.usecases.backoffice.common import Download, Outcome, ServiceChoice, StaffActor, change, read, write
from cantine_portal.usecases.errors import Refused

__all__ = [
    "BracketText",
    "Claim",
    "ClaimPeriod",
    "GridForm",
    "GridResult",
    "GridsPage",
    "QuotientInput",
    "QuotientsPage",
    "accept_attestation",
    "add_quotient",
    "attestation_file",
    "check_grid",
    "claim_export",
    "claim_page",
    "claim_periods",
    "grids_page",
    "import_quotients",
    "quotients_page",
    "refuse_attestation",
    "save_grid",
    "set_outside_commune",
]
BRACKET_ROWS = 6
CSV_MAX_BYTES = 1024 * 1024
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GridsPage:
    """The editor for one service: its history (newest first) and the form filled from the newest grid."""

    services: list[ServiceChoice]
    service_index: int
    history: list[GridSummary]
    values: dict[str, str]


def _cents_text(cents: int | None) -> str:
    return "" if cents is None else f"{cents // 100},{cents % 100:02d}"


def form_values(grid: Grid | None, today: date) -> dict[str, str]:
    """The editor's texts for ``grid`` (empty rows beyond its brackets), dated today."""
    values = {f"{k}_{i}": "" for i in range(BRACKET_ROWS) for k in ("min", "max", "price")}
    values.update(
        {
            "no_qf": "",
            "outside": "",
            "sibling_percent": "0",
            "sibling_from_rank": "2",
            "valid_from": today.isoformat(),
            "preview_qf": "640",
        }
    )
    if grid is None:
        values["min_0"] = "0"
        return values
    for i, b in enumerate(grid.brackets[:BRACKET_ROWS]):
        values.update(
            {
                f"min_{i}": str(b.min_qf),
                f"max_{i}": "" if b.max_qf is None else str(b.max_qf),
                f"price_{i}": _cents_text(b.price_cents),
            }
        )
    values.update(
        {
            "no_qf": _cents_text(grid.no_qf_price_cents),
            "outside": _cents_text(grid.outside_price_cents),
            "sibling_percent": str(grid.sibling_percent),
            "sibling_from_rank": str(grid.sibling_from_rank),
        }
    )
    return values


def grid_form(values: dict[str, str]) -> GridForm:
    """The typed texts as the rules read them: rows left entirely empty are not brackets."""
    rows = [
        BracketText(values.get(f"min_{i}", ""), values.get(f"max_{i}", ""), values.get(f"price_{i}", ""))
        for i in range(BRACKET_ROWS)
    ]
    while rows and not (rows[-1].min_qf.strip() or rows[-1].max_qf.strip() or rows[-1].price.strip()):
        rows.pop()
    return GridForm(
        tuple(rows),
        values.get("no_qf", ""),
        values.get("outside", ""),
        values.get("sibling_percent", ""),
        values.get("sibling_from_rank", ""),
        values.get("valid_from", ""),
    )


def _grids_page(actor: StaffActor, now: datetime, index: int) -> Callable[[Session], GridsPage]:
    def work(session: Session) -> GridsPage:
        services = [
            ServiceChoice(s.id, s.name)
            for s in services_rules.list_services(session, actor.structure_id, actor.account_id)
        ]
        if not services:
            return GridsPage([], 0, [], form_values(None, now.astimezone(PARIS).date()))
        chosen = services[index] if 0 <= index < len(services) else services[0]
        history = [
            g for g in grid_rules.grids_of(session, actor.structure_id, actor.account_id) if g.service_id == chosen.id
        ]
        newest = load_grids(session, [chosen.id]).get(chosen.id, [])
        return GridsPage(
            services,
            services.index(chosen),
            history,
            form_values(newest[-1] if newest else None, now.astimezone(PARIS).date()),
        )

    return work


def grids_page(actor: StaffActor, *, now: datetime, service_index: int = 0) -> GridsPage:
    return read(_grids_page(actor, now, service_index))


def check_grid(actor: StaffActor, *, now: datetime, values: dict[str, str]) -> GridResult:
    """« Vérifier »: the errors by field, or the preview for the typed QF and the verdict."""
    read(lambda s: check_staff(s, actor.structure_id, actor.account_id))
    qf_text = values.get("preview_qf", "").strip().replace(" ", "")
    if not qf_text.isdigit() or int(qf_text) > 100_000:
        return GridResult(
            False,
            "La grille n'a pas été vérifiée : corrigez les champs signalés.",
            {"preview_qf": "Un quotient familial en euros entiers (ex. 640)."},
        )
    return grid_rules.check_grid(grid_form(values), now, int(qf_text))


def save_grid(
    actor: StaffActor, *, now: datetime, service_id: int, service_index: int, values: dict[str, str]
) -> Outcome[GridsPage]:
    return change(
        lambda s: grid_rules.save_grid(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            service_id=service_id,
            form=grid_form(values),
            ip=actor.ip,
        ),
        _grids_page(actor, now, service_index),
    )


@dataclass(frozen=True)
class QuotientsPage:
    families: list[FamilyQuotientRow]
    attestations: list[AttestationRow]
    expiring: list[ExpiringRow]


def _quotients_page(actor: StaffActor, now: datetime) -> Callable[[Session], QuotientsPage]:
    today = now.astimezone(PARIS).date()
    return lambda s: QuotientsPage(
        qf_rules.family_rows(s, actor.structure_id, actor.account_id, today),
        attestation_rules.pending_attestations(s, actor.structure_id, actor.account_id),
        qf_rules.expiring(s, actor.structure_id, actor.account_id, today),
    )


def quotients_page(actor: StaffActor, *, now: datetime) -> QuotientsPage:
    return read(_quotients_page(actor, now))


def add_quotient(actor: StaffActor, *, now: datetime, family_id: int, data: QuotientInput) -> Outcome[QuotientsPage]:
    return change(
        lambda s: qf_rules.add_quotient(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            family_id=family_id,
            data=data,
            ip=actor.ip,
        ),
        _quotients_page(actor, now),
    )


@dataclass(frozen=True)
class ImportOutcome:
    ok: bool
    messages: list[str]
    page: QuotientsPage | None


def import_quotients(actor: StaffActor, *, now: datetime, data: bytes) -> ImportOutcome:
    """Every line of the CSV in one transaction, or none (each bad line reported)."""
    if len(data) > CSV_MAX_BYTES:
        return ImportOutcome(False, ["Le fichier dépasse 1 Mo : découpez-le."], None)
    ok, messages = write(
        lambda s: qf_rules.import_quotients(
            s, now, structure_id=actor.structure_id, account_id=actor.account_id, data=data, ip=actor.ip
        )
    )
    return ImportOutcome(ok, messages, read(_quotients_page(actor, now)) if ok else None)


def accept_attestation(
    actor: StaffActor, *, now: datetime, document_id: int, data: QuotientInput
) -> Outcome[QuotientsPage]:
    return change(
        lambda s: attestation_rules.accept_attestation(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            document_id=document_id,
            data=data,
            ip=actor.ip,
        ),
        _quotients_page(actor, now),
    )


def refuse_attestation(actor: StaffActor, *, now: datetime, document_id: int, message: str) -> Outcome[QuotientsPage]:
    """Refused with ``message``, e-mailed to the family's parents."""
    settings = get_settings()
    return change(
        lambda s: attestation_rules.refuse_attestation(
            s,
            settings,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            document_id=document_id,
            message=message,
            ip=actor.ip,
        ),
        _quotients_page(actor, now),
    )


def set_outside_commune(
    actor: StaffActor, *, now: datetime, family_id: int, outside: bool | None
) -> Outcome[QuotientsPage]:
    return change(
        lambda s: qf_rules.set_outside_commune(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            family_id=family_id,
            outside=outside,
            ip=actor.ip,
        ),
        _quotients_page(actor, now),
    )


def attestation_file(actor: StaffActor, *, document_id: int) -> Download | None:
    """The attestation a family sent, for the staff to read (None when it cannot be read)."""
    document = read(lambda s: attestation_rules.attestation_of(s, actor.structure_id, actor.account_id, document_id))
    try:
        data = storage.read_bytes(get_settings(), document.path)
    except (storage.StorageError, OSError):
        log.warning("quotient document %s: file unreadable", document_id, exc_info=True)
        return None
    if document.media_type == "application/pdf":
        return Download(data, f"attestation-qf-{document_id}.pdf", "application/pdf")
    suffix = "png" if document.media_type == "image/png" else "jpg"
    return Download(data, f"attestation-qf-{document_id}.{suffix}", document.media_type)


def claim_periods(now: datetime) -> list[ClaimPeriod]:
    """The four-month periods the claim page offers, the current one first."""
    return qf_claim.recent_periods(now.astimezone(PARIS).date())


def claim_page(
    actor: StaffActor, *, service_index: int, period: str, egalim: bool
) -> tuple[list[ServiceChoice], Claim | None]:
    """The commune's services and, for the chosen one, the claim's figures (None without a service)."""
    chosen = ClaimPeriod.parse(period)
    if chosen is None:
        raise Refused()

    def work(session: Session) -> tuple[list[ServiceChoice], Claim | None]:
        services = [
            ServiceChoice(s.id, s.name)
            for s in services_rules.list_services(session, actor.structure_id, actor.account_id)
        ]
        if not services:
            return services, None
        service = services[service_index] if 0 <= service_index < len(services) else services[0]
        return services, qf_claim.claim(session, actor.structure_id, actor.account_id, service.id, chosen, egalim)

    return read(work)


def claim_export(
    actor: StaffActor, *, now: datetime, service_id: int, period: str, egalim: bool, kind: str
) -> Download:
    """The claim as CSV or PDF (the numbers of the page, from the paid reservations)."""
    chosen = ClaimPeriod.parse(period)
    if chosen is None:
        raise Refused()

    def work(session: Session) -> tuple[Claim, str]:
        structure = check_staff(session, actor.structure_id, actor.account_id)
        return qf_claim.claim(session, actor.structure_id, actor.account_id, service_id, chosen, egalim), structure.name

    data, commune = read(work)
    if kind == "pdf":
        return Download(qf_claim.claim_pdf(data, commune, now), qf_claim.export_name(data, "pdf"), "application/pdf")
    return Download(qf_claim.claim_csv(data), qf_claim.export_name(data, "csv"), "text/csv")
