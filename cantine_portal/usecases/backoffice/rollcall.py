"""« Pointage »: the canteen's roll call, one use case per tap (services/rollcall/).

Every staff role opens it (``Area.RESTAURATION``). Each tap is its own short write transaction
(one row upserted), then the list is read again, so the tablet that tapped also sees what the
other tablets marked meanwhile; the page's periodic refresh is :func:`roll_call_sheet`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from cantine_portal.infra.db import get_database
from cantine_portal.services.backoffice.access import check_staff
from cantine_portal.services.backoffice.attendance import active_services
from cantine_portal.services.rollcall import billing, marks, settlement, sheet
from cantine_portal.services.rollcall.expected import ExpectedChild
from cantine_portal.services.rollcall.sheet import RollCallSheet, UnbookedPresence
from cantine_portal.usecases.backoffice.common import Download, ServiceChoice, StaffActor, read, write
from cantine_portal.usecases.outbox import write_and_mail

__all__ = [
    "ExpectedChild",
    "RollCallPage",
    "RollCallSheet",
    "Search",
    "TapOutcome",
    "UnbookedPresence",
    "UnbookedReport",
    "add_unbooked",
    "remove_unbooked",
    "roll_call_export",
    "roll_call_page",
    "roll_call_sheet",
    "search_children",
    "settle_absences",
    "settle_unbooked",
    "tap",
    "unbooked_report",
]


@dataclass(frozen=True)
class RollCallPage:
    services: list[ServiceChoice]  # the active ones
    day: date
    sheet: RollCallSheet | None  # the first service's list; None when the commune has none


@dataclass(frozen=True)
class TapOutcome:
    ok: bool
    message: str  # "" after a tap that went through
    sheet: RollCallSheet  # read after the tap: every tablet's marks


@dataclass(frozen=True)
class Search:
    message: str  # why nothing is listed ("" otherwise)
    children: list[ExpectedChild]


def paris_day(requested: str, now: datetime) -> date:
    """The day of the link (``?jour=``), else today in Paris: the roll call is taken on the day."""
    try:
        return date.fromisoformat(requested)
    except ValueError:
        return marks.paris_today(now)


def roll_call_page(actor: StaffActor, *, now: datetime, requested_day: str) -> RollCallPage:
    day = paris_day(requested_day, now)

    def work(session: Session) -> RollCallPage:
        services = [
            ServiceChoice(i, name) for i, name in active_services(session, actor.structure_id, actor.account_id)
        ]
        first = (
            sheet.roll_call(session, actor.structure_id, actor.account_id, services[0].id, day) if services else None
        )
        return RollCallPage(services, day, first)

    return read(work)


def roll_call_sheet(actor: StaffActor, *, day: date, service_id: int) -> RollCallSheet:
    """The list as it is now (a service or day chosen, or the page's periodic refresh)."""
    return read(lambda s: sheet.roll_call(s, actor.structure_id, actor.account_id, service_id, day))


def _then_sheet(result: marks.MarkResult, actor: StaffActor, day: date, service_id: int) -> TapOutcome:
    return TapOutcome(result.ok, result.message, roll_call_sheet(actor, day=day, service_id=service_id))


def tap(actor: StaffActor, *, now: datetime, day: date, service_id: int, child_id: int, status: str) -> TapOutcome:
    """One tap: ``child_id`` present or absent (the last tap on a child wins)."""
    result = write(
        lambda s: marks.record_mark(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            service_id=service_id,
            day=day,
            child_id=child_id,
            status=status,
        )
    )
    return _then_sheet(result, actor, day, service_id)


def add_unbooked(actor: StaffActor, *, now: datetime, day: date, service_id: int, child_id: int) -> TapOutcome:
    """A child found by the search, there without a reservation: marked « présent sans réservation »."""
    return tap(actor, now=now, day=day, service_id=service_id, child_id=child_id, status="present")


def remove_unbooked(actor: StaffActor, *, now: datetime, day: date, service_id: int, child_id: int) -> TapOutcome:
    result = write(
        lambda s: marks.remove_unbooked(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            service_id=service_id,
            day=day,
            child_id=child_id,
        )
    )
    return _then_sheet(result, actor, day, service_id)


def search_children(actor: StaffActor, *, text: str) -> Search:
    try:
        found = read(lambda s: marks.search_children(s, actor.structure_id, actor.account_id, text))
    except ValueError as short:
        return Search(str(short), [])
    return Search("" if found else "Aucun enfant de la commune ne porte ce nom.", found)


def roll_call_export(actor: StaffActor, *, day: date, service_id: int) -> Download:
    """The day's record as CSV (cells neutralised; no PAI notes)."""
    data = roll_call_sheet(actor, day=day, service_id=service_id)
    return Download(sheet.roll_call_csv(data), sheet.export_name(data), "text/csv")


@dataclass(frozen=True)
class UnbookedReport:
    rows: list[UnbookedPresence]
    rule: str  # the commune's rule for them, in words


def unbooked_report(actor: StaffActor, *, start: date, end: date) -> UnbookedReport:
    """The régie's list of « présents sans réservation » (administration only)."""

    def work(session: Session) -> UnbookedReport:
        rows = sheet.unbooked_presences(session, actor.structure_id, actor.account_id, start, end)
        structure = check_staff(session, actor.structure_id, actor.account_id)
        return UnbookedReport(rows, sheet.rules_of(structure)[0])

    return read(work)


def settle_absences(now: datetime) -> settlement.Settled:
    """The nightly task: past days' absences marked under the « avoir » rule become credits, once."""
    with get_database().write_session() as session:
        return settlement.settle_absences(session, now)


def settle_unbooked(now: datetime) -> billing.Billed:
    """The nightly task: past days' « présents sans réservation » marked under the billing rule are
    charged to the families' accounts, once; each family billed is told by e-mail (queued)."""
    return write_and_mail(now, lambda session, mailer: billing.settle_unbooked(session, now, None, mailer))
