"""« Calendrier »: public and school holidays, exceptional closures (with their refunds), removals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from cantine_portal.french import PARIS
from cantine_portal.services.backoffice import calendar as rules
from cantine_portal.services.backoffice import closures, holidays
from cantine_portal.services.backoffice import prestations as services_rules
from cantine_portal.services.backoffice.calendar import ClosedPeriod
from cantine_portal.usecases.backoffice.common import Outcome, ServiceChoice, StaffActor, change, change_and_mail, read

MSG_CONFIRM = "Cochez pour confirmer l'annulation des réservations payées."


@dataclass(frozen=True)
class CalendarPage:
    school_year: str  # "2026-2027"
    periods: list[ClosedPeriod]  # this school year and the next
    services: list[ServiceChoice]  # active ones, for a closure of one service


def _page(actor: StaffActor, now: datetime) -> Callable[[Session], CalendarPage]:
    first, last = rules.school_year_bounds(now.astimezone(PARIS).date())

    def work(session: Session) -> CalendarPage:
        periods = rules.list_closed_periods(
            session, actor.structure_id, actor.account_id, first, last + timedelta(days=365)
        )
        services = services_rules.list_services(session, actor.structure_id, actor.account_id)
        return CalendarPage(
            f"{first.year}-{last.year}", periods, [ServiceChoice(s.id, s.name) for s in services if s.active]
        )

    return work


def calendar_page(actor: StaffActor, *, now: datetime) -> CalendarPage:
    return read(_page(actor, now))


def add_public_holidays(actor: StaffActor, *, now: datetime) -> Outcome[CalendarPage]:
    return change(
        lambda s: holidays.add_public_holidays(
            s, now, structure_id=actor.structure_id, account_id=actor.account_id, ip=actor.ip
        ),
        _page(actor, now),
    )


def add_school_holidays(
    actor: StaffActor, *, now: datetime, label: str, first: str, last: str
) -> Outcome[CalendarPage]:
    return change(
        lambda s: holidays.add_school_holidays(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            label=label,
            first=first,
            last=last,
            ip=actor.ip,
        ),
        _page(actor, now),
    )


def close_day(
    actor: StaffActor, *, now: datetime, day: str, service_id: int | None, reason: str, confirmed: bool
) -> Outcome[CalendarPage]:
    """An exceptional closure. Paid days are cancelled and credited: unless ``confirmed``, say how
    many first (nothing written) and ask for the confirmation tick."""
    if not confirmed:
        impact = read(
            lambda s: closures.closure_impact(
                s, structure_id=actor.structure_id, account_id=actor.account_id, day=day, service_id=service_id
            )
        )
        if impact is not None and impact.paid:
            return Outcome(
                False,
                f"Ce jour compte {impact.paid} réservation(s) payée(s) ({impact.families} "
                "famille(s)) : elles seront annulées et remboursées en avoir, et les familles "
                "prévenues par e-mail. Cochez la confirmation puis validez à nouveau.",
                {"confirm": MSG_CONFIRM},
            )
    return change_and_mail(
        now,
        lambda s, mailer: closures.close_day(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            day=day,
            service_id=service_id,
            reason=reason,
            mailer=mailer,
            ip=actor.ip,
        ),
        _page(actor, now),
    )


def delete_closed_days(actor: StaffActor, *, now: datetime, closed_day_ids: list[int]) -> Outcome[CalendarPage]:
    """Remove closed days entered by mistake (one line of the page: a run of days)."""
    return change(
        lambda s: rules.delete_closed_days(
            s,
            now,
            structure_id=actor.structure_id,
            account_id=actor.account_id,
            closed_day_ids=closed_day_ids,
            ip=actor.ip,
        ),
        _page(actor, now),
    )
