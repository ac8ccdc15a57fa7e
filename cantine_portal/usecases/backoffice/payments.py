"""« Paiements »: the commune's online payments with totals per day and month, and their CSV."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from cantine_portal.services.backoffice import payments as rules
from cantine_portal.services.backoffice.access import check_staff
from cantine_portal.services.backoffice.payments import PaymentsReport
from cantine_portal.services.regie import filters
from cantine_portal.usecases.backoffice.common import Download, StaffActor, read

__all__ = ["MSG_BAD_MONTH", "PaymentsPage", "PaymentsReport", "payments_csv", "payments_page", "provider_filters"]
MSG_BAD_MONTH = "Choisissez un mois (mm/aaaa)."
MSG_BAD_PROVIDER = "Choisissez un prestataire ou un moyen de paiement de la liste."


@dataclass(frozen=True)
class PaymentsPage:
    error: str  # MSG_BAD_MONTH when the month is unreadable (nothing read then)
    report: PaymentsReport | None


def _month_ok(month: str) -> bool:
    """ "" (every month) or "YYYY-MM"."""
    return not month or (len(month) == 7 and month[4] == "-" and month.replace("-", "").isdigit())


def provider_filters() -> list[tuple[str, str]]:
    return filters.provider_filters()


def _provider_ok(provider: str) -> bool:
    return provider in {key for key, _ in filters.provider_filters()}


def _report(actor: StaffActor, month: str, provider: str) -> PaymentsReport:
    def work(s: Session) -> PaymentsReport:
        check_staff(s, actor.structure_id, actor.account_id)
        only = filters.payment_ids(s, actor.structure_id, provider)
        return rules.payments_report(s, actor.structure_id, actor.account_id, month, only)

    return read(work)


def payments_page(actor: StaffActor, *, month: str, provider: str = "") -> PaymentsPage:
    if not _month_ok(month):
        return PaymentsPage(MSG_BAD_MONTH, None)
    if not _provider_ok(provider):
        return PaymentsPage(MSG_BAD_PROVIDER, None)
    return PaymentsPage("", _report(actor, month, provider))


def payments_csv(actor: StaffActor, *, month: str, provider: str = "") -> Download | None:
    """The payments (of ``month``, or all; of one provider or method) as a CSV for the accounts
    office; None for a bad month or provider."""
    if not _month_ok(month) or not _provider_ok(provider):
        return None
    report = _report(actor, month, provider)
    return Download(rules.payments_csv(report), f"paiements-{month or 'tous'}.csv", "text/csv")
