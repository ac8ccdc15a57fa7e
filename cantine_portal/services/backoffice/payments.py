"""Back-office « Paiements »: the list, totals per day and per month, a CSV for the accountant.

Read-only over the Payment table as the payment flow writes it. Totals count succeeded payments
only, by the day (Europe/Paris) they completed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from cantine_portal.french import PARIS, format_euros, format_month_year, format_numeric_date, provider_label
from cantine_portal.infra.csv_export import csv_bytes
from cantine_portal.models import Family, Payment, PaymentStatus, Receipt, Reservation, row_id
from cantine_portal.services.backoffice.access import check_staff
from cantine_portal.services.backoffice.families import PAYMENT_LABELS


@dataclass
class PaymentRow:
    id: int
    date_label: str
    family_name: str
    reference: str
    provider: str
    provider_reference: str
    status: str
    status_label: str
    amount_cents: int
    amount_label: str
    credit_cents: int
    credit_label: str
    receipt_number: str
    tariffs: str = ""  # the brackets of the paid days (« Tranche 1 — QF de 0 à 500 € »), distinct


@dataclass
class Total:
    label: str
    count: int
    amount_label: str


@dataclass
class PaymentsReport:
    rows: list[PaymentRow]
    by_day: list[Total]
    by_month: list[Total]


def _local(instant: datetime) -> datetime:
    return instant.astimezone(PARIS)


def payments_report(
    session: Session, structure_id: int, account_id: int, month: str = "", only: set[int] | None = None
) -> PaymentsReport:
    """All payments (or those created in ``month`` "YYYY-MM", Paris time; among the ids ``only``,
    e.g. one provider's, see services/regie/filters.py), newest first."""
    check_staff(session, structure_id, account_id)
    payments = list(
        session.exec(
            select(Payment).where(Payment.structure_id == structure_id).order_by(col(Payment.created_at).desc())
        ).all()
    )
    if month:
        payments = [p for p in payments if f"{_local(p.created_at):%Y-%m}" == month]
    if only is not None:
        payments = [p for p in payments if p.id in only]
    families = {f.id: f.name for f in session.exec(select(Family).where(Family.structure_id == structure_id))}
    receipts = {
        r.payment_id: r.number for r in session.exec(select(Receipt).where(Receipt.structure_id == structure_id))
    }
    tariffs = _tariffs_by_payment(session, structure_id)
    rows = [_payment_row(p, families, receipts, tariffs) for p in payments]
    by_day, by_month = _succeeded_totals(payments)
    return PaymentsReport(rows, by_day, by_month)


def _tariffs_by_payment(session: Session, structure_id: int) -> dict[int, set[str]]:
    """The tariff labels (quotient brackets) of the reservations each payment paid, so that the
    report shows which prices a payment was made at."""
    tariffs: dict[int, set[str]] = defaultdict(set)
    for payment_id, label in session.exec(
        select(Reservation.payment_id, Reservation.tariff_label).where(
            Reservation.structure_id == structure_id, Reservation.tariff_label != ""
        )
    ).all():
        if payment_id is not None:
            tariffs[payment_id].add(label)
    return tariffs


def _payment_row(
    p: Payment, families: dict[int | None, str], receipts: dict[int, str], tariffs: dict[int, set[str]]
) -> PaymentRow:
    """One line of the report, every amount and date already formatted for display."""
    return PaymentRow(
        row_id(p),
        f"{_local(p.created_at):%d/%m/%Y %H:%M}",
        families.get(p.family_id, ""),
        p.reference,
        provider_label(p.provider),
        p.provider_payment_id or p.provider_session_id or "",
        p.status,
        PAYMENT_LABELS.get(p.status, p.status),
        p.amount_cents,
        format_euros(p.amount_cents),
        p.credit_cents,
        format_euros(p.credit_cents) if p.credit_cents else "",
        receipts.get(row_id(p), ""),
        " ; ".join(sorted(tariffs.get(row_id(p), ()))),
    )


def _succeeded_totals(payments: list[Payment]) -> tuple[list[Total], list[Total]]:
    """Money actually received, per day and per month (Paris time, newest first): only succeeded
    payments count, on the day they completed."""
    days: dict[date, list[int]] = defaultdict(list)
    months: dict[tuple[int, int], list[int]] = defaultdict(list)
    for p in payments:
        if p.status != PaymentStatus.SUCCEEDED:
            continue
        when = _local(p.completed_at or p.created_at)
        days[when.date()].append(p.amount_cents)
        months[(when.year, when.month)].append(p.amount_cents)
    by_day = [
        Total(format_numeric_date(d), len(v), format_euros(sum(v))) for d, v in sorted(days.items(), reverse=True)
    ]
    by_month = [
        Total(format_month_year(y, m), len(v), format_euros(sum(v)))
        for (y, m), v in sorted(months.items(), reverse=True)
    ]
    return by_day, by_month


def _decimal(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100},{abs(cents) % 100:02d}"


def payments_csv(report: PaymentsReport) -> bytes:
    """`;`-separated, UTF-8 with BOM; amounts as "12,34" (French Excel reads them as numbers)."""
    return csv_bytes(
        [
            "Date",
            "Famille",
            "Référence",
            "Prestataire",
            "Référence prestataire",
            "Statut",
            "Montant (EUR)",
            "Avoir utilisé (EUR)",
            "Reçu",
            "Tranches",
        ],
        (
            [
                row.date_label,
                row.family_name,
                row.reference,
                row.provider,
                row.provider_reference,
                row.status_label,
                _decimal(row.amount_cents),
                _decimal(row.credit_cents),
                row.receipt_number,
                row.tariffs,
            ]
            for row in report.rows
        ),
    )
