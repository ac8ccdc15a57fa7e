"""The demo communes: what `make run` shows and what the browser tests walk through.

Idempotent: a commune whose slug already exists is left untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlmodel import Session, select

from cantine_portal import french
from cantine_portal.config import Settings, get_settings
from cantine_portal.infra import storage
from cantine_portal.infra.images import generated_logo
from cantine_portal.infra.pdf.menus import default_demo_menus, render_menu_week
from cantine_portal.infra.pdf.reglement import render_reglement
from cantine_portal.models import (
    Account,
    AccountRole,
    Child,
    ClosedDay,
    Enrollment,
    Family,
    FamilyQuotient,
    Guardian,
    PriceBracket,
    PriceGrid,
    QuotientSource,
    Service,
    ServicePrice,
    Structure,
    row_id,
)
from cantine_portal.services.accounts.hashing import hash_password
from cantine_portal.services.content import documents
from cantine_portal.services.demo_data import (
    AUTREVILLE_COMMUNE,
    BERNARD_CHILDREN,
    BERNARD_EMAIL,
    BERNARD_GUARDIANS,
    BERNARD_PASSWORD,
    DEFAULT_DIETS,
    DEMO_BRACKETS,
    DEMO_COMMUNE,
    DURAND_CHILDREN,
    DURAND_EMAIL,
    DURAND_GUARDIANS,
    DURAND_QF,
    MARTIN_CHILDREN,
    MARTIN_EMAIL,
    MARTIN_GUARDIANS,
    MARTIN_PASSWORD,
    MARTIN_QF,
    STAFF_EMAIL,
    STAFF_PASSWORD,
)
from cantine_portal.services.shared import calendar

# The logins the tests import from here, and the diets the settings page offers by default.
__all__ = [
    "BERNARD_EMAIL",
    "BERNARD_PASSWORD",
    "DEFAULT_DIETS",
    "DURAND_EMAIL",
    "MARTIN_EMAIL",
    "MARTIN_PASSWORD",
    "STAFF_EMAIL",
    "STAFF_PASSWORD",
    "DemoReport",
    "load_demo",
    "school_year_start",
]


@cache
def _demo_hash(password: str) -> str:
    """Each demo password is hashed once per process (argon2id is slow on purpose)."""
    return hash_password(password)


@cache
def _reglement_pdf(commune_name: str) -> bytes:
    """Drawn once per process and commune: the test suite loads the demo about a hundred times."""
    return render_reglement(commune_name)


@cache
def _menu_pdf(commune_name: str, monday: date) -> bytes:
    """Drawn once per process, commune and week (same reason as ``_reglement_pdf``)."""
    return render_menu_week(commune_name, monday, default_demo_menus(monday))


@dataclass
class DemoReport:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def school_year_start(now: datetime) -> date:
    """1 September of the school year that contains ``now``."""
    year = now.year if now.month >= 9 else now.year - 1
    return date(year, 9, 1)


def _add_closed_days(session: Session, structure: Structure, now: datetime) -> None:
    start = school_year_start(now)
    years = [start.year, start.year + 1]
    days = calendar.french_public_holidays(years) + calendar.school_holiday_days(calendar.SCHOOL_HOLIDAYS)
    seen: set[date] = set()
    for closed in days:
        if closed.day in seen or not (start <= closed.day <= date(start.year + 1, 8, 31)):
            continue
        seen.add(closed.day)
        session.add(ClosedDay(structure_id=row_id(structure), day=closed.day, kind=closed.kind, reason=closed.reason))


def _add_service(
    session: Session, structure: Structure, name: str, cents: int, weekdays: str, position: int, valid_from: date
) -> Service:
    service = Service(
        structure_id=row_id(structure), name=name, unit_price_cents=cents, weekdays=weekdays, position=position
    )
    session.add(service)
    session.flush()
    session.add(
        ServicePrice(
            service_id=row_id(service), valid_from=valid_from, price_cents=cents, created_at=structure.created_at
        )
    )
    return service


def _add_grid(
    session: Session, structure: Structure, service: Service, valid_from: date, sibling_from_rank: int = 3
) -> None:
    grid = PriceGrid(
        structure_id=row_id(structure),
        service_id=row_id(service),
        valid_from=valid_from,
        no_qf_price_cents=385,
        outside_price_cents=460,
        sibling_percent=10,
        sibling_from_rank=sibling_from_rank,
        created_at=structure.created_at,
    )
    session.add(grid)
    session.flush()
    for position, (low, high, cents) in enumerate(DEMO_BRACKETS):
        session.add(PriceBracket(grid_id=row_id(grid), position=position, min_qf=low, max_qf=high, price_cents=cents))


def _add_quotient(session: Session, family: Family, qf: int, start: date, now: datetime) -> None:
    session.add(
        FamilyQuotient(
            structure_id=family.structure_id,
            family_id=row_id(family),
            qf_euros=qf,
            source=QuotientSource.CAF,
            valid_from=start,
            valid_to=date(start.year + 1, 8, 31),
            created_at=now,
        )
    )


def _add_family(
    session: Session,
    structure: Structure,
    now: datetime,
    name: str,
    guardians: list[dict[str, Any]],
    children: list[dict[str, Any]],
    services: list[Service],
    email: str,
    password: str | None,
) -> Family:
    """``guardians`` and ``children``: keyword arguments of the Guardian / Child rows (first guardian logs in)."""
    family = Family(structure_id=row_id(structure), name=name, reference=f"F-{name.upper()[:6]}", created_at=now)
    session.add(family)
    session.flush()
    guardian_rows: list[Guardian] = []
    for position, data in enumerate(guardians):
        guardian = Guardian(family_id=row_id(family), position=position, **data)
        session.add(guardian)
        session.flush()
        guardian_rows.append(guardian)
    for position, data in enumerate(children):
        child = Child(family_id=row_id(family), position=position, **data)
        session.add(child)
        session.flush()
        for service in services:
            session.add(Enrollment(child_id=row_id(child), service_id=row_id(service)))
    session.add(
        Account(
            structure_id=row_id(structure),
            role=AccountRole.PARENT,
            family_id=family.id,
            guardian_id=guardian_rows[0].id,
            email=email,
            password_hash=_demo_hash(password) if password else None,
            created_at=now,
            password_changed_at=now if password else None,
        )
    )
    return family


def _add_documents(session: Session, settings: Settings, structure: Structure, now: datetime, with_menu: bool) -> None:
    """Real PDFs, stored privately: this week's menu, the règlement, and an unpublished draft."""
    reglement = documents.add_document(
        session,
        settings,
        now,
        row_id(structure),
        title="Règlement intérieur de la restauration scolaire",
        category="Règlement",
        data=_reglement_pdf(structure.name),
        original_name="reglement-interieur.pdf",
    )
    # Published at the start of the school year: older than the weekly menu.
    start = school_year_start(now)
    reglement.published_at = datetime(start.year, start.month, start.day, 8, 0, tzinfo=french.PARIS)
    if not with_menu:
        return
    monday = now.astimezone(french.PARIS).date()
    monday -= timedelta(days=monday.weekday())
    documents.add_document(
        session,
        settings,
        now,
        row_id(structure),
        title=f"Menu de la semaine {french.format_date_range(monday, monday + timedelta(days=4))}",
        category="Menus",
        data=_menu_pdf(structure.name, monday),
        original_name=f"menu-{monday.isoformat()}.pdf",
    )
    next_monday = monday + timedelta(days=7)
    documents.add_document(
        session,
        settings,
        now,
        row_id(structure),
        title=f"Menu de la semaine {french.format_date_range(next_monday, next_monday + timedelta(days=4))}"
        " (brouillon)",
        category="Menus",
        data=_menu_pdf(structure.name, next_monday),
        original_name=f"menu-{next_monday.isoformat()}.pdf",
        published=False,
    )


