"""The sentences the Réservations page says about the family's tariff for a period.

The bracket shows on the per-child totals and the synthesis (« Restauration scolaire : Tranche 2 —
QF de 501 à 900 € ») and, when the « no QF » price applies, why and what to do.
"""

from __future__ import annotations

from collections.abc import Iterable

from cantine_portal.french import format_euros, format_long_date
from cantine_portal.models import Service, row_id
from cantine_portal.services.pricing.grid import NO_QF_LABEL
from cantine_portal.services.pricing.tariffs import Tariffs
from cantine_portal.services.shared.calendar import Period

WHAT_TO_DO = (
    "Envoyez votre attestation de quotient familial (CAF ou MSA) depuis la page Famille, rubrique "
    "« Quotient familial » : dès que la mairie l'aura acceptée, les jours de votre panier non encore "
    "payés seront recalculés à votre tarif."
)


def tariff_lines(tariffs: Tariffs, services: Iterable[Service], period: Period) -> tuple[str, ...]:
    """Per service with a grid: its label for the period, and from which day it changes."""
    lines = []
    for service in services:
        sid = row_id(service)
        previous = None
        for day in period.days:
            if not tariffs.has_grid(sid, day):
                continue
            q = tariffs.quote(sid, day)
            current = (q.label, q.price_cents)
            if current != previous:
                since = "" if previous is None else f" à partir du {format_long_date(day, with_year=False)}"
                lines.append(f"{service.name}{since} : {q.label} ({format_euros(q.price_cents)})")
                previous = current
    return tuple(lines)


def tariff_notice(tariffs: Tariffs, services: Iterable[Service], period: Period) -> str:
    """Why the « no QF » price applies this period, and what the parent can do about it."""
    for service in services:
        sid = row_id(service)
        for day in period.days:
            if tariffs.has_grid(sid, day) and tariffs.quote(sid, day).label == NO_QF_LABEL:
                expired = [s for s in tariffs.spans if s.valid_to < day]
                if expired:
                    last = max(s.valid_to for s in expired)
                    why = f"Votre quotient familial n'est plus valable depuis le {format_long_date(last)}"
                else:
                    why = "Aucun quotient familial n'est enregistré pour votre famille"
                return (
                    f"{why} : le tarif « {NO_QF_LABEL[6:]} » s'applique "
                    f"(à partir du {format_long_date(day, with_year=False)}). {WHAT_TO_DO}"
                )
    return ""
