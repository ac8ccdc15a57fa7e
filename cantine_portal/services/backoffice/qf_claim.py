"""★ The « cantine à 1 € » claim: meals billed at 1 € or less to families whose QF is at most
1 000 €, for one four-month period (January–April, May–August, September–December), by month and
school, with the amount to claim (docs/tarifs.md for the programme's conditions and amounts).

Counted from the database's PAID reservations of the chosen service, with the price and the QF
frozen on each reservation when it was priced: the claim equals what the families paid.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from cantine_portal.french import MONTHS, format_euros
from cantine_portal.infra.csv_export import csv_bytes
from cantine_portal.infra.pdf.claim import render_claim
from cantine_portal.models import Child, Reservation, ReservationStatus, Service
from cantine_portal.services.backoffice.access import check_staff, owned
from cantine_portal.services.pricing.editor import CLAIM_PRICE_CEILING_CENTS, CLAIM_QF_CEILING

# State aid per eligible meal (since 1 April 2021), and the EGAlim bonus (solidarites.gouv.fr: since
# January 2024, +1 € when the commune commits to the EGAlim objectives).
AID_PER_MEAL_CENTS = 300
EGALIM_BONUS_CENTS = 100
NO_SCHOOL = "École non renseignée"


@dataclass(frozen=True)
class ClaimPeriod:
    year: int
    part: int  # 1: January–April, 2: May–August, 3: September–December

    @property
    def start(self) -> date:
        return date(self.year, 4 * (self.part - 1) + 1, 1)

    @property
    def end(self) -> date:
        last = 4 * self.part
        return date(self.year, 12, 31) if last == 12 else date(self.year, last + 1, 1) - timedelta(days=1)

    @property
    def months(self) -> tuple[int, ...]:
        return tuple(range(4 * (self.part - 1) + 1, 4 * self.part + 1))

    @property
    def label(self) -> str:
        first, last = self.months[0], self.months[-1]
        return f"{MONTHS[first - 1]} à {MONTHS[last - 1]} {self.year}"

    @staticmethod
    def parse(text: str) -> ClaimPeriod | None:
        """« 2026-3 » (the page's choice)."""
        try:
            year, part = (int(x) for x in text.split("-"))
        except ValueError:
            return None
        return ClaimPeriod(year, part) if 2019 <= year <= 2100 and part in (1, 2, 3) else None


@dataclass(frozen=True)
class ClaimRow:
    month: str
    school: str
    meals: int
    amount_cents: int


@dataclass(frozen=True)
class Claim:
    service_name: str
    period: ClaimPeriod
    egalim: bool
    rows: tuple[ClaimRow, ...]
    meals: int
    aid_per_meal_cents: int
    amount_cents: int


def claim(
    session: Session, structure_id: int, account_id: int, service_id: int, period: ClaimPeriod, egalim: bool
) -> Claim:
    """The claim's figures from the paid reservations (price ≤ 1 €, QF ≤ 1 000 €) of the period."""
    check_staff(session, structure_id, account_id)
    service = owned(session, Service, service_id, structure_id)
    found = session.exec(
        select(col(Reservation.day), col(Child.school))
        .join(Child, col(Child.id) == col(Reservation.child_id))
        .where(
            Reservation.structure_id == structure_id,
            Reservation.service_id == service_id,
            Reservation.status == ReservationStatus.PAID,
            Reservation.day >= period.start,
            Reservation.day <= period.end,
            col(Reservation.price_cents) <= CLAIM_PRICE_CEILING_CENTS,
            col(Reservation.qf_euros).is_not(None),
            col(Reservation.qf_euros) <= CLAIM_QF_CEILING,
        )
    ).all()
    per_meal = AID_PER_MEAL_CENTS + (EGALIM_BONUS_CENTS if egalim else 0)
    counts = Counter((day.month, school.strip() or NO_SCHOOL) for day, school in found)
    rows = tuple(
        ClaimRow(f"{MONTHS[month - 1]} {period.year}", school, n, n * per_meal)
        for (month, school), n in sorted(counts.items())
    )
    meals = sum(counts.values())
    return Claim(service.name, period, egalim, rows, meals, per_meal, meals * per_meal)


def claim_csv(data: Claim) -> bytes:
    rows: list[list[object]] = [
        [r.month, r.school, r.meals, format_euros(r.amount_cents).replace("\u202f", "").removesuffix("\u00a0€")]
        for r in data.rows
    ]
    rows.append(
        ["Total", "", data.meals, format_euros(data.amount_cents).replace("\u202f", "").removesuffix("\u00a0€")]
    )
    return csv_bytes(["Mois", "École", "Repas facturés à 1 € ou moins (QF ≤ 1 000 €)", "Aide demandée (EUR)"], rows)


def claim_pdf(data: Claim, commune_name: str, now: datetime) -> bytes:
    return render_claim(
        commune_name,
        data.service_name,
        data.period.label,
        data.egalim,
        [(r.month, r.school, r.meals, r.amount_cents) for r in data.rows],
        data.meals,
        data.aid_per_meal_cents,
        data.amount_cents,
        generated_at=now,
    )


def export_name(data: Claim, extension: str) -> str:
    return f"aide-cantine-1-euro-{data.period.year}-{data.period.part}.{extension}"


def recent_periods(today: date, count: int = 6) -> list[ClaimPeriod]:
    """The period of ``today`` and the ``count - 1`` before it, newest first (the page's choices)."""
    year, part = today.year, (today.month - 1) // 4 + 1
    periods = []
    for _ in range(count):
        periods.append(ClaimPeriod(year, part))
        year, part = (year, part - 1) if part > 1 else (year - 1, 3)
    return periods
