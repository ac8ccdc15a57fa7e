"""Closing a day or a month of the régie's journal.

Only a period that is over can be closed (every movement is dated when it is recorded, so a
period over receives nothing new). The closure freezes the journal's totals (JSON) and a
SHA-256 over them; reading a closed period compares the journal computed now with them, so any
edit of the underlying records shows as a discrepancy instead of silently changing the books.
Corrections are new movements, dated the day they are made (a rejection, a refund…).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cantine_portal.french import PARIS, format_long_date, format_month_year
from cantine_portal.models import JournalClosure, row_id
from cantine_portal.services.backoffice.access import check_staff
from cantine_portal.services.regie.errors import RegieError
from cantine_portal.services.regie.journal import Journal, build_journal, month_bounds
from cantine_portal.services.shared import audit


def frozen_totals(journal: Journal) -> dict[str, object]:
    return {
        "totals": journal.totals,
        "net": journal.net_cents,
        "credits_issued": journal.credits_issued_cents,
        "credits_used": journal.credits_used_cents,
        "credit_totals": journal.credit_totals,
        "receipts": journal.receipts_count,
        "receipts_cents": journal.receipts_cents,
        "movements": len(journal.movements),
    }


def digest(totals: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(totals, sort_keys=True).encode()).hexdigest()


def period(kind: str, day: date) -> tuple[date, date]:
    if kind == "day":
        return day, day
    if kind == "month":
        return month_bounds(day)
    raise RegieError("Période inconnue.")


def closure_of(session: Session, structure_id: int, kind: str, first_day: date) -> JournalClosure | None:
    return session.exec(
        select(JournalClosure).where(
            JournalClosure.structure_id == structure_id,
            JournalClosure.kind == kind,
            JournalClosure.first_day == first_day,
        )
    ).first()


def closed_covering(session: Session, structure_id: int, day: date) -> JournalClosure | None:
    """The closure (a day or its month) that makes ``day`` read-only, if any."""
    return session.exec(
        select(JournalClosure)
        .where(
            JournalClosure.structure_id == structure_id,
            col(JournalClosure.first_day) <= day,
            col(JournalClosure.last_day) >= day,
        )
        .order_by(col(JournalClosure.first_day))
    ).first()


@dataclass(frozen=True)
class ClosureResult:
    closure_id: int
    message: str


def close_period(
    session: Session, now: datetime, structure_id: int, staff_id: int, kind: str, day: date
) -> ClosureResult:
    """Close the day (or the month) containing ``day``; refused while it is not over, or twice."""
    check_staff(session, structure_id, staff_id)
    first, last = period(kind, day)
    if last >= now.astimezone(PARIS).date():
        raise RegieError("Une période ne peut être clôturée qu'une fois terminée.")
    what = format_long_date(first) if kind == "day" else format_month_year(first.year, first.month)
    if closure_of(session, structure_id, kind, first) is not None:
        raise RegieError(f"La période ({what}) est déjà clôturée.")
    totals = frozen_totals(build_journal(session, structure_id, first, last))
    closure = JournalClosure(
        structure_id=structure_id,
        kind=kind,
        first_day=first,
        last_day=last,
        totals=json.dumps(totals, sort_keys=True),
        digest=digest(totals),
        closed_by=staff_id,
        closed_at=now,
    )
    try:
        with session.begin_nested():
            session.add(closure)
    except IntegrityError:
        raise RegieError(f"La période ({what}) est déjà clôturée.") from None
    audit.record(
        session,
        now,
        "regie.closed",
        structure_id=structure_id,
        account_id=staff_id,
        target=f"{kind}:{first.isoformat()}",
        net_cents=totals["net"],
    )
    return ClosureResult(row_id(closure), f"Journal clôturé : {what}.")


def check_closure(session: Session, closure: JournalClosure) -> bool:
    """True when the records still give the totals frozen at closing (nothing was edited)."""
    current = frozen_totals(build_journal(session, closure.structure_id, closure.first_day, closure.last_day))
    # A closure frozen before a figure was added to the frozen totals (``credit_totals``) is
    # compared on the figures it froze.
    frozen = json.loads(closure.totals or "{}")
    return digest({key: value for key, value in current.items() if key in frozen}) == closure.digest