def _add_logo(settings: Settings, structure: Structure, initials: str, *, round_shape: bool) -> None:
    """A generated PNG logo in the commune's colour, so the two demo communes look different."""
    structure.logo_path = storage.save_bytes(
        settings, "logos", generated_logo(initials, structure.primary_color, round_shape=round_shape), "png"
    )
    structure.logo_mime = "image/png"


def _add_commune(
    session: Session, now: datetime, settings: Settings, values: dict[str, Any], initials: str, *, round_shape: bool
) -> Structure:
    """The commune's row, with its generated logo."""
    structure = Structure(**values, created_at=now)
    _add_logo(settings, structure, initials, round_shape=round_shape)
    session.add(structure)
    session.flush()
    return structure


def _load_demo(session: Session, now: datetime, settings: Settings) -> None:
    """Ville de Démo: week periods, four services with a QF grid on the canteen, the Martin family
    (two guardians, two children, a password) and the Durand family (invited, no password yet), an agent."""
    structure = _add_commune(session, now, settings, DEMO_COMMUNE, "VD", round_shape=True)
    start = school_year_start(now)
    canteen = _add_service(session, structure, "Restauration scolaire", 385, "0,1,3,4", 0, start)
    morning = _add_service(session, structure, "Garderie du matin", 150, "0,1,3,4", 1, start)
    evening = _add_service(session, structure, "Garderie du soir", 210, "0,1,3,4", 2, start)
    _add_service(session, structure, "Accueil de loisirs du mercredi", 1200, "2", 3, start)
    _add_grid(session, structure, canteen, start)
    _add_closed_days(session, structure, now)
    martin = _add_family(
        session,
        structure,
        now,
        "Martin",
        guardians=MARTIN_GUARDIANS,
        children=MARTIN_CHILDREN,
        services=[canteen, morning, evening],
        email=MARTIN_EMAIL,
        password=MARTIN_PASSWORD,
    )
    _add_quotient(session, martin, MARTIN_QF, start, now)
    durand = _add_family(
        session,
        structure,
        now,
        "Durand",
        guardians=DURAND_GUARDIANS,
        children=DURAND_CHILDREN,
        services=[canteen, evening],
        email=DURAND_EMAIL,
        password=None,
    )
    _add_quotient(session, durand, DURAND_QF, start, now)
    session.add(
        Account(
            structure_id=row_id(structure),
            role=AccountRole.STAFF,
            email=STAFF_EMAIL,
            password_hash=_demo_hash(STAFF_PASSWORD),
            created_at=now,
            password_changed_at=now,
        )
    )
    _add_documents(session, settings, structure, now, with_menu=True)


