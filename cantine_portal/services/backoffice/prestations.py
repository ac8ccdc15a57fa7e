"""Back-office « Prestations et tarifs »: services, weekdays served, prices from a date.

A price change is a new ``ServicePrice`` row in force from ``valid_from``; the history is never
rewritten, and reservations keep the ``price_cents`` frozen when they entered a basket, so a
paid day never changes amount. ``Service.unit_price_cents`` mirrors the price in force today.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from cantine_portal.french import PARIS, WEEKDAYS, format_euros
from cantine_portal.models import Service, ServicePrice, row_id
from cantine_portal.services.backoffice.access import NotAllowed, check_staff, owned
from cantine_portal.services.booking import queries as booking_queries
from cantine_portal.services.shared import audit
from cantine_portal.services.shared.money import parse_euros

MAX_PRICE_CENTS = 100_000


@dataclass
class ServiceRow:
    id: int
    name: str
    weekdays: list[int]
    weekdays_label: str
    price_label: str
    active: bool
    # (valid_from, price label) newest first; future ones included
    prices: list[tuple[date, str]]


@dataclass
class ServiceResult:
    ok: bool
    message: str
    errors: dict[str, str] = field(default_factory=dict)
    service_id: int | None = None


def parse_weekdays(text: str) -> list[int]:
    return sorted({int(p) for p in text.split(",") if p.strip().isdigit() and 0 <= int(p) <= 6})


def weekdays_label(days: list[int]) -> str:
    return ", ".join(WEEKDAYS[d] for d in days) or "aucun jour"


def price_on(session: Session, service_id: int, day: date) -> int | None:
    """The price in force on ``day`` (the booking rule: newest ServicePrice with valid_from <= day)."""
    service = session.get(Service, service_id)
    return booking_queries.price_on(session, service, day) if service is not None else None


def list_services(session: Session, structure_id: int, account_id: int, today: date | None = None) -> list[ServiceRow]:
    """The commune's services; with ``today``, the price shown is the one in force that day."""
    check_staff(session, structure_id, account_id)
    services = session.exec(
        select(Service).where(Service.structure_id == structure_id).order_by(col(Service.position), col(Service.id))
    ).all()
    rows = []
    for service in services:
        prices = session.exec(
            select(ServicePrice)
            .where(ServicePrice.service_id == service.id)
            .order_by(col(ServicePrice.valid_from).desc())
        ).all()
        days = parse_weekdays(service.weekdays)
        current = price_on(session, row_id(service), today) if today is not None else None
        rows.append(
            ServiceRow(
                row_id(service),
                service.name,
                days,
                weekdays_label(days),
                format_euros(service.unit_price_cents if current is None else current),
                service.active,
                [(p.valid_from, format_euros(p.price_cents)) for p in prices],
            )
        )
    return rows


def _validate(name: str, weekdays: list[int], price_text: str | None) -> tuple[int | None, dict[str, str]]:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Indiquez le nom de la prestation."
    elif len(name.strip()) > 120:
        errors["name"] = "120 caractères au maximum."
    if not weekdays or any(not 0 <= d <= 6 for d in weekdays):
        errors["weekdays"] = "Cochez au moins un jour de service."
    cents = None
    if price_text is not None:
        try:
            cents = parse_euros(price_text)
        except ValueError as error:
            errors["price"] = str(error)
        else:
            if cents > MAX_PRICE_CENTS:
                errors["price"] = "Ce tarif dépasse 1 000 € : vérifiez le montant."
    return cents, errors


def create_service(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    name: str,
    weekdays: list[int],
    price: str,
    ip: str = "",
) -> ServiceResult:
    check_staff(session, structure_id, account_id)
    cents, errors = _validate(name, weekdays, price)
    if errors or cents is None:
        return ServiceResult(False, "La prestation n'a pas été créée : corrigez les champs signalés.", errors)
    position = len(session.exec(select(Service.id).where(Service.structure_id == structure_id)).all())
    service = Service(
        structure_id=structure_id,
        name=name.strip(),
        unit_price_cents=cents,
        weekdays=",".join(str(d) for d in sorted(set(weekdays))),
        position=position,
    )
    session.add(service)
    session.flush()
    today = now.astimezone(PARIS).date()
    session.add(ServicePrice(service_id=row_id(service), valid_from=today, price_cents=cents, created_at=now))
    audit.record(
        session,
        now,
        "admin.service_created",
        structure_id=structure_id,
        account_id=account_id,
        target=f"service:{service.id}",
        ip=ip,
        name=service.name,
        price_cents=cents,
    )
    return ServiceResult(True, f"La prestation « {service.name} » a été créée.", service_id=service.id)


