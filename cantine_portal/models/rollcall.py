"""The canteen's roll call (pointage): who was actually there, child by child, service and day."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from cantine_portal.models.base import utc_field


class MarkStatus(StrEnum):
    """RollCallMark.status, stored as these strings."""

    PRESENT = "present"
    ABSENT = "absent"


class UnbookedRule(StrEnum):
    """Structure.rollcall_unbooked_rule: what a child « présent sans réservation » costs."""

    REPORT = "report"  # listed for the régie, not billed
    BILL = "bill"  # billed to the family's account (a debt to the régie) the night after the day, once


class AbsentRule(StrEnum):
    """Structure.rollcall_absent_rule: what an absence seen at the roll call does to a paid day."""

    PAID = "paid"  # the prepaid rule: the day stays paid (a certificate goes through the régie)
    CREDIT = "credit"  # the day becomes a credit (avoir) once the day is over, once


class RollCallMark(SQLModel, table=True):
    """One child's mark for one service on one day: the last tap wins.

    One row per (service, day, child), enforced by the database: every tap is a single-row upsert
    (services/rollcall/marks.py), so two tablets marking the same list never lose a tap nor touch
    another child's row. ``reservation_id`` is the paid reservation the child was expected by;
    None for a child « présent sans réservation ».
    """

    __table_args__ = (UniqueConstraint("service_id", "day", "child_id"),)

    id: int | None = Field(default=None, primary_key=True)
    structure_id: int = Field(foreign_key="structure.id", index=True)
    service_id: int = Field(foreign_key="service.id")
    day: date = Field(index=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    status: str = Field(max_length=10)
    reservation_id: int | None = Field(default=None, foreign_key="reservation.id")
    marked_by: int = Field(foreign_key="account.id")
    marked_at: datetime = utc_field()
    # Absent while the commune's rule was AbsentRule.CREDIT: the night after the day, its paid
    # reservation is cancelled and credited, once (services/rollcall/settlement.py).
    credit_due: bool = Field(default=False)
    # Present without a reservation while the commune's rule was UnbookedRule.BILL: the night after
    # the day, the family's account is charged the day's price, once (``billed_at`` set by a
    # conditional UPDATE, services/rollcall/billing.py); ``billed_cents`` is what was charged.
    bill_due: bool = Field(default=False)
    billed_at: datetime | None = utc_field(nullable=True)
    billed_cents: int | None = Field(default=None)