def _load_autreville(session: Session, now: datetime, settings: Settings) -> None:
    """Autreville: month periods, the canteen only, the Bernard family; the second tenant the
    isolation tests look across."""
    structure = _add_commune(session, now, settings, AUTREVILLE_COMMUNE, "A", round_shape=False)
    start = school_year_start(now)
    canteen = _add_service(session, structure, "Restauration scolaire", 410, "0,1,3,4", 0, start)
    _add_closed_days(session, structure, now)
    _add_family(
        session,
        structure,
        now,
        "Bernard",
        guardians=BERNARD_GUARDIANS,
        children=BERNARD_CHILDREN,
        services=[canteen],
        email=BERNARD_EMAIL,
        password=BERNARD_PASSWORD,
    )
    _add_documents(session, settings, structure, now, with_menu=False)


DEMO_COMMUNES = {"demo": _load_demo, "autreville": _load_autreville}


def load_demo(session: Session, now: datetime, settings: Settings | None = None) -> DemoReport:
    """Create the demo communes that do not exist yet. The caller commits.

    Their documents are written under ``settings.storage_dir`` (the portal's settings by default).
    """
    settings = settings or get_settings()
    report = DemoReport()
    for slug, loader in DEMO_COMMUNES.items():
        if session.exec(select(Structure.id).where(Structure.slug == slug)).first() is not None:
            report.skipped.append(slug)
            continue
        loader(session, now, settings)
        session.flush()
        report.created.append(slug)
    return report
