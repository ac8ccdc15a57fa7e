"""« Prestations »: the commune's services (days served, price from a date, active or not)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from cantine_portal.french import PARIS
from cantine_portal.services.backoffice import prestations as rules
from cantine_portal.services.backoffice.prestations import ServiceRow
from cantine_portal.usecases.backoffice.common import Outcome, StaffActor, change, read

__all__ = ["ServiceRow", "change_price", "create_service", "services_page", "update_service"]


def _rows(actor: StaffActor, now: datetime) -> Callable[[Session], list[ServiceRow]]:
    """The page's read: each service with the price in force today (Paris)."""

    def work(session: Session) -> list[ServiceRow]:
        return rules.list_services(session, actor.structure_id, actor.account_id, now.astimezone(PARIS).date())

    return work


def services_page(actor: StaffActor, *, now: datetime) -> list[ServiceRow]:
    return read(_rows(actor, now))


def create_service(
    actor: StaffActor, *, now: datetime, name: str, weekdays: list[int], price: str
) -> Outcome[list[ServiceRow]]:
    return change(
        lambda s: rules.create_service(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            name=name,
            weekdays=weekdays,
            price=price,
            ip=actor.ip,
        ),
        _rows(actor, now),
    )


def update_service(
    actor: StaffActor, *, now: datetime, service_id: int, name: str, weekdays: list[int], active: bool
) -> Outcome[list[ServiceRow]]:
    return change(
        lambda s: rules.update_service(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            service_id=service_id,
            name=name,
            weekdays=weekdays,
            active=active,
            ip=actor.ip,
        ),
        _rows(actor, now),
    )


def change_price(
    actor: StaffActor, *, now: datetime, service_id: int, price: str, valid_from: str
) -> Outcome[list[ServiceRow]]:
    """A new price from ``valid_from`` (reservations already made keep theirs)."""
    return change(
        lambda s: rules.change_price(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            service_id=service_id,
            price=price,
            valid_from=valid_from,
            ip=actor.ip,
        ),
        _rows(actor, now),
    )
