"""Back-office grid editor (Prestations): a service's QF grid from a date, its preview and its
« cantine à 1 € » verdict. A new grid never rewrites an older one; saving the same date again
replaces that future grid (it has not priced anything paid: a paid day keeps its frozen price)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from cantine_portal.french import PARIS, format_euros, format_numeric_date
from cantine_portal.models import PriceBracket, PriceGrid, Service, row_id
from cantine_portal.services.backoffice.access import check_staff, owned
from cantine_portal.services.pricing.editor import GridForm, claim_verdict, parse_grid, preview_sentence
from cantine_portal.services.pricing.grid import Grid, bracket_label, grid_at
from cantine_portal.services.pricing.tariffs import load_grids
from cantine_portal.services.shared import audit


@dataclass
class GridResult:
    ok: bool
    message: str
    errors: dict[str, str] = field(default_factory=dict)
    preview: str = ""
    verdict: str = ""


@dataclass(frozen=True)
class GridSummary:
    service_id: int
    valid_from: str
    lines: tuple[str, ...]  # « Tranche 1 — QF de 0 à 500 € : 1,00 € », « Extérieurs : 4,60 € »…
    verdict: str


def describe(grid: Grid) -> tuple[str, ...]:
    lines = [f"{bracket_label(i, b)} : {format_euros(b.price_cents)}" for i, b in enumerate(grid.brackets)]
    lines.append(f"Sans quotient familial connu : {format_euros(grid.no_qf_price_cents)}")
    if grid.outside_price_cents is not None:
        lines.append(f"Familles extérieures à la commune : {format_euros(grid.outside_price_cents)}")
    if grid.sibling_percent:
        lines.append(f"Réduction fratrie : {grid.sibling_percent} % à partir du {grid.sibling_from_rank}e enfant")
    return tuple(lines)


def grids_of(session: Session, structure_id: int, account_id: int) -> list[GridSummary]:
    """Every grid of the commune's services, newest first per service."""
    check_staff(session, structure_id, account_id)
    services = session.exec(select(Service.id).where(Service.structure_id == structure_id)).all()
    history = load_grids(session, [sid for sid in services if sid is not None])
    return [
        GridSummary(sid, format_numeric_date(g.valid_from), describe(g), claim_verdict(g)[1])
        for sid, grids in history.items()
        for g in reversed(grids)
    ]


def check_grid(form: GridForm, now: datetime, preview_qf: int = 640) -> GridResult:
    """The editor's « Vérifier »: errors by field, or the preview and the verdict (nothing saved)."""
    grid, errors = parse_grid(form, now.astimezone(PARIS).date())
    if grid is None:
        return GridResult(False, "La grille contient des erreurs : corrigez les champs signalés.", errors)
    return GridResult(
        True, "La grille est valide.", preview=preview_sentence(grid, preview_qf), verdict=claim_verdict(grid)[1]
    )


def save_grid(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    service_id: int,
    form: GridForm,
    ip: str = "",
) -> GridResult:
    """Save the grid from its date (today or later)."""
    check_staff(session, structure_id, account_id)
    service = owned(session, Service, service_id, structure_id)
    grid, errors = parse_grid(form, now.astimezone(PARIS).date())
    if grid is None:
        return GridResult(False, "La grille n'a pas été enregistrée : corrigez les champs signalés.", errors)
    same_day = session.exec(
        select(PriceGrid).where(PriceGrid.service_id == service_id, PriceGrid.valid_from == grid.valid_from)
    ).first()
    if same_day is not None:
        session.exec(delete(PriceBracket).where(col(PriceBracket.grid_id) == same_day.id))
        session.delete(same_day)
        session.flush()
    row = PriceGrid(
        structure_id=structure_id,
        service_id=service_id,
        valid_from=grid.valid_from,
        no_qf_price_cents=grid.no_qf_price_cents,
        outside_price_cents=grid.outside_price_cents,
        sibling_percent=grid.sibling_percent,
        sibling_from_rank=grid.sibling_from_rank,
        created_at=now,
        account_id=account_id,
    )
    session.add(row)
    session.flush()
    for position, b in enumerate(grid.brackets):
        session.add(
            PriceBracket(
                grid_id=row_id(row), position=position, min_qf=b.min_qf, max_qf=b.max_qf, price_cents=b.price_cents
            )
        )
    audit.record(
        session,
        now,
        "admin.grid_saved",
        structure_id=structure_id,
        account_id=account_id,
        target=f"service:{service_id}",
        ip=ip,
        valid_from=grid.valid_from,
        lines=list(describe(grid)),
    )
    return GridResult(
        True,
        f"Grille de « {service.name} » enregistrée à partir du {format_numeric_date(grid.valid_from)}.",
        preview=preview_sentence(grid, 640),
        verdict=claim_verdict(grid)[1],
    )


def grid_for_day(session: Session, service_id: int, day: date) -> Grid | None:
    return grid_at(load_grids(session, [service_id]).get(service_id, []), day)
