"""« Paiements »: the commune's online payments with totals per day and month, and their CSV."""

from __future__ import annotations

from dataclasses import dataclass

from cantine_portal.services.backoffice import payments as rules
from cantine_portal.services.backoffice.payments import PaymentsReport
from cantine_portal.usecases.backoffice.common import Download, StaffActor, read

__all__ = ["MSG_BAD_MONTH", "PaymentsPage", "PaymentsReport", "payments_csv", "payments_page"]
MSG_BAD_MONTH = "Choisissez un mois (mm/aaaa)."


@dataclass(frozen=True)
class PaymentsPage:
    error: str  # MSG_BAD_MONTH when the month is unreadable (nothing read then)
    report: PaymentsReport | None


def _month_ok(month: str) -> bool:
    """"" (every month) or "YYYY-MM"."""
    return not month or (len(month) == 7 and month[4] == "-" and month.replace("-", "").isdigit())


def payments_page(actor: StaffActor, *, month: str) -> PaymentsPage:
    if not _month_ok(month):
        return PaymentsPage(MSG_BAD_MONTH, None)
    return PaymentsPage("", read(lambda s: rules.payments_report(s, actor.structure_id, actor.account_id, month)))


def payments_csv(actor: StaffActor, *, month: str) -> Download | None:
    """The payments (of ``month``, or all) as a CSV for the accounts office; None for a bad month."""
    if not _month_ok(month):
        return None
    report = read(lambda s: rules.payments_report(s, actor.structure_id, actor.account_id, month))
    return Download(rules.payments_csv(report), f"paiements-{month or 'tous'}.csv", "text/csv")