def update_service(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    service_id: int,
    name: str,
    weekdays: list[int],
    active: bool,
    ip: str = "",
) -> ServiceResult:
    check_staff(session, structure_id, account_id)
    service = owned(session, Service, service_id, structure_id)
    _cents, errors = _validate(name, weekdays, None)
    if errors:
        return ServiceResult(False, "La prestation n'a pas été modifiée : corrigez les champs signalés.", errors)
    changes = {}
    new = {"name": name.strip(), "weekdays": ",".join(str(d) for d in sorted(set(weekdays))), "active": bool(active)}
    for key, value in new.items():
        if getattr(service, key) != value:
            changes[key] = [getattr(service, key), value]
            setattr(service, key, value)
    if changes:
        session.add(service)
        audit.record(
            session,
            now,
            "admin.service_updated",
            structure_id=structure_id,
            account_id=account_id,
            target=f"service:{service.id}",
            ip=ip,
            changes=changes,
        )
    return ServiceResult(True, f"La prestation « {service.name} » a été enregistrée.", service_id=service.id)


def change_price(
    session: Session,
    now: datetime,
    *,
    structure_id: int,
    account_id: int,
    service_id: int,
    price: str,
    valid_from: date | str,
    ip: str = "",
) -> ServiceResult:
    """A new price from ``valid_from`` (today or later). Reservations already made keep theirs."""
    check_staff(session, structure_id, account_id)
    service = owned(session, Service, service_id, structure_id)
    cents, errors = _validate(service.name, parse_weekdays(service.weekdays) or [0], price)
    today = now.astimezone(PARIS).date()
    start = _effective_date(valid_from, today, errors)
    if errors or cents is None or start is None:
        return ServiceResult(False, "Le tarif n'a pas été modifié : corrigez les champs signalés.", errors)
    before = _store_price(session, now, service_id, start, cents)
    current = price_on(session, service_id, today)
    if current is not None:
        service.unit_price_cents = current
        session.add(service)
    audit.record(
        session,
        now,
        "admin.price_changed",
        structure_id=structure_id,
        account_id=account_id,
        target=f"service:{service.id}",
        ip=ip,
        valid_from=start,
        before_cents=before,
        after_cents=cents,
    )
    return ServiceResult(
        True,
        f"Nouveau tarif de « {service.name} » : {format_euros(cents)} à partir du {start:%d/%m/%Y}.",
        service_id=service.id,
    )


def _effective_date(valid_from: date | str, today: date, errors: dict[str, str]) -> date | None:
    """The date a new price takes effect, or None (with the reason in ``errors``): never in the past,
    so that what was booked at the old price keeps it."""
    start: date | None = None
    if isinstance(valid_from, date):
        start = valid_from
    else:
        try:
            start = date.fromisoformat(str(valid_from).strip())
        except ValueError:
            errors["valid_from"] = "Saisissez la date d'effet (jj/mm/aaaa)."
    if start is not None and start < today:
        errors["valid_from"] = "Un tarif s'applique à partir d'aujourd'hui au plus tôt : le passé ne change pas."
    return start


def _store_price(session: Session, now: datetime, service_id: int, start: date, cents: int) -> int | None:
    """Write the price from ``start`` (replacing one set for that same day) and return the one it
    replaces there, for the audit trail."""
    existing = session.exec(
        select(ServicePrice).where(ServicePrice.service_id == service_id, ServicePrice.valid_from == start)
    ).first()
    before: int | None
    if existing is not None:
        before = existing.price_cents
        existing.price_cents = cents
        session.add(existing)
    else:
        before = price_on(session, service_id, start)
        session.add(ServicePrice(service_id=service_id, valid_from=start, price_cents=cents, created_at=now))
    session.flush()
    return before


def refresh_current_prices(session: Session, structure_id: int, today: date) -> None:
    """Align ``unit_price_cents`` with the price in force today (a future price has started)."""
    for service in session.exec(select(Service).where(Service.structure_id == structure_id)).all():
        current = price_on(session, row_id(service), today)
        if current is not None and current != service.unit_price_cents:
            service.unit_price_cents = current
            session.add(service)


__all__ = [
    "NotAllowed",
    "ServiceResult",
    "ServiceRow",
    "change_price",
    "create_service",
    "list_services",
    "parse_weekdays",
    "price_on",
    "update_service",
    "weekdays_label",
]
